"""The methodology interface: monitoring data in, a conservative quantification out.

A methodology version is code: a typed ``Input`` schema for the monitoring report, a formula
(``quantify``) and a factor file (``data/<code>-v<version>.json``). Its content hash, which goes
on chain when the version is published, covers the module's source and the factor file, so a
published version cannot change silently.

All arithmetic is ``Decimal``. Intermediate values are rounded to six decimal places where they
are recorded in the audit trail (``Quantification.steps``) and the rounded value is what the next
step uses, so a verifier can reproduce every step by hand. The final amounts are whole kilograms,
each rounded in the direction that can only lower the net reduction.
"""

from __future__ import annotations

import abc
import datetime
import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import pydantic
from eth_utils.crypto import keccak
from pydantic import ConfigDict, ValidationError, model_validator

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Quantum of the intermediate values recorded in the audit trail.
STEP_QUANTUM = Decimal("0.000001")

#: Domain tag of the content-hash encoding; bump it if the encoding ever changes.
_HASH_DOMAIN = b"tanhui/methodology-content/1"

#: Arithmetic context for quantification: ample precision, every exceptional condition an error.
CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

CATEGORIES = frozenset({"energy-substitution", "resource-saving", "ecological"})


class MethodologyInputError(ValueError):
    """The monitoring data are not acceptable to the methodology.

    ``errors`` lists every problem found as ``{"field": "a.b", "message": "..."}``; the field is
    the dotted path into the monitoring data (empty when the problem is not tied to one field).
    """

    def __init__(self, errors: Sequence[Mapping[str, str]]) -> None:
        self.errors: list[dict[str, str]] = [{"field": e["field"], "message": e["message"]} for e in errors]
        super().__init__("; ".join(f"{e['field'] or '<input>'}: {e['message']}" for e in self.errors))

    @classmethod
    def single(cls, field_name: str, message: str) -> MethodologyInputError:
        return cls([{"field": field_name, "message": message}])


class UnknownMethodology(LookupError):
    """No methodology with that code and version is registered."""

    def __init__(self, code: str, version: int) -> None:
        self.code = code
        self.version = version
        super().__init__(f"unknown methodology {code!r} version {version}")


class InconsistentInput(ValueError):
    """Raised inside validation when fields are individually valid but contradict each other."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.problems))


class MonitoringInput(pydantic.BaseModel):
    """Base of every methodology's monitoring-data schema.

    Fields are ``Decimal`` or ``int`` with bounds, never ``float``; units are in the field names
    or descriptions. Checks that involve several fields live in ``consistency_errors`` and return
    their violations as data ``(field, message)``; they run as part of validation, so an
    instance that exists is consistent.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def consistency_errors(self) -> list[tuple[str, str]]:
        return []

    @model_validator(mode="after")
    def _check_consistency(self) -> MonitoringInput:
        problems = self.consistency_errors()
        if problems:
            raise InconsistentInput(problems)
        return self


@dataclass(frozen=True)
class MonitoringPeriod:
    """The period a monitoring report covers; both ends inclusive."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"monitoring period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def years(self) -> Decimal:
        """Length in years of 365 days (for annualised plausibility bounds)."""
        return Decimal(self.days) / Decimal(365)


@dataclass(frozen=True)
class EmissionFactor:
    key: str
    value: Decimal
    unit: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class FactorSet:
    """The published factors of one methodology version, keyed by name."""

    version: str
    factors: Mapping[str, EmissionFactor]

    @classmethod
    def load(cls, path: Path | str) -> FactorSet:
        """Reads a factor file: ``{"version": str, "factors": [{key, value, unit, source, note}]}``.

        Values must be JSON strings holding a finite decimal number, so that no binary float
        ever touches a factor.
        """
        path = Path(path)
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
            raise ValueError(f"{path}: a factor file is an object with a string 'version'")
        entries = doc.get("factors")
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"{path}: 'factors' must be a non-empty list")
        factors: dict[str, EmissionFactor] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: each factor is an object")
            key, raw_value = entry.get("key"), entry.get("value")
            if not isinstance(key, str) or not key:
                raise ValueError(f"{path}: factor without a key")
            if key in factors:
                raise ValueError(f"{path}: factor {key!r} appears twice")
            if not isinstance(raw_value, str):
                raise ValueError(f"{path}: factor {key!r}: value must be a string, got {raw_value!r}")
            try:
                value = Decimal(raw_value)
            except InvalidOperation:
                raise ValueError(f"{path}: factor {key!r}: {raw_value!r} is not a decimal number") from None
            if not value.is_finite():
                raise ValueError(f"{path}: factor {key!r}: {raw_value!r} is not finite")
            for attr in ("unit", "source"):
                if not isinstance(entry.get(attr), str) or not entry[attr]:
                    raise ValueError(f"{path}: factor {key!r}: {attr!r} is required")
            if not isinstance(entry.get("note", ""), str):
                raise ValueError(f"{path}: factor {key!r}: 'note' must be a string")
            factors[key] = EmissionFactor(
                key=key, value=value, unit=entry["unit"], source=entry["source"], note=entry.get("note", "")
            )
        return cls(version=doc["version"], factors=MappingProxyType(factors))

    def __getitem__(self, key: str) -> Decimal:
        return self.factors[key].value


@dataclass(frozen=True)
class Quantification:
    """The result of a methodology, in whole kg CO2e.

    ``net_kg == baseline_kg - project_kg - leakage_kg`` always holds, and ``net_kg > 0``.
    Rounding is conservative and per component: the baseline is rounded down, project emissions
    and leakage are rounded up, so the net is never above the exact value rounded down.
    For sink (removal) methodologies ``project_kg`` is negative: project emissions net of the
    removals credited.

    ``steps`` is the audit trail: ``(label, value with unit)`` with values as Decimal strings.
    """

    baseline_kg: int
    project_kg: int
    leakage_kg: int
    net_kg: int
    steps: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.net_kg != self.baseline_kg - self.project_kg - self.leakage_kg:
            raise ValueError("net_kg must equal baseline_kg - project_kg - leakage_kg")
        if self.net_kg <= 0:
            raise MethodologyInputError.single("", f"no reduction: net {self.net_kg} kg CO2e")

    @classmethod
    def conservative(
        cls,
        baseline_kg: Decimal,
        project_kg: Decimal,
        leakage_kg: Decimal,
        steps: Sequence[tuple[str, str]],
    ) -> Quantification:
        """Rounds exact amounts conservatively; raises ``MethodologyInputError`` for no reduction."""
        baseline = int(baseline_kg.to_integral_value(rounding=ROUND_FLOOR))
        project = int(project_kg.to_integral_value(rounding=ROUND_CEILING))
        leakage = int(leakage_kg.to_integral_value(rounding=ROUND_CEILING))
        net = baseline - project - leakage
        if net <= 0:
            raise MethodologyInputError.single(
                "",
                f"no reduction: baseline {baseline} kg - project {project} kg - leakage {leakage} kg"
                f" = {net} kg CO2e",
            )
        return cls(baseline, project, leakage, net, tuple(steps))


class Steps:
    """Collects the audit trail; ``add`` rounds a value to ``STEP_QUANTUM`` and returns it."""

    def __init__(self) -> None:
        self._items: list[tuple[str, str]] = []

    def add(self, label: str, value: Decimal, unit: str) -> Decimal:
        rounded = q(value)
        self._items.append((label, f"{rounded} {unit}".rstrip()))
        return rounded

    def note(self, label: str, text: str) -> None:
        self._items.append((label, text))

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._items)


def q(value: Decimal) -> Decimal:
    """Rounds to the audit-trail quantum (six decimal places, half to even)."""
    return value.quantize(STEP_QUANTUM, rounding=ROUND_HALF_EVEN)


def _errors_from(exc: ValidationError) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(str(part) for part in err.get("loc", ()))
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, InconsistentInput):
            for name, message in original.problems:
                errors.append({"field": ".".join((*loc, name) if name else loc), "message": message})
        else:
            errors.append({"field": ".".join(loc), "message": str(err.get("msg", "invalid"))})
    return errors


def _normalised_bytes(path: Path) -> bytes:
    """File bytes with CRLF/CR line ends turned into LF, so a checkout's line-ending settings
    cannot change the hash."""
    return path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")


class Methodology(abc.ABC):
    """One version of a methodology. Subclasses set the class attributes and ``quantify``."""

    code: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str]
    title_zh: ClassVar[str]
    category: ClassVar[str]
    requirements: ClassVar[tuple[str, ...]]
    Input: ClassVar[type[MonitoringInput]]

    factors: FactorSet

    def __init__(self, factors_path: Path | str | None = None) -> None:
        self._factors_path = Path(factors_path) if factors_path is not None else self.default_factors_path()
        self.factors = FactorSet.load(self._factors_path)

    @classmethod
    def default_factors_path(cls) -> Path:
        return DATA_DIR / f"{cls.code}-v{cls.version}.json"

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        """Checks that a concrete methodology sets every class attribute. A subclass declared
        with ``abstract=True`` is a family of methodologies whose concrete classes set them
        (``DeclarativeMethodology`` makes one per spec)."""
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        missing = [
            a
            for a in ("code", "version", "title", "title_zh", "category", "requirements", "Input")
            if not hasattr(cls, a)
        ]
        if missing:
            raise TypeError(f"{cls.__name__} lacks {', '.join(missing)}")
        if cls.category not in CATEGORIES:
            raise TypeError(f"{cls.__name__}: category {cls.category!r} is not one of {sorted(CATEGORIES)}")

    def parse(self, raw: Mapping[str, Any]) -> MonitoringInput:
        """Validates monitoring data; raises ``MethodologyInputError`` listing every bad field."""
        if not isinstance(raw, Mapping):
            raise MethodologyInputError.single("", "monitoring data must be an object")
        try:
            return self.Input.model_validate(dict(raw))
        except ValidationError as exc:
            raise MethodologyInputError(_errors_from(exc)) from None

    @abc.abstractmethod
    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        """Baseline, project and leakage emissions and the net reduction for the period."""

    def compute(self, raw: Mapping[str, Any], period: MonitoringPeriod) -> Quantification:
        return self.quantify(self.parse(raw), period)

    def _data(self, data: MonitoringInput) -> Any:
        if not isinstance(data, self.Input):
            raise TypeError(f"{self.code} expects {self.Input.__name__}, got {type(data).__name__}")
        return data

    def source_path(self) -> Path:
        source = inspect.getsourcefile(type(self))
        if source is None:
            raise RuntimeError(f"no source file for {type(self).__name__}")
        return Path(source)

    def content_hash(self) -> bytes:
        """keccak256 over a length-prefixed encoding of: a domain tag, the code (UTF-8), the
        version (4-byte big-endian), the module source and the factor file (both with LF line
        ends). Each part is preceded by its length as an 8-byte big-endian integer."""
        parts = (
            _HASH_DOMAIN,
            self.code.encode("utf-8"),
            self.version.to_bytes(4, "big"),
            _normalised_bytes(self.source_path()),
            _normalised_bytes(self._factors_path),
        )
        encoded = b"".join(len(p).to_bytes(8, "big") + p for p in parts)
        return bytes(keccak(encoded))

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "title_zh": self.title_zh,
            "category": self.category,
            "requirements": list(self.requirements),
            "input_schema": self.Input.model_json_schema(),
            "factor_set_version": self.factors.version,
            "factors": [
                {"key": f.key, "value": str(f.value), "unit": f.unit, "source": f.source, "note": f.note}
                for f in self.factors.factors.values()
            ],
            "content_hash": "0x" + self.content_hash().hex(),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} v{self.version}>"
