"""Low-carbon champions (R20): citizens' display names, their opt-out of the leaderboards, and the
monthly and yearly leaderboards by grams of CO2e avoided.

A leaderboard ranks the citizens by the grams their acts avoided in a month or a year of China
Standard Time (UTC+8), net of reversals, read from the points ledger: a citizen's ``earn`` and
``reverse`` postings, each counted in the period of its act's ``occurred_at`` (a posting without
an act — a reversal — in the period it was posted). Closed accounts, citizens who opted out and
citizens with no grams in the period are left out. Ties are ranked deterministically: more
grams first, then more points, then the citizen registered first; ranks are 1, 2, 3... with no
shared rank. Rank 1 is the period's **low-carbon champion**. A citizen without a display name
shows as ``Citizen ####``, four digits derived from its pseudonym (never its id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from registry.campaigns import CST, cst_today, has_control_characters
from registry.errors import InvalidRequest
from registry.models import Citizen, LedgerPosting, PointsAct

MAX_DISPLAY_NAME = 40
MAX_LIMIT = 100
PERIODS = ("month", "year")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")


class InvalidDisplayName(InvalidRequest):
    code = "invalid_display_name"


class InvalidPeriod(InvalidRequest):
    code = "invalid_period"


# -- profile -----------------------------------------------------------------------------------


def label(citizen: Citizen) -> str:
    """The neutral name of a citizen without a display name: four digits of its pseudonym."""
    return f"Citizen {int(citizen.pseudonym[2:], 16) % 10_000:04d}"


def profile(citizen: Citizen) -> dict[str, Any]:
    return {
        "id": citizen.public_id,
        "display_name": citizen.display_name,
        "shown_as": citizen.display_name or label(citizen),
        "leaderboard": not citizen.leaderboard_opt_out,
    }


_UNSET: Any = object()


def set_profile(
    session: Session, citizen_id: int, *, display_name: str | None = _UNSET, leaderboard: bool | None = None
) -> Citizen:
    """Sets the citizen's display name (1 to 40 characters once trimmed, no control characters;
    None clears it; not unique) and/or whether it appears on the leaderboards."""
    citizen = session.get(Citizen, citizen_id, with_for_update=True)
    if citizen is None or citizen.closed_at is not None:
        from registry.errors import Unauthenticated

        raise Unauthenticated("the citizen's token is not valid")
    if display_name is not _UNSET:
        if display_name is not None:
            if not isinstance(display_name, str):
                raise InvalidDisplayName("the display name is text", field="display_name")
            bad = has_control_characters(display_name)  # tabs, newlines, separators included
            display_name = " ".join(display_name.split())  # trimmed, inner runs of spaces as one
            if bad or not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
                raise InvalidDisplayName(
                    f"a display name has 1 to {MAX_DISPLAY_NAME} characters and no control characters",
                    field="display_name",
                )
        citizen.display_name = display_name
    if leaderboard is not None:
        citizen.leaderboard_opt_out = not leaderboard
    session.flush()
    return citizen


# -- leaderboards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # month | year
    at: str  # YYYY-MM | YYYY
    start: datetime  # CST midnight, included
    end: datetime  # CST midnight, excluded


def period(kind: str, at: str | None = None) -> Period:
    """The CST month (``at`` = YYYY-MM) or year (YYYY); the current one without ``at``."""
    today = cst_today()
    if kind not in PERIODS:
        raise InvalidPeriod("period is month or year", field="period")
    if kind == "month":
        if at is None:
            year, month = today.year, today.month
        else:
            match = _MONTH.fullmatch(at)
            if not match or not 1 <= int(match[2]) <= 12 or not 1970 <= int(match[1]) <= 9998:
                raise InvalidPeriod("at is a month, YYYY-MM", field="at")
            year, month = int(match[1]), int(match[2])
        start = datetime(year, month, 1, tzinfo=CST)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CST)
        return Period(kind, f"{year:04d}-{month:02d}", start, end)
    if at is None:
        year = today.year
    else:
        if not _YEAR.fullmatch(at) or not 1970 <= int(at) <= 9998:
            raise InvalidPeriod("at is a year, YYYY", field="at")
        year = int(at)
    return Period(kind, f"{year:04d}", datetime(year, 1, 1, tzinfo=CST), datetime(year + 1, 1, 1, tzinfo=CST))


def leaderboard(session: Session, kind: str, at: str | None = None, limit: int = 10) -> dict[str, Any]:
    """The period's ranking by grams avoided; rank 1 is the low-carbon champion."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit is 1 to {MAX_LIMIT}", field="limit")
    p = period(kind, at)
    when = func.coalesce(PointsAct.occurred_at, LedgerPosting.created_at)
    grams = func.sum(LedgerPosting.grams)
    points = func.sum(LedgerPosting.points)
    rows = session.execute(
        select(Citizen.id, Citizen.pseudonym, Citizen.display_name, grams, points)
        .select_from(LedgerPosting)
        .join(Citizen, Citizen.id == LedgerPosting.citizen_id)
        .outerjoin(PointsAct, PointsAct.id == LedgerPosting.act_id)
        .where(
            LedgerPosting.kind.in_(("earn", "reverse")),
            LedgerPosting.citizen_id.is_not(None),  # the citizen's side of each transaction
            when >= p.start.astimezone(UTC),
            when < p.end.astimezone(UTC),
            Citizen.closed_at.is_(None),
            Citizen.leaderboard_opt_out == false(),
        )
        .group_by(Citizen.id, Citizen.pseudonym, Citizen.display_name)
        .having(grams > 0)
        .order_by(grams.desc(), points.desc(), Citizen.id)
        .limit(limit)
    ).all()
    entries = []
    for rank, (_, pseudonym, display_name, g, pts) in enumerate(rows, start=1):
        shown = display_name or label(Citizen(pseudonym=pseudonym))
        entries.append(
            {
                "rank": rank,
                "name": shown,
                "named": display_name is not None,
                "grams": int(g),
                "points": int(pts),
                "champion": rank == 1,
            }
        )
    return {
        "period": p.kind,
        "at": p.at,
        "starts_at": p.start.isoformat(),
        "ends_at": p.end.isoformat(),
        "champion": entries[0] if entries else None,
        "entries": entries,
    }
