"""The scene-standard interface: an association's checklist answers in, a scored result out.

A certified low-carbon scene (R2, R5, R9) is a restaurant, supermarket, A-grade scenic spot,
hotel or exhibition assessed against a **scene standard**: a versioned Python module with a
scored checklist and a carbon-footprint part, and a factor file ``data/<code>-v<version>.json``
in the methodologies' format (every factor a decimal string with its unit and source).

- **Checklist.** Typed items, each with a maximum score. Mandatory items are prerequisites: met
  (scored their maximum) or not (0), nothing in between; any unmet prerequisite fails the
  assessment whatever the total.
- **Footprint.** The scene's CO2 from its metered electricity and natural gas over the period
  the standard names (grid and gas factors from the factor file), divided by its activity
  (customers, m² of sales floor, visitors, guest-nights, m²·days of exhibition) gives its
  intensity; compared with the standard's benchmark it earns ``footprint_max`` points when the
  intensity is at or below ``benchmark × (1 - full_score_reduction)``, none at or above the
  benchmark, and a straight-line share in between (rounded down to 0.01).
- **Pass.** The total (checklist + footprint, out of 100) reaches ``pass_mark`` and every
  prerequisite is met.

All arithmetic is ``Decimal`` in the methodologies' ``CONTEXT``; recorded intermediate values
are rounded to six places (``Steps``) and the rounded value is used next, so an assessor can
redo every step by hand. Bad answers are refused, never trimmed: :class:`ChecklistInvalid`
lists every problem, each ``{"field": "items.x", "message": ...}``.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, ClassVar

from eth_utils.crypto import keccak

from registry.methodologies.base import CONTEXT, FactorSet, Steps

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Scores are kept to two decimal places, rounded down.
SCORE_QUANTUM = Decimal("0.01")
MAX_TOTAL = Decimal(100)
_HASH_DOMAIN = b"tanhui/scene-standard-content/1"

#: Bounds of the footprint data (per assessment period).
MAX_ELECTRICITY_KWH = Decimal("1e10")
MAX_GAS_M3 = Decimal("1e9")
MAX_ACTIVITY = Decimal("1e10")


class ChecklistInvalid(ValueError):
    """The answers are not acceptable: ``problems`` lists every one as ``{"field", "message"}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p['field'] or '<answers>'}: {p['message']}" for p in problems))


class UnknownStandard(LookupError):
    def __init__(self, code: str, version: int | None = None) -> None:
        self.code = code
        self.version = version
        super().__init__(f"unknown scene standard {code!r}" + (f" version {version}" if version else ""))


@dataclass(frozen=True)
class Item:
    """One checklist item: scored 0 to ``max_score`` (at most two decimals); a mandatory item is
    a prerequisite, scored 0 (not met) or ``max_score`` (met)."""

    key: str
    label: str
    max_score: int
    mandatory: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "max_score": self.max_score,
            "mandatory": self.mandatory,
        }


@dataclass(frozen=True)
class Footprint:
    electricity_kwh: Decimal
    natural_gas_m3: Decimal
    activity: Decimal
    emissions_kg: Decimal
    intensity: Decimal
    benchmark: Decimal
    unit: str
    score: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "electricity_kwh": str(self.electricity_kwh),
            "natural_gas_m3": str(self.natural_gas_m3),
            "activity": str(self.activity),
            "emissions_kg": str(self.emissions_kg),
            "intensity": str(self.intensity),
            "benchmark": str(self.benchmark),
            "unit": self.unit,
            "score": str(self.score),
        }


@dataclass(frozen=True)
class Assessment:
    """The result: each item's score, the checklist total, the footprint and its score, the total
    out of 100, the pass mark, the unmet prerequisites and pass or fail; ``steps`` the audit trail."""

    standard: str
    version: int
    items: tuple[tuple[str, Decimal], ...]
    checklist_score: Decimal
    checklist_max: int
    footprint: Footprint
    footprint_max: int
    total: Decimal
    pass_mark: Decimal
    mandatory_unmet: tuple[str, ...]
    passed: bool
    steps: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "version": self.version,
            "items": {k: str(v) for k, v in self.items},
            "checklist_score": str(self.checklist_score),
            "checklist_max": self.checklist_max,
            "footprint": self.footprint.as_dict(),
            "footprint_max": self.footprint_max,
            "total": str(self.total),
            "max_total": str(MAX_TOTAL),
            "pass_mark": str(self.pass_mark),
            "mandatory_unmet": list(self.mandatory_unmet),
            "passed": self.passed,
            "steps": [list(s) for s in self.steps],
        }


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from an int, a decimal string or a Decimal; None for anything else
    (floats included: a binary float never becomes a score)."""
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, int | Decimal):
        d = Decimal(value)
    elif isinstance(value, str) and 0 < len(value) <= 40 and value.isascii() and "_" not in value:
        # ASCII only (no other scripts' digits) and no underscores ("1_0"); the magnitude is
        # bounded below (a value like "1E-40" would overflow the arithmetic's precision).
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    if not d.is_finite() or (d != 0 and not -24 <= d.adjusted() <= 30):
        return None
    return d


def _floor(value: Decimal) -> Decimal:
    return value.quantize(SCORE_QUANTUM, rounding=ROUND_FLOOR)


class SceneStandard(abc.ABC):
    """One version of a scene standard. Subclasses set the class attributes."""

    code: ClassVar[str]
    version: ClassVar[int]
    kind: ClassVar[str]
    title: ClassVar[str]
    title_zh: ClassVar[str]
    items: ClassVar[tuple[Item, ...]]
    #: What the footprint is divided by, e.g. "customers served", and its unit.
    activity: ClassVar[str]
    intensity_unit: ClassVar[str]
    #: What period the footprint data cover, e.g. "the last 12 months".
    period: ClassVar[str]
    footprint_max: ClassVar[int] = 30
    pass_mark: ClassVar[Decimal] = Decimal(70)

    factors: FactorSet

    def __init__(self, factors_path: Path | str | None = None) -> None:
        self._factors_path = (
            Path(factors_path) if factors_path is not None else DATA_DIR / f"{self.code}-v{self.version}.json"
        )
        self.factors = FactorSet.load(self._factors_path)
        for key in ("grid_ef_kg_per_kwh", "gas_ef_kg_per_m3", "benchmark", "full_score_reduction"):
            _ = self.factors[key]  # a missing factor fails at load, not at an assessment
        if not 0 < self.factors["full_score_reduction"] <= 1 or self.factors["benchmark"] <= 0:
            raise ValueError(f"{self._factors_path}: need 0 < full_score_reduction <= 1 and benchmark > 0")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isabstract(cls):
            return
        keys = [i.key for i in cls.items]
        if len(set(keys)) != len(keys):
            raise TypeError(f"{cls.__name__}: item keys repeat")
        if sum(i.max_score for i in cls.items) + cls.footprint_max != MAX_TOTAL:
            raise TypeError(f"{cls.__name__}: item maxima and footprint_max must sum to {MAX_TOTAL}")
        if not 0 < cls.pass_mark <= MAX_TOTAL:
            raise TypeError(f"{cls.__name__}: pass_mark out of range")

    @property
    def checklist_max(self) -> int:
        return sum(i.max_score for i in self.items)

    def validate(self, answers: Any) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """The item scores and footprint data of `answers`; ``ChecklistInvalid`` with every problem."""
        problems: list[dict[str, str]] = []

        def problem(field_name: str, message: str) -> None:
            problems.append({"field": field_name, "message": message})

        if not isinstance(answers, Mapping):
            raise ChecklistInvalid([{"field": "", "message": "answers are an object {items, footprint}"}])
        for extra in sorted(set(map(str, answers)) - {"items", "footprint"}):
            problem(extra, "unknown field; the answers are {items, footprint}")
        raw_items = answers.get("items")
        scores: dict[str, Decimal] = {}
        if not isinstance(raw_items, Mapping):
            problem("items", "missing: an object of item key -> score")
        else:
            known = {i.key: i for i in self.items}
            for extra in sorted(set(map(str, raw_items)) - set(known)):
                problem(f"items.{extra}", f"not an item of {self.code} v{self.version}")
            for item in self.items:
                name = f"items.{item.key}"
                if item.key not in raw_items:
                    problem(name, f"missing (0 to {item.max_score})")
                    continue
                score = _decimal(raw_items[item.key])
                if score is None:
                    problem(name, f"{raw_items[item.key]!r} is not a number (an integer or decimal string)")
                elif not 0 <= score <= item.max_score:
                    problem(name, f"{score} is out of range 0 to {item.max_score}")
                elif score != score.quantize(SCORE_QUANTUM, rounding=ROUND_FLOOR):
                    problem(name, f"{score} has more than two decimal places")
                elif item.mandatory and score not in (0, item.max_score):
                    problem(name, f"a prerequisite is met ({item.max_score}) or not (0), not {score}")
                else:
                    scores[item.key] = score
        raw_fp = answers.get("footprint")
        footprint: dict[str, Decimal] = {}
        bounds = {
            "electricity_kwh": (MAX_ELECTRICITY_KWH, False),
            "natural_gas_m3": (MAX_GAS_M3, False),
            "activity": (MAX_ACTIVITY, True),
        }
        if not isinstance(raw_fp, Mapping):
            problem("footprint", "missing: an object {electricity_kwh, natural_gas_m3, activity}")
        else:
            for extra in sorted(set(map(str, raw_fp)) - set(bounds)):
                problem(f"footprint.{extra}", "unknown field")
            for key, (upper, positive) in bounds.items():
                name = f"footprint.{key}"
                if key not in raw_fp:
                    problem(name, "missing")
                    continue
                value = _decimal(raw_fp[key])
                if value is None:
                    problem(name, f"{raw_fp[key]!r} is not a number (an integer or decimal string)")
                elif value < 0 or (positive and value == 0):
                    problem(name, f"{value} must be {'above' if positive else 'at least'} 0")
                elif value > upper:
                    problem(name, f"{value} is above the bound {upper}")
                else:
                    footprint[key] = value
        if problems:
            raise ChecklistInvalid(problems)
        return scores, footprint

    def assess(self, answers: Any) -> Assessment:
        """Scores `answers` ``{"items": {key: score}, "footprint": {electricity_kwh,
        natural_gas_m3, activity}}``; ``ChecklistInvalid`` if they are not acceptable."""
        scores, fp = self.validate(answers)
        with localcontext(CONTEXT):
            steps = Steps()
            checklist = sum((scores[i.key] for i in self.items), Decimal(0))
            steps.add("checklist score = sum of the items", checklist, f"of {self.checklist_max}")
            unmet = tuple(i.key for i in self.items if i.mandatory and scores[i.key] != i.max_score)
            if unmet:
                steps.note("prerequisites not met", ", ".join(unmet))
            electricity = steps.add(
                "electricity CO2 = kWh x grid factor",
                fp["electricity_kwh"] * self.factors["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            gas = steps.add(
                "natural gas CO2 = m3 x gas factor",
                fp["natural_gas_m3"] * self.factors["gas_ef_kg_per_m3"],
                "kg CO2",
            )
            emissions = steps.add("footprint = electricity + gas", electricity + gas, "kg CO2")
            intensity = steps.add(
                f"intensity = footprint / {self.activity}", emissions / fp["activity"], self.intensity_unit
            )
            benchmark = self.factors["benchmark"]
            reduction = self.factors["full_score_reduction"]
            full_at = steps.add(
                "full footprint score at or below = benchmark x (1 - full_score_reduction)",
                benchmark * (1 - reduction),
                self.intensity_unit,
            )
            share = (benchmark - intensity) / (benchmark - full_at)
            share = min(Decimal(1), max(Decimal(0), share))
            steps.add("share = (benchmark - intensity) / (benchmark - full), within 0 and 1", share, "")
            fp_score = _floor(self.footprint_max * share)
            steps.note(f"footprint score = {self.footprint_max} x share, rounded down", f"{fp_score}")
            total = checklist + fp_score
            passed = total >= self.pass_mark and not unmet
            steps.note("total = checklist + footprint", f"{total} of {MAX_TOTAL}")
            steps.note(
                f"pass: total >= {self.pass_mark} and every prerequisite met",
                "passed" if passed else "failed",
            )
        return Assessment(
            standard=self.code,
            version=self.version,
            items=tuple((i.key, scores[i.key]) for i in self.items),
            checklist_score=checklist,
            checklist_max=self.checklist_max,
            footprint=Footprint(
                electricity_kwh=fp["electricity_kwh"],
                natural_gas_m3=fp["natural_gas_m3"],
                activity=fp["activity"],
                emissions_kg=emissions,
                intensity=intensity,
                benchmark=benchmark,
                unit=self.intensity_unit,
                score=fp_score,
            ),
            footprint_max=self.footprint_max,
            total=total,
            pass_mark=self.pass_mark,
            mandatory_unmet=unmet,
            passed=passed,
            steps=steps.items(),
        )

    def content_hash(self) -> bytes:
        """keccak-256 over the module's source and the factor file: a version cannot change silently."""
        source = inspect.getsource(type(self)).encode()
        data = self._factors_path.read_bytes()
        return keccak(_HASH_DOMAIN + len(source).to_bytes(8, "big") + source + data)

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "kind": self.kind,
            "title": self.title,
            "title_zh": self.title_zh,
            "items": [i.describe() for i in self.items],
            "checklist_max": self.checklist_max,
            "footprint_max": self.footprint_max,
            "max_total": int(MAX_TOTAL),
            "pass_mark": str(self.pass_mark),
            "activity": self.activity,
            "intensity_unit": self.intensity_unit,
            "period": self.period,
            "content_hash": "0x" + self.content_hash().hex(),
            "factors": [
                {"key": f.key, "value": str(f.value), "unit": f.unit, "source": f.source, "note": f.note}
                for f in self.factors.factors.values()
            ],
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} v{self.version}>"
