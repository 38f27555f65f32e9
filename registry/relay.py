"""The relay: sends recorded chain operations, confirms them from their receipts, and resumes
whatever a crash left behind.

An operation is ``signed`` when recorded. The relay sends its raw transaction (a resend of a
known or mined transaction is harmless), marks it ``sent``, waits for the receipt and marks it
``confirmed`` (with what the receipt's events say, e.g. the batch id) or ``failed`` (any
receipt with status 0, with the typed revert when a replay can name it). A sender's
transactions go out in nonce order, and a dependent operation only once its dependency has a
receipt. Each outcome is recorded together with the index of its block (the relay is given the
index to keep, it does not build one), and a failure runs the domain's compensation from the
table it is given.

No nonce is ever left unused, or every later transaction of that sender would wait for it for
ever: a transaction the node refuses stays pending and is retried (a registry-created account
is first topped up with gas money); one that can never succeed as signed has its nonce filled
by a zero-value transfer before it fails; one whose nonce a transaction outside the registry
took is signed again, once, with the next free nonce.

For the crash tests, ``TANHUI_CRASH_AT=after-commit`` or ``after-send`` kills the process (as
``kill -9`` would) right after the outbox commit or right after the send.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from chain.client import ChainClient
from chain.contracts import Deployment
from chain.errors import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    InsufficientFunds,
    NonceTaken,
    ReceiptTimeout,
    TransactionRefused,
    TransactionReverted,
)
from chain.events import decoder_for, receipt_facts
from registry.clock import now
from registry.db import Database, loaded
from registry.errors import InvalidState
from registry.models import ChainOperation, Participant
from registry.outbox import Outbox, pending_operations, signed_by_holder, signed_transaction
from registry.states import PENDING_OPERATIONS, Custody, OperationStatus

log = logging.getLogger("tanhui.relay")

#: How many blocks behind an operation's block the index may be for the relay to index them in
#: the commit that records the operation (more: indexed first, in transactions of their own).
BACKLOG_IN_COMMIT = 64

#: A domain's compensation for a failed operation, run in the transaction that records the failure.
FailureHandler = Callable[[Session, ChainOperation], None]


class Index(Protocol):
    """What the relay needs of the index: to bring it up to a block (in the caller's
    transaction when it is caught up to the block before, else in its own)."""

    def indexed_block(self, session: Session) -> int: ...

    def sync_within(self, session: Session, to_block: int, *, block_hash: str | None = None) -> int: ...

    def sync(self, to_block: int | None = None) -> int: ...

    def check_chain(self) -> dict[str, int] | None: ...


class _Sent(StrEnum):
    """What became of a send."""

    SENT = "sent"  # the node took it (or had it already)
    RESIGNED = "resigned"  # its nonce was taken: signed again with a new one
    HELD = "held"  # refused for now (retried later), or failed for good


#: A sender's operations below a nonce that are not sent yet, in nonce order (built once).
_UNSENT_BEFORE = (
    select(ChainOperation.id)
    .where(
        ChainOperation.sender == bindparam("sender"),
        ChainOperation.status == OperationStatus.SIGNED,
        ChainOperation.nonce < bindparam("nonce"),
    )
    .order_by(ChainOperation.nonce)
)


class _Held:
    """An operation's lock, how many threads hold or wait for it, and the final status the
    holder recorded, for the threads that were already waiting then (`final_for`: those with a
    lower ticket). A thread that comes later reads the operation: a rewind or a reopened
    submission may have made it pending again since."""

    __slots__ = ("final", "final_for", "lock", "tickets", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.tickets = 0
        self.final: OperationStatus | None = None
        self.final_for = 0


def crash_point(name: str) -> None:
    if os.environ.get("TANHUI_CRASH_AT") == name:
        log.warning("crash point %s reached: exiting as if killed", name)
        os._exit(137)


class Relay:
    def __init__(
        self,
        db: Database,
        client: ChainClient,
        deployment: Deployment,
        outbox: Outbox,
        index: Index,
        failure_handlers: Mapping[str, FailureHandler],
        *,
        receipt_timeout: float = 60.0,
    ) -> None:
        self._db = db
        self._transaction = db.transaction
        self._client = client
        self._outbox = outbox
        self._index = index
        self._handlers = dict(failure_handlers)
        self._decoder = decoder_for(client, deployment)
        self.receipt_timeout = receipt_timeout
        self._guard = threading.Lock()
        # Per-operation locks, each with how many threads hold or wait for it: dropped when none
        # does, so the table holds only operations being processed.
        self._locks: dict[int, _Held] = {}
        # The operations this thread is driving: a top-up (processed while its operation's lock
        # is held) may lead back to that operation through the operator's earlier nonces and
        # their dependencies; it must find it busy, not wait for itself.
        self._mine = threading.local()

    def _held(self) -> set[int]:
        held: set[int] | None = getattr(self._mine, "ids", None)
        if held is None:
            held = self._mine.ids = set()
        return held

    @contextmanager
    def _lock(self, op_id: int) -> Iterator[OperationStatus | None]:
        """Holds the operation's lock; gives the final status a thread that held it before
        recorded while this one waited (None: none did, read the operation)."""
        with self._guard:
            held = self._locks.get(op_id)
            if held is None:
                held = self._locks[op_id] = _Held()
            held.users += 1
            ticket = held.tickets
            held.tickets += 1
        try:
            with held.lock:
                self._held().add(op_id)
                try:
                    with self._guard:
                        handed = held.final if ticket < held.final_for else None
                    yield handed
                finally:
                    self._held().discard(op_id)
        finally:
            with self._guard:
                held.users -= 1
                if held.users == 0:
                    del self._locks[op_id]

    def _finished(self, op_id: int, status: OperationStatus) -> None:
        """Hands a final outcome just committed to the threads waiting for the operation's lock
        now (they need not read it again)."""
        with self._guard:
            held = self._locks.get(op_id)
            if held is not None:
                held.final, held.final_for = status, held.tickets

    def _outcome(self, op_id: int, *, forget: bool = False) -> OperationStatus | None:
        """The final status recorded for the operation since it was last forgotten (`forget`:
        from now on), by the thread that holds its lock."""
        with self._guard:
            held = self._locks.get(op_id)
            if held is None:
                return None
            if forget:
                held.final, held.final_for = None, 0
            return held.final

    # -- driving operations ----------------------------------------------------------------------

    def process(
        self,
        operation: int | ChainOperation,
        *,
        timeout: float | None = None,
        unsent: list[int] | None = None,
        earlier_walked: bool = False,
    ) -> OperationStatus | None:
        """Sends and confirms one operation (after its dependency has a receipt). A node that
        does not answer, or does not take the transaction yet, leaves it pending for the
        background loop.

        `unsent`, with an operation just recorded (without a dependency): the sender's lower
        nonces not sent yet, as the recording transaction saw them (see :meth:`unsent_before`),
        which spares reading them again. The operation may still have been sent or finished by
        another thread since: a resend of it is harmless, a nonce the chain has used is not
        signed again for an operation no longer ``signed`` (see ``_resign``), and an outcome is
        recorded only for an operation still pending (see ``_finish``).

        Returns the operation's final status when this thread knows it (it finished it, found it
        finished, or was handed it by the thread it waited for), else None: the caller reads it."""
        crash_point("after-commit")
        op_id = operation if isinstance(operation, int) else operation.id
        if op_id in self._held():
            return None  # this thread is driving it already (see _mine): it stays pending for now
        if isinstance(operation, ChainOperation) and operation.status not in PENDING_OPERATIONS:
            return OperationStatus(operation.status)
        known = None
        if isinstance(operation, ChainOperation) and operation.depends_on_id is None and unsent is not None:
            known = (operation, None, unsent)
        # The caller walks the sender's lower nonces (in order) already: no second walk per nonce,
        # which would grow exponentially with a queue of refused transactions.
        earlier_done = earlier_walked
        while True:
            with self._lock(op_id) as handed:
                if handed is not None:
                    return handed  # finished by the thread this one waited for
                # Fresh under the lock (another thread may have moved it), with the sender's
                # lower nonces not sent yet, in one read (or as the caller just read them).
                op, dependency, earlier = known or self._load_for_send(op_id, earlier=not earlier_done)
                known = None
                if op.status not in PENDING_OPERATIONS:
                    return OperationStatus(op.status)
                if dependency is None and not earlier:
                    outcome: OperationStatus | None = None
                    self._outcome(op_id, forget=True)  # an outcome from before is not this drive's
                    try:
                        resigned, outcome = self._drive(op, timeout), self._outcome(op_id)
                    except (ChainUnavailable, ReceiptTimeout) as err:
                        log.warning("operation %s stays pending: %s", op.id, err)
                        resigned = False
                    break
            # Outside the lock: the dependency first, then the sender's earlier nonces.
            if dependency is not None:
                status = self.process(dependency, timeout=timeout) or self._load(dependency).status
                if status in PENDING_OPERATIONS:
                    return None  # sent now, it would revert for nothing: wait for the dependency's receipt
            for earlier_id in earlier:  # the node mines a sender's nonces in order
                known_status = self.process(earlier_id, timeout=timeout, earlier_walked=True)
                if (known_status or self._load(earlier_id).status) == OperationStatus.SIGNED:
                    return None  # still not taken by the node: ours would wait behind it; retried later
            earlier_done = True
        if resigned:  # signed again with a new nonce: send that (after the sender's earlier ones)
            return self.process(op.id, timeout=timeout)
        return outcome

    def process_all(
        self, operations: list[int] | list[ChainOperation], *, unsent: Mapping[int, list[int]] | None = None
    ) -> None:
        """Processes the operations a command just recorded, in order (`unsent`: see
        :meth:`process`, by operation id)."""
        for operation in operations:
            op_id = operation if isinstance(operation, int) else operation.id
            earlier = unsent.get(op_id) if unsent is not None else None
            self.process(operation, timeout=self.receipt_timeout, unsent=earlier)

    @staticmethod
    def unsent_before(session: Session, op: ChainOperation) -> list[int]:
        """The sender's operations with lower nonces than `op` that are not sent yet."""
        return list(session.execute(_UNSENT_BEFORE, {"sender": op.sender, "nonce": op.nonce}).scalars())

    def resume(self) -> int:
        """Processes every pending operation, oldest first. Returns how many were pending."""
        with self._transaction() as session:
            ids = [op.id for op in pending_operations(session)]
        for op_id in ids:
            self.process(op_id, timeout=self.receipt_timeout)
        return len(ids)

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """The background loop of the service: resume pending operations, follow the chain."""
        while not stop.is_set():
            try:
                self.resume()
                self._index.sync()
            except ChainError as err:
                log.warning("relay loop: %s", err)
            except Exception:  # keep the loop alive; the next round retries
                log.exception("relay loop failed")
            stop.wait(interval)

    def cancel(self, op_id: int, reason: str) -> None:
        """Gives up a pending operation whose transaction the node keeps refusing: its nonce is
        filled with a zero-value transfer to the sender itself, and the operation fails.
        (A sent transaction that the chain mines first completes instead.)"""
        with self._lock(op_id):
            op = self._load(op_id)
            if op.status not in PENDING_OPERATIONS:
                raise InvalidState(f"operation {op_id} is {op.status}, not pending")
            if self._client.find_receipt(op.tx_hash) is not None:
                self._confirm(op, raw=None, timeout=self.receipt_timeout)
                return
            refusal = TransactionRefused(f"cancelled: {reason}", tx_hash=op.tx_hash)
            if not signed_by_holder(op):
                self._fill_nonce(op, refusal)
            elif self._client.knows_transaction(op.tx_hash):
                raise InvalidState(
                    f"operation {op_id} was signed by its holder and the node has it: it may still be "
                    "mined, and only the holder can replace it (a transaction with its nonce)"
                )
            else:
                self._finish(op, status=OperationStatus.FAILED, error=refusal)

    # -- steps -----------------------------------------------------------------------------------

    def _drive(self, op: ChainOperation, timeout: float | None) -> bool:
        """Sends the transaction (unless it is out) and confirms it. True when, instead, the
        operation had to be signed again with a new nonce."""
        raw = None
        if op.status == OperationStatus.SENT:
            raw = self._client.find_receipt(op.tx_hash)
            if raw is None and not self._client.knows_transaction(op.tx_hash):
                # The node lost it (a restart from an older state): send it again.
                log.warning("operation %s: the node no longer has its transaction; sending it again", op.id)
                outcome, raw = self._send(op)
                if outcome != _Sent.SENT:
                    return outcome == _Sent.RESIGNED
        if op.status == OperationStatus.SIGNED:
            outcome, raw = self._send(op)
            if outcome != _Sent.SENT:
                return outcome == _Sent.RESIGNED
            if raw is None:
                self._mark_sent(op)
        self._confirm(op, raw=raw, timeout=timeout)
        return False

    def _load_for_send(self, op_id: int, *, earlier: bool) -> tuple[ChainOperation, int | None, list[int]]:
        """The operation; its dependency while that is still pending; and (if `earlier`) the
        sender's operations with lower nonces that are not sent yet — in one transaction."""
        with self._transaction() as session:
            op = loaded(session, ChainOperation, op_id)
            if op is None:
                raise LookupError(f"no chain operation {op_id}")
            session.expunge(op)
            if op.status not in PENDING_OPERATIONS:
                return op, None, []
            dependency = None
            if op.depends_on_id is not None:
                status = session.execute(
                    select(ChainOperation.status).where(ChainOperation.id == op.depends_on_id)
                ).scalar_one()
                dependency = op.depends_on_id if status in PENDING_OPERATIONS else None
            return op, dependency, self.unsent_before(session, op) if earlier else []

    def _load(self, op_id: int) -> ChainOperation:
        with self._transaction() as session:
            op = loaded(session, ChainOperation, op_id)
            if op is None:
                raise LookupError(f"no chain operation {op_id}")
            session.expunge(op)
            return op

    def _send(self, op: ChainOperation) -> tuple[_Sent, dict[str, Any] | None]:
        """Broadcasts the operation's transaction; with its receipt when the node mined it by
        the time it answered."""
        try:
            raw = self._client.send_for_receipt(signed_transaction(op))
        except (ContractRevert, TransactionRefused) as err:
            return self._refused(op, err), None
        crash_point("after-send")
        return _Sent.SENT, raw

    def _refused(self, op: ChainOperation, err: ChainError) -> _Sent:
        """The node did not take the transaction, so its nonce is still free and must be used,
        or every later transaction of the sender would wait for it for ever."""
        filled = (op.result or {}).get("nonce_filled_by")
        if isinstance(err, NonceTaken) and filled and self._client.find_receipt(filled) is not None:
            # Our own filler took the nonce (a crash came between it and the record): finish.
            receipt = self._client.wait(filled)
            self._finish(
                op,
                status=OperationStatus.FAILED,
                error=TransactionRefused("cancelled: its nonce was filled", tx_hash=op.tx_hash),
                block_number=receipt.block_number,
                result=op.result,
            )
            return _Sent.HELD
        if signed_by_holder(op):
            # Signed by its holder: the registry can neither sign it again, nor fill its nonce,
            # nor top the account up; it fails at once (the holder's next transaction takes a
            # free nonce; one the chain mines later all the same is confirmed then: see
            # registry/submissions.py).
            self._finish(op, status=OperationStatus.FAILED, error=err)
            return _Sent.HELD
        if isinstance(err, NonceTaken):  # the nonce went to a transaction outside the registry
            return _Sent.RESIGNED if self._resign(op) else _Sent.HELD
        if isinstance(err, InsufficientFunds) and self._top_up(op):
            try:
                self._client.send(signed_transaction(op))
            except (ContractRevert, TransactionRefused) as again:
                err = again
            else:
                crash_point("after-send")
                return _Sent.SENT
        if isinstance(err, ContractRevert):
            self._fill_nonce(op, err)  # it can never succeed as signed: a final, typed failure
            return _Sent.HELD
        self._note(op, err)  # e.g. fees or funds: the background loop tries again
        return _Sent.HELD

    def _note(self, op: ChainOperation, err: BaseException) -> None:
        log.warning("operation %s: the node refused its transaction for now: %s", op.id, err)
        with self._transaction() as session:
            row = loaded(session, ChainOperation, op.id)
            if row is not None and row.status in PENDING_OPERATIONS:
                row.error = f"refused by the node (will retry): {err}"

    def _top_up(self, op: ChainOperation) -> bool:
        """Sends gas money to a registry-created account that ran out; True once it arrived."""
        if op.sender == self._outbox.operator.address or not self._outbox.charges_gas():
            return False
        with self._transaction() as session:
            participant = session.execute(
                select(Participant).where(Participant.address == op.sender)
            ).scalar_one_or_none()
            if participant is None or participant.custody != Custody.KEYSTORE:
                return False
            funding = self._outbox.enqueue(
                session,
                kind="fund_account",
                call=None,
                signer=self._outbox.operator,
                payload={"participant": participant.public_id, "address": op.sender, "reason": "top-up"},
                value=self._outbox.funding_wei,
                to=op.sender,
            )
            funding_id = funding.id
        self.process(funding_id, timeout=self.receipt_timeout)
        return self._load(funding_id).status == OperationStatus.CONFIRMED

    def _fill_nonce(self, op: ChainOperation, err: ChainError) -> None:
        """Uses the operation's nonce with a zero-value transfer to the sender itself, then
        records the operation as failed with `err`."""
        with self._transaction() as session:
            signer = self._outbox.signer_for_address(session, op.sender)
            filler = self._client.nonce_filler(signer, nonce=op.nonce, fees=self._outbox.fees())
            row = loaded(session, ChainOperation, op.id)
            assert row is not None
            # Recorded before it is sent, like every transaction of the registry: after a crash
            # the relay knows the nonce went to the filler (see _refused), not to someone else.
            row.result = {
                **(row.result or {}),
                "nonce_filled_by": filler.tx_hash,
                "filler_raw": "0x" + filler.raw.hex(),
            }
        try:
            receipt = self._client.wait(self._client.send(filler))
        except (TransactionRefused, ContractRevert) as refused:
            self._note(op, refused)  # not even the filler is taken now: try again later
            return
        self._finish(
            op,
            status=OperationStatus.FAILED,
            error=err,
            block_number=receipt.block_number,
            result={"nonce_filled_by": filler.tx_hash, "filler_raw": "0x" + filler.raw.hex()},
        )

    def _mark_sent(self, op: ChainOperation) -> None:
        with self._transaction() as session:
            row = loaded(session, ChainOperation, op.id)
            assert row is not None
            if row.status == OperationStatus.SIGNED:
                row.status = OperationStatus.SENT
                row.sent_at = now()

    def _confirm(self, op: ChainOperation, *, raw: dict[str, Any] | None, timeout: float | None) -> None:
        """Records the outcome from the receipt. Any receipt with status 0 is a final failure;
        the typed error names the revert when a replay can tell it."""
        try:
            if raw is not None and self._client.is_confirmed(raw):
                receipt = self._client.receipt_of(op.tx_hash, raw)
            else:
                receipt = self._client.wait(op.tx_hash, timeout=timeout)
        except (ContractRevert, TransactionReverted) as err:
            self._finish(op, status=OperationStatus.FAILED, error=err)
            return
        result = receipt_facts(self._decoder.decode_all(receipt.logs))
        self._finish(
            op,
            status=OperationStatus.CONFIRMED,
            block_number=receipt.block_number,
            block_hash=receipt.block_hash,
            result=result,
        )

    def _finish(
        self,
        op: ChainOperation,
        *,
        status: OperationStatus,
        error: BaseException | None = None,
        block_number: int | None = None,
        block_hash: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Records the final state and, in the same transaction, indexes the chain up to the
        transaction's block (a failure runs the domain's compensation). A short backlog before
        that block is indexed in that commit too (a spend checked in between would otherwise see
        neither the pending spend nor its effect); a long one (a service that was down) first, in
        transactions of its own, so the write lock is not held for all of it at once."""
        while True:
            with self._transaction() as session:
                row = loaded(session, ChainOperation, op.id)
                assert row is not None
                if row.status not in PENDING_OPERATIONS:
                    self._finished(op.id, OperationStatus(row.status))
                    return
                indexed = self._index.indexed_block(session)
                if block_number is not None and indexed < block_number - 1 - BACKLOG_IN_COMMIT:
                    backlog = True  # nothing written: index it, then record
                else:
                    backlog = False
                    suspect, block = self._record(session, row, status, error, block_number, result, indexed)
                    if block is not None and not suspect:
                        self._index.sync_within(session, block, block_hash=block_hash)
            if not backlog:
                break
            assert block_number is not None
            self._index.sync(to_block=block_number - 1)
        # Mined in a block the index has already applied: the chain may have lost blocks (or
        # several transactions share the block); the index checks, after this commit (and may
        # rewind the operation: its outcome is not handed on then).
        if suspect:
            self._index.check_chain()
        else:
            self._finished(op.id, status)

    def _record(
        self,
        session: Session,
        row: ChainOperation,
        status: OperationStatus,
        error: BaseException | None,
        block_number: int | None,
        result: dict[str, Any] | None,
        indexed: int,
    ) -> tuple[bool, int | None]:
        """Writes the outcome on `row`; returns whether its block is one the index has applied
        already (suspect), and the block."""
        row.status = status
        row.finished_at = now()
        row.sent_at = row.sent_at or row.finished_at
        row.block_number = block_number
        row.result = result
        row.error = None
        if error is not None:
            row.error_code = getattr(error, "name", None) or type(error).__name__
            row.error = str(error)
            if block_number is None and getattr(error, "tx_hash", None):
                receipt = self._client.find_receipt(row.tx_hash)
                row.block_number = int(receipt["blockNumber"]) if receipt else None
        if status == OperationStatus.FAILED and row.kind in self._handlers:
            self._handlers[row.kind](session, row)
        block = row.block_number
        return block is not None and indexed >= block, block

    def _resign(self, op: ChainOperation) -> bool:
        """The operation's nonce was taken by a transaction outside the registry, so its own
        transaction can never be mined: sign the same call again with a fresh nonce."""
        with self._transaction() as session:
            row = loaded(session, ChainOperation, op.id)
            assert row is not None
            if row.status != OperationStatus.SIGNED or row.tx_hash != op.tx_hash:
                return False  # already re-signed (or finished) by another thread or process
            signer = self._outbox.signer_for_address(session, row.sender)
            # The counter is behind the chain: bring it forward first.
            nonce = self._outbox.take_nonce(session, row.sender, at_least=self._client.next_nonce(row.sender))
            signed = self._client.resign(
                signed_transaction(row), signer, nonce=nonce, fees=self._outbox.fees()
            )
            log.warning(
                "operation %s: nonce %s was taken outside the registry; re-signed with %s",
                row.id,
                row.nonce,
                nonce,
            )
            row.nonce = nonce
            row.raw_tx = "0x" + signed.raw.hex()
            row.tx_hash = signed.tx_hash
        return True
