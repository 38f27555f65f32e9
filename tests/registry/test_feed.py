"""The exchange feed (R18): seqs never reused (rewinds included), subscriptions, and webhook
delivery to a real HTTP receiver — in order, at least once, signed, retried with a capped backoff,
and a failing subscriber holding up no other."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from registry import clock
from registry import feed as service
from registry.db import Database
from registry.errors import Conflict, Forbidden, InvalidRequest, NotFound
from registry.feed import WebhookDeliverer, WebhookSubscription
from registry.models import Participant, ParticipantRole
from registry.states import Custody, Standing

# -- a real receiver -------------------------------------------------------------------------------


@dataclass
class Delivery:
    seq: int
    body: bytes
    headers: dict[str, str]
    at: float


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every delivery. `script` says how it answers the
    next requests ("ok", "500", or "sleep": answer only after `sleep` seconds, past the client's
    timeout); once it is used up, every request is answered 200. It can go down and come back on
    the same port."""

    script: list[str] = field(default_factory=list)
    sleep: float = 2.0
    always: str = "ok"
    port: int = 0
    received: list[Delivery] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seq = json.loads(body)["seq"]
                with receiver.lock:
                    if seq > 1 and seq - 1 not in receiver.acked:
                        receiver.violations.append(f"seq {seq} came before seq {seq - 1} was acknowledged")
                    receiver.received.append(
                        Delivery(seq, body, dict(self.headers.items()), time.monotonic())
                    )
                    action = receiver.script.pop(0) if receiver.script else receiver.always
                if action == "sleep":
                    time.sleep(receiver.sleep)
                    self._answer(200)  # too late: the client gave up, so it is no acknowledgement
                    return
                status = 200 if action == "ok" else int(action)
                if status == 200:
                    with receiver.lock:
                        receiver.acked.add(seq)
                self._answer(status)

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def seqs(self) -> list[int]:
        with self.lock:
            return [d.seq for d in self.received]

    def unique_seqs(self) -> list[int]:
        """The seqs received, de-duplicated by seq, in the order first received."""
        seen: list[int] = []
        for seq in self.seqs():
            if seq not in seen:
                seen.append(seq)
        return seen


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def closed_port_url() -> str:
    """A URL on which nothing listens: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


# -- the database ----------------------------------------------------------------------------------


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def new_participant(db: Database, *roles: str) -> Participant:
    with db.transaction() as session:
        participant = Participant(
            public_id=f"par_{secrets.token_hex(6)}",
            name="Chengdu Environmental Exchange",
            kind="organisation",
            address="0x" + secrets.token_hex(20),
            custody=Custody.KEYSTORE,
            chain_status=Standing.ACTIVE,
            created_at=clock.now(),
            roles=[ParticipantRole(role=r) for r in roles],
        )
        session.add(participant)
        session.flush()
        session.refresh(participant, ["roles"])
        session.expunge(participant)
    return participant


def append_entries(db: Database, count: int, *, block: int = 100, kind: str = "issuance") -> list[int]:
    with db.transaction() as session:
        return [
            service.append(
                session,
                kind=kind,
                payload={"batch_id": block + i, "amount_kg": 2**64 - 1},
                block_number=block + i,
                log_index=0,
                tx_hash="0x" + f"{block + i:064x}",
            ).seq
            for i in range(count)
        ]


def subscription(db: Database, subscription_id: int) -> WebhookSubscription:
    with db.reading() as session:
        s = session.get(WebhookSubscription, subscription_id)
        assert s is not None
        session.expunge(s)
        return s


def subscribe(db: Database, participant: Participant, url: str) -> tuple[int, str]:
    with db.transaction() as session:
        s, secret = service.subscribe(session, participant, url)
        return s.id, secret


def aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- the feed --------------------------------------------------------------------------------------


def test_feed__pages_in_order_and_counts_the_last_seq(db: Database) -> None:
    with db.reading() as session:
        assert service.last_seq(session) == 0
        assert service.entries(session, 0, 10) == []
    seqs = append_entries(db, 5)
    assert seqs == [1, 2, 3, 4, 5]
    with db.reading() as session:
        assert [e.seq for e in service.entries(session, 0, 2)] == [1, 2]
        assert [e.seq for e in service.entries(session, 2, 2)] == [3, 4]
        assert [e.seq for e in service.entries(session, 4, 100)] == [5]
        assert service.entries(session, 5, 100) == []
        assert service.last_seq(session) == 5
        first = service.entry_dict(service.entries(session, 0, 1)[0])
        for after, limit in ((-1, 10), (0, 0), (0, 1001)):
            with pytest.raises(InvalidRequest):
                service.entries(session, after, limit)
    assert first["payload"] == {"batch_id": 100, "amount_kg": 2**64 - 1}
    assert (first["seq"], first["kind"], first["block_number"], first["log_index"]) == (1, "issuance", 100, 0)


def test_append__the_same_event_twice_is_one_entry(db: Database) -> None:
    assert append_entries(db, 2) == [1, 2]
    assert append_entries(db, 2) == [1, 2]
    with db.reading() as session:
        assert service.last_seq(session) == 2
    with pytest.raises(ValueError), db.transaction() as session:
        service.append(session, kind="chain_rewound", payload={}, block_number=1, log_index=0, tx_hash=None)


def test_rewind__appends_a_compensating_entry_and_never_reuses_a_seq(db: Database) -> None:
    assert append_entries(db, 3, block=10) == [1, 2, 3]  # blocks 10, 11, 12
    with db.transaction() as session:
        rewound = service.discard_after_block(session, 10)
        assert rewound is not None
        assert (rewound.seq, rewound.kind, rewound.block_number) == (4, "chain_rewound", 10)
        assert rewound.payload == {"block_number": 10, "voids": {"from_seq": 2, "to_seq": 3}}
        # Nothing above block 12 (nor above 10 now): no entry.
        assert service.discard_after_block(session, 12) is None
        assert service.discard_after_block(session, 10) is None
    # The chain produces blocks 11 and 12 again, with the same events: new seqs.
    assert append_entries(db, 2, block=11) == [5, 6]
    assert append_entries(db, 2, block=11) == [5, 6]  # idempotent in the new history
    assert append_entries(db, 1, block=10) == [1]  # block 10 still holds: the same entry
    # A second rewind voids the re-applied entries; they come back again with new seqs.
    with db.transaction() as session:
        again = service.discard_after_block(session, 11)
        assert again is not None and again.seq == 7
        assert again.payload == {"block_number": 11, "voids": {"from_seq": 6, "to_seq": 6}}
    assert append_entries(db, 1, block=12) == [8]
    # A deeper rewind voids what still lives above it, of every earlier history.
    with db.transaction() as session:
        deep = service.discard_after_block(session, 9)
        assert deep is not None and deep.seq == 9
        assert deep.payload == {"block_number": 9, "voids": {"from_seq": 1, "to_seq": 8}}
    assert append_entries(db, 1, block=10) == [10]
    with db.reading() as session:
        seqs = [e.seq for e in service.entries(session, 0, 1000)]
    assert seqs == list(range(1, 11))  # every seq once, in order, none reused


# -- subscriptions ---------------------------------------------------------------------------------


def test_subscribe__needs_the_role_and_an_http_url(db: Database) -> None:
    exchange = new_participant(db, "exchange")
    supervisor = new_participant(db, "supervisor")
    holder = new_participant(db, "holder")
    with pytest.raises(Forbidden), db.transaction() as session:
        service.subscribe(session, holder, "https://exchange.example/hook")
    for url in (
        "ftp://exchange.example/hook",
        "https:///hook",
        "http://",
        "exchange.example/hook",
        "https://exchange.example/" + "a" * 3000,
        "https://user:pw@exchange.example/hook",
        "https://exchange.example/a b",
        "http://[::1/hook",
        "",
    ):
        with pytest.raises(InvalidRequest) as refused, db.transaction() as session:
            service.subscribe(session, exchange, url)
        assert refused.value.details == {"field": "url"}, url
    first, secret = subscribe(db, exchange, "https://exchange.example/hook")
    assert len(secret) == 64 and int(secret, 16) >= 0
    subscribe(db, supervisor, "http://127.0.0.1:8080/feed")
    with db.reading() as session:
        mine = [service.subscription_dict(s) for s in service.subscriptions(session, exchange)]
    assert [s["id"] for s in mine] == [first]
    assert "secret" not in mine[0] and secret not in json.dumps(mine)
    assert (mine[0]["delivered_seq"], mine[0]["attempts"], mine[0]["active"]) == (0, 0, True)
    # Another's subscription is not found; one's own ends, then is not found.
    with pytest.raises(NotFound), db.transaction() as session:
        service.unsubscribe(session, supervisor, first)
    with db.transaction() as session:
        assert service.unsubscribe(session, exchange, first).active is False
    with pytest.raises(NotFound), db.transaction() as session:
        service.unsubscribe(session, exchange, first)
    with db.reading() as session:
        assert service.subscriptions(session, exchange) == []


def test_subscribe__at_most_ten_active_per_participant(db: Database) -> None:
    exchange = new_participant(db, "exchange")
    for i in range(service.MAX_SUBSCRIPTIONS):
        subscribe(db, exchange, f"https://exchange.example/{i}")
    with pytest.raises(Conflict), db.transaction() as session:
        service.subscribe(session, exchange, "https://exchange.example/more")


# -- delivery --------------------------------------------------------------------------------------


def test_signature__verifies_with_the_secret_and_fails_with_another(db: Database, receiver: Receiver) -> None:
    append_entries(db, 3)
    sid, secret = subscribe(db, new_participant(db, "exchange"), receiver.url)
    assert WebhookDeliverer(db, timeout=2).deliver_once() == 3
    assert receiver.seqs() == [1, 2, 3]
    for delivery in receiver.received:
        headers = {k.lower(): v for k, v in delivery.headers.items()}
        assert headers["content-type"] == "application/json"
        assert headers["x-tanhui-seq"] == str(delivery.seq)
        assert headers["x-tanhui-subscription"] == str(sid)
        assert headers["x-tanhui-signature"].startswith("sha256=")
        assert service.verify(secret, delivery.body, headers["x-tanhui-signature"])
        assert not service.verify(secrets.token_hex(32), delivery.body, headers["x-tanhui-signature"])
        assert not service.verify(secret, delivery.body + b" ", headers["x-tanhui-signature"])
        # The body is the canonical JSON of the entry.
        assert delivery.body == service.canonical(json.loads(delivery.body))
    s = subscription(db, sid)
    assert (s.delivered_seq, s.attempts, s.next_attempt_at, s.last_status) == (3, 0, None, 200)
    # Nothing new: no request.
    assert WebhookDeliverer(db, timeout=2).deliver_once() == 0
    assert len(receiver.received) == 3


def test_delivery__survives_a_500_a_timeout_and_a_refused_connection_in_order_exactly_once(
    db: Database, receiver: Receiver
) -> None:
    append_entries(db, 5)
    sid, _ = subscribe(db, new_participant(db, "exchange"), receiver.url)
    receiver.script = ["500", "sleep"]  # the first delivery refused, the second timed out
    receiver.sleep = 1.5
    deliverer = WebhookDeliverer(db, timeout=0.5, backoff_base=1, backoff_max=8)
    t = clock.now()

    assert deliverer.deliver_once(now=t) == 0  # the 500
    s = subscription(db, sid)
    assert (s.delivered_seq, s.attempts, s.last_status, s.last_error) == (0, 1, 500, "HTTP 500")
    assert aware(s.next_attempt_at) == t + timedelta(seconds=1)
    assert deliverer.deliver_once(now=t) == 0  # not due yet: nothing sent
    assert receiver.seqs() == [1]

    assert deliverer.deliver_once(now=t + timedelta(seconds=1)) == 0  # the timeout
    s = subscription(db, sid)
    assert (s.delivered_seq, s.attempts, s.last_status) == (0, 2, None)
    assert s.last_error is not None and "Timeout" in s.last_error
    assert aware(s.next_attempt_at) == t + timedelta(seconds=1 + 2)

    receiver.stop()  # down: the connection is refused
    assert deliverer.deliver_once(now=t + timedelta(seconds=10)) == 0
    s = subscription(db, sid)
    assert (s.delivered_seq, s.attempts, s.last_status) == (0, 3, None)
    assert s.last_error is not None and "ConnectError" in s.last_error
    assert aware(s.next_attempt_at) == t + timedelta(seconds=10 + 4)
    assert receiver.seqs() == [1, 1]

    receiver.start()  # back, on the same port
    assert deliverer.deliver_once(now=t + timedelta(seconds=14)) == 5
    # Two more entries; the second is refused once, mid-stream.
    append_entries(db, 2, block=200)
    receiver.script = ["ok", "500"]
    assert deliverer.deliver_once(now=t + timedelta(seconds=15)) == 1
    assert subscription(db, sid).delivered_seq == 6
    assert deliverer.deliver_once(now=t + timedelta(seconds=16)) == 1

    assert receiver.seqs() == [1, 1, 1, 2, 3, 4, 5, 6, 7, 7]
    assert receiver.unique_seqs() == [1, 2, 3, 4, 5, 6, 7]  # each once, in order, by seq
    assert receiver.violations == []  # never seq k+1 before seq k was acknowledged
    s = subscription(db, sid)
    assert (s.delivered_seq, s.attempts, s.next_attempt_at, s.last_error) == (7, 0, None, None)


def test_backoff__grows_and_is_capped(db: Database) -> None:
    assert [service.backoff(n) for n in range(0, 10)] == [0, 0.5, 1, 2, 4, 8, 16, 32, 60, 60]
    assert service.backoff(10_000) == 60
    append_entries(db, 1)
    sid, _ = subscribe(db, new_participant(db, "exchange"), closed_port_url())
    deliverer = WebhookDeliverer(db, timeout=1, backoff_base=0.5, backoff_max=4)
    t = clock.now()
    delays = []
    for attempt in range(1, 8):
        assert deliverer.deliver_once(now=t) == 0
        s = subscription(db, sid)
        assert s.attempts == attempt
        delays.append((aware(s.next_attempt_at) - t).total_seconds())
        # Just before it is due: no attempt.
        assert deliverer.deliver_once(now=aware(s.next_attempt_at) - timedelta(milliseconds=1)) == 0
        assert subscription(db, sid).attempts == attempt
        t = aware(s.next_attempt_at)
    assert delays == [0.5, 1, 2, 4, 4, 4, 4]


def test_delivery__a_failing_subscriber_does_not_delay_a_healthy_one(db: Database) -> None:
    slow = Receiver(always="sleep", sleep=3).start()
    failing = Receiver(always="500").start()
    healthy = Receiver().start()
    try:
        append_entries(db, 5)
        exchange = new_participant(db, "exchange")
        for r in (slow, failing, healthy):  # the healthy one last: the others come first
            subscribe(db, exchange, r.url)
        deliverer = WebhookDeliverer(db, timeout=2, poll_interval=0.05)
        stop = threading.Event()
        started = time.monotonic()
        thread = threading.Thread(target=deliverer.run, args=(stop,), daemon=True)
        thread.start()
        try:
            while len(healthy.unique_seqs()) < 5 and time.monotonic() - started < 10:
                time.sleep(0.02)
            took = time.monotonic() - started
            while not (slow.seqs() and failing.seqs()) and time.monotonic() - started < 10:
                time.sleep(0.02)
        finally:
            stop.set()
            thread.join(timeout=10)
        assert not thread.is_alive()  # it stops within a request's timeout
        assert healthy.unique_seqs() == [1, 2, 3, 4, 5]
        assert took < 1.5, f"the healthy subscriber waited {took:.2f} s"
        assert slow.seqs()[:1] == [1] and failing.seqs()[:1] == [1]
        assert 2 not in slow.seqs() + failing.seqs()  # never past an unacknowledged entry
        assert healthy.violations == slow.violations == failing.violations == []
    finally:
        for r in (slow, failing, healthy):
            r.stop()


def test_delivery__an_ended_subscription_receives_nothing(db: Database, receiver: Receiver) -> None:
    append_entries(db, 2)
    exchange = new_participant(db, "exchange")
    sid, _ = subscribe(db, exchange, receiver.url)
    with db.transaction() as session:
        service.unsubscribe(session, exchange, sid)
    assert WebhookDeliverer(db, timeout=2).deliver_once() == 0
    assert receiver.received == []
