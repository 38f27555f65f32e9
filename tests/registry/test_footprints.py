"""Footprint methodologies as code: the worked examples of docs/footprints/ reproduced exactly,
hand-worked cases, input validation that names the bad field, content hashes, and the documents."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from registry import footprints
from registry.footprints import SUBJECT_KINDS, Footprint, MethodologyInputError, MonitoringPeriod
from tests.registry.footprint_cases import FootprintCase, all_cases

DOCS = Path(__file__).resolve().parents[2] / "docs" / "footprints"
CASES = all_cases()
CODES = [c.code for c in CASES]
EXAMPLES = [c.example for c in CASES]
WORKED = EXAMPLES + [hw for c in CASES for hw in c.hand_worked]
BAD_INPUT = [(c.code, case, raw, f) for c in CASES for case, raw, f in c.bad_input]
PERIOD_CHECKS = [(c.code, case, raw, p, f) for c in CASES for case, raw, p, f in c.period_checks]


def test_every_registered_footprint_has_cases_and_every_subject_a_methodology() -> None:
    assert sorted(m.code for m in footprints.all_footprints()) == sorted(CODES)
    served = {s for m in footprints.all_footprints() for s in m.subjects}
    assert served == set(SUBJECT_KINDS)


@pytest.mark.parametrize("case", WORKED, ids=[f"{c.code}-{c.case}" for c in WORKED])
def test_worked_case__reproduced(case: FootprintCase) -> None:
    fp = footprints.get(case.code, 1).compute(case.raw, case.period)
    assert fp.total_kg == case.total_kg
    for source, kg in case.by_source.items():
        assert fp.by_source[source] == kg, source
    steps = dict(fp.steps)
    for label, value in case.steps.items():
        assert steps.get(label) == value, label


@pytest.mark.parametrize("case", EXAMPLES, ids=CODES)
def test_worked_example__numbers_appear_in_the_document(case: FootprintCase) -> None:
    doc = (DOCS / f"{case.code}.md").read_text(encoding="utf-8")
    assert f"{case.total_kg:,}" in doc
    for value in case.steps.values():
        assert value.split()[0] in doc, f"{case.code}.md does not show {value}"


@pytest.mark.parametrize("code", CODES)
def test_document__has_its_sections_and_cites_every_factor_source(code: str) -> None:
    doc = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    headings = (
        "## Applicability",
        "## Formula",
        "## Emission factors",
        "## Activity data",
        "## Worked example",
    )
    for heading in headings:
        assert heading in doc, f"{code}.md lacks {heading}"
    for factor in footprints.get(code, 1).factors.factors.values():
        assert factor.source in doc, f"{code}.md does not cite the source of {factor.key}"


@pytest.mark.parametrize(
    ("code", "case", "raw", "field"), BAD_INPUT, ids=[f"{b[0]}-{b[1]}" for b in BAD_INPUT]
)
def test_bad_input__refused_naming_the_field(code: str, case: str, raw: dict[str, Any], field: str) -> None:
    m = footprints.get(code, 1)
    example = next(c.example for c in CASES if c.code == code)
    with pytest.raises(MethodologyInputError) as exc:
        m.compute(raw, example.period)
    assert field in {e["field"] for e in exc.value.errors}, exc.value.errors


@pytest.mark.parametrize(
    ("code", "case", "raw", "period", "field"), PERIOD_CHECKS, ids=[f"{p[0]}-{p[1]}" for p in PERIOD_CHECKS]
)
def test_period_check__refused_naming_the_field(
    code: str, case: str, raw: dict[str, Any], period: MonitoringPeriod, field: str
) -> None:
    m = footprints.get(code, 1)
    m.parse(raw)  # the data themselves are valid
    with pytest.raises(MethodologyInputError) as exc:
        m.compute(raw, period)
    assert field in {e["field"] for e in exc.value.errors}, exc.value.errors


@pytest.mark.parametrize("code", CODES)
def test_content_hash__deterministic_and_changes_with_a_factor(code: str, tmp_path: Path) -> None:
    m = footprints.get(code, 1)
    assert len(m.content_hash()) == 32 and type(m)().content_hash() == m.content_hash()
    copy = tmp_path / "factors.json"
    shutil.copyfile(m.default_factors_path(), copy)
    assert type(m)(copy).content_hash() == m.content_hash()
    first = next(iter(m.factors.factors.values()))
    text = copy.read_text(encoding="utf-8")
    copy.write_text(
        text.replace(f'"value": "{first.value}"', f'"value": "{first.value}1"', 1), encoding="utf-8"
    )
    assert type(m)(copy).content_hash() != m.content_hash()


@pytest.mark.parametrize("code", CODES)
def test_describe__lists_factors_with_sources(code: str) -> None:
    d = footprints.get(code, 1).describe()
    assert d["code"] == code and d["subjects"] and d["input_schema"]["type"] == "object"
    assert all(f["source"] and f["unit"] for f in d["factors"])


def test_footprint__rounds_up_and_refuses_nothing_to_offset() -> None:
    from decimal import Decimal

    fp = Footprint.rounded_up(Decimal("10.000001"), {"travel": Decimal("0.2")}, ())
    assert (fp.total_kg, fp.by_source["travel"]) == (11, 1)
    with pytest.raises(MethodologyInputError, match="no emissions"):
        Footprint.rounded_up(Decimal("0"), {}, ())


def test_get__unknown_raises() -> None:
    with pytest.raises(footprints.UnknownMethodology):
        footprints.get("TH-FP-XXX-999", 1)
