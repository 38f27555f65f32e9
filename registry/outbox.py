"""The transactional outbox: a chain operation is signed and recorded in the same database
transaction as the domain change that wants it, before anything is sent.

Nonces come from a per-account counter row, locked while taken (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are serialised by ``BEGIN IMMEDIATE``). A pre-flight gas
estimate runs before signing, so a call the contracts would refuse raises its typed error and
the whole transaction (domain change included) rolls back: nothing is half-written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from web3.contract.contract import ContractFunction

from chain.errors import ChainError
from chain.signers import Signer
from registry.clock import now
from registry.errors import from_chain
from registry.models import ChainAccount, ChainOperation

if TYPE_CHECKING:
    from registry.runtime import Runtime

PENDING = ("signed", "sent")


def lock_account(session: Session, runtime: Runtime, address: str) -> ChainAccount:
    """The sender's nonce row, locked until the transaction ends (created at the chain's count
    if new). A command takes it before checking a balance, so two concurrent spends of one
    holder are checked one after the other."""
    query = select(ChainAccount).where(ChainAccount.address == address).with_for_update()
    account = session.execute(query).scalar_one_or_none()
    if account is None:
        start = runtime.client.next_nonce(address)
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(ChainAccount)
            .values(address=address, next_nonce=start)
            .on_conflict_do_nothing(index_elements=["address"])
        )
        account = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    return account


def take_nonce(session: Session, runtime: Runtime, address: str) -> int:
    account = lock_account(session, runtime, address)
    nonce = account.next_nonce
    account.next_nonce = nonce + 1
    return nonce


def enqueue(
    session: Session,
    runtime: Runtime,
    *,
    kind: str,
    fn: ContractFunction | None,
    signer: Signer,
    payload: dict[str, Any],
    gas: int | None = None,
    depends_on: ChainOperation | None = None,
    value: int = 0,
    to: str | None = None,
) -> ChainOperation:
    """Signs `fn` (or a value transfer `to`) for `signer` with the next nonce and records it.

    Without `gas`, the call is simulated (a gas estimate): a call the contracts would refuse
    raises its typed error before anything is written. A fixed `gas` skips the simulation: for
    dependent operations (which can only succeed after `depends_on` is mined) and for those
    whose every contract check the domain has already made from the index.
    """
    if depends_on is not None and gas is None:
        raise ValueError("a dependent operation needs a fixed gas limit")
    nonce = take_nonce(session, runtime, signer.address)
    try:
        signed = runtime.client.prepare(
            fn, signer, nonce=nonce, gas=gas, fees=runtime.fees(), value=value, to=to
        )
    except ChainError as err:
        raise from_chain(err) from err
    operation = ChainOperation(
        kind=kind,
        payload=payload,
        sender=signer.address,
        nonce=nonce,
        tx_hash=signed.tx_hash,
        raw_tx="0x" + signed.raw.hex(),
        depends_on_id=depends_on.id if depends_on is not None else None,
        status="signed",
        created_at=now(),
    )
    session.add(operation)
    session.flush()
    return operation


def pending_operations(session: Session) -> list[ChainOperation]:
    return list(
        session.execute(
            select(ChainOperation).where(ChainOperation.status.in_(PENDING)).order_by(ChainOperation.id)
        ).scalars()
    )


def describe(operation: ChainOperation) -> dict[str, Any]:
    """The public view of an operation."""
    return {
        "id": operation.id,
        "kind": operation.kind,
        "status": operation.status,
        "sender": operation.sender,
        "nonce": operation.nonce,
        "tx_hash": operation.tx_hash,
        "block_number": operation.block_number,
        "result": operation.result,
        "error": {"code": operation.error_code, "message": operation.error} if operation.error_code else None,
        # Why a pending operation has not gone out yet (the node refused it for now).
        "note": operation.error if operation.error and not operation.error_code else None,
    }
