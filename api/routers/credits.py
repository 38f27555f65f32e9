from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import CurrentParticipant, IdempotencyKey, RuntimeDep, SerialId, requires
from api.responses import CreditRequestOut, HoldingOut, errors
from api.schemas import RetirementIn, TransferIn
from registry import participants, retirements, spending, transfers
from registry.models import Participant

router = APIRouter(tags=["credits"])
Holder = Annotated[Participant, Depends(requires("holder", "project_owner"))]


@router.get(
    "/v1/holdings",
    response_model=list[HoldingOut],
    responses=errors(401),
    summary="The authenticated participant's holdings",
)
def holdings(runtime: RuntimeDep, actor: CurrentParticipant) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return participants.holdings(session, actor)


@router.post(
    "/v1/transfers",
    status_code=201,
    response_model=CreditRequestOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Transfer credits to another registered participant (signed with the holder's own key)",
)
def transfer(
    body: TransferIn, request: Request, runtime: RuntimeDep, actor: Holder, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        transfers.transfer_command(
            runtime.commands,
            runtime.outbox,
            actor,
            batch_id=body.batch_id,
            recipient=body.to,
            amount_kg=body.kg,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/retirements",
    status_code=201,
    response_model=CreditRequestOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Retire credits (permanent), receiving a certificate",
)
def retire(
    body: RetirementIn, request: Request, runtime: RuntimeDep, actor: Holder, key: IdempotencyKey = None
) -> JSONResponse:
    details = retirements.RetirementInput(
        beneficiary=body.beneficiary,
        purpose=body.purpose,
        event_id=body.event_id,
        jurisdiction=body.jurisdiction,
        consumption_start=body.consumption_start,
        consumption_end=body.consumption_end,
        note=body.note,
    )
    return respond(
        retirements.retire_command(
            runtime.commands,
            runtime.outbox,
            actor,
            batch_id=body.batch_id,
            amount_kg=body.kg,
            details=details,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/credit-requests/{request_id}",
    response_model=CreditRequestOut,
    responses=errors(401, 403, 404, 422),
    summary="A transfer or retirement request and its chain operation",
)
def get_request(request_id: SerialId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return spending.get_request(session, actor, request_id)
