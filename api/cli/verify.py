"""``tanhui verify``: a retirement certificate checked from the chain alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from eth_utils.crypto import keccak
from rich.table import Table
from rich.text import Text

from api.cli._common import AsJson, DataDir, fail, out, print_json, say, settings_from
from chain.errors import ChainError

ZERO_HASH = "0x" + "00" * 32
EVENT_NOTE = "(keccak-256 of the event's name; check one with --event NAME)"


def utc_iso(seconds: int) -> str:
    """ISO 8601 in UTC: ``2025-10-26T03:14:15Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def local_time(seconds: int) -> str:
    """The machine's local date and time, with its zone."""
    return datetime.fromtimestamp(seconds, UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def day(seconds: int) -> str:
    """The UTC date (YYYY-MM-DD) of a chain time: days on chain are 00:00 UTC."""
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def with_dates(data: dict[str, Any]) -> dict[str, Any]:
    """The evidence with ISO fields next to the chain's Unix seconds: ``retired_at_iso``;
    ``consumption_start_iso``/``consumption_end_iso`` (None when the chain has 0/0, no period);
    ``batch.period_start_iso`` and ``batch.period_end_iso``, the period's first and last day
    (the chain's ``period_end`` is exclusive: 00:00 UTC of the day after)."""
    has_consumption = bool(data["consumption_start"] or data["consumption_end"])
    batch = data["batch"]
    return {
        **data,
        "retired_at_iso": utc_iso(data["retired_at"]),
        "consumption_start_iso": day(data["consumption_start"]) if has_consumption else None,
        "consumption_end_iso": day(data["consumption_end"]) if has_consumption else None,
        "batch": {
            **batch,
            "period_start_iso": day(batch["period_start"]),
            "period_end_iso": day(batch["period_end"] - 1),
        },
    }


def event_hash(name: str) -> str:
    return "0x" + keccak(text=name).hex()


def event_matches(event_id: str, name: str) -> bool:
    """Whether the certificate's event id is keccak-256 of `name` (or `name` is the id itself)."""
    return event_id.lower() in (event_hash(name), name.lower())


def verify(
    certificate_id: Annotated[int, typer.Argument(metavar="ID", help="The retirement certificate id")],
    rpc_url: Annotated[
        str,
        typer.Option("--rpc-url", metavar="URL", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL"),
    ],
    contract: Annotated[
        str | None,
        typer.Option(
            "--contract",
            metavar="ADDRESS",
            help="TanhuiCredits address [default: the data dir's deployment]",
        ),
    ] = None,
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            metavar="NAME",
            help="Check that the certificate's event id is keccak-256 of NAME (exit 1 if not)",
        ),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Check a retirement certificate from the chain alone (no database, no API) and print it.
    Exits 1 if the certificate does not exist or its chain data disagree (or, with --event,
    if its event id is not that event's)."""
    from chain import errors as chain_errors
    from chain.certificates import verify_certificate
    from chain.client import ChainClient
    from chain.compiler import compile_contracts
    from chain.contracts import Deployment
    from chain.deploy import deployment_path

    settings = settings_from(data_dir=data_dir)
    try:
        client = ChainClient.connect(rpc_url)
    except ChainError as e:
        fail(str(e))
    try:
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
    data = with_dates(evidence.to_json())
    matches = None if event is None else event_matches(data["event_id"], event)
    if as_json:
        extra = {} if event is None else {"event": event, "event_matches": matches}
        print_json({"verified": True, **data, **extra})
    else:
        out.print(table(certificate_id, data, event if matches else None))
    if event is not None and not matches:
        fail(f"event id {data['event_id']} does not match {event} (whose keccak-256 is {event_hash(event)})")
    if event is not None and not as_json:
        say(f"event id matches {event}")


def table(certificate_id: int, data: dict[str, Any], event: str | None = None) -> Table:
    """The certificate as a two-column table, times as dates; `event`: the name its event id
    was checked against."""
    rows: list[tuple[str, str]] = [
        (key, str(data[key])) for key in ("chain_id", "contract", "tx_hash", "block_number")
    ]
    rows.append(("retired_at", f"{data['retired_at_iso']} (local {local_time(data['retired_at'])})"))
    rows += [
        (key, str(data[key]))
        for key in (
            "holder", "batch_id", "amount_kg", "serial_first", "serial_last", "beneficiary", "purpose",
        )
    ]  # fmt: skip
    event_id = data["event_id"]
    if event is not None:
        rows.append(("event_id", f"{event_id} (keccak-256 of {event})"))
    else:
        rows.append(("event_id", "none" if event_id == ZERO_HASH else f"{event_id} {EVENT_NOTE}"))
    rows.append(("jurisdiction", data["jurisdiction"]))
    for key in ("consumption_start", "consumption_end"):
        rows.append((key, data[f"{key}_iso"] or "none"))
    rows.append(("note", data["note"]))
    for key, value in data["batch"].items():
        if key.endswith("_iso"):
            continue
        if key == "period_start":
            value = data["batch"]["period_start_iso"]
        elif key == "period_end":
            value = f"{data['batch']['period_end_iso']} (last day)"
        rows.append((f"batch.{key}", str(value)))
    result = Table(show_header=False, title=f"retirement certificate {certificate_id}: verified on chain")
    result.add_column("field", no_wrap=True)
    result.add_column("value", overflow="fold")
    for key, value in rows:
        result.add_row(key, Text(value))
    return result


def verify_claim(
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's id (e.g. CL-1A2B3C4D5E)")],
    rpc_url: Annotated[
        str,
        typer.Option("--rpc-url", metavar="URL", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL"),
    ],
    contract: Annotated[
        str | None,
        typer.Option(
            "--contract",
            metavar="ADDRESS",
            help="TanhuiCredits address [default: the data dir's deployment]",
        ),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Check a carbon-neutrality claim from the chain alone (no database, no API): its verified
    footprint and the amount required, the retirements against it and the closing transaction.
    Exits 1 unless the chain shows the claim closed as neutral (also for a claim the chain does
    not know)."""
    from chain.claims import ClaimMismatch, ClaimNotFound
    from chain.claims import verify_claim as check_claim
    from chain.client import ChainClient
    from chain.compiler import compile_contracts
    from chain.contracts import Deployment
    from chain.deploy import deployment_path
    from registry.amounts import tonnes

    settings = settings_from(data_dir=data_dir)
    try:
        client = ChainClient.connect(rpc_url)
    except ChainError as e:
        fail(str(e))
    try:
        from_block = 0
        if contract is None:
            deployment = Deployment.load(deployment_path(settings.data_dir, client.chain_id))
            contract, from_block = deployment.credits, deployment.block_number
        compile_contracts(solc=settings.solc)  # the ABIs (reused when fresh)
        evidence = check_claim(client, contract, claim, from_block=from_block)
    except ClaimNotFound as e:
        fail(f"{e} on chain {client.chain_id} at {contract}")
    except ClaimMismatch as e:
        fail(f"the chain does not support the claim: {e}")
    except ChainError as e:
        fail(str(e))
    data = evidence.to_json()
    if as_json:
        print_json({**data, "closed_at_iso": utc_iso(data["closed_at"]) if data["closed"] else None})
    else:
        rows = Table(show_header=False, box=None)
        rows.add_column(style="bold")
        rows.add_column()
        rows.add_row("claim", f"{claim} (event id {data['event_id']})")
        rows.add_row("chain", f"{data['chain_id']}, TanhuiCredits {data['contract']}")
        rows.add_row("footprint", f"{tonnes(data['footprint_kg'])} t CO2e (hash {data['footprint_hash']})")
        rows.add_row("required", f"{tonnes(data['required_kg'])} t (footprint and buffer)")
        rows.add_row(
            "retired against it", f"{tonnes(data['retired_kg'])} t in {len(data['retirements'])} retirements"
        )
        for r in data["retirements"]:
            rows.add_row(
                "",
                f"certificate {r['certificate_id']}: {tonnes(r['amount_kg'])} t by {r['holder']} "
                f"({r['purpose']})",
            )
        if data["closed"]:
            rows.add_row(
                "closed",
                f"{utc_iso(data['closed_at'])} in block {data['closed_block']}, tx {data['close_tx']}",
            )
        out.print(rows)
    if not evidence.neutral:
        fail(f"claim {claim} is not closed as neutral on this chain")
    if not as_json:
        say(f"claim {claim}: neutral, from the chain alone")
