"""Retrying work the chain refused: a participant whose registration failed
(``chain_status`` ``failed``) and a verified report whose record or issuance failed
(``issue_failed``). The compensations of ``registry.runtime.FAILURE_HANDLERS`` put them there.

A retry queues again, through the outbox, the operations that did not take effect — only those:
an operation confirmed the first time (the verifier's record of the report, the verifier role,
the gas money) is not repeated — and puts the record back on its way (``pending``,
``verified``). If the retry fails too, the same compensation puts it back in its failed state,
and it can be retried again. A record not in a failed state is refused with ``not_failed``
(409); the new operations are simulated first, so a chain that would still refuse them (paused,
say) refuses the retry before anything is written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import participants, reports
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import Conflict, Forbidden
from registry.models import ChainOperation, MonitoringReport, Participant, Project, Verification
from registry.outbox import Outbox
from registry.states import Custody, OperationStatus, ReportStatus, Standing
from registry.verification import issue_gas


class NotFailed(Conflict):
    """The record is not in a failed state: there is nothing to retry."""

    code = "not_failed"


def _confirmed(session: Session, kind: str, key: str, value: str) -> bool:
    """Whether an operation of `kind` whose payload's `key` is `value` was confirmed."""
    found = session.execute(
        select(ChainOperation.id)
        .where(
            ChainOperation.kind == kind,
            ChainOperation.payload[key].as_string() == value,
            ChainOperation.status == OperationStatus.CONFIRMED,
        )
        .limit(1)
    ).first()
    return found is not None


# -- a participant's registration -------------------------------------------------------------------


def retry_registration(session: Session, outbox: Outbox, public_id: str) -> list[ChainOperation]:
    """Queues again the chain side of participant `public_id`'s registration (failed)."""
    participant = session.execute(
        select(Participant).where(Participant.public_id == public_id).with_for_update()
    ).scalar_one_or_none()
    if participant is None:
        participants.get(session, public_id)  # NotFound
    assert participant is not None
    if participant.chain_status != Standing.FAILED:
        raise NotFailed(
            f"participant {public_id} is {participant.chain_status} on chain, not failed: nothing to retry",
            status=str(participant.chain_status),
        )
    calls, operator = outbox.calls, outbox.operator
    payload = {"participant": participant.public_id, "address": participant.address}
    ops = [
        outbox.enqueue(
            session,
            kind="register_participant",
            call=calls.register_participant(participant.address, participants.KINDS[participant.kind]),
            signer=operator,
            payload=payload,
        )
    ]
    if "verifier" in participant.role_names and not _confirmed(
        session, "grant_role", "participant", public_id
    ):
        ops.append(
            outbox.enqueue(
                session,
                kind="grant_role",
                call=calls.grant_role("verifier", participant.address),
                signer=operator,
                payload={**payload, "role": "verifier"},
            )
        )
    needs_gas = participant.custody == Custody.KEYSTORE and outbox.charges_gas()
    if needs_gas and not _confirmed(session, "fund_account", "participant", public_id):
        ops.append(
            outbox.enqueue(
                session,
                kind="fund_account",
                call=None,
                signer=operator,
                payload={**payload, "wei": outbox.funding_wei},
                value=outbox.funding_wei,
                to=participant.address,
            )
        )
    # Back on its way (registry.participants.registration_failed sets it failed again if this
    # attempt fails too). The states table has no failed -> pending move: a retry is the one
    # way back, and it is made here.
    participant.chain_status = Standing.PENDING
    session.flush()
    return ops


def registration_retry_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    public_id: str,
    *,
    idempotency: IdempotencyKey | None = None,
) -> Answer:
    def action(session: Session, _: Participant) -> Done:
        ops = retry_registration(session, outbox, public_id)
        return Done(Resource("participant", public_id), [op.id for op in ops])

    return commands.run(actor, action, participants.render, idempotency=idempotency)


# -- a report's issuance ------------------------------------------------------------------------------


def _approval(session: Session, report: MonitoringReport) -> Verification:
    approval = session.execute(
        select(Verification)
        .where(Verification.report_id == report.id, Verification.decision == "approve")
        .order_by(Verification.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    assert approval is not None, f"report {report.public_id} is {report.status} without an approval"
    return approval


def retry_issuance(
    session: Session, outbox: Outbox, actor: Participant, report_id: str
) -> list[ChainOperation]:
    """Queues again the record of report `report_id` (if it did not take effect) and its
    issuance. The registrar, or the verifier that approved the report, may retry."""
    report = reports.get(session, report_id, lock=True)
    approval = _approval(session, report) if report.status == ReportStatus.ISSUE_FAILED else None
    if approval is not None and "registrar" not in actor.role_names and approval.verifier_id != actor.id:
        raise Forbidden(
            "only the registrar or the verifier that approved the report may retry its issuance",
            needed=["registrar", "verifier"],
        )
    if approval is None:
        raise NotFailed(
            f"report {report_id} is {report.status}, not issue_failed: nothing to retry",
            status=str(report.status),
        )
    record = (
        session.get(ChainOperation, approval.record_operation_id) if approval.record_operation_id else None
    )
    recorded = (record is not None and record.status == OperationStatus.CONFIRMED) or _confirmed(
        session, "record_report", "report", report_id
    )
    issue_payload = {"report": report.public_id}
    report_hash = bytes.fromhex(report.report_hash[2:])
    ops: list[ChainOperation] = []
    if recorded:
        # Simulated: a chain that still refuses the issuance refuses the retry, writing nothing.
        ops.append(
            outbox.enqueue(
                session,
                kind="issue",
                call=outbox.calls.issue(report_hash),
                signer=outbox.operator,
                payload=issue_payload,
            )
        )
    else:
        verifier = session.get(Participant, approval.verifier_id)
        assert verifier is not None
        project = session.get(Project, report.project_id)
        assert project is not None
        start, end = reports.chain_period(report.period_start, report.period_end)
        record = outbox.enqueue(
            session,
            kind="record_report",
            call=outbox.calls.record_verified_report(
                report_hash, bytes.fromhex(project.onchain_id[2:]), start, end, report.net_kg
            ),
            signer=outbox.signer_of(verifier),
            payload={"report": report.public_id},
        )
        ops.append(record)
        ops.append(
            outbox.enqueue(
                session,
                kind="issue",
                call=outbox.calls.issue(report_hash),
                signer=outbox.operator,
                payload=issue_payload,
                gas=issue_gas(session, project, start),
                depends_on=record,
            )
        )
    # Back on its way (registry.verification.issuance_failed sets issue_failed again if this
    # attempt fails too); the states table has no issue_failed -> verified move but this one.
    report.status = ReportStatus.VERIFIED
    session.flush()
    return ops


def issuance_retry_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    report_id: str,
    *,
    idempotency: IdempotencyKey | None = None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        ops = retry_issuance(session, outbox, me, report_id)
        return Done(Resource("report", report_id), [op.id for op in ops])

    return commands.run(actor, action, reports.render, idempotency=idempotency)
