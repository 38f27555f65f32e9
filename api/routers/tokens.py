"""API tokens: a participant rotates its own; the registrar (or a supervisor) revokes every
token of a participant, and the registrar issues a new one. A token is shown once, in the
answer that creates it: these routes take no Idempotency-Key (a replay could not show it again).
A token revoked here stops working at once in this process, and within
``api.deps.TOKEN_CACHE_SECONDS`` in other processes sharing the database."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import (
    CurrentParticipant,
    PublicId,
    RuntimeDep,
    bearer_scheme,
    bearer_token,
    forget_tokens,
    requires,
)
from api.responses import NewToken, TokenRevocation, errors
from api.schemas import ReasonIn
from registry import participants, tokens
from registry.models import Participant

router = APIRouter(tags=["tokens"])
Registrar = Annotated[Participant, Depends(requires("registrar"))]
RegistrarOrSupervisor = Annotated[Participant, Depends(requires("registrar", "supervisor"))]


@router.post(
    "/v1/participants/{participant_id}/token-revocation",
    status_code=201,
    response_model=TokenRevocation,
    responses=errors(400, 401, 403, 404, 422),
    summary="Revoke every API token of a participant, with a reason (registrar or supervisor)",
)
def revoke(
    participant_id: PublicId, body: ReasonIn, runtime: RuntimeDep, actor: RegistrarOrSupervisor
) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        revocation = tokens.revoke_all(session, actor, participant_id, body.reason)
    forget_tokens(revocation.token_hashes)
    return revocation.view()


@router.post(
    "/v1/participants/{participant_id}/tokens",
    status_code=201,
    response_model=NewToken,
    responses=errors(401, 403, 404, 422),
    summary="Issue a participant a new API token (registrar); shown once",
)
def issue(participant_id: PublicId, runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        new = tokens.issue(session, actor, participant_id)
    return new.view()


@router.post(
    "/v1/tokens/rotation",
    status_code=201,
    response_model=NewToken,
    responses=errors(401),
    summary="Rotate the API token used: it is revoked and a new one is returned (once)",
)
def rotate(
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> dict[str, Any]:
    # `actor` authenticated the token (maybe from the cache); the rotation revokes it only if it
    # is still valid in the database, so of two rotations at once only one succeeds.
    token = bearer_token(credentials)
    with runtime.db.transaction() as session:
        new = tokens.rotate(session, token or "")
    forget_tokens([participants.hash_token(token or "")])
    return new.view()
