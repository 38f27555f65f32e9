"""Scene standards (R2, R5): the catalogue, every standard's worked example (reproduced and found in
its document), the scoring rules (prerequisites, the footprint's straight line and its ends,
the pass mark) and refusals with every problem listed."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry import scene_standards
from registry.scene_standards import ChecklistInvalid, UnknownStandard

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenes"

#: The worked example of each standard, as its document gives it, and the expected result:
#: (checklist, intensity, footprint score, total, passed, unmet prerequisites).
EXAMPLES: dict[str, tuple[dict[str, Any], tuple[str, str, str, str, bool, tuple[str, ...]]]] = {
    "TH-SC-RES-001": (
        {
            "items": {"energy_metering": 10, "no_single_use_plastics": 10, "efficient_kitchen": "12",
                      "food_waste": "11.5", "lighting_hvac": 8, "local_seasonal_menu": 6},
            "footprint": {"electricity_kwh": "96000", "natural_gas_m3": "10400", "activity": "41000"},
        },
        ("57.5", "0.914663", "23.77", "81.27", True, ()),
    ),
    "TH-SC-SUP-001": (
        {
            "items": {"energy_metering": 10, "refrigerant_management": 10, "closed_refrigeration": 9,
                      "lighting_hvac": 10, "plastic_bags": 10, "green_products": 8},
            "footprint": {"electricity_kwh": "1150000", "natural_gas_m3": "0", "activity": "3200"},
        },
        ("57", "56.206250", "13.52", "70.52", True, ()),
    ),
    "TH-SC-SCN-001": (
        {
            "items": {"a_grade": 10, "energy_metering": 10, "low_carbon_transport": 12, "waste_sorting": 9,
                      "renewable_energy": 4, "visitor_guidance": 13},
            "footprint": {"electricity_kwh": "2600000", "natural_gas_m3": "42000", "activity": "1250000"},
        },
        ("58", "0.397962", "20.40", "78.40", True, ()),
    ),
    "TH-SC-HOT-001": (
        {
            "items": {"star_or_green_rating": 10, "energy_metering": 10, "room_controls": 13,
                      "linen_reuse_amenities": 9, "hot_water_heat_recovery": 10, "food_waste": 6},
            "footprint": {"electricity_kwh": "2450000", "natural_gas_m3": "98000", "activity": "61000"},
        },
        ("58", "9.755320", "2.44", "60.44", False, ()),
    ),
    "TH-SC-EXH-001": (
        {
            "items": {"energy_metering": 10, "reusable_booths": 0, "waste_plan": 14, "visitor_transport": 15,
                      "digital_materials": 10, "catering": 9},
            "footprint": {"electricity_kwh": "95000", "natural_gas_m3": "0", "activity": "160000"},
        },
        ("58", "0.092862", "22.61", "80.61", False, ("reusable_booths",)),
    ),
}  # fmt: skip


def test_catalogue__five_standards_one_per_kind() -> None:
    standards = scene_standards.all_standards()
    assert sorted(s.code for s in standards) == sorted(EXAMPLES)
    assert scene_standards.kinds() == {
        "restaurant": "TH-SC-RES-001",
        "supermarket": "TH-SC-SUP-001",
        "scenic_spot": "TH-SC-SCN-001",
        "hotel": "TH-SC-HOT-001",
        "exhibition": "TH-SC-EXH-001",
    }
    for s in standards:
        d = s.describe()
        assert d["checklist_max"] + d["footprint_max"] == 100 and d["pass_mark"] == "70"
        assert any(i["mandatory"] for i in d["items"])
        assert all(f["source"] for f in d["factors"])
        assert len(s.content_hash()) == 32
        assert scene_standards.get(s.code, 1) is s
    with pytest.raises(UnknownStandard):
        scene_standards.get("TH-SC-XXX-001")
    with pytest.raises(UnknownStandard):
        scene_standards.get("TH-SC-RES-001", 2)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_worked_example__reproduced_and_in_the_document(code: str) -> None:
    answers, (checklist, intensity, fp_score, total, passed, unmet) = EXAMPLES[code]
    r = scene_standards.get(code).assess(answers)
    assert r.checklist_score == Decimal(checklist)
    assert str(r.footprint.intensity) == intensity
    assert str(r.footprint.score) == fp_score
    assert str(r.total) == total
    assert r.total == r.checklist_score + r.footprint.score
    assert r.passed is passed and r.mandatory_unmet == unmet
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    for number in (intensity, fp_score, total, str(r.footprint.emissions_kg)):
        assert number in doc, f"{number} not in docs/scenes/{code}.md"
    assert json.loads(json.dumps(r.as_dict()))["total"] == total
    assert ("passes" if passed else "fails") in doc.rsplit("## Worked example", 1)[1]
    for label, value in r.steps:
        assert f"| {label} | {value} |" in doc


def _restaurant() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES["TH-SC-RES-001"][0])


def test_footprint__ends_of_the_line_and_rounding_down() -> None:
    std = scene_standards.get("TH-SC-RES-001")
    a = _restaurant()
    # Exactly at the benchmark: no footprint points; above it, none either.
    a["footprint"] = {"electricity_kwh": 0, "natural_gas_m3": 0, "activity": 1}
    assert std.assess(a).footprint.score == Decimal(30)  # zero emissions: the full score
    benchmark = std.factors["benchmark"]
    a["footprint"] = {
        "electricity_kwh": str(benchmark / std.factors["grid_ef_kg_per_kwh"]),
        "natural_gas_m3": 0,
        "activity": 1,
    }
    assert std.assess(a).footprint.score == 0
    a["footprint"]["activity"] = "0.5"
    assert std.assess(a).footprint.score == 0
    # At the full-score line exactly: 30.
    full = benchmark * (1 - std.factors["full_score_reduction"])
    a["footprint"] = {
        "electricity_kwh": str(full / std.factors["grid_ef_kg_per_kwh"]),
        "natural_gas_m3": "0",
        "activity": "1",
    }
    assert std.assess(a).footprint.score == 30


def test_pass_mark__exactly_70_passes_and_a_prerequisite_decides() -> None:
    std = scene_standards.get("TH-SC-RES-001")
    a = _restaurant()
    a["items"] = {"energy_metering": 10, "no_single_use_plastics": 10, "efficient_kitchen": 15,
                  "food_waste": 15, "lighting_hvac": 10, "local_seasonal_menu": 10}  # fmt: skip
    a["footprint"] = {"electricity_kwh": "1000", "natural_gas_m3": "0", "activity": "1"}  # far above: 0
    r = std.assess(a)
    assert (r.total, r.passed) == (Decimal(70), True)
    a["items"]["local_seasonal_menu"] = "9.99"
    assert std.assess(a).passed is False
    a["items"]["local_seasonal_menu"] = 10
    a["footprint"] = {"electricity_kwh": "0", "natural_gas_m3": "0", "activity": "1"}
    a["items"]["no_single_use_plastics"] = 0
    r = std.assess(a)
    assert r.total == 90 and r.passed is False and r.mandatory_unmet == ("no_single_use_plastics",)


def test_refusal__lists_every_problem() -> None:
    std = scene_standards.get("TH-SC-RES-001")
    a = _restaurant()
    a["items"]["efficient_kitchen"] = 16  # above its max
    a["items"]["food_waste"] = -1
    a["items"]["lighting_hvac"] = 1.5  # a float
    a["items"]["local_seasonal_menu"] = "3.333"
    a["items"]["energy_metering"] = 5  # a prerequisite half met
    del a["items"]["no_single_use_plastics"]
    a["items"]["decor"] = 3
    a["footprint"] = {"electricity_kwh": "-1", "natural_gas_m3": "NaN", "activity": 0, "water": 1}
    a["extra"] = True
    with pytest.raises(ChecklistInvalid) as caught:
        std.assess(a)
    fields = {p["field"] for p in caught.value.problems}
    assert fields == {
        "extra",
        "items.decor",
        "items.energy_metering",
        "items.no_single_use_plastics",
        "items.efficient_kitchen",
        "items.food_waste",
        "items.lighting_hvac",
        "items.local_seasonal_menu",
        "footprint.water",
        "footprint.electricity_kwh",
        "footprint.natural_gas_m3",
        "footprint.activity",
    }
    for bad in (None, [], "x", {"items": [], "footprint": None}):
        with pytest.raises(ChecklistInvalid):
            std.assess(bad)
    a = _restaurant()
    a["footprint"]["electricity_kwh"] = "1e11"
    with pytest.raises(ChecklistInvalid, match="above the bound"):
        std.assess(a)


# -- the points scene of certified scenes (R9) ------------------------------------------------------

POINTS_DOC = DOCS.parent / "points" / "certified_purchase.md"


@pytest.mark.parametrize(
    ("goods", "grams", "points"),
    [({"goods": "green_produce"}, 865, 86), ({}, 346, 34), ({"goods": "general"}, 346, 34)],
)
def test_certified_purchase__worked_example(goods: dict[str, str], grams: int, points: int) -> None:
    from registry.points import scenes

    scene = scenes.get("certified_purchase")
    v = scene.value(
        scenes.Act("certified_purchase", Decimal("86.5"), "yuan", {"scene": "SC-1A2B3C4D5E", **goods})
    )
    assert (v.grams, v.points) == (grams, points)
    doc = POINTS_DOC.read_text(encoding="utf-8")
    assert f"{grams} g CO2e → {points} points" in doc.replace("\n", " ")
    for f in scene.factors.factors.values():
        assert f"| `{f.key}` | {f.value} | {f.unit} | {f.source} |" in doc
    assert scene.requirement == "R9" and (scene.daily_cap_points, scene.monthly_cap_points) == (200, 2000)


@pytest.mark.parametrize(
    ("detail", "quantity", "reason"),
    [
        ({}, "10", "missing_scene"),
        ({"scene": " "}, "10", "missing_scene"),
        ({"scene": "SC-1", "goods": "gold"}, "10", "unsupported_goods"),
        ({"scene": "SC-1"}, "5000.01", "impossible_amount"),
        ({"scene": "SC-1"}, "0", "non_positive_quantity"),
    ],
)
def test_certified_purchase__refusals(detail: dict[str, str], quantity: str, reason: str) -> None:
    from registry.points import scenes

    with pytest.raises(scenes.ActRefused) as refused:
        scenes.get("certified_purchase").value(
            scenes.Act("certified_purchase", Decimal(quantity), "yuan", detail)
        )
    assert refused.value.reason == reason
