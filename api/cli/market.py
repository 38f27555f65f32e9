"""``tanhui market ...``: the exchange's side of the registry from the command line — the
public order book, trades and market data, listing and cancelling, the carbon-asset journal —
through the service's API; and ``tanhui verify-trade``, a trade from the chain alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli._common import AsJson, DataDir, fail, new_typer, out, print_json, say, settings_from
from api.cli.client import service_request
from chain.errors import ChainError

market_app = new_typer(help="The exchange: order book, trades, market data, listings, the journal.")

Url = Annotated[
    str | None,
    typer.Option(
        "--url", metavar="URL", envvar="TANHUI_API_URL", help="The service [default: TANHUI_HOST:TANHUI_PORT]"
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", metavar="TOKEN", envvar="TANHUI_TOKEN", help="API token [default: the operator's]"
    ),
]


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) if v is not None else "" for v in row))
    return table


@market_app.command("book")
def book(
    batch: Annotated[int | None, typer.Option("--batch", metavar="ID", help="Only this batch")] = None,
    url: Url = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """The public order book: open listings (credits in escrow)."""
    path = "/v1/listings" + (f"?batch_id={batch}" if batch else "")
    rows = service_request("get", path, url=url, data_dir=data_dir)
    if as_json:
        print_json(rows)
        return
    out.print(
        _table(
            "open listings",
            ["listing", "batch", "type", "seller", "listed t", "left t", "available t"],
            [
                [
                    r["listing_id"],
                    r["batch_id"],
                    r["project_type"],
                    r["seller"],
                    r["amount_t"],
                    r["remaining_t"],
                    r.get("available_t"),
                ]
                for r in rows
            ],
        )
    )


@market_app.command("trades")
def trades(
    day: Annotated[
        str | None, typer.Option("--day", metavar="YYYY-MM-DD", help="A trading day (CST)")
    ] = None,
    url: Url = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Settled trades with their transactions."""
    rows = service_request("get", "/v1/trades" + (f"?day={day}" if day else ""), url=url, data_dir=data_dir)
    if as_json:
        print_json(rows)
        return
    out.print(
        _table(
            "trades",
            ["trade", "day", "batch", "t", "yuan/t", "seller", "buyer", "certificate", "tx"],
            [
                [
                    r["trade_id"],
                    r["day"],
                    r["batch_id"],
                    r["amount_t"],
                    r["price_yuan_per_t"],
                    r["seller"],
                    r["buyer"],
                    r["certificate_id"],
                    r["chain"]["tx_hash"],
                ]
                for r in rows
            ],
        )
    )


@market_app.command("days")
def days(
    project_type: Annotated[
        str | None,
        typer.Option("--type", metavar="TYPE", help="energy-substitution, resource-saving or ecological"),
    ] = None,
    url: Url = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Market data per project type and trading day, and today's bands."""
    rows = service_request(
        "get",
        "/v1/market/days" + (f"?project_type={project_type}" if project_type else ""),
        url=url,
        data_dir=data_dir,
    )
    bands = service_request("get", "/v1/market/bands", url=url, data_dir=data_dir)
    if as_json:
        print_json({"days": rows, "bands": bands})
        return
    out.print(
        _table(
            "market days (fen per tonne)",
            ["day", "type", "open", "high", "low", "close (VWAP)", "volume t", "turnover yuan"],
            [
                [
                    r["day"],
                    r["project_type"],
                    r["open_fen_per_t"],
                    r["high_fen_per_t"],
                    r["low_fen_per_t"],
                    r["close_fen_per_t"],
                    r["volume_t"],
                    r["turnover_yuan"],
                ]
                for r in rows
            ],
        )
    )
    band_rows = []
    for t in bands["types"]:
        band = t["band"] or {}
        band_rows.append(
            [
                t["project_type"],
                t["reference_price_fen_per_t"],
                t["previous_close_fen_per_t"],
                f"{band.get('low_fen_per_t', '')}-{band.get('high_fen_per_t', '')}" if band else "not posted",
                "halted" if t["halted"] else "",
            ]
        )
    out.print(
        _table(f"bands of {bands['day']}", ["type", "reference", "previous close", "band", "halt"], band_rows)
    )


@market_app.command("list")
def list_credits(
    batch: Annotated[int, typer.Argument(metavar="BATCH", help="The batch id")],
    amount_t: Annotated[str, typer.Argument(metavar="TONNES", help="e.g. 12.5")],
    token: Token = None,
    url: Url = None,
    data_dir: DataDir = None,
) -> None:
    """List credits for sale (with the seller's token): they move into escrow."""
    answer = service_request(
        "post",
        "/v1/listings",
        {"batch_id": batch, "amount_t": amount_t},
        url=url,
        token=token,
        data_dir=data_dir,
    )
    print_json(answer)


@market_app.command("cancel")
def cancel(
    listing: Annotated[int, typer.Argument(metavar="LISTING", help="The listing id")],
    token: Token = None,
    url: Url = None,
    data_dir: DataDir = None,
) -> None:
    """Cancel a listing (its seller, the exchange or a supervisor)."""
    print_json(
        service_request(
            "post", f"/v1/listings/{listing}/cancellation", url=url, token=token, data_dir=data_dir
        )
    )


@market_app.command("journal")
def journal(
    csv: Annotated[bool, typer.Option("--csv", help="One row per line, as CSV")] = False,
    year: Annotated[
        int | None, typer.Option("--year", metavar="YYYY", help="The year's disclosure table instead")
    ] = None,
    token: Token = None,
    url: Url = None,
    data_dir: DataDir = None,
) -> None:
    """The token's participant's carbon-asset journal (or yearly disclosure)."""
    if year is not None:
        print_json(
            service_request(
                "get", f"/v1/accounting/disclosure?year={year}", url=url, token=token, data_dir=data_dir
            )
        )
        return
    accept = "text/csv" if csv else "application/json"
    answer = service_request(
        "get", "/v1/accounting/journal", url=url, token=token, data_dir=data_dir, accept=accept
    )
    if csv:
        typer.echo(answer, nl=False)
    else:
        print_json(answer)


def verify_trade(
    trade_id: Annotated[int, typer.Argument(metavar="TRADE", help="The trade's id")],
    rpc_url: Annotated[
        str,
        typer.Option("--rpc-url", metavar="URL", help="The chain's JSON-RPC URL", envvar="TANHUI_RPC_URL"),
    ],
    contract: Annotated[
        str | None,
        typer.Option(
            "--contract", metavar="ADDRESS", help="TanhuiCredits address [default: the data dir's deployment]"
        ),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Check an exchange trade from the chain alone (no database, no API): seller, buyer,
    amount, price, the settling transaction and, for buy-and-retire, the certificate."""
    from chain.client import ChainClient
    from chain.compiler import compile_contracts
    from chain.contracts import Deployment
    from chain.deploy import deployment_path
    from chain.trades import TradeNotFound
    from chain.trades import verify_trade as check_trade
    from registry.amounts import tonnes

    settings = settings_from(data_dir=data_dir)
    try:
        client = ChainClient.connect(rpc_url)
        from_block = 0
        if contract is None:
            deployment = Deployment.load(deployment_path(settings.data_dir, client.chain_id))
            contract, from_block = deployment.credits, deployment.block_number
        compile_contracts(solc=settings.solc)
        evidence = check_trade(client, contract, trade_id, from_block=from_block)
    except TradeNotFound as e:
        fail(str(e))
    except ChainError as e:
        fail(str(e))
    data = evidence.to_json()
    data["settled_at_iso"] = datetime.fromtimestamp(data["settled_at"], UTC).isoformat()
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, title=f"trade {trade_id}: on chain {data['chain_id']}")
    for key, value in data.items():
        table.add_row(key, str(value))
    out.print(table)
    price = Decimal(data["price_fen_per_tonne"]) / 100
    say(f"trade {trade_id}: {tonnes(data['amount_kg'])} t at {price:.2f} yuan/t, from the chain alone")
