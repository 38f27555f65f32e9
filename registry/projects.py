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
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import methodology_review, views
from registry.clock import iso, now
from registry.errors import Forbidden, InvalidRequest, InvalidState, MethodologyUnavailable, NotFound
from registry.models import ChainOperation, Document, Participant, Project, ProjectReview
from registry.outbox import enqueue
from registry.relay import on_failure

if TYPE_CHECKING:
    from registry.runtime import Runtime

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
EDITABLE = ("draft", "changes_requested")


def get(session: Session, public_id: str) -> Project:
    project = session.execute(select(Project).where(Project.public_id == public_id)).scalar_one_or_none()
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
    if m is None or m.status != "published":
        raise MethodologyUnavailable(
            f"methodology {code} v{version} is not published; a project needs a published methodology",
            code=code,
            version=version,
        )
    public_id = "PRJ-" + secrets.token_hex(4).upper()
    project = Project(
        public_id=public_id,
        chain_id_hash="0x" + keccak(text=f"tanhui:project:{public_id}").hex(),
        owner_id=actor.id,
        methodology_id=m.id,
        name=name,
        description=description,
        location=location,
        status="draft",
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
    runtime: Runtime,
    actor: Participant,
    project: Project,
    *,
    filename: str,
    content_type: str,
    content_b64: str,
) -> Document:
    require_owner(project, actor)
    if project.status not in (*EDITABLE, "registered"):
        raise InvalidState(
            f"documents cannot be added to a project that is {project.status}", status=project.status
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
    if project.status == "registered":
        enqueue(
            session,
            runtime,
            kind="update_project_documents",
            fn=runtime.tanhui.update_project_documents(
                bytes.fromhex(project.chain_id_hash[2:]), bytes.fromhex(project.document_hash[2:])
            ),
            signer=runtime.operator,
            payload={"project": project.public_id, "document_hash": project.document_hash},
        )
    return document


def submit(session: Session, actor: Participant, project: Project) -> Project:
    require_owner(project, actor)
    if project.status not in EDITABLE:
        raise InvalidState(f"a project that is {project.status} cannot be submitted", status=project.status)
    if not project.documents:
        raise InvalidState("a project needs at least one document (its design document) to be submitted")
    project.status = "submitted"
    return project


def review(
    session: Session, runtime: Runtime, actor: Participant, project: Project, decision: str, reason: str
) -> Project:
    if decision not in ("approve", "reject", "request_changes"):
        raise InvalidRequest("decision must be approve, reject or request_changes", field="decision")
    if not reason.strip():
        raise InvalidRequest("a review needs a reason", field="reason")
    if project.status != "submitted":
        raise InvalidState(
            f"project {project.public_id} is {project.status}, not submitted", status=project.status
        )
    session.add(
        ProjectReview(
            project_id=project.id, reviewer_id=actor.id, decision=decision, reason=reason, created_at=now()
        )
    )
    if decision == "reject":
        project.status = "rejected"
    elif decision == "request_changes":
        project.status = "changes_requested"
    else:
        m = methodology_review.get(session, project.methodology_id)
        owner = session.get(Participant, project.owner_id)
        assert owner is not None and project.document_hash is not None
        project.status = "approved"
        op = enqueue(
            session,
            runtime,
            kind="register_project",
            fn=runtime.tanhui.register_project(
                bytes.fromhex(project.chain_id_hash[2:]),
                owner.address,
                methodology_review.chain_id(m.code),
                m.version,
                bytes.fromhex(project.document_hash[2:]),
            ),
            signer=runtime.operator,
            payload={"project": project.public_id},
        )
        project.operation_id = op.id
    session.flush()
    return project


def view(session: Session, project: Project) -> dict[str, Any]:
    owner = session.get(Participant, project.owner_id)
    m = methodology_review.get(session, project.methodology_id)
    return {
        "id": project.public_id,
        "chain_id": project.chain_id_hash,
        "name": project.name,
        "description": project.description,
        "location": project.location,
        "owner": owner.public_id if owner else None,
        "methodology": {"code": m.code, "version": m.version},
        "status": project.status,
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


@on_failure("register_project")
def _registration_failed(session: Session, op: ChainOperation) -> None:
    project = get(session, op.payload["project"])
    if project.status == "approved":
        project.status = "registration_failed"
