"""Methodologies as code: the worked examples of docs/methodologies/ reproduced exactly, input
validation that names the bad field, conservative no-reduction handling, content hashes and the
registry lookups."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
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

DOCS = Path(__file__).resolve().parents[2] / "docs" / "methodologies"


@dataclass(frozen=True)
class WorkedExample:
    """The worked example of a methodology document, with every number it shows."""

    code: str
    raw: dict[str, Any]
    period: MonitoringPeriod
    baseline_kg: int
    project_kg: int
    leakage_kg: int
    net_kg: int
    steps: dict[str, str] = field(default_factory=dict)


YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

EXAMPLES = {
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


@pytest.mark.parametrize("code", CODES)
def test_quantification__net_is_baseline_minus_project_minus_leakage(code: str) -> None:
    ex = EXAMPLES[code]
    q = methodologies.get(code, 1).compute(ex.raw, ex.period)
    assert q.net_kg == q.baseline_kg - q.project_kg - q.leakage_kg
    assert q.net_kg > 0
    assert all(isinstance(label, str) and isinstance(value, str) for label, value in q.steps)


@pytest.mark.parametrize("code", CODES)
def test_quantify__equals_compute_on_parsed_input(code: str) -> None:
    m = methodologies.get(code, 1)
    ex = EXAMPLES[code]
    assert m.quantify(m.parse(ex.raw), ex.period) == m.compute(ex.raw, ex.period)


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


def test_all_methodologies__five_sorted_by_code_and_version() -> None:
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
