"""Transfers and retirements, signed by the holder itself.

The registry signs with the holder's own key (kept in its encrypted keystore), never with the
operator's: the operator cannot move anyone's credits. What a holder can spend is its indexed
balance less what its pending transfers and retirements already take.

WARNING: retiring credits is permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chain.contracts import RetirementDetails, RetirementPurpose
from registry import participants, views
from registry.amounts import MAX_KG, tonnes
from registry.clock import EPOCH, day_start, now
from registry.errors import (
    Frozen,
    InsufficientBalance,
    InvalidRequest,
    NotFound,
    Paused,
    RecipientNotRegistered,
)
from registry.models import (
    Batch,
    ChainOperation,
    FrozenAccount,
    Holding,
    Participant,
    RegistryMeta,
    Retirement,
    TransferRequest,
)
from registry.outbox import PENDING, describe, enqueue, lock_account

if TYPE_CHECKING:
    from registry.runtime import Runtime

PURPOSES = {p.name.lower(): p for p in RetirementPurpose}
# Fixed gas limits (gas is charged as used): a transfer to a new holder is ~60k, a retirement
# ~105k plus ~30 gas per byte of details (at most ~1.3 kB through the API).
TRANSFER_GAS = 250_000
RETIRE_GAS = 400_000


@dataclass(frozen=True)
class RetirementInput:
    beneficiary: str
    purpose: str
    event_id: str | None = None
    jurisdiction: str = ""
    consumption_start: date | None = None
    consumption_end: date | None = None
    note: str = ""

    def to_chain(self) -> RetirementDetails:
        if not self.beneficiary.strip():
            raise InvalidRequest("the beneficiary is required", field="beneficiary")
        if self.purpose not in PURPOSES:
            raise InvalidRequest(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
        if (self.consumption_start is None) != (self.consumption_end is None):
            raise InvalidRequest(
                "give both consumption_start and consumption_end, or neither", field="consumption_end"
            )
        start = end = 0
        if self.consumption_start is not None and self.consumption_end is not None:
            if self.consumption_start > self.consumption_end:
                raise InvalidRequest("consumption_start is after consumption_end", field="consumption_start")
            if self.consumption_start < EPOCH:
                raise InvalidRequest(
                    f"consumption_start cannot be before {EPOCH}, the chain's first day",
                    field="consumption_start",
                )
            start, end = day_start(self.consumption_start), day_start(self.consumption_end)
        return RetirementDetails(
            beneficiary=self.beneficiary,
            purpose=PURPOSES[self.purpose],
            event_id=event_hash(self.event_id),
            jurisdiction=self.jurisdiction,
            consumption_start=start,
            consumption_end=end,
            note=self.note,
        )


def event_hash(event_id: str | None) -> bytes:
    """The bytes32 of an event id: 0x-hex of 32 bytes as given, else keccak256 of the text."""
    if not event_id:
        return bytes(32)
    if event_id.startswith("0x") and len(event_id) == 66:
        try:
            return bytes.fromhex(event_id[2:])
        except ValueError:
            pass
    return keccak(text=event_id)


def batch(session: Session, batch_id: int) -> Batch:
    row = session.get(Batch, batch_id)
    if row is None:
        raise NotFound(f"no batch {batch_id}", batch=batch_id)
    return row


def available(session: Session, address: str, batch_id: int) -> int:
    """The indexed balance less pending outgoing transfers and retirements."""
    held = (
        session.execute(
            select(Holding.amount_kg).where(Holding.address == address, Holding.batch_id == batch_id)
        ).scalar_one_or_none()
        or 0
    )
    pending = session.execute(
        select(func.coalesce(func.sum(TransferRequest.amount_kg), 0))
        .join(ChainOperation, ChainOperation.id == TransferRequest.operation_id)
        .join(Participant, Participant.id == TransferRequest.participant_id)
        .where(
            Participant.address == address,
            TransferRequest.batch_id == batch_id,
            ChainOperation.status.in_(PENDING),
        )
    ).scalar_one()
    return int(held) - int(pending)


def _check_spend(session: Session, actor: Participant, batch_id: int, amount_kg: int) -> Batch:
    """Every condition the contract checks, from the index: the operation can then be signed
    with a fixed gas limit instead of a simulation."""
    if amount_kg <= 0 or amount_kg > MAX_KG:
        raise InvalidRequest("the amount must be a positive number of kilograms", field="amount_kg")
    meta = session.get(RegistryMeta, 1)
    if meta is not None and meta.credits_paused:
        raise Paused("the credits contract is paused")
    row = batch(session, batch_id)
    if row.frozen:
        raise Frozen(f"batch {batch_id} is frozen", batch=batch_id)
    if session.get(FrozenAccount, actor.address) is not None:
        raise Frozen(f"the account of {actor.public_id} is frozen", participant=actor.public_id)
    spendable = available(session, actor.address, batch_id)
    if spendable < amount_kg:
        raise InsufficientBalance(
            f"{actor.public_id} can spend {tonnes(spendable)} t of batch {batch_id}, not {tonnes(amount_kg)} t",
            available_kg=spendable,
            requested_kg=amount_kg,
        )
    return row


def transfer(
    session: Session, runtime: Runtime, actor: Participant, *, batch_id: int, recipient: str, amount_kg: int
) -> TransferRequest:
    lock_account(session, runtime, actor.address)
    _check_spend(session, actor, batch_id, amount_kg)
    to = participants.get(session, recipient)
    if to.id == actor.id:
        raise InvalidRequest("a transfer needs another participant as recipient", field="to")
    if to.chain_status != "active":
        raise RecipientNotRegistered(
            f"{to.public_id} is not an active registered participant", recipient=to.public_id
        )
    if session.get(FrozenAccount, to.address) is not None:
        raise Frozen(f"the account of {to.public_id} is frozen", participant=to.public_id)
    signer = runtime.signer_of(actor)
    op = enqueue(
        session,
        runtime,
        kind="transfer",
        fn=runtime.tanhui.transfer(actor.address, to.address, batch_id, amount_kg),
        signer=signer,
        payload={"from": actor.public_id, "to": to.public_id, "batch_id": batch_id, "amount_kg": amount_kg},
        gas=TRANSFER_GAS,
    )
    request = TransferRequest(
        kind="transfer",
        participant_id=actor.id,
        batch_id=batch_id,
        amount_kg=amount_kg,
        details={"to": to.public_id},
        operation_id=op.id,
        created_at=now(),
    )
    session.add(request)
    session.flush()
    return request


def retire(
    session: Session,
    runtime: Runtime,
    actor: Participant,
    *,
    batch_id: int,
    amount_kg: int,
    details: RetirementInput,
) -> TransferRequest:
    chain_details = details.to_chain()
    lock_account(session, runtime, actor.address)
    _check_spend(session, actor, batch_id, amount_kg)
    op = enqueue(
        session,
        runtime,
        kind="retire",
        fn=runtime.tanhui.retire(batch_id, amount_kg, chain_details),
        signer=runtime.signer_of(actor),
        payload={"holder": actor.public_id, "batch_id": batch_id, "amount_kg": amount_kg},
        gas=RETIRE_GAS,
    )
    request = TransferRequest(
        kind="retirement",
        participant_id=actor.id,
        batch_id=batch_id,
        amount_kg=amount_kg,
        details={
            "beneficiary": details.beneficiary,
            "purpose": details.purpose,
            "event_id": details.event_id,
            "jurisdiction": details.jurisdiction,
            "consumption_start": str(details.consumption_start) if details.consumption_start else None,
            "consumption_end": str(details.consumption_end) if details.consumption_end else None,
            "note": details.note,
        },
        operation_id=op.id,
        created_at=now(),
    )
    session.add(request)
    session.flush()
    return request


def request_view(session: Session, request: TransferRequest) -> dict[str, Any]:
    op = session.get(ChainOperation, request.operation_id)
    assert op is not None
    actor = session.get(Participant, request.participant_id)
    view: dict[str, Any] = {
        "id": request.id,
        "kind": request.kind,
        "participant": actor.public_id if actor else None,
        "batch_id": request.batch_id,
        "amount_kg": request.amount_kg,
        "amount_t": tonnes(request.amount_kg),
        "details": request.details,
        "status": {"signed": "pending", "sent": "pending"}.get(op.status, op.status),
        "operation": describe(op),
    }
    if request.kind == "retirement" and op.result and "certificate_id" in op.result:
        view["certificate_id"] = op.result["certificate_id"]
        cert = session.get(Retirement, op.result["certificate_id"])
        if cert is not None:
            view["certificate"] = views.retirement_view(session, cert)
    return view
