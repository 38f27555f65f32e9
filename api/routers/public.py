"""Public read routes: no token needed. Anyone can follow a batch from issuance to retirement
and check each step against the chain with the evidence given (contract, tx hash, block)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Query, Request, Response

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
    with runtime.db.reading() as session:
        return views.batches(session, limit=limit, offset=offset)


@router.get(
    "/v1/batches/{batch_id}",
    response_model=BatchDetail,
    responses=errors(404, 422),
    summary="A batch with its supply, transfers, retirements and chain evidence (public)",
)
def get_batch(batch_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
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
    with runtime.db.reading() as session:
        return views.retirements(session, batch_id=batch_id, limit=limit, offset=offset)


@router.get(
    "/v1/retirements/{certificate_id}",
    response_model=RetirementOut,
    responses=errors(404, 422),
    summary="A retirement certificate with its chain evidence (public)",
)
def get_retirement(certificate_id: TokenId, runtime: RuntimeDep, request: Request) -> Response:
    # The public page everyone sees: the rendered certificate is kept (per app) with the index
    # mark it was rendered at, and served again while the mark is unchanged — one small read
    # instead of the certificate's queries and its validation.
    rendered: _Rendered | None = getattr(request.app.state, "rendered_certificates", None)
    if rendered is None:
        rendered = request.app.state.rendered_certificates = _Rendered()
    with runtime.db.reading() as session:
        mark = views.index_mark(session)
        body = rendered.get(certificate_id, mark)
        if body is None:
            view = views.certificate(session, certificate_id)
            body = RetirementOut.model_validate(view).model_dump_json(by_alias=True).encode()
            rendered.put(certificate_id, mark, body)
    return Response(body, media_type="application/json")


class _Rendered:
    """Rendered certificates, each with the index mark it was rendered at."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: dict[int, tuple[Any, bytes]] = {}

    def get(self, certificate_id: int, mark: Any) -> bytes | None:
        with self._lock:
            found = self._bodies.get(certificate_id)
        return found[1] if found is not None and found[0] == mark else None

    def put(self, certificate_id: int, mark: Any, body: bytes) -> None:
        with self._lock:
            if len(self._bodies) >= self.LIMIT:
                self._bodies.clear()
            self._bodies[certificate_id] = (mark, body)
