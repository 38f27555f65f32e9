"""Points campaigns (R20): time-boxed extra points for a scene (or every scene), set by the
registrar — "double points on the car-free day", "50 bonus points for a bus ride this week".

A campaign runs from ``starts_on`` to ``ends_on``, both included, days of China Standard Time
(UTC+8), and offers either a ``multiplier`` (a decimal string, 1 < m <= 10, at most two
decimals) or ``bonus_points`` (1 to 10,000). An act falls in a campaign when its scene is the
campaign's (a campaign without a scene covers every scene) and the CST day of its
``occurred_at`` is in the campaign's days. Two campaigns that overlap in days and scene (a
campaign for every scene overlaps every other) are refused: at most one campaign touches an act.

How the ingestion applies it (registry/points/ingest.py; docs/points/campaigns.md):

* the act is valued and capped as always: the scene's daily and monthly caps bound its
  **base** points (and only base points count against the caps);
* a multiplier then adds ``floor(base x m) - base`` points (the total rounded down); a bonus adds
  ``bonus_points`` to the citizen's first act in the campaign's scope on each CST day (once per
  citizen, campaign and day). An act with no base point (too small, or cut to nothing by a cap)
  earns no campaign points;
* the extra points are posted in the act's own ledger transaction (``earn-act-<id>``) as a
  second pair of postings with no grams, carrying the campaign's id (``campaign_id``): the
  grams avoided — and the leaderboards — never change with campaigns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, or_, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry import clock
from registry.errors import Conflict, InvalidRequest
from registry.models import Base, Participant
from registry.participants import require_role
from registry.points import valuation

#: China Standard Time: campaign days and leaderboard periods are read on this clock.
CST = timezone(timedelta(hours=8), "CST")
MAX_NAME = 80
MIN_MULTIPLIER = Decimal(1)  # exclusive
MAX_MULTIPLIER = Decimal(10)  # inclusive
MAX_BONUS = 10_000
MAX_DAYS = 366
_DECIMAL = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")


class InvalidCampaign(InvalidRequest):
    """A campaign that cannot be set; ``details.reason`` is one of ``REASONS``."""

    code = "invalid_campaign"


#: The stable reasons of an ``invalid_campaign`` error.
REASONS = (
    "bad_name",
    "unknown_scene",
    "ends_before_starts",
    "ends_in_the_past",
    "too_long",
    "multiplier_or_bonus",
    "not_a_decimal",
    "multiplier_out_of_range",
    "bonus_out_of_range",
)


class CampaignOverlaps(Conflict):
    """Another campaign covers some of the same days and scene."""

    code = "campaign_overlaps"


class Campaign(Base):
    """A time-boxed multiplier or bonus on the points of a scene's acts (or every scene's)."""

    __tablename__ = "points_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    scene: Mapped[str | None] = mapped_column(String(40), nullable=True)  # None: every scene
    starts_on: Mapped[date] = mapped_column(Date)  # CST, included
    ends_on: Mapped[date] = mapped_column(Date, index=True)  # CST, included
    multiplier: Mapped[str | None] = mapped_column(String(20), nullable=True)  # a Decimal as text
    bonus_points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def cst_today() -> date:
    return clock.now().astimezone(CST).date()


def cst_day(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were written in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).date()


def has_control_characters(value: str) -> bool:
    """Control, format (bidi overrides, zero-width), surrogate, private-use or unassigned
    characters, and line or paragraph separators."""
    return any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in value)


def _refuse(reason: str, message: str, field: str) -> InvalidCampaign:
    return InvalidCampaign(message, field=field, reason=reason)


def parse_multiplier(value: Any) -> Decimal:
    """A multiplier: a decimal string (digits, at most two decimals: "2", "1.5"), 1 < m <= 10."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise _refuse(
            "not_a_decimal", 'the multiplier is a decimal string such as "2" or "1.5"', "multiplier"
        )
    multiplier = Decimal(value)
    if not MIN_MULTIPLIER < multiplier <= MAX_MULTIPLIER:
        raise _refuse(
            "multiplier_out_of_range",
            f"the multiplier must be above {MIN_MULTIPLIER} and at most {MAX_MULTIPLIER}",
            "multiplier",
        )
    return multiplier


def create(
    session: Session,
    actor: Participant,
    *,
    name: str,
    scene: str | None,
    starts_on: date,
    ends_on: date,
    multiplier: str | None = None,
    bonus_points: int | None = None,
) -> Campaign:
    """Sets a campaign (registrar). InvalidCampaign (400) for bad terms, CampaignOverlaps (409)
    when another covers some of its days and scene; nothing is written then."""
    require_role(actor, "registrar")
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= MAX_NAME or has_control_characters(name):
        raise _refuse("bad_name", f"a name of 1 to {MAX_NAME} characters, no control characters", "name")
    if scene is not None and scene not in valuation.scene_codes():
        raise _refuse(
            "unknown_scene",
            f"scene must be one of {', '.join(sorted(valuation.scene_codes()))}, or null for every scene",
            "scene",
        )
    if ends_on < starts_on:
        raise _refuse("ends_before_starts", "ends_on is before starts_on", "ends_on")
    if ends_on < cst_today():
        raise _refuse("ends_in_the_past", "the campaign would end before today (CST)", "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise _refuse("too_long", f"a campaign lasts at most {MAX_DAYS} days", "ends_on")
    if (multiplier is None) == (bonus_points is None):
        raise _refuse("multiplier_or_bonus", "give either a multiplier or bonus_points", "multiplier")
    if multiplier is not None:
        multiplier = str(parse_multiplier(multiplier))
    if bonus_points is not None and (
        isinstance(bonus_points, bool)
        or not isinstance(bonus_points, int)
        or not 0 < bonus_points <= MAX_BONUS
    ):
        raise _refuse(
            "bonus_out_of_range", f"bonus_points is a whole number from 1 to {MAX_BONUS}", "bonus_points"
        )
    # One campaign set at a time (the overlap check reads what another could be writing):
    # PostgreSQL locks the table against other writers; SQLite's BEGIN IMMEDIATE serialises them.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE points_campaigns IN SHARE ROW EXCLUSIVE MODE"))
    clash = session.execute(
        select(Campaign)
        .where(
            Campaign.starts_on <= ends_on,
            Campaign.ends_on >= starts_on,
            *([] if scene is None else [or_(Campaign.scene.is_(None), Campaign.scene == scene)]),
        )
        .order_by(Campaign.id)
        .limit(1)
    ).scalar_one_or_none()
    if clash is not None:
        raise CampaignOverlaps(
            f"campaign {clash.id} ({clash.name}) covers {clash.scene or 'every scene'} from "
            f"{clash.starts_on} to {clash.ends_on}",
            campaign=clash.id,
        )
    campaign = Campaign(
        name=name,
        scene=scene,
        starts_on=starts_on,
        ends_on=ends_on,
        multiplier=multiplier,
        bonus_points=bonus_points,
        created_by=actor.id,
        created_at=clock.now(),
    )
    session.add(campaign)
    session.flush()
    return campaign


def listing(session: Session, today: date | None = None) -> list[Campaign]:
    """Campaigns running today or later (CST), soonest first."""
    today = today or cst_today()
    return list(
        session.execute(
            select(Campaign).where(Campaign.ends_on >= today).order_by(Campaign.starts_on, Campaign.id)
        ).scalars()
    )


def view(campaign: Campaign, today: date | None = None) -> dict[str, Any]:
    today = today or cst_today()
    status = "upcoming" if campaign.starts_on > today else "ended" if campaign.ends_on < today else "active"
    return {
        "id": campaign.id,
        "name": campaign.name,
        "scene": campaign.scene,
        "starts_on": str(campaign.starts_on),
        "ends_on": str(campaign.ends_on),
        "multiplier": campaign.multiplier,
        "bonus_points": campaign.bonus_points,
        "status": status,
    }


# -- what the ingestion uses -------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A campaign's terms, as the ingestion applies them."""

    id: int
    scene: str | None
    starts_on: date
    ends_on: date
    multiplier: Decimal | None
    bonus_points: int | None

    def extra(self, base: int, bonus_due: bool) -> int:
        """The points the campaign adds to an act's (capped) `base` points."""
        if base <= 0:
            return 0
        if self.multiplier is not None:
            total = int((base * self.multiplier).to_integral_value(rounding=ROUND_FLOOR))
            return total - base
        return (self.bonus_points or 0) if bonus_due else 0


class Offers:
    """The campaigns in force over some days, loaded once per batch: ``find(scene, day)``."""

    def __init__(self, offers: Iterable[Offer]) -> None:
        self.by_scene: dict[str | None, list[Offer]] = defaultdict(list)
        for offer in offers:
            self.by_scene[offer.scene].append(offer)

    def __bool__(self) -> bool:
        return bool(self.by_scene)

    @property
    def bonus_ids(self) -> list[int]:
        return [o.id for offers in self.by_scene.values() for o in offers if o.bonus_points is not None]

    def find(self, scene: str, day: date) -> Offer | None:
        for key in (scene, None):
            for offer in self.by_scene.get(key, []):
                if offer.starts_on <= day <= offer.ends_on:
                    return offer
        return None


def offers(session: Session, scenes: Iterable[str], first: date, last: date) -> Offers:
    """The campaigns for `scenes` (or every scene) running on any CST day from `first` to `last`."""
    rows = session.execute(
        select(Campaign).where(
            Campaign.starts_on <= last,
            Campaign.ends_on >= first,
            or_(Campaign.scene.is_(None), Campaign.scene.in_(list(scenes))),
        )
    ).scalars()
    return Offers(
        Offer(
            c.id,
            c.scene,
            c.starts_on,
            c.ends_on,
            Decimal(c.multiplier) if c.multiplier is not None else None,
            c.bonus_points,
        )
        for c in rows
    )
