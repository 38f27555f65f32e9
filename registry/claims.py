"""Carbon-neutrality claims (R14, R15): a claim that a subject — an event, an organisation, a
fleet, an air route, a certified scene or a person — was carbon neutral over a period.

The path: the claimant registers the claim; submits the subject's activity data, which a
footprint methodology (``registry/footprints``) turns into a footprint (rounded up); a verifier
other than the claimant verifies the footprint; credits are retired against the claim by anyone
(``event_id`` of a retirement = the claim's id); the claimant closes it. Closing is a chain
transaction (``TanhuiCredits.closeClaim``) that records the verified footprint, the amount
required (footprint plus the claimant's optional buffer) and the footprint's hash, and succeeds
only if the credits retired against the claim cover it: "X was neutral" is a fact of the chain.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from registry import footprints
from registry.amounts import tonnes
from registry.clock import now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import (
    ActivityDataInvalid,
    ClaimClosed,
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotCovered,
    NotFound,
    Paused,
)
from registry.models import ChainOperation, Claim, Participant, RegistryMeta, Retirement
from registry.outbox import Outbox
from registry.states import ClaimStatus, decided, move

#: Who may claim what: an event needs the event organiser's role; a person claims for itself;
#: the other subjects belong to an organisation.
ORGANISATION_SUBJECTS = ("organisation", "fleet", "route", "scene")
#: The buffer a claimant may add on top of the footprint, in percent.
MAX_BUFFER_PCT = Decimal(100)
CLOSE_GAS = 300_000

OUTCOMES = {"approve": ClaimStatus.VERIFIED, "reject": ClaimStatus.FOOTPRINT_REJECTED}
#: Claims that still take retirements against them.
OPEN_CLAIMS = (
    ClaimStatus.REGISTERED,
    ClaimStatus.FOOTPRINTED,
    ClaimStatus.FOOTPRINT_REJECTED,
    ClaimStatus.VERIFIED,
)


def claim_key(public_id: str) -> bytes:
    """The claim's id on chain (a retirement's ``eventId``): keccak256 of its public id, as
    ``retirements.event_hash`` makes it of the ``event_id`` text given with a retirement."""
    return keccak(text=public_id)


def get(session: Session, public_id: str, *, lock: bool = False) -> Claim:
    query = select(Claim).where(Claim.public_id == public_id)
    if lock:  # a decision on the claim reads it first: two at once must see each other
        query = query.with_for_update()
    claim = session.execute(query).scalar_one_or_none()
    if claim is None:
        raise NotFound(f"no claim {public_id}", claim=public_id)
    return claim


def by_key(session: Session, key: bytes) -> Claim | None:
    return session.execute(select(Claim).where(Claim.onchain_id == "0x" + key.hex())).scalar_one_or_none()


def _may_claim(actor: Participant, kind: str) -> None:
    if kind == "event":
        if "event_organiser" not in actor.role_names:
            raise Forbidden("a claim for an event needs the role event_organiser", needed=["event_organiser"])
    elif kind == "person":
        if actor.kind != "person":
            raise Forbidden("a personal claim belongs to a participant who is a person", needed=["person"])
    elif actor.kind != "organisation":
        raise Forbidden(f"a claim for a {kind} belongs to an organisation", needed=["organisation"])


def register(
    session: Session,
    actor: Participant,
    *,
    kind: str,
    subject: str,
    period_start: date,
    period_end: date,
    footprint_code: str,
    footprint_version: int,
    buffer_pct: Decimal,
) -> Claim:
    if kind not in footprints.SUBJECT_KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(footprints.SUBJECT_KINDS)}", field="kind")
    _may_claim(actor, kind)
    if not subject.strip():
        raise InvalidRequest("the subject is required", field="subject")
    if period_start > period_end:
        raise InvalidRequest("period_start is after period_end", field="period_start")
    try:
        method = footprints.get(footprint_code, footprint_version)
    except footprints.UnknownMethodology:
        known = ", ".join(f"{m.code} v{m.version}" for m in footprints.all_footprints())
        raise InvalidRequest(
            f"no footprint methodology {footprint_code} v{footprint_version}; there are {known}",
            field="footprint_methodology",
        ) from None
    if kind not in method.subjects:
        raise InvalidRequest(
            f"{method.code} measures {', '.join(method.subjects)}, not a {kind}",
            field="footprint_methodology",
        )
    if not Decimal(0) <= buffer_pct <= MAX_BUFFER_PCT:
        raise InvalidRequest(f"buffer_pct must be between 0 and {MAX_BUFFER_PCT}", field="buffer_pct")
    public_id = "CL-" + secrets.token_hex(5).upper()
    claim = Claim(
        public_id=public_id,
        kind=kind,
        subject=subject.strip(),
        claimant_id=actor.id,
        period_start=period_start,
        period_end=period_end,
        footprint_code=method.code,
        footprint_version=method.version,
        footprint_content_hash="0x" + method.content_hash().hex(),
        buffer_bp=int(buffer_pct * 100),
        status=ClaimStatus.REGISTERED,
        onchain_id="0x" + claim_key(public_id).hex(),
        created_at=now(),
    )
    session.add(claim)
    session.flush()
    return claim


def _require_claimant(claim: Claim, actor: Participant) -> None:
    if claim.claimant_id != actor.id:
        raise Forbidden(f"claim {claim.public_id} belongs to another participant")


def required_kg(footprint_kg: int, buffer_bp: int) -> int:
    """The credits to retire for neutrality: the footprint plus the buffer, rounded up."""
    exact = Decimal(footprint_kg) * (Decimal(10_000 + buffer_bp) / Decimal(10_000))
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def submit_footprint(session: Session, actor: Participant, claim: Claim, activity: dict[str, Any]) -> Claim:
    """Computes the claim's footprint from the subject's activity data (again, until verified)."""
    _require_claimant(claim, actor)
    subject = f"claim {claim.public_id}"
    if claim.status not in (ClaimStatus.REGISTERED, ClaimStatus.FOOTPRINT_REJECTED):
        # Once given, the footprint stays what the verifier is looking at until it decides.
        raise InvalidState(
            f"{subject} is {claim.status}: its footprint is before a verifier or settled",
            status=str(claim.status),
        )
    if claim.period_end >= now().date():
        raise InvalidRequest(
            f"{subject}'s period ends {claim.period_end}: its footprint is given once the period is over",
            field="period_end",
        )
    method = footprints.get(claim.footprint_code, claim.footprint_version)
    try:
        parsed = method.parse(activity)
        fp = method.assess(parsed, footprints.MonitoringPeriod(claim.period_start, claim.period_end))
    except footprints.MethodologyInputError as err:
        raise ActivityDataInvalid(
            f"the activity data do not fit {method.code} v{method.version}: {err}", errors=err.errors
        ) from None
    except ArithmeticError as err:  # extreme values a methodology's bounds let through
        message = f"the activity data cannot be assessed ({type(err).__name__}): a value is out of range"
        raise ActivityDataInvalid(
            f"{method.code} v{method.version}: {message}", errors=[{"field": "", "message": message}]
        ) from None
    normalised = json.loads(parsed.model_dump_json())
    record = {
        "claim": claim.public_id,
        "subject": claim.subject,
        "kind": claim.kind,
        "period": [str(claim.period_start), str(claim.period_end)],
        "methodology": {"code": method.code, "version": method.version},
        "methodology_hash": claim.footprint_content_hash,
        "activity": normalised,
        "total_kg": fp.total_kg,
    }
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    claim.activity = normalised
    claim.footprint = {"by_source": dict(fp.by_source), "steps": [list(s) for s in fp.steps]}
    claim.footprint_kg = fp.total_kg
    claim.required_kg = required_kg(fp.total_kg, claim.buffer_bp)
    claim.footprint_hash = "0x" + keccak(text=canonical).hex()
    claim.status = move(claim.status, ClaimStatus.FOOTPRINTED, subject=subject)
    session.flush()
    return claim


def verify(session: Session, actor: Participant, claim: Claim, decision: str, reason: str) -> Claim:
    """A verifier's decision on the footprint; never the claimant's own."""
    outcome = decided(decision, OUTCOMES, reason, what="a verification")
    if claim.claimant_id == actor.id:
        raise Forbidden("a claimant cannot verify its own footprint")
    subject = f"claim {claim.public_id}"
    if claim.status != ClaimStatus.FOOTPRINTED:
        raise InvalidState(
            f"{subject} is {claim.status}, not awaiting verification", status=str(claim.status)
        )
    claim.status = move(claim.status, outcome, subject=subject)
    claim.verifier_id = actor.id
    claim.verification_reason = reason
    claim.verified_at = now()
    session.flush()
    return claim


def retired_against(session: Session, claim: Claim) -> int:
    """The credits retired against the claim, as the index knows them."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(Retirement.amount_kg), 0)).where(
                Retirement.event_id == claim.onchain_id
            )
        ).scalar_one()
    )


def close(session: Session, outbox: Outbox, actor: Participant, claim: Claim) -> tuple[Claim, ChainOperation]:
    """Closes the verified claim on chain; refused (nothing written) while the credits retired
    against it do not cover the footprint and the buffer."""
    _require_claimant(claim, actor)
    subject = f"claim {claim.public_id}"
    if claim.status != ClaimStatus.VERIFIED:
        raise InvalidState(
            f"{subject} is {claim.status}; only a verified claim closes", status=str(claim.status)
        )
    assert claim.footprint_kg is not None and claim.required_kg is not None and claim.footprint_hash
    meta = session.get(RegistryMeta, 1)
    if meta is not None and meta.credits_paused:
        raise Paused("the credits contract is paused: no claim closes until it resumes")
    retired = retired_against(session, claim)
    if retired < claim.required_kg:
        raise NotCovered(
            f"{subject}: {tonnes(retired)} t retired against it, {tonnes(claim.required_kg)} t needed "
            f"(footprint {tonnes(claim.footprint_kg)} t plus a {Decimal(claim.buffer_bp) / 100} % buffer)",
            retired_kg=retired,
            required_kg=claim.required_kg,
        )
    op = outbox.enqueue(
        session,
        kind="close_claim",
        call=outbox.calls.close_claim(
            claim_key(claim.public_id),
            claim.footprint_kg,
            claim.required_kg,
            bytes.fromhex(claim.footprint_hash[2:]),
        ),
        signer=outbox.operator,
        payload={"claim": claim.public_id},
        gas=CLOSE_GAS,
    )
    claim.status = move(claim.status, ClaimStatus.CLOSING, subject=subject)
    claim.operation_id = op.id
    session.flush()
    return claim, op


def closing_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when the closing transaction fails on chain (e.g. a retirement the index
    counted was lost with blocks the chain dropped): the claim is verified again."""
    claim = session.execute(select(Claim).where(Claim.public_id == op.payload["claim"])).scalar_one_or_none()
    if claim is not None and claim.status == ClaimStatus.CLOSING and claim.operation_id == op.id:
        claim.status = ClaimStatus.VERIFIED


def check_retirement(session: Session, event_key: bytes) -> None:
    """A retirement against a claim needs the claim open (the chain refuses one against a
    closed claim too: this says so before anything is signed)."""
    if event_key == bytes(32):
        return
    claim = by_key(session, event_key)
    if claim is not None and claim.status not in OPEN_CLAIMS:
        raise ClaimClosed(
            f"claim {claim.public_id} is {claim.status}: no more retirements against it",
            claim=claim.public_id,
        )


# -- reading ---------------------------------------------------------------------------------------


def footprint_catalogue() -> list[dict[str, Any]]:
    return [m.describe() for m in footprints.all_footprints()]


def calculate(
    code: str, version: int, period_start: date, period_end: date, activity: dict[str, Any]
) -> dict[str, Any]:
    """A footprint on the spot (the public calculator: an attendee's own trip), nothing recorded."""
    try:
        method = footprints.get(code, version)
    except footprints.UnknownMethodology:
        raise InvalidRequest(
            f"no footprint methodology {code} v{version}", field="footprint_methodology"
        ) from None
    if period_start > period_end:
        raise InvalidRequest("period_start is after period_end", field="period_start")
    try:
        fp = method.compute(activity, footprints.MonitoringPeriod(period_start, period_end))
    except footprints.MethodologyInputError as err:
        raise ActivityDataInvalid(
            f"the activity data do not fit {code} v{version}: {err}", errors=err.errors
        ) from None
    except ArithmeticError as err:
        message = f"the activity data cannot be assessed ({type(err).__name__}): a value is out of range"
        raise ActivityDataInvalid(message, errors=[{"field": "", "message": message}]) from None
    return {
        "methodology": {
            "code": method.code,
            "version": method.version,
            "content_hash": "0x" + method.content_hash().hex(),
        },
        "total_kg": fp.total_kg,
        "total_t": tonnes(fp.total_kg),
        "by_source": dict(fp.by_source),
        "steps": [list(step) for step in fp.steps],
    }


def view(session: Session, claim: Claim) -> dict[str, Any]:
    claimant = session.get(Participant, claim.claimant_id)
    verifier = session.get(Participant, claim.verifier_id) if claim.verifier_id else None
    assert claimant is not None
    retirements = list(
        session.execute(
            select(Retirement)
            .where(Retirement.event_id == claim.onchain_id)
            .order_by(Retirement.certificate_id)
        ).scalars()
    )
    retired = sum(r.amount_kg for r in retirements)
    personal = session.execute(
        select(func.count(distinct(Retirement.holder))).where(
            Retirement.event_id == claim.onchain_id, Retirement.purpose == "personal_neutrality"
        )
    ).scalar_one()
    operation = session.get(ChainOperation, claim.operation_id) if claim.operation_id else None
    return {
        "id": claim.public_id,
        "kind": claim.kind,
        "subject": claim.subject,
        "claimant": claimant.public_id,
        "period_start": str(claim.period_start),
        "period_end": str(claim.period_end),
        "status": str(claim.status),
        "footprint": {
            "methodology": {
                "code": claim.footprint_code,
                "version": claim.footprint_version,
                "content_hash": claim.footprint_content_hash,
            },
            "activity": claim.activity,
            "total_kg": claim.footprint_kg,
            "total_t": tonnes(claim.footprint_kg) if claim.footprint_kg is not None else None,
            "by_source": (claim.footprint or {}).get("by_source", {}),
            "steps": (claim.footprint or {}).get("steps", []),
            "hash": claim.footprint_hash,
        },
        "buffer_pct": str(Decimal(claim.buffer_bp) / 100),
        "required_kg": claim.required_kg,
        "retired_kg": retired,
        "retired_t": tonnes(retired),
        "covered": claim.required_kg is not None and retired >= claim.required_kg,
        "verification": None
        if verifier is None
        else {
            "verifier": verifier.public_id,
            "reason": claim.verification_reason,
            "at": claim.verified_at.isoformat() if claim.verified_at else None,
        },
        "retirements": [
            {
                "certificate_id": r.certificate_id,
                "holder": r.holder,
                "amount_kg": r.amount_kg,
                "purpose": r.purpose,
                "beneficiary": r.beneficiary,
                "tx_hash": r.tx_hash,
            }
            for r in retirements
        ],
        "people_offsetting": int(personal),
        "chain": {
            "event_id": claim.onchain_id,
            "operation": operation.id if operation else None,
            "close_tx": claim.closed_tx,  # from the chain's ClaimClosed event (the index)
            "closed_block": claim.closed_block,
            "retired_kg_at_close": claim.retired_at_close,
        },
    }


def listing(session: Session, *, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(Claim).order_by(Claim.id)
    if kind is not None:
        query = query.where(Claim.kind == kind)
    return [view(session, c) for c in session.execute(query).scalars()]


def render(session: Session, resource: Resource) -> dict[str, Any]:
    return view(session, get(session, str(resource.id)))


# -- commands --------------------------------------------------------------------------------------


def register_command(
    commands: Commands, actor: Participant, *, idempotency: IdempotencyKey | None, **fields: Any
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(Resource("claim", register(session, me, **fields).public_id))

    return commands.run(actor, action, render, idempotency=idempotency)


def footprint_command(
    commands: Commands,
    actor: Participant,
    claim_id: str,
    activity: dict[str, Any],
    *,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(
            Resource(
                "claim", submit_footprint(session, me, get(session, claim_id, lock=True), activity).public_id
            )
        )

    return commands.run(actor, action, render, idempotency=idempotency)


def verify_command(
    commands: Commands,
    actor: Participant,
    claim_id: str,
    *,
    decision: str,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    def action(session: Session, me: Participant) -> Done:
        return Done(
            Resource(
                "claim", verify(session, me, get(session, claim_id, lock=True), decision, reason).public_id
            )
        )

    return commands.run(actor, action, render, idempotency=idempotency)


def close_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    claim_id: str,
    *,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Closes the claim; the answer shows it neutral once the chain confirms the closing."""

    def action(session: Session, me: Participant) -> Done:
        claim, op = close(session, outbox, me, get(session, claim_id, lock=True))
        return Done(Resource("claim", claim.public_id), [op.id])

    return commands.run(actor, action, render, idempotency=idempotency)
