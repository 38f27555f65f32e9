"""Retrying work the chain refused (registry/retries.py): a participant's registration
(``chain_status`` ``failed``) and a verified report's issuance (``issue_failed``). Like every
command: an optional Idempotency-Key, 201 once confirmed on chain, 202 while pending, 409 when
the chain refuses again or the record is not in a failed state (``not_failed``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import IdempotencyKey, PublicId, RuntimeDep, requires
from api.responses import ParticipantOut, ReportOut, accepted, errors
from registry import retries
from registry.models import Participant

router = APIRouter()
Registrar = Annotated[Participant, Depends(requires("registrar"))]
RegistrarOrVerifier = Annotated[Participant, Depends(requires("registrar", "verifier"))]


@router.post(
    "/v1/participants/{participant_id}/registration/retry",
    status_code=201,
    tags=["participants"],
    response_model=ParticipantOut,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(ParticipantOut)},
    summary="Retry a participant's registration on chain after it failed (registrar)",
)
def retry_registration(
    participant_id: PublicId,
    request: Request,
    runtime: RuntimeDep,
    actor: Registrar,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        retries.registration_retry_command(
            runtime.commands, runtime.outbox, actor, participant_id, idempotency=keyed(request, key)
        )
    )


@router.post(
    "/v1/reports/{report_id}/issuance/retry",
    status_code=201,
    tags=["reports"],
    response_model=ReportOut,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(ReportOut)},
    summary="Retry a verified report's record and issuance after they failed (the registrar, or "
    "the verifier that approved it)",
)
def retry_issuance(
    report_id: PublicId,
    request: Request,
    runtime: RuntimeDep,
    actor: RegistrarOrVerifier,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        retries.issuance_retry_command(
            runtime.commands, runtime.outbox, actor, report_id, idempotency=keyed(request, key)
        )
    )
