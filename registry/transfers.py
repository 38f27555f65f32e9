"""Transfers: a holder sends credits of a batch to another registered participant, signed with
its own key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry import participants, spending
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import InvalidRequest, RecipientNotRegistered
from registry.models import CreditRequest, Participant
from registry.outbox import Outbox
from registry.states import CreditRequestKind, Standing

# A fixed gas limit (gas is charged as used): a transfer to a new holder is ~60k.
TRANSFER_GAS = 250_000


def transfer(
    session: Session, outbox: Outbox, actor: Participant, *, batch_id: int, recipient: str, amount_kg: int
) -> CreditRequest:
    outbox.lock_account(session, actor.address)
    spending.check_spend(session, actor, batch_id, amount_kg)
    to = participants.get(session, recipient)
    if to.id == actor.id:
        raise InvalidRequest("a transfer needs another participant as recipient", field="to")
    if to.chain_status != Standing.ACTIVE:
        raise RecipientNotRegistered(
            f"{to.public_id} is not an active registered participant", recipient=to.public_id
        )
    spending.check_frozen(session, to)
    return spending.spend(
        session,
        outbox,
        actor,
        kind=CreditRequestKind.TRANSFER,
        batch_id=batch_id,
        amount_kg=amount_kg,
        call=outbox.calls.transfer(actor.address, to.address, batch_id, amount_kg),
        gas=TRANSFER_GAS,
        details={"to": to.public_id},
        payload={"from": actor.public_id, "to": to.public_id, "batch_id": batch_id, "amount_kg": amount_kg},
    )


def transfer_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    batch_id: int,
    recipient: str,
    amount_kg: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        r = transfer(session, outbox, me, batch_id=batch_id, recipient=recipient, amount_kg=amount_kg)
        return Done(Resource("credit_request", r.id), [r.operation_id])

    return commands.run(actor, action, spending.render, idempotency=idempotency)
