from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import IdempotencyKey, RuntimeDep, SerialId, requires
from api.responses import CatalogueEntry, MethodologyOut, ProposalCheckOut, errors
from api.schemas import DeclarativeMethodologyIn, MethodologyIn, ReviewIn
from registry import methodology_review as service
from registry.errors import MethodologyProposalInvalid
from registry.models import Participant

router = APIRouter(prefix="/v1/methodologies", tags=["methodologies"])
Proposer = Annotated[Participant, Depends(requires("registrar", "project_owner"))]
Committee = Annotated[Participant, Depends(requires("committee"))]


@router.get(
    "/catalogue",
    response_model=list[CatalogueEntry],
    summary="Methodology modules available to propose (public)",
)
def catalogue_list() -> list[dict[str, Any]]:
    return service.catalogue_listing()


@router.get(
    "", response_model=list[MethodologyOut], summary="Proposed, published and rejected methodologies (public)"
)
def list_methodologies(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.listing(session)


@router.get(
    "/{methodology_id}",
    response_model=MethodologyOut,
    responses=errors(404, 422),
    summary="A methodology with its committee reviews (public)",
)
def get_methodology(methodology_id: SerialId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.view(session, service.get(session, methodology_id))


@router.post(
    "",
    status_code=201,
    response_model=MethodologyOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Propose a methodology version for committee review",
)
def propose(
    body: MethodologyIn, request: Request, runtime: RuntimeDep, actor: Proposer, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        service.propose_command(
            runtime.commands,
            actor,
            code=body.code,
            version=body.version,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/declarative",
    status_code=201,
    response_model=MethodologyOut,
    responses=errors(400, 401, 403, 409, 422),
    summary="Propose a declarative methodology (an enterprise's own, R3) for committee review",
)
def propose_declarative(
    body: DeclarativeMethodologyIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Proposer,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.propose_declarative_command(
            runtime.commands, actor, spec=body.spec, idempotency=keyed(request, key, body)
        )
    )


@router.post(
    "/declarative/check",
    response_model=ProposalCheckOut,
    responses=errors(401, 403, 422),
    summary="Check a declarative methodology without proposing it: every problem, with its code",
)
def check_declarative(body: DeclarativeMethodologyIn, runtime: RuntimeDep, actor: Proposer) -> dict[str, Any]:
    try:
        spec, content_hash = service.check_declarative(body.spec)
    except MethodologyProposalInvalid as err:
        return {"acceptable": False, "content_hash": None, "problems": err.details["problems"]}
    with runtime.db.reading() as session:
        taken = service.code_taken(session, spec.code, spec.version)
    if taken is not None:
        return {
            "acceptable": False,
            "content_hash": None,
            "problems": [{"code": "code_taken", "message": taken, "where": "code"}],
        }
    return {"acceptable": True, "content_hash": "0x" + content_hash.hex(), "problems": []}


@router.post(
    "/{methodology_id}/reviews",
    status_code=201,
    response_model=MethodologyOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Review a methodology (expert committee); at quorum it is published on chain or rejected",
)
def review(
    methodology_id: SerialId,
    body: ReviewIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Committee,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.review_command(
            runtime.commands,
            runtime.outbox,
            actor,
            methodology_id,
            decision=body.decision,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )
