"""A participant's carbon-asset journal and yearly disclosure (R25), from the index: what it was
issued, bought, sold, retired, gave, received and had invalidated, in chain order, priced by the
trades the exchange settled and the fees it reported (registry/accounting.py does the accounts).

Moves into and out of the exchange's escrow are not facts: listing credits does not derecognise
them; the sale does, at settlement. A settlement's delivery is the buyer's purchase.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry import accounting
from registry.models import (
    Batch,
    BlockTime,
    Invalidation,
    Participant,
    RegistryMeta,
    Retirement,
    Trade,
    TradeInstruction,
    Transfer,
)


def _exchange(session: Session) -> str | None:
    meta = session.get(RegistryMeta, 1)
    return meta.exchange_address if meta is not None else None


def facts(session: Session, participant: Participant) -> list[accounting.Fact]:
    """The participant's facts, in chain order (block, log index)."""
    address = participant.address
    escrow = _exchange(session)
    times = _block_times(session, address)
    found: list[tuple[int, int, accounting.Fact]] = []

    def at(block: int) -> datetime:
        return datetime.fromtimestamp(times.get(block, 0), UTC)

    for b in session.execute(select(Batch).where(Batch.recipient == address)).scalars():
        found.append(
            (
                b.block_number,
                -1,
                accounting.Issued(
                    at=at(b.block_number), batch_id=b.id, kg=b.issued_kg, reference=f"batch {b.id}"
                ),
            )
        )
    fees = {
        row.trade_ref: row
        for row in session.execute(
            select(TradeInstruction).where(
                TradeInstruction.trade_ref.in_(
                    select(Trade.trade_ref).where(or_(Trade.buyer == address, Trade.seller == address))
                )
            )
        ).scalars()
    }
    # Where each settlement delivered to the participant (escrow -> it): the purchase's place in
    # chain order, before a buy-and-retire's retirement in the same transaction.
    deliveries = {
        x.tx_hash: x.log_index
        for x in session.execute(
            select(Transfer).where(Transfer.sender == escrow, Transfer.recipient == address)
        ).scalars()
    }
    for t in session.execute(
        select(Trade).where(or_(Trade.buyer == address, Trade.seller == address))
    ).scalars():
        instruction = fees.get(t.trade_ref)
        when = datetime.fromtimestamp(t.settled_at, UTC)
        reference = f"trade {t.id}"
        if t.buyer == address:
            fee = instruction.buyer_fee_fen if instruction is not None else 0
            found.append(
                (
                    t.block_number,
                    deliveries.get(t.tx_hash, t.log_index),
                    accounting.Purchased(
                        at=when,
                        batch_id=t.batch_id,
                        kg=t.amount_kg,
                        reference=reference,
                        price_fen_per_t=t.price_fen_per_t,
                        fee_fen=fee,
                    ),
                )
            )
        if t.seller == address:
            fee = instruction.seller_fee_fen if instruction is not None else 0
            found.append(
                (
                    t.block_number,
                    t.log_index,
                    accounting.Sold(
                        at=when,
                        batch_id=t.batch_id,
                        kg=t.amount_kg,
                        reference=reference,
                        price_fen_per_t=t.price_fen_per_t,
                        fee_fen=fee,
                    ),
                )
            )
    for r in session.execute(select(Retirement).where(Retirement.holder == address)).scalars():
        found.append(
            (
                r.block_number,
                r.log_index,
                accounting.Retired(
                    at=datetime.fromtimestamp(r.retired_at, UTC),
                    batch_id=r.batch_id,
                    kg=r.amount_kg,
                    reference=f"certificate {r.certificate_id}",
                ),
            )
        )
    transfers = session.execute(
        select(Transfer)
        .where(or_(Transfer.sender == address, Transfer.recipient == address))
        .order_by(Transfer.block_number, Transfer.log_index, Transfer.item)  # a batch transfer's in its order
    ).scalars()
    for x in transfers:
        if escrow is not None and escrow in (x.sender, x.recipient):
            continue  # into or out of escrow: listings, cancellations, settlements
        kind = accounting.TransferredOut if x.sender == address else accounting.TransferredIn
        found.append(
            (
                x.block_number,
                x.log_index,
                kind(
                    at=at(x.block_number),
                    batch_id=x.batch_id,
                    kg=x.amount_kg,
                    reference=f"transfer {x.tx_hash[:10]}",
                ),
            )
        )
    for i in session.execute(select(Invalidation).where(Invalidation.holder == address)).scalars():
        found.append(
            (
                i.block_number,
                i.log_index,
                accounting.Invalidated(
                    at=at(i.block_number),
                    batch_id=i.batch_id,
                    kg=i.amount_kg,
                    reference=f"invalidation {i.tx_hash[:10]}",
                ),
            )
        )
    found.sort(key=lambda item: (item[0], item[1]))
    # In chain order, times never go back (a block whose time the index lacks takes its
    # predecessor's).
    ordered: list[accounting.Fact] = []
    for _, _, fact in found:
        if ordered and fact.at < ordered[-1].at:
            fact = replace(fact, at=ordered[-1].at)
        ordered.append(fact)
    return ordered


def _block_times(session: Session, address: str) -> dict[int, int]:
    """The times of the blocks of the participant's issuances, transfers and invalidations."""
    blocks = (
        select(Batch.block_number)
        .where(Batch.recipient == address)
        .union(
            select(Transfer.block_number).where(
                or_(Transfer.sender == address, Transfer.recipient == address)
            ),
            select(Invalidation.block_number).where(Invalidation.holder == address),
        )
        .subquery()
    )
    rows = session.execute(
        select(BlockTime.block_number, BlockTime.timestamp).where(
            BlockTime.block_number.in_(select(blocks.c.block_number))
        )
    ).all()
    return {int(n): int(t) for n, t in rows}


def journal(session: Session, participant: Participant) -> list[accounting.Entry]:
    return accounting.journal(facts(session, participant))


def journal_view(session: Session, participant: Participant) -> dict[str, Any]:
    found = facts(session, participant)
    entries = accounting.journal(found)
    positions = accounting.positions(found)
    return {
        "participant": participant.public_id,
        "cost_method": "weighted average per batch",
        "entries": [accounting.entry_dict(e) for e in entries],
        "positions": [
            {"batch_id": p.batch_id, "amount_t": str(p.tonnes), "cost_yuan": str(p.yuan)}
            for p in positions.values()
            if p.kg
        ],
    }


def journal_csv(session: Session, participant: Participant) -> str:
    return accounting.journal_csv(journal(session, participant))


def disclosure_view(session: Session, participant: Participant, year: int) -> dict[str, Any]:
    return {
        "participant": participant.public_id,
        **accounting.disclosure_dict(accounting.disclosure(facts(session, participant), year)),
    }
