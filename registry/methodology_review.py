"""Methodologies: proposed from the code catalogue, reviewed by the expert committee (R4),
published on chain once a quorum approves. Rejections keep their reasons.

A methodology version is code (``registry/methodologies``); what goes on chain is its content
hash, so anyone can check that the formula used is the one the committee passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import methodologies as catalogue
from registry import views
from registry.clock import now
from registry.errors import AlreadyExists, AlreadyReviewed, InvalidRequest, InvalidState, NotFound
from registry.models import ChainOperation, Methodology, MethodologyReview, Participant, ParticipantRole
from registry.outbox import enqueue
from registry.relay import on_failure

if TYPE_CHECKING:
    from registry.runtime import Runtime

# Approvals (or rejections) needed to decide: a majority of the committee, at least 2 (e.g. 2 of 3).
MIN_QUORUM = 2


def chain_id(code: str) -> bytes:
    return keccak(text=code)


def quorum(session: Session) -> int:
    members = session.execute(
        select(func.count()).select_from(ParticipantRole).where(ParticipantRole.role == "committee")
    ).scalar_one()
    return max(MIN_QUORUM, members // 2 + 1)


def get(session: Session, methodology_id: int) -> Methodology:
    m = session.get(Methodology, methodology_id)
    if m is None:
        raise NotFound(f"no methodology {methodology_id}", methodology=methodology_id)
    return m


def find(session: Session, code: str, version: int) -> Methodology | None:
    return session.execute(
        select(Methodology).where(Methodology.code == code, Methodology.version == version)
    ).scalar_one_or_none()


def propose(session: Session, actor: Participant, code: str, version: int) -> Methodology:
    try:
        module = catalogue.get(code, version)
    except catalogue.UnknownMethodology:
        known = ", ".join(f"{m.code} v{m.version}" for m in catalogue.all_methodologies())
        raise NotFound(
            f"no methodology module {code} v{version}; the catalogue has {known}", code=code
        ) from None
    if find(session, code, version) is not None:
        raise AlreadyExists(f"methodology {code} v{version} was already proposed", code=code, version=version)
    m = Methodology(
        code=code,
        version=version,
        title=module.title,
        category=module.category,
        content_hash="0x" + module.content_hash().hex(),
        status="proposed",
        proposed_by_id=actor.id,
        proposed_at=now(),
        chain_status="none",
    )
    session.add(m)
    session.flush()
    return m


def review(
    session: Session, runtime: Runtime, actor: Participant, m: Methodology, decision: str, reason: str
) -> Methodology:
    """Records a committee member's decision; at quorum, publishes (on chain) or rejects."""
    if decision not in ("approve", "reject"):
        raise InvalidRequest("decision must be approve or reject", field="decision")
    if not reason.strip():
        raise InvalidRequest("a review needs a reason", field="reason")
    if m.status != "proposed":
        raise InvalidState(
            f"methodology {m.code} v{m.version} is {m.status}, not under review", status=m.status
        )
    if any(r.reviewer_id == actor.id for r in m.reviews):
        raise AlreadyReviewed(f"{actor.public_id} has already reviewed {m.code} v{m.version}")
    session.add(
        MethodologyReview(
            methodology_id=m.id, reviewer_id=actor.id, decision=decision, reason=reason, created_at=now()
        )
    )
    session.flush()
    session.refresh(m)
    needed = quorum(session)
    approvals = sum(r.decision == "approve" for r in m.reviews)
    rejections = sum(r.decision == "reject" for r in m.reviews)
    if approvals >= needed:
        m.status = "published"
        m.decided_at = now()
        m.chain_status = "pending"
        op = enqueue(
            session,
            runtime,
            kind="publish_methodology",
            fn=runtime.tanhui.publish_methodology(
                chain_id(m.code), m.version, bytes.fromhex(m.content_hash[2:])
            ),
            signer=runtime.operator,
            payload={"methodology": m.id, "code": m.code, "version": m.version},
        )
        m.operation_id = op.id
    elif rejections >= needed:
        m.status = "rejected"
        m.decided_at = now()
    return m


def view(m: Methodology, session: Session) -> dict[str, Any]:
    module = catalogue.get(m.code, m.version)
    return {
        "id": m.id,
        "code": m.code,
        "version": m.version,
        "title": m.title,
        "category": m.category,
        "content_hash": m.content_hash,
        "status": m.status,
        "chain_status": m.chain_status,
        "quorum": quorum(session),
        "reviews": views.decisions(session, m.reviews, "reviewer_id"),
        "input_schema": module.Input.model_json_schema(),
    }


@on_failure("publish_methodology")
def _publication_failed(session: Session, op: ChainOperation) -> None:
    m = session.get(Methodology, op.payload["methodology"])
    if m is not None and m.chain_status == "pending":
        m.chain_status = "failed"
