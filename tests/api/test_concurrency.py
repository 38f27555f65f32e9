"""What the registry's locks guard, shown with real threads, on SQLite and PostgreSQL (and a chain
that takes concurrent transactions: anvil). Each test fails if its lock is taken away: the
nonce counter's `FOR UPDATE` (distinct nonces, no double spend), the idempotency record's unique
key, the participant address's unique key, the row locks of a report and a methodology under
review."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import ORMExecuteState

from registry import methodology_review, participants, transfers, verification
from registry.commands import Answer, IdempotencyKey, Outcome
from registry.errors import AlreadyExists, InsufficientBalance, InvalidState
from registry.models import Batch, ChainAccount, ChainOperation, CreditRequest, MonitoringReport, Participant
from registry.runtime import Runtime
from registry.states import OperationStatus
from tests.api.conftest import BOILER, Api

pytestmark = pytest.mark.anvil

THREADS = 12
T = TypeVar("T")


def at_once(n: int, fn: Callable[[int], T]) -> list[T | BaseException]:
    """Runs fn(0..n-1) in n threads released together; each result or the exception raised."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T | BaseException:
        barrier.wait()
        try:
            return fn(i)
        except BaseException as err:
            return err

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@contextmanager
def slow_reads(runtime: Runtime, table: str, seconds: float = 0.02) -> Iterator[None]:
    """Widens the window between a transaction's read of `table` and its write: a lost update
    that a missing lock allows then happens every time, not once in a while."""

    def pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and table in statement:
            time.sleep(seconds)

    event.listen(runtime.db.engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(runtime.db.engine, "after_cursor_execute", pause)


def me(runtime: Runtime, public_id: str) -> Participant:
    with runtime.db.transaction() as session:
        p = participants.get(session, public_id)
        p.role_names  # noqa: B018 - load the roles before the session ends
        session.expunge(p)
        return p


def test_nonces__threads_taking_one_accounts_nonces_get_distinct_gap_free_ones(
    anvil_env: dict[str, Any],
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    address = runtime.operator.address
    with runtime.db.transaction() as session:
        first = runtime.outbox.take_nonce(session, address) + 1  # the row exists from here on

    locking: list[bool] = []

    def watch(state: ORMExecuteState) -> None:
        if state.is_select and "chain_accounts" in str(state.statement):
            locking.append("FOR UPDATE" in str(state.statement.compile(dialect=postgresql.dialect())))

    def take(_: int) -> int:
        with runtime.db.transaction() as session:
            event.listen(session, "do_orm_execute", watch)
            return runtime.outbox.take_nonce(session, address)

    with slow_reads(runtime, "chain_accounts"):
        nonces = at_once(THREADS, take)
    assert sorted(n for n in nonces if isinstance(n, int)) == list(range(first, first + THREADS)), nonces
    # On SQLite every transaction is serialised (BEGIN IMMEDIATE); the counter's read must still
    # ask for the row lock that PostgreSQL (production) needs.
    assert locking and all(locking)
    with runtime.db.transaction() as session:
        assert session.get(ChainAccount, address).next_nonce == first + THREADS  # type: ignore[union-attr]


def test_spends__concurrent_transfers_by_one_holder_stop_exactly_at_the_balance(
    anvil_env: dict[str, Any],
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    holder = api.participant(["holder"])
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 500}, owner["token"])
    buyers = [api.participant(["holder"]) for _ in range(3)]
    spender = me(runtime, holder["id"])

    def spend(i: int) -> Answer:
        return transfers.transfer_command(
            runtime.commands,
            runtime.outbox,
            spender,
            batch_id=batch_id,
            recipient=buyers[i % 3]["id"],
            amount_kg=100,
            idempotency=None,
        )

    with slow_reads(runtime, "holdings"):
        outcomes = at_once(THREADS, spend)
    done = [o for o in outcomes if isinstance(o, Answer) and o.outcome == Outcome.CONFIRMED]
    refused = [o for o in outcomes if isinstance(o, InsufficientBalance)]
    assert (len(done), len(refused)) == (5, THREADS - 5), outcomes  # 5 x 100 kg of 500, no more
    assert runtime.tanhui.balance_of(holder["address"], batch_id) == 0
    assert sum(runtime.tanhui.balance_of(b["address"], batch_id) for b in buyers) == 500
    with runtime.db.transaction() as session:  # nothing reached the chain only to fail there
        assert session.execute(select(func.count()).select_from(ChainOperation).where(
            ChainOperation.status == "failed")).scalar_one() == 0  # fmt: skip


def test_idempotency__concurrent_requests_with_one_key_have_one_effect(anvil_env: dict[str, Any]) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    spender = me(runtime, owner["id"])
    key = IdempotencyKey(str(uuid.uuid4()), "the same request")

    def send(_: int) -> Answer:
        return transfers.transfer_command(
            runtime.commands,
            runtime.outbox,
            spender,
            batch_id=batch_id,
            recipient=buyer["id"],
            amount_kg=7,
            idempotency=key,
        )

    with slow_reads(runtime, "idempotency_records"):
        outcomes = at_once(8, send)
    answers = [o for o in outcomes if isinstance(o, Answer)]
    assert len(answers) == 8, outcomes
    assert {a.body["id"] for a in answers} == {answers[0].body["id"]}  # one request, answered eight times
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 7
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(CreditRequest)).scalar_one() == 1


def test_registration__concurrent_registrations_of_one_address_have_one_effect(
    anvil_env: dict[str, Any],
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    registrar = me(runtime, participants.OPERATOR_ID)
    address = "0x" + uuid.uuid4().hex[:8] * 5

    def register(i: int) -> Answer:
        return participants.register_command(
            runtime.commands,
            runtime.outbox,
            registrar,
            name=f"twin {i}",
            kind="person",
            roles=["holder"],
            address=address,
        )

    outcomes = at_once(6, register)
    done = [o for o in outcomes if isinstance(o, Answer)]
    assert len(done) == 1 and all(isinstance(o, AlreadyExists) for o in outcomes if o is not done[0]), (
        outcomes
    )
    assert runtime.tanhui.is_active_participant(address)
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(func.count()).select_from(Participant).where(Participant.address.ilike(address))
        )
        assert rows.scalar_one() == 1
    assert api.get("/v1/participants", api.operator)


def test_verification__concurrent_decisions_on_one_report_issue_one_batch(anvil_env: dict[str, Any]) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    api.published_methodology_once()
    owner = api.participant(["project_owner"])
    verifiers = [me(runtime, api.participant(["verifier"])["id"]) for _ in range(4)]
    project = api.registered_project(owner)
    report = api.ok(
        f"/v1/projects/{project['id']}/reports",
        {"period_start": "2025-01-01", "period_end": "2025-03-31", "data": BOILER},
        owner["token"],
    )
    batches = runtime.tanhui.batch_count()

    def decide(i: int) -> Answer:
        return verification.verify_command(
            runtime.commands,
            runtime.outbox,
            verifiers[i],
            report["id"],
            decision="approve",
            reason="ok",
            idempotency=None,
        )

    with slow_reads(runtime, "monitoring_reports"):
        outcomes = at_once(4, decide)
    done = [o for o in outcomes if isinstance(o, Answer)]
    assert len(done) == 1 and done[0].outcome == Outcome.CONFIRMED, outcomes
    assert all(isinstance(o, InvalidState) for o in outcomes if o is not done[0]), outcomes
    assert runtime.tanhui.batch_count() == batches + 1
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Batch)).scalar_one() == 1
        assert session.execute(select(MonitoringReport.status)).scalar_one() == "issued"


def test_methodology__concurrent_approvals_reach_the_quorum(anvil_env: dict[str, Any]) -> None:
    """Two of three experts approve at the same moment: each review must count the other's, or
    neither sees the quorum and the methodology is never published."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    experts = [me(runtime, api.participant(["committee"])["id"]) for _ in range(3)]
    proposed = api.ok("/v1/methodologies", {"code": "TH-ES-002", "version": 1}, api.operator)

    def review(i: int) -> Answer:
        return methodology_review.review_command(
            runtime.commands,
            runtime.outbox,
            experts[i],
            proposed["id"],
            decision="approve",
            reason="sound",
            idempotency=None,
        )

    with slow_reads(runtime, "methodology_reviews"):
        outcomes = at_once(2, review)
    assert all(isinstance(o, Answer) for o in outcomes), outcomes
    final = api.get(f"/v1/methodologies/{proposed['id']}")
    assert (final["status"], final["chain_status"]) == ("published", "published")


def test_settlements__concurrent_fills_of_one_listing_stop_exactly_at_what_is_left(
    anvil_env: dict[str, Any],
) -> None:
    """Each settlement is checked against the listing less the pending ones under the operator's
    nonce lock: twelve fills of 100 kg of a 500 kg listing settle five times, never more."""
    from registry import trades
    from registry.errors import ExceedsListing, ListingNotOpen

    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    exchange = api.participant(["exchange"])
    buyers = [api.participant(["holder"]) for _ in range(3)]
    api.ok(
        "/v1/market/reference-prices",
        {"project_type": "energy-substitution", "price_fen_per_t": 6000},
        api.operator,
    )
    listing = api.ok("/v1/listings", {"batch_id": batch_id, "amount_kg": 500}, owner["token"])["listing"]
    actor = me(runtime, exchange["id"])

    def fill(i: int) -> Answer:
        return trades.settle_command(
            runtime.commands,
            runtime.outbox,
            actor,
            trades.TradeInput(
                reference=f"C-{i}",
                listing_id=listing["listing_id"],
                buyer=buyers[i % 3]["id"],
                amount_kg=100,
                price_fen_per_t=6000,
            ),
            block_min_kg=runtime.settings.block_trade_min_kg,
            idempotency=None,
        )

    with slow_reads(runtime, "trade_instructions"):
        outcomes = at_once(THREADS, fill)
    done = [o for o in outcomes if isinstance(o, Answer) and o.outcome == Outcome.CONFIRMED]
    refused = [o for o in outcomes if isinstance(o, ExceedsListing | ListingNotOpen)]
    assert (len(done), len(refused)) == (5, THREADS - 5), outcomes
    assert runtime.tanhui.listing(listing["listing_id"]).remaining == 0
    assert runtime.tanhui.trade_count() == 5
    assert sum(runtime.tanhui.balance_of(b["address"], batch_id) for b in buyers) == 500
    with runtime.db.transaction() as session:  # nothing reached the chain only to fail there
        assert session.execute(select(func.count()).select_from(ChainOperation).where(
            ChainOperation.status == "failed")).scalar_one() == 0  # fmt: skip


def test_listings__concurrent_listings_by_one_holder_stop_exactly_at_the_balance(
    anvil_env: dict[str, Any],
) -> None:
    from registry import listings

    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    holder = api.participant(["holder"])
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 500}, owner["token"])
    seller = me(runtime, holder["id"])

    def offer(_: int) -> Answer:
        return listings.create_command(
            runtime.commands, runtime.outbox, seller, batch_id=batch_id, amount_kg=100, idempotency=None
        )

    with slow_reads(runtime, "holdings"):
        outcomes = at_once(THREADS, offer)
    done = [o for o in outcomes if isinstance(o, Answer) and o.outcome == Outcome.CONFIRMED]
    refused = [o for o in outcomes if isinstance(o, InsufficientBalance)]
    assert (len(done), len(refused)) == (5, THREADS - 5), outcomes
    assert runtime.tanhui.balance_of(runtime.deployment.exchange, batch_id) == 500
    assert runtime.tanhui.listing_count() == 5


def test_issuances__concurrent_ones_of_one_operator_each_read_their_queue_once(
    anvil_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent issuances are two operator transactions each, in the operator's one nonce
    sequence: a command waits for the sender's earlier nonces, sent by the other commands' threads.
    A thread that waited for an operation is handed its outcome by the thread that finished it;
    reading each earlier operation again (twice, per waiting thread) made the reads grow with
    the square of the commands in flight. Every batch is still issued, in nonce order."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    api.published_methodology_once()
    owner = api.participant(["project_owner"])
    project = api.registered_project(owner)
    verifiers = [me(runtime, api.participant(["verifier"])["id"]) for _ in range(THREADS)]
    reports = [api.report(project, owner, f"{2014 + i}-01-01", f"{2014 + i}-03-31") for i in range(THREADS)]
    batches = runtime.tanhui.batch_count()
    reads = {"n": 0}
    relay = type(runtime.relay)
    for name in ("_load_for_send", "_load"):
        original = getattr(relay, name)

        def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            reads["n"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(relay, name, counted)

    def decide(i: int) -> Answer:
        return verification.verify_command(
            runtime.commands, runtime.outbox, verifiers[i], reports[i]["id"],
            decision="approve", reason="ok", idempotency=None,
        )  # fmt: skip

    outcomes = at_once(THREADS, decide)
    assert all(isinstance(o, Answer) and o.outcome == Outcome.CONFIRMED for o in outcomes), outcomes
    assert runtime.tanhui.batch_count() == batches + THREADS
    with runtime.db.transaction() as session:
        operations = session.execute(
            select(ChainOperation).where(ChainOperation.sender == runtime.operator.address)
            .order_by(ChainOperation.nonce)
        ).scalars().all()  # fmt: skip
        assert all(op.status == "confirmed" for op in operations)
        blocks = [op.block_number for op in operations]
        assert blocks == sorted(blocks)  # mined in nonce order
    # Two operations per command, each with its sender's earlier ones to wait for: a few reads
    # per operation (THREADS = 12: 24 operations); reading each earlier one again took ~10x more.
    assert reads["n"] <= 3 * 2 * THREADS, reads


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_operations_outcome__is_handed_only_to_the_threads_that_waited_for_it(runtime: Runtime) -> None:
    """The thread that finishes an operation hands its outcome to the threads queued for the
    operation's lock then; one that comes later reads the operation, which a rewind of the index
    or a reopened submission may have made pending again since (a stale "confirmed" would let a
    sender's later nonce go out before this one)."""
    relay = runtime.relay
    op_id = 424_242  # the lock table does not read the operation
    handed: dict[str, object] = {}

    def queue(name: str) -> threading.Thread:
        def wait() -> None:
            with relay._lock(op_id) as outcome:
                handed[name] = outcome

        thread = threading.Thread(target=wait)
        thread.start()
        return thread

    def queued(n: int) -> None:
        deadline = time.monotonic() + 10
        while relay._locks[op_id].users < n:
            assert time.monotonic() < deadline
            time.sleep(0.005)

    with relay._lock(op_id) as outcome:
        assert outcome is None
        before = queue("before")
        queued(2)
        relay._finished(op_id, OperationStatus.CONFIRMED)
        after = queue("after")
        queued(3)
    before.join(10)
    after.join(10)
    assert handed == {"before": OperationStatus.CONFIRMED, "after": None}
    assert op_id not in relay._locks  # dropped once no thread holds or waits for it
