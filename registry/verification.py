"""Verification: a verification body approves, rejects or asks for changes, with reasons.

Approval queues two chain operations in one transaction: the verifier records the verified
report on chain with its own key (so the chain names who verified), then the operator issues
the batch to the project owner. The issuance depends on the record and is sent after it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from registry import reports
from registry.clock import now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.db import loaded
from registry.errors import Forbidden, InvalidRequest, InvalidState
from registry.models import Batch, ChainOperation, MonitoringReport, Participant, Project, Verification
from registry.outbox import Outbox
from registry.states import ReportStatus, decided, move

# Issuance is ~205k gas (charged as used: the limit is generous). A report that back-fills a gap
# before the project's latest issued period costs ~2.2k more per issued period of the project
# (the contract checks it overlaps none of them): its limit grows with them (`issue_gas`).
ISSUE_GAS = 1_500_000
ISSUE_GAS_PER_PERIOD = 2_600

#: How many batches the project has, and the end of its latest period (chain time).
_PROJECT_PERIODS = select(func.count(Batch.id), func.max(Batch.period_end)).where(
    Batch.project_hash == bindparam("project_hash")
)
#: Its reports verified and not yet indexed as issued (their issuance in flight), and the last
#: day of the latest one's period.
_IN_FLIGHT = select(func.count(MonitoringReport.id), func.max(MonitoringReport.period_end)).where(
    MonitoringReport.project_id == bindparam("project_id"), MonitoringReport.status == ReportStatus.VERIFIED
)

OUTCOMES = {
    "approve": ReportStatus.VERIFIED,
    "reject": ReportStatus.REJECTED,
    "request_changes": ReportStatus.CHANGES_REQUESTED,
}


def decide(
    session: Session,
    outbox: Outbox,
    actor: Participant,
    report: MonitoringReport,
    decision: str,
    reason: str,
) -> Verification:
    outcome = decided(decision, OUTCOMES, reason, what="a verification")
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidState(
            f"report {report.public_id} is {report.status}, not awaiting verification",
            status=str(report.status),
        )
    project = loaded(session, Project, report.project_id)
    assert project is not None
    if project.owner_id == actor.id:
        raise Forbidden("a project owner cannot verify its own report")
    verification = Verification(
        report_id=report.id, verifier_id=actor.id, decision=decision, reason=reason, created_at=now()
    )
    session.add(verification)
    if decision == "approve":
        reports.check_period_free(session, project, report.period_start, report.period_end, exclude=report.id)
        start, end = reports.chain_period(report.period_start, report.period_end)
        report_hash = bytes.fromhex(report.report_hash[2:])
        record = outbox.enqueue(
            session,
            kind="record_report",
            call=outbox.calls.record_verified_report(
                report_hash, bytes.fromhex(project.onchain_id[2:]), start, end, report.net_kg
            ),
            signer=outbox.signer_of(actor),
            payload={"report": report.public_id},
        )
        issue = outbox.enqueue(
            session,
            kind="issue",
            call=outbox.calls.issue(report_hash),
            signer=outbox.operator,
            payload={"report": report.public_id},
            gas=issue_gas(session, project, start),
            depends_on=record,
        )
        verification.record_operation_id = record.id
        verification.issue_operation_id = issue.id
    report.status = move(report.status, outcome, subject=f"report {report.public_id}")
    session.flush()
    return verification


def issue_gas(session: Session, project: Project, start: int) -> int:
    """The gas limit of issuing a report of `project` whose period starts at `start` (chain
    time): the fixed limit, and for a report back-filling a gap before the project's latest
    period, the contract's scan of every issued period of the project. Without it a project of
    some 600 issued periods could not back-fill a gap: its issuance ran out of gas. The project's
    issuances in flight (verified reports not yet indexed as batches) count as issued: one of
    them may be mined first."""
    issued, latest_end = session.execute(_PROJECT_PERIODS, {"project_hash": project.onchain_id}).one()
    in_flight, last_day = session.execute(_IN_FLIGHT, {"project_id": project.id}).one()
    if last_day is not None:
        in_flight_end = reports.chain_period(last_day, last_day)[1]
        latest_end = in_flight_end if latest_end is None else max(int(latest_end), in_flight_end)
    if latest_end is None or start >= latest_end:
        return ISSUE_GAS
    return ISSUE_GAS + ISSUE_GAS_PER_PERIOD * (int(issued) + int(in_flight))


def issuance_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when the verifier's record or the issuance fails on chain."""
    report = reports.get(session, op.payload["report"])
    if report.status == ReportStatus.VERIFIED:
        report.status = ReportStatus.ISSUE_FAILED


def withdraw(
    session: Session, outbox: Outbox, actor: Participant, report: MonitoringReport, reason: str
) -> ChainOperation:
    """Withdraws a verified report before its issuance: by the verifier that approved it (with
    its own key: the contract checks it is the report's verifier and still holds the role), or
    by a supervisor (signed by the operator, which holds the supervisor role on chain). Its
    period is free again for another report of the project."""
    if not reason.strip():
        raise InvalidRequest("a withdrawal needs a reason", field="reason")
    approval = next((v for v in report.verifications if v.decision == "approve"), None)
    by_verifier = approval is not None and approval.verifier_id == actor.id
    if not by_verifier and "supervisor" not in actor.role_names:
        raise Forbidden("only the verifier that approved the report, or a supervisor, may withdraw it")
    if report.status not in (ReportStatus.VERIFIED, ReportStatus.ISSUE_FAILED):
        raise InvalidState(
            f"report {report.public_id} is {report.status}: "
            "only a verified report not yet issued can be withdrawn",
            status=str(report.status),
        )
    previous = report.status
    report.status = move(report.status, ReportStatus.WITHDRAWN, subject=f"report {report.public_id}")
    return outbox.enqueue(
        session,
        kind="withdraw_report",
        call=outbox.calls.withdraw_report(bytes.fromhex(report.report_hash[2:]), reason),
        signer=outbox.signer_of(actor) if by_verifier else outbox.operator,
        payload={"report": report.public_id, "previous": str(previous), "reason": reason},
    )


def withdrawal_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when the withdrawal fails on chain (the issuance came first, say)."""
    report = reports.get(session, op.payload["report"])
    if report.status == ReportStatus.WITHDRAWN:
        issued = session.execute(
            select(Batch).where(Batch.report_hash == report.report_hash)
        ).scalar_one_or_none()
        report.status = ReportStatus.ISSUED if issued is not None else ReportStatus(op.payload["previous"])


def withdraw_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    report_id: str,
    *,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        report = reports.get(session, report_id, lock=True)
        return Done(Resource("report", report.public_id), [withdraw(session, outbox, me, report, reason).id])

    return commands.run(actor, action, reports.render, idempotency=idempotency)


def verify_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    report_id: str,
    *,
    decision: str,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """A verifier's decision; approval records the report on chain and issues its batch."""

    def action(session: Session, me: Participant) -> Done:
        report = reports.get(session, report_id, lock=True)
        v = decide(session, outbox, me, report, decision, reason)
        ops = [op for op in (v.record_operation_id, v.issue_operation_id) if op is not None]
        return Done(Resource("report", report.public_id), ops)

    return commands.run(actor, action, reports.render, idempotency=idempotency)
