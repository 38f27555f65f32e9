"""The points ledger: append-only double entry. Every transaction posts to two or more accounts
and its postings sum to zero; a citizen's balance is the sum of its account's postings, never a
stored number that could drift. Accounts: ``citizen:<id>``, ``scheme:issued`` (what earning
draws on), ``scheme:expired``, ``merchant:<id>`` (what redemptions pay to).

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

from registry.models import LedgerPosting

ISSUED = "scheme:issued"
EXPIRED = "scheme:expired"
KINDS = ("earn", "redeem", "expire", "reverse")


def citizen_account(citizen_id: int) -> str:
    return f"citizen:{citizen_id}"


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


def earn_rows(
    citizen_id: int, act_id: int, points: int, grams: int, expires_on: date, at: datetime
) -> list[dict[str, Any]]:
    """The two postings of an act's points: the citizen's account gains them, the scheme's
    issued account gives them (rows for a bulk insert)."""
    txn = f"earn-act-{act_id}"
    common = {"txn": txn, "kind": "earn", "act_id": act_id, "created_at": at}
    return [
        {
            **common,
            "account": citizen_account(citizen_id),
            "citizen_id": citizen_id,
            "points": points,
            "grams": grams,
            "expires_on": expires_on,
        },
        {
            **common,
            "account": ISSUED,
            "citizen_id": None,
            "points": -points,
            "grams": -grams,
            "expires_on": None,
        },
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
            LedgerPosting.account == account, LedgerPosting.kind.in_(("redeem", "expire", "reverse"))
        )
    ).scalar_one()  # negative
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
    for account in list(accounts):
        citizen_id = int(account.split(":", 1)[1])
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
