"""What operations watch, read from the database and the chain when asked: the outbox's depth
and the age of its oldest pending operation, the operations that failed (by kind), the index's
position and its lag behind the chain's head; and the readiness checks built on them.

The Prometheus collector (:class:`RegistryCollector`) reads these at scrape time, so the figures
survive restarts and agree between processes sharing a database. A database or chain that
cannot be reached is reported as such (``tanhui_database_up``, ``tanhui_chain_up`` at 0), never
by failing the scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from chain.client import ChainClient
from registry.clock import now
from registry.db import Database
from registry.models import ChainOperation, RegistryMeta
from registry.states import PENDING_OPERATIONS, OperationStatus

log = logging.getLogger("tanhui.metrics")


@dataclass(frozen=True)
class OutboxState:
    """Pending operations by status (``signed``, ``sent``), the age in seconds of the oldest
    pending one (0 when none is), and failed operations by kind."""

    pending: dict[str, int]
    oldest_pending_age: float
    failed: dict[str, int]


def outbox_state(session: Session, at: datetime | None = None) -> OutboxState:
    at = at or now()
    pending = {str(s): 0 for s in PENDING_OPERATIONS}
    for status, n in session.execute(
        select(ChainOperation.status, func.count())
        .where(ChainOperation.status.in_(PENDING_OPERATIONS))
        .group_by(ChainOperation.status)
    ):
        pending[str(status)] = int(n)
    oldest = session.execute(
        select(func.min(ChainOperation.created_at)).where(ChainOperation.status.in_(PENDING_OPERATIONS))
    ).scalar_one_or_none()
    if oldest is not None and oldest.tzinfo is None:  # SQLite keeps no zone: stored in UTC
        oldest = oldest.replace(tzinfo=at.tzinfo)
    age = max(0.0, (at - oldest).total_seconds()) if oldest is not None else 0.0
    failed = {
        str(kind): int(n)
        for kind, n in session.execute(
            select(ChainOperation.kind, func.count())
            .where(ChainOperation.status == OperationStatus.FAILED)
            .group_by(ChainOperation.kind)
        )
    }
    return OutboxState(pending, age, failed)


def indexed_block(session: Session) -> int | None:
    """The last block the index applied (None before the database is bound to a deployment)."""
    return session.execute(
        select(RegistryMeta.indexed_block).where(RegistryMeta.id == 1)
    ).scalar_one_or_none()


#: How long one reading of the chain's head serves every probe and scrape (seconds).
HEAD_TTL_SECONDS = 2.0
_heads: dict[int, tuple[float, int | None]] = {}
_heads_lock = threading.Lock()


def chain_head(client: ChainClient) -> int | None:
    """The chain's latest block number, or None when the chain cannot be reached or answers
    badly. Asked with a short timeout and no retries, once per HEAD_TTL_SECONDS for all callers
    (one at a time: concurrent probes of a hung node wait for the one asking, then share its
    answer), so health checks never pile up behind a slow node."""
    if client.rpc_url is None:  # the in-process chain answers at once: nothing to shield
        try:
            return client.block_number()
        except Exception as err:
            log.warning("the chain cannot be reached for its head: %s", err)
            return None
    with _heads_lock:
        cached = _heads.get(id(client))
        if cached is not None and time.monotonic() - cached[0] < HEAD_TTL_SECONDS:
            return cached[1]
        try:
            head: int | None = client.probe_block_number()
        except Exception as err:  # any failure is "the chain cannot be read", never a 500
            log.warning("the chain cannot be reached for its head: %s", err)
            head = None
        _heads[id(client)] = (time.monotonic(), head)
        return head


def forget_heads() -> None:
    """Drops every head read (the next probe asks the node): for a chain taken back to an older
    block on purpose, as the tests do between tests."""
    with _heads_lock:
        _heads.clear()


@dataclass(frozen=True)
class Facts:
    """One reading of the database and the chain (None: that part could not be read)."""

    database_up: bool
    outbox: OutboxState | None
    indexed_block: int | None
    chain_head: int | None

    @property
    def chain_up(self) -> bool:
        return self.chain_head is not None

    @property
    def lag(self) -> int | None:
        """Blocks the index is behind the chain's head (never negative)."""
        if self.chain_head is None or self.indexed_block is None:
            return None
        return max(0, self.chain_head - self.indexed_block)


def read_facts(db: Database, client: ChainClient, *, with_outbox: bool = True) -> Facts:
    outbox: OutboxState | None = None
    indexed: int | None = None
    database_up = True
    try:
        with db.reading() as session:
            session.execute(text("SELECT 1"))
            indexed = indexed_block(session)
            if with_outbox:
                outbox = outbox_state(session)
    except Exception as err:
        log.warning("the database cannot be read: %s", err)
        database_up = False
    return Facts(database_up, outbox, indexed, chain_head(client))


# -- readiness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Whether the service can do its work: each check's outcome, and why not."""

    checks: dict[str, bool]
    reasons: list[str] = field(default_factory=list)
    lag: int | None = None

    @property
    def ready(self) -> bool:
        return all(self.checks.values())


def readiness(db: Database, client: ChainClient, *, max_lag_blocks: int) -> Readiness:
    """The database answers, the chain answers, and the index is at most `max_lag_blocks`
    behind the chain's head."""
    facts = read_facts(db, client, with_outbox=False)
    reasons = []
    if not facts.database_up:
        reasons.append("the database cannot be reached")
    if not facts.chain_up:
        reasons.append(f"the chain cannot be reached at {client.endpoint}")
    lag = facts.lag
    index_ok = lag is not None and lag <= max_lag_blocks
    if lag is not None and not index_ok:
        reasons.append(f"the index is {lag} blocks behind the chain (at most {max_lag_blocks})")
    elif facts.database_up and facts.chain_up and facts.indexed_block is None:
        reasons.append("the database is not bound to a deployment")
    checks = {"database": facts.database_up, "chain": facts.chain_up, "index": index_ok}
    return Readiness(checks, reasons, lag)


# -- Prometheus -----------------------------------------------------------------------------------


class RegistryCollector(Collector):
    """The registry's gauges and counters, read from the database and the chain at each scrape."""

    def __init__(self, db: Database, client: ChainClient) -> None:
        self._db = db
        self._client = client

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        facts = read_facts(self._db, self._client)
        yield GaugeMetricFamily(
            "tanhui_database_up",
            "1 when the database answered this scrape, else 0",
            value=int(facts.database_up),
        )
        yield GaugeMetricFamily(
            "tanhui_chain_up", "1 when the chain node answered this scrape, else 0", value=int(facts.chain_up)
        )
        if facts.outbox is not None:
            depth = GaugeMetricFamily(
                "tanhui_outbox_pending_operations",
                "Chain operations signed or sent but not final yet, by status",
                labels=["status"],
            )
            for status, n in sorted(facts.outbox.pending.items()):
                depth.add_metric([status], n)
            yield depth
            yield GaugeMetricFamily(
                "tanhui_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending chain operation (0 when none is pending)",
                value=facts.outbox.oldest_pending_age,
            )
            # A gauge, not a counter: a holder's transaction recorded failed can be confirmed
            # later (registry/submissions.py), so the number can go down.
            failures = GaugeMetricFamily(
                "tanhui_outbox_failed_operations",
                "Chain operations recorded failed, by kind (from the outbox: survives restarts)",
                labels=["kind"],
            )
            for kind, n in sorted(facts.outbox.failed.items()):
                failures.add_metric([kind], n)
            yield failures
        if facts.indexed_block is not None:
            yield GaugeMetricFamily(
                "tanhui_indexer_block", "The last block the index applied", value=facts.indexed_block
            )
        if facts.chain_head is not None:
            yield GaugeMetricFamily(
                "tanhui_chain_head_block", "The chain's latest block", value=facts.chain_head
            )
        if facts.lag is not None:
            yield GaugeMetricFamily(
                "tanhui_indexer_lag_blocks",
                "Blocks the index is behind the chain's head (absent when either cannot be read)",
                value=facts.lag,
            )
