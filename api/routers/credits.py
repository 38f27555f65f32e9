from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.commands import execute
from api.deps import CurrentParticipant, RuntimeDep, SerialId, requires
from api.routers.participants import holdings_view
from api.schemas import RetirementIn, TransferIn
from registry import credits as service
from registry import participants
from registry.errors import Forbidden, NotFound
from registry.models import Participant, TransferRequest

router = APIRouter(tags=["credits"])
Holder = Annotated[Participant, Depends(requires("holder", "project_owner"))]


def _request(session: Session, resource: str) -> dict[str, Any]:
    request = session.get(TransferRequest, int(resource.split(":")[1]))
    assert request is not None
    return service.request_view(session, request)


@router.get("/v1/holdings", summary="The authenticated participant's holdings")
def holdings(runtime: RuntimeDep, actor: CurrentParticipant) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return holdings_view(session, participants.get(session, actor.public_id))


@router.post("/v1/transfers", status_code=201, summary="Transfer credits to another registered participant")
def transfer(body: TransferIn, request: Request, runtime: RuntimeDep, actor: Holder) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        r = service.transfer(
            session, runtime, me, batch_id=body.batch_id, recipient=body.to, amount_kg=body.kg
        )
        return f"credit_request:{r.id}", [r.operation_id]

    return execute(runtime, request, body, actor, action, _request)


@router.post(
    "/v1/retirements",
    status_code=201,
    summary="Retire credits (permanent), receiving a certificate",
)
def retire(body: RetirementIn, request: Request, runtime: RuntimeDep, actor: Holder) -> JSONResponse:
    details = service.RetirementInput(
        beneficiary=body.beneficiary,
        purpose=body.purpose,
        event_id=body.event_id,
        jurisdiction=body.jurisdiction,
        consumption_start=body.consumption_start,
        consumption_end=body.consumption_end,
        note=body.note,
    )

    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        r = service.retire(session, runtime, me, batch_id=body.batch_id, amount_kg=body.kg, details=details)
        return f"credit_request:{r.id}", [r.operation_id]

    return execute(runtime, request, body, actor, action, _request)


@router.get(
    "/v1/credit-requests/{request_id}", summary="A transfer or retirement request and its chain operation"
)
def get_request(request_id: SerialId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        request = session.get(TransferRequest, request_id)
        if request is None:
            raise NotFound(f"no credit request {request_id}")
        if request.participant_id != actor.id and "registrar" not in actor.role_names:
            raise Forbidden("only the requester or the registrar may see this")
        return service.request_view(session, request)
