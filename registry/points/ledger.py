"""The points ledger: append-only double entry. Every transaction posts to two or more accounts
and its postings sum to zero; a citizen's balance is the sum of its account's postings, never a
stored number that could drift. Accounts: ``citizen:<id>``, ``scheme:issued`` (what earning
draws on), ``scheme:expired``, ``merchant:<id>`` (what redemptions pay to), ``voucher:<id>`` (the
mall's vouchers: what a redemption holds until the merchant confirms it or it expires).

Kinds: ``earn``, ``redeem``, ``expire``, ``reverse`` (an earning taken back), and the mall's
``settle`` (a confirmed voucher's points paid on to its merchant: ``voucher:<id>`` -> ``merchant:<id>``)
and ``refund`` (an expired voucher's points given back: ``voucher:<id>`` -> ``citizen:<id>``). A
refund cancels the redemption it refunds, for first-in, first-out expiry too: the points go back
to their place (and expire when they would have).

Expiry is first-in, first-out: points earned longest ago are spent or expire first, so what
expires on a day is what was earned up to that day's cut-off and has not been spent, expired or
reversed yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from registry.models import Citizen, LedgerPosting

ISSUED = "scheme:issued"
EXPIRED = "scheme:expired"
KINDS = ("earn", "redeem", "expire", "reverse", "settle", "refund")
#: The kinds that spend (or give back) a citizen's earned points, for first-in, first-out expiry.
USING = ("redeem", "expire", "reverse", "refund")


def citizen_account(citizen_id: int) -> str:
    return f"citizen:{citizen_id}"


def voucher_account(voucher_id: int) -> str:
    return f"voucher:{voucher_id}"


def merchant_account(merchant_id: int | str) -> str:
    return f"merchant:{merchant_id}"


def new_txn(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Balance:
    points: int  # what the citizen can spend
    earned: int  # every point ever earned (reversals deducted)
    grams: int  # CO2e avoided by the acts behind the earned points


def balance(session: Session, citizen_id: int) -> Balance:
    account = citizen_account(citizen_id)
    row = session.execute(
        select(
            func.coalesce(func.sum(LedgerPosting.points), 0),
            func.coalesce(
                func.sum(case((LedgerPosting.kind.in_(("earn", "reverse")), LedgerPosting.points), else_=0)),
                0,
            ),
            func.coalesce(func.sum(LedgerPosting.grams), 0),
        ).where(LedgerPosting.account == account)
    ).one()
    return Balance(points=int(row[0]), earned=int(row[1]), grams=int(row[2]))


#: The columns of a posting as ``earn_postings`` gives it (the ingestion's COPY).
POSTING_COLUMNS = (
    "txn", "kind", "account", "citizen_id", "points", "grams", "act_id", "expires_on", "created_at",
    "campaign_id",
)  # fmt: skip


def earn_postings(
    citizen_id: int,
    act_id: int,
    points: int,
    grams: int,
    expires_on: date,
    at: datetime,
    campaign_id: int | None = None,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The two postings of an act's points, as tuples in ``POSTING_COLUMNS`` order: the
    citizen's account gains them, the scheme's issued account gives them (a campaign's extra
    points are a second pair in the act's transaction, carrying the campaign's id)."""
    txn = f"earn-act-{act_id}"
    account = citizen_account(citizen_id)
    return (
        (txn, "earn", account, citizen_id, points, grams, act_id, expires_on, at, campaign_id),
        (txn, "earn", ISSUED, None, -points, -grams, act_id, None, at, campaign_id),
    )


def earn_rows(
    citizen_id: int, act_id: int, points: int, grams: int, expires_on: date, at: datetime
) -> list[dict[str, Any]]:
    """``earn_postings`` as mappings of column names."""
    return [
        dict(zip(POSTING_COLUMNS, posting, strict=True))
        for posting in earn_postings(citizen_id, act_id, points, grams, expires_on, at)
    ]


def post(session: Session, kind: str, entries: list[tuple[str, int, int]], at: datetime) -> str:
    """Posts one transaction: `entries` as (account, points, grams), summing to zero."""
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if sum(p for _, p, _ in entries) != 0 or sum(g for _, _, g in entries) != 0:
        raise ValueError("a transaction's postings must sum to zero")
    txn = new_txn(kind)
    session.add_all(
        LedgerPosting(
            txn=txn,
            kind=kind,
            account=a,
            citizen_id=int(a.split(":", 1)[1]) if a.startswith("citizen:") else None,
            points=p,
            grams=g,
            created_at=at,
        )
        for a, p, g in entries
    )
    session.flush()
    return txn


def redeem(session: Session, citizen_id: int, points: int, merchant: str, at: datetime) -> str:
    """Spends `points` of the citizen's balance with a merchant (the mall builds on this)."""
    if points <= 0:
        raise ValueError("redeem a positive number of points")
    if balance(session, citizen_id).points < points:
        raise ValueError("not enough points")
    return post(
        session,
        "redeem",
        [(citizen_account(citizen_id), -points, 0), (f"merchant:{merchant}", points, 0)],
        at,
    )


def expirable(session: Session, citizen_id: int, today: date) -> int:
    """Points the citizen earned that expired by `today` and are not spent, expired or reversed
    yet (first in, first out)."""
    account = citizen_account(citizen_id)
    due = session.execute(
        select(func.coalesce(func.sum(LedgerPosting.points), 0)).where(
            LedgerPosting.account == account, LedgerPosting.kind == "earn", LedgerPosting.expires_on <= today
        )
    ).scalar_one()
    used = session.execute(
        select(func.coalesce(func.sum(LedgerPosting.points), 0)).where(
            LedgerPosting.account == account, LedgerPosting.kind.in_(USING)
        )
    ).scalar_one()  # negative (a refund gives back what its redemption took)
    return max(0, int(due) + int(used))


def expire(session: Session, today: date, at: datetime) -> dict[int, int]:
    """Expires, for every citizen, what is due by `today`; returns {citizen id: points expired}."""
    accounts = session.execute(
        select(LedgerPosting.account)
        .where(
            LedgerPosting.kind == "earn",
            LedgerPosting.expires_on <= today,
            LedgerPosting.account.like("citizen:%"),
        )
        .distinct()
    ).scalars()
    done: dict[int, int] = {}
    for citizen_id in sorted(int(account.split(":", 1)[1]) for account in accounts):
        # Under the citizen's lock, as a redemption spends: what expires is read and posted
        # without a concurrent spend of the same points in between.
        lock_citizen(session, citizen_id)
        account = citizen_account(citizen_id)
        points = expirable(session, citizen_id, today)
        if points > 0:
            post(session, "expire", [(account, -points, 0), (EXPIRED, points, 0)], at)
            done[citizen_id] = points
    return done


def unbalanced_transactions(session: Session) -> list[str]:
    """Transactions whose postings do not sum to zero (the ledger's law; empty when it holds)."""
    rows = session.execute(
        select(LedgerPosting.txn)
        .group_by(LedgerPosting.txn)
        .having((func.sum(LedgerPosting.points) != 0) | (func.sum(LedgerPosting.grams) != 0))
    ).scalars()
    return list(rows)


# -- the mall's vouchers: redeem into a voucher, then settle (confirmed) or refund (expired) ------


def lock_citizen(session: Session, citizen_id: int) -> None:
    """Locks the citizen's row until the transaction ends (``SELECT ... FOR NO KEY UPDATE`` on
    PostgreSQL, which still lets acts be written for the citizen; SQLite serialises writers with
    ``BEGIN IMMEDIATE``). A spend takes it before reading the balance, so two concurrent spends
    of one citizen are checked one after the other and never overdraw."""
    session.execute(
        select(Citizen.id).where(Citizen.id == citizen_id).with_for_update(key_share=True)
    ).scalar_one()


def account_points(session: Session, account: str) -> int:
    """The sum of an account's postings (any account: ``voucher:<id>``, ``merchant:<id>``...)."""
    total = session.execute(
        select(func.coalesce(func.sum(LedgerPosting.points), 0)).where(LedgerPosting.account == account)
    ).scalar_one()
    return int(total)


def redeem_into_voucher(session: Session, citizen_id: int, points: int, voucher_id: int, at: datetime) -> str:
    """Moves `points` from the citizen's account to the voucher's (a ``redeem`` transaction). The
    caller holds :func:`lock_citizen` and has checked the balance."""
    if points <= 0:
        raise ValueError("redeem a positive number of points")
    return post(
        session,
        "redeem",
        [(citizen_account(citizen_id), -points, 0), (voucher_account(voucher_id), points, 0)],
        at,
    )


def settle_voucher(session: Session, voucher_id: int, merchant_id: int, at: datetime) -> str:
    """A confirmed voucher: what it holds goes to its merchant (a ``settle`` transaction)."""
    points = account_points(session, voucher_account(voucher_id))
    if points <= 0:
        raise ValueError(f"voucher {voucher_id} holds no points")
    return post(
        session,
        "settle",
        [(voucher_account(voucher_id), -points, 0), (merchant_account(merchant_id), points, 0)],
        at,
    )


def refund_voucher(session: Session, voucher_id: int, citizen_id: int, at: datetime) -> str:
    """An expired voucher: what it holds goes back to the citizen (a ``refund`` transaction)."""
    points = account_points(session, voucher_account(voucher_id))
    if points <= 0:
        raise ValueError(f"voucher {voucher_id} holds no points")
    return post(
        session,
        "refund",
        [(voucher_account(voucher_id), -points, 0), (citizen_account(citizen_id), points, 0)],
        at,
    )
