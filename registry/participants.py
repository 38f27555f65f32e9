"""Participants: organisations and people, their roles, chain accounts and API tokens.

Registering a participant records it, creates its key (unless it brings its own address),
and queues its on-chain registration — plus the verifier role for a verification body, and
gas money on a chain that charges gas — in the outbox, all in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from web3 import Web3

from chain.contracts import ParticipantKind
from registry.clock import now
from registry.custody import create_keystore
from registry.errors import AlreadyExists, Forbidden, InvalidRequest, NotFound, Unauthenticated
from registry.models import ApiToken, ChainOperation, Participant, ParticipantRole
from registry.outbox import enqueue
from registry.relay import on_failure

if TYPE_CHECKING:
    from registry.runtime import Runtime

ROLES = ("registrar", "committee", "verifier", "project_owner", "holder", "supervisor", "exchange")
KINDS = {"organisation": ParticipantKind.ORGANISATION, "person": ParticipantKind.PERSON}
OPERATOR_NAME = "Tanhui registry operator"


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


def get(session: Session, public_id: str) -> Participant:
    participant = session.execute(
        select(Participant).where(Participant.public_id == public_id)
    ).scalar_one_or_none()
    if participant is None:
        raise NotFound(f"no participant {public_id}", participant=public_id)
    return participant


def by_address(session: Session, address: str) -> Participant | None:
    return session.execute(select(Participant).where(Participant.address == address)).scalar_one_or_none()


def register(
    session: Session,
    runtime: Runtime,
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
        custody, keystore = "self", None
    else:
        address, keystore = create_keystore(runtime.keystore_password())
        custody = "keystore"
    if by_address(session, address) is not None:
        raise AlreadyExists(f"a participant with address {address} exists", field="address")
    participant = Participant(
        public_id="par_" + secrets.token_hex(6),
        name=name,
        kind=kind,
        address=address,
        custody=custody,
        keystore=keystore,
        chain_status="pending",
        created_at=now(),
        roles=[ParticipantRole(role=r) for r in sorted(set(roles))],
    )
    session.add(participant)
    session.flush()
    operations = queue_onboarding(session, runtime, participant)
    return participant, issue_token(session, participant), operations


def queue_onboarding(session: Session, runtime: Runtime, participant: Participant) -> list[ChainOperation]:
    """The chain side of a new participant: registration, the verifier role, gas money."""
    tanhui, operator = runtime.tanhui, runtime.operator
    payload = {"participant": participant.public_id, "address": participant.address}
    ops = [
        enqueue(
            session,
            runtime,
            kind="register_participant",
            fn=tanhui.register_participant(participant.address, KINDS[participant.kind]),
            signer=operator,
            payload=payload,
        )
    ]
    if "verifier" in participant.role_names:
        ops.append(
            enqueue(
                session,
                runtime,
                kind="grant_role",
                fn=tanhui.grant_role("verifier", participant.address),
                signer=operator,
                payload={**payload, "role": "verifier"},
            )
        )
    if participant.custody == "keystore" and runtime.charges_gas():
        ops.append(
            enqueue(
                session,
                runtime,
                kind="fund_account",
                fn=None,
                signer=operator,
                payload={**payload, "wei": runtime.settings.account_funding_wei},
                value=runtime.settings.account_funding_wei,
                to=participant.address,
            )
        )
    return ops


def ensure_operator(session: Session, runtime: Runtime) -> tuple[Participant, str | None]:
    """The operator participant (registrar, supervisor), created on first start with a token;
    returns the token only when it was created."""
    existing = by_address(session, runtime.operator.address)
    if existing is not None:
        return existing, None
    participant = Participant(
        public_id="par_operator",
        name=OPERATOR_NAME,
        kind="organisation",
        address=runtime.operator.address,
        custody="operator",
        keystore=None,
        chain_status="pending",
        created_at=now(),
        roles=[ParticipantRole(role=r) for r in ("registrar", "supervisor", "holder")],
    )
    session.add(participant)
    session.flush()
    if not runtime.tanhui.is_active_participant(participant.address):
        enqueue(
            session,
            runtime,
            kind="register_participant",
            fn=runtime.tanhui.register_participant(participant.address, ParticipantKind.ORGANISATION),
            signer=runtime.operator,
            payload={"participant": participant.public_id, "address": participant.address},
        )
    else:
        participant.chain_status = "active"
    return participant, issue_token(session, participant)


@on_failure("register_participant")
def _registration_failed(session: Session, op: ChainOperation) -> None:
    participant = by_address(session, op.payload["address"])
    if participant is not None and participant.chain_status == "pending":
        participant.chain_status = "failed"
