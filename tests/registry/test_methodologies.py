"""Methodologies as code: the worked examples of docs/methodologies/ reproduced exactly, input
validation that names the bad field, conservative no-reduction handling, content hashes and the
registry lookups."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry import methodologies
from registry.methodologies import (
    FactorSet,
    Methodology,
    MethodologyInputError,
    MonitoringPeriod,
    Quantification,
    UnknownMethodology,
)
from registry.methodologies.base import CATEGORIES
from tests.registry.cases import HandWorked, WorkedExample, all_cases

DOCS = Path(__file__).resolve().parents[2] / "docs" / "methodologies"


YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

EXAMPLES = {
    # docs/methodologies/TH-ES-001.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    "TH-ES-001": WorkedExample(
        code="TH-ES-001",
        raw={
            "heat_delivered_gj": "8000",
            "electricity_kwh": "2300000",
            "electric_boiler_rated_power_kw": "1200",
            "baseline_efficiency_measured": "0.68",
            "baseline_efficiency_rated": "0.75",
            "replaced_boiler_scrapped": True,
        },
        period=YEAR_2025,
        baseline_kg=1009066,
        project_kg=359720,
        leakage_kg=0,
        net_kg=649346,
        steps={
            "baseline boiler efficiency (higher of measured and rated)": "0.750000",
            "baseline coal energy = heat / efficiency": "10666.666667 GJ",
            "baseline coal, informative = energy / NCV": "413.436693 t",
            "baseline emissions = coal energy x coal CO2 factor": "1009066.666698 kg CO2",
            "project emissions = electricity x grid factor": "359720.000000 kg CO2",
            "net reduction (exact)": "649346.666698 kg CO2e",
        },
    ),
    # docs/methodologies/TH-ES-002.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    "TH-ES-002": WorkedExample(
        code="TH-ES-002",
        raw={
            "installed_capacity_kwp": "500",
            "generation_kwh": "480000",
            "exported_kwh": "150000",
            "auxiliary_import_kwh": "1200",
        },
        period=YEAR_2025,
        baseline_kg=74884,
        project_kg=0,
        leakage_kg=0,
        net_kg=74884,
        steps={
            "of which used on site": "330000.000000 kWh",
            "net electricity supplied = generated - drawn": "478800.000000 kWh",
            "capacity factor, informative": "0.109589",
            "baseline emissions = net electricity x grid factor": "74884.320000 kg CO2",
        },
    ),
    # docs/methodologies/TH-EC-001.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    "TH-EC-001": WorkedExample(
        code="TH-EC-001",
        raw={
            "strata": [
                {
                    "stratum_id": "S1",
                    "species_group": "conifer",
                    "area_ha": "120",
                    "volume_start_m3_per_ha": "8.5",
                    "volume_end_m3_per_ha": "46.2",
                },
                {
                    "stratum_id": "S2",
                    "species_group": "broadleaf",
                    "area_ha": "80",
                    "volume_start_m3_per_ha": "5.0",
                    "volume_end_m3_per_ha": "38.5",
                },
            ],
            "sampling_error_pct": "8.5",
        },
        period=MonitoringPeriod(date(2021, 1, 1), date(2025, 12, 31)),
        baseline_kg=0,
        project_kg=-6191249,
        leakage_kg=0,
        net_kg=6191249,
        steps={
            "stratum S1 (conifer, 120 ha): volume change = area x (end - start)": "4524.000000 m3",
            "stratum S1 (conifer, 120 ha): AGB change = volume x BCEF": "2262.000000 t d.m.",
            "stratum S1 (conifer, 120 ha): tree biomass change = AGB x (1 + R)": "2714.400000 t d.m.",
            "stratum S1 (conifer, 120 ha): CO2 removed = biomass x CF x 44/12": "4677816.000000 kg CO2",
            "stratum S2 (broadleaf, 80 ha): volume change = area x (end - start)": "2680.000000 m3",
            "stratum S2 (broadleaf, 80 ha): AGB change = volume x BCEF": "1340.000000 t d.m.",
            "stratum S2 (broadleaf, 80 ha): tree biomass change = AGB x (1 + R)": "1648.200000 t d.m.",
            "stratum S2 (broadleaf, 80 ha): CO2 removed = biomass x CF x 44/12": "2840398.000000 kg CO2",
            "gross removals by the project": "7518214.000000 kg CO2",
            "uncertainty deduction = gross x 8.5 %": "639048.190000 kg CO2",
            "non-permanence buffer = (gross - uncertainty) x 0.10": "687916.581000 kg CO2",
            "removals credited = gross - uncertainty - buffer": "6191249.229000 kg CO2",
        },
    ),
    # docs/methodologies/TH-EC-002.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    "TH-EC-002": WorkedExample(
        code="TH-EC-002",
        raw={
            "area_ha": "1000",
            "crop_seasons": 2,
            "baseline_n_kg_per_ha": "210",
            "project_n_kg_per_ha": "165",
        },
        period=YEAR_2025,
        baseline_kg=2317425,
        project_kg=1820835,
        leakage_kg=0,
        net_kg=496590,
        steps={
            "N2O-N per kg N = EF1 + Frac_GASF x EF4 + Frac_LEACH x EF5": "0.013250 kg N2O-N / kg N",
            "CO2e per kg N = N2O-N x 44/28 x GWP": "5.517679 kg CO2e / kg N",
            "baseline N = rate x area x seasons": "420000.000000 kg N",
            "project N = rate x area x seasons": "330000.000000 kg N",
            "synthetic N avoided": "90000.000000 kg N",
            "baseline emissions = baseline N x CO2e per kg N": "2317425.180000 kg CO2e",
            "project emissions = project N x CO2e per kg N": "1820834.070000 kg CO2e",
            "net reduction (exact)": "496591.110000 kg CO2e",
        },
    ),
    # docs/methodologies/TH-RS-001.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    "TH-RS-001": WorkedExample(
        code="TH-RS-001",
        raw={
            "collected_t": "1250",
            "paper_t": "520",
            "plastics_t": "180",
            "aluminium_cans_t": "12.5",
            "other_metals_t": "95",
            "glass_t": "140",
            "transport_tkm": "38000",
        },
        period=MonitoringPeriod(date(2025, 7, 1), date(2025, 12, 31)),
        baseline_kg=2013233,
        project_kg=15672,
        leakage_kg=0,
        net_kg=1997561,
        steps={
            "paper: factor per tonne = factor per short ton / 0.90718474": "2888.055635 kg CO2e / t",
            "paper: avoided emissions = 520 t x factor": "1501788.930200 kg CO2e",
            "plastics: avoided emissions = 180 t x factor": "150796.187280 kg CO2e",
            "aluminium cans: avoided emissions = 12.5 t x factor": "125801.278362 kg CO2e",
            "other metals: avoided emissions = 95 t x factor": "191636.821405 kg CO2e",
            "glass: avoided emissions = 140 t x factor": "43210.603380 kg CO2e",
            "baseline emissions (virgin production avoided)": "2013233.820627 kg CO2e",
            "project emissions = haulage t-km x road freight factor": "15671.200000 kg CO2e",
        },
    ),
}

# The methodologies added later keep their cases in tests/registry/cases/, one module each.
ADDED = all_cases()
EXAMPLES |= {c.code: c.example for c in ADDED}
CODES = sorted(EXAMPLES)


def _with(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with top-level keys replaced (``None`` deletes the key)."""
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _stratum(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    out = _with(raw)
    for key, value in changes.items():
        if value is None:
            out["strata"][index].pop(key, None)
        else:
            out["strata"][index][key] = value
    return out


def _fields(exc: pytest.ExceptionInfo[MethodologyInputError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- worked examples --------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_worked_example__reproduces_the_document(code: str) -> None:
    ex = EXAMPLES[code]
    q = methodologies.get(code, 1).compute(ex.raw, ex.period)

    assert (q.baseline_kg, q.project_kg, q.leakage_kg, q.net_kg) == (
        ex.baseline_kg,
        ex.project_kg,
        ex.leakage_kg,
        ex.net_kg,
    )
    steps = dict(q.steps)
    for label, value in ex.steps.items():
        assert steps[label] == value, label


@pytest.mark.parametrize("code", CODES)
def test_worked_example__numbers_appear_in_the_document(code: str) -> None:
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    ex = EXAMPLES[code]
    assert f"{ex.net_kg:,}" in doc
    for value in ex.steps.values():
        number = value.split()[0]
        assert number in doc, f"{code}.md does not show {number}"


HAND_WORKED = [
    # TH-ES-001.md "Formula" / "Emission factors": coal 94.6 kg CO2/GJ, grid 0.1564 kg/kWh, the
    # higher of the measured and rated efficiencies. Here the MEASURED one is higher (0.70 > 0.65),
    # January 2025 (31 days: 1,200 kW x 24 h x 31 d = 892,800 kWh >= 300,001 kWh; heat 1,000 GJ
    # <= 300,001 x 0.0036 = 1,080.0036 GJ).
    #   coal energy = 1,000 / 0.70 = 1,428.571428571... -> 1428.571429 GJ (six places)
    #   baseline    = 1,428.571429 x 94.6 = 135,142.8571834 -> 135142.857183 -> floor 135,142 kg
    #   project     = 300,001 x 0.1564 = 46,920.1564 -> ceiling 46,921 kg (rounded UP)
    #   net         = 135,142 - 46,921 - 0 = 88,221 kg
    HandWorked(
        code="TH-ES-001",
        case="measured efficiency higher, project rounded up",
        raw=_with(
            EXAMPLES["TH-ES-001"].raw,
            heat_delivered_gj="1000",
            electricity_kwh="300001",
            baseline_efficiency_measured="0.70",
            baseline_efficiency_rated="0.65",
        ),
        period=MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31)),
        baseline_kg=135142,
        project_kg=46921,
        leakage_kg=0,
        net_kg=88221,
        steps={
            "baseline boiler efficiency (higher of measured and rated)": "0.700000",
            "baseline coal energy = heat / efficiency": "1428.571429 GJ",
            "baseline emissions = coal energy x coal CO2 factor": "135142.857183 kg CO2",
            "project emissions = electricity x grid factor": "46920.156400 kg CO2",
        },
    ),
    # TH-ES-002.md "Formula": baseline = (generation - auxiliary import) x 0.1564 kg/kWh, whether
    # exported or used on site. Everything exported, June 2025 (30 days: 500 kWp x 24 h x 30 d =
    # 360,000 kWh >= 60,000 kWh).
    #   net electricity = 60,000 - 333 = 59,667 kWh; used on site = 60,000 - 60,000 = 0 kWh
    #   baseline = 59,667 x 0.1564 = 9,331.9188 -> floor 9,331 kg; project 0; leakage 0
    #   net = 9,331 kg
    HandWorked(
        code="TH-ES-002",
        case="all exported, auxiliary import deducted, baseline rounded down",
        raw={
            "installed_capacity_kwp": "500",
            "generation_kwh": "60000",
            "exported_kwh": "60000",
            "auxiliary_import_kwh": "333",
        },
        period=MonitoringPeriod(date(2025, 6, 1), date(2025, 6, 30)),
        baseline_kg=9331,
        project_kg=0,
        leakage_kg=0,
        net_kg=9331,
        steps={
            "of which used on site": "0.000000 kWh",
            "net electricity supplied = generated - drawn": "59667.000000 kWh",
            "baseline emissions = net electricity x grid factor": "9331.918800 kg CO2",
        },
    ),
    # TH-EC-001.md "Formula" / "Emission factors": BCEF 0.50, R conifer 0.20, R broadleaf 0.23,
    # CF 0.47, CO2/C = 44/12, buffer 10 %. 2024-01-01..2025-12-31 (731 days). One stratum LOSES
    # volume (it counts against the gain) and the sampling error is 0 (no uncertainty deduction).
    #   S1 conifer 10 ha, 0 -> 20 m3/ha: 200 m3; x 0.50 = 100 t; x 1.20 = 120 t;
    #      x 0.47 x 44/12 x 1000 = 206,800 kg CO2
    #   S2 broadleaf 5 ha, 30 -> 28 m3/ha: -10 m3; x 0.50 = -5 t; x 1.23 = -6.15 t;
    #      x 0.47 x 44/12 x 1000 = -10,598.5 kg CO2
    #   gross = 206,800 - 10,598.5 = 196,201.5; uncertainty 0 %: 0
    #   buffer = 196,201.5 x 0.10 = 19,620.15; credited = 176,581.35
    #   project = -176,581.35 -> ceiling -176,581 kg (fewer removals); net = 0 - (-176,581) = 176,581
    HandWorked(
        code="TH-EC-001",
        case="a stratum losing volume, no sampling error, removals rounded towards fewer",
        raw={
            "strata": [
                {
                    "stratum_id": "S1",
                    "species_group": "conifer",
                    "area_ha": "10",
                    "volume_start_m3_per_ha": "0",
                    "volume_end_m3_per_ha": "20",
                },
                {
                    "stratum_id": "S2",
                    "species_group": "broadleaf",
                    "area_ha": "5",
                    "volume_start_m3_per_ha": "30",
                    "volume_end_m3_per_ha": "28",
                },
            ],
            "sampling_error_pct": "0",
        },
        period=MonitoringPeriod(date(2024, 1, 1), date(2025, 12, 31)),
        baseline_kg=0,
        project_kg=-176581,
        leakage_kg=0,
        net_kg=176581,
        steps={
            "stratum S1 (conifer, 10 ha): CO2 removed = biomass x CF x 44/12": "206800.000000 kg CO2",
            "stratum S2 (broadleaf, 5 ha): volume change = area x (end - start)": "-10.000000 m3",
            "stratum S2 (broadleaf, 5 ha): tree biomass change = AGB x (1 + R)": "-6.150000 t d.m.",
            "stratum S2 (broadleaf, 5 ha): CO2 removed = biomass x CF x 44/12": "-10598.500000 kg CO2",
            "gross removals by the project": "196201.500000 kg CO2",
            "uncertainty deduction = gross x 0 %": "0.000000 kg CO2",
            "non-permanence buffer = (gross - uncertainty) x 0.10": "19620.150000 kg CO2",
            "removals credited = gross - uncertainty - buffer": "176581.350000 kg CO2",
        },
    ),
    # TH-EC-002.md "Formula" / "Emission factors": EF1 0.01, Frac_GASF 0.10, EF4 0.010,
    # Frac_LEACH 0.30, EF5 0.0075, GWP 265, at most 3 seasons a year (a year counted as 366 days,
    # rounded up). 2025-01-01..2026-01-02 is 367 days -> 2 years -> up to 6 seasons: 4 is allowed.
    #   N2O-N per kg N = 0.01 + 0.10 x 0.010 + 0.30 x 0.0075 = 0.01325
    #   CO2e per kg N = 0.01325 x 44/28 x 265 = 5.5176785714... -> 5.517679
    #   baseline N = 200 x 10 ha x 4 = 8,000 kg; project N = 150 x 10 x 4 = 6,000 kg
    #   baseline = 8,000 x 5.517679 = 44,141.432 -> floor 44,141 kg
    #   project  = 6,000 x 5.517679 = 33,106.074 -> ceiling 33,107 kg
    #   net = 44,141 - 33,107 = 11,034 kg (the exact 11,035.358 less two conservative roundings)
    HandWorked(
        code="TH-EC-002",
        case="four seasons in a 367-day period, both components rounded conservatively",
        raw={
            "area_ha": "10",
            "crop_seasons": 4,
            "baseline_n_kg_per_ha": "200",
            "project_n_kg_per_ha": "150",
        },
        period=MonitoringPeriod(date(2025, 1, 1), date(2026, 1, 2)),
        baseline_kg=44141,
        project_kg=33107,
        leakage_kg=0,
        net_kg=11034,
        steps={
            "N2O-N per kg N = EF1 + Frac_GASF x EF4 + Frac_LEACH x EF5": "0.013250 kg N2O-N / kg N",
            "CO2e per kg N = N2O-N x 44/28 x GWP": "5.517679 kg CO2e / kg N",
            "baseline N = rate x area x seasons": "8000.000000 kg N",
            "project N = rate x area x seasons": "6000.000000 kg N",
            "baseline emissions = baseline N x CO2e per kg N": "44141.432000 kg CO2e",
            "project emissions = project N x CO2e per kg N": "33106.074000 kg CO2e",
        },
    ),
    # TH-RS-001.md "Formula" / "Emission factors": factor per tonne = t CO2e per short ton /
    # 0.90718474 x 1000; aluminium cans 9.13, glass 0.28; road freight 0.4124 kg/t-km. Only two
    # materials; the others are 0 and contribute no step.
    #   cans:  9.13 / 0.90718474 x 1000 = 10,064.1022686... -> 10064.102269; x 2 t = 20,128.204538
    #   glass: 0.28 / 0.90718474 x 1000 = 308.6471674... -> 308.647167; x 3 t = 925.941501
    #   baseline = 20,128.204538 + 925.941501 = 21,054.146039 -> floor 21,054 kg
    #   project  = 1,000.5 t-km x 0.4124 = 412.6062 -> ceiling 413 kg
    #   net = 21,054 - 413 = 20,641 kg
    HandWorked(
        code="TH-RS-001",
        case="two materials only, haulage rounded up",
        raw={
            "collected_t": "6",
            "paper_t": "0",
            "plastics_t": "0",
            "aluminium_cans_t": "2",
            "other_metals_t": "0",
            "glass_t": "3",
            "transport_tkm": "1000.5",
        },
        period=MonitoringPeriod(date(2025, 7, 1), date(2025, 12, 31)),
        baseline_kg=21054,
        project_kg=413,
        leakage_kg=0,
        net_kg=20641,
        steps={
            "aluminium cans: factor per tonne = factor per short ton / 0.90718474": (
                "10064.102269 kg CO2e / t"
            ),
            "aluminium cans: avoided emissions = 2 t x factor": "20128.204538 kg CO2e",
            "glass: factor per tonne = factor per short ton / 0.90718474": "308.647167 kg CO2e / t",
            "glass: avoided emissions = 3 t x factor": "925.941501 kg CO2e",
            "baseline emissions (virgin production avoided)": "21054.146039 kg CO2e",
            "project emissions = haulage t-km x road freight factor": "412.606200 kg CO2e",
        },
    ),
]
HAND_WORKED += [hw for c in ADDED for hw in c.hand_worked]


@pytest.mark.parametrize("hw", HAND_WORKED, ids=[f"{h.code}-{h.case}" for h in HAND_WORKED])
def test_hand_worked_case__matches_the_arithmetic_in_the_comment(hw: HandWorked) -> None:
    q = methodologies.get(hw.code, 1).compute(hw.raw, hw.period)
    assert (q.baseline_kg, q.project_kg, q.leakage_kg, q.net_kg) == (
        hw.baseline_kg,
        hw.project_kg,
        hw.leakage_kg,
        hw.net_kg,
    )
    steps = dict(q.steps)
    for label, value in hw.steps.items():
        assert steps.get(label) == value, label


def test_hand_worked_cases__cover_every_methodology() -> None:
    assert sorted({hw.code for hw in HAND_WORKED}) == CODES


def test_waste_recycling__a_material_of_zero_tonnes_has_no_step() -> None:
    hw = next(h for h in HAND_WORKED if h.code == "TH-RS-001")
    labels = [label for label, _ in methodologies.get(hw.code, 1).compute(hw.raw, hw.period).steps]
    assert not [label for label in labels if label.startswith(("paper", "plastics", "other metals"))]


def test_quantification__rounds_each_component_conservatively() -> None:
    q = Quantification.conservative(Decimal("100.9"), Decimal("10.1"), Decimal("0.2"), [])
    assert (q.baseline_kg, q.project_kg, q.leakage_kg, q.net_kg) == (100, 11, 1, 88)


def test_quantification__inconsistent_net_is_rejected() -> None:
    with pytest.raises(ValueError, match="net_kg"):
        Quantification(baseline_kg=10, project_kg=1, leakage_kg=0, net_kg=10)


# --- bad input ---------------------------------------------------------------------------------

ES1 = EXAMPLES["TH-ES-001"].raw
ES2 = EXAMPLES["TH-ES-002"].raw
EC1 = EXAMPLES["TH-EC-001"].raw
EC2 = EXAMPLES["TH-EC-002"].raw
RS1 = EXAMPLES["TH-RS-001"].raw

BAD_INPUT = [
    # (code, case, raw, the field the error must name)
    ("TH-ES-001", "negative", _with(ES1, heat_delivered_gj="-1"), "heat_delivered_gj"),
    ("TH-ES-001", "zero", _with(ES1, electricity_kwh="0"), "electricity_kwh"),
    ("TH-ES-001", "missing", _with(ES1, baseline_efficiency_rated=None), "baseline_efficiency_rated"),
    ("TH-ES-001", "extra", _with(ES1, coal_t="5"), "coal_t"),
    ("TH-ES-001", "not a number", _with(ES1, heat_delivered_gj="a lot"), "heat_delivered_gj"),
    (
        "TH-ES-001",
        "efficiency above 1",
        _with(ES1, baseline_efficiency_measured="1.2"),
        "baseline_efficiency_measured",
    ),
    (
        "TH-ES-001",
        "inconsistent: heat above electricity",
        _with(ES1, heat_delivered_gj="9000"),
        "heat_delivered_gj",
    ),
    (
        "TH-ES-001",
        "inconsistent: boiler kept",
        _with(ES1, replaced_boiler_scrapped=False),
        "replaced_boiler_scrapped",
    ),
    ("TH-ES-002", "negative", _with(ES2, generation_kwh="-5"), "generation_kwh"),
    ("TH-ES-002", "zero", _with(ES2, installed_capacity_kwp="0"), "installed_capacity_kwp"),
    ("TH-ES-002", "missing", _with(ES2, exported_kwh=None), "exported_kwh"),
    ("TH-ES-002", "extra", _with(ES2, tariff_yuan_per_kwh="0.4"), "tariff_yuan_per_kwh"),
    ("TH-ES-002", "infinite", _with(ES2, generation_kwh="Infinity"), "generation_kwh"),
    (
        "TH-ES-002",
        "inconsistent: exported above generated",
        _with(ES2, exported_kwh="480001"),
        "exported_kwh",
    ),
    ("TH-EC-001", "negative", _stratum(EC1, 0, area_ha="-3"), "strata.0.area_ha"),
    ("TH-EC-001", "zero", _stratum(EC1, 1, area_ha="0"), "strata.1.area_ha"),
    ("TH-EC-001", "missing", _with(EC1, sampling_error_pct=None), "sampling_error_pct"),
    (
        "TH-EC-001",
        "missing in a stratum",
        _stratum(EC1, 0, volume_end_m3_per_ha=None),
        "strata.0.volume_end_m3_per_ha",
    ),
    ("TH-EC-001", "extra", _stratum(EC1, 0, age_years="5"), "strata.0.age_years"),
    (
        "TH-EC-001",
        "unknown species group",
        _stratum(EC1, 1, species_group="bamboo"),
        "strata.1.species_group",
    ),
    ("TH-EC-001", "no strata", _with(EC1, strata=[]), "strata"),
    (
        "TH-EC-001",
        "inconsistent: duplicate stratum",
        _stratum(EC1, 1, stratum_id="S1"),
        "strata.1.stratum_id",
    ),
    ("TH-EC-002", "negative", _with(EC2, area_ha="-1000"), "area_ha"),
    ("TH-EC-002", "zero", _with(EC2, baseline_n_kg_per_ha="0"), "baseline_n_kg_per_ha"),
    ("TH-EC-002", "zero seasons", _with(EC2, crop_seasons=0), "crop_seasons"),
    ("TH-EC-002", "missing", _with(EC2, crop_seasons=None), "crop_seasons"),
    ("TH-EC-002", "extra", _with(EC2, crop="rice"), "crop"),
    (
        "TH-EC-002",
        "inconsistent: more N than baseline",
        _with(EC2, project_n_kg_per_ha="211"),
        "project_n_kg_per_ha",
    ),
    ("TH-RS-001", "negative", _with(RS1, paper_t="-1"), "paper_t"),
    ("TH-RS-001", "zero", _with(RS1, collected_t="0"), "collected_t"),
    ("TH-RS-001", "missing", _with(RS1, transport_tkm=None), "transport_tkm"),
    ("TH-RS-001", "extra", _with(RS1, cardboard_t="3"), "cardboard_t"),
    (
        "TH-RS-001",
        "inconsistent: more recovered than collected",
        _with(RS1, collected_t="900"),
        "collected_t",
    ),
]
BAD_INPUT += [(c.code, case, raw, f) for c in ADDED for case, raw, f in c.bad_input]


@pytest.mark.parametrize(
    ("code", "case", "raw", "field_name"), BAD_INPUT, ids=[f"{c}-{k}" for c, k, _, _ in BAD_INPUT]
)
def test_parse__bad_input_raises_naming_the_field(
    code: str, case: str, raw: dict[str, Any], field_name: str
) -> None:
    m = methodologies.get(code, 1)
    with pytest.raises(MethodologyInputError) as exc:
        m.parse(raw)
    assert field_name in _fields(exc), exc.value.errors
    assert all(e["message"] for e in exc.value.errors)
    with pytest.raises(MethodologyInputError):
        m.compute(raw, EXAMPLES[code].period)


def test_parse__lists_every_bad_field() -> None:
    raw = _with(ES1, heat_delivered_gj="-1", electricity_kwh=None, steam_t="4")
    with pytest.raises(MethodologyInputError) as exc:
        methodologies.get("TH-ES-001", 1).parse(raw)
    assert {"heat_delivered_gj", "electricity_kwh", "steam_t"} <= _fields(exc)


def test_parse__not_an_object_is_rejected() -> None:
    with pytest.raises(MethodologyInputError):
        methodologies.get("TH-ES-002", 1).parse(["generation_kwh", 1])  # type: ignore[arg-type]


def test_parse__input_is_immutable() -> None:
    data = methodologies.get("TH-ES-002", 1).parse(ES2)
    with pytest.raises(ValueError):
        data.generation_kwh = Decimal(1)  # type: ignore[attr-defined]


def test_quantify__rejects_another_methodologys_input() -> None:
    other = methodologies.get("TH-ES-002", 1).parse(ES2)
    with pytest.raises(TypeError):
        methodologies.get("TH-ES-001", 1).quantify(other, YEAR_2025)


# --- checks that need the monitoring period --------------------------------------------------

PERIOD_CHECKS = [
    # electricity above rated power x 24 h x 31 days = 892,800 kWh
    ("TH-ES-001", ES1, MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31)), "electricity_kwh"),
    # generation above 500 kWp x 24 h x 30 days = 360,000 kWh
    ("TH-ES-002", ES2, MonitoringPeriod(date(2025, 6, 1), date(2025, 6, 30)), "generation_kwh"),
    # less than a year between inventories
    ("TH-EC-001", EC1, MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 30)), "period"),
    # 37.7 m3/ha in one year is within 60 m3/ha/yr; 90 is not
    ("TH-EC-001", _stratum(EC1, 0, volume_end_m3_per_ha="98.5"), YEAR_2025, "strata.0.volume_end_m3_per_ha"),
    # four seasons in one year
    ("TH-EC-002", _with(EC2, crop_seasons=4), YEAR_2025, "crop_seasons"),
]


@pytest.mark.parametrize(("code", "raw", "period", "field_name"), PERIOD_CHECKS)
def test_quantify__data_impossible_for_the_period_is_rejected(
    code: str, raw: dict[str, Any], period: MonitoringPeriod, field_name: str
) -> None:
    with pytest.raises(MethodologyInputError) as exc:
        methodologies.get(code, 1).compute(raw, period)
    assert field_name in _fields(exc)


def test_fertilisation__four_seasons_fit_in_two_years() -> None:
    q = methodologies.get("TH-EC-002", 1).compute(
        _with(EC2, crop_seasons=4), MonitoringPeriod(date(2024, 1, 1), date(2025, 12, 31))
    )
    assert q.net_kg > 0


def test_monitoring_period__is_inclusive_and_ordered() -> None:
    assert MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 1)).days == 1
    assert YEAR_2025.days == 365
    with pytest.raises(ValueError):
        MonitoringPeriod(date(2025, 2, 1), date(2025, 1, 31))


# --- no reduction ------------------------------------------------------------------------------

NO_REDUCTION = [
    # an inefficient electric boiler on a 100 %-efficient baseline: 94,600 kg vs 156,400 kg
    (
        "TH-ES-001",
        _with(
            ES1,
            heat_delivered_gj="1000",
            electricity_kwh="1000000",
            baseline_efficiency_measured="1",
            baseline_efficiency_rated="1",
        ),
    ),
    ("TH-ES-002", _with(ES2, generation_kwh="1200", exported_kwh="0")),
    ("TH-ES-002", _with(ES2, generation_kwh="0", exported_kwh="0", auxiliary_import_kwh="0")),
    ("TH-EC-001", _stratum(_stratum(EC1, 0, volume_end_m3_per_ha="8.5"), 1, volume_end_m3_per_ha="4.0")),
    ("TH-EC-001", _with(EC1, sampling_error_pct="100")),
    ("TH-EC-002", _with(EC2, project_n_kg_per_ha="210")),
    (
        "TH-RS-001",
        _with(
            RS1,
            paper_t="0",
            plastics_t="0",
            aluminium_cans_t="0",
            other_metals_t="0",
            glass_t="1",
            transport_tkm="10000",
        ),
    ),
    (
        "TH-RS-001",
        _with(
            RS1,
            paper_t="0",
            plastics_t="0",
            aluminium_cans_t="0",
            other_metals_t="0",
            glass_t="0",
            transport_tkm="0",
        ),
    ),
]
NO_REDUCTION += [(c.code, raw) for c in ADDED for raw in c.no_reduction]


@pytest.mark.parametrize(("code", "raw"), NO_REDUCTION)
def test_quantify__no_reduction_raises(code: str, raw: dict[str, Any]) -> None:
    m = methodologies.get(code, 1)
    m.parse(raw)  # the data themselves are valid
    with pytest.raises(MethodologyInputError, match="no reduction"):
        m.compute(raw, EXAMPLES[code].period)


# --- content hash ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_content_hash__is_32_bytes_and_deterministic(code: str) -> None:
    m = methodologies.get(code, 1)
    h = m.content_hash()
    assert isinstance(h, bytes) and len(h) == 32
    assert m.content_hash() == h
    assert type(m)().content_hash() == h


@pytest.mark.parametrize("code", CODES)
def test_content_hash__ignores_where_the_factor_file_lives_and_its_line_ends(
    code: str, tmp_path: Path
) -> None:
    m = methodologies.get(code, 1)
    copy = tmp_path / "copy.json"
    shutil.copyfile(m.default_factors_path(), copy)
    assert type(m)(copy).content_hash() == m.content_hash()
    crlf = tmp_path / "crlf.json"
    crlf.write_bytes(m.default_factors_path().read_bytes().replace(b"\n", b"\r\n"))
    assert type(m)(crlf).content_hash() == m.content_hash()


@pytest.mark.parametrize("code", CODES)
def test_content_hash__changes_when_a_factor_changes(code: str, tmp_path: Path) -> None:
    m = methodologies.get(code, 1)
    doc = json.loads(m.default_factors_path().read_text(encoding="utf-8"))
    first = doc["factors"][0]
    first["value"] = str(Decimal(first["value"]) + Decimal("0.001"))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")

    other = type(m)(changed)
    assert other.factors[first["key"]] != m.factors[first["key"]]
    assert other.content_hash() != m.content_hash()


def test_content_hash__differs_between_methodologies() -> None:
    hashes = {m.content_hash() for m in methodologies.all_methodologies()}
    assert len(hashes) == len(methodologies.all_methodologies())


# --- factors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_factors__every_factor_has_a_source_and_a_unit(code: str) -> None:
    m = methodologies.get(code, 1)
    assert m.factors.factors
    for f in m.factors.factors.values():
        assert f.source.strip() and f.unit.strip()
        assert f.value.is_finite()


def test_factor_set__rejects_a_numeric_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"version": "x", "factors": [{"key": "k", "value": 0.1, "unit": "u", "source": "s"}]}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="must be a string"):
        FactorSet.load(path)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1,5", ""])
def test_factor_set__rejects_a_value_that_is_not_a_finite_decimal(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"version": "x", "factors": [{"key": "k", "value": value, "unit": "u", "source": "s"}]}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError):
        FactorSet.load(path)


def test_factor_set__rejects_a_duplicate_key(tmp_path: Path) -> None:
    entry = {"key": "k", "value": "1", "unit": "u", "source": "s"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": "x", "factors": [entry, entry]}), encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        FactorSet.load(path)


# --- describe and the registry -----------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_describe__is_json_serialisable(code: str) -> None:
    m = methodologies.get(code, 1)
    d = json.loads(json.dumps(m.describe()))
    assert d["code"] == code and d["version"] == 1
    assert d["category"] in CATEGORIES
    assert d["title"] and d["title_zh"]
    assert d["content_hash"] == "0x" + m.content_hash().hex() and len(d["content_hash"]) == 66
    assert d["input_schema"]["type"] == "object"
    assert {f["key"] for f in d["factors"]} == set(m.factors.factors)
    assert all(isinstance(f["value"], str) for f in d["factors"])


def test_all_methodologies__every_one_sorted_by_code_and_version() -> None:
    ms = methodologies.all_methodologies()
    assert [(m.code, m.version) for m in ms] == sorted((m.code, m.version) for m in ms)
    assert [m.code for m in ms] == CODES
    assert all(isinstance(m, Methodology) for m in ms)


def test_all_methodologies__cover_the_three_tradable_product_types() -> None:
    by_category = {m.category for m in methodologies.all_methodologies()}
    assert by_category == CATEGORIES
    requirements = {r for m in methodologies.all_methodologies() for r in m.requirements}
    assert {"R11", "R12", "R13"} <= requirements


def test_get__returns_the_registered_instance() -> None:
    assert methodologies.get("TH-ES-001", 1) is methodologies.get("TH-ES-001", 1)


@pytest.mark.parametrize(("code", "version"), [("TH-XX-999", 1), ("TH-ES-001", 2), ("th-es-001", 1)])
def test_get__unknown_methodology_raises(code: str, version: int) -> None:
    with pytest.raises(UnknownMethodology) as exc:
        methodologies.get(code, version)
    assert (exc.value.code, exc.value.version) == (code, version)


@pytest.mark.parametrize("code", CODES)
def test_documents__exist_and_cite_every_factor_source(code: str) -> None:
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    for heading in (
        "Applicability",
        "Formula",
        "Emission factors",
        "Monitoring parameters",
        "Worked example",
    ):
        assert heading in doc, f"{code}.md lacks a '{heading}' section"
    for f in methodologies.get(code, 1).factors.factors.values():
        assert str(f.value) in doc, f"{code}.md does not give factor {f.key} = {f.value}"
