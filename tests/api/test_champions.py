"""Low-carbon champions and campaigns through HTTP (R20), on SQLite and PostgreSQL: display names
and the leaderboard opt-out, the monthly and yearly leaderboards (CST periods, closed and
opted-out citizens left out, ties ranked deterministically, rank 1 the champion), campaigns set
by the registrar (overlaps and bad terms refused, nothing written) and shown on the citizen's
history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.app import create_app
from api.routers import champions as champions_router
from api.routers.champions import CampaignOut, CitizenProfile, Leaderboard
from registry.campaigns import CST, cst_today
from registry.runtime import Runtime, bootstrap
from tests.api.conftest import Api
from tests.api.test_bad_input import refuse
from tests.api.test_points import METRO_GRAMS, METRO_POINTS, Partner, citizen, me, ride


def champions_app(runtime: Runtime) -> FastAPI:
    """The app, with the champions' routes (included here until api/app.py includes them)."""
    app = create_app(runtime, background=False)
    if not any(getattr(route, "path", None) == "/v1/leaderboard" for route in app.routes):
        app.include_router(champions_router.router)
    return app


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(champions_app(runtime)) as client:
        yield Api(client, token)


def profile(api: Api, who: dict[str, Any], body: dict[str, Any], expect: int = 200) -> Any:
    response = api.http.post("/v1/points/me/profile", json=body, headers=api.auth(who["token"]))
    assert response.status_code == expect, response.text
    return response.json()


def board(api: Api, query: str = "") -> dict[str, Any]:
    data: dict[str, Any] = api.get(f"/v1/leaderboard{query}")
    TypeAdapter(Leaderboard).validate_python(data)
    return data


# -- display names -------------------------------------------------------------------------------


def test_profile__display_name_and_opt_out(api: Api, runtime: Runtime) -> None:
    alice = citizen(api)
    start = api.get("/v1/points/me/profile", alice["token"])
    TypeAdapter(CitizenProfile).validate_python(start)
    assert start["display_name"] is None and start["leaderboard"] is True
    assert start["shown_as"].startswith("Citizen ") and len(start["shown_as"]) == len("Citizen 0000")
    named = profile(api, alice, {"display_name": "  绿色 通勤者  "})
    assert (named["display_name"], named["shown_as"], named["leaderboard"]) == (
        "绿色 通勤者",
        "绿色 通勤者",
        True,
    )
    out = profile(api, alice, {"leaderboard": False})
    assert (out["display_name"], out["leaderboard"]) == ("绿色 通勤者", False)  # the name stays
    cleared = profile(api, alice, {"display_name": None, "leaderboard": True})
    assert (cleared["display_name"], cleared["shown_as"], cleared["leaderboard"]) == (
        None,
        start["shown_as"],
        True,
    )
    # Names need not be unique.
    bob = citizen(api)
    profile(api, alice, {"display_name": "Li"})
    assert profile(api, bob, {"display_name": "Li"})["display_name"] == "Li"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"display_name": ""}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "   "}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "x" * 41}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "a\x07b"}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "evil\u202egnp.exe"}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "a\u2028b"}, 400, "invalid_display_name", "display_name"),
        ({"display_name": "a\x00b"}, 422, "validation_error", "display_name"),
        ({"display_name": 7}, 422, "validation_error", "display_name"),
        ({"leaderboard": "no"}, 422, "validation_error", "leaderboard"),
        ({"nickname": "x"}, 422, "validation_error", "nickname"),
    ],
)
def test_profile__bad_input_is_refused(
    api: Api, runtime: Runtime, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    alice = citizen(api)
    refuse(
        api,
        runtime,
        "POST",
        "/v1/points/me/profile",
        json=body,
        token=alice["token"],
        status=status,
        code=code,
        field=field,
    )


def test_profile__needs_the_citizens_token(api: Api, runtime: Runtime) -> None:
    refuse(
        api,
        runtime,
        "POST",
        "/v1/points/me/profile",
        json={"leaderboard": False},
        token=None,
        status=401,
        code="unauthenticated",
    )
    refuse(
        api, runtime, "GET", "/v1/points/me/profile", token=api.operator, status=401, code="unauthenticated"
    )


# -- leaderboards --------------------------------------------------------------------------------


def test_leaderboard__ranks_by_grams_in_cst_months_and_years(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice, bob, carol, dave, erin, frank = (citizen(api) for _ in range(6))
    profile(api, alice, {"display_name": "Alice"})
    profile(api, dave, {"leaderboard": False})
    month_start = datetime.combine(cst_today().replace(day=1), time(0), tzinfo=CST)
    this_month = f"{month_start:%Y-%m}"
    last_month = f"{month_start - timedelta(days=1):%Y-%m}"
    now = datetime.now(UTC)
    inside = min(now - timedelta(seconds=30), month_start.astimezone(UTC) + timedelta(hours=1))
    rides = [
        ride("a1", alice, at=inside),
        ride("a2", alice, at=inside + timedelta(minutes=1)),
        ride("b1", bob, at=inside),  # ties with carol: bob registered first
        ride("c1", carol, at=inside),
        *(ride(f"d{i}", dave, at=inside + timedelta(minutes=i)) for i in range(3)),  # opted out
        *(ride(f"e{i}", erin, at=inside + timedelta(minutes=i)) for i in range(3)),  # closed below
        # The last minute of the previous month (CST), and the first of this one.
        ride("f1", frank, at=month_start - timedelta(seconds=30)),
        ride("f2", frank, at=month_start + timedelta(seconds=30))
        if month_start + timedelta(seconds=30) < now
        else ride("f2", frank, at=month_start - timedelta(minutes=5)),
    ]
    assert metro.send(rides)["accepted"] == len(rides)
    api.ok("/v1/points/me/close", None, erin["token"], expect=200)

    month = board(api, f"?period=month&at={this_month}")
    assert board(api) == month  # the current month by default
    names = [e["name"] for e in month["entries"]]
    frank_label = api.get("/v1/points/me/profile", frank["token"])["shown_as"]
    bob_label = api.get("/v1/points/me/profile", bob["token"])["shown_as"]
    carol_label = api.get("/v1/points/me/profile", carol["token"])["shown_as"]
    assert names == ["Alice", bob_label, carol_label, frank_label]
    assert [e["rank"] for e in month["entries"]] == [1, 2, 3, 4]
    assert [e["grams"] for e in month["entries"]] == [2 * METRO_GRAMS, METRO_GRAMS, METRO_GRAMS, METRO_GRAMS]
    assert month["entries"][0] == {
        "rank": 1,
        "name": "Alice",
        "named": True,
        "grams": 2 * METRO_GRAMS,
        "points": 2 * METRO_POINTS,
        "champion": True,
    }
    assert month["champion"] == month["entries"][0]
    assert [e["champion"] for e in month["entries"]] == [True, False, False, False]
    assert month["starts_at"] == month_start.isoformat()

    previous = board(api, f"?period=month&at={last_month}")
    assert [(e["name"], e["grams"]) for e in previous["entries"]] == [(frank_label, METRO_GRAMS)]
    assert board(api, "?limit=2")["entries"][1]["name"] == bob_label

    # The year (CST) holds both of frank's rides.
    year = board(api, f"?period=year&at={month_start:%Y}")
    if month_start.month != 1:
        assert (
            year["entries"][0]["name"] in ("Alice", frank_label)
            and year["entries"][0]["grams"] == 2 * METRO_GRAMS
        )
        assert {e["name"]: e["grams"] for e in year["entries"]}[frank_label] == 2 * METRO_GRAMS
    # Opting back in brings dave back, as the champion (3 rides).
    profile(api, dave, {"leaderboard": True})
    assert board(api)["champion"]["grams"] == 3 * METRO_GRAMS
    # A month without acts: no champion.
    empty = board(api, "?period=month&at=2001-01")
    assert (empty["champion"], empty["entries"]) == (None, [])


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("?period=week", 400, "invalid_period", "period"),
        ("?period=month&at=2026", 400, "invalid_period", "at"),
        ("?period=month&at=2026-13", 400, "invalid_period", "at"),
        ("?period=year&at=2026-01", 400, "invalid_period", "at"),
        ("?period=year&at=99999", 400, "invalid_period", "at"),
        ("?period=year&at=" + "9" * 11, 422, "validation_error", "at"),
        ("?limit=0", 422, "validation_error", "limit"),
        ("?limit=101", 422, "validation_error", "limit"),
    ],
)
def test_leaderboard__bad_query(
    api: Api, runtime: Runtime, query: str, status: int, code: str, field: str
) -> None:
    refuse(api, runtime, "GET", f"/v1/leaderboard{query}", token=None, status=status, code=code, field=field)


# -- campaigns -----------------------------------------------------------------------------------


def test_campaigns__set_by_the_registrar_listed_publicly_and_shown_on_the_history(
    api: Api, runtime: Runtime
) -> None:
    today = cst_today()
    body = {
        "name": "Car-free day",
        "scene": "car_free_day",
        "starts_on": str(today),
        "ends_on": str(today),
        "multiplier": "2",
    }
    created = api.ok("/v1/campaigns", body, api.operator)
    TypeAdapter(CampaignOut).validate_python(created)
    assert (created["status"], created["multiplier"], created["bonus_points"]) == ("active", "2", None)
    later = api.ok(
        "/v1/campaigns",
        {
            "name": "Bus week",
            "scene": "bus",
            "starts_on": str(today + timedelta(days=3)),
            "ends_on": str(today + timedelta(days=9)),
            "bonus_points": 20,
        },
        api.operator,
    )
    listed = api.get("/v1/campaigns")
    assert [(c["id"], c["status"]) for c in listed] == [(created["id"], "active"), (later["id"], "upcoming")]

    traffic = Partner(api, "Traffic platform", ["car_free_day"])
    alice = citizen(api)
    when = min(datetime.now(UTC) - timedelta(seconds=30), datetime.combine(today, time(0, 5), tzinfo=CST))
    act = {**ride("cf1", alice, at=when), "scene": "car_free_day", "quantity": "1"}
    answer = traffic.send([act])
    assert answer["results"][0]["points"] == 2 * 257
    history = me(api, alice)["history"]
    assert [(e["points"], e.get("campaign")) for e in history] == [
        (257, {"id": created["id"], "name": "Car-free day"}),
        (257, None),
    ]
    assert me(api, alice)["balance"] == 2 * 257 and me(api, alice)["grams"] == 2578

    # Overlapping the car-free day (same scene, or every scene): refused, nothing written.
    for clash in (
        {**body, "name": "Again"},
        {**body, "scene": None, "ends_on": str(today + timedelta(days=1))},
    ):
        error = refuse(
            api,
            runtime,
            "POST",
            "/v1/campaigns",
            json=clash,
            token=api.operator,
            status=409,
            code="campaign_overlaps",
        )
        assert error["details"]["campaign"] == created["id"]


@pytest.mark.parametrize(
    ("terms", "status", "code", "reason"),
    [
        ({"multiplier": "0"}, 400, "invalid_campaign", "multiplier_out_of_range"),
        ({"multiplier": "11"}, 400, "invalid_campaign", "multiplier_out_of_range"),
        ({"multiplier": "1e1"}, 400, "invalid_campaign", "not_a_decimal"),
        ({"multiplier": "2", "bonus_points": 3}, 400, "invalid_campaign", "multiplier_or_bonus"),
        ({"bonus_points": 0}, 400, "invalid_campaign", "bonus_out_of_range"),
        ({"multiplier": "2", "ends_on": "2020-01-01"}, 400, "invalid_campaign", "ends_before_starts"),
        ({"multiplier": "2", "scene": "teleport"}, 400, "invalid_campaign", "unknown_scene"),
        ({"multiplier": 2}, 422, "validation_error", None),
        ({"bonus_points": True}, 422, "validation_error", None),
        ({"multiplier": "2", "starts_on": "2026-02-30"}, 422, "validation_error", None),
    ],
)
def test_campaigns__bad_terms_are_refused_with_stable_codes(
    api: Api, runtime: Runtime, terms: dict[str, Any], status: int, code: str, reason: str | None
) -> None:
    today = str(cst_today())
    body = {"name": "Campaign", "scene": "metro", "starts_on": today, "ends_on": today, **terms}
    error = refuse(
        api, runtime, "POST", "/v1/campaigns", json=body, token=api.operator, status=status, code=code
    )
    if reason is not None:
        assert error["details"]["reason"] == reason


def test_campaigns__only_the_registrar_sets_them(api: Api, runtime: Runtime) -> None:
    today = str(cst_today())
    body = {"name": "Campaign", "scene": None, "starts_on": today, "ends_on": today, "bonus_points": 5}
    holder = api.participant(["holder"])
    refuse(api, runtime, "POST", "/v1/campaigns", json=body, token=None, status=401, code="unauthenticated")
    refuse(
        api, runtime, "POST", "/v1/campaigns", json=body, token=holder["token"], status=403, code="forbidden"
    )


def test_leaderboard__a_month_at_the_calendars_end_is_refused_not_a_500(api: Api) -> None:
    for at in ("9999-12", "1969-12", "2026-13"):
        r = api.http.get(f"/v1/leaderboard?period=month&at={at}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_period", (at, r.text)
