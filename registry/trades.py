"""Settlement: the exchange instructs the registry to deliver credits of a listing to a buyer at
a price, once per trade reference; the exchange contract delivers them from escrow in one
transaction (and, on request, retires them for the buyer at once: buy-and-retire).

The registry never holds money: the exchange settles the cash in its own books and reports the
price and the fees, which the participants' carbon-asset journals use (registry/journal.py).

An instruction is recorded before it is sent, keyed by the exchange's reference: the same
reference with the same body answers the same trade; with another body it is refused
(``trade_reference_reused``); a reference whose settlement the chain refused may be sent again.
Every condition the contract checks is checked first from the index, so the settlement is
signed with a fixed gas limit (it may have to wait for the day's band to be posted).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.contracts import Settlement
from registry import claims, listings, market, participants, spending, views
from registry.amounts import MAX_KG, tonnes
from registry.clock import now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import (
    BuyerIsSeller,
    ExceedsListing,
    Frozen,
    InvalidRequest,
    ListingNotOpen,
    NotFound,
    Paused,
    PriceOutOfBand,
    RecipientNotRegistered,
    TradeReferenceReused,
    TradingHalted,
)
from registry.models import (
    Batch,
    ChainOperation,
    ExchangeStatement,
    FrozenAccount,
    Listing,
    Participant,
    RegistryMeta,
    Retirement,
    Trade,
    TradeInstruction,
)
from registry.outbox import Outbox, describe
from registry.retirements import RetirementInput
from registry.states import PENDING_OPERATIONS, ListingState, OperationStatus, Standing

#: Fixed gas limits: a delivery ~120k; with a retirement and its details ~260k.
SETTLE_GAS = 400_000
SETTLE_AND_RETIRE_GAS = 700_000
MAX_FEE_FEN = 10**12


@dataclass(frozen=True)
class TradeInput:
    """The exchange's settlement instruction."""

    reference: str
    listing_id: int
    buyer: str  # the buyer's participant id
    amount_kg: int
    price_fen_per_t: int
    buyer_fee_fen: int = 0
    seller_fee_fen: int = 0
    retirement: RetirementInput | None = None

    def fingerprint(self) -> str:
        body = asdict(self)
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def trade_ref(reference: str) -> str:
    """The bytes32 of the exchange's reference on chain: the keccak256 of its text (always: two
    references never share one, and none is zero)."""
    return "0x" + keccak(text=reference).hex()


def settle(
    session: Session, outbox: Outbox, actor: Participant, body: TradeInput, *, block_min_kg: int
) -> tuple[TradeInstruction, list[int]]:
    """Records the instruction and its signed operations (the day's band first, if needed)."""
    reference = body.reference.strip()
    if not reference or len(reference) > 100 or not reference.isprintable():
        raise InvalidRequest("the trade reference is 1 to 100 printable characters", field="reference")
    if not 0 < body.amount_kg <= MAX_KG:
        raise InvalidRequest("the amount must be a positive number of kilograms", field="amount_t")
    if not 0 < body.price_fen_per_t <= market.MAX_PRICE_FEN:
        raise InvalidRequest("the price must be a positive number of fen per tonne", field="price_fen_per_t")
    for name in ("buyer_fee_fen", "seller_fee_fen"):
        if not 0 <= getattr(body, name) <= MAX_FEE_FEN:
            raise InvalidRequest(f"{name} must be 0 to {MAX_FEE_FEN}", field=name)
    details = body.retirement.to_chain() if body.retirement is not None else None
    fingerprint = replace(body, reference=reference).fingerprint()
    # The operator signs every settlement: its nonce row serialises them (and their checks).
    outbox.lock_account(session, outbox.operator.address)
    existing = session.execute(
        select(TradeInstruction).where(TradeInstruction.reference == reference)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.body_hash != fingerprint:
            raise TradeReferenceReused(
                f"trade reference {reference!r} was settled with another instruction", reference=reference
            )
        op = session.get(ChainOperation, existing.operation_id)
        if op is not None and op.status != OperationStatus.FAILED:
            return existing, []  # the same instruction again: the same trade

    # The listing's row, locked: a seller's cancellation (signed with the seller's key, so not
    # serialised by the operator's nonce) and the indexer's confirmation of a settlement wait.
    listing = session.get(Listing, body.listing_id, with_for_update=True)
    if listing is None:
        raise NotFound(f"no listing {body.listing_id}", listing=body.listing_id)
    if listing.state != ListingState.OPEN:
        raise ListingNotOpen(f"listing {listing.id} is {listing.state}", listing=listing.id)
    if listings.cancelling(session, listing.id) is not None:
        raise ListingNotOpen(f"listing {listing.id} is being cancelled", listing=listing.id)
    left = listing.remaining_kg - listings.pending_settlements(session, listing.id)
    if body.amount_kg > left:
        raise ExceedsListing(
            f"listing {listing.id} has {tonnes(left)} t left to settle, not {tonnes(body.amount_kg)} t",
            listing=listing.id,
            available_kg=left,
            requested_kg=body.amount_kg,
        )
    buyer = participants.get(session, body.buyer)
    if buyer.address == listing.seller:
        raise BuyerIsSeller(f"the buyer {buyer.public_id} is the listing's seller", field="buyer")
    if buyer.chain_status != Standing.ACTIVE:
        raise RecipientNotRegistered(
            f"the buyer {buyer.public_id} is not an active participant on chain", field="buyer"
        )
    spending.check_frozen(session, buyer)
    meta = session.get(RegistryMeta, 1)
    # What the contract checks of the seller and of the escrow the credits leave.
    for address, whose in (
        (listing.seller, "the seller's account"),
        (meta.exchange_address if meta else None, "the escrow"),
    ):
        if address is not None and session.get(FrozenAccount, address) is not None:
            raise Frozen(f"{whose} ({address}) is frozen", account=address)
    batch = session.get(Batch, listing.batch_id)
    if batch is not None and batch.frozen:
        raise Frozen(f"batch {listing.batch_id} is frozen", batch=listing.batch_id)
    if meta is not None and meta.credits_paused:
        raise Paused("the credits contract is paused")
    why = market.halted(session, listing.project_type, listing.batch_id)
    if why is not None:
        raise TradingHalted(
            why, project_type=market.TYPE_NAMES.get(listing.project_type), batch=listing.batch_id
        )
    if details is not None:
        claims.check_retirement(session, details.event_id)

    day = market.trading_day_open()
    band, band_op = market.ensure_band(session, outbox, listing.project_type, day, block_min_kg)
    block_trade = band.block_min_kg != 0 and body.amount_kg >= band.block_min_kg
    low, high = (band.block_low, band.block_high) if block_trade else (band.low, band.high)
    if not low <= body.price_fen_per_t <= high:
        raise PriceOutOfBand(
            f"{body.price_fen_per_t} fen/t is outside today's {'block-trade ' if block_trade else ''}band "
            f"[{low}, {high}] of {market.TYPE_NAMES.get(listing.project_type)}",
            low_fen_per_t=low,
            high_fen_per_t=high,
            block_trade=block_trade,
        )

    ref = trade_ref(reference)
    op = outbox.enqueue(
        session,
        kind="settle",
        call=outbox.calls.settle(
            Settlement(
                trade_ref=bytes.fromhex(ref[2:]),
                listing_id=listing.id,
                buyer=buyer.address,
                amount=body.amount_kg,
                price_fen_per_tonne=body.price_fen_per_t,
            ),
            details,
        ),
        signer=outbox.operator,
        payload={
            "reference": reference,
            "trade_ref": ref,
            "listing_id": listing.id,
            "buyer": buyer.public_id,
        },
        gas=SETTLE_AND_RETIRE_GAS if details is not None else SETTLE_GAS,
        depends_on=band_op,
    )
    retirement = None
    if body.retirement is not None:
        retirement = {k: (str(v) if isinstance(v, date) else v) for k, v in asdict(body.retirement).items()}
    if existing is not None:  # the chain refused it before: this is a new attempt
        instruction = existing
        instruction.operation_id = op.id
        instruction.created_at = now()
    else:
        instruction = TradeInstruction(
            reference=reference,
            trade_ref=ref,
            body_hash=fingerprint,
            listing_id=listing.id,
            buyer_id=buyer.id,
            amount_kg=body.amount_kg,
            price_fen_per_t=body.price_fen_per_t,
            buyer_fee_fen=body.buyer_fee_fen,
            seller_fee_fen=body.seller_fee_fen,
            retirement=retirement,
            requested_by=actor.id,
            operation_id=op.id,
            created_at=now(),
        )
        session.add(instruction)
    session.flush()
    return instruction, ([band_op.id] if band_op is not None else []) + [op.id]


def settle_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    body: TradeInput,
    *,
    block_min_kg: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Settles a trade; the answer carries the trade (and certificate) once the chain confirms it."""

    def action(session: Session, me: Participant) -> Done:
        instruction, ops = settle(session, outbox, me, body, block_min_kg=block_min_kg)
        return Done(Resource("trade_instruction", instruction.id), ops or [instruction.operation_id])

    return commands.run(actor, action, render_instruction, idempotency=idempotency)


# -- reading -------------------------------------------------------------------------------------


def _public_id(session: Session, address: str) -> str | None:
    return session.execute(
        select(Participant.public_id).where(Participant.address == address)
    ).scalar_one_or_none()


def trade_view(session: Session, trade: Trade) -> dict[str, Any]:
    instruction = session.execute(
        select(TradeInstruction).where(TradeInstruction.trade_ref == trade.trade_ref)
    ).scalar_one_or_none()
    view: dict[str, Any] = {
        "trade_id": trade.id,
        "reference": instruction.reference if instruction is not None else None,
        "trade_ref": trade.trade_ref,
        "listing_id": trade.listing_id,
        "batch_id": trade.batch_id,
        "project_type": market.TYPE_NAMES.get(trade.project_type, str(trade.project_type)),
        "seller": _public_id(session, trade.seller),
        "seller_address": trade.seller,
        "buyer": _public_id(session, trade.buyer),
        "buyer_address": trade.buyer,
        "amount_t": tonnes(trade.amount_kg),
        "price_fen_per_t": trade.price_fen_per_t,
        "price_yuan_per_t": market.yuan(trade.price_fen_per_t),
        "value_yuan": market.yuan(trade_value_fen(trade.price_fen_per_t, trade.amount_kg)),
        "block_trade": trade.block_trade,
        "day": market.day_date(trade.day).isoformat(),
        "settled_at": market.utc_time(trade.settled_at),
        "certificate_id": trade.certificate_id,
        "chain": {"tx_hash": trade.tx_hash, "block_number": trade.block_number, "log_index": trade.log_index},
    }
    if trade.certificate_id is not None:
        cert = session.get(Retirement, trade.certificate_id)
        if cert is not None:
            view["certificate"] = views.retirement_view(session, cert)
    return view


def trade_value_fen(price_fen_per_t: int, amount_kg: int) -> int:
    """A trade's value in whole fen, half up."""
    return (price_fen_per_t * amount_kg * 2 + 1000) // 2000


def get_trade(session: Session, trade_id: int) -> dict[str, Any]:
    trade = session.get(Trade, trade_id)
    if trade is None:
        raise NotFound(f"no trade {trade_id}", trade=trade_id)
    return trade_view(session, trade)


def trades(
    session: Session,
    *,
    batch_id: int | None,
    listing_id: int | None,
    participant: str | None,
    day: int | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    query = select(Trade)
    if batch_id is not None:
        query = query.where(Trade.batch_id == batch_id)
    if listing_id is not None:
        query = query.where(Trade.listing_id == listing_id)
    if participant is not None:
        query = query.where((Trade.buyer == participant) | (Trade.seller == participant))
    if day is not None:
        query = query.where(Trade.day == day)
    rows = session.execute(query.order_by(Trade.id).limit(limit).offset(offset)).scalars()
    return [trade_view(session, row) for row in rows]


def instruction_view(session: Session, instruction: TradeInstruction) -> dict[str, Any]:
    op = session.get(ChainOperation, instruction.operation_id)
    assert op is not None
    trade = session.execute(
        select(Trade).where(Trade.trade_ref == instruction.trade_ref)
    ).scalar_one_or_none()
    buyer = session.get(Participant, instruction.buyer_id)
    status = (
        "settled" if trade is not None else ("pending" if op.status in PENDING_OPERATIONS else str(op.status))
    )
    return {
        "reference": instruction.reference,
        "trade_ref": instruction.trade_ref,
        "status": status,
        "listing_id": instruction.listing_id,
        "buyer": buyer.public_id if buyer else None,
        "amount_t": tonnes(instruction.amount_kg),
        "price_fen_per_t": instruction.price_fen_per_t,
        "buyer_fee_fen": instruction.buyer_fee_fen,
        "seller_fee_fen": instruction.seller_fee_fen,
        "retire": instruction.retirement is not None,
        "operation": describe(op),
        "trade_id": trade.id if trade is not None else None,
        "trade": trade_view(session, trade) if trade is not None else None,
    }


def render_instruction(session: Session, resource: Resource) -> dict[str, Any]:
    instruction = session.get(TradeInstruction, int(resource.id))
    assert instruction is not None
    return instruction_view(session, instruction)


def instruction_by_reference(session: Session, reference: str) -> dict[str, Any]:
    row = session.execute(
        select(TradeInstruction).where(TradeInstruction.reference == reference)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no settlement instruction {reference!r}", reference=reference)
    return instruction_view(session, row)


# -- the exchange's end-of-day statement ------------------------------------------------------


@dataclass(frozen=True)
class StatementTrade:
    reference: str
    listing_id: int
    buyer: str
    amount_kg: int
    price_fen_per_t: int


@dataclass(frozen=True)
class StatementEscrow:
    listing_id: int
    remaining_kg: int


def compare_statement(
    session: Session,
    actor: Participant,
    *,
    day: date,
    statement_trades: list[StatementTrade],
    escrow: list[StatementEscrow],
) -> dict[str, Any]:
    """The differences between the exchange's end-of-day statement (its trades of trading day
    `day` and the escrow of every open listing it knows) and the registry's index; recorded."""
    differences: list[dict[str, Any]] = []
    number = market.date_day(day)
    ours: dict[str, Trade] = {}
    for trade in session.execute(select(Trade).where(Trade.day == number).order_by(Trade.id)).scalars():
        instruction = session.execute(
            select(TradeInstruction.reference).where(TradeInstruction.trade_ref == trade.trade_ref)
        ).scalar_one_or_none()
        ours[instruction or trade.trade_ref] = trade
    seen: set[str] = set()
    for theirs in statement_trades:
        if theirs.reference in seen:
            differences.append({"kind": "trade_repeated_in_statement", "reference": theirs.reference})
            continue
        seen.add(theirs.reference)
        found = ours.get(theirs.reference)
        if found is None:
            pending = session.execute(
                select(TradeInstruction)
                .join(ChainOperation, ChainOperation.id == TradeInstruction.operation_id)
                .where(
                    TradeInstruction.reference == theirs.reference,
                    ChainOperation.status.in_(PENDING_OPERATIONS),
                )
            ).scalar_one_or_none()
            kind = "trade_pending_in_registry" if pending is not None else "trade_missing_in_registry"
            differences.append({"kind": kind, "reference": theirs.reference})
            continue
        buyer = _public_id(session, found.buyer)
        for name, registry_value, exchange_value in (
            ("listing_id", found.listing_id, theirs.listing_id),
            ("buyer", buyer, theirs.buyer),
            ("amount_kg", found.amount_kg, theirs.amount_kg),
            ("price_fen_per_t", found.price_fen_per_t, theirs.price_fen_per_t),
        ):
            if registry_value != exchange_value:
                differences.append(
                    {
                        "kind": "trade_differs",
                        "reference": theirs.reference,
                        "field": name,
                        "registry": registry_value,
                        "exchange": exchange_value,
                    }
                )
    for reference, trade in ours.items():
        if reference not in seen:
            differences.append(
                {"kind": "trade_missing_in_statement", "reference": reference, "trade_id": trade.id}
            )
    open_listings = {
        row.id: row
        for row in session.execute(select(Listing).where(Listing.state == ListingState.OPEN)).scalars()
    }
    believed: set[int] = set()
    for position in escrow:
        believed.add(position.listing_id)
        listing = open_listings.get(position.listing_id)
        if listing is None:
            differences.append({"kind": "escrow_missing_in_registry", "listing_id": position.listing_id})
        elif listing.remaining_kg != position.remaining_kg:
            differences.append(
                {
                    "kind": "escrow_differs",
                    "listing_id": position.listing_id,
                    "field": "remaining_kg",
                    "registry": listing.remaining_kg,
                    "exchange": position.remaining_kg,
                }
            )
    for listing_id in sorted(set(open_listings) - believed):
        differences.append({"kind": "escrow_missing_in_statement", "listing_id": listing_id})
    meta = session.get(RegistryMeta, 1)
    indexed = meta.indexed_block if meta is not None else 0
    row = ExchangeStatement(
        day=day,
        submitted_by=actor.id,
        statement={
            "trades": [asdict(t) for t in statement_trades],
            "escrow": [asdict(e) for e in escrow],
        },
        differences=differences,
        indexed_block=indexed,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return {
        "statement_id": row.id,
        "day": day.isoformat(),
        "indexed_block": indexed,
        "trades": len(statement_trades),
        "escrow_positions": len(escrow),
        "agreed": not differences,
        "differences": differences,
    }
