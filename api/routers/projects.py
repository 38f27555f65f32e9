from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.commands import execute
from api.deps import CurrentParticipant, PublicId, RuntimeDep, requires
from api.schemas import DocumentIn, ProjectIn, ProjectReviewIn, ReportIn
from registry import projects as service
from registry import reports, verification
from registry.models import MonitoringReport, Participant, Project

router = APIRouter(tags=["projects"])
Owner = Annotated[Participant, Depends(requires("project_owner"))]
Registrar = Annotated[Participant, Depends(requires("registrar"))]
Verifier = Annotated[Participant, Depends(requires("verifier"))]


def _project(session: Session, resource: str) -> dict[str, Any]:
    return service.view(session, service.get(session, resource.split(":", 1)[1]))


def _report(session: Session, resource: str) -> dict[str, Any]:
    return reports.view(session, reports.get(session, resource.split(":", 1)[1]))


@router.post("/v1/projects", status_code=201, summary="Create a project (project owner)")
def create(body: ProjectIn, request: Request, runtime: RuntimeDep, actor: Owner) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        p = service.create(
            session,
            me,
            name=body.name,
            description=body.description,
            location=body.location,
            code=body.methodology.code,
            version=body.methodology.version,
        )
        return f"project:{p.public_id}", []

    return execute(runtime, request, body, actor, action, _project)


@router.get("/v1/projects", summary="Projects (any participant)")
def list_projects(runtime: RuntimeDep, actor: CurrentParticipant) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        return [
            service.view(session, p) for p in session.execute(select(Project).order_by(Project.id)).scalars()
        ]


@router.get("/v1/projects/{project_id}", summary="A project with its documents and reviews")
def get_project(project_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return service.view(session, service.get(session, project_id))


@router.post("/v1/projects/{project_id}/documents", status_code=201, summary="Add a document (its owner)")
def add_document(
    project_id: PublicId, body: DocumentIn, request: Request, runtime: RuntimeDep, actor: Owner
) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        project = service.get(session, project_id)
        service.add_document(
            session,
            runtime,
            me,
            project,
            filename=body.filename,
            content_type=body.content_type,
            content_b64=body.content_base64,
        )
        ops = [project.operation_id] if project.status == "registered" and project.operation_id else []
        return f"project:{project.public_id}", ops

    return execute(runtime, request, body, actor, action, _project)


@router.post(
    "/v1/projects/{project_id}/submit", status_code=201, summary="Submit a project for review (its owner)"
)
def submit(project_id: PublicId, request: Request, runtime: RuntimeDep, actor: Owner) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        project = service.submit(session, me, service.get(session, project_id))
        return f"project:{project.public_id}", []

    return execute(runtime, request, None, actor, action, _project)


@router.post("/v1/projects/{project_id}/reviews", status_code=201, summary="Review a project (registrar)")
def review(
    project_id: PublicId, body: ProjectReviewIn, request: Request, runtime: RuntimeDep, actor: Registrar
) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        project = service.review(
            session, runtime, me, service.get(session, project_id), body.decision, body.reason
        )
        ops = [project.operation_id] if body.decision == "approve" and project.operation_id else []
        return f"project:{project.public_id}", ops

    return execute(runtime, request, body, actor, action, _project)


@router.post(
    "/v1/projects/{project_id}/reports", status_code=201, summary="Submit a monitoring report (its owner)"
)
def submit_report(
    project_id: PublicId, body: ReportIn, request: Request, runtime: RuntimeDep, actor: Owner
) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        report = reports.submit(
            session,
            runtime,
            me,
            service.get(session, project_id),
            period_start=body.period_start,
            period_end=body.period_end,
            data=body.data,
        )
        return f"report:{report.public_id}", []

    return execute(runtime, request, body, actor, action, _report)


@router.get("/v1/projects/{project_id}/reports", summary="A project's monitoring reports")
def list_reports(
    project_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant
) -> list[dict[str, Any]]:
    with runtime.db.transaction() as session:
        project = service.get(session, project_id)
        rows = session.execute(
            select(MonitoringReport)
            .where(MonitoringReport.project_id == project.id)
            .order_by(MonitoringReport.id)
        ).scalars()
        return [reports.view(session, r) for r in rows]


@router.get(
    "/v1/reports/{report_id}", tags=["reports"], summary="A monitoring report with its quantification"
)
def get_report(report_id: PublicId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return reports.view(session, reports.get(session, report_id))


@router.post(
    "/v1/reports/{report_id}/verifications",
    status_code=201,
    tags=["reports"],
    summary="Verify a report (verifier): approval records it on chain and issues the batch",
)
def verify(
    report_id: PublicId, body: ProjectReviewIn, request: Request, runtime: RuntimeDep, actor: Verifier
) -> JSONResponse:
    def action(session: Session, me: Participant) -> tuple[str, list[int]]:
        report = reports.get(session, report_id)
        v = verification.decide(session, runtime, me, report, body.decision, body.reason)
        ops = [op for op in (v.record_operation_id, v.issue_operation_id) if op is not None]
        return f"report:{report.public_id}", ops

    return execute(runtime, request, body, actor, action, _report)
