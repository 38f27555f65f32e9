"""Idempotency keys: the same key with the same request returns the first result; with another
request, a conflict.

The record is written in the same transaction as the request's domain change and outbox
entries, naming the resource it created; the response is stored once the request finishes.
A retry that finds no stored response (the first attempt crashed after its commit) renders
the resource's current state, after the relay has finished its chain operations.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.clock import now
from registry.errors import IdempotencyKeyReused, InvalidRequest
from registry.models import IdempotencyRecord, Participant

MAX_KEY_LENGTH = 200


def request_hash(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(method.upper().encode() + b" " + path.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequest(
            f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters", field="Idempotency-Key"
        )


def find(session: Session, actor: Participant, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """The record of an earlier request with this key, or None; a conflict if it differs."""
    record = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.participant_id == actor.id, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()
    if record is not None and record.request_hash != fingerprint:
        raise IdempotencyKeyReused(f"the Idempotency-Key {key!r} was used for a different request", key=key)
    return record


def remember(
    session: Session, actor: Participant, key: str, fingerprint: str, resource: str, operation_ids: list[int]
) -> IdempotencyRecord:
    record = IdempotencyRecord(
        participant_id=actor.id,
        key=key,
        request_hash=fingerprint,
        resource=resource,
        operation_ids=operation_ids,
        created_at=now(),
    )
    session.add(record)
    session.flush()
    return record


def store_response(session: Session, record_id: int, outcome: str, response: Any) -> None:
    """Keeps the first final answer (its outcome and body) for replays."""
    record = session.get(IdempotencyRecord, record_id)
    if record is not None and record.response is None:
        record.outcome = outcome
        record.response = response
