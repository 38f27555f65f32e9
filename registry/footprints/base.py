"""Footprint methodologies: activity data in, a conservative footprint out (R14, R15).

The counterpart of the project methodologies (``registry/methodologies``) for carbon-neutrality
claims: a footprint methodology version is code with a typed ``Input`` schema, a formula
(``assess``) and a factor file (``data/<code>-v<version>.json``, every factor citing its
source); its content hash covers the module's source and the factor file, and is recorded with
the claim it measured.

Arithmetic is ``Decimal`` (``methodologies.base.CONTEXT``); every intermediate value is rounded
to six decimal places where it is recorded in the audit trail, and the total is rounded UP to
whole kilograms: a footprint may only be overstated, so a neutrality claim is never closed on
an understated one.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, ClassVar

from eth_utils.crypto import keccak
from pydantic import ValidationError

from registry.methodologies.base import (
    FactorSet,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    _errors_from,
    _normalised_bytes,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Domain tag of the content-hash encoding (a footprint methodology is not a project methodology).
_HASH_DOMAIN = b"tanhui/footprint-content/1"

#: The subjects of a neutrality claim (R14, R15).
SUBJECT_KINDS = ("event", "organisation", "fleet", "route", "scene", "person")

#: A footprint is activity data; this is its schema's base (bounded Decimal/int fields).
ActivityInput = MonitoringInput


@dataclass(frozen=True)
class Footprint:
    """The result of a footprint methodology, in whole kg CO2e (rounded up).

    ``by_source`` is each emission source's share, in kg, each rounded up (so their sum may
    exceed ``total_kg`` by up to one kg per source); ``steps`` the audit trail as
    ``(label, value with unit)``.
    """

    total_kg: int
    by_source: Mapping[str, int] = field(default_factory=dict)
    steps: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.total_kg <= 0:
            raise MethodologyInputError.single("", f"no emissions: a footprint of {self.total_kg} kg CO2e")

    @classmethod
    def rounded_up(
        cls, total_kg: Decimal, by_source: Mapping[str, Decimal], steps: tuple[tuple[str, str], ...]
    ) -> Footprint:
        """Rounds the exact total and each source up to whole kg; a footprint of zero (nothing to
        offset) raises ``MethodologyInputError``."""
        return cls(
            total_kg=int(total_kg.to_integral_value(rounding=ROUND_CEILING)),
            by_source={k: int(v.to_integral_value(rounding=ROUND_CEILING)) for k, v in by_source.items()},
            steps=steps,
        )


class FootprintMethodology(abc.ABC):
    """One version of a footprint methodology. Subclasses set the class attributes and ``assess``."""

    code: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str]
    title_zh: ClassVar[str]
    subjects: ClassVar[tuple[str, ...]]  # the claim subjects it measures, from SUBJECT_KINDS
    requirements: ClassVar[tuple[str, ...]]
    Input: ClassVar[type[MonitoringInput]]

    factors: FactorSet

    def __init__(self, factors_path: Path | str | None = None) -> None:
        self._factors_path = Path(factors_path) if factors_path is not None else self.default_factors_path()
        self.factors = FactorSet.load(self._factors_path)

    @classmethod
    def default_factors_path(cls) -> Path:
        return DATA_DIR / f"{cls.code}-v{cls.version}.json"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [
            a
            for a in ("code", "version", "title", "title_zh", "subjects", "requirements", "Input")
            if not hasattr(cls, a)
        ]
        if missing:
            raise TypeError(f"{cls.__name__} lacks {', '.join(missing)}")
        unknown = set(cls.subjects) - set(SUBJECT_KINDS)
        if unknown or not cls.subjects:
            raise TypeError(f"{cls.__name__}: subjects must be some of {SUBJECT_KINDS}, not {cls.subjects}")

    def parse(self, raw: Mapping[str, Any]) -> MonitoringInput:
        """Validates activity data; raises ``MethodologyInputError`` listing every bad field."""
        if not isinstance(raw, Mapping):
            raise MethodologyInputError.single("", "activity data must be an object")
        try:
            return self.Input.model_validate(dict(raw))
        except ValidationError as exc:
            raise MethodologyInputError(_errors_from(exc)) from None

    @abc.abstractmethod
    def assess(self, data: MonitoringInput, period: MonitoringPeriod) -> Footprint:
        """The footprint of the subject's activity over the period."""

    def compute(self, raw: Mapping[str, Any], period: MonitoringPeriod) -> Footprint:
        return self.assess(self.parse(raw), period)

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
        version (4-byte big-endian), the module source and the factor file (LF line ends)."""
        parts = (
            _HASH_DOMAIN,
            self.code.encode("utf-8"),
            self.version.to_bytes(4, "big"),
            _normalised_bytes(self.source_path()),
            _normalised_bytes(self._factors_path),
        )
        return bytes(keccak(b"".join(len(p).to_bytes(8, "big") + p for p in parts)))

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "title_zh": self.title_zh,
            "subjects": list(self.subjects),
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
