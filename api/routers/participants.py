from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.commands import execute
from api.deps import CurrentParticipant, PublicId, RuntimeDep, requires
from api.schemas import ParticipantIn
from registry import participants as service
from registry.amounts import tonnes
from registry.clock import iso
from registry.errors import Forbidden
from registry.models import Holding, Participant

router = APIRouter(prefix="/v1/participants", tags=["participants"])
Registrar = Annotated[Participant, Depends(requires("registrar"))]


def participant_view(p: Participant) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "name": p.name,
        "kind": p.kind,
        "roles": sorted(p.role_names),
        "address": p.address,
        "custody": p.custody,
        "chain_status": p.chain_status,
        "created_at": iso(p.created_at),
    }


def holdings_view(session: Session, p: Participant) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Holding).where(Holding.address == p.address, Holding.amount_kg > 0).order_by(Holding.batch_id)
    ).scalars()
    return [{"batch_id": h.batch_id, "amount_kg": h.amount_kg, "amount_t": tonnes(h.amount_kg)} for h in rows]


@router.post("", status_code=201, summary="Register a participant (registrar)")
def register(body: ParticipantIn, request: Request, runtime: RuntimeDep, actor: Registrar) -> JSONResponse:
    token: dict[str, Any] = {}

    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        p, api_token, ops = service.register(
            session, runtime, name=body.name, kind=body.kind, roles=list(body.roles), address=body.address
        )
        token["token"] = api_token
        return f"participant:{p.public_id}", [op.id for op in ops]

    def render(session: Session, resource: str) -> dict[str, Any]:
        return participant_view(service.get(session, resource.split(":", 1)[1]))

    return execute(runtime, request, body, actor, action, render, once=token)


@router.get("", summary="List participants (registrar)")
def list_participants(runtime: RuntimeDep, actor: Registrar) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return [
            participant_view(p)
            for p in session.execute(select(Participant).order_by(Participant.id)).scalars()
        ]


@router.get("/me", summary="The authenticated participant, with its holdings")
def me(runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        p = service.get(session, actor.public_id)
        return {**participant_view(p), "holdings": holdings_view(session, p)}


@router.get("/{participant_id}", summary="A participant (registrar, or the participant itself)")
def get_participant(
    participant_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant
) -> dict[str, Any]:
    if actor.public_id != participant_id and "registrar" not in actor.role_names:
        raise Forbidden("only the registrar or the participant itself may see this")
    with runtime.db.transaction() as session:
        p = service.get(session, participant_id)
        return {**participant_view(p), "holdings": holdings_view(session, p)}
