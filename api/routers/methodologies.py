from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.commands import execute
from api.deps import RuntimeDep, SerialId, requires
from api.schemas import MethodologyIn, ReviewIn
from registry import methodologies as catalogue
from registry import methodology_review as service
from registry.models import Methodology, Participant

router = APIRouter(prefix="/v1/methodologies", tags=["methodologies"])
Proposer = Annotated[Participant, Depends(requires("registrar", "project_owner"))]
Committee = Annotated[Participant, Depends(requires("committee"))]


@router.get("/catalogue", summary="Methodology modules available to propose (public)")
def catalogue_list() -> list[dict[str, Any]]:
    return [m.describe() for m in catalogue.all_methodologies()]


@router.get("", summary="Proposed, published and rejected methodologies (public)")
def list_methodologies(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return [
            service.view(m, session)
            for m in session.execute(select(Methodology).order_by(Methodology.id)).scalars()
        ]


@router.get("/{methodology_id}", summary="A methodology with its committee reviews (public)")
def get_methodology(methodology_id: SerialId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return service.view(service.get(session, methodology_id), session)


def _render(session: Session, resource: str) -> dict[str, Any]:
    return service.view(service.get(session, int(resource.split(":")[1])), session)


@router.post("", status_code=201, summary="Propose a methodology version for committee review")
def propose(body: MethodologyIn, request: Request, runtime: RuntimeDep, actor: Proposer) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        m = service.propose(session, me, body.code, body.version)
        return f"methodology:{m.id}", []

    return execute(runtime, request, body, actor, action, _render)


@router.post("/{methodology_id}/reviews", status_code=201, summary="Review a methodology (expert committee)")
def review(
    methodology_id: SerialId, body: ReviewIn, request: Request, runtime: RuntimeDep, actor: Committee
) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        m = service.review(
            session, runtime, me, service.get(session, methodology_id), body.decision, body.reason
        )
        return f"methodology:{m.id}", [m.operation_id] if m.operation_id and m.status == "published" else []

    return execute(runtime, request, body, actor, action, _render)
