"""Carbon-neutrality claims (R14, R15) and the public footprint calculator."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api import claim_certificate
from api.answers import keyed, respond
from api.deps import CurrentParticipant, IdempotencyKey, PublicId, RuntimeDep, requires
from api.responses import ClaimOut, FootprintCalculation, FootprintCatalogueEntry, errors, page_errors
from api.schemas import ActivityIn, ClaimIn, FootprintCalculationIn, ReviewIn
from registry import claims as service
from registry.errors import InvalidState
from registry.models import Participant

router = APIRouter(tags=["claims"])
Verifier = Annotated[Participant, Depends(requires("verifier"))]


@router.get(
    "/v1/footprints/catalogue",
    response_model=list[FootprintCatalogueEntry],
    summary="Footprint methodologies, with their schemas and factors (public)",
)
def footprint_catalogue() -> list[dict[str, Any]]:
    return service.footprint_catalogue()


@router.post(
    "/v1/footprints/calculate",
    response_model=FootprintCalculation,
    responses=errors(400, 422),
    summary="Compute a footprint, e.g. of a person's trip, without recording anything (public, no token)",
)
def calculate(body: FootprintCalculationIn) -> dict[str, Any]:
    return service.calculate(
        body.footprint_methodology.code,
        body.footprint_methodology.version,
        body.period_start,
        body.period_end,
        body.activity,
    )


@router.get("/v1/claims", response_model=list[ClaimOut], summary="Neutrality claims (public)")
def list_claims(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.listing(session)


@router.get(
    "/v1/claims/{claim_id}",
    response_model=ClaimOut,
    responses=errors(404, 422),
    summary="A neutrality claim with its footprint, retirements and chain evidence (public)",
)
def get_claim(claim_id: PublicId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.view(session, service.get(session, claim_id))


@router.post(
    "/v1/claims",
    status_code=201,
    response_model=ClaimOut,
    responses=errors(400, 401, 403, 409, 422),
    summary="Register a neutrality claim (an event needs the event_organiser role; a person claims "
    "for itself; other subjects belong to an organisation)",
)
def register(
    body: ClaimIn,
    request: Request,
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.register_command(
            runtime.commands,
            actor,
            idempotency=keyed(request, key, body),
            kind=body.kind,
            subject=body.subject,
            period_start=body.period_start,
            period_end=body.period_end,
            footprint_code=body.footprint_methodology.code,
            footprint_version=body.footprint_methodology.version,
            buffer_pct=Decimal(body.buffer_pct),
        )
    )


@router.post(
    "/v1/claims/{claim_id}/footprint",
    status_code=201,
    response_model=ClaimOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Submit the subject's activity data: the footprint methodology computes the footprint (claimant)",
)
def footprint(
    claim_id: PublicId,
    body: ActivityIn,
    request: Request,
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.footprint_command(
            runtime.commands, actor, claim_id, body.activity, idempotency=keyed(request, key, body)
        )
    )


@router.post(
    "/v1/claims/{claim_id}/verifications",
    status_code=201,
    response_model=ClaimOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Verify (or reject) a claim's footprint (a verifier other than the claimant)",
)
def verify(
    claim_id: PublicId,
    body: ReviewIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Verifier,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.verify_command(
            runtime.commands,
            actor,
            claim_id,
            decision=body.decision,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/claims/{claim_id}/close",
    status_code=201,
    response_model=ClaimOut,
    responses=errors(401, 403, 404, 409, 422, 503),
    summary="Close a verified claim on chain: succeeds only if the retirements against it cover the "
    "footprint and buffer (claimant)",
)
def close(
    claim_id: PublicId,
    request: Request,
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.close_command(
            runtime.commands, runtime.outbox, actor, claim_id, idempotency=keyed(request, key, None)
        )
    )


def _neutral(runtime: RuntimeDep, claim_id: str) -> dict[str, Any]:
    with runtime.db.reading() as session:
        claim = service.view(session, service.get(session, claim_id))
    if claim["status"] != "neutral":
        raise InvalidState(
            f"claim {claim_id} is {claim['status']}: a certificate is issued once it is closed as neutral",
            status=claim["status"],
        )
    return claim


def _public_url(request: Request, claim_id: str) -> str:
    return str(request.url_for("claim_certificate", claim_id=claim_id))


@router.get(
    "/v1/claims/{claim_id}/certificate",
    name="claim_certificate",
    response_class=HTMLResponse,
    responses={
        **page_errors(404, 409, 422),
        200: {"content": {"text/html": {}}, "description": "The page"},
    },
    summary="The neutrality certificate of a closed claim, as a web page with its QR code (public)",
)
def certificate(claim_id: PublicId, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    claim = _neutral(runtime, claim_id)
    return HTMLResponse(claim_certificate.html(claim, _public_url(request, claim_id)))


@router.get(
    "/v1/claims/{claim_id}/certificate.pdf",
    response_class=Response,
    responses={
        **page_errors(404, 409, 422),
        200: {"content": {"application/pdf": {}}, "description": "The PDF"},
    },
    summary="The neutrality certificate of a closed claim, as a PDF with its QR code (public)",
)
def certificate_pdf(claim_id: PublicId, request: Request, runtime: RuntimeDep) -> Response:
    claim = _neutral(runtime, claim_id)
    body = claim_certificate.pdf(claim, _public_url(request, claim_id))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="neutrality-{claim_id}.pdf"'},
    )
