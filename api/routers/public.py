"""Public read routes: no token needed. Anyone can follow a batch from issuance to retirement
and check each step against the chain with the evidence given (contract, tx hash, block)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import RuntimeDep, TokenId
from api.responses import BatchDetail, BatchOut, RetirementOut, errors
from api.schemas import MAX_TOKEN_ID
from registry import views

router = APIRouter(tags=["public"])


@router.get(
    "/v1/batches", response_model=list[BatchOut], responses=errors(422), summary="Issued batches (public)"
)
def list_batches(
    runtime: RuntimeDep, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_TOKEN_ID)
) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return views.batches(session, limit=limit, offset=offset)


@router.get(
    "/v1/batches/{batch_id}",
    response_model=BatchDetail,
    responses=errors(404, 422),
    summary="A batch with its supply, transfers, retirements and chain evidence (public)",
)
def get_batch(batch_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return views.batch_detail(session, batch_id)


@router.get(
    "/v1/retirements",
    response_model=list[RetirementOut],
    responses=errors(422),
    summary="Retirement certificates (public)",
)
def list_retirements(
    runtime: RuntimeDep,
    batch_id: int | None = Query(None, ge=1, le=MAX_TOKEN_ID),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_TOKEN_ID),
) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return views.retirements(session, batch_id=batch_id, limit=limit, offset=offset)


@router.get(
    "/v1/retirements/{certificate_id}",
    response_model=RetirementOut,
    responses=errors(404, 422),
    summary="A retirement certificate with its chain evidence (public)",
)
def get_retirement(certificate_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return views.certificate(session, certificate_id)
