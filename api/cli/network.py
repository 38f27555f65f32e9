"""``tanhui network init`` (a Besu QBFT network kit) and ``tanhui network permissions`` (Besu's
accounts-allowlist from the registry). docs/production.md walks through both."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import DatabaseUrl, DataDir, fail, new_typer, say, settings_from

network_app = new_typer(help="A Besu QBFT network for production: its files and its account allowlist.")


@network_app.command("init")
def init(
    validators: Annotated[
        int, typer.Option("--validators", metavar="N", help="How many validators (4 tolerate one fault)")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="A new (or empty) directory")],
    chain_id: Annotated[int | None, typer.Option("--chain-id", help="[default 20261130]")] = None,
    block_period: Annotated[int, typer.Option("--block-period", help="Seconds between blocks")] = 2,
    operator: Annotated[
        str | None,
        typer.Option(
            "--operator",
            metavar="ADDRESS",
            help="The registry operator's account: allowed to send from the first block",
        ),
    ] = None,
    operator_balance: Annotated[
        int, typer.Option("--operator-balance", metavar="WEI", help="Genesis balance of the operator")
    ] = 0,
    hosts: Annotated[
        str | None,
        typer.Option(
            "--hosts",
            metavar="H1,H2,...",
            help="The IP address each validator advertises [default: the compose network's]",
        ),
    ] = None,
) -> None:
    """Write a QBFT network of N new validators: the genesis (its extraData names them), each
    node's key (0600), Besu configuration and static nodes, the permissions file, and a compose
    file that starts the validators, PostgreSQL and the registry."""
    from chain.besu import DEFAULT_CHAIN_ID, NetworkError, plan_network, write_network

    try:
        plan = plan_network(
            validators,
            chain_id=DEFAULT_CHAIN_ID if chain_id is None else chain_id,
            block_period=block_period,
            operator=operator,
            operator_balance_wei=operator_balance,
            hosts=[h.strip() for h in hosts.split(",")] if hosts is not None else None,
        )
        write_network(plan, out)
    except NetworkError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}")
    say(f"chain id {plan.chain_id}, {len(plan.validators)} QBFT validators, written to {out}")
    for v in plan.validators:
        say(f"{v.name}  {v.address}  {v.enode}")
    if plan.operator is None:
        say("no --operator: the accounts allowlist is empty until `tanhui network permissions` fills it")


@network_app.command("permissions")
def permissions(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Besu's permissions file")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    operator: Annotated[
        list[str] | None,
        typer.Option("--operator", metavar="ADDRESS", help="Also allow this account (repeatable)"),
    ] = None,
    reload: Annotated[
        list[str] | None,
        typer.Option(
            "--reload", metavar="URL", help="Then ask this validator to reload the file (repeatable)"
        ),
    ] = None,
) -> None:
    """Write Besu's accounts-allowlist from the registry: the operator and every active
    participant. The file's nodes-allowlist, if it has one, is kept."""
    from eth_utils.address import is_hex_address
    from sqlalchemy.exc import SQLAlchemyError

    from registry.db import Database
    from registry.permissions import (
        PermissionsFileError,
        allowed_accounts,
        reload_permissions,
        write_allowlist,
    )

    extra = operator or []
    for address in extra:
        if not is_hex_address(address):
            fail(f"--operator is not an address: {address!r}")
    for rpc_url in reload or []:
        if not rpc_url.startswith(("http://", "https://")):
            fail(f"--reload needs an http(s) URL (got {rpc_url!r})")
    if not out.parent.is_dir():
        fail(f"{out.parent} is not a directory")
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    if settings.database_url is not None:
        url = settings.database_url
    else:
        sqlite = settings.data_dir / "tanhui.db"
        if not sqlite.is_file():
            fail(f"no database: give --database-url (or TANHUI_DATABASE_URL); {sqlite} does not exist")
        url = f"sqlite:///{sqlite.resolve()}"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        fail(f"no database at {url}")
    db = Database(url)
    try:
        with db.reading() as session:
            accounts = allowed_accounts(session, extra)
        write_allowlist(out, accounts)
    except SQLAlchemyError as e:
        fail(f"cannot read the registry's participants: {type(e).__name__}: {str(e).splitlines()[0]}")
    except PermissionsFileError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}")
    finally:
        db.dispose()
    say(f"{len(accounts)} accounts allowed, written to {out}")
    refused = [u for u in reload or [] if not reload_permissions(u)]
    if refused:
        fail(f"the file is written, but {', '.join(refused)} did not reload it")
