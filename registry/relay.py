"""The relay: sends recorded chain operations, confirms them from their receipts, and resumes
whatever a crash left behind.

An operation is ``signed`` when recorded. The relay sends its raw transaction (a resend of a
known or mined transaction is harmless), marks it ``sent``, waits for the receipt and marks it
``confirmed`` (with what the receipt's events say, e.g. the batch id) or ``failed`` (any
receipt with status 0, with the typed revert when a replay can name it). A sender's
transactions go out in nonce order, and a dependent operation only once its dependency has a
receipt. After each confirmation the indexer brings the index up to date.

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
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.client import SignedTransaction
from chain.errors import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    ReceiptTimeout,
    TransactionRefused,
    TransactionReverted,
)
from chain.events import EventDecoder, decoder_for
from registry.clock import now
from registry.errors import InvalidState
from registry.models import ChainAccount, ChainOperation, Participant
from registry.outbox import PENDING, enqueue, pending_operations, take_nonce

if TYPE_CHECKING:
    from registry.runtime import Runtime

log = logging.getLogger("tanhui.relay")

FailureHandler = Callable[[Session, ChainOperation], None]
FAILURE_HANDLERS: dict[str, FailureHandler] = {}


def on_failure(kind: str) -> Callable[[FailureHandler], FailureHandler]:
    """Registers the domain's compensation for a failed operation of `kind`."""

    def register(fn: FailureHandler) -> FailureHandler:
        FAILURE_HANDLERS[kind] = fn
        return fn

    return register


def crash_point(name: str) -> None:
    if os.environ.get("TANHUI_CRASH_AT") == name:
        log.warning("crash point %s reached: exiting as if killed", name)
        os._exit(137)


class Relay:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._decoder: EventDecoder | None = None

    def _lock(self, op_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(op_id, threading.Lock())

    @property
    def decoder(self) -> EventDecoder:
        if self._decoder is None:
            self._decoder = decoder_for(self.runtime.client, self.runtime.deployment)
        return self._decoder

    # -- driving operations ----------------------------------------------------------------------

    def process(self, operation: int | ChainOperation, *, timeout: float | None = None) -> None:
        """Sends and confirms one operation (after its dependency has a receipt). A node that
        does not answer, or does not take the transaction yet, leaves it pending for the
        background loop."""
        crash_point("after-commit")
        op = self._load(operation) if isinstance(operation, int) else operation
        if op.status not in PENDING:
            return
        if op.depends_on_id is not None:
            self.process(op.depends_on_id, timeout=timeout)
            if self._load(op.depends_on_id).status in PENDING:
                return  # sent now, it would revert for nothing: wait for the dependency's receipt
        for earlier in self._unsent_before(op):
            self.process(earlier, timeout=timeout)  # the node mines a sender's nonces in order
        with self._lock(op.id):
            op = self._load(op.id)  # fresh under the lock: another thread may have moved it
            if op.status not in PENDING:
                return
            try:
                resigned = self._drive(op, timeout)
            except (ChainUnavailable, ReceiptTimeout) as err:
                log.warning("operation %s stays pending: %s", op.id, err)
                resigned = False
        if resigned:  # signed again with a new nonce: send that (after the sender's earlier ones)
            self.process(op.id, timeout=timeout)

    def resume(self) -> int:
        """Processes every pending operation, oldest first. Returns how many were pending."""
        with self.runtime.db.transaction() as session:
            ids = [op.id for op in pending_operations(session)]
        for op_id in ids:
            self.process(op_id, timeout=self.runtime.receipt_timeout)
        return len(ids)

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """The background loop of the service: resume pending operations, follow the chain."""
        while not stop.is_set():
            try:
                self.resume()
                self.runtime.indexer.sync()
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
            if op.status not in PENDING:
                raise InvalidState(f"operation {op_id} is {op.status}, not pending")
            if self.runtime.client.find_receipt(op.tx_hash) is not None:
                self._confirm(op, raw=None, timeout=self.runtime.receipt_timeout)
                return
            self._fill_nonce(op, TransactionRefused(f"cancelled: {reason}", tx_hash=op.tx_hash))

    # -- steps -----------------------------------------------------------------------------------

    def _drive(self, op: ChainOperation, timeout: float | None) -> bool:
        """Sends the transaction (unless it is out) and confirms it. True when, instead, the
        operation had to be signed again with a new nonce."""
        raw = None
        if op.status == "signed":
            outcome = self._send(op)
            if outcome != "sent":
                return outcome == "resigned"
            raw = self.runtime.client.find_receipt(op.tx_hash)
            if raw is None:
                self._mark_sent(op)
        self._confirm(op, raw=raw, timeout=timeout)
        return False

    def _unsent_before(self, op: ChainOperation) -> list[int]:
        """The sender's operations with lower nonces that are not sent yet."""
        with self.runtime.db.transaction() as session:
            return list(
                session.execute(
                    select(ChainOperation.id)
                    .where(
                        ChainOperation.sender == op.sender,
                        ChainOperation.nonce < op.nonce,
                        ChainOperation.status == "signed",
                    )
                    .order_by(ChainOperation.nonce)
                ).scalars()
            )

    def _load(self, op_id: int) -> ChainOperation:
        with self.runtime.db.transaction() as session:
            op = session.get(ChainOperation, op_id)
            if op is None:
                raise LookupError(f"no chain operation {op_id}")
            session.expunge(op)
            return op

    def _send(self, op: ChainOperation) -> str:
        """Broadcasts the operation's transaction: "sent" (or already mined), "resigned" (its
        nonce was taken; signed again), or "held" (refused for now, or failed for good)."""
        try:
            self.runtime.client.send(_signed(op))
        except (ContractRevert, TransactionRefused) as err:
            return self._refused(op, err)
        crash_point("after-send")
        return "sent"

    def _refused(self, op: ChainOperation, err: ChainError) -> str:
        """The node did not take the transaction, so its nonce is still free and must be used,
        or every later transaction of the sender would wait for it for ever."""
        message = str(err).lower()
        if _nonce_taken(message):
            return (
                "resigned" if self._resign(op) else "held"
            )  # the nonce went to a transaction outside the registry
        if "insufficient funds" in message and self._top_up(op):
            try:
                self.runtime.client.send(_signed(op))
            except (ContractRevert, TransactionRefused) as again:
                err = again
            else:
                crash_point("after-send")
                return "sent"
        if isinstance(err, ContractRevert):
            self._fill_nonce(op, err)  # it can never succeed as signed: a final, typed failure
            return "held"
        self._note(op, err)  # e.g. fees or funds: the background loop tries again
        return "held"

    def _note(self, op: ChainOperation, err: BaseException) -> None:
        log.warning("operation %s: the node refused its transaction for now: %s", op.id, err)
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            if row is not None and row.status in PENDING:
                row.error = f"refused by the node (will retry): {err}"

    def _top_up(self, op: ChainOperation) -> bool:
        """Sends gas money to a registry-created account that ran out; True once it arrived."""
        if op.sender == self.runtime.operator.address or not self.runtime.charges_gas():
            return False
        with self.runtime.db.transaction() as session:
            participant = session.execute(
                select(Participant).where(Participant.address == op.sender)
            ).scalar_one_or_none()
            if participant is None or participant.custody != "keystore":
                return False
            funding = enqueue(
                session,
                self.runtime,
                kind="fund_account",
                fn=None,
                signer=self.runtime.operator,
                payload={"participant": participant.public_id, "address": op.sender, "reason": "top-up"},
                value=self.runtime.settings.account_funding_wei,
                to=op.sender,
            )
            funding_id = funding.id
        self.process(funding_id, timeout=self.runtime.receipt_timeout)
        return self._load(funding_id).status == "confirmed"

    def _fill_nonce(self, op: ChainOperation, err: ChainError) -> None:
        """Uses the operation's nonce with a zero-value transfer to the sender itself, then
        records the operation as failed with `err`."""
        client = self.runtime.client
        signer = self.runtime.signer_for_address(op.sender)
        filler = {
            "to": op.sender,
            "value": 0,
            "data": b"",
            "gas": 21_000,
            "nonce": op.nonce,
            "chainId": client.chain_id,
            **self.runtime.fees(),
        }
        raw = signer.sign(filler)
        tx_hash = "0x" + keccak(raw).hex()
        try:
            client.wait(
                client.send(SignedTransaction(sender=op.sender, nonce=op.nonce, tx_hash=tx_hash, raw=raw))
            )
        except (TransactionRefused, ContractRevert) as refused:
            self._note(op, refused)  # not even the filler is taken now: try again later
            return
        self._finish(op, status="failed", error=err, result={"nonce_filled_by": tx_hash})

    def _mark_sent(self, op: ChainOperation) -> None:
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            assert row is not None
            if row.status == "signed":
                row.status = "sent"
                row.sent_at = now()

    def _confirm(self, op: ChainOperation, *, raw: dict[str, Any] | None, timeout: float | None) -> None:
        """Records the outcome from the receipt. Any receipt with status 0 is a final failure;
        the typed error names the revert when a replay can tell it."""
        client = self.runtime.client
        try:
            if raw is not None and client.is_confirmed(raw):
                receipt = client.receipt_of(op.tx_hash, raw)
            else:
                receipt = client.wait(op.tx_hash, timeout=timeout)
        except (ContractRevert, TransactionReverted) as err:
            self._finish(op, status="failed", error=err)
            return
        result = self._result(receipt.logs)
        self._finish(op, status="confirmed", block_number=receipt.block_number, result=result)

    def _result(self, logs: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for log_entry in logs:
            event = self.decoder.decode(log_entry)
            if event is None:
                continue
            if event.name == "CreditsIssued":
                result["batch_id"] = int(event.args["batchId"])
            elif event.name == "CreditsRetired":
                result["certificate_id"] = int(event.args["certificateId"])
                result["serial_first"] = int(event.args["serialFirst"])
                result["serial_last"] = int(event.args["serialLast"])
        return result

    def _finish(
        self,
        op: ChainOperation,
        *,
        status: str,
        error: BaseException | None = None,
        block_number: int | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Records the final state and, in the same transaction, indexes the chain up to the
        transaction's block (a failure runs the domain's compensation)."""
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            assert row is not None
            if row.status in ("confirmed", "failed"):
                return
            row.status = status
            row.finished_at = now()
            row.sent_at = row.sent_at or row.finished_at
            row.block_number = block_number
            row.result = result
            row.error = None
            if error is not None:
                row.error_code = getattr(error, "name", None) or type(error).__name__
                row.error = str(error)
                if getattr(error, "tx_hash", None):
                    receipt = self.runtime.client.find_receipt(row.tx_hash)
                    row.block_number = int(receipt["blockNumber"]) if receipt else None
            if status == "failed" and row.kind in FAILURE_HANDLERS:
                FAILURE_HANDLERS[row.kind](session, row)
            block = row.block_number
            if block is not None and self.runtime.indexer.caught_up_to(session, block - 1):
                self.runtime.indexer.sync_within(session, block)
                block = None
        if block is not None:  # a backlog first: index it in its own transactions
            self.runtime.indexer.sync(to_block=block)

    def _resign(self, op: ChainOperation) -> bool:
        """The operation's nonce was taken by a transaction outside the registry, so its own
        transaction can never be mined: sign the same call again with a fresh nonce."""
        tx = TypedTransaction.from_bytes(HexBytes(op.raw_tx)).as_dict()
        signer = self.runtime.signer_for_address(op.sender)
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            assert row is not None
            if row.status != "signed" or row.tx_hash != op.tx_hash:
                return False  # already re-signed (or finished) by another thread or process
            # The counter is behind the chain: bring it forward first.
            account = session.get(ChainAccount, row.sender)
            if account is not None:
                account.next_nonce = max(account.next_nonce, self.runtime.client.next_nonce(row.sender))
            nonce = take_nonce(session, self.runtime, row.sender)
            fields = {
                "to": tx["to"],
                "data": tx["data"],
                "value": tx["value"],
                "gas": tx["gas"],
                "nonce": nonce,
                "chainId": tx["chainId"],
                **self.runtime.fees(),
            }
            raw = signer.sign(fields)
            log.warning(
                "operation %s: nonce %s was taken outside the registry; re-signed with %s",
                row.id,
                row.nonce,
                nonce,
            )
            row.nonce = nonce
            row.raw_tx = "0x" + raw.hex()
            row.tx_hash = "0x" + keccak(raw).hex()
        return True


def _nonce_taken(message: str) -> bool:
    """Whether a refusal says the nonce was already used (by a transaction we did not send)."""
    if "nonce" not in message:
        return False
    if "too low" in message or "nonce is too low" in message or "already used" in message:
        return True
    match = re.search(r"expected (\d+), but got (\d+)", message)  # eth-tester's wording
    return bool(match and int(match.group(2)) < int(match.group(1)))


def _signed(op: ChainOperation) -> SignedTransaction:
    return SignedTransaction(
        sender=op.sender, nonce=op.nonce, tx_hash=op.tx_hash, raw=bytes(HexBytes(op.raw_tx))
    )
