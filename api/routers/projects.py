from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import CurrentParticipant, IdempotencyKey, PublicId, RuntimeDep, requires
from api.responses import ProjectOut, ReportOut, errors
from api.schemas import DocumentIn, ProjectIn, ProjectReviewIn, ReasonIn, ReportIn
from registry import projects as service
from registry import reports, verification
from registry.models import Participant

router = APIRouter(tags=["projects"])
Owner = Annotated[Participant, Depends(requires("project_owner"))]
Registrar = Annotated[Participant, Depends(requires("registrar"))]
Verifier = Annotated[Participant, Depends(requires("verifier"))]
VerifierOrSupervisor = Annotated[Participant, Depends(requires("verifier", "supervisor"))]


@router.post(
    "/v1/projects",
    status_code=201,
    response_model=ProjectOut,
    responses=errors(400, 401, 403, 409, 422),
    summary="Create a project (project owner)",
)
def create(
    body: ProjectIn, request: Request, runtime: RuntimeDep, actor: Owner, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        service.create_command(
            runtime.commands,
            actor,
            name=body.name,
            description=body.description,
            location=body.location,
            code=body.methodology.code,
            version=body.methodology.version,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/projects",
    response_model=list[ProjectOut],
    responses=errors(401),
    summary="Projects (any participant)",
)
def list_projects(runtime: RuntimeDep, actor: CurrentParticipant) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.listing(session)


@router.get(
    "/v1/projects/{project_id}",
    response_model=ProjectOut,
    responses=errors(401, 404, 422),
    summary="A project with its documents and reviews",
)
def get_project(project_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.view(session, service.get(session, project_id))


@router.post(
    "/v1/projects/{project_id}/documents",
    status_code=201,
    response_model=ProjectOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Add a document (its owner); a registered project's new documents hash goes on chain",
)
def add_document(
    project_id: PublicId,
    body: DocumentIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Owner,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.add_document_command(
            runtime.commands,
            runtime.outbox,
            actor,
            project_id,
            filename=body.filename,
            content_type=body.content_type,
            content_b64=body.content_base64,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/projects/{project_id}/submit",
    status_code=201,
    response_model=ProjectOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Submit a project for review (its owner)",
)
def submit(
    project_id: PublicId, request: Request, runtime: RuntimeDep, actor: Owner, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        service.submit_command(runtime.commands, actor, project_id, idempotency=keyed(request, key))
    )


@router.post(
    "/v1/projects/{project_id}/reviews",
    status_code=201,
    response_model=ProjectOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Review a project (registrar); approval registers it on chain",
)
def review(
    project_id: PublicId,
    body: ProjectReviewIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Registrar,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.review_command(
            runtime.commands,
            runtime.outbox,
            actor,
            project_id,
            decision=body.decision,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/projects/{project_id}/reports",
    status_code=201,
    response_model=ReportOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Submit a monitoring report (its owner); the methodology quantifies it at once",
)
def submit_report(
    project_id: PublicId,
    body: ReportIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Owner,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        reports.submit_command(
            runtime.commands,
            actor,
            project_id,
            period_start=body.period_start,
            period_end=body.period_end,
            data=body.data,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/projects/{project_id}/reports",
    response_model=list[ReportOut],
    responses=errors(401, 404, 422),
    summary="A project's monitoring reports",
)
def list_reports(
    project_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant
) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return reports.listing(session, project_id)


@router.get(
    "/v1/reports/{report_id}",
    tags=["reports"],
    response_model=ReportOut,
    responses=errors(401, 404, 422),
    summary="A monitoring report with its quantification",
)
def get_report(report_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return reports.view(session, reports.get(session, report_id))


@router.post(
    "/v1/reports/{report_id}/verifications",
    status_code=201,
    tags=["reports"],
    response_model=ReportOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Verify a report (verifier): approval records it on chain and issues the batch",
)
def verify(
    report_id: PublicId,
    body: ProjectReviewIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Verifier,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        verification.verify_command(
            runtime.commands,
            runtime.outbox,
            actor,
            report_id,
            decision=body.decision,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/reports/{report_id}/withdrawal",
    status_code=201,
    tags=["reports"],
    response_model=ReportOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Withdraw a verified report before its issuance (its verifier, or a supervisor), with a reason",
)
def withdraw(
    report_id: PublicId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: VerifierOrSupervisor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        verification.withdraw_command(
            runtime.commands,
            runtime.outbox,
            actor,
            report_id,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )
