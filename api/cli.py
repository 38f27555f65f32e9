"""The ``tanhui`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from chain import localnode
from chain.errors import ChainError
from registry.settings import Settings, SettingsError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tanhui (碳惠) carbon-credit registry.")
chain_app = typer.Typer(no_args_is_help=True, help="The local development chain (anvil).")
app.add_typer(chain_app, name="chain")

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where state lives [env TANHUI_DATA_DIR; default ./.tanhui]"),
]
RpcUrl = Annotated[str | None, typer.Option("--rpc-url", help="A JSON-RPC node [env TANHUI_RPC_URL]")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def settings_from(**overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)
    except ValueError as e:
        fail(f"invalid settings: {e}")


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# -- chain -------------------------------------------------------------------------------------


@chain_app.command("up")
def chain_up(
    data_dir: DataDir = None,
    port: Annotated[int | None, typer.Option(help="RPC port (default 8545, or a free one)")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = localnode.DEFAULT_HOST,
    gas_price: Annotated[int, typer.Option(help="Gas price in wei (0: a gas-free chain)")] = 0,
) -> None:
    """Start the local chain, its state persisted under the data directory, and print its RPC URL.

    The chain keeps running in the background; `tanhui chain down` stops it.
    """
    settings = settings_from(data_dir=data_dir)
    try:
        chain = localnode.start(settings.data_dir, host=host, port=port, gas_price=gas_price)
    except ChainError as e:
        fail(str(e))
    print(chain.url)


@chain_app.command("down")
def chain_down(data_dir: DataDir = None) -> None:
    """Stop the local chain (its state is saved)."""
    settings = settings_from(data_dir=data_dir)
    if localnode.stop(settings.data_dir):
        out.print("stopped")
    else:
        out.print("no local chain was running")


@chain_app.command("status")
def chain_status(data_dir: DataDir = None) -> None:
    """Print the local chain's RPC URL, or exit 1 if it is not running."""
    settings = settings_from(data_dir=data_dir)
    chain = localnode.status(settings.data_dir)
    if chain is None:
        fail("no local chain is running")
    print(chain.url)


# -- deploy ------------------------------------------------------------------------------------


@app.command()
def deploy(
    rpc_url: Annotated[
        str, typer.Option("--rpc-url", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL")
    ],
    as_json: AsJson = False,
    data_dir: DataDir = None,
    admin_delay: Annotated[
        int | None, typer.Option(help="Seconds a new admin waits before accepting [default 86400]")
    ] = None,
) -> None:
    """Compile and deploy the contracts. The operator key (TANHUI_OPERATOR_KEY or a keystore)
    signs; on a development node without one, its first unlocked account. The ABIs are written
    to build/contracts/ and the addresses to the data directory's deployment file."""
    from chain.client import ChainClient
    from chain.deploy import deploy as deploy_contracts
    from chain.deploy import deployment_path

    settings = settings_from(data_dir=data_dir, admin_delay=admin_delay)
    try:
        client = ChainClient.connect(rpc_url, confirmations=settings.confirmations)
        signer = client.default_signer(settings.operator_private_key())
        deployment = deploy_contracts(client, signer, admin_delay=settings.admin_delay, solc=settings.solc)
    except (ChainError, SettingsError) as e:
        fail(str(e))
    path = deployment_path(settings.data_dir, deployment.chain_id)
    deployment.save(path)
    if as_json:
        print_json(
            {"chain_id": deployment.chain_id, "contracts": deployment.contracts, "admin": deployment.deployer}
        )
        return
    table = Table("contract", "address", title=f"deployed on chain {deployment.chain_id}")
    for name, address in deployment.contracts.items():
        table.add_row(name, address)
    out.print(table)
    out.print(f"admin {deployment.deployer}; deployment recorded in {path}; ABIs in build/contracts/")


# -- the service -------------------------------------------------------------------------------

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="SQLAlchemy URL [env TANHUI_DATABASE_URL; default SQLite in the data dir]"
    ),
]


def connect_chain(settings: Settings) -> tuple[Any, str]:
    """The chain client for the settings: the RPC URL given, else the local chain of the data
    directory (started if it is not running)."""
    from chain.client import ChainClient

    url = settings.rpc_url
    if url is None:
        url = localnode.start(settings.data_dir).url
    return ChainClient.connect(url, confirmations=settings.confirmations), url


def open_runtime(settings: Settings, **kwargs: Any) -> Any:
    from registry.errors import RegistryError
    from registry.runtime import Runtime

    try:
        client, _ = connect_chain(settings)
        return Runtime.open(settings, client, **kwargs)
    except (ChainError, SettingsError, RegistryError) as e:
        fail(str(e))


@app.command()
def serve(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Run the registry service. On the embedded defaults: a local anvil chain and SQLite, both
    persisted in the data directory, the contracts deployed on first start."""
    import uvicorn

    from api.app import create_app
    from registry.runtime import bootstrap

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    # A local chain this command starts is stopped (its state saved) when the service stops.
    own_chain = settings.rpc_url is None and localnode.status(settings.data_dir) is None
    runtime = open_runtime(settings)
    token = bootstrap(runtime)
    out.print(f"[bold]Tanhui registry[/] on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)")
    out.print(f"chain {runtime.client.rpc_url} (id {runtime.deployment.chain_id})")
    for name, address in runtime.deployment.contracts.items():
        out.print(f"  {name} {address}")
    out.print(f"database {settings.resolved_database_url()}")
    token_file = settings.data_dir / "operator.token"
    if token:
        out.print(f"operator API token (registrar): {token}  (kept in {token_file})")
    else:
        out.print(f"operator API token: in {token_file}")
    try:
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="info")
    finally:
        runtime.close()
        if own_chain:
            localnode.stop(settings.data_dir)


@app.command()
def demo(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Run a whole scenario through the service: participants, a methodology published by the
    committee, a project registered, a report verified, a batch issued, part transferred, part
    retired. Deploys fresh contracts unless the database already indexes a deployment."""
    import tempfile

    from api.app import create_app
    from api.demo import DemoFailed, ServiceThread, run_scenario
    from registry.errors import RegistryError
    from registry.participants import ensure_operator, issue_token
    from registry.runtime import bootstrap

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    if settings.database_url is None:
        scratch = Path(tempfile.mkdtemp(prefix="tanhui-demo-"))
        settings = settings.model_copy(update={"database_url": f"sqlite:///{scratch / 'demo.db'}"})
    runtime = open_runtime(settings, reuse_deployment_file=False)
    try:
        bootstrap(runtime)
        with runtime.db.transaction() as session:
            operator, _ = ensure_operator(session, runtime)
            token = issue_token(session, operator)
        say = (lambda *_: None) if as_json else (lambda line: out.print(f"  {line}", highlight=False))
        with ServiceThread(create_app(runtime)) as base_url:
            if not as_json:
                out.print(f"[bold]demo[/] through {base_url} on chain {runtime.client.rpc_url}")
            result = run_scenario(base_url, token, say)
    except (DemoFailed, RegistryError, ChainError) as e:
        fail(f"the demo failed: {e}")
    finally:
        runtime.close()
    summary = {
        "rpc_url": runtime.client.rpc_url,
        "chain_id": runtime.deployment.chain_id,
        "contracts": runtime.deployment.contracts,
        **result,
        "database_url": settings.resolved_database_url(),
    }
    if as_json:
        print_json(summary)
    else:
        out.print(
            f"certificate {result['certificate_id']}: check it with "
            f"`tanhui verify {result['certificate_id']} --rpc-url {runtime.client.rpc_url} "
            f"--contract {runtime.deployment.credits}`"
        )


@app.command()
def verify(
    certificate_id: Annotated[int, typer.Argument(help="The retirement certificate id")],
    rpc_url: Annotated[
        str, typer.Option("--rpc-url", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL")
    ],
    contract: Annotated[
        str | None,
        typer.Option("--contract", help="TanhuiCredits address [default: the data dir's deployment]"),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Check a retirement certificate from the chain alone (no database, no API) and print it.
    Exits 1 if the certificate does not exist or its chain data disagree."""
    from chain import errors as chain_errors
    from chain.certificates import verify_certificate
    from chain.client import ChainClient
    from chain.compiler import compile_contracts
    from chain.contracts import Deployment
    from chain.deploy import deployment_path

    settings = settings_from(data_dir=data_dir)
    try:
        client = ChainClient.connect(rpc_url)
        if contract is None:
            contract = Deployment.load(deployment_path(settings.data_dir, client.chain_id)).credits
        compile_contracts(solc=settings.solc)  # the ABIs (reused when fresh)
        evidence = verify_certificate(client, contract, certificate_id)
    except chain_errors.CreditsUnknownCertificate:
        fail(f"certificate {certificate_id} does not exist on chain {client.chain_id} at {contract}")
    except chain_errors.DeploymentNotFound:
        fail("no deployment is recorded for this chain in the data directory: give --contract")
    except ChainError as e:
        fail(str(e))
    data = evidence.to_json()
    if as_json:
        print_json({"verified": True, **data})
        return
    table = Table(show_header=False, title=f"retirement certificate {certificate_id}: verified on chain")
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key in (
        "chain_id", "contract", "tx_hash", "block_number", "retired_at", "holder", "batch_id", "amount_kg",
        "serial_first", "serial_last", "beneficiary", "purpose", "event_id", "jurisdiction", "note",
    ):  # fmt: skip
        table.add_row(key, str(data[key]))
    for key, value in data["batch"].items():
        table.add_row(f"batch.{key}", str(value))
    out.print(table)


@app.command()
def reconcile(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Compare every batch's supply, every holding and every retirement in the database with the
    chain; print the differences; exit 1 if there are any."""
    from registry.reconcile import reconcile as run

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    runtime = open_runtime(settings, bind=False)
    try:
        report = run(runtime)
    except ChainError as e:
        fail(str(e))
    finally:
        runtime.close()
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "block": report.block,
                "checked": report.checked,
                "differences": report.differences,
            }
        )
    elif report.ok:
        checked = ", ".join(f"{n} {k}" for k, n in report.checked.items())
        out.print(f"no differences at block {report.block} ({checked})")
    else:
        table = Table(
            "subject",
            "field",
            "database",
            "chain",
            title=f"{len(report.differences)} differences at block {report.block}",
        )
        for d in report.differences:
            table.add_row(d["subject"], d["field"], str(d["database"]), str(d["chain"]))
        out.print(table)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def relay(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    cancel: Annotated[
        int | None,
        typer.Option(help="Give up this pending operation (its nonce is filled with a zero-value transfer)"),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, with --cancel")] = "cancelled by the operator",
) -> None:
    """Send and confirm every pending chain operation (as the service does on start), then
    bring the index up to date. With --cancel, give up one operation the node keeps refusing."""
    from registry.errors import RegistryError

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    runtime = open_runtime(settings, bind=False)
    try:
        if cancel is not None:
            runtime.relay.cancel(cancel, reason)
        pending = runtime.relay.resume()
        indexed = runtime.indexer.sync()
    except (ChainError, RegistryError, LookupError) as e:
        fail(str(e))
    finally:
        runtime.close()
    if cancel is not None:
        out.print(f"operation {cancel} is no longer pending")
    out.print(f"{pending} pending operations processed; {indexed} events indexed")


# -- a client for the API -----------------------------------------------------------------------


@app.command("api")
def api_call(
    method: Annotated[str, typer.Argument(help="get or post")],
    path: Annotated[str, typer.Argument(help="e.g. /v1/batches/1")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="JSON body, or @FILE")] = None,
    url: Annotated[
        str, typer.Option("--url", envvar="TANHUI_API_URL", help="The service")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="TANHUI_TOKEN", help="API token [default: the operator's]"),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="[default: a new one]")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Call the service's API and print the JSON answer: every feature of the API from the
    command line. Exits 1 on an error answer (its code and message go to stderr)."""
    import uuid

    import httpx

    verb = method.lower()
    if verb not in ("get", "post"):
        fail("METHOD is get or post", code=2)
    if token is None:
        token_file = settings_from(data_dir=data_dir).data_dir / "operator.token"
        token = token_file.read_text().strip() if token_file.exists() else None
    body = None
    if data is not None:
        text = Path(data[1:]).read_text(encoding="utf-8") if data.startswith("@") else data
        try:
            body = json.loads(text)
        except ValueError as e:
            fail(f"--data is not JSON: {e}", code=2)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if verb == "post":
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    try:
        response = httpx.request(
            verb.upper(), url.rstrip("/") + path, json=body, headers=headers, timeout=180
        )
    except httpx.HTTPError as e:
        fail(f"cannot reach the service at {url}: {e}")
    try:
        answer = response.json()
    except ValueError:
        answer = {"error": {"code": "http_error", "message": response.text}}
    if response.status_code >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        fail(f"{response.status_code} {error.get('code', '')}: {error.get('message', response.text)}")
    print_json(answer)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
