"""Public views of indexed chain state: batches and retirement certificates, with the chain
evidence a reader needs to check them independently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from registry.amounts import tonnes
from registry.clock import from_unix, iso
from registry.db import loaded
from registry.errors import NotFound
from registry.models import (
    Batch,
    Methodology,
    MonitoringReport,
    Participant,
    Project,
    RegistryMeta,
    Retirement,
    Transfer,
)


def decisions(
    session: Session, rows: Sequence[Any], who: str, label: str = "reviewer"
) -> list[dict[str, Any]]:
    """Reviews or verifications as shown: who (participant id), decision, reason, when. Only
    the participants the rows name are read."""
    ids = {getattr(r, who) for r in rows}
    names = (
        dict(
            session.execute(select(Participant.id, Participant.public_id).where(Participant.id.in_(ids)))
            .tuples()
            .all()
        )
        if ids
        else {}
    )
    return [
        {
            label: names.get(getattr(r, who)),
            "decision": r.decision,
            "reason": r.reason,
            "created_at": iso(r.created_at),
        }
        for r in rows
    ]


def _meta(session: Session) -> RegistryMeta:
    meta = loaded(session, RegistryMeta, 1)
    assert meta is not None
    return meta


def _day(seconds: int) -> str:
    return from_unix(seconds).date().isoformat()


def _batch_context(session: Session, batch: Batch) -> tuple[Any, Any, Any]:
    """The project (public id, name, location), its methodology (code, version) and the
    report (public id) behind `batch`, in one query."""
    row = session.execute(
        _BATCH_CONTEXT, {"report_hash": batch.report_hash, "project_hash": batch.project_hash}
    ).one_or_none()
    if row is None:  # no such project in the database: the report alone
        report_id = session.execute(_BATCH_REPORT, {"report_hash": batch.report_hash}).scalar_one_or_none()
        return None, None, report_id
    project = {"id": row[0], "name": row[1], "location": row[2]}
    methodology = {"code": row[3], "version": row[4]} if row[3] is not None else None
    return project, methodology, row[5]


# The statements of every certificate and batch shown, built once.
_REPORT_BY_HASH = (
    select(MonitoringReport.public_id)
    .where(MonitoringReport.report_hash == bindparam("report_hash"))
    .scalar_subquery()
)
_BATCH_CONTEXT = (
    select(
        Project.public_id,
        Project.name,
        Project.location,
        Methodology.code,
        Methodology.version,
        _REPORT_BY_HASH,
    )
    .select_from(Project)
    .outerjoin(Methodology, Methodology.id == Project.methodology_id)
    .where(Project.onchain_id == bindparam("project_hash"))
)
_BATCH_REPORT = select(_REPORT_BY_HASH)
_HOLDER = select(Participant.public_id, Participant.name).where(Participant.address == bindparam("address"))


def batch_view(session: Session, batch: Batch) -> dict[str, Any]:
    meta = _meta(session)
    project, methodology, report = _batch_context(session, batch)
    held = batch.issued_kg - batch.retired_kg - batch.invalidated_kg
    return {
        "id": batch.id,
        "project": project,
        "project_onchain_id": batch.project_hash,
        "methodology": methodology,
        "vintage": {
            "start": _day(batch.period_start),
            "end": _day(batch.period_end - 86_400),
            "chain_start": batch.period_start,
            "chain_end": batch.period_end,
        },
        "report": report,
        "report_hash": batch.report_hash,
        "supply": {
            "issued_kg": batch.issued_kg,
            "retired_kg": batch.retired_kg,
            "invalidated_kg": batch.invalidated_kg,
            "held_kg": held,
            "issued_t": tonnes(batch.issued_kg),
            "retired_t": tonnes(batch.retired_kg),
            "invalidated_t": tonnes(batch.invalidated_kg),
            "held_t": tonnes(held),
        },
        "frozen": batch.frozen,
        "chain": {
            "chain_id": meta.chain_id,
            "contract": meta.credits_address,
            "token_id": batch.id,
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
        },
    }


def retirement_view(
    session: Session,
    r: Retirement,
    *,
    holder: tuple[str | None, str | None] | None = None,
    batch: Batch | None = None,
) -> dict[str, Any]:
    """A certificate as shown. `holder` (public id, name) and `batch` when the caller has
    read them already."""
    meta = _meta(session)
    if holder is None:
        found = session.execute(_HOLDER, {"address": r.holder}).one_or_none()
        holder = (found[0], found[1]) if found is not None else (None, None)
    if batch is None:
        batch = loaded(session, Batch, r.batch_id)
    return {
        "certificate_id": r.certificate_id,
        "batch_id": r.batch_id,
        "holder": {"address": r.holder, "participant": holder[0], "name": holder[1]},
        "amount_kg": r.amount_kg,
        "amount_t": tonnes(r.amount_kg),
        "serial_first": r.serial_first,
        "serial_last": r.serial_last,
        "serial_block": f"TH-{r.batch_id}-{r.serial_first}-{r.serial_last}",
        "beneficiary": r.beneficiary,
        "purpose": r.purpose,
        "event_id": r.event_id,
        "jurisdiction": r.jurisdiction,
        "consumption_start": _day(r.consumption_start) if r.consumption_start else None,
        "consumption_end": _day(r.consumption_end) if r.consumption_end else None,
        "note": r.note,
        "retired_at": from_unix(r.retired_at).isoformat(),
        "chain": {
            "chain_id": meta.chain_id,
            "contract": meta.credits_address,
            "tx_hash": r.tx_hash,
            "block_number": r.block_number,
            "log_index": r.log_index,
        },
        "batch": batch_view(session, batch) if batch else None,
    }


def get_batch(session: Session, batch_id: int) -> Batch:
    row = loaded(session, Batch, batch_id)
    if row is None:
        raise NotFound(f"no batch {batch_id}", batch=batch_id)
    return row


def batches(session: Session, *, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = session.execute(select(Batch).order_by(Batch.id).limit(limit).offset(offset)).scalars()
    return [batch_view(session, b) for b in rows]


def batch_detail(session: Session, batch_id: int) -> dict[str, Any]:
    """A batch with its transfers and retirements."""
    view = batch_view(session, get_batch(session, batch_id))
    transfers = session.execute(
        select(Transfer).where(Transfer.batch_id == batch_id).order_by(Transfer.id)
    ).scalars()
    retired = session.execute(
        select(Retirement).where(Retirement.batch_id == batch_id).order_by(Retirement.certificate_id)
    ).scalars()
    view["transfers"] = [
        {
            "from": t.sender,
            "to": t.recipient,
            "amount_kg": t.amount_kg,
            "tx_hash": t.tx_hash,
            "block_number": t.block_number,
        }
        for t in transfers
    ]
    view["retirements"] = [
        {"certificate_id": r.certificate_id, "amount_kg": r.amount_kg, "beneficiary": r.beneficiary}
        for r in retired
    ]
    return view


def retirements(session: Session, *, batch_id: int | None, limit: int, offset: int) -> list[dict[str, Any]]:
    query = select(Retirement).order_by(Retirement.certificate_id).limit(limit).offset(offset)
    if batch_id is not None:
        query = query.where(Retirement.batch_id == batch_id)
    return [retirement_view(session, r) for r in session.execute(query).scalars()]


def certificate(session: Session, certificate_id: int) -> dict[str, Any]:
    """A certificate with its holder and batch: the certificate, holder and batch in one query,
    the batch's project, methodology and report in another (and the deployment record)."""
    row = session.execute(
        select(Retirement, Batch, Participant.public_id, Participant.name)
        .outerjoin(Batch, Batch.id == Retirement.batch_id)
        .outerjoin(Participant, Participant.address == Retirement.holder)
        .where(Retirement.certificate_id == certificate_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no retirement certificate {certificate_id}", certificate_id=certificate_id)
    r, batch, public_id, name = row
    return retirement_view(session, r, holder=(public_id, name), batch=batch)


def index_mark(session: Session) -> tuple[int, str | None]:
    """The index's mark (last applied block and its hash): every indexed view is a function
    of it (and of records that do not change once written)."""
    row = session.execute(
        select(RegistryMeta.indexed_block, RegistryMeta.indexed_block_hash).where(RegistryMeta.id == 1)
    ).one()
    return int(row[0]), row[1]
