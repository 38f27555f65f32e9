"""Verification: a verification body approves, rejects or asks for changes, with reasons.

Approval queues two chain operations in one transaction: the verifier records the verified
report on chain with its own key (so the chain names who verified), then the operator issues
the batch to the project owner. The issuance depends on the record and is sent after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from registry import reports
from registry.clock import now
from registry.errors import Forbidden, InvalidRequest, InvalidState
from registry.models import ChainOperation, MonitoringReport, Participant, Project, Verification
from registry.outbox import enqueue
from registry.relay import on_failure

if TYPE_CHECKING:
    from registry.runtime import Runtime

# Issuance is ~216k gas; scanning earlier periods of the project when a report back-fills a gap
# costs ~2.2k per issued period. Gas is charged as used, so the limit is generous.
ISSUE_GAS = 1_500_000


def decide(
    session: Session,
    runtime: Runtime,
    actor: Participant,
    report: MonitoringReport,
    decision: str,
    reason: str,
) -> Verification:
    if decision not in ("approve", "reject", "request_changes"):
        raise InvalidRequest("decision must be approve, reject or request_changes", field="decision")
    if not reason.strip():
        raise InvalidRequest("a verification needs a reason", field="reason")
    if report.status != "submitted":
        raise InvalidState(
            f"report {report.public_id} is {report.status}, not awaiting verification", status=report.status
        )
    project = session.get(Project, report.project_id)
    assert project is not None
    if project.owner_id == actor.id:
        raise Forbidden("a project owner cannot verify its own report")
    verification = Verification(
        report_id=report.id, verifier_id=actor.id, decision=decision, reason=reason, created_at=now()
    )
    session.add(verification)
    if decision == "reject":
        report.status = "rejected"
    elif decision == "request_changes":
        report.status = "changes_requested"
    else:
        reports.check_period_free(session, project, report.period_start, report.period_end, exclude=report.id)
        start, end = reports.chain_period(report.period_start, report.period_end)
        report_hash = bytes.fromhex(report.report_hash[2:])
        record = enqueue(
            session,
            runtime,
            kind="record_report",
            fn=runtime.tanhui.record_verified_report(
                report_hash, bytes.fromhex(project.chain_id_hash[2:]), start, end, report.net_kg
            ),
            signer=runtime.signer_of(actor),
            payload={"report": report.public_id},
        )
        issue = enqueue(
            session,
            runtime,
            kind="issue",
            fn=runtime.tanhui.issue(report_hash),
            signer=runtime.operator,
            payload={"report": report.public_id},
            gas=ISSUE_GAS,
            depends_on=record,
        )
        verification.record_operation_id = record.id
        verification.issue_operation_id = issue.id
        report.status = "verified"
    session.flush()
    return verification


@on_failure("record_report")
@on_failure("issue")
def _issuance_failed(session: Session, op: ChainOperation) -> None:
    report = reports.get(session, op.payload["report"])
    if report.status == "verified":
        report.status = "issue_failed"
