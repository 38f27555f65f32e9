"""Dependencies of the routes: the runtime, the authenticated participant, role checks, and the
parameters several routes share (ids in paths, the Idempotency-Key header)."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.schemas import MAX_SERIAL_ID, MAX_TOKEN_ID
from registry import participants
from registry.models import Participant
from registry.runtime import Runtime

# The cheap dependencies are coroutines: a plain function dependency is run in the thread pool,
# and the hops there and back (one per dependency, a request has three or four) cost more than
# the functions themselves. Anything that may wait on the database stays in the thread pool.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# Ids in paths, bounded to what the database can look up (an id out of range is a 422, not a
# database error): serial keys, token ids (batches, certificates) and public ids ("PRJ-…").
SerialId = Annotated[int, Path(ge=1, le=MAX_SERIAL_ID)]
TokenId = Annotated[int, Path(ge=1, le=MAX_TOKEN_ID)]
PublicId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


# The API token, as OpenAPI's "bearerAuth" scheme (Swagger UI's "Authorize"). It never answers
# by itself: without a usable token it gives None, and `participants.authenticate` refuses with
# our own 401 (`unauthenticated`), so every refusal has the same body.
bearer_scheme = HTTPBearer(
    scheme_name="bearerAuth",
    description="The participant's API token, given once at registration: `Authorization: Bearer <token>`.",
    auto_error=False,
)


def _bearer(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is None or not credentials.credentials.strip():
        return None
    return credentials.credentials.strip()


# Authenticated tokens, for a few seconds: a token lookup is a database round trip per request.
# A token revoked through this process (rotation, revocation: `forget_tokens`) stops working at
# once; one revoked by another process sharing the database, within this time.
TOKEN_CACHE_SECONDS = 5.0
_tokens: dict[str, tuple[float, Participant]] = {}
_tokens_lock = threading.Lock()
# Counts `forget_tokens` calls: a lookup that read the database before a revocation committed
# does not cache its (now stale) answer.
_forgotten = 0


def forget_tokens(token_hashes: Iterable[str]) -> None:
    """Drops tokens (by their hashes) from the cache: the next request with one is checked
    against the database."""
    global _forgotten
    with _tokens_lock:
        _forgotten += 1
        for token_hash in token_hashes:
            _tokens.pop(token_hash, None)


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token of a request, if it sent one."""
    return _bearer(credentials)


async def current_participant(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Participant:
    """The participant of the request's token: from the cache of recently authenticated tokens,
    else from the database (in the thread pool)."""
    token = _bearer(credentials)
    if token:
        with _tokens_lock:
            cached = _tokens.get(participants.hash_token(token))
        if cached is not None and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
            return cached[1]
    return await run_in_threadpool(_authenticate, runtime, token)


def _authenticate(runtime: Runtime, token: str | None) -> Participant:
    with _tokens_lock:
        generation = _forgotten
    with runtime.db.reading() as session:
        participant = participants.authenticate(session, token)
        session.expunge(participant)
    if token:
        with _tokens_lock:
            if generation != _forgotten:
                return participant
            if len(_tokens) > 10_000:
                _tokens.clear()
            _tokens[participants.hash_token(token)] = (time.monotonic(), participant)
    return participant


CurrentParticipant = Annotated[Participant, Depends(current_participant)]


def requires(*roles: str) -> Callable[[Participant], Awaitable[Participant]]:
    """A dependency admitting participants with one of `roles` (401 without a token, 403 without the role)."""

    async def check(participant: CurrentParticipant) -> Participant:
        participants.require_role(participant, *roles)
        return participant

    return check


# The Idempotency-Key of a command: a retry with the same key and body answers the first
# outcome instead of acting twice (see registry/commands.py). Its length and characters are
# checked by the registry (400 invalid_request), like every other command input it owns.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A key unique to this request (a UUID, say): a retry with the same key and body "
        "answers the first outcome instead of acting again; the same key with another body is a 409. "
        "1 to 200 printable characters.",
    ),
]
