"""Declarative methodologies (R3): the example document reproduces its worked example, every
problem code is produced by a minimal bad spec, forbidden expression constructs are refused
before anything is evaluated, monitoring data are validated per field, and the content hash is
stable and sensitive."""

from __future__ import annotations

import builtins
import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry.methodologies import Methodology, MethodologyInputError, MonitoringPeriod, Quantification
from registry.methodologies.declarative import (
    HASH_TAG,
    MAX_EXPRESSION_CHARS,
    PROBLEM_CODES,
    DeclarativeMethodology,
    ExpressionError,
    InvalidMethodologySpec,
    MethodologySpec,
    ProposalProblem,
    canonical_json,
    check_spec,
    compile_expression,
    parse_spec,
    problems_of,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "methodologies" / "declarative-example.json"
YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))


def example_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return doc


def minimal() -> dict[str, Any]:
    """A small valid spec: electricity saved, valued at 0.5 kg/kWh."""
    return {
        "code": "TH-XT-001",
        "version": 1,
        "title": "Test saving",
        "title_zh": "测试节电",
        "category": "resource-saving",
        "requirements": ["R3"],
        "description": "Test methodology.",
        "inputs": [
            {"name": "before_kwh", "unit": "kWh", "description": "before", "minimum": "0", "maximum": "1e9"},
            {"name": "after_kwh", "unit": "kWh", "description": "after", "minimum": "0", "maximum": "1e9"},
        ],
        "factors": [{"key": "ef", "value": "0.5", "unit": "kg CO2/kWh", "source": "test source"}],
        "steps": [
            {"name": "saved_kwh", "label": "saved", "expression": "before_kwh - after_kwh", "unit": "kWh"},
            {"name": "baseline_kg", "label": "baseline", "expression": "before_kwh * ef", "unit": "kg"},
            {"name": "project_kg", "label": "project", "expression": "after_kwh * ef", "unit": "kg"},
        ],
        "baseline": "baseline_kg",
        "project": "project_kg",
        "checks": [
            {
                "field": "after_kwh",
                "expression": "after_kwh <= before_kwh",
                "message": "after is above before",
            }
        ],
        "worked_example": {
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "inputs": {"before_kwh": "1000", "after_kwh": "400"},
            "baseline_kg": 500,
            "project_kg": 200,
            "leakage_kg": 0,
            "net_kg": 300,
        },
    }


def codes(problems: list[ProposalProblem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: list[ProposalProblem], code: str) -> ProposalProblem:
    assert codes(problems) == [code], problems
    return problems[0]


# --------------------------------------------------------------------------------------------
# The example document


def test_example_document_is_clean_and_reproduces_its_worked_example() -> None:
    doc = example_doc()
    assert problems_of(doc) == []
    m = DeclarativeMethodology.from_document(doc)
    result = m.compute(doc["worked_example"]["inputs"], YEAR_2025)
    # By hand, year 2025 (365 days), 1800 m3 of hot water heated by 40 K:
    #   heat delivered       = 1800 × 40 × 1.14           = 82080 kWh
    #   baseline electricity = 82080 / 1                  = 82080 kWh
    #   seasonal COP         = 82080 / 21000              = 3.908571 (3.90857142…, informative)
    #   baseline             = 82080 × 0.5306             = 43551.648 kg → rounded down 43551
    #   project              = 21000 × 0.5306             = 11142.6 kg   → rounded up   11143
    #   net                  = 43551 - 11143 - 0          = 32408 kg CO2e
    # Checks: 21000 × 5 = 105000 ≥ 82080 (COP ≤ 5); 15 kW × 24 × 365 = 131400 ≥ 21000 kWh.
    assert (result.baseline_kg, result.project_kg, result.leakage_kg, result.net_kg) == (
        43551,
        11143,
        0,
        32408,
    )
    steps = dict(result.steps)
    assert steps["heat_delivered_kwh: heat delivered = hot water x temperature rise x heat capacity"] == (
        "82080.000000 kWh"
    )
    assert steps["seasonal_cop: seasonal COP, informative = heat delivered / heat-pump electricity"] == (
        "3.908571"
    )
    assert steps["baseline emissions"] == "43551.648000 kg CO2e"
    assert steps["project emissions"] == "11142.600000 kg CO2e"
    assert steps["net reduction (exact)"] == "32409.048000 kg CO2e"
    ex = doc["worked_example"]
    assert (ex["baseline_kg"], ex["project_kg"], ex["leakage_kg"], ex["net_kg"]) == (43551, 11143, 0, 32408)


def test_a_declarative_methodology_is_a_methodology() -> None:
    m = DeclarativeMethodology.from_document(example_doc())
    assert isinstance(m, Methodology)
    assert isinstance(m, DeclarativeMethodology)
    cls = type(m)
    assert (cls.code, cls.version, cls.category, cls.requirements) == (
        "TH-XP-001",
        1,
        "energy-substitution",
        ("R3", "R11"),
    )
    assert m.title_zh == "空气源热泵热水器替代电热水器"
    assert m.factors["grid_ef_kg_per_kwh"] == Decimal("0.5306")
    assert "MEE" in m.factors.factors["grid_ef_kg_per_kwh"].source
    parsed = m.parse(example_doc()["worked_example"]["inputs"])
    assert isinstance(parsed, m.Input)
    assert isinstance(m.quantify(parsed, YEAR_2025), Quantification)
    d = m.describe()
    assert d["code"] == "TH-XP-001" and d["declarative"] is True
    assert set(d["input_schema"]["properties"]) == {
        "hot_water_m3",
        "temperature_rise_k",
        "heat_pump_kwh",
        "heat_pump_rated_kw",
    }
    assert d["input_schema"]["additionalProperties"] is False
    assert all(f["source"] for f in d["factors"])
    assert d["content_hash"] == "0x" + m.content_hash().hex()
    json.dumps(d)  # JSON-able


def test_two_specs_make_two_independent_classes() -> None:
    a = DeclarativeMethodology(parse_spec(minimal()))
    other = minimal()
    other["code"] = "TH-XT-002"
    b = DeclarativeMethodology(parse_spec(other))
    assert type(a) is not type(b)
    assert (a.code, b.code) == ("TH-XT-001", "TH-XT-002")
    assert a.Input is not b.Input


def test_building_from_a_bad_spec_lists_the_problems() -> None:
    doc = minimal()
    doc["category"] = "nonsense"
    doc["worked_example"]["net_kg"] = 1
    with pytest.raises(InvalidMethodologySpec) as err:
        DeclarativeMethodology.from_document(doc)
    assert codes(err.value.problems) == ["unknown_category", "example_not_reproduced"]
    with pytest.raises(InvalidMethodologySpec):
        DeclarativeMethodology(parse_spec(doc))


# --------------------------------------------------------------------------------------------
# Problem codes, one minimal bad spec each


def test_minimal_spec_is_clean() -> None:
    assert problems_of(minimal()) == []


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("title"), "title"),
        (lambda d: d.update(extra="x"), "extra"),
        (lambda d: d["factors"][0].update(value=0.5), "factors[0].value"),  # a float: refused
        (lambda d: d["factors"][0].update(value="abc"), "factors[0].value"),
        (lambda d: d["inputs"][0].update(name="Before"), "inputs[0].name"),
        (lambda d: d["inputs"][0].update(name="lambda"), "inputs[0].name"),
        (lambda d: d["inputs"][0].update(maximum="1e30"), "inputs[0].maximum"),
        (lambda d: d["inputs"][0].update(minimum="5", maximum="1"), "inputs[0]"),
        (lambda d: d.update(description="x" * 10_001), "description"),
        (lambda d: d.update(inputs=[]), "inputs"),
        (lambda d: d["worked_example"].update(period_end="2024-12-31"), "worked_example"),
        (lambda d: d.update(version="1"), "version"),
    ],
)
def test_bad_spec(mutate: Any, where: str) -> None:
    doc = minimal()
    mutate(doc)
    problem = only(problems_of(doc), "bad_spec")
    assert problem.where == where
    with pytest.raises(InvalidMethodologySpec):
        parse_spec(doc)


def test_bad_spec_lists_every_validation_error() -> None:
    doc = minimal()
    doc.pop("title")
    doc["factors"][0]["value"] = 0.5
    assert [(p.code, p.where) for p in problems_of(doc)] == [
        ("bad_spec", "title"),
        ("bad_spec", "factors[0].value"),
    ]
    assert codes(problems_of([])) == ["bad_spec"]  # type: ignore[arg-type]


def test_unknown_category() -> None:
    doc = minimal()
    doc["category"] = "forestry"
    problem = only(problems_of(doc), "unknown_category")
    assert problem.where == "category" and "forestry" in problem.message


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["factors"][0].update(key="before_kwh"), "factors[0].key"),
        (lambda d: d["steps"][0].update(name="after_kwh"), "steps[0].name"),
        (lambda d: d["inputs"][1].update(name="period_days"), "inputs[1].name"),
        (lambda d: d["factors"][0].update(key="max"), "factors[0].key"),
        (lambda d: d["inputs"][1].update(name="model_dump"), "inputs[1].name"),
    ],
)
def test_duplicate_name(mutate: Any, where: str) -> None:
    doc = minimal()
    mutate(doc)
    problems = problems_of(doc)
    assert "duplicate_name" in codes(problems)
    assert any(p.code == "duplicate_name" and p.where == where for p in problems)


@pytest.mark.parametrize("attr", ["source", "unit"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_factor_without_source(attr: str, blank: str) -> None:
    doc = minimal()
    doc["factors"][0][attr] = blank
    problem = only(problems_of(doc), "factor_without_source")
    assert problem.where == f"factors[0].{attr}"


def test_a_missing_source_is_a_bad_spec() -> None:
    doc = minimal()
    del doc["factors"][0]["source"]
    assert only(problems_of(doc), "bad_spec").where == "factors[0].source"


FORBIDDEN = [
    ("__import__('os')", "__import__"),
    ("__import__('os').system('true')", "attribute"),
    ("before_kwh.real", "attribute"),
    ("before_kwh[0]", "subscript"),
    ("'x'", "string"),
    ("lambda: 1", "lambda"),
    ("[x for x in before_kwh]", "comprehension"),
    ("2**10000", "**"),
    ("before_kwh // 2", "//"),
    ("before_kwh % 2", "%"),
    ("f(before_kwh)", "'f'"),
    ("min(before_kwh, after_kwh, key=ef)", "keyword"),
    ("min(*before_kwh)", "starred"),
    ("1" * 40, "digits"),
    ("1e10", "plain decimal"),
    ("0x10", "plain decimal"),
    ("1_000", "plain decimal"),
    ("True", "plain decimal"),
    ("-(" * 40 + "1" + ")" * 40, "levels deep"),
    ("+".join(["a"] * 150), "syntax nodes"),
    ("min(1, " * 40 + "1" + ")" * 40, "levels deep"),
    ("1 + " * 200 + "1", "characters"),
    ("(" * 300 + "1" + ")" * 300, "characters"),
    ("before_kwh if ef else after_kwh", "conditional"),
    ("before_kwh > after_kwh", "only allowed in checks"),
    ("not before_kwh", "only allowed in checks"),
    ("before_kwh +", "syntax error"),
    ("before_kwh\n+1", "character"),
    ("", "empty"),
    ("(x := 1)", ":="),
    ("{1: 2}", "dict"),
    ("max(before_kwh)", "2 to 20"),
    ("min", "function"),
]


@pytest.mark.parametrize(("text", "reason"), FORBIDDEN)
def test_forbidden_constructs_are_bad_expressions(text: str, reason: str) -> None:
    doc = minimal()
    doc["steps"][0]["expression"] = text
    problem = only(problems_of(doc), "bad_expression")
    assert problem.where == "steps[0].expression"
    assert reason.lower() in problem.message.lower(), problem.message


def test_nothing_is_compiled_to_code_or_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing only builds a syntax tree: ``compile`` is only ever asked for an AST, and
    ``eval``/``exec`` are never called, for good and bad expressions alike."""
    import ast

    real_compile = builtins.compile

    def ast_only(source: Any, filename: Any, mode: str, flags: int = 0, *args: Any, **kw: Any) -> Any:
        assert flags & ast.PyCF_ONLY_AST, "compile() asked for code"
        return real_compile(source, filename, mode, flags, *args, **kw)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "compile", ast_only)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for text, _ in FORBIDDEN:
        with pytest.raises(ExpressionError):
            compile_expression(text)
    doc = example_doc()
    m = DeclarativeMethodology.from_document(doc)
    assert m.compute(doc["worked_example"]["inputs"], YEAR_2025).net_kg == 32408


def test_bad_expression_in_a_check_and_in_the_totals() -> None:
    doc = minimal()
    doc["checks"][0]["expression"] = "after_kwh"  # a number, not a condition
    doc["leakage"] = "a.b"
    problems = problems_of(doc)
    assert [(p.code, p.where) for p in problems] == [
        ("bad_expression", "leakage"),
        ("bad_expression", "checks[0].expression"),
    ]


def test_expression_length_is_bounded() -> None:
    text = " + ".join(["before_kwh"] * 50)
    assert len(text) > MAX_EXPRESSION_CHARS
    with pytest.raises(ExpressionError, match="characters"):
        compile_expression(text)


def test_unknown_variable() -> None:
    doc = minimal()
    doc["steps"][1]["expression"] = "before_kwh * grid_ef"
    problem = only(problems_of(doc), "unknown_variable")
    assert problem.where == "steps[1].expression" and "grid_ef" in problem.message


def test_a_step_may_not_use_a_later_step() -> None:
    doc = minimal()
    doc["steps"][0]["expression"] = "baseline_kg - project_kg"
    problems = problems_of(doc)
    assert codes(problems) == ["unknown_variable", "unknown_variable"]
    assert all(p.where == "steps[0].expression" and "later" in p.message for p in problems)


def test_a_step_may_not_use_itself() -> None:
    doc = minimal()
    doc["steps"][0]["expression"] = "saved_kwh + 1"
    assert "itself" in only(problems_of(doc), "unknown_variable").message


def test_checks_may_not_use_steps_and_must_name_an_input() -> None:
    doc = minimal()
    doc["checks"][0]["expression"] = "saved_kwh >= 0"
    doc["checks"][0]["field"] = "saved_kwh"
    problems = problems_of(doc)
    assert [(p.code, p.where) for p in problems] == [
        ("unknown_variable", "checks[0].field"),
        ("unknown_variable", "checks[0].expression"),
    ]


def test_division_by_zero_in_the_worked_example() -> None:
    doc = minimal()
    doc["steps"][0]["expression"] = "before_kwh / (after_kwh - 400)"
    problem = only(problems_of(doc), "division_by_zero")
    assert problem.where == "steps[0].expression"
    doc["steps"][0]["expression"] = "(after_kwh - 400) / (after_kwh - 400)"  # 0/0: InvalidOperation
    assert only(problems_of(doc), "division_by_zero").where == "steps[0].expression"


def test_example_not_reproduced_says_both_figures() -> None:
    doc = minimal()
    doc["worked_example"]["baseline_kg"] = 501
    doc["worked_example"]["net_kg"] = 301
    problems = problems_of(doc)
    assert [(p.code, p.where) for p in problems] == [
        ("example_not_reproduced", "worked_example.baseline_kg"),
        ("example_not_reproduced", "worked_example.net_kg"),
    ]
    assert "501" in problems[0].message and "500" in problems[0].message


@pytest.mark.parametrize(
    ("inputs", "where"),
    [
        ({"before_kwh": "1000", "after_kwh": "-1"}, "worked_example.inputs.after_kwh"),
        ({"before_kwh": "1000"}, "worked_example.inputs.after_kwh"),
        ({"before_kwh": "1000", "after_kwh": "400", "other": "1"}, "worked_example.inputs.other"),
        ({"before_kwh": "1000", "after_kwh": "1001"}, "worked_example.inputs.after_kwh"),  # the check
    ],
)
def test_example_invalid(inputs: dict[str, str], where: str) -> None:
    doc = minimal()
    doc["worked_example"]["inputs"] = inputs
    assert only(problems_of(doc), "example_invalid").where == where


def test_example_failing_a_period_check_is_invalid() -> None:
    doc = minimal()
    doc["checks"].append(
        {"field": "before_kwh", "expression": "before_kwh <= 2 * period_days", "message": "too much"}
    )
    problem = only(problems_of(doc), "example_invalid")
    assert problem.where == "worked_example.inputs.before_kwh" and problem.message == "too much"


def test_no_reduction() -> None:
    doc = minimal()
    doc["worked_example"]["inputs"] = {"before_kwh": "400", "after_kwh": "400"}
    doc["worked_example"].update(baseline_kg=200, project_kg=200, net_kg=0)
    problem = only(problems_of(doc), "no_reduction")
    assert "0 kg" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    doc = minimal()
    doc["category"] = "x"
    doc["factors"][0]["source"] = ""
    doc["inputs"][1]["name"] = "before_kwh"
    doc["steps"][0]["expression"] = "a[0]"
    doc["steps"][1]["expression"] = "nope * 2"
    assert sorted(set(codes(problems_of(doc)))) == [
        "bad_expression",
        "duplicate_name",
        "factor_without_source",
        "unknown_category",
        "unknown_variable",
    ]


def test_problem_codes_are_documented() -> None:
    assert set(PROBLEM_CODES) >= {
        "bad_expression",
        "unknown_variable",
        "duplicate_name",
        "factor_without_source",
        "division_by_zero",
        "example_not_reproduced",
        "example_invalid",
        "no_reduction",
        "bad_spec",
        "unknown_category",
    }


# --------------------------------------------------------------------------------------------
# Monitoring data


@pytest.fixture
def saving() -> DeclarativeMethodology:
    return DeclarativeMethodology.from_document(minimal())


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"before_kwh": "1000", "after_kwh": "-0.1"}, "after_kwh"),
        ({"before_kwh": "1e10", "after_kwh": "1"}, "before_kwh"),
        ({"before_kwh": "1000"}, "after_kwh"),
        ({"before_kwh": "1000", "after_kwh": "1", "meter": "1"}, "meter"),
        ({"before_kwh": "1000", "after_kwh": "1001"}, "after_kwh"),
        ({"before_kwh": 1000.0, "after_kwh": "1"}, "before_kwh"),
        ({"before_kwh": "NaN", "after_kwh": "1"}, "before_kwh"),
        ({"before_kwh": True, "after_kwh": "1"}, "before_kwh"),
        ({"before_kwh": "abc", "after_kwh": "1"}, "before_kwh"),
    ],
)
def test_bad_monitoring_data_names_the_field(
    saving: DeclarativeMethodology, raw: dict[str, Any], field: str
) -> None:
    with pytest.raises(MethodologyInputError) as err:
        saving.compute(raw, YEAR_2025)
    assert [e["field"] for e in err.value.errors] == [field]


def test_the_check_message_is_reported(saving: DeclarativeMethodology) -> None:
    with pytest.raises(MethodologyInputError) as err:
        saving.parse({"before_kwh": "10", "after_kwh": "11"})
    assert err.value.errors == [{"field": "after_kwh", "message": "after is above before"}]


def test_monitoring_data_must_be_an_object(saving: DeclarativeMethodology) -> None:
    with pytest.raises(MethodologyInputError):
        saving.parse(["x"])  # type: ignore[arg-type]


def test_integer_inputs_and_period_checks() -> None:
    doc = minimal()
    doc["inputs"].append(
        {
            "name": "units",
            "unit": "1",
            "description": "count",
            "minimum": "1",
            "maximum": "100",
            "integer": True,
        }
    )
    doc["checks"].append(
        {"field": "before_kwh", "expression": "before_kwh <= 10 * period_days", "message": "too much per day"}
    )
    doc["worked_example"]["inputs"]["units"] = 3
    m = DeclarativeMethodology.from_document(doc)
    good = {"before_kwh": "1000", "after_kwh": "400", "units": "3"}
    assert m.compute(good, YEAR_2025).net_kg == 300
    with pytest.raises(MethodologyInputError) as err:
        m.parse({**good, "units": "2.5"})
    assert err.value.errors[0]["field"] == "units"
    # 1000 kWh in 10 days is more than 10 kWh a day: refused when quantified, naming the field.
    with pytest.raises(MethodologyInputError) as err:
        m.compute(good, MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 10)))
    assert err.value.errors == [{"field": "before_kwh", "message": "too much per day"}]


def test_division_by_zero_in_monitoring_data_is_an_input_error() -> None:
    doc = minimal()
    doc["steps"].append({"name": "ratio", "label": "ratio", "expression": "before_kwh / after_kwh"})
    m = DeclarativeMethodology.from_document(doc)
    with pytest.raises(MethodologyInputError, match="division by zero"):
        m.compute({"before_kwh": "10", "after_kwh": "0"}, YEAR_2025)


def test_huge_values_are_overflow_problems_not_crashes() -> None:
    doc = minimal()
    doc["steps"].append(
        {
            "name": "huge",
            "label": "huge",
            "expression": "before_kwh * before_kwh * before_kwh * before_kwh * 1000000000",
        }
    )
    doc["worked_example"]["inputs"]["before_kwh"] = "1000000000"
    doc["worked_example"]["inputs"]["after_kwh"] = "1"
    problem = only(problems_of(doc), "overflow")
    assert problem.where == "steps[3].expression"
    doc["worked_example"]["inputs"]["before_kwh"] = "1000"
    doc["worked_example"]["inputs"]["after_kwh"] = "400"
    m = DeclarativeMethodology.from_document(doc)
    with pytest.raises(MethodologyInputError, match="too large"):
        m.compute({"before_kwh": "1e9", "after_kwh": "1"}, YEAR_2025)
    # Dividing by a tiny positive input overflows the exponent range: also an input error.
    doc["steps"][3]["expression"] = "before_kwh / after_kwh"
    m = DeclarativeMethodology.from_document(doc)
    with pytest.raises(MethodologyInputError, match="overflow"):
        m.compute({"before_kwh": "10", "after_kwh": "1e-999999"}, YEAR_2025)


def test_no_reduction_from_monitoring_data(saving: DeclarativeMethodology) -> None:
    with pytest.raises(MethodologyInputError, match=r"^<input>: no reduction"):
        saving.compute({"before_kwh": "10", "after_kwh": "10"}, YEAR_2025)


# --------------------------------------------------------------------------------------------
# Decimal arithmetic


def test_no_float_is_used_anywhere() -> None:
    doc = minimal()
    doc["factors"] = [{"key": "tenth", "value": "0.1", "unit": "1", "source": "test"}]
    doc["steps"] = [
        {"name": "three_tenths", "label": "3 x 0.1", "expression": "3 * tenth"},
        {"name": "literal", "label": "0.1 + 0.2", "expression": "0.1 + 0.2"},
        {"name": "baseline_kg", "label": "b", "expression": "before_kwh * three_tenths"},
        {"name": "project_kg", "label": "p", "expression": "after_kwh * literal"},
    ]
    # Exact only in decimal: in binary floating point 3 * 0.1 != 0.3 and 0.1 + 0.2 != 0.3.
    doc["checks"].append(
        {"field": "before_kwh", "expression": "3 * tenth == 0.3 and 0.1 + 0.2 == 0.3", "message": "float!"}
    )
    doc["worked_example"].update(baseline_kg=300, project_kg=120, net_kg=180)
    m = DeclarativeMethodology.from_document(doc)
    result = m.compute({"before_kwh": "1000", "after_kwh": "400"}, YEAR_2025)
    steps = dict(result.steps)
    assert steps["three_tenths: 3 x 0.1"] == "0.300000"
    assert steps["literal: 0.1 + 0.2"] == "0.300000"
    assert (result.baseline_kg, result.project_kg, result.net_kg) == (300, 120, 180)
    tree = compile_expression("0.1").tree
    assert getattr(tree, "value") == Decimal("0.1")  # noqa: B009 - the tree node's literal


def test_each_step_is_rounded_to_six_places_and_the_rounded_value_is_used() -> None:
    doc = minimal()
    doc["steps"] = [
        {"name": "third", "label": "1/3", "expression": "1 / 3"},
        {"name": "back", "label": "third x 3", "expression": "third * 3"},
        {"name": "baseline_kg", "label": "b", "expression": "before_kwh * back"},
        {"name": "project_kg", "label": "p", "expression": "min(after_kwh, before_kwh) * 0.5 - max(0, -1)"},
    ]
    # third = 0.333333 (rounded), back = 0.999999 (not 1); baseline = 1000 x 0.999999 = 999.999
    # → 999 kg; project = 400 x 0.5 - 0 = 200 kg; net 799.
    doc["worked_example"].update(baseline_kg=999, project_kg=200, net_kg=799)
    assert problems_of(doc) == []
    result = DeclarativeMethodology.from_document(doc).compute(doc["worked_example"]["inputs"], YEAR_2025)
    assert dict(result.steps)["back: third x 3"] == "0.999999"
    assert result.baseline_kg == 999


# --------------------------------------------------------------------------------------------
# Content hash


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def test_content_hash_is_stable_across_key_order_and_defaults() -> None:
    doc = example_doc()
    h = DeclarativeMethodology.from_document(doc).content_hash()
    assert len(h) == 32
    assert DeclarativeMethodology.from_document(_reordered(doc)).content_hash() == h
    # The hash is of the normalised spec: spelling out a default changes nothing.
    with_default = copy.deepcopy(doc)
    with_default["inputs"][0]["integer"] = False
    assert DeclarativeMethodology.from_document(with_default).content_hash() == h
    assert json.loads(canonical_json(parse_spec(doc))) == parse_spec(doc).model_dump(mode="json")


def test_content_hash_is_the_documented_encoding() -> None:
    from eth_utils.crypto import keccak

    spec = parse_spec(minimal())
    body = canonical_json(spec)
    assert b'": ' not in body and b', "' not in body  # no whitespace between tokens
    assert body.index(b'"baseline"') < body.index(b'"code"')  # sorted keys
    assert "测试节电".encode() in body  # UTF-8, not \u escapes
    expected = keccak(len(HASH_TAG).to_bytes(8, "big") + HASH_TAG + len(body).to_bytes(8, "big") + body)
    assert DeclarativeMethodology(spec).content_hash() == bytes(expected)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["factors"][3].update(value="4.5"),  # the example still passes the COP check
        lambda d: d["factors"][2].update(source=d["factors"][2]["source"] + " "),
        lambda d: d["steps"][0].update(expression="hot_water_m3 * temperature_rise_k * 1.14"),
        lambda d: d["inputs"][0].update(maximum="1e8"),
        lambda d: d.update(version=2),
        lambda d: d.update(description=d["description"] + "."),
    ],
)
def test_content_hash_changes_with_any_change(mutate: Any) -> None:
    doc = example_doc()
    h = DeclarativeMethodology.from_document(doc).content_hash()
    mutate(doc)
    assert problems_of(doc) == []
    assert DeclarativeMethodology.from_document(doc).content_hash() != h


def test_spec_is_frozen() -> None:
    spec = parse_spec(minimal())
    assert isinstance(spec, MethodologySpec)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.code = "X"
    assert check_spec(spec) == []
