"""The transactional outbox, and the registry's one seam to the chain.

A service never talks to a node. It builds a contract call (``outbox.calls``, the deployed
contracts), picks who signs it (``outbox.operator``, or ``outbox.signer_of(participant)``) and
hands both to :meth:`Outbox.enqueue`, which signs the transaction with the sender's next nonce
and records it in the same database transaction as the domain change that wants it, before
anything is sent. The relay sends it after the commit.

Nonces come from a per-account counter row, locked while taken (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are serialised by ``BEGIN IMMEDIATE``). Unless a fixed gas limit
is given, a pre-flight gas estimate runs before signing, so a call the contracts would refuse
raises its typed error and the whole transaction (domain change included) rolls back: nothing
is half-written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from chain.client import ChainClient, SignedTransaction
from chain.contracts import ContractCall, Tanhui
from chain.errors import ChainError
from chain.signers import Signer
from registry.clock import now
from registry.custody import signer_for
from registry.errors import Forbidden, NotFound, from_chain
from registry.models import ChainAccount, ChainOperation, Participant
from registry.states import PENDING_OPERATIONS, Custody, OperationStatus

#: How long fee fields are reused before the node is asked again.
FEES_TTL_SECONDS = 5.0


class Outbox:
    """What services need of the chain: the contract calls, the operator, the participants'
    signers, fees and nonces, and the outbox that records signed operations."""

    def __init__(
        self,
        client: ChainClient,
        calls: Tanhui,
        operator: Signer,
        *,
        keystore_password: Callable[[], str],
        funding_wei: int,
        kdf_iterations: int = 2**14,
    ) -> None:
        self._client = client
        self.calls = calls
        self.operator = operator
        #: The secret that encrypts the keystores of the accounts the registry creates.
        self.keystore_password = keystore_password
        #: Gas money sent to each account the registry creates, on a chain that charges gas.
        self.funding_wei = funding_wei
        #: The scrypt cost of the keystores the registry creates.
        self.kdf_iterations = kdf_iterations
        self._fees: tuple[float, dict[str, int]] | None = None
        self._fees_lock = threading.Lock()
        self._signers: dict[str, Signer] = {}
        self._decryptor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keystore")

    # -- signers and fees ------------------------------------------------------------------------

    def signer_of(self, participant: Participant) -> Signer:
        """The participant's own signer (raises SelfCustody for one that keeps its key)."""
        if participant.address == self.operator.address:
            return self.operator
        keystore = participant.custody == Custody.KEYSTORE and participant.keystore is not None
        signer = self._signers.get(participant.address) if keystore else None
        if signer is None:
            # Keystores are decrypted one at a time, in one thread: each decryption (scrypt)
            # takes 16 MiB, which the allocator keeps in the arena of the thread that ran it, so
            # first spends in 16 request threads would otherwise keep 256 MiB of the service's
            # memory for good.
            signer = self._decryptor.submit(signer_for, participant, self.keystore_password()).result()
            self._signers[participant.address] = signer
        return signer

    def signer_for_address(self, session: Session, address: str) -> Signer:
        if address == self.operator.address:
            return self.operator
        participant = session.execute(select(Participant).where(Participant.address == address)).scalar_one()
        return self.signer_of(participant)

    def fees(self) -> dict[str, int]:
        """Fee fields for new transactions, refreshed every few seconds."""
        with self._fees_lock:
            if self._fees is None or time.monotonic() - self._fees[0] > FEES_TTL_SECONDS:
                self._fees = (time.monotonic(), self._client.fee_fields())
            return dict(self._fees[1])

    def charges_gas(self) -> bool:
        return any(v > 0 for v in self.fees().values())

    # -- nonces ----------------------------------------------------------------------------------

    def lock_account(self, session: Session, address: str) -> ChainAccount:
        """The sender's nonce row, locked until the transaction ends (created at the chain's
        count if new). A command takes it before checking a balance, so two concurrent spends of
        one holder are checked one after the other."""
        query = select(ChainAccount).where(ChainAccount.address == address).with_for_update()
        account = session.execute(query).scalar_one_or_none()
        if account is None:
            start = self._client.next_nonce(address)
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(ChainAccount)
                .values(address=address, next_nonce=start)
                .on_conflict_do_nothing(index_elements=["address"])
            )
            account = session.execute(query.execution_options(populate_existing=True)).scalar_one()
        return account

    def take_nonce(self, session: Session, address: str, *, at_least: int = 0) -> int:
        """The sender's next nonce (not below `at_least`: the chain's count, when the counter is
        known to be behind)."""
        account = self.lock_account(session, address)
        nonce = max(account.next_nonce, at_least)
        account.next_nonce = nonce + 1
        return nonce

    # -- recording operations --------------------------------------------------------------------

    def enqueue(
        self,
        session: Session,
        *,
        kind: str,
        call: ContractCall | None,
        signer: Signer,
        payload: dict[str, Any],
        gas: int | None = None,
        depends_on: ChainOperation | None = None,
        value: int = 0,
        to: str | None = None,
    ) -> ChainOperation:
        """Signs `call` (or a value transfer `to`) for `signer` with its next nonce and records it.

        Without `gas`, the call is simulated (a gas estimate): a call the contracts would refuse
        raises its typed error before anything is written. A fixed `gas` skips the simulation: for
        dependent operations (which can only succeed after `depends_on` is mined) and for those
        whose every contract check the domain has already made from the index.
        """
        if depends_on is not None and gas is None:
            raise ValueError("a dependent operation needs a fixed gas limit")
        nonce = self.take_nonce(session, signer.address)
        try:
            signed = self._client.prepare(
                call, signer, nonce=nonce, gas=gas, fees=self.fees(), value=value, to=to
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
            status=OperationStatus.SIGNED,
            created_at=now(),
        )
        session.add(operation)
        session.flush()
        return operation


def signed_transaction(operation: ChainOperation) -> SignedTransaction:
    """The operation's recorded transaction, ready to send."""
    return SignedTransaction(
        sender=operation.sender,  # type: ignore[arg-type]
        nonce=operation.nonce,
        tx_hash=operation.tx_hash,
        raw=bytes.fromhex(operation.raw_tx.removeprefix("0x")),
    )


def pending_operations(session: Session) -> list[ChainOperation]:
    return list(
        session.execute(
            select(ChainOperation)
            .where(ChainOperation.status.in_(PENDING_OPERATIONS))
            .order_by(ChainOperation.id)
        ).scalars()
    )


def describe(operation: ChainOperation) -> dict[str, Any]:
    """The public view of an operation."""
    return {
        "id": operation.id,
        "kind": operation.kind,
        "status": str(operation.status),
        "sender": operation.sender,
        "nonce": operation.nonce,
        "tx_hash": operation.tx_hash,
        "block_number": operation.block_number,
        "result": operation.result,
        "error": {"code": operation.error_code, "message": operation.error} if operation.error_code else None,
        # Why a pending operation has not gone out yet (the node refused it for now).
        "note": operation.error if operation.error and not operation.error_code else None,
    }


def operation_for(session: Session, actor: Participant, operation_id: int) -> dict[str, Any]:
    """An operation, for its sender, the registrar or a supervisor."""
    op = session.get(ChainOperation, operation_id)
    if op is None:
        raise NotFound(f"no chain operation {operation_id}")
    if op.sender != actor.address and not actor.role_names & {"registrar", "supervisor"}:
        raise Forbidden("only the operation's sender, the registrar or a supervisor may see it")
    return describe(op)
