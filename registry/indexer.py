"""The indexer: the contracts' events, in chain order, into the index tables.

It is the only writer of batches, holdings, transfers, retirements and invalidations, and it
moves workflow records along when the chain confirms them (a participant becomes active, a
project registered, a report issued). Each block range is applied in one database transaction
together with the new ``indexed_block``, so a crash applies a range entirely or not at all.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any, cast

from eth_utils.crypto import keccak
from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from chain.client import ChainClient
from chain.contracts import Deployment, RetirementPurpose, trading_day
from chain.errors import ChainError
from chain.events import ChainEvent, EventDecoder, decoder_for, fetch_events
from registry import feed, recovery
from registry.db import Database, loaded
from registry.models import (
    Batch,
    BlockTime,
    ChainAnomaly,
    ChainEventRecord,
    Claim,
    FrozenAccount,
    Holding,
    Invalidation,
    Listing,
    MarketBand,
    MarketSetting,
    Methodology,
    MonitoringReport,
    Participant,
    Project,
    RegistryMeta,
    Retirement,
    Trade,
    Transfer,
)
from registry.states import (
    PROJECT_ON_CHAIN,
    STANDING_ON_CHAIN,
    ClaimStatus,
    ProjectStatus,
    Publication,
    ReportStatus,
    Standing,
)
from registry.states import ListingState as ListingStatus

ZERO = "0x0000000000000000000000000000000000000000"
log = logging.getLogger("tanhui.indexer")


def hexify(value: Any) -> Any:
    """Event arguments as JSON: bytes as 0x-hex, tuples as lists."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        return [hexify(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)
    return value


def purpose_name(value: int) -> str:
    return RetirementPurpose(value).name.lower()


def _without_nul(value: Any, path: str, problems: list[str]) -> Any:
    """`value` with every NUL in its text replaced by U+FFFD (naming the field in `problems`)."""
    if isinstance(value, str):
        if "\x00" in value:
            problems.append(f"{path} contains NUL")
            return value.replace("\x00", "\ufffd")
        return value
    if isinstance(value, tuple):
        return tuple(_without_nul(v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    return value


def storable(text: str) -> str:
    """Chain text as the index stores it: NUL (which PostgreSQL refuses) as U+FFFD."""
    return text.replace("\x00", "\ufffd")


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _undecoded_event(raw: dict[str, Any]) -> ChainEvent:
    """A log that does not decode, as a nameless event (for its anomaly record)."""
    topics = [t.hex() if isinstance(t, bytes) else str(t) for t in raw.get("topics") or []]
    data = raw.get("data") or b""
    tx = raw.get("transactionHash") or b""
    return ChainEvent(
        contract="",
        name="(undecodable)",
        args={"topics": topics, "data": data.hex() if isinstance(data, bytes) else str(data)},
        block_number=_quantity(raw.get("blockNumber")),
        tx_hash="0x" + tx.hex() if isinstance(tx, bytes) else str(tx),
        log_index=_quantity(raw.get("logIndex")),
        address=str(raw.get("address") or ""),
    )


def _quantity(value: Any) -> int:
    """A log's number field as a node gives it (a 0x-hex string) or as web3 does (an int); 0 for
    one that is missing or malformed (the anomaly record keeps the log's data either way)."""
    try:
        return int(value, 16) if isinstance(value, str) else int(value or 0)
    except (TypeError, ValueError):
        return 0


class Indexer:
    def __init__(
        self,
        db: Database,
        client: ChainClient,
        deployment: Deployment,
        *,
        confirmations: int = 0,
        max_logs_range: int = 1000,
    ) -> None:
        self._db = db
        self._client = client
        self._deployment = deployment
        self.confirmations = confirmations
        self.max_logs_range = max_logs_range
        self.decoder: EventDecoder = decoder_for(client, deployment)

    def head(self) -> int:
        """The newest block with the configured confirmations."""
        return self._client.block_number() - max(0, self.confirmations - 1)

    def sync(self, to_block: int | None = None, *, check: bool = True) -> int:
        """Indexes every event up to `to_block` (default: the confirmed head), one transaction
        per block range. Returns how many events it applied.

        First (unless `check` is false) it checks that the chain still has the last block it
        indexed; if not (a node restarted from an older snapshot, a reorganisation), the
        registry rewinds to what the chain has (``registry.recovery``) and the index is rebuilt."""
        if check:
            self.check_chain()
        return self._drain(self._db.transaction, to_block)

    def sync_within(self, session: Session, to_block: int, *, block_hash: str | None = None) -> int:
        """Like :meth:`sync`, inside the caller's transaction (the relay confirms an operation
        and indexes its block in one commit). `block_hash` is the hash of `to_block` when the
        caller knows it (a receipt names it), saving a request."""
        known = {to_block: block_hash} if block_hash else {}
        return self._drain(lambda: nullcontext(session), to_block, known)

    def check_chain(self) -> dict[str, int] | None:
        """Rewinds the registry if the chain no longer has the last block the index applied;
        returns what the rewind did, or None when the chain is as indexed.

        The common case (the chain as indexed) is checked from a read, without the write lock:
        the node's answers are not awaited while every writer waits. A divergence is checked
        again under the lock before the rewind (another thread may have rewound already)."""
        with self._db.reading() as session:
            if not recovery.has_diverged(self._client, _meta(session)):
                return None
        with self._db.transaction() as session:
            meta = _meta(session, lock=True)
            if not recovery.has_diverged(self._client, meta):
                return None
            done = recovery.rewind(session, self._client, meta)
            # Rebuilt in the same transaction: no reader ever sees a half-built index.
            done["events_indexed"] = self._drain(lambda: nullcontext(session), None)
            return done

    def indexed_block(self, session: Session) -> int:
        """The last block the index has applied."""
        return _meta(session).indexed_block

    def _drain(
        self,
        transaction: Callable[[], AbstractContextManager[Session]],
        to_block: int | None,
        known_hashes: dict[int, str] | None = None,
    ) -> int:
        target = self._target(to_block)
        applied = 0
        while True:
            with transaction() as session:
                count, done = self._step(session, target, known_hashes or {})
            applied += count
            if done:
                return applied

    def _target(self, to_block: int | None) -> int:
        if to_block is not None and self.confirmations <= 1:
            return to_block  # a block with a receipt is confirmed at depth 1
        head = self.head()
        return head if to_block is None else min(to_block, head)

    def _step(self, session: Session, target: int, known_hashes: dict[int, str]) -> tuple[int, bool]:
        """Applies the next block range up to `target`: (events applied, whether caught up).

        The index mark is read with a lock (``FOR UPDATE``; SQLite serialises writers), so
        concurrent indexers — the relay thread, a request, another process — never apply a
        range twice.
        """
        meta = _meta(session, lock=True)
        if recovery.must_rebuild(meta):
            # Whoever indexes next (the relay confirming an operation, a request, reconcile)
            # rebuilds it first, in its own transaction as check_chain does: no reader sees a
            # half-built index, and nothing is applied on top of the index to be replaced.
            recovery.rewind(session, self._client, meta)
            return self._drain(lambda: nullcontext(session), target, known_hashes), True
        first = meta.indexed_block + 1
        if first > target:
            return 0, True
        last = min(target, first + self.max_logs_range - 1)
        undecoded: list[dict[str, Any]] = []
        events = fetch_events(
            self._client,
            self._deployment,
            first,
            last,
            max_range=self.max_logs_range,
            decoder=self.decoder,
            undecoded=undecoded,
        )
        self.apply(session, events, undecoded)
        meta.indexed_block = last
        meta.indexed_block_hash = self._hash_of(last, events, known_hashes)
        return len(events), last >= target

    def _hash_of(self, number: int, events: list[ChainEvent], known: dict[int, str]) -> str:
        """The hash of block `number`: as the caller or an event of that block names it, else
        from the chain."""
        for e in reversed(events):
            if e.block_number == number and e.block_hash:
                return e.block_hash
        if number in known:
            return known[number]
        return str(self._client.block(number)["hash"])

    # -- applying events -----------------------------------------------------------------------

    def apply(
        self, session: Session, events: list[ChainEvent], undecoded: list[dict[str, Any]] | None = None
    ) -> None:
        """Applies `events` (in chain order) to the index. Nothing the chain can contain stops
        it: a log that does not decode, or an event that cannot be applied (a value out of range,
        an event that contradicts the index), is recorded as an anomaly and skipped; text that is
        not UTF-8 or holds NUL is applied with U+FFFD in its place, and recorded."""
        for raw in undecoded or []:
            self._anomaly(
                session, _undecoded_event(raw), "skipped", "the log does not decode under its event's ABI"
            )
        if not events:
            return
        events = [self._screen(session, e) for e in events]
        timestamps = self._timestamps(events)
        _record_block_times(session, timestamps)
        try:
            with session.begin_nested():
                self._apply_all(session, events, timestamps)
        except ChainError:
            raise
        except Exception:  # one of them cannot be applied: find it, keep the others
            for e in events:
                try:
                    with session.begin_nested():
                        self._apply_all(session, [e], timestamps)
                except ChainError:
                    raise
                except Exception as err:
                    log.warning(
                        "event %s at block %s log %s skipped: %s", e.name, e.block_number, e.log_index, err
                    )
                    self._anomaly(session, e, "skipped", f"cannot be applied: {type(err).__name__}: {err}")

    def _screen(self, session: Session, e: ChainEvent) -> ChainEvent:
        """`e` as it can be stored: text without NUL (PostgreSQL refuses it). Problems with the
        event's data (and these replacements) are recorded as anomalies; the event is applied."""
        problems = list(e.problems)
        args = {k: _without_nul(v, k, problems) for k, v in e.args.items()}
        if not problems:
            return e
        self._anomaly(session, e, "applied", "; ".join(problems))
        return replace(e, args=args, problems=tuple(problems))

    def _anomaly(self, session: Session, e: ChainEvent, action: str, reason: str) -> None:
        session.add(
            ChainAnomaly(
                block_number=e.block_number,
                log_index=e.log_index,
                tx_hash=e.tx_hash,
                event=e.name,
                action=action,
                reason=reason[:2000],
                data={k: _json_safe(hexify(v)) for k, v in e.args.items()},
            )
        )

    def _apply_all(self, session: Session, events: list[ChainEvent], timestamps: dict[int, int]) -> None:
        session.connection().execute(
            _INSERT_EVENTS,
            [
                {
                    "block_number": e.block_number,
                    "log_index": e.log_index,
                    "tx_hash": e.tx_hash,
                    "contract": e.contract,
                    "name": e.name,
                    "args": {k: hexify(v) for k, v in e.args.items()},
                    "block_hash": e.block_hash,
                }
                for e in events
            ],
        )
        holdings = _HoldingCache(session, events)
        batches: dict[int, Batch] = {}
        # Transfers and retirements, written together after the handlers (one multi-row insert
        # each) instead of one ORM object per event.
        rows: _Rows = {Transfer: [], Retirement: []}
        # The report hashes of the batches issued, marked issued in one statement after the
        # handlers (loading each report would load its verifications too).
        issued: list[str] = []
        for e in events:
            handler = getattr(self, f"_on_{e.name}", None)
            if handler is not None:
                handler(
                    session,
                    e,
                    holdings=holdings,
                    batches=batches,
                    timestamps=timestamps,
                    rows=rows,
                    issued=issued,
                )
        holdings.flush()
        for start in range(0, len(issued), 500):  # bounded IN lists
            session.execute(
                update(MonitoringReport)
                .where(MonitoringReport.report_hash.in_(issued[start : start + 500]))
                .values(status=ReportStatus.ISSUED)
            )
        entries = [(e, feed_entry(e)) for e in events]
        feed.append_all(
            session,
            [
                feed.NewEntry(entry[0], entry[1], e.block_number, e.log_index, e.tx_hash)
                for e, entry in entries
                if entry is not None
            ],
        )
        if rows[Transfer] or rows[Retirement]:
            session.flush()  # the batches they refer to first
            for model, values in rows.items():
                if values:
                    session.connection().execute(_INSERT_ROWS[model], values)

    def _timestamps(self, events: list[ChainEvent]) -> dict[int, int]:
        """Block times of `events`: from the logs when the node gives them, else from the blocks."""
        known = {e.block_number: e.block_timestamp for e in events if e.block_timestamp is not None}
        for number in {e.block_number for e in events} - set(known):
            known[number] = int(self._client.block(number)["timestamp"])
        return known

    @staticmethod
    def _batch(session: Session, batches: dict[int, Batch], batch_id: int) -> Batch:
        batch = batches.get(batch_id) or loaded(session, Batch, batch_id)
        if batch is None:
            raise LookupError(f"event for batch {batch_id} before its issuance")
        batches[batch_id] = batch
        return batch

    def _on_ParticipantRegistered(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_participant(session, e.args["account"], Standing.ACTIVE)

    def _on_ParticipantStatusChanged(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_participant(
            session, e.args["account"], STANDING_ON_CHAIN.get(int(e.args["status"]), Standing.PENDING)
        )

    def _on_MethodologyPublished(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_methodology(session, e, Publication.PUBLISHED)

    def _on_MethodologyDeprecated(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_methodology(session, e, Publication.DEPRECATED)

    def _on_ReportWithdrawn(self, session: Session, e: ChainEvent, **_: Any) -> None:
        report = session.execute(
            select(MonitoringReport).where(MonitoringReport.report_hash == "0x" + e.args["reportHash"].hex())
        ).scalar_one_or_none()
        if report is not None:
            report.status = ReportStatus.WITHDRAWN

    def _on_ClaimClosed(self, session: Session, e: ChainEvent, **_: Any) -> None:
        claim = session.execute(
            select(Claim).where(Claim.onchain_id == "0x" + bytes(e.args["eventId"]).hex())
        ).scalar_one_or_none()
        if claim is None:
            return  # closed for an event id no claim of the registry names: nothing to update
        claim.status = ClaimStatus.NEUTRAL
        claim.closed_block = e.block_number
        claim.closed_tx = e.tx_hash
        claim.retired_at_close = int(e.args["retiredKg"])

    def _on_ProjectRegistered(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_project(session, e.args["projectId"], ProjectStatus.REGISTERED)

    def _on_ProjectStatusChanged(self, session: Session, e: ChainEvent, **_: Any) -> None:
        status = PROJECT_ON_CHAIN.get(int(e.args["status"]), ProjectStatus.REGISTERED)
        _set_project(session, e.args["projectId"], status)

    def _on_CreditsIssued(
        self, session: Session, e: ChainEvent, *, batches: dict[int, Batch], issued: list[str], **_: Any
    ) -> None:
        a = e.args
        batch = Batch(
            id=int(a["batchId"]),
            report_hash="0x" + a["reportHash"].hex(),
            project_hash="0x" + a["projectId"].hex(),
            recipient=a["recipient"],
            period_start=int(a["periodStart"]),
            period_end=int(a["periodEnd"]),
            issued_kg=int(a["amount"]),
            retired_kg=0,
            invalidated_kg=0,
            frozen=False,
            tx_hash=e.tx_hash,
            block_number=e.block_number,
        )
        session.add(batch)
        batches[batch.id] = batch
        issued.append(batch.report_hash)  # the reports: one statement for the step (see _apply_all)

    def _on_TransferSingle(
        self, session: Session, e: ChainEvent, *, holdings: _HoldingCache, rows: _Rows, **_: Any
    ) -> None:
        self._move(rows, e, holdings, int(e.args["id"]), int(e.args["value"]))

    def _on_TransferBatch(
        self, session: Session, e: ChainEvent, *, holdings: _HoldingCache, rows: _Rows, **_: Any
    ) -> None:
        # Any holder may send one (the contracts are public): a row per batch it moves.
        for item, (batch_id, value) in enumerate(zip(e.args["ids"], e.args["values"], strict=True)):
            self._move(rows, e, holdings, int(batch_id), int(value), item=item)

    @staticmethod
    def _move(
        rows: _Rows, e: ChainEvent, holdings: _HoldingCache, batch_id: int, value: int, *, item: int = 0
    ) -> None:
        sender, recipient = e.args["from"], e.args["to"]
        if sender != ZERO:
            holdings.add(sender, batch_id, -value)
        if recipient != ZERO:
            holdings.add(recipient, batch_id, value)
        if sender != ZERO and recipient != ZERO:
            rows[Transfer].append(
                {
                    "batch_id": batch_id,
                    "sender": sender,
                    "recipient": recipient,
                    "amount_kg": value,
                    "tx_hash": e.tx_hash,
                    "block_number": e.block_number,
                    "log_index": e.log_index,
                    "item": item,
                }
            )

    def _on_CreditsRetired(
        self,
        session: Session,
        e: ChainEvent,
        *,
        batches: dict[int, Batch],
        timestamps: dict[int, int],
        rows: _Rows,
        **_: Any,
    ) -> None:
        a = e.args
        details = e.retirement_details()
        self._batch(session, batches, int(a["batchId"])).retired_kg += int(a["amount"])
        rows[Retirement].append(
            {
                "certificate_id": int(a["certificateId"]),
                "batch_id": int(a["batchId"]),
                "holder": a["holder"],
                "amount_kg": int(a["amount"]),
                "serial_first": int(a["serialFirst"]),
                "serial_last": int(a["serialLast"]),
                "beneficiary": details.beneficiary,
                "purpose": purpose_name(details.purpose),
                "event_id": "0x" + details.event_id.hex(),
                "jurisdiction": details.jurisdiction,
                "consumption_start": details.consumption_start,
                "consumption_end": details.consumption_end,
                "note": details.note,
                "retired_at": timestamps[e.block_number],
                "tx_hash": e.tx_hash,
                "block_number": e.block_number,
                "log_index": e.log_index,
            }
        )

    def _on_CreditsInvalidated(
        self, session: Session, e: ChainEvent, *, batches: dict[int, Batch], **_: Any
    ) -> None:
        a = e.args
        self._batch(session, batches, int(a["batchId"])).invalidated_kg += int(a["amount"])
        session.add(
            Invalidation(
                batch_id=int(a["batchId"]),
                holder=a["holder"],
                amount_kg=int(a["amount"]),
                reason=a["reason"],
                tx_hash=e.tx_hash,
                block_number=e.block_number,
                log_index=e.log_index,
            )
        )

    def _on_AccountFrozen(self, session: Session, e: ChainEvent, **_: Any) -> None:
        row = loaded(session, FrozenAccount, e.args["account"])
        if row is None:
            session.add(
                FrozenAccount(address=e.args["account"], reason=e.args["reason"], block_number=e.block_number)
            )

    def _on_AccountUnfrozen(self, session: Session, e: ChainEvent, **_: Any) -> None:
        row = loaded(session, FrozenAccount, e.args["account"])
        if row is not None:
            session.delete(row)

    def _on_Paused(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_paused(session, e.contract, True)

    def _on_Unpaused(self, session: Session, e: ChainEvent, **_: Any) -> None:
        _set_paused(session, e.contract, False)

    def _on_BatchFrozen(
        self, session: Session, e: ChainEvent, *, batches: dict[int, Batch], **_: Any
    ) -> None:
        self._batch(session, batches, int(e.args["batchId"])).frozen = True

    def _on_BatchUnfrozen(
        self, session: Session, e: ChainEvent, *, batches: dict[int, Batch], **_: Any
    ) -> None:
        self._batch(session, batches, int(e.args["batchId"])).frozen = False

    # -- the exchange ----------------------------------------------------------------------------

    def _on_Listed(self, session: Session, e: ChainEvent, *, timestamps: dict[int, int], **_: Any) -> None:
        a = e.args
        session.add(
            Listing(
                id=int(a["listingId"]),
                seller=a["seller"],
                batch_id=int(a["batchId"]),
                project_type=int(a["projectType"]),
                state=ListingStatus.OPEN,
                amount_kg=int(a["amount"]),
                remaining_kg=int(a["amount"]),
                listed_at=timestamps[e.block_number],
                tx_hash=e.tx_hash,
                block_number=e.block_number,
            )
        )
        session.flush()

    @staticmethod
    def _listing(session: Session, listing_id: int) -> Listing:
        listing = loaded(session, Listing, listing_id)
        if listing is None:
            raise LookupError(f"event for listing {listing_id} before its listing")
        return listing

    def _on_ListingCancelled(self, session: Session, e: ChainEvent, **_: Any) -> None:
        listing = self._listing(session, int(e.args["listingId"]))
        listing.state = ListingStatus.CANCELLED
        listing.cancelled_by = e.args["by"]
        listing.closed_tx = e.tx_hash
        listing.closed_block = e.block_number

    def _on_TradeSettled(
        self, session: Session, e: ChainEvent, *, timestamps: dict[int, int], **_: Any
    ) -> None:
        a = e.args
        listing = self._listing(session, int(a["listingId"]))
        amount = int(a["amount"])
        if amount > listing.remaining_kg:
            raise ValueError(
                f"trade {a['tradeId']} takes {amount} kg of listing {listing.id}, which has less"
            )
        listing.remaining_kg -= amount
        if listing.remaining_kg == 0:
            listing.state = ListingStatus.FILLED
            listing.closed_tx = e.tx_hash
            listing.closed_block = e.block_number
        settled_at = timestamps[e.block_number]
        certificate = int(a["certificateId"])
        session.add(
            Trade(
                id=int(a["tradeId"]),
                trade_ref="0x" + bytes(a["tradeRef"]).hex(),
                listing_id=listing.id,
                batch_id=listing.batch_id,
                project_type=listing.project_type,
                seller=listing.seller,
                buyer=a["buyer"],
                amount_kg=amount,
                price_fen_per_t=int(a["priceFenPerTonne"]),
                block_trade=bool(a["blockTrade"]),
                certificate_id=certificate or None,
                settled_at=settled_at,
                day=trading_day(settled_at),
                tx_hash=e.tx_hash,
                block_number=e.block_number,
                log_index=e.log_index,
            )
        )
        session.flush()

    def _on_BandPosted(self, session: Session, e: ChainEvent, **_: Any) -> None:
        kind, day = int(e.args["projectType"]), int(e.args["day"])
        low, high, block_low, block_high, block_min = (int(v) for v in e.args["band"])
        row = loaded(session, MarketBand, (kind, day))
        if row is None:
            row = MarketBand(project_type=kind, day=day)
            session.add(row)
        row.low, row.high, row.block_low, row.block_high, row.block_min_kg = (
            low,
            high,
            block_low,
            block_high,
            block_min,
        )
        row.tx_hash, row.block_number = e.tx_hash, e.block_number
        session.flush()

    @staticmethod
    def _setting(
        session: Session, e: ChainEvent, kind: str, key: str, value: int, reason: str | None
    ) -> None:
        row = loaded(session, MarketSetting, (kind, key))
        if row is None:
            row = MarketSetting(kind=kind, key=key)
            session.add(row)
        row.value, row.reason, row.block_number = value, reason, e.block_number
        session.flush()

    def _on_ReferencePriceSet(self, session: Session, e: ChainEvent, **_: Any) -> None:
        self._setting(
            session,
            e,
            "reference_price",
            str(int(e.args["projectType"])),
            int(e.args["priceFenPerTonne"]),
            None,
        )

    def _on_MethodologyTypeSet(self, session: Session, e: ChainEvent, **_: Any) -> None:
        key = "0x" + bytes(e.args["methodologyId"]).hex()
        self._setting(session, e, "methodology_type", key, int(e.args["projectType"]), None)

    def _on_TypeHaltSet(self, session: Session, e: ChainEvent, **_: Any) -> None:
        self._setting(
            session,
            e,
            "type_halt",
            str(int(e.args["projectType"])),
            int(bool(e.args["halted"])),
            e.args["reason"],
        )

    def _on_BatchHaltSet(self, session: Session, e: ChainEvent, **_: Any) -> None:
        self._setting(
            session,
            e,
            "batch_halt",
            str(int(e.args["batchId"])),
            int(bool(e.args["halted"])),
            e.args["reason"],
        )


#: Rows to insert, by model, collected while a range's events are applied.
_Rows = dict[type[Any], list[dict[str, Any]]]


class _HoldingCache:
    """The holdings an event range touches — its senders' and recipients' of the batches they
    move, not every holder's of those batches — loaded in a query per 500 and written back
    once."""

    def __init__(self, session: Session, events: list[ChainEvent]) -> None:
        self.session = session
        touched: set[tuple[str, int]] = set()
        for e in events:
            if e.name == "TransferSingle":
                ids = [int(e.args["id"])]
            elif e.name == "TransferBatch":
                ids = [int(i) for i in e.args["ids"]]
            else:
                continue
            holders = [a for a in (e.args["from"], e.args["to"]) if a != ZERO]
            touched.update((a, i) for a in holders for i in ids)
        self.rows: dict[tuple[str, int], Holding] = {}
        pairs = sorted(touched)
        for start in range(0, len(pairs), 500):  # bounded IN lists
            chunk = pairs[start : start + 500]
            # The addresses' holdings of the batches: the pairs, and at most the pairs crossed
            # (a row-value IN of the pairs scans the table on SQLite).
            for h in session.execute(
                select(Holding).where(
                    Holding.address.in_({a for a, _ in chunk}), Holding.batch_id.in_({i for _, i in chunk})
                )
            ).scalars():
                self.rows[(h.address, h.batch_id)] = h
        self.delta: dict[tuple[str, int], int] = defaultdict(int)

    def add(self, address: str, batch_id: int, amount: int) -> None:
        self.delta[(address, batch_id)] += amount

    def flush(self) -> None:
        for (address, batch_id), amount in self.delta.items():
            if amount == 0:
                continue
            row = self.rows.get((address, batch_id))
            if row is None:
                row = Holding(address=address, batch_id=batch_id, amount_kg=0)
                self.session.add(row)
                self.rows[(address, batch_id)] = row
            row.amount_kg += amount
        self.delta.clear()


def feed_entry(e: ChainEvent) -> tuple[str, dict[str, Any]] | None:
    """The exchange feed's entry of an event (registry/feed.py), or None for an event the
    exchange does not mirror: issuances, listings, cancellations, settlements, retirements,
    freezes, halts, band changes and reference prices."""
    a = e.args
    if e.name == "CreditsIssued":
        return "issuance", {
            "batch_id": int(a["batchId"]),
            "project_id": "0x" + bytes(a["projectId"]).hex(),
            "recipient": a["recipient"],
            "amount_kg": int(a["amount"]),
            "period_start": int(a["periodStart"]),
            "period_end": int(a["periodEnd"]),
        }
    if e.name == "Listed":
        return "listing", {
            "listing_id": int(a["listingId"]),
            "seller": a["seller"],
            "batch_id": int(a["batchId"]),
            "project_type": int(a["projectType"]),
            "amount_kg": int(a["amount"]),
        }
    if e.name == "ListingCancelled":
        return "listing_cancelled", {
            "listing_id": int(a["listingId"]),
            "by": a["by"],
            "returned_kg": int(a["returned"]),
        }
    if e.name == "TradeSettled":
        return "trade", {
            "trade_id": int(a["tradeId"]),
            "trade_ref": "0x" + bytes(a["tradeRef"]).hex(),
            "listing_id": int(a["listingId"]),
            "buyer": a["buyer"],
            "amount_kg": int(a["amount"]),
            "price_fen_per_t": int(a["priceFenPerTonne"]),
            "block_trade": bool(a["blockTrade"]),
            "certificate_id": int(a["certificateId"]) or None,
        }
    if e.name == "CreditsRetired":
        return "retirement", {
            "certificate_id": int(a["certificateId"]),
            "batch_id": int(a["batchId"]),
            "holder": a["holder"],
            "amount_kg": int(a["amount"]),
        }
    if e.name in ("AccountFrozen", "AccountUnfrozen"):
        kind = "account_frozen" if e.name == "AccountFrozen" else "account_unfrozen"
        return kind, {"account": a["account"], "reason": a["reason"]}
    if e.name in ("BatchFrozen", "BatchUnfrozen"):
        kind = "batch_frozen" if e.name == "BatchFrozen" else "batch_unfrozen"
        return kind, {"batch_id": int(a["batchId"]), "reason": a["reason"]}
    if e.name == "TypeHaltSet":
        return "halt", {
            "scope": "project_type",
            "project_type": int(a["projectType"]),
            "halted": bool(a["halted"]),
            "reason": a["reason"],
        }
    if e.name == "BatchHaltSet":
        return "halt", {
            "scope": "batch",
            "batch_id": int(a["batchId"]),
            "halted": bool(a["halted"]),
            "reason": a["reason"],
        }
    if e.name == "BandPosted":
        low, high, block_low, block_high, block_min = (int(v) for v in a["band"])
        return "band", {
            "project_type": int(a["projectType"]),
            "day": int(a["day"]),
            "low_fen_per_t": low,
            "high_fen_per_t": high,
            "block_low_fen_per_t": block_low,
            "block_high_fen_per_t": block_high,
            "block_min_kg": block_min,
        }
    if e.name == "ReferencePriceSet":
        return "reference_price", {
            "project_type": int(a["projectType"]),
            "price_fen_per_t": int(a["priceFenPerTonne"]),
        }
    return None


def _record_block_times(session: Session, timestamps: dict[int, int]) -> None:
    """Keeps the time of each block with events (for journals and the explorer); a block whose
    time is kept already keeps it."""
    if not timestamps:
        return
    session.connection().execute(
        _BLOCK_TIMES[session.get_bind().dialect.name == "postgresql"],
        [{"block_number": n, "timestamp": t} for n, t in timestamps.items()],
    )


# The index's inserts, as Core statements built once: they insert plain rows (no object is kept
# in the session), and the ORM's bulk path costs more than the rows.
def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


_BLOCK_TIMES = (
    sqlite_insert(_table(BlockTime)).on_conflict_do_nothing(index_elements=["block_number"]),
    postgresql_insert(_table(BlockTime)).on_conflict_do_nothing(index_elements=["block_number"]),
)
_INSERT_EVENTS = insert(_table(ChainEventRecord))
_INSERT_ROWS = {Transfer: insert(_table(Transfer)), Retirement: insert(_table(Retirement))}


_META_LOCKED = (
    select(RegistryMeta)
    .where(RegistryMeta.id == 1)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _meta(session: Session, *, lock: bool = False) -> RegistryMeta:
    """The registry's one meta row; with `lock`, locked until the transaction ends.

    On SQLite a writing transaction holds the database's write lock from its start (``BEGIN
    IMMEDIATE``), so the row the session has loaded is current and is taken from the session
    (the relay reads it three times a commit). On PostgreSQL the lock is taken once per
    transaction, reading the row afresh."""
    transaction = session.get_transaction()
    if (
        lock
        and session.get_bind().dialect.name != "sqlite"
        and (session.info.get("meta_locked") is not transaction or session.in_nested_transaction())
    ):
        meta = session.execute(_META_LOCKED).scalar_one_or_none()
        if not session.in_nested_transaction():  # a savepoint rolled back releases its locks
            session.info["meta_locked"] = transaction
    else:
        meta = loaded(session, RegistryMeta, 1)
    if meta is None:
        raise LookupError("the database is not bound to a deployment")
    # Held by the session: its identity map keeps an unchanged row only while something refers
    # to it, and the next reading in this transaction would select it again.
    session.info["meta_row"] = meta
    return meta


def _set_paused(session: Session, contract: str, paused: bool) -> None:
    meta = _meta(session)
    if contract == "TanhuiCredits":
        meta.credits_paused = paused
    else:
        meta.registry_paused = paused


def _set_participant(session: Session, address: str, status: Standing) -> None:
    participant = session.execute(
        select(Participant).where(Participant.address == address)
    ).scalar_one_or_none()
    if participant is not None:
        participant.chain_status = status


def _set_methodology(session: Session, e: ChainEvent, status: Publication) -> None:
    for m in session.execute(
        select(Methodology).where(Methodology.version == int(e.args["version"]))
    ).scalars():
        if keccak(text=m.code) == e.args["methodologyId"]:
            m.chain_status = status


def _set_project(session: Session, project_hash: bytes, status: ProjectStatus) -> None:
    project = session.execute(
        select(Project).where(Project.onchain_id == "0x" + project_hash.hex())
    ).scalar_one_or_none()
    if project is not None:
        project.status = status
