"""Projects: submitted by their owner with documents, reviewed by the registrar, registered on
chain with the hash of their documents.

draft -> submitted -> approved -> registered (when the chain confirms), or rejected; a review
may ask for changes (changes_requested), after which the owner submits again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import methodology_review, views
from registry.clock import iso, now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import Forbidden, InvalidRequest, InvalidState, MethodologyUnavailable, NotFound
from registry.models import ChainOperation, Document, Participant, Project, ProjectReview
from registry.outbox import Outbox
from registry.states import EDITABLE_PROJECTS, MethodologyStatus, ProjectStatus, decided, move

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def get(session: Session, public_id: str, *, lock: bool = False) -> Project:
    """The project; with `lock`, its row is locked until the transaction ends (for a change
    that depends on its state)."""
    query = select(Project).where(Project.public_id == public_id)
    if lock:
        query = query.with_for_update()
    project = session.execute(query).scalar_one_or_none()
    if project is None:
        raise NotFound(f"no project {public_id}", project=public_id)
    return project


def require_owner(project: Project, actor: Participant) -> None:
    if project.owner_id != actor.id:
        raise Forbidden(f"only the owner of {project.public_id} may do this")


def create(
    session: Session,
    actor: Participant,
    *,
    name: str,
    description: str,
    location: str,
    code: str,
    version: int,
) -> Project:
    m = methodology_review.find(session, code, version)
    if m is None or m.status != MethodologyStatus.PUBLISHED:
        raise MethodologyUnavailable(
            f"methodology {code} v{version} is not published; a project needs a published methodology",
            code=code,
            version=version,
        )
    public_id = "PRJ-" + secrets.token_hex(4).upper()
    project = Project(
        public_id=public_id,
        onchain_id="0x" + keccak(text=f"tanhui:project:{public_id}").hex(),
        owner_id=actor.id,
        methodology_id=m.id,
        name=name,
        description=description,
        location=location,
        status=ProjectStatus.DRAFT,
        created_at=now(),
    )
    session.add(project)
    session.flush()
    return project


def documents_hash(documents: list[Document]) -> str:
    """keccak256 over the documents' SHA-256 digests in upload order: what goes on chain."""
    return "0x" + keccak(b"".join(bytes.fromhex(d.sha256) for d in documents)).hex()


def add_document(
    session: Session,
    outbox: Outbox,
    actor: Participant,
    project: Project,
    *,
    filename: str,
    content_type: str,
    content_b64: str,
) -> ChainOperation | None:
    """Adds a document; for a registered project, the new documents' hash goes on chain (the
    operation is returned)."""
    require_owner(project, actor)
    if project.status not in (*EDITABLE_PROJECTS, ProjectStatus.REGISTERED):
        raise InvalidState(
            f"documents cannot be added to a project that is {project.status}", status=str(project.status)
        )
    try:
        content = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("content_base64 is not valid base64", field="content_base64") from None
    if not content:
        raise InvalidRequest("the document is empty", field="content_base64")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidRequest(f"documents are limited to {MAX_DOCUMENT_BYTES} bytes", field="content_base64")
    document = Document(
        project_id=project.id,
        filename=filename,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        uploaded_at=now(),
    )
    session.add(document)
    session.flush()
    session.refresh(project)
    project.document_hash = documents_hash(project.documents)
    if project.status != ProjectStatus.REGISTERED:
        return None
    return outbox.enqueue(
        session,
        kind="update_project_documents",
        call=outbox.calls.update_project_documents(
            bytes.fromhex(project.onchain_id[2:]), bytes.fromhex(project.document_hash[2:])
        ),
        signer=outbox.operator,
        payload={"project": project.public_id, "document_hash": project.document_hash},
    )


def submit(session: Session, actor: Participant, project: Project) -> Project:
    require_owner(project, actor)
    if project.status not in EDITABLE_PROJECTS:
        raise InvalidState(
            f"a project that is {project.status} cannot be submitted", status=str(project.status)
        )
    if not project.documents:
        raise InvalidState("a project needs at least one document (its design document) to be submitted")
    project.status = move(project.status, ProjectStatus.SUBMITTED, subject=f"project {project.public_id}")
    return project


REVIEW_OUTCOMES = {
    "approve": ProjectStatus.APPROVED,
    "reject": ProjectStatus.REJECTED,
    "request_changes": ProjectStatus.CHANGES_REQUESTED,
}


def review(
    session: Session, outbox: Outbox, actor: Participant, project: Project, decision: str, reason: str
) -> Project:
    outcome = decided(decision, REVIEW_OUTCOMES, reason, what="a review")
    if project.status != ProjectStatus.SUBMITTED:
        raise InvalidState(
            f"project {project.public_id} is {project.status}, not submitted", status=str(project.status)
        )
    session.add(
        ProjectReview(
            project_id=project.id, reviewer_id=actor.id, decision=decision, reason=reason, created_at=now()
        )
    )
    project.status = move(project.status, outcome, subject=f"project {project.public_id}")
    if project.status == ProjectStatus.APPROVED:
        m = methodology_review.get(session, project.methodology_id)
        owner = session.get(Participant, project.owner_id)
        assert owner is not None and project.document_hash is not None
        op = outbox.enqueue(
            session,
            kind="register_project",
            call=outbox.calls.register_project(
                bytes.fromhex(project.onchain_id[2:]),
                owner.address,
                methodology_review.methodology_key(m.code),
                m.version,
                bytes.fromhex(project.document_hash[2:]),
            ),
            signer=outbox.operator,
            payload={"project": project.public_id},
        )
        project.operation_id = op.id
    session.flush()
    return project


def registration_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when a project's on-chain registration fails."""
    project = get(session, op.payload["project"])
    if project.status == ProjectStatus.APPROVED:
        project.status = ProjectStatus.REGISTRATION_FAILED


# -- reading ---------------------------------------------------------------------------------------


def view(session: Session, project: Project) -> dict[str, Any]:
    owner = session.get(Participant, project.owner_id)
    m = methodology_review.get(session, project.methodology_id)
    return {
        "id": project.public_id,
        "onchain_id": project.onchain_id,
        "name": project.name,
        "description": project.description,
        "location": project.location,
        "owner": owner.public_id if owner else None,
        "methodology": {"code": m.code, "version": m.version},
        "status": str(project.status),
        "document_hash": project.document_hash,
        "documents": [
            {
                "id": d.id,
                "filename": d.filename,
                "content_type": d.content_type,
                "sha256": d.sha256,
                "size": d.size,
                "uploaded_at": iso(d.uploaded_at),
            }
            for d in project.documents
        ],
        "reviews": views.decisions(session, project.reviews, "reviewer_id"),
        "created_at": iso(project.created_at),
    }


def listing(session: Session) -> list[dict[str, Any]]:
    return [view(session, p) for p in session.execute(select(Project).order_by(Project.id)).scalars()]


def render(session: Session, resource: Resource) -> dict[str, Any]:
    return view(session, get(session, str(resource.id)))


# -- commands --------------------------------------------------------------------------------------


def create_command(
    commands: Commands,
    actor: Participant,
    *,
    name: str,
    description: str,
    location: str,
    code: str,
    version: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        project = create(
            session, me, name=name, description=description, location=location, code=code, version=version
        )
        return Done(Resource("project", project.public_id))

    return commands.run(actor, action, render, idempotency=idempotency)


def add_document_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    project_id: str,
    *,
    filename: str,
    content_type: str,
    content_b64: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        project = get(session, project_id, lock=True)
        op = add_document(
            session,
            outbox,
            me,
            project,
            filename=filename,
            content_type=content_type,
            content_b64=content_b64,
        )
        return Done(Resource("project", project.public_id), [op.id] if op is not None else [])

    return commands.run(actor, action, render, idempotency=idempotency)


def submit_command(
    commands: Commands, actor: Participant, project_id: str, *, idempotency: IdempotencyKey | None
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(Resource("project", submit(session, me, get(session, project_id, lock=True)).public_id))

    return commands.run(actor, action, render, idempotency=idempotency)


def review_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    project_id: str,
    *,
    decision: str,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """The registrar's review; approval registers the project on chain."""

    def action(session: Session, me: Participant) -> Done:
        project = review(session, outbox, me, get(session, project_id, lock=True), decision, reason)
        approved = project.status == ProjectStatus.APPROVED and project.operation_id is not None
        return Done(Resource("project", project.public_id), [project.operation_id] if approved else [])  # type: ignore[list-item]

    return commands.run(actor, action, render, idempotency=idempotency)
