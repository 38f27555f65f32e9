"""The exchange feed (R18): an ordered log of everything the environmental exchange mirrors, pulled
(``GET /v1/feed?after=N``) or pushed to webhooks.

Each entry has a sequence number (``seq``), assigned once and never reused: a consumer applies an
entry at most once by remembering the last seq it applied (idempotent by seq). Entries are
appended by the indexer in its own transaction (one writer), so the seqs it commits are gap-free
in practice.

**Chain rewinds.** An entry is never deleted or rewritten. When the chain loses blocks the
indexer had indexed (a restarted node, a reorganisation), :func:`discard_after_block` appends a
``chain_rewound`` entry naming the last block that still holds, B
(``payload = {"block_number": B, "voids": {"from_seq": a, "to_seq": b}}``): it voids every earlier
entry whose ``block_number`` is above B (a and b bound the seqs of those still live), and a
consumer undoes (or marks void) those entries. Events the chain then produces again (possibly
the same transaction at the same block and log index) are appended again, with new seqs.

**Webhooks.** A subscriber (a participant with the ``exchange`` or ``supervisor`` role) gives a
URL and receives a secret, once. :class:`WebhookDeliverer` POSTs each entry after the
subscription's ``delivered_seq``, one request per entry and in order: entry k+1 is sent only
after entry k was acknowledged with a 2xx. The body is the canonical JSON of :func:`entry_dict`
(sorted keys, no spaces, UTF-8); the headers::

    Content-Type: application/json
    X-Tanhui-Seq: <seq>
    X-Tanhui-Subscription: <subscription id>
    X-Tanhui-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes under the secret>

Any other answer (a status outside 2xx, a redirect, a timeout, a refused connection) ends the
subscription's round; it is retried after ``min(max, base * 2**(attempts - 1))`` seconds
(0.5 s doubling up to 60 s by default). Delivery is at least once: an entry acknowledged but not
yet recorded (a crash in between) is sent again; the receiver de-duplicates by ``X-Tanhui-Seq``.
A new subscription receives the feed from its first entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from registry import clock
from registry.db import Database
from registry.errors import Conflict, InvalidRequest, NotFound
from registry.models import Base, Hash, Participant
from registry.participants import require_role

log = logging.getLogger("tanhui.feed")

#: The kinds of entry the exchange mirrors (what the indexer appends), and the feed's own
#: ``chain_rewound``. :func:`append` takes any other kind too (up to 40 characters): a new kind of
#: event must never stop the indexer.
KINDS = (
    "issuance",
    "listing",
    "listing_cancelled",
    "trade",
    "retirement",
    "account_frozen",
    "account_unfrozen",
    "batch_frozen",
    "batch_unfrozen",
    "halt",
    "band",
    "reference_price",
    "chain_rewound",
)
REWOUND = "chain_rewound"
#: The roles that may subscribe to webhooks.
SUBSCRIBER_ROLES = ("exchange", "supervisor")
MAX_URL_LENGTH = 2000
MAX_ERROR_LENGTH = 1000
MAX_SUBSCRIPTIONS = 10  # active subscriptions of one participant
MAX_PAGE = 1000
SIGNATURE_PREFIX = "sha256="


# -- the schema --------------------------------------------------------------------------------


class FeedEntry(Base):
    """One entry of the exchange feed; ``seq`` is its identity and order, never reused."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        # One entry per event of a chain history: `generation` is the seq of the last rewind
        # before the entry (0 before any), so an event the chain produces again after a rewind
        # (same block, log index and kind) is a new entry.
        UniqueConstraint("generation", "block_number", "log_index", "kind"),
        Index("ix_feed_entries_kind_seq", "kind", "seq"),
        # The indexer looks up the entries its events already have by block (see append_all).
        Index("ix_feed_entries_block_number", "block_number"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    block_number: Mapped[int] = mapped_column(BigInteger)
    # The event's position: None for a `chain_rewound` entry, which no log produced.
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookSubscription(Base):
    """A URL the feed is pushed to, for a participant; its secret signs every delivery."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    delivered_seq: Mapped[int] = mapped_column(Integer, default=0)  # the last seq acknowledged
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failures since the last success
    # When the next round may start: None (now), a retry after a failure, or the lease of a
    # round in progress (so two deliverers do not send the same subscription at once).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_LENGTH), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)


# -- the feed ----------------------------------------------------------------------------------


def _generation(session: Session) -> int:
    last = session.execute(_LAST_REWIND).scalar()
    return int(last or 0)


def _voided() -> ColumnElement[bool]:
    """Whether a later rewind voided an entry: it went back below the entry's block."""
    rewind = aliased(FeedEntry)
    return exists().where(
        rewind.kind == REWOUND, rewind.seq > FeedEntry.seq, rewind.block_number < FeedEntry.block_number
    )


# The statements of every append (the indexer appends the entries of each block it applies),
# built once.
_INSERT = insert(cast(Table, FeedEntry.__table__))
_LAST_REWIND = select(func.max(FeedEntry.seq)).where(FeedEntry.kind == REWOUND)
_LIVE_IN_BLOCKS = select(FeedEntry.block_number, FeedEntry.log_index, FeedEntry.kind).where(
    FeedEntry.block_number.between(bindparam("low"), bindparam("high")),
    FeedEntry.kind != REWOUND,
    ~_voided(),
)


@dataclass(frozen=True)
class NewEntry:
    """The entry of one chain event, to append (see :func:`append_all`)."""

    kind: str
    payload: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str | None


def _live(session: Session, block_number: int, log_index: int, kind: str) -> FeedEntry | None:
    """The entry of an event a rewind has not voided since, if there is one."""
    return session.execute(
        select(FeedEntry)
        .where(
            FeedEntry.block_number == block_number,
            FeedEntry.log_index == log_index,
            FeedEntry.kind == kind,
            ~_voided(),
        )
        .order_by(FeedEntry.seq.desc())
        .limit(1)
    ).scalar_one_or_none()


def append_all(session: Session, entries: list[NewEntry]) -> None:
    """Appends the entries of chain events, in order (in the indexer's transaction): one read of
    the entries these events already have and one multi-row insert, whatever their number. The
    same event (block, log index, kind) appended again keeps the entry it already has, unless a
    rewind voided that entry since."""
    for e in entries:
        if e.kind == REWOUND or not 1 <= len(e.kind) <= 40:
            raise ValueError(f"a feed entry cannot be of kind {e.kind!r}")
    if not entries:
        return
    blocks = [e.block_number for e in entries]
    have = {
        (row.block_number, row.log_index, row.kind)
        for row in session.execute(_LIVE_IN_BLOCKS, {"low": min(blocks), "high": max(blocks)})
    }
    generation, moment, rows = _generation(session), clock.now(), []
    for e in entries:
        key = (e.block_number, e.log_index, e.kind)
        if key in have:
            continue
        have.add(key)
        rows.append(
            {
                "kind": e.kind,
                "payload": e.payload,
                "block_number": e.block_number,
                "log_index": e.log_index,
                "tx_hash": e.tx_hash,
                "generation": generation,
                "created_at": moment,
            }
        )
    if rows:
        session.connection().execute(_INSERT, rows)


def append(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    block_number: int,
    log_index: int,
    tx_hash: str | None,
) -> FeedEntry:
    """Appends the entry of one chain event (see :func:`append_all`) and answers it: the new
    entry, or the one the event already has."""
    append_all(session, [NewEntry(kind, payload, block_number, log_index, tx_hash)])
    entry = _live(session, block_number, log_index, kind)
    assert entry is not None
    return entry


def discard_after_block(session: Session, block_number: int) -> FeedEntry | None:
    """The chain rewound to `block_number`: voids the entries of the blocks above it by appending
    a ``chain_rewound`` entry (nothing is deleted, no seq is reused). None when no live entry is
    above that block.

    A ``chain_rewound`` entry of block B voids every earlier entry whose ``block_number`` is
    above B (its payload's ``voids`` bounds the seqs of those still live; an entry an earlier
    rewind voided stays void)."""
    generation = _generation(session)
    bounds = session.execute(
        select(func.min(FeedEntry.seq), func.max(FeedEntry.seq)).where(
            FeedEntry.kind != REWOUND, FeedEntry.block_number > block_number, ~_voided()
        )
    ).one()
    if bounds[0] is None:
        return None
    entry = FeedEntry(
        kind=REWOUND,
        payload={"block_number": block_number, "voids": {"from_seq": bounds[0], "to_seq": bounds[1]}},
        block_number=block_number,
        log_index=None,
        tx_hash=None,
        generation=generation,
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, after: int, limit: int) -> list[FeedEntry]:
    """The entries after seq `after`, in order, at most `limit` (1 to 1000)."""
    if after < 0:
        raise InvalidRequest("after must be 0 or more", field="after")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1 to {MAX_PAGE}", field="limit")
    query = select(FeedEntry).where(FeedEntry.seq > after).order_by(FeedEntry.seq).limit(limit)
    return list(session.execute(query).scalars())


def last_seq(session: Session) -> int:
    """The seq of the newest entry (0 when the feed is empty)."""
    return int(session.execute(select(func.max(FeedEntry.seq))).scalar() or 0)


def entry_dict(e: FeedEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "payload": e.payload,
        "block_number": e.block_number,
        "log_index": e.log_index,
        "tx_hash": e.tx_hash,
        "created_at": clock.iso(e.created_at),
    }


def canonical(document: Any) -> bytes:
    """The bytes a webhook delivers: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Tanhui-Signature`` of `body`."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver checks: `signature` is the HMAC of `body` under `secret`."""
    return hmac.compare_digest(sign(secret, body), signature)


# -- subscriptions -----------------------------------------------------------------------------


def check_url(url: str) -> str:
    """`url` if a webhook may use it: http(s), with a host, at most 2000 characters."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidRequest(f"the URL must be 1 to {MAX_URL_LENGTH} characters", field="url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidRequest("the URL must not contain spaces or control characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidRequest("the URL is malformed", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidRequest("the URL must be http or https", field="url")
    if not parts.hostname:
        raise InvalidRequest("the URL must name a host", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest("the URL must not carry credentials", field="url")
    if port == 0:
        raise InvalidRequest("the URL's port must be 1 to 65535", field="url")
    return url


def subscribe(session: Session, participant: Participant, url: str) -> tuple[WebhookSubscription, str]:
    """A new subscription of `participant` (exchange or supervisor) to the feed at `url`, and its
    secret: shown this once (it is kept to sign deliveries, never answered again)."""
    require_role(participant, *SUBSCRIBER_ROLES)
    check_url(url)
    active = session.execute(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.participant_id == participant.id, WebhookSubscription.active)
    ).scalar_one()
    if active >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            f"a participant has at most {MAX_SUBSCRIPTIONS} webhook subscriptions", limit=MAX_SUBSCRIPTIONS
        )
    secret = secrets.token_hex(32)
    subscription = WebhookSubscription(
        participant_id=participant.id,
        url=url,
        secret=secret,
        created_at=clock.now(),
        active=True,
        delivered_seq=0,
        attempts=0,
    )
    session.add(subscription)
    session.flush()
    return subscription, secret


def subscriptions(session: Session, participant: Participant) -> list[WebhookSubscription]:
    """The participant's active subscriptions, oldest first."""
    query = (
        select(WebhookSubscription)
        .where(WebhookSubscription.participant_id == participant.id, WebhookSubscription.active)
        .order_by(WebhookSubscription.id)
    )
    return list(session.execute(query).scalars())


def unsubscribe(session: Session, participant: Participant, subscription_id: int) -> WebhookSubscription:
    """Ends one of the participant's own subscriptions (404 for another's, or an ended one)."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.participant_id != participant.id or not subscription.active:
        raise NotFound(f"no webhook subscription {subscription_id}")
    subscription.active = False
    subscription.next_attempt_at = None
    return subscription


def subscription_dict(s: WebhookSubscription) -> dict[str, Any]:
    """A subscription as its owner sees it: never its secret."""
    return {
        "id": s.id,
        "url": s.url,
        "active": s.active,
        "created_at": clock.iso(s.created_at),
        "delivered_seq": s.delivered_seq,
        "attempts": s.attempts,
        "next_attempt_at": clock.iso(s.next_attempt_at) if s.next_attempt_at is not None else None,
        "last_error": s.last_error,
        "last_status": s.last_status,
    }


# -- delivery ----------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def backoff(attempts: int, base: float = 0.5, maximum: float = 60.0) -> float:
    """Seconds before the next round of a subscription that failed `attempts` times in a row."""
    if attempts <= 0:
        return 0.0
    return float(min(maximum, base * 2 ** min(attempts - 1, 64)))


@dataclass(frozen=True)
class _Claim:
    subscription_id: int
    url: str
    secret: str
    delivered_seq: int
    attempts: int
    entries: list[dict[str, Any]]


class WebhookDeliverer:
    """Pushes the feed to every active subscription: in order, at least once, with backoff.

    :meth:`deliver_once` runs one round of every due subscription (concurrently, so a slow or
    failing subscriber does not hold up another) and answers how many entries were
    acknowledged; :meth:`run` repeats rounds until `stop` is set. HTTP requests are made outside
    any database transaction: a round claims the subscription and reads what to send in one short
    transaction, sends, and records each answer in another.
    """

    def __init__(
        self,
        db: Database,
        *,
        timeout: float = 5.0,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        batch: int = 100,
        poll_interval: float = 1.0,
        max_workers: int = 8,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.batch = batch
        self.poll_interval = poll_interval
        self.max_workers = max_workers
        self.transport = transport
        # A round in progress holds its subscription for this long (renewed at each answer):
        # another deliverer (another process) skips it meanwhile.
        self.lease = timedelta(seconds=2 * timeout + 5)

    # -- rounds ----------------------------------------------------------------------------

    def due(self, now: datetime | None = None) -> list[int]:
        """The active subscriptions whose next round is due and that have entries to receive."""
        moment = now or clock.now()
        with self.db.reading() as session:
            newest = last_seq(session)
            query = (
                select(WebhookSubscription.id)
                .where(
                    WebhookSubscription.active,
                    WebhookSubscription.delivered_seq < newest,
                    (WebhookSubscription.next_attempt_at.is_(None))
                    | (WebhookSubscription.next_attempt_at <= moment),
                )
                .order_by(WebhookSubscription.id)
            )
            return list(session.execute(query).scalars())

    def deliver_once(self, now: datetime | None = None) -> int:
        """One round of each due subscription; the number of entries acknowledged."""
        due = self.due(now)
        if not due:
            return 0
        with ThreadPoolExecutor(max_workers=min(len(due), self.max_workers)) as pool:
            return sum(pool.map(lambda sid: self.deliver_subscription(sid, now), due))

    def run(self, stop: threading.Event) -> None:
        """Delivers until `stop` is set: a subscription's round runs in a worker thread (at most
        `max_workers` at once), and a new round of it starts only once its last one ended. Once
        `stop` is set, a round ends after its request in flight (at most `timeout` seconds)."""
        running: dict[int, Future[int]] = {}
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="tanhui-webhook")
        try:
            while not stop.is_set():
                try:
                    for sid in self.due():
                        if sid not in running:
                            running[sid] = pool.submit(self._guarded, sid, stop)
                except Exception:
                    log.exception("webhook delivery: cannot read the due subscriptions")
                for sid in [s for s, f in running.items() if f.done()]:
                    del running[sid]
                stop.wait(self.poll_interval)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _guarded(self, subscription_id: int, stop: threading.Event) -> int:
        try:
            return self.deliver_subscription(subscription_id, stop=stop)
        except Exception:
            log.exception("webhook delivery: subscription %d failed unexpectedly", subscription_id)
            return 0

    def deliver_subscription(
        self, subscription_id: int, now: datetime | None = None, *, stop: threading.Event | None = None
    ) -> int:
        """One round of a subscription: sends its next entries in order until one is refused
        (or `stop` is set); the number acknowledged. `now` (tests) fixes the clock of the claim
        and the backoff."""
        claim = self._claim(subscription_id, now)
        if claim is None:
            return 0
        delivered = 0
        with httpx.Client(
            timeout=httpx.Timeout(self.timeout), follow_redirects=False, transport=self.transport
        ) as client:
            for entry in claim.entries:
                if stop is not None and stop.is_set():
                    break
                body = canonical(entry)
                status, error = self._post(client, claim, entry["seq"], body)
                if error is None:
                    delivered += 1
                    if not self._acknowledged(subscription_id, entry["seq"], status, now):
                        return delivered  # unsubscribed meanwhile
                    continue
                self._failed(subscription_id, claim.attempts + 1, status, error, now)
                return delivered
        self._release(subscription_id)
        return delivered

    def _post(
        self, client: httpx.Client, claim: _Claim, seq: int, body: bytes
    ) -> tuple[int | None, str | None]:
        headers = {
            "Content-Type": "application/json",
            "X-Tanhui-Seq": str(seq),
            "X-Tanhui-Subscription": str(claim.subscription_id),
            "X-Tanhui-Signature": sign(claim.secret, body),
        }
        try:
            # Streamed and closed unread: a receiver's answer body is not ours to download.
            with client.stream("POST", claim.url, content=body, headers=headers) as response:
                status = response.status_code
        except httpx.HTTPError as err:
            return None, f"{type(err).__name__}: {err}"[:MAX_ERROR_LENGTH]
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"

    # -- the short transactions of a round -------------------------------------------------

    def _claim(self, subscription_id: int, now: datetime | None) -> _Claim | None:
        moment = now or clock.now()
        with self.db.transaction() as session:
            s = session.get(WebhookSubscription, subscription_id, with_for_update=True)
            if s is None or not s.active:
                return None
            if s.next_attempt_at is not None and _aware(s.next_attempt_at) > moment:
                return None  # not due, or another deliverer holds it
            pending = entries(session, s.delivered_seq, self.batch)
            if not pending:
                return None
            s.next_attempt_at = moment + self.lease
            return _Claim(
                s.id, s.url, s.secret, s.delivered_seq, s.attempts, [entry_dict(e) for e in pending]
            )

    def _acknowledged(self, subscription_id: int, seq: int, status: int | None, now: datetime | None) -> bool:
        """Records the acknowledgement of `seq`; whether the subscription is still active."""
        with self.db.transaction() as session:
            s = session.get(WebhookSubscription, subscription_id, with_for_update=True)
            if s is None:
                return False
            s.delivered_seq = max(s.delivered_seq, seq)
            s.attempts = 0
            s.last_status = status
            s.last_error = None
            if s.active:
                s.next_attempt_at = (now or clock.now()) + self.lease
            return s.active

    def _failed(
        self, subscription_id: int, attempts: int, status: int | None, error: str, now: datetime | None
    ) -> None:
        delay = backoff(attempts, self.backoff_base, self.backoff_max)
        with self.db.transaction() as session:
            s = session.get(WebhookSubscription, subscription_id, with_for_update=True)
            if s is None:
                return
            s.attempts = attempts
            s.last_status = status
            s.last_error = error[:MAX_ERROR_LENGTH]
            s.next_attempt_at = (now or clock.now()) + timedelta(seconds=delay) if s.active else None
        log.warning(
            "webhook delivery: subscription %d failed (%s); attempt %d, next in %.1f s",
            subscription_id,
            error,
            attempts,
            delay,
        )

    def _release(self, subscription_id: int) -> None:
        with self.db.transaction() as session:
            s = session.get(WebhookSubscription, subscription_id, with_for_update=True)
            if s is not None:
                s.next_attempt_at = None
