"""Dependencies of the routes: the runtime, the authenticated participant, role checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from api.schemas import MAX_SERIAL_ID, MAX_TOKEN_ID
from registry import participants
from registry.models import Participant
from registry.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# Ids in paths, bounded to what the database can look up (an id out of range is a 422, not a
# database error): serial keys, token ids (batches, certificates) and public ids ("PRJ-…").
SerialId = Annotated[int, Path(ge=1, le=MAX_SERIAL_ID)]
TokenId = Annotated[int, Path(ge=1, le=MAX_TOKEN_ID)]
PublicId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# Authenticated tokens, for a few seconds: a token lookup is a database round trip per request.
# A token revoked in the database stops working within this time.
TOKEN_CACHE_SECONDS = 5.0
_tokens: dict[str, tuple[float, Participant]] = {}
_tokens_lock = threading.Lock()


def current_participant(request: Request, runtime: RuntimeDep) -> Participant:
    token = _bearer(request)
    if token:
        key = participants.hash_token(token)
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
            return cached[1]
    with runtime.db.transaction() as session:
        participant = participants.authenticate(session, token)
        session.expunge(participant)
    if token:
        with _tokens_lock:
            if len(_tokens) > 10_000:
                _tokens.clear()
            _tokens[key] = (time.monotonic(), participant)
    return participant


CurrentParticipant = Annotated[Participant, Depends(current_participant)]


def requires(*roles: str) -> Callable[[Participant], Participant]:
    """A dependency admitting participants with one of `roles` (401 without a token, 403 without the role)."""

    def check(participant: CurrentParticipant) -> Participant:
        participants.require_role(participant, *roles)
        return participant

    return check
