"""The registry service and its maintenance: ``tanhui serve``, ``demo``, ``relay`` and
``reconcile``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from api.cli._common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    RpcUrl,
    count,
    fail,
    local_chain_held,
    open_runtime,
    out,
    print_json,
    say,
    settings_from,
    unwinding_on_sigterm,
)
from chain.errors import ChainError


def serve(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    host: Annotated[
        str | None,
        typer.Option(metavar="HOST", help="Interface to listen on [env TANHUI_HOST; default 127.0.0.1]"),
    ] = None,
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="Port to listen on [env TANHUI_PORT; default 8000]")
    ] = None,
) -> None:
    """Run the registry service. On the embedded defaults: a local anvil chain and SQLite, both
    persisted in the data directory, the contracts deployed on first start. A local chain this
    command starts (or adopts from a service that was killed) stops when it stops, on SIGTERM too;
    one started by `tanhui chain up` keeps running."""
    settings = settings_from(
        data_dir=data_dir, rpc_url=rpc_url, database_url=database_url, host=host, port=port
    )
    import uvicorn

    from api.app import create_app
    from registry.runtime import bootstrap

    with unwinding_on_sigterm(), local_chain_held(settings, "tanhui serve"):
        # The data directory's own chain, restarted empty, is sent the deployment again.
        runtime = open_runtime(settings, restore_deployment=settings.rpc_url is None)
        try:
            token = bootstrap(runtime, catch_up=False)
            base = f"http://{settings.host}:{settings.port}"
            out.print(f"[bold]Tanhui registry[/] on {base}  (OpenAPI: {base}/docs)", soft_wrap=True)
            say(f"chain {runtime.client.rpc_url} (id {runtime.deployment.chain_id})")
            for name, address in runtime.deployment.contracts.items():
                say(f"  {name} {address}")
            say(f"database {settings.resolved_database_url()}")
            token_file = settings.data_dir / "operator.token"
            if token:
                say(f"operator API token (registrar): {token}  (kept in {token_file})")
            else:
                say(f"operator API token: in {token_file}")
            # uvicorn handles SIGINT and SIGTERM (a graceful shutdown), then re-raises the signal:
            # unwinding_on_sigterm turns SIGTERM into an exception, so the finally blocks run.
            uvicorn.run(create_app(runtime), host=settings.host, port=settings.port, log_level="info")
        finally:
            runtime.close()


def demo(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Run a whole scenario through the service: participants, a methodology published by the
    committee, a project registered, a report verified, a batch issued, part transferred, part
    retired. Deploys fresh contracts unless the database already indexes a deployment.

    The demo keeps to its own data directory: the one given, else a new temporary one (never
    ./.tanhui, where a service may be running). Without --database-url, a new SQLite file; without
    --rpc-url, the data directory's local chain, stopped at the end if the demo started it."""
    from api.app import create_app
    from api.demo import DemoFailed, ServiceThread, run_scenario
    from registry.errors import RegistryError
    from registry.runtime import bootstrap

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    # Given as --data-dir or TANHUI_DATA_DIR (model_fields_set), not the default.
    own_data_dir = "data_dir" not in settings.model_fields_set
    if own_data_dir:
        settings = settings.model_copy(update={"data_dir": Path(tempfile.mkdtemp(prefix="tanhui-demo-"))})
    if settings.database_url is None:
        scratch = settings.data_dir if own_data_dir else Path(tempfile.mkdtemp(prefix="tanhui-demo-db-"))
        settings = settings.model_copy(update={"database_url": f"sqlite:///{scratch.resolve() / 'demo.db'}"})
    data_dir_shown = str(settings.data_dir.resolve())
    if not as_json:
        say(f"data directory {data_dir_shown}")
    with unwinding_on_sigterm(), local_chain_held(settings, "tanhui demo") as holds_chain:
        runtime = open_runtime(settings, reuse_deployment_file=False)
        try:
            bootstrap(runtime)
            token = runtime.new_operator_token()
            log = (lambda _line: None) if as_json else (lambda line: say(f"  {line}"))
            with ServiceThread(create_app(runtime)) as base_url:
                if not as_json:
                    out.print(
                        f"[bold]demo[/] through {base_url} on chain {runtime.client.rpc_url}", soft_wrap=True
                    )
                result = run_scenario(base_url, token, log)
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
        "data_dir": data_dir_shown,
    }
    if as_json:
        print_json(summary)
        return
    check = f"tanhui verify {result['certificate_id']}"
    contract = f"--contract {runtime.deployment.credits}"
    if holds_chain:
        # The chain the demo started is stopped, its state kept in the data directory.
        say(
            f"certificate {result['certificate_id']}: check it with "
            f'`{check} --rpc-url "$(tanhui chain up --data-dir {data_dir_shown})" {contract}` '
            f"(then `tanhui chain down --data-dir {data_dir_shown}`)"
        )
    else:
        url = runtime.client.rpc_url
        say(f"certificate {result['certificate_id']}: check it with `{check} --rpc-url {url} {contract}`")


def reconcile(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Compare every batch's supply, every holding and every retirement in the database with the
    chain; print the differences; exit 1 if there are any. Anomalies (chain data the indexer
    could not take as it is) are listed too; they are not differences."""
    from registry.explorer import record_reconcile
    from registry.reconcile import reconcile as run

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    with unwinding_on_sigterm(), local_chain_held(settings, "tanhui reconcile"):
        runtime = open_runtime(settings, bind=False)
        try:
            report = run(runtime)
            # Kept for the supervisors' dashboard, which shows the last run.
            with runtime.db.transaction() as session:
                record_reconcile(session, report, by="cli")
        except ChainError as e:
            fail(str(e))
        finally:
            runtime.close()
    differences: list[dict[str, Any]] = list(report.differences)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "block": report.block,
                "checked": report.checked,
                "differences": differences,
                "anomalies": report.anomalies,
            }
        )
    elif report.ok:
        checked = ", ".join(count(n, kind) for kind, n in report.checked.items())
        say(f"no differences at block {report.block} ({checked})")
    else:
        table = Table(
            "subject",
            "field",
            "database",
            "chain",
            title=f"{count(len(differences), 'differences')} at block {report.block}",
        )
        for d in differences:
            table.add_row(*(Text(str(d[key])) for key in ("subject", "field", "database", "chain")))
        out.print(table)
    if report.anomalies and not as_json:
        anomalies = Table(
            "block",
            "log",
            "event",
            "action",
            "reason",
            title=count(len(report.anomalies), "anomalies") + " of the chain",
        )
        for a in report.anomalies:
            anomalies.add_row(
                *(Text(str(a[key])) for key in ("block_number", "log_index", "event", "action", "reason"))
            )
        out.print(anomalies)
    if not report.ok:
        raise typer.Exit(1)


def relay(
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    cancel: Annotated[
        int | None,
        typer.Option(
            metavar="ID",
            help="Give up this pending operation (its nonce is filled with a zero-value transfer)",
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, with --cancel")] = "cancelled by the operator",
) -> None:
    """Send and confirm every pending chain operation (as the service does on start), then
    bring the index up to date. With --cancel, give up one operation the node keeps refusing."""
    from registry.errors import RegistryError

    settings = settings_from(data_dir=data_dir, rpc_url=rpc_url, database_url=database_url)
    with unwinding_on_sigterm(), local_chain_held(settings, "tanhui relay"):
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
        say(f"operation {cancel} is no longer pending")
    say(f"{count(pending, 'pending operations')} processed; {count(indexed, 'events')} indexed")
