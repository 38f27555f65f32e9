"""The relay: sends recorded chain operations, confirms them from their receipts, and resumes
whatever a crash left behind.

An operation is ``signed`` when recorded. The relay sends its raw transaction (a resend of a
known or mined transaction is harmless), marks it ``sent``, waits for the receipt and marks it
``confirmed`` (with what the receipt's events say, e.g. the batch id) or ``failed`` (with the
typed revert). A dependent operation is sent only once its dependency has a receipt. After each
confirmation the indexer brings the index up to date.

For the crash tests, ``TANHUI_CRASH_AT=after-commit`` or ``after-send`` kills the process (as
``kill -9`` would) right after the outbox commit or right after the send.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy.orm import Session

from chain.client import Receipt, SignedTransaction
from chain.errors import ChainError, ChainUnavailable, ContractRevert, TransactionFailed
from chain.events import EventDecoder, decoder_for
from registry.clock import now
from registry.models import ChainAccount, ChainOperation
from registry.outbox import PENDING, pending_operations, take_nonce

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
        """Sends and confirms one operation (and first its dependency). A node that does not
        answer leaves it pending for the background loop.

        A stale view of the operation is harmless: a resend of a sent transaction is a no-op
        and a final state is never overwritten.
        """
        crash_point("after-commit")
        op = self._load(operation) if isinstance(operation, int) else operation
        op_id = op.id
        if op.status not in PENDING:
            return
        if op.depends_on_id is not None:
            self.process(op.depends_on_id, timeout=timeout)
        with self._lock(op_id):
            try:
                receipt: Receipt | None = None
                if op.status == "signed":
                    if not self._send(op):
                        return
                    receipt = self._receipt_now(op)
                    if receipt is None:
                        self._mark_sent(op)
                self._confirm(op, receipt=receipt, timeout=timeout)
            except (ChainUnavailable, TransactionFailed) as err:
                log.warning("operation %s stays pending: %s", op_id, err)

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

    # -- steps -----------------------------------------------------------------------------------

    def _load(self, op_id: int) -> ChainOperation:
        with self.runtime.db.transaction() as session:
            op = session.get(ChainOperation, op_id)
            if op is None:
                raise LookupError(f"no chain operation {op_id}")
            session.expunge(op)
            return op

    def _send(self, op: ChainOperation) -> bool:
        """Broadcasts the operation's transaction; False when it failed for good or was re-signed."""
        client = self.runtime.client
        try:
            client.send(_signed(op))
        except ContractRevert as err:
            self._finish(op, status="failed", error=err)
            return False
        except TransactionFailed as err:
            if "nonce" in str(err).lower() and client.find_receipt(op.tx_hash) is None:
                self._resign(op)
                return False
            self._finish(op, status="failed", error=err)
            return False
        crash_point("after-send")
        return True

    def _receipt_now(self, op: ChainOperation) -> Receipt | None:
        """The receipt if the transaction is already mined (instant-finality chains), else None."""
        try:
            return self.runtime.client.check_receipt(op.tx_hash)
        except ContractRevert:
            return None  # _confirm records the typed failure

    def _mark_sent(self, op: ChainOperation) -> None:
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            assert row is not None
            if row.status == "signed":
                row.status = "sent"
                row.sent_at = now()

    def _confirm(self, op: ChainOperation, *, receipt: Receipt | None, timeout: float | None) -> None:
        """Records the outcome and indexes its block, in one transaction."""
        client = self.runtime.client
        try:
            if receipt is None:
                receipt = client.wait(op.tx_hash, timeout=timeout)
        except ContractRevert as err:
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
            if error is not None:
                row.error_code = getattr(error, "name", None) or type(error).__name__
                row.error = str(error)
                if getattr(error, "tx_hash", None):
                    receipt = self.runtime.client.find_receipt(row.tx_hash)
                    row.block_number = int(receipt["blockNumber"]) if receipt else None
            if status == "failed" and row.kind in FAILURE_HANDLERS:
                FAILURE_HANDLERS[row.kind](session, row)
            if row.block_number is not None:
                self.runtime.indexer.sync_within(session, row.block_number)

    def _resign(self, op: ChainOperation) -> None:
        """The operation's nonce was taken by a transaction outside the registry, so its own
        transaction can never be mined: sign the same call again with a fresh nonce."""
        tx = TypedTransaction.from_bytes(HexBytes(op.raw_tx)).as_dict()
        signer = self.runtime.signer_for_address(op.sender)
        with self.runtime.db.transaction() as session:
            row = session.get(ChainOperation, op.id)
            assert row is not None
            if row.status != "signed":
                return
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
            log.warning("operation %s: nonce %s was taken outside the registry; re-signed with %s", row.id, row.nonce, nonce)
            row.nonce = nonce
            row.raw_tx = "0x" + raw.hex()
            row.tx_hash = "0x" + keccak(raw).hex()


def _signed(op: ChainOperation) -> SignedTransaction:
    return SignedTransaction(sender=op.sender, nonce=op.nonce, tx_hash=op.tx_hash, raw=bytes(HexBytes(op.raw_tx)))
