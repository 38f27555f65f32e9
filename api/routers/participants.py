from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import CurrentParticipant, IdempotencyKey, PublicId, RuntimeDep, requires
from api.responses import ParticipantOut, ParticipantWithHoldings, RegisteredParticipant, errors
from api.schemas import ParticipantIn
from registry import participants as service
from registry.errors import Forbidden
from registry.models import Participant

router = APIRouter(prefix="/v1/participants", tags=["participants"])
Registrar = Annotated[Participant, Depends(requires("registrar"))]


@router.post(
    "",
    status_code=201,
    response_model=RegisteredParticipant,
    responses=errors(400, 401, 403, 409, 422, 503),
    summary="Register a participant (registrar)",
)
def register(
    body: ParticipantIn, request: Request, runtime: RuntimeDep, actor: Registrar, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        service.register_command(
            runtime.commands,
            runtime.outbox,
            actor,
            name=body.name,
            kind=body.kind,
            roles=list(body.roles),
            address=body.address,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "",
    response_model=list[ParticipantOut],
    responses=errors(401, 403),
    summary="List participants (registrar)",
)
def list_participants(runtime: RuntimeDep, actor: Registrar) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.listing(session)


@router.get(
    "/me",
    response_model=ParticipantWithHoldings,
    responses=errors(401),
    summary="The authenticated participant, with its holdings",
)
def me(runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.view_with_holdings(session, actor.public_id)


@router.get(
    "/{participant_id}",
    response_model=ParticipantWithHoldings,
    responses=errors(401, 403, 404, 422),
    summary="A participant (registrar, or the participant itself)",
)
def get_participant(
    participant_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant
) -> dict[str, Any]:
    if actor.public_id != participant_id and "registrar" not in actor.role_names:
        raise Forbidden("only the registrar or the participant itself may see this")
    with runtime.db.reading() as session:
        return service.view_with_holdings(session, participant_id)
