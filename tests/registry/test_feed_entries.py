"""The exchange feed's entry of each event it mirrors (``indexer.feed_entry``), field by field.

The feed is read by an exchange's own software (R18): a renamed kind or field, or a value taken
from the wrong argument, breaks it without any error on our side. These are the entries as the
feed documents them, from events with every argument set to a distinct value."""

from __future__ import annotations

from typing import Any

import pytest

from chain.events import ChainEvent
from registry.indexer import feed_entry

SELLER = "0x" + "5e" * 20
BUYER = "0x" + "b0" * 20
HOLDER = "0x" + "4d" * 20
SUPERVISOR = "0x" + "50" * 20
PROJECT = bytes.fromhex("ab" * 32)
TRADE_REF = bytes.fromhex("7f" * 32)


def event(name: str, **args: Any) -> ChainEvent:
    return ChainEvent(
        contract="TanhuiMarket",
        name=name,
        args=args,
        block_number=12,
        tx_hash="0x" + "11" * 32,
        log_index=3,
        address="0x" + "22" * 20,
    )


CASES: list[tuple[ChainEvent, tuple[str, dict[str, Any]]]] = [
    (
        event(
            "CreditsIssued", batchId=7, projectId=PROJECT, recipient=HOLDER, amount=950_000,
            periodStart=1_735_689_600, periodEnd=1_743_379_200, reportHash=bytes(32),
        ),
        ("issuance", {
            "batch_id": 7, "project_id": "0x" + "ab" * 32, "recipient": HOLDER, "amount_kg": 950_000,
            "period_start": 1_735_689_600, "period_end": 1_743_379_200,
        }),
    ),
    (
        event("Listed", listingId=4, seller=SELLER, batchId=7, projectType=2, amount=1_500),
        ("listing", {
            "listing_id": 4, "seller": SELLER, "batch_id": 7, "project_type": 2, "amount_kg": 1_500,
        }),
    ),
    (
        event("ListingCancelled", listingId=4, by=SUPERVISOR, returned=1_200),
        ("listing_cancelled", {"listing_id": 4, "by": SUPERVISOR, "returned_kg": 1_200}),
    ),
    (
        event(
            "TradeSettled", tradeId=9, tradeRef=TRADE_REF, listingId=4, buyer=BUYER, amount=300,
            priceFenPerTonne=5_600, blockTrade=True, certificateId=0,
        ),
        ("trade", {
            "trade_id": 9, "trade_ref": "0x" + "7f" * 32, "listing_id": 4, "buyer": BUYER,
            "amount_kg": 300, "price_fen_per_t": 5_600, "block_trade": True, "certificate_id": None,
        }),
    ),
    (
        event(
            "TradeSettled", tradeId=10, tradeRef=TRADE_REF, listingId=4, buyer=BUYER, amount=1,
            priceFenPerTonne=5_601, blockTrade=False, certificateId=33,
        ),
        ("trade", {
            "trade_id": 10, "trade_ref": "0x" + "7f" * 32, "listing_id": 4, "buyer": BUYER,
            "amount_kg": 1, "price_fen_per_t": 5_601, "block_trade": False, "certificate_id": 33,
        }),
    ),
    (
        event("CreditsRetired", certificateId=33, batchId=7, holder=HOLDER, amount=250, details=()),
        ("retirement", {"certificate_id": 33, "batch_id": 7, "holder": HOLDER, "amount_kg": 250}),
    ),
    (
        event("AccountFrozen", account=HOLDER, reason="court order"),
        ("account_frozen", {"account": HOLDER, "reason": "court order"}),
    ),
    (
        event("AccountUnfrozen", account=HOLDER, reason="lifted"),
        ("account_unfrozen", {"account": HOLDER, "reason": "lifted"}),
    ),
    (
        event("BatchFrozen", batchId=7, reason="double counting"),
        ("batch_frozen", {"batch_id": 7, "reason": "double counting"}),
    ),
    (
        event("BatchUnfrozen", batchId=7, reason="cleared"),
        ("batch_unfrozen", {"batch_id": 7, "reason": "cleared"}),
    ),
    (
        event("TypeHaltSet", projectType=2, halted=True, reason="methodology review"),
        ("halt", {
            "scope": "project_type", "project_type": 2, "halted": True, "reason": "methodology review",
        }),
    ),
    (
        event("BatchHaltSet", batchId=7, halted=False, reason="resumed"),
        ("halt", {"scope": "batch", "batch_id": 7, "halted": False, "reason": "resumed"}),
    ),
    (
        event("BandPosted", projectType=2, day=20_400, band=(5_000, 6_000, 4_500, 6_500, 100_000)),
        ("band", {
            "project_type": 2, "day": 20_400, "low_fen_per_t": 5_000, "high_fen_per_t": 6_000,
            "block_low_fen_per_t": 4_500, "block_high_fen_per_t": 6_500, "block_min_kg": 100_000,
        }),
    ),
    (
        event("ReferencePriceSet", projectType=2, priceFenPerTonne=5_550),
        ("reference_price", {"project_type": 2, "price_fen_per_t": 5_550}),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("e", "expected"), CASES, ids=[f"{e.name}-{i}" for i, (e, _) in enumerate(CASES)])
def test_feed_entry__each_mirrored_event_as_the_feed_documents_it(
    e: ChainEvent, expected: tuple[str, dict[str, Any]]
) -> None:
    assert feed_entry(e) == expected


@pytest.mark.parametrize(
    "name", ["TransferSingle", "TransferBatch", "ReportWithdrawn", "ParticipantRegistered"]
)
def test_feed_entry__events_the_exchange_does_not_mirror_have_none(name: str) -> None:
    assert feed_entry(event(name, id=1, value=1)) is None
