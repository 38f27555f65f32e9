"""What transfers and retirements share: a holder spends credits of a batch, signed with its
own key.

The registry signs with the holder's own key (kept in its encrypted keystore), never with the
operator's: the operator cannot move anyone's credits. What a holder can spend is its indexed
balance less what its pending transfers and retirements already take. Every condition the
contract checks is checked here first, from the index, so the operation is signed with a fixed
gas limit instead of a simulation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from chain.contracts import ContractCall
from registry import views
from registry.amounts import MAX_KG, tonnes
from registry.clock import now
from registry.commands import Resource
from registry.db import loaded
from registry.errors import Forbidden, Frozen, InsufficientBalance, InvalidRequest, NotFound, Paused
from registry.models import (
    Batch,
    ChainOperation,
    CreditRequest,
    FrozenAccount,
    Holding,
    Participant,
    RegistryMeta,
    Retirement,
)
from registry.outbox import Outbox, describe
from registry.states import PENDING_OPERATIONS, CreditRequestKind, OperationStatus

#: The chain operation of each kind of request.
OPERATION_KINDS = {
    CreditRequestKind.TRANSFER: "transfer",
    CreditRequestKind.RETIREMENT: "retire",
    CreditRequestKind.LISTING: "list",
}


def available(session: Session, address: str, batch_id: int) -> int:
    """The indexed balance less pending outgoing transfers and retirements.

    Both are read in ONE statement, so from one snapshot: the relay confirms an operation and
    indexes its block in one transaction, and two statements could see the holding before it
    and the operation after it (PostgreSQL's read committed takes a snapshot per statement),
    counting that spend neither as pending nor as spent."""
    row = session.execute(_AVAILABLE, {"address": address, "batch_id": batch_id}).one()
    return int(row[0] or 0) - int(row[1])


def _available_statement() -> Select[tuple[int | None, int]]:
    held = (
        select(Holding.amount_kg)
        .where(Holding.address == bindparam("address"), Holding.batch_id == bindparam("batch_id"))
        .scalar_subquery()
    )
    pending = (
        select(func.coalesce(func.sum(CreditRequest.amount_kg), 0))
        .join(ChainOperation, ChainOperation.id == CreditRequest.operation_id)
        .join(Participant, Participant.id == CreditRequest.participant_id)
        .where(
            Participant.address == bindparam("address"),
            CreditRequest.batch_id == bindparam("batch_id"),
            ChainOperation.status.in_(PENDING_OPERATIONS),
        )
        .scalar_subquery()
    )
    return select(held, pending)


# The hot statements of a spend, built once (building one and its cache key cost more than
# running it): executed with their parameters.
_AVAILABLE = _available_statement()
_FROZEN = select(FrozenAccount.address).where(FrozenAccount.address == bindparam("address"))


def check_frozen(session: Session, participant: Participant) -> None:
    if session.execute(_FROZEN, {"address": participant.address}).first() is not None:
        raise Frozen(f"the account of {participant.public_id} is frozen", participant=participant.public_id)


def check_spend(session: Session, actor: Participant, batch_id: int, amount_kg: int) -> Batch:
    """Every condition the contract checks of the sender, from the index."""
    if amount_kg <= 0 or amount_kg > MAX_KG:
        raise InvalidRequest("the amount must be a positive number of kilograms", field="amount_kg")
    meta = loaded(session, RegistryMeta, 1)
    if meta is not None and meta.credits_paused:
        raise Paused("the credits contract is paused")
    row = views.get_batch(session, batch_id)
    if row.frozen:
        raise Frozen(f"batch {batch_id} is frozen", batch=batch_id)
    check_frozen(session, actor)
    spendable = available(session, actor.address, batch_id)
    if spendable < amount_kg:
        raise InsufficientBalance(
            f"{actor.public_id} can spend {tonnes(spendable)} t of batch {batch_id}, "
            f"not {tonnes(amount_kg)} t",
            available_kg=spendable,
            requested_kg=amount_kg,
        )
    return row


def spend(
    session: Session,
    outbox: Outbox,
    actor: Participant,
    *,
    kind: CreditRequestKind,
    batch_id: int,
    amount_kg: int,
    call: ContractCall,
    gas: int,
    details: dict[str, Any],
    payload: dict[str, Any],
    depends_on: ChainOperation | None = None,
) -> CreditRequest:
    """Records the holder's request and its signed operation. The holder's nonce row is locked
    first (see ``Outbox.lock_account``), so two concurrent spends are checked one after the other;
    the caller has run every other check (see :func:`check_spend`) under that lock."""
    op = outbox.enqueue(
        session,
        kind=OPERATION_KINDS[kind],
        call=call,
        signer=outbox.signer_of(actor),
        payload=payload,
        gas=gas,
        depends_on=depends_on,
    )
    request = CreditRequest(
        kind=kind,
        participant_id=actor.id,
        batch_id=batch_id,
        amount_kg=amount_kg,
        details=details,
        operation_id=op.id,
        created_at=now(),
    )
    session.add(request)
    session.flush()
    return request


# -- reading ---------------------------------------------------------------------------------------


def request_view(session: Session, request: CreditRequest) -> dict[str, Any]:
    op = loaded(session, ChainOperation, request.operation_id)
    assert op is not None
    actor = loaded(session, Participant, request.participant_id)
    pending = op.status in PENDING_OPERATIONS
    view: dict[str, Any] = {
        "id": request.id,
        "kind": str(request.kind),
        "participant": actor.public_id if actor else None,
        "batch_id": request.batch_id,
        "amount_kg": request.amount_kg,
        "amount_t": tonnes(request.amount_kg),
        "details": request.details,
        "status": "pending" if pending else str(op.status),
        "operation": describe(op),
    }
    if request.kind == CreditRequestKind.RETIREMENT and op.status == OperationStatus.CONFIRMED and op.result:
        certificate_id = op.result.get("certificate_id")
        if certificate_id is not None:
            view["certificate_id"] = certificate_id
            cert = loaded(session, Retirement, certificate_id)
            if cert is not None:
                view["certificate"] = views.retirement_view(session, cert)
    return view


def get_request(session: Session, actor: Participant, request_id: int) -> dict[str, Any]:
    """A credit request, for its requester or the registrar."""
    request = loaded(session, CreditRequest, request_id)
    if request is None:
        raise NotFound(f"no credit request {request_id}")
    if request.participant_id != actor.id and "registrar" not in actor.role_names:
        raise Forbidden("only the requester or the registrar may see this")
    return request_view(session, request)


def render(session: Session, resource: Resource) -> dict[str, Any]:
    request = loaded(session, CreditRequest, int(resource.id))
    assert request is not None
    return request_view(session, request)
