"""Certified low-carbon scenes (R2, R5, R9): restaurants, supermarkets, A-grade scenic spots,
hotels and exhibitions, assessed by the association against a scene standard
(``registry.scene_standards``) and, when they pass, certified for three years on chain.

- :func:`register` records a scene (registrar or association): its name, kind (which names its
  standard), address and location, and optionally the participant that operates it.
- :func:`assess` records an association's assessment: the checklist answers and the result. A
  pass issues a :class:`SceneCertificate` (standard code and version, score, validity, and the
  keccak-256 of its canonical JSON) and queues ``TanhuiRegistry.certifyScene`` in the outbox,
  signed by the registry's operator; a re-certification replaces the scene's certificate on
  chain (the earlier one stays in the database). A failing assessment is recorded, with no
  certificate (and no effect on a certificate in force).
- :func:`revoke` revokes the certificate in force (``revokeScene``).
- :func:`certificate_check` is what the points ingestion asks (R9): is the scene named by a
  ``certified_purchase`` act certified at the act's time?

A certificate is **in force** at a moment when ``valid_from <= moment < valid_until``, it was
not revoked before that moment and its anchoring has not failed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry import scene_standards
from registry.clock import now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import Conflict, InvalidRequest, NotFound, Paused, Unprocessable
from registry.models import Base, ChainOperation, Hash, Participant, RegistryMeta
from registry.outbox import Outbox
from registry.participants import get as get_participant
from registry.participants import require_role
from registry.states import OperationStatus

#: A certificate's validity: three years from the assessment.
VALIDITY_YEARS = 3
#: Gas of ``certifyScene`` / ``revokeScene`` (about 70 000 and 35 000 + the reason): fixed, as
#: every check the contract makes is made here first.
CERTIFY_GAS = 150_000
REVOKE_GAS = 250_000
MAX_NAME = 200
MAX_ADDRESS = 400
MAX_REASON = 1000
REGISTER_ROLES = ("registrar", "association")
ASSESSOR_ROLE = "association"
#: The reason code of a points act at a scene without a certificate in force.
NOT_CERTIFIED = "scene_not_certified"


class ChecklistInvalidError(Unprocessable):
    """The checklist answers do not fit the standard: ``details.problems`` lists every one."""

    code = "checklist_invalid"


class SceneNotCertified(Conflict):
    """The scene holds no certificate in force."""

    code = "scene_not_certified"


class Scene(Base):
    """A low-carbon scene: a place or an event assessed against the standard of its kind."""

    __tablename__ = "scenes"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    kind: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS))
    latitude: Mapped[str | None] = mapped_column(String(20), nullable=True)
    longitude: Mapped[str | None] = mapped_column(String(20), nullable=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), nullable=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    onchain_id: Mapped[str] = mapped_column(Hash, unique=True)  # certifyScene's sceneId
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SceneAssessment(Base):
    """An association's assessment of a scene: the answers and the standard's result."""

    __tablename__ = "scene_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    standard: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool] = mapped_column(Boolean)
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SceneCertificate(Base):
    """A certificate issued on a passing assessment, and its anchoring on chain."""

    __tablename__ = "scene_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("scene_assessments.id"))
    standard: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column()
    score: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the hash is of
    certificate_hash: Mapped[str] = mapped_column(Hash)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    revoke_operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)


# -- helpers ---------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive (in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _plus_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February -> 28 February
        return moment.replace(year=moment.year + years, day=28)


def canonical(document: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a certificate: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def certificate_hash(document: Mapping[str, Any]) -> bytes:
    return keccak(canonical(document))


def scene_onchain_id(public_id: str) -> bytes:
    """The scene's ``sceneId`` on chain: keccak-256 of ``tanhui/scene/<public id>``."""
    return keccak(b"tanhui/scene/" + public_id.encode())


def get(session: Session, public_id: str) -> Scene:
    scene = session.execute(select(Scene).where(Scene.public_id == public_id)).scalar_one_or_none()
    if scene is None:
        raise NotFound(f"no scene {public_id}", scene=public_id)
    return scene


def current_certificate(session: Session, scene: Scene) -> SceneCertificate | None:
    """The scene's latest certificate (revoked, expired or not) whose anchoring did not fail:
    the one the chain holds (a re-certification the chain refused left the earlier one there)."""
    return session.execute(
        select(SceneCertificate)
        .outerjoin(ChainOperation, ChainOperation.id == SceneCertificate.operation_id)
        .where(
            SceneCertificate.scene_id == scene.id,
            (ChainOperation.id.is_(None)) | (ChainOperation.status != OperationStatus.FAILED),
        )
        .order_by(SceneCertificate.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _in_force(cert: SceneCertificate, op_status: str | None, moment: datetime) -> bool:
    if op_status == OperationStatus.FAILED:
        return False
    if cert.revoked_at is not None and _utc(cert.revoked_at) <= moment:
        return False
    return _utc(cert.valid_from) <= moment < _utc(cert.valid_until)


def _status(cert: SceneCertificate | None, op: ChainOperation | None, moment: datetime) -> str:
    """none | anchoring | anchor_failed | revoked | expired | not_yet_valid | certified."""
    if cert is None:
        return "none"
    if op is not None and op.status == OperationStatus.FAILED:
        return "anchor_failed"
    if cert.revoked_at is not None:
        return "revoked"
    if moment >= _utc(cert.valid_until):
        return "expired"
    if moment < _utc(cert.valid_from):
        return "not_yet_valid"
    if op is not None and op.status != OperationStatus.CONFIRMED:
        return "anchoring"
    return "certified"


# -- use cases -------------------------------------------------------------------------------------


def register(
    session: Session,
    actor: Participant,
    *,
    name: str,
    kind: str,
    address: str,
    latitude: str | None = None,
    longitude: str | None = None,
    operator: str | None = None,
) -> Scene:
    """Records a scene (registrar or association). `kind` is a standard's kind (restaurant,
    supermarket, scenic_spot, hotel, exhibition); `operator` a participant's public id."""
    require_role(actor, *REGISTER_ROLES)
    kinds = scene_standards.kinds()
    if kind not in kinds:
        raise InvalidRequest(f"kind must be one of {', '.join(sorted(kinds))}", field="kind")
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidRequest(f"name: 1 to {MAX_NAME} characters", field="name")
    if not address.strip() or len(address) > MAX_ADDRESS:
        raise InvalidRequest(f"address: 1 to {MAX_ADDRESS} characters", field="address")
    for field, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is not None and abs(Decimal(value)) > limit:
            raise InvalidRequest(f"{field} is between -{limit} and {limit} degrees", field=field)
    operator_id = get_participant(session, operator).id if operator is not None else None
    public_id = "SC-" + secrets.token_hex(5).upper()
    scene = Scene(
        public_id=public_id,
        name=name.strip(),
        kind=kind,
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        operator_id=operator_id,
        registered_by_id=actor.id,
        onchain_id="0x" + scene_onchain_id(public_id).hex(),
        registered_at=now(),
    )
    session.add(scene)
    session.flush()
    return scene


def assess(
    session: Session,
    outbox: Outbox,
    actor: Participant,
    scene: Scene,
    answers: Any,
    *,
    version: int | None = None,
) -> tuple[SceneAssessment, SceneCertificate | None]:
    """Scores `answers` against the standard of the scene's kind (its latest version unless
    `version`); records the assessment; on a pass issues the certificate and queues its anchoring.
    ``Forbidden`` unless `actor` has the association role; ``ChecklistInvalidError`` (422) with
    every problem when the answers do not fit."""
    require_role(actor, ASSESSOR_ROLE)
    code = scene_standards.kinds()[scene.kind]
    try:
        standard = scene_standards.get(code, version)
    except scene_standards.UnknownStandard:
        raise InvalidRequest(f"{code} has no version {version}", field="version") from None
    try:
        result = standard.assess(answers)
    except scene_standards.ChecklistInvalid as invalid:
        raise ChecklistInvalidError(
            f"the answers do not fit {standard.code} v{standard.version}: {invalid}",
            standard=standard.code,
            version=standard.version,
            problems=invalid.problems,
        ) from None
    moment = now().replace(microsecond=0)
    assessment = SceneAssessment(
        scene_id=scene.id,
        assessor_id=actor.id,
        standard=standard.code,
        version=standard.version,
        answers=json.loads(json.dumps(answers, default=str)),
        result=result.as_dict(),
        total=str(result.total),
        passed=result.passed,
        assessed_at=moment,
    )
    session.add(assessment)
    session.flush()
    if not result.passed:
        return assessment, None
    public_id = "CERT-" + secrets.token_hex(5).upper()
    valid_from, valid_until = moment, _plus_years(moment, VALIDITY_YEARS)
    document = {
        "certificate": public_id,
        "scene": scene.public_id,
        "scene_id": scene.onchain_id,
        "name": scene.name,
        "kind": scene.kind,
        "address": scene.address,
        "standard": standard.code,
        "version": standard.version,
        "standard_hash": "0x" + standard.content_hash().hex(),
        "score": str(result.total),
        "pass_mark": str(result.pass_mark),
        "assessment": assessment.id,
        "assessor": actor.public_id,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
    }
    digest = certificate_hash(document)
    cert = SceneCertificate(
        public_id=public_id,
        scene_id=scene.id,
        assessment_id=assessment.id,
        standard=standard.code,
        version=standard.version,
        score=str(result.total),
        valid_from=valid_from,
        valid_until=valid_until,
        document=document,
        certificate_hash="0x" + digest.hex(),
        issued_at=moment,
    )
    session.add(cert)
    session.flush()
    op = outbox.enqueue(
        session,
        kind="certify_scene",
        call=outbox.calls.certify_scene(
            bytes.fromhex(scene.onchain_id[2:]),
            digest,
            int(valid_from.timestamp()),
            int(valid_until.timestamp()),
        ),
        signer=outbox.operator,
        payload={"scene": scene.public_id, "certificate": public_id},
        gas=CERTIFY_GAS,
    )
    cert.operation_id = op.id
    return assessment, cert


def revoke(
    session: Session, outbox: Outbox, actor: Participant, scene: Scene, reason: str
) -> SceneCertificate:
    """Revokes the scene's certificate in force (association or registrar) and queues ``revokeScene``."""
    require_role(actor, *REGISTER_ROLES)
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidRequest(f"reason: 1 to {MAX_REASON} characters", field="reason")
    meta = session.get(RegistryMeta, 1)
    if meta is not None and meta.registry_paused:
        raise Paused("the registry contract is paused")
    cert = current_certificate(session, scene)
    op = session.get(ChainOperation, cert.operation_id) if cert and cert.operation_id else None
    if cert is None or _status(cert, op, now()) not in ("certified", "anchoring", "not_yet_valid"):
        raise SceneNotCertified(
            f"scene {scene.public_id} holds no certificate in force", scene=scene.public_id
        )
    # Every certificate of the scene ends: an earlier one still within its validity would
    # otherwise keep earning points after the revocation (the chain holds one per scene).
    revoked_at = now()
    ended = list(
        session.execute(
            select(SceneCertificate).where(
                SceneCertificate.scene_id == scene.id, SceneCertificate.revoked_at.is_(None)
            )
        ).scalars()
    )
    for other in ended:
        other.revoked_at = revoked_at
        other.revoke_reason = reason
    revoke_op = outbox.enqueue(
        session,
        kind="revoke_scene",
        call=outbox.calls.revoke_scene(bytes.fromhex(scene.onchain_id[2:]), reason),
        signer=outbox.operator,
        payload={"scene": scene.public_id, "certificate": cert.public_id},
        gas=REVOKE_GAS,
        depends_on=op if op is not None and op.status != OperationStatus.CONFIRMED else None,
    )
    for other in ended:
        other.revoke_operation_id = revoke_op.id
    return cert


def revocation_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when ``revokeScene`` fails on chain: the certificates it revoked are in force
    again (as on chain), and the revocation can be asked for again."""
    for cert in session.execute(
        select(SceneCertificate).where(SceneCertificate.revoke_operation_id == op.id)
    ).scalars():
        cert.revoked_at = None
        cert.revoke_reason = None
        cert.revoke_operation_id = None


# -- views -----------------------------------------------------------------------------------------


def _anchor(op: ChainOperation | None) -> dict[str, Any] | None:
    if op is None:
        return None
    return {
        "operation": op.id,
        "status": str(op.status),
        "tx_hash": op.tx_hash,
        "block_number": op.block_number,
    }


def view(session: Session, scene: Scene) -> dict[str, Any]:
    moment = now()
    cert = current_certificate(session, scene)
    op = session.get(ChainOperation, cert.operation_id) if cert and cert.operation_id else None
    last = session.execute(
        select(SceneAssessment)
        .where(SceneAssessment.scene_id == scene.id)
        .order_by(SceneAssessment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    operator = session.get(Participant, scene.operator_id) if scene.operator_id else None
    return {
        "id": scene.public_id,
        "name": scene.name,
        "kind": scene.kind,
        "standard": scene_standards.kinds()[scene.kind],
        "address": scene.address,
        "latitude": scene.latitude,
        "longitude": scene.longitude,
        "operator": operator.public_id if operator else None,
        "scene_id": scene.onchain_id,
        "registered_at": _utc(scene.registered_at).isoformat(),
        "status": _status(cert, op, moment),
        "certificate": None
        if cert is None
        else {
            "id": cert.public_id,
            "standard": cert.standard,
            "version": cert.version,
            "score": cert.score,
            "valid_from": _utc(cert.valid_from).isoformat(),
            "valid_until": _utc(cert.valid_until).isoformat(),
            "certificate_hash": cert.certificate_hash,
            "document": cert.document,
            "revoked_at": _utc(cert.revoked_at).isoformat() if cert.revoked_at else None,
            "revoke_reason": cert.revoke_reason,
            "anchor": _anchor(op),
        },
        "last_assessment": None
        if last is None
        else {
            "id": last.id,
            "standard": last.standard,
            "version": last.version,
            "total": last.total,
            "passed": last.passed,
            "assessed_at": _utc(last.assessed_at).isoformat(),
        },
    }


def listing(session: Session, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    query = select(Scene).order_by(Scene.id)
    if kind is not None:
        query = query.where(Scene.kind == kind)
    return [view(session, s) for s in session.execute(query.limit(limit)).scalars()]


def assessment_view(session: Session, assessment: SceneAssessment) -> dict[str, Any]:
    scene = session.get(Scene, assessment.scene_id)
    assert scene is not None
    assessor = session.get(Participant, assessment.assessor_id)
    return {
        "id": assessment.id,
        "scene": view(session, scene),
        "assessor": assessor.public_id if assessor else None,
        "standard": assessment.standard,
        "version": assessment.version,
        "result": assessment.result,
        "passed": assessment.passed,
        "assessed_at": _utc(assessment.assessed_at).isoformat(),
    }


def render_assessment(session: Session, resource: Resource) -> dict[str, Any]:
    assessment = session.get(SceneAssessment, int(resource.id))
    if assessment is None:
        raise NotFound(f"no assessment {resource.id}")
    return assessment_view(session, assessment)


def render_scene(session: Session, resource: Resource) -> dict[str, Any]:
    return view(session, get(session, str(resource.id)))


# -- commands (HTTP, command line, tests) ----------------------------------------------------------


def register_command(
    commands: Commands, actor: Participant, *, idempotency: IdempotencyKey | None, **fields: Any
) -> Answer:
    """Registers a scene (no chain operation)."""

    def action(session: Session, me: Participant) -> Done:
        return Done(Resource("scene", register(session, me, **fields).public_id))

    return commands.run(actor, action, render_scene, idempotency=idempotency)


def assess_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    scene_id: str,
    answers: Any,
    *,
    version: int | None = None,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Assesses a scene; a pass certifies it and the answer shows the anchoring once confirmed."""

    def action(session: Session, me: Participant) -> Done:
        assessment, cert = assess(session, outbox, me, get(session, scene_id), answers, version=version)
        ops = [cert.operation_id] if cert is not None and cert.operation_id is not None else []
        return Done(Resource("scene_assessment", assessment.id), ops)

    return commands.run(actor, action, render_assessment, idempotency=idempotency)


def revoke_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    scene_id: str,
    reason: str,
    *,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        cert = revoke(session, outbox, me, get(session, scene_id), reason)
        return Done(
            Resource("scene", scene_id), [cert.revoke_operation_id] if cert.revoke_operation_id else []
        )

    return commands.run(actor, action, render_scene, idempotency=idempotency)


# -- the points ingestion's question (R9) ----------------------------------------------------------

#: Given a record's detail and the act's moment: None when the scene is certified then, else a
#: reason code.
CertificateCheck = Callable[[Any, datetime], str | None]


def certificate_check(session: Session, records: Sequence[Any], points_scene: str) -> CertificateCheck:
    """Reads, once per batch, the certificates of the scenes named (``detail.scene``) by the
    batch's `points_scene` records, and answers for each act whether its scene was certified
    at the act's time (``scene_not_certified`` otherwise, ``missing_scene`` without a scene)."""
    named = {
        str(r["detail"]["scene"])[:100]
        for r in records
        if isinstance(r, Mapping)
        and r.get("scene") == points_scene
        and isinstance(r.get("detail"), Mapping)
        and r["detail"].get("scene") is not None
    }
    windows: dict[str, list[tuple[SceneCertificate, str | None]]] = {}
    if named:
        rows = session.execute(
            select(Scene.public_id, SceneCertificate, ChainOperation.status)
            .join(SceneCertificate, SceneCertificate.scene_id == Scene.id)
            .outerjoin(ChainOperation, ChainOperation.id == SceneCertificate.operation_id)
            .where(Scene.public_id.in_(named))
        ).all()
        for public_id, cert, status in rows:
            windows.setdefault(public_id, []).append((cert, str(status) if status is not None else None))

    def check(detail: Any, moment: datetime) -> str | None:
        scene = detail.get("scene") if isinstance(detail, Mapping) else None
        if scene is None or not str(scene).strip():
            return "missing_scene"
        at = _utc(moment)
        if any(_in_force(c, s, at) for c, s in windows.get(str(scene)[:100], [])):
            return None
        return NOT_CERTIFIED

    return check


__all__ = [
    "ASSESSOR_ROLE",
    "CertificateCheck",
    "ChecklistInvalidError",
    "Scene",
    "SceneAssessment",
    "SceneCertificate",
    "SceneNotCertified",
    "assess",
    "assess_command",
    "certificate_check",
    "get",
    "listing",
    "register",
    "register_command",
    "revoke",
    "revoke_command",
    "view",
]
