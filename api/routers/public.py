"""Public read routes: no token needed. Anyone can follow a batch from issuance to retirement
and check each step against the chain with the evidence given (contract, tx hash, block)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import RuntimeDep, TokenId
from api.schemas import MAX_TOKEN_ID
from registry import views
from registry.credits import batch as get_batch
from registry.errors import NotFound
from registry.models import Batch, Retirement, Transfer

router = APIRouter(tags=["public"])


@router.get("/v1/batches", summary="Issued batches (public)")
def list_batches(
    runtime: RuntimeDep, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_TOKEN_ID)
) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        rows = session.execute(select(Batch).order_by(Batch.id).limit(limit).offset(offset)).scalars()
        return [views.batch_view(session, b) for b in rows]


@router.get("/v1/batches/{batch_id}", summary="A batch with its supply and chain evidence (public)")
def get_batch_view(batch_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        batch = get_batch(session, batch_id)
        view = views.batch_view(session, batch)
        transfers = session.execute(
            select(Transfer).where(Transfer.batch_id == batch_id).order_by(Transfer.id)
        ).scalars()
        retirements = session.execute(
            select(Retirement).where(Retirement.batch_id == batch_id).order_by(Retirement.certificate_id)
        ).scalars()
        view["transfers"] = [
            {
                "from": t.sender,
                "to": t.recipient,
                "amount_kg": t.amount_kg,
                "tx_hash": t.tx_hash,
                "block_number": t.block_number,
            }
            for t in transfers
        ]
        view["retirements"] = [
            {"certificate_id": r.certificate_id, "amount_kg": r.amount_kg, "beneficiary": r.beneficiary}
            for r in retirements
        ]
        return view


@router.get("/v1/retirements", summary="Retirement certificates (public)")
def list_retirements(
    runtime: RuntimeDep,
    batch_id: int | None = Query(None, ge=1, le=MAX_TOKEN_ID),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_TOKEN_ID),
) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        query = select(Retirement).order_by(Retirement.certificate_id).limit(limit).offset(offset)
        if batch_id is not None:
            query = query.where(Retirement.batch_id == batch_id)
        return [views.retirement_view(session, r) for r in session.execute(query).scalars()]


@router.get(
    "/v1/retirements/{certificate_id}", summary="A retirement certificate with its chain evidence (public)"
)
def get_retirement(certificate_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        r = session.get(Retirement, certificate_id)
        if r is None:
            raise NotFound(f"no retirement certificate {certificate_id}", certificate_id=certificate_id)
        return views.retirement_view(session, r)
