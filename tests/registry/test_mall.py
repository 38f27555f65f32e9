"""The mall's use cases on SQLite and PostgreSQL, with real threads: concurrent redemptions never
overdraw a balance or a stock (and do, on PostgreSQL, once the locks are taken away), vouchers
confirmed once and at their own merchant, expiry refunds, and the ledger stays balanced."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select

import registry.mall as mall
from registry import clock
from registry.db import Database
from registry.errors import Forbidden, InvalidRequest
from registry.models import LedgerPosting, Participant, ParticipantRole
from registry.points import ingest, ledger
from registry.states import Custody, Standing

T = TypeVar("T")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


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
def slow_reads(db: Database, table: str, seconds: float = 0.05) -> Iterator[None]:
    """Widens the window between a transaction's read of `table` and its write."""

    def pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and table in statement:
            time.sleep(seconds)

    event.listen(db.engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(db.engine, "after_cursor_execute", pause)


def participant(db: Database, *roles: str) -> Participant:
    with db.transaction() as session:
        p = Participant(
            public_id=f"par_{secrets.token_hex(6)}",
            name="Jinli Tea House",
            kind="organisation",
            address="0x" + secrets.token_hex(20),
            custody=Custody.KEYSTORE,
            chain_status=Standing.ACTIVE,
            created_at=clock.now(),
            roles=[ParticipantRole(role=r) for r in roles],
        )
        session.add(p)
        session.flush()
        session.refresh(p, ["roles"])
        session.expunge(p)
    return p


def citizen(db: Database, points: int) -> int:
    with db.transaction() as session:
        c, _ = ingest.register_citizen(session)
        if points:
            ledger.post(
                session, "earn", [(ledger.citizen_account(c.id), points, 0), (ledger.ISSUED, -points, 0)], NOW
            )
        return c.id


def points(db: Database, citizen_id: int) -> int:
    with db.transaction() as session:
        return ledger.balance(session, citizen_id).points


def merchant(db: Database, registrar: Participant, name: str = "Jinli Tea House") -> Participant:
    m = participant(db, "merchant")
    with db.transaction() as session:
        mall.approve_merchant(session, registrar, m.public_id, name)
    return m


def item(db: Database, seller: Participant, price: int, stock: int) -> int:
    with db.transaction() as session:
        return mall.add_item(session, seller, name="Bamboo cup", points_price=price, stock=stock).id


def redeem(db: Database, citizen_id: int, item_id: int, **kwargs: Any) -> mall.Redemption:
    with db.transaction() as session:
        return mall.redeem(session, citizen_id, item_id, **kwargs)


def balanced(db: Database) -> None:
    with db.transaction() as session:
        assert ledger.unbalanced_transactions(session) == []


def count_vouchers(db: Database) -> int:
    with db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(mall.MallVoucher)).scalar_one())


@pytest.fixture
def registrar(db: Database) -> Participant:
    return participant(db, "registrar")


# -- concurrency ---------------------------------------------------------------------------------


def test_redemptions__fifty_at_once_stop_exactly_at_the_balance(db: Database, registrar: Participant) -> None:
    seller = merchant(db, registrar)
    # Five items, so the item locks do not serialise the redemptions: only the citizen's lock does.
    items = [item(db, seller, price=11, stock=100) for _ in range(5)]
    alice = citizen(db, 116)  # covers ten of 11 points, not eleven

    with slow_reads(db, "ledger_postings"):
        outcomes = at_once(50, lambda i: redeem(db, alice, items[i % 5]))
    done = [o for o in outcomes if isinstance(o, mall.Redemption)]
    refused = [o for o in outcomes if isinstance(o, mall.InsufficientPoints)]
    assert (len(done), len(refused)) == (10, 40), [o for o in outcomes if isinstance(o, BaseException)][:3]
    assert points(db, alice) == 116 - 10 * 11 == 6
    assert count_vouchers(db) == 10
    assert len({d.code for d in done}) == 10
    balanced(db)


def test_redemptions__fifty_citizens_at_once_get_a_stock_of_three(
    db: Database, registrar: Participant
) -> None:
    seller = merchant(db, registrar)
    cup = item(db, seller, price=10, stock=3)
    people = [citizen(db, 50) for _ in range(50)]

    with slow_reads(db, "mall_items"):
        outcomes = at_once(50, lambda i: redeem(db, people[i], cup))
    done = [o for o in outcomes if isinstance(o, mall.Redemption)]
    refused = [o for o in outcomes if isinstance(o, mall.OutOfStock)]
    assert (len(done), len(refused)) == (3, 47), [o for o in outcomes if isinstance(o, BaseException)][:3]
    with db.transaction() as session:
        assert mall.item_view(session, cup)["stock"] == 0
    assert sum(points(db, p) for p in people) == 50 * 50 - 3 * 10
    balanced(db)


def test_redemptions__ask_for_row_locks(db: Database, registrar: Participant) -> None:
    """On SQLite every write transaction is serialised (BEGIN IMMEDIATE); the reads of the
    citizen and the item must still ask for the row locks PostgreSQL (production) needs."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import ORMExecuteState

    seller = merchant(db, registrar)
    cup = item(db, seller, price=10, stock=3)
    alice = citizen(db, 50)
    seen: dict[str, str] = {}

    def watch(state: ORMExecuteState) -> None:
        sql = str(state.statement.compile(dialect=postgresql.dialect()))
        for table in ("citizens", "mall_items"):
            if state.is_select and f"FROM {table}" in sql:
                seen.setdefault(table, sql)

    with db.transaction() as session:
        event.listen(session, "do_orm_execute", watch)
        mall.redeem(session, alice, cup)
    assert "FOR NO KEY UPDATE" in seen["citizens"]
    assert "FOR UPDATE" in seen["mall_items"]


@pytest.mark.postgres
def test_redemptions__without_the_locks_overdraw(
    db: Database, registrar: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The locks matter: taken away, concurrent redemptions overdraw the balance and the stock
    (on PostgreSQL; SQLite serialises every writer by itself)."""
    if not db.url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): there is no race to show")
    seller = merchant(db, registrar)
    items = [item(db, seller, price=11, stock=100) for _ in range(5)]
    cup = item(db, seller, price=1, stock=3)
    alice = citizen(db, 116)
    people = [citizen(db, 50) for _ in range(20)]

    def unlocked_item(session: Any, item_id: int) -> mall.MallItem:
        found = session.get(mall.MallItem, item_id, populate_existing=True)
        assert found is not None
        return found  # type: ignore[no-any-return]

    monkeypatch.setattr(ledger, "lock_citizen", lambda session, citizen_id: None)
    monkeypatch.setattr(mall, "lock_item", unlocked_item)
    with slow_reads(db, "ledger_postings"):
        outcomes = at_once(20, lambda i: redeem(db, alice, items[i % 5]))
    assert sum(isinstance(o, mall.Redemption) for o in outcomes) > 10
    assert points(db, alice) < 0  # overdrawn
    with slow_reads(db, "mall_items"):
        outcomes = at_once(20, lambda i: redeem(db, people[i], cup))
    assert sum(isinstance(o, mall.Redemption) for o in outcomes) > 3  # more than the stock
    balanced(db)  # each transaction still sums to zero: the locks, not the ledger, guard the balance


# -- vouchers ------------------------------------------------------------------------------------


def test_vouchers__confirmed_once_at_their_own_merchant_and_settled(
    db: Database, registrar: Participant
) -> None:
    tea, other = merchant(db, registrar), merchant(db, registrar, "Kuanzhai Books")
    cup = item(db, tea, price=30, stock=5)
    alice = citizen(db, 100)
    done = redeem(db, alice, cup, now=NOW)
    assert len(done.code) == mall.CODE_LENGTH and set(done.code) <= set(mall.CODE_ALPHABET)
    with db.transaction() as session:
        assert ledger.account_points(session, ledger.voucher_account(done.voucher.id)) == 30
        with pytest.raises(mall.VoucherNotFound):
            mall.confirm_voucher(session, other, done.code, now=NOW)
        with pytest.raises(mall.VoucherNotFound):
            mall.confirm_voucher(session, tea, "2345678ABCDE", now=NOW)
    with db.transaction() as session:
        # typed in lower case with a dash, as a cashier might
        code = done.code[:6].lower() + "-" + done.code[6:]
        confirmed = mall.confirm_voucher(session, tea, code, now=NOW + timedelta(hours=1))
        assert confirmed.status == mall.CONFIRMED
    with db.transaction() as session:
        with pytest.raises(mall.VoucherAlreadyConfirmed):
            mall.confirm_voucher(session, tea, done.code, now=NOW + timedelta(hours=2))
        seller = session.get(mall.MallMerchant, done.voucher.merchant_id)
        assert seller is not None
        assert ledger.account_points(session, ledger.voucher_account(done.voucher.id)) == 0
        assert ledger.account_points(session, ledger.merchant_account(seller.id)) == 30
        # confirmed vouchers never expire
        assert mall.expire_vouchers(session, NOW + timedelta(days=365)) == []
    assert points(db, alice) == 70
    balanced(db)


def test_vouchers__expire_and_their_points_come_back(db: Database, registrar: Participant) -> None:
    tea = merchant(db, registrar)
    cup = item(db, tea, price=30, stock=5)
    alice = citizen(db, 100)
    first = redeem(db, alice, cup, now=NOW)
    second = redeem(db, alice, cup, now=NOW + timedelta(days=10))
    assert points(db, alice) == 40
    expiry = NOW + mall.VOUCHER_VALIDITY
    with db.transaction() as session:
        assert mall.expire_vouchers(session, expiry - timedelta(seconds=1)) == []
        with pytest.raises(mall.VoucherExpired):
            mall.confirm_voucher(session, tea, first.code, now=expiry)
    with db.transaction() as session:
        assert [v.id for v in mall.expire_vouchers(session, expiry)] == [first.voucher.id]
    with db.transaction() as session:
        assert mall.expire_vouchers(session, expiry) == []  # deterministic: once
        with pytest.raises(mall.VoucherExpired):
            mall.confirm_voucher(session, tea, first.code, now=NOW + timedelta(days=1))
        postings = session.execute(
            select(LedgerPosting.kind, LedgerPosting.account, LedgerPosting.points)
            .where(LedgerPosting.kind == "refund")
            .order_by(LedgerPosting.points)
        ).all()
        assert [tuple(p) for p in postings] == [
            ("refund", ledger.voucher_account(first.voucher.id), -30),
            ("refund", ledger.citizen_account(alice), 30),
        ]
    assert points(db, alice) == 70
    with db.transaction() as session:
        assert ledger.balance(session, alice).earned == 100  # a refund is not an earning
        assert mall.confirm_voucher(session, tea, second.code, now=expiry).status == mall.CONFIRMED
    balanced(db)


def test_refund__gives_points_back_to_their_place_for_first_in_first_out_expiry(
    db: Database, registrar: Participant
) -> None:
    tea = merchant(db, registrar)
    cup = item(db, tea, price=30, stock=5)
    with db.transaction() as session:
        c, _ = ingest.register_citizen(session)
        alice = c.id
        for row in ledger.earn_rows(alice, 0, 100, 0, NOW.date() + timedelta(days=5), NOW):
            session.add(LedgerPosting(**{**row, "act_id": None}))
    redeem(db, alice, cup, now=NOW)
    with db.transaction() as session:
        mall.expire_vouchers(session, NOW + mall.VOUCHER_VALIDITY)
        # the 100 points earned expire on their day: the refunded 30 with them
        assert ledger.expirable(session, alice, NOW.date() + timedelta(days=40)) == 100
    balanced(db)


# -- merchants, items, statements ------------------------------------------------------------------


def test_merchants__only_approved_ones_list_items(db: Database, registrar: Participant) -> None:
    pending = participant(db, "merchant")
    holder = participant(db, "holder")
    with db.transaction() as session:
        with pytest.raises(mall.MerchantNotApproved):
            mall.add_item(session, pending, name="Cup", points_price=10, stock=1)
        with pytest.raises(Forbidden):
            mall.add_item(session, holder, name="Cup", points_price=10, stock=1)
        with pytest.raises(mall.NotAMerchant):
            mall.approve_merchant(session, registrar, holder.public_id, "Holder")
        with pytest.raises(Forbidden):
            mall.approve_merchant(session, holder, pending.public_id, "Pending")
    with db.transaction() as session:
        approved = mall.approve_merchant(session, registrar, pending.public_id, "Tea")
        assert approved.status == "approved"
    with db.transaction() as session:
        with pytest.raises(mall.MerchantAlreadyApproved):
            mall.approve_merchant(session, registrar, pending.public_id, "Tea")
        for bad in ({"points_price": 0, "stock": 1}, {"points_price": 5, "stock": -1}):
            with pytest.raises(InvalidRequest):
                mall.add_item(session, pending, name="Cup", **bad)
        listed = mall.add_item(session, pending, name="Cup", points_price=10, stock=1)
    with db.transaction() as session:
        assert [i["id"] for i in mall.items(session)] == [listed.id]


def test_redemptions__beyond_balance_stock_or_withdrawn_write_nothing(
    db: Database, registrar: Participant
) -> None:
    tea = merchant(db, registrar)
    cup = item(db, tea, price=30, stock=1)
    alice, bob = citizen(db, 20), citizen(db, 100)
    with pytest.raises(mall.InsufficientPoints):
        redeem(db, alice, cup)
    redeem(db, bob, cup)
    with pytest.raises(mall.OutOfStock):
        redeem(db, bob, cup)
    with db.transaction() as session:
        mall.update_item(session, tea, cup, stock=5, active=False)
    with pytest.raises(mall.ItemNotAvailable):
        redeem(db, bob, cup)
    with pytest.raises(mall.ItemNotFound):
        redeem(db, bob, 9999)
    assert (points(db, alice), points(db, bob), count_vouchers(db)) == (20, 70, 1)


def test_statement__the_month_of_confirmations_in_china_standard_time(
    db: Database, registrar: Participant
) -> None:
    tea, other = merchant(db, registrar), merchant(db, registrar, "Books")
    cup = item(db, tea, price=10, stock=10)
    book = item(db, other, price=7, stock=10)
    alice = citizen(db, 1000)
    # 2026-10-31 16:30 UTC is 2026-11-01 00:30 in China: November's.
    moments = [
        datetime(2026, 10, 31, 15, 59, tzinfo=UTC),  # October (23:59 CST)
        datetime(2026, 10, 31, 16, 30, tzinfo=UTC),  # November
        datetime(2026, 11, 20, 8, 0, tzinfo=UTC),  # November
        datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # December (00:00 CST)
    ]
    for at in moments:
        done = redeem(db, alice, cup, now=at - timedelta(hours=1))
        with db.transaction() as session:
            mall.confirm_voucher(session, tea, done.code, now=at)
    book_code = redeem(db, alice, book, now=moments[1]).code
    with db.transaction() as session:
        mall.confirm_voucher(session, other, book_code, now=moments[2])
    redeem(db, alice, cup, now=moments[2])  # issued, never confirmed
    with db.transaction() as session:
        november = mall.statement(session, tea, "2026-11")
        assert [line["confirmed_at"] for line in november["vouchers"]] == [clock.iso(m) for m in moments[1:3]]
        assert (november["count"], november["total_points"]) == (2, 20)
        assert mall.statement(session, tea, "2026-10")["total_points"] == 10
        assert mall.statement(session, tea, "2026-12")["total_points"] == 10
        assert mall.statement(session, other, "2026-11")["total_points"] == 7
        for bad in ("2026-13", "2026-1", "26-11"):
            with pytest.raises(InvalidRequest):
                mall.statement(session, tea, bad)
    balanced(db)


def test_redeem__points_past_their_validity_are_not_spendable_before_the_sweep(
    db: Database, registrar: Participant
) -> None:
    """Points whose validity ended days ago, not yet taken by the day's expiry, cannot be spent:
    otherwise FIFO would count the redemption against them and the expiry would take nothing."""
    seller = merchant(db, registrar)
    cup = item(db, seller, price=100, stock=5)
    with db.transaction() as session:
        c, _ = ingest.register_citizen(session)
        ledger.post(session, "earn", [(ledger.citizen_account(c.id), 100, 0), (ledger.ISSUED, -100, 0)], NOW)
        posting = session.execute(
            select(LedgerPosting).where(LedgerPosting.account == ledger.citizen_account(c.id))
        ).scalar_one()
        posting.expires_on = (NOW - timedelta(days=3)).date()
        citizen_id = c.id
    with pytest.raises(mall.InsufficientPoints):
        redeem(db, citizen_id, cup)
    assert count_vouchers(db) == 0
