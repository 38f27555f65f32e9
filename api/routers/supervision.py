"""Supervision routes (R24): freeze, invalidate, pause — supervisor role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy.orm import Session

from api.answers import keyed, respond
from api.deps import IdempotencyKey, PublicId, RuntimeDep, TokenId, requires
from api.responses import SupervisionResult, SupervisionStatus, errors
from api.schemas import MAX_TOKEN_ID, AmountIn, ReasonIn
from registry import supervision
from registry.models import ChainOperation, Participant
from registry.runtime import Runtime

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])
Supervisor = Annotated[Participant, Depends(requires("supervisor"))]
ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422, 503)


class InvalidationIn(AmountIn):
    batch_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    holder: str = Field(min_length=1, max_length=40, description="The holder's participant id")
    reason: str = Field(min_length=1, max_length=1000)


def _act(
    request: Request,
    runtime: Runtime,
    body: BaseModel,
    actor: Participant,
    key: str | None,
    make: Callable[[Session], ChainOperation | list[ChainOperation]],
) -> JSONResponse:
    return respond(supervision.act(runtime.commands, actor, make, idempotency=keyed(request, key, body)))


@router.get(
    "",
    response_model=SupervisionStatus,
    responses=errors(401, 403),
    summary="Pause flags and frozen accounts",
)
def get_status(runtime: RuntimeDep, actor: Supervisor) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return supervision.status(session)


@router.post(
    "/accounts/{participant_id}/freeze",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Freeze a participant's account",
)
def freeze_account(
    participant_id: PublicId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Supervisor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return _act(
        request,
        runtime,
        body,
        actor,
        key,
        lambda s: supervision.freeze_account(s, runtime.outbox, participant_id, True, body.reason),
    )


@router.post(
    "/accounts/{participant_id}/unfreeze",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Unfreeze a participant's account",
)
def unfreeze_account(
    participant_id: PublicId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Supervisor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return _act(
        request,
        runtime,
        body,
        actor,
        key,
        lambda s: supervision.freeze_account(s, runtime.outbox, participant_id, False, body.reason),
    )


@router.post(
    "/batches/{batch_id}/freeze",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Freeze a batch",
)
def freeze_batch(
    batch_id: TokenId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Supervisor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return _act(
        request,
        runtime,
        body,
        actor,
        key,
        lambda s: supervision.freeze_batch(s, runtime.outbox, batch_id, True, body.reason),
    )


@router.post(
    "/batches/{batch_id}/unfreeze",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Unfreeze a batch",
)
def unfreeze_batch(
    batch_id: TokenId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Supervisor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return _act(
        request,
        runtime,
        body,
        actor,
        key,
        lambda s: supervision.freeze_batch(s, runtime.outbox, batch_id, False, body.reason),
    )


@router.post(
    "/invalidations",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Invalidate a holder's credits, with a reason (permanent)",
)
def invalidate(
    body: InvalidationIn, request: Request, runtime: RuntimeDep, actor: Supervisor, key: IdempotencyKey = None
) -> JSONResponse:
    return _act(
        request,
        runtime,
        body,
        actor,
        key,
        lambda s: supervision.invalidate(s, runtime.outbox, body.batch_id, body.holder, body.kg, body.reason),
    )


@router.post(
    "/pause",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Pause every state change of the scheme",
)
def pause(
    body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor, key: IdempotencyKey = None
) -> JSONResponse:
    return _act(request, runtime, body, actor, key, lambda s: supervision.set_paused(s, runtime.outbox, True))


@router.post(
    "/unpause",
    status_code=201,
    response_model=SupervisionResult,
    responses=ACTION_ERRORS,
    summary="Resume state changes",
)
def unpause(
    body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor, key: IdempotencyKey = None
) -> JSONResponse:
    return _act(
        request, runtime, body, actor, key, lambda s: supervision.set_paused(s, runtime.outbox, False)
    )
