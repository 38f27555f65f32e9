"""Monitoring reports: the owner submits monitoring data for a period; the project's
methodology quantifies the reduction at once (R18's automatic quantification).

A report's period must not overlap a period already verified or issued for the project; the
contracts enforce the same rule on chain at issuance.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from registry import methodologies as catalogue
from registry import methodology_review, projects, views
from registry.amounts import tonnes
from registry.clock import PERIOD_FLOOR, day_start, iso, now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.db import loaded
from registry.errors import (
    InvalidRequest,
    InvalidState,
    MonitoringDataInvalid,
    NoReduction,
    NotFound,
    PeriodOverlaps,
    PeriodOverlapsPending,
)
from registry.models import Batch, MonitoringReport, Participant, Project
from registry.states import LIVE_REPORTS, ProjectStatus, ReportStatus


def get(session: Session, public_id: str, *, lock: bool = False) -> MonitoringReport:
    """The report; with `lock`, its row is locked until the transaction ends (a decision on it
    reads its state and changes it: two concurrent decisions must not both see it undecided)."""
    query = _BY_PUBLIC_ID_LOCKED if lock else _BY_PUBLIC_ID
    report = session.execute(query, {"public_id": public_id}).scalar_one_or_none()
    if report is None:
        raise NotFound(f"no monitoring report {public_id}", report=public_id)
    return report


def chain_period(start: date, end: date) -> tuple[int, int]:
    """The on-chain half-open period [start 00:00 UTC, the day after end 00:00 UTC)."""
    return day_start(start), day_start(end + timedelta(days=1))


def _overlapping(session: Session, project: Project, start: date, end: date) -> list[MonitoringReport]:
    params = {"project_id": project.id, "start": start, "end": end}
    return list(session.execute(_OVERLAPPING_REPORTS, params).scalars())


def check_period_free(
    session: Session, project: Project, start: date, end: date, *, exclude: int | None = None
) -> None:
    """Raises PeriodOverlaps if [start, end] overlaps a verified or issued report or an issued
    batch of the project, PeriodOverlapsPending if it overlaps a report awaiting verification."""
    for other in _overlapping(session, project, start, end):
        if other.id == exclude:
            continue
        klass = PeriodOverlapsPending if other.status == ReportStatus.SUBMITTED else PeriodOverlaps
        raise klass(
            f"the period {start}..{end} overlaps report {other.public_id} "
            f"({other.period_start}..{other.period_end}, {other.status})",
            report=other.public_id,
            period_start=str(other.period_start),
            period_end=str(other.period_end),
        )
    first, last = chain_period(start, end)
    # The overlap is found by the database (not by loading every batch of the project).
    overlapping = session.execute(
        _OVERLAPPING_BATCH, {"project_hash": project.onchain_id, "first": first, "last": last}
    ).scalar()
    if overlapping is not None:
        raise PeriodOverlaps(
            f"the period {start}..{end} overlaps batch {overlapping}, already issued", batch=overlapping
        )


# Statements of every decision on a report, built once.
_BY_PUBLIC_ID = select(MonitoringReport).where(MonitoringReport.public_id == bindparam("public_id"))
_BY_PUBLIC_ID_LOCKED = _BY_PUBLIC_ID.with_for_update()
_BATCH_OF_REPORT = select(Batch).where(Batch.report_hash == bindparam("report_hash"))

#: The live reports of a project whose period overlaps [start, end] (dates, inclusive).
_OVERLAPPING_REPORTS = select(MonitoringReport).where(
    MonitoringReport.project_id == bindparam("project_id"),
    MonitoringReport.status.in_(LIVE_REPORTS),
    MonitoringReport.period_start <= bindparam("end"),
    MonitoringReport.period_end >= bindparam("start"),
)

#: The first batch of a project whose period overlaps [first, last) (chain times).
_OVERLAPPING_BATCH = (
    select(Batch.id)
    .where(
        Batch.project_hash == bindparam("project_hash"),
        Batch.period_end > bindparam("first"),
        Batch.period_start < bindparam("last"),
    )
    .order_by(Batch.id)
    .limit(1)
)


def submit(
    session: Session,
    actor: Participant,
    project: Project,
    *,
    period_start: date,
    period_end: date,
    data: dict[str, Any],
) -> MonitoringReport:
    projects.require_owner(project, actor)
    if project.status != ProjectStatus.REGISTERED:
        raise InvalidState(
            f"project {project.public_id} is {project.status}; "
            "reports are accepted once it is registered on chain",
            status=str(project.status),
        )
    if period_start > period_end:
        raise InvalidRequest("period_start is after period_end", field="period_start")
    if period_start < PERIOD_FLOOR:
        raise InvalidRequest(
            f"a monitoring period cannot start before {PERIOD_FLOOR} (the registry's first day)",
            field="period_start",
        )
    if period_end >= now().date():
        raise InvalidRequest("a monitoring period must have ended before it is reported", field="period_end")
    check_period_free(session, project, period_start, period_end)

    m = methodology_review.get(session, project.methodology_id)
    module = methodology_review.module_for(m)
    try:
        parsed = module.parse(data)
        result = module.quantify(parsed, catalogue.MonitoringPeriod(period_start, period_end))
    except catalogue.MethodologyInputError as err:
        if any(e["message"].startswith("no reduction") for e in err.errors):
            raise NoReduction(str(err), errors=err.errors) from None
        raise MonitoringDataInvalid(
            f"the monitoring data do not fit {m.code} v{m.version}: {err}", errors=err.errors
        ) from None
    except ArithmeticError as err:  # extreme values a methodology's bounds let through
        message = f"the monitoring data cannot be quantified ({type(err).__name__}): a value is out of range"
        raise MonitoringDataInvalid(
            f"{m.code} v{m.version}: {message}", errors=[{"field": "", "message": message}]
        ) from None

    normalised = json.loads(parsed.model_dump_json())
    public_id = "MR-" + secrets.token_hex(4).upper()
    canonical = json.dumps(
        {
            "report": public_id,
            "project": project.onchain_id,
            "methodology": {"code": m.code, "version": m.version, "content_hash": m.content_hash},
            "period": [str(period_start), str(period_end)],
            "data": normalised,
            "net_kg": result.net_kg,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    report = MonitoringReport(
        public_id=public_id,
        project_id=project.id,
        period_start=period_start,
        period_end=period_end,
        data=normalised,
        quantification={
            "baseline_kg": result.baseline_kg,
            "project_kg": result.project_kg,
            "leakage_kg": result.leakage_kg,
            "net_kg": result.net_kg,
            "steps": [list(step) for step in result.steps],
        },
        net_kg=result.net_kg,
        report_hash="0x" + keccak(text=canonical).hex(),
        status=ReportStatus.SUBMITTED,
        submitted_at=now(),
    )
    session.add(report)
    session.flush()
    return report


def view(session: Session, report: MonitoringReport) -> dict[str, Any]:
    project = loaded(session, Project, report.project_id)
    assert project is not None
    batch = session.execute(_BATCH_OF_REPORT, {"report_hash": report.report_hash}).scalar_one_or_none()
    q = report.quantification
    return {
        "id": report.public_id,
        "project": project.public_id,
        "period_start": str(report.period_start),
        "period_end": str(report.period_end),
        "data": report.data,
        "quantification": {
            "baseline_kg": q["baseline_kg"],
            "project_kg": q["project_kg"],
            "leakage_kg": q["leakage_kg"],
            "net_kg": q["net_kg"],
            "net_t": tonnes(q["net_kg"]),
            "steps": q["steps"],
        },
        "report_hash": report.report_hash,
        "status": str(report.status),
        "batch_id": batch.id if batch else None,
        "verifications": views.decisions(session, report.verifications, "verifier_id", label="verifier"),
        "submitted_at": iso(report.submitted_at),
    }


def listing(session: Session, project_id: str) -> list[dict[str, Any]]:
    project = projects.get(session, project_id)
    rows = session.execute(
        select(MonitoringReport)
        .where(MonitoringReport.project_id == project.id)
        .order_by(MonitoringReport.id)
    ).scalars()
    return [view(session, r) for r in rows]


def render(session: Session, resource: Resource) -> dict[str, Any]:
    return view(session, get(session, str(resource.id)))


def submit_command(
    commands: Commands,
    actor: Participant,
    project_id: str,
    *,
    period_start: date,
    period_end: date,
    data: dict[str, Any],
    idempotency: IdempotencyKey | None,
) -> Answer:
    """The owner's monitoring report, quantified at once by the project's methodology."""

    def action(session: Session, me: Participant) -> Done:
        report = submit(
            session,
            me,
            projects.get(session, project_id, lock=True),  # periods are checked against its reports
            period_start=period_start,
            period_end=period_end,
            data=data,
        )
        return Done(Resource("report", report.public_id))

    return commands.run(actor, action, render, idempotency=idempotency)
