"""Supervision (R24): during a dispute a supervisor freezes an account or a batch, invalidates
credits with a reason, or pauses the scheme. The operator's account holds the on-chain
supervisor and pauser roles; the API admits participants with the supervisor role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import participants, views
from registry.amounts import MAX_KG, tonnes
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import InsufficientBalance, InvalidRequest, InvalidState
from registry.models import ChainOperation, FrozenAccount, Holding, Participant, RegistryMeta
from registry.outbox import Outbox, describe


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidRequest("a supervisory action needs a reason", field="reason")
    return reason


def freeze_account(
    session: Session, outbox: Outbox, participant_id: str, frozen: bool, reason: str
) -> ChainOperation:
    target = participants.get(session, participant_id)
    is_frozen = session.get(FrozenAccount, target.address) is not None
    if is_frozen == frozen:
        raise InvalidState(f"the account of {target.public_id} is {'already' if frozen else 'not'} frozen")
    return outbox.enqueue(
        session,
        kind="freeze_account" if frozen else "unfreeze_account",
        call=outbox.calls.set_account_frozen(target.address, frozen, _reason(reason)),
        signer=outbox.operator,
        payload={"participant": target.public_id, "reason": reason},
    )


def freeze_batch(
    session: Session, outbox: Outbox, batch_id: int, frozen: bool, reason: str
) -> ChainOperation:
    batch = views.get_batch(session, batch_id)
    if batch.frozen == frozen:
        raise InvalidState(f"batch {batch_id} is {'already' if frozen else 'not'} frozen")
    return outbox.enqueue(
        session,
        kind="freeze_batch" if frozen else "unfreeze_batch",
        call=outbox.calls.set_batch_frozen(batch_id, frozen, _reason(reason)),
        signer=outbox.operator,
        payload={"batch_id": batch_id, "reason": reason},
    )


def invalidate(
    session: Session, outbox: Outbox, batch_id: int, holder_id: str, amount_kg: int, reason: str
) -> ChainOperation:
    """Invalidates `amount_kg` of a holder's credits of a batch (e.g. a verification found wrong).

    WARNING: invalidation is permanent.
    """
    if amount_kg <= 0 or amount_kg > MAX_KG:
        raise InvalidRequest("the amount must be a positive number of kilograms", field="amount_kg")
    views.get_batch(session, batch_id)
    holder = participants.get(session, holder_id)
    held = session.get(Holding, (holder.address, batch_id))
    if held is None or held.amount_kg < amount_kg:
        have = held.amount_kg if held else 0
        raise InsufficientBalance(
            f"{holder.public_id} holds {tonnes(have)} t of batch {batch_id}, not {tonnes(amount_kg)} t",
            held_kg=have,
            requested_kg=amount_kg,
        )
    return outbox.enqueue(
        session,
        kind="invalidate",
        call=outbox.calls.invalidate(holder.address, batch_id, amount_kg, _reason(reason)),
        signer=outbox.operator,
        payload={"batch_id": batch_id, "holder": holder.public_id, "amount_kg": amount_kg, "reason": reason},
    )


def set_paused(session: Session, outbox: Outbox, paused: bool) -> list[ChainOperation]:
    """Pauses (or resumes) every state change of the scheme: both contracts."""
    meta = session.get(RegistryMeta, 1)
    assert meta is not None
    calls = outbox.calls.pause_calls() if paused else outbox.calls.unpause_calls()
    flags = (meta.registry_paused, meta.credits_paused)
    ops = []
    for fn, flag, name in zip(calls, flags, ("registry", "credits"), strict=True):
        if flag != paused:
            ops.append(
                outbox.enqueue(
                    session,
                    kind="pause" if paused else "unpause",
                    call=fn,
                    signer=outbox.operator,
                    payload={"contract": name},
                )
            )
    if not ops:
        raise InvalidState(f"the scheme is {'already' if paused else 'not'} paused")
    return ops


def status(session: Session) -> dict[str, Any]:
    meta = session.get(RegistryMeta, 1)
    assert meta is not None
    frozen = session.execute(select(FrozenAccount).order_by(FrozenAccount.address)).scalars().all()
    return {
        "paused": {"registry": meta.registry_paused, "credits": meta.credits_paused},
        "frozen_accounts": [
            {
                "address": f.address,
                "participant": p.public_id if (p := participants.by_address(session, f.address)) else None,
                "reason": f.reason,
                "block_number": f.block_number,
            }
            for f in frozen
        ],
    }


def render(session: Session, resource: Resource) -> dict[str, Any]:
    """The operations of a supervisory action, with the supervision status after them."""
    ids = [int(i) for i in str(resource.id).split(",")]
    ops = [session.get(ChainOperation, i) for i in ids]
    return {"operations": [describe(op) for op in ops if op is not None], **status(session)}


def act(
    commands: Commands,
    actor: Participant,
    make: Callable[[Session], ChainOperation | list[ChainOperation]],
    *,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Runs one supervisory action (`make` queues its operations)."""

    def action(session: Session, _: Participant) -> Done:
        made = make(session)
        ops = made if isinstance(made, list) else [made]
        return Done(Resource("operations", ",".join(str(op.id) for op in ops)), [op.id for op in ops])

    return commands.run(actor, action, render, idempotency=idempotency)
