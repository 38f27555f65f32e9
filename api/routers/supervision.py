"""Supervision routes (R24): freeze, invalidate, pause — supervisor role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from api.commands import execute
from api.deps import PublicId, RuntimeDep, TokenId, requires
from api.schemas import MAX_TOKEN_ID, AmountIn, Body
from registry import supervision
from registry.models import ChainOperation, Participant
from registry.outbox import describe

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])
Supervisor = Annotated[Participant, Depends(requires("supervisor"))]


class ReasonIn(Body):
    reason: str = Field(min_length=1, max_length=1000)


class InvalidationIn(AmountIn):
    batch_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    holder: str = Field(min_length=1, max_length=40, description="The holder's participant id")
    reason: str = Field(min_length=1, max_length=1000)


def _operations(session: Session, resource: str) -> dict[str, Any]:
    ids = [int(i) for i in resource.split(":", 1)[1].split(",")]
    ops = [session.get(ChainOperation, i) for i in ids]
    return {"operations": [describe(op) for op in ops if op is not None], **supervision.status(session)}


def _run(request: Request, runtime: Any, body: Any, actor: Participant, make: Any) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        ops = make(session)
        ops = ops if isinstance(ops, list) else [ops]
        return "operations:" + ",".join(str(op.id) for op in ops), [op.id for op in ops]

    return execute(runtime, request, body, actor, action, _operations)


@router.get("", summary="Pause flags and frozen accounts (supervisor)")
def get_status(runtime: RuntimeDep, actor: Supervisor) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return supervision.status(session)


@router.post("/accounts/{participant_id}/freeze", status_code=201, summary="Freeze a participant's account")
def freeze_account(
    participant_id: PublicId, body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor
) -> JSONResponse:
    return _run(
        request,
        runtime,
        body,
        actor,
        lambda s: supervision.freeze_account(s, runtime, participant_id, True, body.reason),
    )


@router.post(
    "/accounts/{participant_id}/unfreeze", status_code=201, summary="Unfreeze a participant's account"
)
def unfreeze_account(
    participant_id: PublicId, body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor
) -> JSONResponse:
    return _run(
        request,
        runtime,
        body,
        actor,
        lambda s: supervision.freeze_account(s, runtime, participant_id, False, body.reason),
    )


@router.post("/batches/{batch_id}/freeze", status_code=201, summary="Freeze a batch")
def freeze_batch(
    batch_id: TokenId, body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor
) -> JSONResponse:
    return _run(
        request,
        runtime,
        body,
        actor,
        lambda s: supervision.freeze_batch(s, runtime, batch_id, True, body.reason),
    )


@router.post("/batches/{batch_id}/unfreeze", status_code=201, summary="Unfreeze a batch")
def unfreeze_batch(
    batch_id: TokenId, body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor
) -> JSONResponse:
    return _run(
        request,
        runtime,
        body,
        actor,
        lambda s: supervision.freeze_batch(s, runtime, batch_id, False, body.reason),
    )


@router.post(
    "/invalidations", status_code=201, summary="Invalidate a holder's credits, with a reason (permanent)"
)
def invalidate(
    body: InvalidationIn, request: Request, runtime: RuntimeDep, actor: Supervisor
) -> JSONResponse:
    return _run(
        request, runtime, body, actor,
        lambda s: supervision.invalidate(s, runtime, body.batch_id, body.holder, body.kg, body.reason),
    )  # fmt: skip


@router.post("/pause", status_code=201, summary="Pause every state change of the scheme")
def pause(body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor) -> JSONResponse:
    return _run(request, runtime, body, actor, lambda s: supervision.set_paused(s, runtime, True))


@router.post("/unpause", status_code=201, summary="Resume state changes")
def unpause(body: ReasonIn, request: Request, runtime: RuntimeDep, actor: Supervisor) -> JSONResponse:
    return _run(request, runtime, body, actor, lambda s: supervision.set_paused(s, runtime, False))
