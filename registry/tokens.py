"""API tokens after registration: rotation by their holder, revocation and reissue by the
registrar (or a supervisor, for revocation).

A token is stored as its SHA-256 only (``registry.participants.hash_token``); the plain token is
returned once, by the function that creates it. Revoking sets ``revoked_at``: the row stays, so
the record of who held which token when is kept.

Rotation revokes the token it is called with (only that one: a participant may keep a token per
client) and issues a new one, in one transaction. The revocation is a conditional ``UPDATE``
(``... WHERE revoked_at IS NULL``): of two rotations of the same token at once, exactly one
updates the row and gets a new token; the other finds it revoked and is refused as
unauthenticated. On SQLite the write lock (``BEGIN IMMEDIATE``) serialises them, on PostgreSQL
the row lock of the ``UPDATE``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import participants
from registry.clock import iso, now
from registry.errors import InvalidRequest, Unauthenticated
from registry.models import ApiToken, Participant

log = logging.getLogger("tanhui.tokens")

MAX_REASON = 1000


@dataclass(frozen=True)
class NewToken:
    """A token just issued: shown to its holder in this answer only."""

    participant: str
    token: str
    created_at: datetime

    def view(self) -> dict[str, str]:
        return {"participant": self.participant, "token": self.token, "created_at": iso(self.created_at)}


@dataclass(frozen=True)
class Revocation:
    """What a revocation did: the hashes of the tokens it revoked (to forget them in caches)."""

    participant: str
    revoked: int
    reason: str
    revoked_at: datetime
    token_hashes: tuple[str, ...]

    def view(self) -> dict[str, object]:
        return {
            "participant": self.participant,
            "revoked": self.revoked,
            "reason": self.reason,
            "revoked_at": iso(self.revoked_at),
        }


def _issue(session: Session, participant: Participant) -> NewToken:
    token = participants.issue_token(session, participant)
    session.flush()
    created = session.execute(
        select(ApiToken.created_at).where(ApiToken.token_hash == participants.hash_token(token))
    ).scalar_one()
    return NewToken(participant.public_id, token, created)


def rotate(session: Session, token: str) -> NewToken:
    """Revokes `token` and issues its participant a new one. Unauthenticated when `token` is
    unknown or already revoked (by a rotation that came first, say)."""
    if not token:
        raise Unauthenticated("an API token is required (Authorization: Bearer <token>)")
    token_hash = participants.hash_token(token)
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now())
        .returning(ApiToken.participant_id)
    )
    participant_id = result.scalar_one_or_none()
    if participant_id is None:
        raise Unauthenticated("the API token is not valid")
    participant = session.get(Participant, participant_id)
    assert participant is not None
    new = _issue(session, participant)
    log.info("API token of %s rotated", participant.public_id)
    return new


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("a revocation needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason is at most {MAX_REASON} characters", field="reason")
    return reason


def revoke_all(session: Session, actor: Participant, public_id: str, reason: str) -> Revocation:
    """Revokes every valid token of participant `public_id` (NotFound if there is none such);
    the reason goes to the log with the actor. Revoking a participant without valid tokens
    revokes none (and is no error): the call can be repeated."""
    reason = check_reason(reason)
    participant = participants.get(session, public_id)
    at = now()
    hashes = tuple(
        session.execute(
            update(ApiToken)
            .where(ApiToken.participant_id == participant.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(ApiToken.token_hash)
        ).scalars()
    )
    log.info("%d API token(s) of %s revoked by %s: %s", len(hashes), public_id, actor.public_id, reason)
    return Revocation(public_id, len(hashes), reason, at, hashes)


def issue(session: Session, actor: Participant, public_id: str) -> NewToken:
    """A new token for participant `public_id`, issued by `actor` (the registrar)."""
    participant = participants.get(session, public_id)
    new = _issue(session, participant)
    log.info("API token issued to %s by %s", public_id, actor.public_id)
    return new
