"""Listings: a holder offers credits of a batch on the exchange, signed with its own key. The
credits move into the exchange contract's escrow and leave it only when the listing is
cancelled (by the seller, the exchange or a supervisor) or settled (registry/trades.py).

What a holder can list is what it can spend (registry/spending.py): its indexed balance less
its pending transfers, retirements and listings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import market, spending
from registry.amounts import tonnes
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import (
    Forbidden,
    Frozen,
    InvalidState,
    ListingNotOpen,
    NotFound,
    Paused,
    SettlementPending,
)
from registry.models import (
    Batch,
    ChainOperation,
    CreditRequest,
    FrozenAccount,
    Listing,
    Participant,
    RegistryMeta,
    TradeInstruction,
)
from registry.outbox import Outbox, describe
from registry.states import PENDING_OPERATIONS, CreditRequestKind, ListingState, OperationStatus, Standing

#: Fixed gas limits: a listing reads the batch through the registry (~150k in all); a cancellation ~60k.
LIST_GAS = 400_000
CANCEL_GAS = 200_000


def create(
    session: Session, outbox: Outbox, actor: Participant, *, batch_id: int, amount_kg: int
) -> CreditRequest:
    outbox.lock_account(session, actor.address)
    spending.check_spend(session, actor, batch_id, amount_kg)
    meta = session.get(RegistryMeta, 1)
    if meta is not None and meta.exchange_address and session.get(FrozenAccount, meta.exchange_address):
        raise Frozen("the exchange's escrow is frozen: nothing is listed until a supervisor unfreezes it")
    methodology = market.methodology_of_batch(session, batch_id)
    market.type_of_batch(session, batch_id)
    type_op = market.ensure_type(session, outbox, methodology)
    return spending.spend(
        session,
        outbox,
        actor,
        kind=CreditRequestKind.LISTING,
        batch_id=batch_id,
        amount_kg=amount_kg,
        call=outbox.calls.list_credits(batch_id, amount_kg),
        gas=LIST_GAS,
        details={},
        payload={"seller": actor.public_id, "batch_id": batch_id, "amount_kg": amount_kg},
        depends_on=type_op,
    )


def create_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    batch_id: int,
    amount_kg: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Lists credits; the answer carries the listing once the chain confirms it."""

    def action(session: Session, me: Participant) -> Done:
        r = create(session, outbox, me, batch_id=batch_id, amount_kg=amount_kg)
        ops = [r.operation_id]
        op = session.get(ChainOperation, r.operation_id)
        if op is not None and op.depends_on_id is not None:
            ops.insert(0, op.depends_on_id)
        return Done(Resource("listing_request", r.id), ops)

    return commands.run(actor, action, render_request, idempotency=idempotency)


def pending_settlements(session: Session, listing_id: int) -> int:
    """What pending settlements of the listing take from it (kg)."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(TradeInstruction.amount_kg), 0))
            .join(ChainOperation, ChainOperation.id == TradeInstruction.operation_id)
            .where(
                TradeInstruction.listing_id == listing_id,
                ChainOperation.status.in_(PENDING_OPERATIONS),
            )
        ).scalar_one()
    )


def cancelling(session: Session, listing_id: int) -> ChainOperation | None:
    return market.pending_operation(session, "cancel_listing", listing_id=listing_id)


def get(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id}", listing=listing_id)
    return listing


def cancel(session: Session, outbox: Outbox, actor: Participant, listing_id: int) -> ChainOperation:
    # The listing's row, locked: a settlement of it (signed by the operator) waits, and so does
    # this for one being recorded.
    listing = session.get(Listing, listing_id, with_for_update=True)
    if listing is None:
        raise NotFound(f"no listing {listing_id}", listing=listing_id)
    own = listing.seller == actor.address
    if not own and not actor.role_names & {"exchange", "supervisor"}:
        raise Forbidden("only the seller, the exchange or a supervisor may cancel a listing")
    signer = outbox.signer_of(actor) if own else outbox.operator
    outbox.lock_account(session, signer.address)
    if listing.state != ListingState.OPEN:
        raise ListingNotOpen(f"listing {listing_id} is {listing.state}", listing=listing_id)
    if cancelling(session, listing_id) is not None:
        raise ListingNotOpen(f"listing {listing_id} is being cancelled", listing=listing_id)
    if pending_settlements(session, listing_id):
        raise SettlementPending(
            f"a settlement of listing {listing_id} is pending; cancel it once it is final", listing=listing_id
        )
    # What the contract checks of the return to the seller: not paused, the batch and the seller
    # not frozen, the seller active.
    if session.get(FrozenAccount, listing.seller) is not None:
        raise Frozen(f"the seller's account {listing.seller} is frozen", account=listing.seller)
    seller = session.execute(
        select(Participant).where(Participant.address == listing.seller)
    ).scalar_one_or_none()
    if seller is not None and seller.chain_status != Standing.ACTIVE:
        raise InvalidState(
            f"the seller {seller.public_id} is {seller.chain_status}: "
            "the listing can be cancelled once the seller is active again",
            listing=listing_id,
        )
    batch = session.get(Batch, listing.batch_id)
    if batch is not None and batch.frozen:
        raise Frozen(f"batch {listing.batch_id} is frozen", batch=listing.batch_id)
    meta = session.get(RegistryMeta, 1)
    if meta is not None and meta.credits_paused:
        raise Paused("the credits contract is paused")
    return outbox.enqueue(
        session,
        kind="cancel_listing",
        call=outbox.calls.cancel_listing(listing_id),
        signer=signer,
        payload={"listing_id": listing_id, "by": actor.public_id},
    )


def cancel_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    listing_id: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        op = cancel(session, outbox, me, listing_id)
        return Done(Resource("listing", listing_id), [op.id])

    return commands.run(actor, action, render_listing, idempotency=idempotency)


# -- reading -------------------------------------------------------------------------------------


def listing_view(session: Session, listing: Listing) -> dict[str, Any]:
    seller = session.execute(
        select(Participant.public_id).where(Participant.address == listing.seller)
    ).scalar_one_or_none()
    view: dict[str, Any] = {
        "listing_id": listing.id,
        "seller": seller,
        "seller_address": listing.seller,
        "batch_id": listing.batch_id,
        "project_type": market.TYPE_NAMES.get(listing.project_type, str(listing.project_type)),
        "state": listing.state,
        "amount_t": tonnes(listing.amount_kg),
        "remaining_t": tonnes(listing.remaining_kg),
        "listed_at": market.utc_time(listing.listed_at),
        "tx_hash": listing.tx_hash,
        "block_number": listing.block_number,
        "cancelled_by": listing.cancelled_by,
        "closed_tx": listing.closed_tx,
        "closed_block": listing.closed_block,
    }
    if listing.state == ListingState.OPEN:
        view["available_t"] = tonnes(listing.remaining_kg - pending_settlements(session, listing.id))
    return view


def listings(
    session: Session,
    *,
    state: str | None,
    batch_id: int | None,
    seller: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    query = select(Listing)
    if state is not None:
        query = query.where(Listing.state == state)
    if batch_id is not None:
        query = query.where(Listing.batch_id == batch_id)
    if seller is not None:
        query = query.where(Listing.seller == seller)
    rows = session.execute(query.order_by(Listing.id).limit(limit).offset(offset)).scalars()
    return [listing_view(session, row) for row in rows]


def render_listing(session: Session, resource: Resource) -> dict[str, Any]:
    return listing_view(session, get(session, int(resource.id)))


def render_request(session: Session, resource: Resource) -> dict[str, Any]:
    request = session.get(CreditRequest, int(resource.id))
    assert request is not None
    op = session.get(ChainOperation, request.operation_id)
    assert op is not None
    seller = session.get(Participant, request.participant_id)
    view: dict[str, Any] = {
        "request_id": request.id,
        "seller": seller.public_id if seller else None,
        "batch_id": request.batch_id,
        "amount_t": tonnes(request.amount_kg),
        "status": "pending" if op.status in PENDING_OPERATIONS else str(op.status),
        "operation": describe(op),
        "listing_id": None,
        "listing": None,
    }
    if op.status == OperationStatus.CONFIRMED and op.result and op.result.get("listing_id") is not None:
        listing_id = int(op.result["listing_id"])
        view["listing_id"] = listing_id
        listing = session.get(Listing, listing_id)
        if listing is not None:
            view["listing"] = listing_view(session, listing)
    return view
