"""``tanhui chain up|down|status`` (the local anvil chain) and ``tanhui deploy``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli._common import AsJson, DataDir, fail, new_typer, note, out, print_json, say, settings_from
from chain import localnode
from chain.errors import ChainError
from chain.paths import ARTIFACTS_DIR
from registry.settings import SettingsError

chain_app = new_typer(help="The local development chain (anvil).")


@chain_app.command("up")
def chain_up(
    data_dir: DataDir = None,
    port: Annotated[int | None, typer.Option(help="RPC port (default 8545, or a free one)")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = localnode.DEFAULT_HOST,
    gas_price: Annotated[int, typer.Option(help="Gas price in wei (0: a gas-free chain)")] = 0,
) -> None:
    """Start the local chain, its state persisted under the data directory, and print its RPC URL.

    The chain keeps running in the background; `tanhui chain down` stops it. A chain already
    running is kept running too, even if the command that started it (`tanhui serve`) would
    have stopped it when it ends.
    """
    settings = settings_from(data_dir=data_dir)
    try:
        chain = localnode.start(settings.data_dir, host=host, port=port, gas_price=gas_price)
        if chain.owner_pid is not None:
            localnode.hand_over(settings.data_dir, None)
            note(f"the local chain started by `{chain.started_by}` now runs until `tanhui chain down`")
    except ChainError as e:
        fail(str(e))
    print(chain.url)


@chain_app.command("down")
def chain_down(data_dir: DataDir = None) -> None:
    """Stop the local chain (its state is saved)."""
    settings = settings_from(data_dir=data_dir)
    if localnode.stop(settings.data_dir):
        say("stopped")
    else:
        say("no local chain was running")


@chain_app.command("status")
def chain_status(data_dir: DataDir = None) -> None:
    """Print the local chain's RPC URL, or exit 1 if it is not running."""
    settings = settings_from(data_dir=data_dir)
    chain = localnode.status(settings.data_dir)
    if chain is None:
        fail("no local chain is running")
    print(chain.url)


def deploy(
    rpc_url: Annotated[
        str,
        typer.Option("--rpc-url", metavar="URL", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL"),
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
    say(f"admin {deployment.deployer}; deployment recorded in {path}; ABIs in {ARTIFACTS_DIR}/")
