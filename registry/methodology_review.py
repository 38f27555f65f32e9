"""Methodologies: proposed from the code catalogue, or by an enterprise as a declarative spec
(R3), reviewed by the expert committee (R4), published on chain once a quorum approves.
Rejections keep their reasons.

A methodology version is code (``registry/methodologies``) or a declarative spec (a schema,
factors with sources and formulas as expressions, ``registry/methodologies/declarative.py``,
kept in the database); what goes on chain is its content hash, so anyone can check that the
formula used is the one the committee passed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import methodologies as catalogue
from registry import views
from registry.clock import now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import (
    AlreadyExists,
    AlreadyReviewed,
    Forbidden,
    InvalidState,
    MethodologyProposalInvalid,
    NotFound,
)
from registry.methodologies import declarative
from registry.models import ChainOperation, Methodology, MethodologyReview, Participant, ParticipantRole
from registry.outbox import Outbox
from registry.states import MethodologyStatus, Publication, decided, move

log = logging.getLogger(__name__)

#: A committee member's decision, and the status it votes for.
REVIEW_OUTCOMES = {"approve": MethodologyStatus.PUBLISHED, "reject": MethodologyStatus.REJECTED}
# Approvals (or rejections) needed to decide: a majority of the committee, at least 2 (e.g. 2 of 3).
MIN_QUORUM = 2


def methodology_key(code: str) -> bytes:
    """The methodology's bytes32 id on chain: keccak256 of its code."""
    return keccak(text=code)


def quorum(session: Session) -> int:
    members = session.execute(
        select(func.count()).select_from(ParticipantRole).where(ParticipantRole.role == "committee")
    ).scalar_one()
    return max(MIN_QUORUM, members // 2 + 1)


def get(session: Session, methodology_id: int, *, lock: bool = False) -> Methodology:
    """The methodology; with `lock`, its row is locked until the transaction ends (a review
    counts the reviews before it: two concurrent reviews must count each other)."""
    m = session.get(Methodology, methodology_id, with_for_update=lock or None)
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
        status=MethodologyStatus.PROPOSED,
        proposed_by_id=actor.id,
        proposed_at=now(),
        chain_status=Publication.NONE,
    )
    session.add(m)
    session.flush()
    return m


def check_declarative(raw: Mapping[str, Any]) -> tuple[declarative.MethodologySpec, bytes]:
    """The spec of a proposed declarative methodology and its content hash; raises
    ``MethodologyProposalInvalid`` listing every problem (each with a stable code)."""
    problems = declarative.problems_of(raw)
    if problems:
        raise MethodologyProposalInvalid(
            f"the methodology is not acceptable: {problems[0].message}"
            + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""),
            problems=[{"code": p.code, "message": p.message, "where": p.where} for p in problems],
        )
    spec = declarative.parse_spec(raw)
    return spec, declarative.spec_content_hash(spec)


def code_taken(session: Session, code: str, version: int) -> str | None:
    """Why a declarative methodology cannot take `code` v`version`, or None. A code of the
    catalogue is the catalogue's in every version (its next version is the catalogue's to write)."""
    if any(m.code == code for m in catalogue.all_methodologies()):
        return f"{code} is a code of the methodology catalogue; choose another code"
    if find(session, code, version) is not None:
        return f"methodology {code} v{version} was already proposed"
    return None


def propose_declarative(session: Session, actor: Participant, raw: Mapping[str, Any]) -> Methodology:
    """Records an enterprise's declarative methodology for the committee's review (R3)."""
    spec, content_hash = check_declarative(raw)
    taken = code_taken(session, spec.code, spec.version)
    if taken is not None:
        raise AlreadyExists(taken, code=spec.code, version=spec.version)
    m = Methodology(
        code=spec.code,
        version=spec.version,
        title=spec.title,
        category=spec.category,
        content_hash="0x" + content_hash.hex(),
        status=MethodologyStatus.PROPOSED,
        proposed_by_id=actor.id,
        proposed_at=now(),
        chain_status=Publication.NONE,
        spec=json.loads(declarative.canonical_json(spec)),
    )
    session.add(m)
    session.flush()
    return m


_built: dict[str, catalogue.Methodology] = {}
_built_guard = threading.Lock()


def module_for(m: Methodology) -> catalogue.Methodology:
    """The methodology that quantifies for `m`: its module of the catalogue, or the one built
    from its declarative spec (built once per content hash)."""
    if m.spec is None:
        return catalogue.get(m.code, m.version)
    with _built_guard:
        built = _built.get(m.content_hash)
    if built is None:
        built = declarative.DeclarativeMethodology(declarative.parse_spec(m.spec))
        if "0x" + built.content_hash().hex() != m.content_hash:
            raise RuntimeError(f"methodology {m.code} v{m.version}: its spec no longer has its content hash")
        with _built_guard:
            if len(_built) > 1000:
                _built.clear()
            built = _built.setdefault(m.content_hash, built)
    return built


def review(
    session: Session, outbox: Outbox, actor: Participant, m: Methodology, decision: str, reason: str
) -> Methodology:
    """Records a committee member's decision; at quorum, publishes (on chain) or rejects."""
    decided(decision, REVIEW_OUTCOMES, reason, what="a review")
    subject = f"methodology {m.code} v{m.version}"
    if m.status != MethodologyStatus.PROPOSED:
        raise InvalidState(f"{subject} is {m.status}, not under review", status=str(m.status))
    if m.proposed_by_id == actor.id:
        raise Forbidden(
            f"{actor.public_id} proposed {m.code} v{m.version}: a committee member does not review "
            "a methodology it proposed",
            needed=["committee, not the proposer"],
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
        m.status = move(m.status, MethodologyStatus.PUBLISHED, subject=subject)
        m.decided_at = now()
        m.chain_status = move(m.chain_status, Publication.PENDING, subject=f"{subject} on chain")
        op = outbox.enqueue(
            session,
            kind="publish_methodology",
            call=outbox.calls.publish_methodology(
                methodology_key(m.code), m.version, bytes.fromhex(m.content_hash[2:])
            ),
            signer=outbox.operator,
            payload={"methodology": m.id, "code": m.code, "version": m.version},
        )
        m.operation_id = op.id
    elif rejections >= needed:
        m.status = move(m.status, MethodologyStatus.REJECTED, subject=subject)
        m.decided_at = now()
    return m


def publication_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when a methodology's publication fails on chain."""
    m = session.get(Methodology, op.payload["methodology"])
    if m is not None and m.chain_status == Publication.PENDING:
        m.chain_status = Publication.FAILED


# -- reading ---------------------------------------------------------------------------------------


def view(session: Session, m: Methodology) -> dict[str, Any]:
    try:
        schema = module_for(m).Input.model_json_schema()
    except (declarative.InvalidMethodologySpec, RuntimeError, catalogue.UnknownMethodology) as err:
        # A stored spec this version of the registry no longer builds: listed, not fatal.
        log.error("methodology %s v%s cannot be built: %s", m.code, m.version, err)
        schema = {}
    return {
        "id": m.id,
        "code": m.code,
        "version": m.version,
        "title": m.title,
        "category": m.category,
        "content_hash": m.content_hash,
        "status": str(m.status),
        "chain_status": str(m.chain_status),
        "quorum": quorum(session),
        "reviews": views.decisions(session, m.reviews, "reviewer_id"),
        "input_schema": schema,
        "kind": "module" if m.spec is None else "declarative",
        "spec": m.spec,
    }


def listing(session: Session) -> list[dict[str, Any]]:
    return [view(session, m) for m in session.execute(select(Methodology).order_by(Methodology.id)).scalars()]


def catalogue_listing() -> list[dict[str, Any]]:
    """The methodology modules available to propose."""
    return [m.describe() for m in catalogue.all_methodologies()]


def render(session: Session, resource: Resource) -> dict[str, Any]:
    return view(session, get(session, int(resource.id)))


# -- commands --------------------------------------------------------------------------------------


def propose_command(
    commands: Commands, actor: Participant, *, code: str, version: int, idempotency: IdempotencyKey | None
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(Resource("methodology", propose(session, me, code, version).id))

    return commands.run(actor, action, render, idempotency=idempotency)


def propose_declarative_command(
    commands: Commands, actor: Participant, *, spec: Mapping[str, Any], idempotency: IdempotencyKey | None
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(Resource("methodology", propose_declarative(session, me, spec).id))

    return commands.run(actor, action, render, idempotency=idempotency)


def review_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    methodology_id: int,
    *,
    decision: str,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """A committee member's review; at quorum, the publication goes on chain."""

    def action(session: Session, me: Participant) -> Done:
        m = review(session, outbox, me, get(session, methodology_id, lock=True), decision, reason)
        published = m.operation_id is not None and m.status == MethodologyStatus.PUBLISHED
        return Done(Resource("methodology", m.id), [m.operation_id] if published and m.operation_id else [])

    return commands.run(actor, action, render, idempotency=idempotency)
