"""The exchange through HTTP, on SQLite and PostgreSQL: a listing's credits in escrow, settlement
within the day's band (listed and block trades), partial fills, buy-and-retire, halts, the
refusals (each with its code and nothing written), market data, the end-of-day statement, the
accounts' journals, and reconcile over listings, escrow and trades."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from chain.contracts import ListingState
from registry.models import ChainOperation, Holding, Listing, Trade, TradeInstruction
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import BOILER_NET_KG, Api

REFERENCE_FEN = 6_000  # 60.00 yuan per tonne


class Market:
    """A seller with an issued batch, a buyer, the exchange and a supervisor."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.batch, self.seller, _ = api.issued_batch()
        self.buyer = api.participant(["holder"])
        self.exchange = api.participant(["exchange"])
        self.supervisor = api.participant(["supervisor"])
        api.ok(
            "/v1/market/reference-prices",
            {"project_type": "energy-substitution", "price_fen_per_t": REFERENCE_FEN},
            api.operator,
        )
        self.refs = 0

    def listing(self, amount_t: str) -> dict[str, Any]:
        r = self.api.ok("/v1/listings", {"batch_id": self.batch, "amount_t": amount_t}, self.seller["token"])
        assert r["status"] == "confirmed", r
        listing: dict[str, Any] = r["listing"]
        return listing

    def trade(self, listing_id: int, amount_t: str, price: int, *, expect: int = 201, **extra: Any) -> Any:
        self.refs += 1
        body = {
            "reference": extra.pop("reference", f"SEEE-T-{self.refs}"),
            "listing_id": listing_id,
            "buyer": extra.pop("buyer", self.buyer["id"]),
            "amount_t": amount_t,
            "price_fen_per_t": price,
            **extra,
        }
        return self.api.post("/v1/trades", body, self.exchange["token"], expect=expect).json()


@pytest.fixture
def m(api: Api) -> Market:
    return Market(api)


def escrow_of(runtime: Runtime, batch_id: int) -> int:
    with runtime.db.reading() as session:
        held = session.get(Holding, (runtime.deployment.exchange, batch_id))
        return held.amount_kg if held is not None else 0


def test_listing__moves_credits_into_escrow_and_the_order_book_shows_it(
    api: Api, m: Market, runtime: Runtime
) -> None:
    listing = m.listing("100")
    assert listing["state"] == "open" and listing["remaining_t"] == "100.000"
    assert listing["project_type"] == "energy-substitution"
    assert escrow_of(runtime, m.batch) == 100_000
    on_chain = runtime.tanhui.listing(listing["listing_id"])
    assert on_chain.state == ListingState.OPEN and on_chain.remaining == 100_000
    assert runtime.tanhui.balance_of(runtime.deployment.exchange, m.batch) == 100_000
    book = api.get("/v1/listings")
    assert [row["listing_id"] for row in book] == [listing["listing_id"]]
    seller = api.get("/v1/participants/me", m.seller["token"])
    assert seller["holdings"][0]["amount_t"] == f"{(BOILER_NET_KG - 100_000) / 1000:.3f}"
    # What is listed cannot be spent again.
    r = api.post(
        "/v1/listings",
        {"batch_id": m.batch, "amount_kg": BOILER_NET_KG - 99_999},
        m.seller["token"],
        expect=409,
    )
    assert r.json()["error"]["code"] == "insufficient_balance"


def test_settlement__within_the_band_partial_fills_then_filled(api: Api, m: Market, runtime: Runtime) -> None:
    listing = m.listing("10")
    first = m.trade(listing["listing_id"], "4", REFERENCE_FEN + 500, buyer_fee_fen=120)
    assert first["status"] == "settled", first
    trade = first["trade"]
    assert trade["amount_t"] == "4.000" and trade["price_fen_per_t"] == 6_500 and not trade["block_trade"]
    assert trade["value_yuan"] == "260.00"
    receipt = runtime.client.w3.eth.get_transaction_receipt(trade["chain"]["tx_hash"])  # type: ignore[arg-type]
    assert receipt["status"] == 1
    assert api.get(f"/v1/trades/{trade['trade_id']}")["trade_ref"] == first["trade_ref"]
    partly = api.get(f"/v1/listings/{listing['listing_id']}")
    assert partly["remaining_t"] == "6.000" and (partly["closed_tx"], partly["closed_block"]) == (None, None)
    second = m.trade(listing["listing_id"], "6", REFERENCE_FEN - 600)
    assert second["status"] == "settled"
    done = api.get(f"/v1/listings/{listing['listing_id']}")
    assert done["state"] == "filled" and done["remaining_t"] == "0.000"
    closing = second["trade"]["chain"]  # the fill that closed it
    assert (done["closed_tx"], done["closed_block"]) == (closing["tx_hash"], closing["block_number"])
    assert escrow_of(runtime, m.batch) == 0
    buyer = api.get("/v1/participants/me", m.buyer["token"])
    assert buyer["holdings"][0]["amount_t"] == "10.000"
    # The band was posted on chain for today, centred on the reference price: [5400, 6600].
    bands = api.get("/v1/market/bands")
    energy = next(t for t in bands["types"] if t["project_type"] == "energy-substitution")
    assert (
        energy["posted"]
        and energy["band"]["low_fen_per_t"] == 5_400
        and energy["band"]["high_fen_per_t"] == 6_600
    )
    days = api.get("/v1/market/days")
    assert len(days) == 1
    day = days[0]
    assert (day["open_fen_per_t"], day["high_fen_per_t"], day["low_fen_per_t"], day["last_fen_per_t"]) == (
        6_500,
        6_500,
        5_400,
        5_400,
    )
    # VWAP: (4 x 6500 + 6 x 5400) / 10 = 5840
    assert (
        day["close_fen_per_t"] == 5_840 and day["volume_t"] == "10.000" and day["turnover_yuan"] == "584.00"
    )
    assert reconcile(runtime).ok


def test_settlement__refusals_write_nothing(api: Api, m: Market, runtime: Runtime) -> None:
    listing = m.listing("5")
    lid = listing["listing_id"]

    def refused(code: str, **kwargs: Any) -> None:
        with runtime.db.reading() as session:
            before = (
                session.scalar(select(func.count()).select_from(ChainOperation)),
                session.scalar(select(func.count()).select_from(TradeInstruction)),
            )
        status = kwargs.pop("status", 409)
        body = m.trade(
            kwargs.pop("listing_id", lid),
            kwargs.pop("amount_t", "1"),
            kwargs.pop("price", REFERENCE_FEN),
            expect=status,
            **kwargs,
        )
        assert body["error"]["code"] == code, body
        with runtime.db.reading() as session:
            after = (
                session.scalar(select(func.count()).select_from(ChainOperation)),
                session.scalar(select(func.count()).select_from(TradeInstruction)),
            )
        assert after == before

    refused("price_out_of_band", price=REFERENCE_FEN * 2)
    refused("price_out_of_band", price=5_399)
    refused("exceeds_listing", amount_t="5.001")
    refused("buyer_is_seller", buyer=m.seller["id"])
    refused("not_found", buyer="par_nobody", status=404)
    refused("not_found", listing_id=999, status=404)
    r = api.post(
        "/v1/trades",
        {"reference": "X", "listing_id": lid, "buyer": m.buyer["id"], "amount_t": "1", "price_fen_per_t": 0},
        m.exchange["token"],
        expect=422,
    )
    assert r.status_code == 422
    # Only the exchange settles.
    r = api.post(
        "/v1/trades",
        {
            "reference": "X",
            "listing_id": lid,
            "buyer": m.buyer["id"],
            "amount_t": "1",
            "price_fen_per_t": 6000,
        },
        m.buyer["token"],
        expect=403,
    )
    # A halt of the project type stops settlements; listings can still be cancelled.
    api.ok(
        "/v1/market/halts",
        {"project_type": "energy-substitution", "halted": True, "reason": "dispute"},
        m.supervisor["token"],
    )
    assert api.get("/v1/market/halts")[0]["scope"] == "project_type"
    refused("trading_halted")
    api.ok(
        "/v1/market/halts",
        {"project_type": "energy-substitution", "halted": False, "reason": "resolved"},
        m.supervisor["token"],
    )
    api.ok(
        "/v1/market/halts", {"batch_id": m.batch, "halted": True, "reason": "review"}, m.supervisor["token"]
    )
    refused("trading_halted")
    cancelled = api.ok(f"/v1/listings/{lid}/cancellation", None, m.seller["token"])
    assert cancelled["state"] == "cancelled"
    closed_in = runtime.client.get_transaction(cancelled["closed_tx"])["blockNumber"]
    assert cancelled["closed_block"] == closed_in
    refused("listing_not_open")
    assert escrow_of(runtime, m.batch) == 0
    assert reconcile(runtime).ok


def test_trade_reference__same_body_same_trade_other_body_conflict(api: Api, m: Market) -> None:
    listing = m.listing("3")
    first = m.trade(listing["listing_id"], "1", REFERENCE_FEN, reference="REF-1")
    again = m.trade(listing["listing_id"], "1", REFERENCE_FEN, reference="REF-1")
    assert again["trade_id"] == first["trade_id"]
    other = m.trade(listing["listing_id"], "2", REFERENCE_FEN, reference="REF-1", expect=409)
    assert other["error"]["code"] == "trade_reference_reused"
    assert len(api.get("/v1/trades")) == 1


def test_buy_and_retire__certificate_for_the_buyer(api: Api, m: Market, runtime: Runtime) -> None:
    listing = m.listing("2")
    r = m.trade(
        listing["listing_id"],
        "2",
        REFERENCE_FEN,
        retirement={
            "beneficiary": "Chengdu Marathon Expo",
            "purpose": "event_neutrality",
            "event_id": "expo-2026",
        },
    )
    trade = r["trade"]
    assert trade["certificate_id"] is not None
    cert = trade["certificate"]
    assert cert["holder"]["address"] == m.buyer["address"] and cert["beneficiary"] == "Chengdu Marathon Expo"
    on_chain = runtime.tanhui.retirement(trade["certificate_id"])
    assert on_chain.holder == m.buyer["address"] and on_chain.amount == 2_000
    assert api.get("/v1/participants/me", m.buyer["token"])["holdings"] == []
    assert reconcile(runtime).ok


def test_block_trade__wider_band_from_the_block_size(api: Api, m: Market, runtime: Runtime) -> None:
    runtime.settings.block_trade_min_kg = 50_000
    listing = m.listing("60")
    small = m.trade(listing["listing_id"], "10", 7_000, expect=409)  # a listed trade: band [5400, 6600]
    assert small["error"]["code"] == "price_out_of_band"
    big = m.trade(listing["listing_id"], "50", 7_000)  # a block trade: band [4200, 7800]
    assert big["trade"]["block_trade"] is True


def test_statement__agrees_then_names_each_difference(api: Api, m: Market) -> None:
    listing = m.listing("5")
    r = m.trade(listing["listing_id"], "2", REFERENCE_FEN, reference="EOD-1")
    day = r["trade"]["day"]
    good = {
        "day": day,
        "trades": [
            {
                "reference": "EOD-1",
                "listing_id": listing["listing_id"],
                "buyer": m.buyer["id"],
                "amount_kg": 2000,
                "price_fen_per_t": REFERENCE_FEN,
            }
        ],
        "escrow": [{"listing_id": listing["listing_id"], "remaining_kg": 3000}],
    }
    assert api.ok("/v1/exchange/statements", good, m.exchange["token"])["agreed"] is True
    bad = {
        "day": day,
        "trades": [
            {
                "reference": "EOD-1",
                "listing_id": listing["listing_id"],
                "buyer": m.buyer["id"],
                "amount_kg": 2000,
                "price_fen_per_t": REFERENCE_FEN + 1,
            },
            {
                "reference": "EOD-X",
                "listing_id": listing["listing_id"],
                "buyer": m.buyer["id"],
                "amount_kg": 1,
                "price_fen_per_t": REFERENCE_FEN,
            },
        ],
        "escrow": [{"listing_id": listing["listing_id"], "remaining_kg": 2999}],
    }
    result = api.ok("/v1/exchange/statements", bad, m.exchange["token"])
    kinds = sorted((d["kind"], d.get("field")) for d in result["differences"])
    assert kinds == [
        ("escrow_differs", "remaining_kg"),
        ("trade_differs", "price_fen_per_t"),
        ("trade_missing_in_registry", None),
    ]


def test_journal__buyer_and_seller_entries_balance(api: Api, m: Market) -> None:
    listing = m.listing("10")
    m.trade(listing["listing_id"], "10", 6_000, buyer_fee_fen=300, seller_fee_fen=300)
    buyer = api.get("/v1/accounting/journal", m.buyer["token"])
    [entry] = buyer["entries"]
    assert [(ln["account"], ln["debit_fen"], ln["credit_fen"]) for ln in entry["lines"]] == [
        ("1489", 60_300, 0),
        ("1002", 0, 60_300),
    ]
    seller = api.get("/v1/accounting/journal", m.seller["token"])
    [sale] = seller["entries"]  # issued credits carry no cost: the sale is income in full
    assert [(ln["account"], ln["debit_fen"], ln["credit_fen"]) for ln in sale["lines"]] == [
        ("1002", 59_700, 0),
        ("6301", 0, 59_700),
    ]
    csv = api.http.get("/v1/accounting/journal", headers={**api.auth(m.buyer["token"]), "Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "603.00" in csv.text
    year = int(entry["date"][:4])
    rows = {r["item"]: r for r in api.get(f"/v1/accounting/disclosure?year={year}", m.buyer["token"])["rows"]}
    assert rows["purchased"]["yuan"] == "603.00" and rows["closing"]["tonnes"] == "10.000"


def test_reconcile__finds_escrow_and_trade_drift(api: Api, m: Market, runtime: Runtime) -> None:
    listing = m.listing("4")
    m.trade(listing["listing_id"], "1", REFERENCE_FEN)
    assert reconcile(runtime).ok
    with runtime.db.transaction() as session:
        session.get(Listing, listing["listing_id"]).remaining_kg = 2_000  # type: ignore[union-attr]
    lid = listing["listing_id"]

    def differences() -> list[tuple[str, str, Any, Any]]:
        return [(d["subject"], d["field"], d["database"], d["chain"]) for d in reconcile(runtime).differences]

    assert (f"listing {lid}", "remaining_kg", 2_000, 3_000) in differences()
    with runtime.db.transaction() as session:
        session.get(Listing, listing["listing_id"]).remaining_kg = 3_000  # type: ignore[union-attr]
        trade = session.execute(select(Trade)).scalar_one()
        trade.price_fen_per_t += 1
        trade_id, price = trade.id, trade.price_fen_per_t
    assert (f"trade {trade_id}", "price_fen_per_t", price, price - 1) in differences()
    with runtime.db.transaction() as session:
        session.execute(select(Trade)).scalar_one().price_fen_per_t -= 1
    # The index lost the trade: the chain counts one more.
    with runtime.db.transaction() as session:
        row = session.execute(select(Trade)).scalar_one()
        kept = {column.key: getattr(row, column.key) for column in Trade.__mapper__.column_attrs}
        session.delete(row)
    assert ("trades", "count", 0, 1) in differences()
    with runtime.db.transaction() as session:
        session.add(Trade(**kept))
    assert reconcile(runtime).ok
    with runtime.db.transaction() as session:
        # The index lost the open listing (recorded cancelled): the escrow still holds its 3 t,
        # which no open listing of the index accounts for.
        session.get(Listing, listing["listing_id"]).state = "cancelled"  # type: ignore[union-attr]
    assert (f"escrow batch {m.batch}", "open listings' remaining_kg", 0, 3_000) in differences()
    with runtime.db.transaction() as session:
        session.get(Listing, listing["listing_id"]).state = "open"  # type: ignore[union-attr]
    assert reconcile(runtime).ok


def test_trade_reference__is_hashed_text_so_look_alike_references_never_collide(api: Api, m: Market) -> None:
    """A reference that looks like a bytes32 is text like any other: its upper-case twin and the
    zero hash are other references (no shared or zero reference on chain, no 500)."""
    listing = m.listing("3")
    hexlike = "0x" + "ab" * 32
    for reference in (hexlike, hexlike.upper().replace("0X", "0x"), "0x" + "0" * 64):
        r = m.trade(listing["listing_id"], "1", REFERENCE_FEN, reference=reference)
        assert r["status"] == "settled" and r["trade_ref"] != reference.lower(), r
    assert len({t["trade_ref"] for t in api.get("/v1/trades")}) == 3


def test_settlement__frozen_escrow_refused_before_anything_is_signed(
    api: Api, m: Market, runtime: Runtime
) -> None:
    listing = m.listing("2")
    with runtime.db.transaction() as session:
        from registry.models import FrozenAccount

        session.add(FrozenAccount(address=runtime.deployment.exchange, reason="test", block_number=0))
    with runtime.db.reading() as session:
        before = session.scalar(select(func.count()).select_from(ChainOperation))
    r = m.trade(listing["listing_id"], "1", REFERENCE_FEN, expect=409)
    assert r["error"]["code"] == "frozen" and "escrow" in r["error"]["message"]
    again = api.post("/v1/listings", {"batch_id": m.batch, "amount_t": "1"}, m.seller["token"], expect=409)
    assert again.json()["error"]["code"] == "frozen"
    with runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ChainOperation)) == before


def test_views__a_project_type_the_registry_does_not_name_is_shown_not_a_500(
    api: Api, runtime: Runtime
) -> None:
    """The contract takes any non-zero uint8 type: a halt of type 7 on chain shows as "7"."""
    from registry.models import MarketSetting

    with runtime.db.transaction() as session:
        session.add(MarketSetting(kind="type_halt", key="7", value=1, reason="odd", block_number=1))
    [halt] = api.get("/v1/market/halts")
    assert halt["project_type"] == "7" and halt["reason"] == "odd"


def test_refusals__frozen_batch_and_accounts_cancelled_and_filled_listings(
    api: Api, m: Market, runtime: Runtime
) -> None:
    """Each refusal names its code and writes nothing on chain or in the database."""

    def operations() -> int:
        with runtime.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(ChainOperation)) or 0)

    listing = m.listing("4")
    lid = listing["listing_id"]
    sup = m.supervisor["token"]
    # A frozen buyer receives nothing; a frozen seller's listing is not settled.
    for who in (m.buyer, m.seller):
        api.ok(f"/v1/supervision/accounts/{who['id']}/freeze", {"reason": "dispute"}, sup)
        before = operations()
        assert m.trade(lid, "1", REFERENCE_FEN, expect=409)["error"]["code"] == "frozen"
        assert operations() == before
        api.ok(f"/v1/supervision/accounts/{who['id']}/unfreeze", {"reason": "resolved"}, sup)
    # A frozen batch is neither listed nor settled.
    api.ok(f"/v1/supervision/batches/{m.batch}/freeze", {"reason": "review"}, sup)
    before = operations()
    r = api.post("/v1/listings", {"batch_id": m.batch, "amount_t": "1"}, m.seller["token"], expect=409)
    assert r.json()["error"]["code"] == "frozen"
    assert m.trade(lid, "1", REFERENCE_FEN, expect=409)["error"]["code"] == "frozen"
    assert operations() == before
    api.ok(f"/v1/supervision/batches/{m.batch}/unfreeze", {"reason": "cleared"}, sup)
    # Filled: nothing more settles, and it cannot be cancelled.
    assert m.trade(lid, "4", REFERENCE_FEN)["status"] == "settled"
    before = operations()
    assert m.trade(lid, "1", REFERENCE_FEN, expect=409)["error"]["code"] == "listing_not_open"
    r = api.post(f"/v1/listings/{lid}/cancellation", None, m.seller["token"], expect=409)
    assert r.json()["error"]["code"] == "listing_not_open"
    # Another seller's listing is not the buyer's to cancel.
    other = m.listing("1")
    r = api.post(f"/v1/listings/{other['listing_id']}/cancellation", None, m.buyer["token"], expect=403)
    assert operations() == before + 1  # the new listing's operation only
    assert reconcile(runtime).ok
