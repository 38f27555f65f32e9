"""Participants: organisations and people, their roles, chain accounts and API tokens.

Registering a participant records it, creates its key (unless it brings its own address),
and queues its on-chain registration — plus the verifier role for a verification body, and
gas money on a chain that charges gas — in the outbox, all in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from web3 import Web3

from chain.contracts import ParticipantKind
from registry.amounts import tonnes
from registry.clock import iso, now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.custody import create_keystore
from registry.errors import AlreadyExists, Forbidden, InvalidRequest, NotFound, Unauthenticated
from registry.models import ApiToken, ChainOperation, Holding, Participant, ParticipantRole
from registry.outbox import Outbox
from registry.states import Custody, Standing

ROLES = (
    "registrar",
    "committee",
    "verifier",
    "project_owner",
    "holder",
    "supervisor",
    "exchange",
    "event_organiser",
    "merchant",
    "association",
)
KINDS = {"organisation": ParticipantKind.ORGANISATION, "person": ParticipantKind.PERSON}
OPERATOR_NAME = "Tanhui registry operator"
OPERATOR_ID = "par_operator"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, participant: Participant) -> str:
    """A new API token for `participant`; only its hash is stored."""
    token = "th_" + secrets.token_urlsafe(32)
    session.add(ApiToken(participant_id=participant.id, token_hash=hash_token(token), created_at=now()))
    return token


def authenticate(session: Session, token: str | None) -> Participant:
    if not token:
        raise Unauthenticated("an API token is required (Authorization: Bearer <token>)")
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("the API token is not valid")
    participant = session.get(Participant, row.participant_id, options=[selectinload(Participant.roles)])
    assert participant is not None
    return participant


def require_role(participant: Participant, *roles: str) -> None:
    if not participant.role_names.intersection(roles):
        raise Forbidden(
            f"this needs the role {' or '.join(roles)}; participant {participant.public_id} has "
            f"{', '.join(sorted(participant.role_names)) or 'none'}",
            needed=list(roles),
        )


#: A participant by public id, by address (built once: they are read by most commands).
_BY_PUBLIC_ID = select(Participant).where(Participant.public_id == bindparam("public_id"))
_BY_ADDRESS = select(Participant).where(Participant.address == bindparam("address"))


def get(session: Session, public_id: str) -> Participant:
    participant = session.execute(_BY_PUBLIC_ID, {"public_id": public_id}).scalar_one_or_none()
    if participant is None:
        raise NotFound(f"no participant {public_id}", participant=public_id)
    return participant


def by_address(session: Session, address: str) -> Participant | None:
    return session.execute(_BY_ADDRESS, {"address": address}).scalar_one_or_none()


def register(
    session: Session,
    outbox: Outbox,
    *,
    name: str,
    kind: str,
    roles: list[str],
    address: str | None = None,
) -> tuple[Participant, str, list[ChainOperation]]:
    """Registers a participant; returns it, its first API token and the queued chain operations."""
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}", field="kind")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise InvalidRequest(f"roles must be a non-empty subset of {', '.join(ROLES)}", field="roles")
    if address is not None:
        if not Web3.is_address(address):
            raise InvalidRequest(f"{address!r} is not an Ethereum address", field="address")
        address = Web3.to_checksum_address(address)
        if int(address, 16) == 0:
            raise InvalidRequest("the zero address cannot be a participant's address", field="address")
        custody, keystore = Custody.SELF, None
    else:
        address, keystore = create_keystore(outbox.keystore_password(), outbox.kdf_iterations)
        custody = Custody.KEYSTORE
    if by_address(session, address) is not None:
        raise AlreadyExists(f"a participant with address {address} exists", field="address")
    participant = Participant(
        public_id="par_" + secrets.token_hex(6),
        name=name,
        kind=kind,
        address=address,
        custody=custody,
        keystore=keystore,
        chain_status=Standing.PENDING,
        created_at=now(),
        roles=[ParticipantRole(role=r) for r in sorted(set(roles))],
    )
    session.add(participant)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same address committed first
        raise AlreadyExists(f"a participant with address {address} exists", field="address") from None
    operations = queue_onboarding(session, outbox, participant)
    return participant, issue_token(session, participant), operations


def queue_onboarding(session: Session, outbox: Outbox, participant: Participant) -> list[ChainOperation]:
    """The chain side of a new participant: registration, the verifier role, gas money."""
    calls, operator = outbox.calls, outbox.operator
    payload = {"participant": participant.public_id, "address": participant.address}
    ops = [
        outbox.enqueue(
            session,
            kind="register_participant",
            call=calls.register_participant(participant.address, KINDS[participant.kind]),
            signer=operator,
            payload=payload,
        )
    ]
    if "verifier" in participant.role_names:
        ops.append(
            outbox.enqueue(
                session,
                kind="grant_role",
                call=calls.grant_role("verifier", participant.address),
                signer=operator,
                payload={**payload, "role": "verifier"},
            )
        )
    if participant.custody == Custody.KEYSTORE and outbox.charges_gas():
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
    return ops


def ensure_operator(session: Session, outbox: Outbox) -> tuple[Participant, str | None]:
    """The operator participant (registrar, supervisor), created on first start with a token;
    returns the token only when it was created."""
    existing = by_address(session, outbox.operator.address)
    if existing is not None:
        return existing, None
    participant = Participant(
        public_id=OPERATOR_ID,
        name=OPERATOR_NAME,
        kind="organisation",
        address=outbox.operator.address,
        custody=Custody.OPERATOR,
        keystore=None,
        chain_status=Standing.PENDING,
        created_at=now(),
        roles=[ParticipantRole(role=r) for r in ("registrar", "supervisor", "holder")],
    )
    session.add(participant)
    session.flush()
    if not outbox.calls.is_active_participant(participant.address):
        outbox.enqueue(
            session,
            kind="register_participant",
            call=outbox.calls.register_participant(participant.address, ParticipantKind.ORGANISATION),
            signer=outbox.operator,
            payload={"participant": participant.public_id, "address": participant.address},
        )
    else:
        participant.chain_status = Standing.ACTIVE
    return participant, issue_token(session, participant)


def registration_failed(session: Session, op: ChainOperation) -> None:
    """Compensation when a participant's on-chain registration fails."""
    participant = by_address(session, op.payload["address"])
    if participant is not None and participant.chain_status == Standing.PENDING:
        participant.chain_status = Standing.FAILED


# -- reading ---------------------------------------------------------------------------------------


def view(p: Participant) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "name": p.name,
        "kind": p.kind,
        "roles": sorted(p.role_names),
        "address": p.address,
        "custody": str(p.custody),
        "chain_status": str(p.chain_status),
        "created_at": iso(p.created_at),
    }


def holdings(session: Session, p: Participant) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Holding).where(Holding.address == p.address, Holding.amount_kg > 0).order_by(Holding.batch_id)
    ).scalars()
    return [{"batch_id": h.batch_id, "amount_kg": h.amount_kg, "amount_t": tonnes(h.amount_kg)} for h in rows]


def view_with_holdings(session: Session, public_id: str) -> dict[str, Any]:
    p = get(session, public_id)
    return {**view(p), "holdings": holdings(session, p)}


def listing(session: Session) -> list[dict[str, Any]]:
    return [view(p) for p in session.execute(select(Participant).order_by(Participant.id)).scalars()]


def render(session: Session, resource: Resource) -> dict[str, Any]:
    return view(get(session, str(resource.id)))


# -- commands --------------------------------------------------------------------------------------


def register_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    name: str,
    kind: str,
    roles: list[str],
    address: str | None = None,
    idempotency: IdempotencyKey | None = None,
) -> Answer:
    """Registers a participant; the first answer carries its API token (shown once)."""
    token: dict[str, Any] = {}

    def action(session: Session, _: Participant) -> Done:
        p, api_token, ops = register(session, outbox, name=name, kind=kind, roles=roles, address=address)
        token["token"] = api_token
        return Done(Resource("participant", p.public_id), [op.id for op in ops])

    return commands.run(actor, action, render, idempotency=idempotency, once=token)


def new_operator_token(session: Session, outbox: Outbox) -> str:
    """A new API token for the operator participant (created if needed)."""
    operator, token = ensure_operator(session, outbox)
    return token if token is not None else issue_token(session, operator)
