"""Retirements: a holder retires credits of a batch, permanently, for a purpose and a
beneficiary, and receives a certificate with an exclusive block of the batch's serials.

WARNING: retiring credits is permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eth_utils.crypto import keccak
from sqlalchemy.orm import Session

from chain.contracts import RetirementDetails, RetirementPurpose
from registry import claims, spending
from registry.clock import EPOCH, day_start
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import InvalidRequest
from registry.models import CreditRequest, Participant
from registry.outbox import Outbox
from registry.states import CreditRequestKind

PURPOSES = {p.name.lower(): p for p in RetirementPurpose}
# A fixed gas limit (gas is charged as used): a retirement is ~105k plus ~30 gas per byte of
# details (at most ~1.3 kB through the API).
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


def retire(
    session: Session,
    outbox: Outbox,
    actor: Participant,
    *,
    batch_id: int,
    amount_kg: int,
    details: RetirementInput,
) -> CreditRequest:
    chain_details = details.to_chain()
    claims.check_retirement(session, chain_details.event_id)
    outbox.lock_account(session, actor.address)
    spending.check_spend(session, actor, batch_id, amount_kg)
    return spending.spend(
        session,
        outbox,
        actor,
        kind=CreditRequestKind.RETIREMENT,
        batch_id=batch_id,
        amount_kg=amount_kg,
        call=outbox.calls.retire(batch_id, amount_kg, chain_details),
        gas=RETIRE_GAS,
        details={
            "beneficiary": details.beneficiary,
            "purpose": details.purpose,
            "event_id": details.event_id,
            "jurisdiction": details.jurisdiction,
            "consumption_start": str(details.consumption_start) if details.consumption_start else None,
            "consumption_end": str(details.consumption_end) if details.consumption_end else None,
            "note": details.note,
        },
        payload={"holder": actor.public_id, "batch_id": batch_id, "amount_kg": amount_kg},
    )


def retire_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    batch_id: int,
    amount_kg: int,
    details: RetirementInput,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Retires credits; the answer carries the certificate once the chain confirms it."""

    def action(session: Session, me: Participant) -> Done:
        r = retire(session, outbox, me, batch_id=batch_id, amount_kg=amount_kg, details=details)
        return Done(Resource("credit_request", r.id), [r.operation_id])

    return commands.run(actor, action, spending.render, idempotency=idempotency)
