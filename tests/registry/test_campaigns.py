"""Points campaigns in the rules engine (R20), on SQLite and PostgreSQL: a campaign applies to
its scene's acts on its CST days only, after the caps (only base points count against them),
multipliers rounded down, bonuses once a citizen, campaign and day; the extra points are
postings of their own carrying the campaign's id, with no grams; overlapping campaigns and bad
terms are refused and write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from registry import campaigns
from registry.campaigns import CST, Campaign, CampaignOverlaps, InvalidCampaign
from registry.db import Database
from registry.models import Citizen, LedgerPosting, Participant, PointsAct, PointsPartner
from registry.points import ingest, ledger
from tests.registry.test_feed import new_participant

SECRET = "test-secret"
CAR_FREE_POINTS, CAR_FREE_GRAMS = 257, 2578  # docs/points/car_free_day.md
METRO_POINTS, METRO_GRAMS = 58, 583  # docs/points/metro.md, 12.5 km
TODAY = campaigns.cst_today()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def registrar(db: Database) -> Participant:
    return new_participant(db, "registrar")


def at_cst(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=CST).astimezone(UTC)


def campaign(
    db: Database,
    actor: Participant,
    monkeypatch: pytest.MonkeyPatch,
    *,
    today: date = YESTERDAY,
    **terms: Any,
) -> int:
    """A campaign set as if it were `today` (so one on yesterday can be set)."""
    terms = {
        "name": "Car-free day",
        "scene": "car_free_day",
        "starts_on": YESTERDAY,
        "ends_on": YESTERDAY,
        **terms,
    }
    with monkeypatch.context() as m:
        m.setattr(campaigns, "cst_today", lambda: today)
        with db.transaction() as session:
            return campaigns.create(session, actor, **terms).id


def partner(db: Database, *scenes: str) -> PointsPartner:
    with db.transaction() as session:
        p, _ = ingest.register_partner(session, SECRET, "Partner", list(scenes))
        session.expunge(p)
        return p


def citizen(db: Database) -> str:
    with db.transaction() as session:
        c, _ = ingest.register_citizen(session)
        return c.public_id


def send(
    db: Database, who: PointsPartner, *acts: tuple[str, str, str, datetime, str]
) -> list[ingest.Outcome]:
    """acts: (record id, citizen, scene, occurred_at, quantity)."""
    records = [
        {
            "id": r,
            "citizen": c,
            "scene": s,
            "occurred_at": t.isoformat(),
            "quantity": q,
            **({"detail": {"propulsion": "battery_electric"}} if s == "bus" else {}),
        }
        for r, c, s, t, q in acts
    ]
    with db.transaction() as session:
        p = session.get(PointsPartner, who.id)
        assert p is not None
        return ingest.ingest(session, p, records)


def postings(db: Database, record_id: str) -> list[tuple[str, int, int, int | None]]:
    """The citizen's side of an act's postings: (txn, points, grams, campaign id)."""
    with db.transaction() as session:
        rows = session.execute(
            select(LedgerPosting.txn, LedgerPosting.points, LedgerPosting.grams, LedgerPosting.campaign_id)
            .join(PointsAct, PointsAct.id == LedgerPosting.act_id)
            .where(PointsAct.record_id == record_id, LedgerPosting.citizen_id.is_not(None))
            .order_by(LedgerPosting.id)
        ).all()
        assert ledger.unbalanced_transactions(session) == []
    return [tuple(r) for r in rows]  # type: ignore[misc]


def history(db: Database, public_id: str) -> list[dict[str, Any]]:
    with db.transaction() as session:
        c = session.execute(select(Citizen).where(Citizen.public_id == public_id)).scalar_one()
        return ingest.history(session, c)


def test_double_points_on_the_car_free_day_only_for_its_scene_and_days(
    db: Database, registrar: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = campaign(db, registrar, monkeypatch, multiplier="2")
    traffic, metro = partner(db, "car_free_day"), partner(db, "metro")
    alice, bob, carol, dave = (citizen(db) for _ in range(4))
    out = send(
        db,
        traffic,
        ("a", alice, "car_free_day", at_cst(YESTERDAY, 23, 59), "1"),  # the campaign's last minute
        ("b", bob, "car_free_day", at_cst(TODAY, 0, 0, 30), "1"),  # the day after (CST)
        ("c", carol, "car_free_day", at_cst(YESTERDAY, 0, 0, 0), "1"),  # its first second
    )
    assert [(o.status, o.points, o.grams) for o in out] == [
        ("accepted", 2 * CAR_FREE_POINTS, CAR_FREE_GRAMS),
        ("accepted", CAR_FREE_POINTS, CAR_FREE_GRAMS),
        ("accepted", 2 * CAR_FREE_POINTS, CAR_FREE_GRAMS),
    ]
    # The act's own points, then the campaign's: same transaction, no grams, the campaign's id.
    assert postings(db, "a") == [
        ("earn-act-1", CAR_FREE_POINTS, CAR_FREE_GRAMS, None),
        ("earn-act-1", CAR_FREE_POINTS, 0, cid),
    ]
    assert postings(db, "b") == [("earn-act-2", CAR_FREE_POINTS, CAR_FREE_GRAMS, None)]
    # Another scene on the same day: untouched.
    assert send(db, metro, ("m", dave, "metro", at_cst(YESTERDAY, 12), "12.5"))[0].points == METRO_POINTS
    assert postings(db, "m")[0][3] is None and len(postings(db, "m")) == 1
    # The citizen's history shows the campaign on the entry it touched.
    entries = history(db, alice)
    assert [(e["points"], e.get("campaign")) for e in entries] == [
        (CAR_FREE_POINTS, {"id": cid, "name": "Car-free day"}),
        (CAR_FREE_POINTS, None),
    ]
    with db.transaction() as session:
        a = session.execute(select(Citizen).where(Citizen.public_id == alice)).scalar_one()
        b = ledger.balance(session, a.id)
        assert (b.points, b.earned, b.grams) == (2 * CAR_FREE_POINTS, 2 * CAR_FREE_POINTS, CAR_FREE_GRAMS)


def test_campaigns_apply_after_the_caps_and_round_down(
    db: Database, registrar: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = campaign(db, registrar, monkeypatch, multiplier="2")
    campaign(db, registrar, monkeypatch, name="Metro week", scene="metro", multiplier="1.25")
    traffic, metro = partner(db, "car_free_day"), partner(db, "metro")
    alice, bob = citizen(db), citizen(db)
    # The daily cap of 260 bounds the base points (257, then 3); the campaign doubles what the
    # cap let through, and only base points count against the cap.
    out = send(
        db,
        traffic,
        *((f"c{i}", alice, "car_free_day", at_cst(YESTERDAY, 9, i), "1") for i in range(3)),
    )
    assert [(o.status, o.reason, o.points) for o in out] == [
        ("accepted", None, 2 * CAR_FREE_POINTS),
        ("accepted", None, 2 * 3),
        ("rejected", "cap_reached", 0),
    ]
    assert out[1].grams == CAR_FREE_GRAMS * 3 // CAR_FREE_POINTS  # grams follow the capped base points
    assert postings(db, "c1") == [("earn-act-2", 3, 30, None), ("earn-act-2", 3, 0, cid)]
    with db.transaction() as session:
        assert (
            session.execute(
                select(func.sum(PointsAct.points)).where(PointsAct.scene == "car_free_day")
            ).scalar_one()
            == 260
        )
    # 1.25 x 58 = 72.5 -> 72 (rounded down): 14 extra points.
    assert send(db, metro, ("m", bob, "metro", at_cst(YESTERDAY, 8), "12.5"))[0].points == 72
    # An act worth no base point earns no campaign point.
    tiny = send(db, metro, ("t", bob, "metro", at_cst(YESTERDAY, 9), "0.1"))[0]
    assert (tiny.status, tiny.points) == ("accepted", 0)
    assert postings(db, "t") == []


def test_a_bonus_is_once_a_citizen_campaign_and_day(
    db: Database, registrar: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = campaign(
        db,
        registrar,
        monkeypatch,
        name="Bus days",
        scene="bus",
        starts_on=YESTERDAY,
        ends_on=TODAY,
        bonus_points=50,
    )
    buses = partner(db, "bus")
    alice, bob = citizen(db), citizen(db)
    ride = "10"  # km: 10 x 26.9 g = 269 g -> 26 points
    first = send(
        db,
        buses,
        ("a1", alice, "bus", at_cst(YESTERDAY, 8), ride),
        ("a2", alice, "bus", at_cst(YESTERDAY, 18), ride),
        ("b1", bob, "bus", at_cst(YESTERDAY, 8), ride),
    )
    assert [o.points for o in first] == [26 + 50, 26, 26 + 50]
    # Another batch, the same day: no second bonus; the next day: a new one.
    again = send(
        db,
        buses,
        ("a3", alice, "bus", at_cst(YESTERDAY, 19), ride),
        ("a4", alice, "bus", at_cst(TODAY, 0, 1), ride),
    )
    assert [o.points for o in again] == [26, 26 + 50]
    assert postings(db, "a4") == [("earn-act-5", 26, 269, None), ("earn-act-5", 50, 0, cid)]


def test_overlapping_campaigns_are_refused_and_nothing_is_written(
    db: Database, registrar: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = campaign(
        db,
        registrar,
        monkeypatch,
        today=TODAY,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=2),
        multiplier="2",
    )
    clashes = [
        {
            "starts_on": TODAY + timedelta(days=2),
            "ends_on": TODAY + timedelta(days=3),
        },  # same scene, a day shared
        {
            "scene": None,
            "starts_on": TODAY + timedelta(days=1),
            "ends_on": TODAY + timedelta(days=1),
        },  # every scene
    ]
    for clash in clashes:
        with pytest.raises(CampaignOverlaps) as refused:
            campaign(db, registrar, monkeypatch, today=TODAY, multiplier="2", **clash)
        assert refused.value.code == "campaign_overlaps" and refused.value.status == 409
        assert refused.value.details["campaign"] == first
    # Another scene, or the day after: fine.
    campaign(
        db, registrar, monkeypatch, today=TODAY, scene="bus", starts_on=TODAY, ends_on=TODAY, bonus_points=5
    )
    campaign(
        db,
        registrar,
        monkeypatch,
        today=TODAY,
        starts_on=TODAY + timedelta(days=3),
        ends_on=TODAY + timedelta(days=3),
        multiplier="3",
    )
    with db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 3
        assert [c.id for c in campaigns.listing(session)] == [first, 2, 3]


@pytest.mark.parametrize(
    ("terms", "reason", "field"),
    [
        ({"multiplier": "0"}, "multiplier_out_of_range", "multiplier"),
        ({"multiplier": "1"}, "multiplier_out_of_range", "multiplier"),
        ({"multiplier": "11"}, "multiplier_out_of_range", "multiplier"),
        ({"multiplier": "1e1"}, "not_a_decimal", "multiplier"),
        ({"multiplier": "NaN"}, "not_a_decimal", "multiplier"),
        ({"multiplier": "-2"}, "not_a_decimal", "multiplier"),
        ({"multiplier": "1.255"}, "not_a_decimal", "multiplier"),
        ({"multiplier": "2", "bonus_points": 5}, "multiplier_or_bonus", "multiplier"),
        ({}, "multiplier_or_bonus", "multiplier"),
        ({"bonus_points": 0}, "bonus_out_of_range", "bonus_points"),
        ({"bonus_points": 10_001}, "bonus_out_of_range", "bonus_points"),
        ({"multiplier": "2", "ends_on": TODAY - timedelta(days=1)}, "ends_before_starts", "ends_on"),
        (
            {"multiplier": "2", "starts_on": TODAY - timedelta(days=3), "ends_on": TODAY - timedelta(days=1)},
            "ends_in_the_past",
            "ends_on",
        ),
        ({"multiplier": "2", "ends_on": TODAY + timedelta(days=400)}, "too_long", "ends_on"),
        ({"multiplier": "2", "scene": "teleport"}, "unknown_scene", "scene"),
        ({"multiplier": "2", "name": "  "}, "bad_name", "name"),
        ({"multiplier": "2", "name": "a\x07b"}, "bad_name", "name"),
    ],
)
def test_bad_terms_are_refused_with_a_stable_reason(
    db: Database, registrar: Participant, terms: dict[str, Any], reason: str, field: str
) -> None:
    full = {"name": "Campaign", "scene": "metro", "starts_on": TODAY, "ends_on": TODAY, **terms}
    with pytest.raises(InvalidCampaign) as refused, db.transaction() as session:
        campaigns.create(session, registrar, **full)
    assert refused.value.code == "invalid_campaign"
    assert (refused.value.details["reason"], refused.value.details["field"]) == (reason, field)
    assert reason in campaigns.REASONS
    with db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0
