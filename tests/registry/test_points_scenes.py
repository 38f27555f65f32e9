"""Points scenes (R6-R10): worked examples of docs/points, bounds, rounding, caps, sources."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from registry.points import scenes
from registry.points.scenes import Act, ActRefused, UnknownScene

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "points"
DATA = ROOT / "registry" / "points" / "scenes" / "data"

CODES = (
    "metro",
    "bus",
    "bike_share",
    "car_free_day",
    "ev_charging",
    "waste_sorting",
    "household_electricity",
    "certified_purchase",
)

# (scene, quantity, unit, detail, grams, points): the worked examples of docs/points/<code>.md.
WORKED = [
    ("metro", "12.5", "km", {}, 583, 58),
    ("bus", "8.3", "km", {"propulsion": "battery_electric"}, 223, 22),
    ("bike_share", "3.2", "km", {}, 86, 8),
    ("car_free_day", "1", "day", {}, 2578, 257),
    ("ev_charging", "42.7", "km", {}, 4170, 417),
    ("waste_sorting", "3.4", "kg", {}, 979, 97),
    ("household_electricity", "37", "kWh", {"baseline_kwh": "260"}, 5786, 578),
]


def test_registry_lists_every_scene() -> None:
    assert tuple(s.code for s in scenes.all_scenes()) == CODES
    for code in CODES:
        assert scenes.get(code).code == code
    with pytest.raises(UnknownScene):
        scenes.get("teleport")


@pytest.mark.parametrize(("code", "qty", "unit", "detail", "grams", "points"), WORKED)
def test_worked_example(
    code: str, qty: str, unit: str, detail: dict[str, str], grams: int, points: int
) -> None:
    v = scenes.get(code).value(Act(code, Decimal(qty), unit, detail))
    assert (v.grams, v.points) == (grams, points)
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    assert f"**{grams} g CO2e → {points} points**" in doc
    assert f"quantity {qty} {unit}" in doc
    for label, value in v.steps:
        assert f"| {label} | {value} |" in doc


def test_worked_example_by_hand() -> None:
    # 12.5 km x 46.7 g = 583.75 g -> 583 g -> 58 points.
    assert Decimal("12.5") * Decimal("46.7") == Decimal("583.75")
    # car-free day: 0.720 x 43.070 x 69.3 = 2149.02072 g/L; x 6.0/100 = 128.941243 g/km (six places);
    # x 20 km = 2578.82486 g -> 2578 g -> 257 points.
    assert Decimal("0.720") * Decimal("43.070") * Decimal("69.3") == Decimal("2149.02072")


def test_a_500_km_metro_ride_is_refused() -> None:
    with pytest.raises(ActRefused) as err:
        scenes.get("metro").value(Act("metro", Decimal(500), "km"))
    assert err.value.reason == "impossible_distance"


@pytest.mark.parametrize(
    ("code", "qty", "unit", "detail", "reason"),
    [
        ("metro", "0", "km", {}, "non_positive_quantity"),
        ("metro", "-3", "km", {}, "non_positive_quantity"),
        ("metro", "12", "kWh", {}, "wrong_unit"),
        ("bus", "101", "km", {"propulsion": "battery_electric"}, "impossible_distance"),
        ("bus", "5", "km", {"propulsion": "cng"}, "unsupported_propulsion"),
        ("bus", "5", "km", {}, "unsupported_propulsion"),
        ("bike_share", "80", "km", {}, "impossible_distance"),
        ("car_free_day", "2", "day", {}, "impossible_days"),
        ("car_free_day", "0.5", "day", {}, "impossible_days"),
        ("ev_charging", "1500", "km", {}, "impossible_distance"),
        ("waste_sorting", "60", "kg", {}, "impossible_mass"),
        ("household_electricity", "300", "kWh", {"baseline_kwh": "260"}, "impossible_energy"),
        ("household_electricity", "30", "kWh", {}, "missing_baseline"),
        ("household_electricity", "30", "kWh", {"baseline_kwh": "lots"}, "missing_baseline"),
    ],
)
def test_impossible_acts_are_refused(
    code: str, qty: str, unit: str, detail: dict[str, str], reason: str
) -> None:
    with pytest.raises(ActRefused) as err:
        scenes.get(code).value(Act(code, Decimal(qty), unit, detail))
    assert err.value.reason == reason


def test_act_for_another_scene_is_refused() -> None:
    with pytest.raises(ActRefused) as err:
        scenes.get("metro").value(Act("bus", Decimal(5), "km"))
    assert err.value.reason == "wrong_scene"


def test_quantity_must_be_decimal() -> None:
    with pytest.raises(TypeError):
        Act("metro", 12.5, "km")  # type: ignore[arg-type]


def test_rounding_is_down() -> None:
    metro = scenes.get("metro")
    # 0.2 km x 46.7 = 9.34 g -> 9 g -> 0 points; 2.1 km -> 98.07 g -> 98 g -> 9 points.
    v = metro.value(Act("metro", Decimal("0.2"), "km"))
    assert (v.grams, v.points) == (9, 0)
    v = metro.value(Act("metro", Decimal("2.1"), "km"))
    assert (v.grams, v.points) == (98, 9)
    assert scenes.points_for(19) == 1 and scenes.points_for(20) == 2 and scenes.GRAMS_PER_POINT == 10


@pytest.mark.parametrize("code", CODES)
def test_caps_positive_and_daily_not_above_monthly(code: str) -> None:
    s = scenes.get(code)
    assert 0 < s.daily_cap_points <= s.monthly_cap_points
    assert s.requirement in {"R6", "R7", "R8", "R9", "R10"}
    assert s.grams_per_point == scenes.GRAMS_PER_POINT


def test_capped_points() -> None:
    metro = scenes.get("metro")
    assert metro.capped_points(58, 0, 0) == 58
    assert metro.capped_points(58, 250, 1200) == 30
    assert metro.capped_points(58, 280, 0) == 0
    assert metro.capped_points(58, 0, 3990) == 10
    with pytest.raises(ValueError):
        metro.capped_points(-1, 0, 0)


@pytest.mark.parametrize("code", CODES)
def test_every_factor_has_a_source_and_is_a_decimal_string(code: str) -> None:
    raw = json.loads((DATA / f"{code}-v1.json").read_text(encoding="utf-8"))
    for entry in raw["factors"]:
        assert isinstance(entry["value"], str)
        assert Decimal(entry["value"]).is_finite()
        assert entry["source"].strip() and entry["unit"].strip()
    assert len(scenes.get(code).factors.factors) == len(raw["factors"])


@pytest.mark.parametrize("code", CODES)
def test_docs_cite_every_factor_source_verbatim(code: str) -> None:
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    for f in scenes.get(code).factors.factors.values():
        assert f"| `{f.key}` | {f.value} | {f.unit} | {f.source} |" in doc


def test_readme_lists_every_scene_with_its_caps() -> None:
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    assert "never" in readme and "GRAMS_PER_POINT = 10" in readme
    for s in scenes.all_scenes():
        assert f"[{s.code}]({s.code}.md)" in readme
        row = next(line for line in readme.splitlines() if line.startswith(f"| [{s.code}]"))
        assert f"{s.daily_cap_points:,} | {s.monthly_cap_points:,} |" in row
