"""Supervision (R24): during a dispute a supervisor freezes an account or a batch, invalidates
credits with a reason, or pauses the scheme. The operator's account holds the on-chain
supervisor and pauser roles; the API admits participants with the supervisor role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from registry import credits, participants
from registry.amounts import MAX_KG, tonnes
from registry.errors import InsufficientBalance, InvalidRequest, InvalidState
from registry.models import ChainOperation, FrozenAccount, Holding, RegistryMeta
from registry.outbox import enqueue

if TYPE_CHECKING:
    from registry.runtime import Runtime


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidRequest("a supervisory action needs a reason", field="reason")
    return reason


def freeze_account(
    session: Session, runtime: Runtime, participant_id: str, frozen: bool, reason: str
) -> ChainOperation:
    target = participants.get(session, participant_id)
    is_frozen = session.get(FrozenAccount, target.address) is not None
    if is_frozen == frozen:
        raise InvalidState(f"the account of {target.public_id} is {'already' if frozen else 'not'} frozen")
    return enqueue(
        session,
        runtime,
        kind="freeze_account" if frozen else "unfreeze_account",
        fn=runtime.tanhui.set_account_frozen(target.address, frozen, _reason(reason)),
        signer=runtime.operator,
        payload={"participant": target.public_id, "reason": reason},
    )


def freeze_batch(
    session: Session, runtime: Runtime, batch_id: int, frozen: bool, reason: str
) -> ChainOperation:
    batch = credits.batch(session, batch_id)
    if batch.frozen == frozen:
        raise InvalidState(f"batch {batch_id} is {'already' if frozen else 'not'} frozen")
    return enqueue(
        session,
        runtime,
        kind="freeze_batch" if frozen else "unfreeze_batch",
        fn=runtime.tanhui.set_batch_frozen(batch_id, frozen, _reason(reason)),
        signer=runtime.operator,
        payload={"batch_id": batch_id, "reason": reason},
    )


def invalidate(
    session: Session, runtime: Runtime, batch_id: int, holder_id: str, amount_kg: int, reason: str
) -> ChainOperation:
    """Invalidates `amount_kg` of a holder's credits of a batch (e.g. a verification found wrong).

    WARNING: invalidation is permanent.
    """
    if amount_kg <= 0 or amount_kg > MAX_KG:
        raise InvalidRequest("the amount must be a positive number of kilograms", field="amount_kg")
    credits.batch(session, batch_id)
    holder = participants.get(session, holder_id)
    held = session.get(Holding, (holder.address, batch_id))
    if held is None or held.amount_kg < amount_kg:
        have = held.amount_kg if held else 0
        raise InsufficientBalance(
            f"{holder.public_id} holds {tonnes(have)} t of batch {batch_id}, not {tonnes(amount_kg)} t",
            held_kg=have,
            requested_kg=amount_kg,
        )
    return enqueue(
        session,
        runtime,
        kind="invalidate",
        fn=runtime.tanhui.invalidate(holder.address, batch_id, amount_kg, _reason(reason)),
        signer=runtime.operator,
        payload={"batch_id": batch_id, "holder": holder.public_id, "amount_kg": amount_kg, "reason": reason},
    )


def set_paused(session: Session, runtime: Runtime, paused: bool) -> list[ChainOperation]:
    """Pauses (or resumes) every state change of the scheme: both contracts."""
    meta = session.get(RegistryMeta, 1)
    assert meta is not None
    calls = runtime.tanhui.pause_calls() if paused else runtime.tanhui.unpause_calls()
    flags = (meta.registry_paused, meta.credits_paused)
    ops = []
    for fn, flag, name in zip(calls, flags, ("registry", "credits")):
        if flag != paused:
            ops.append(
                enqueue(
                    session,
                    runtime,
                    kind="pause" if paused else "unpause",
                    fn=fn,
                    signer=runtime.operator,
                    payload={"contract": name},
                )
            )
    if not ops:
        raise InvalidState(f"the scheme is {'already' if paused else 'not'} paused")
    return ops


def status(session: Session) -> dict[str, Any]:
    meta = session.get(RegistryMeta, 1)
    assert meta is not None
    frozen = session.query(FrozenAccount).order_by(FrozenAccount.address).all()
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
