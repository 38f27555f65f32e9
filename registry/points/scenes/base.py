"""The scene interface: one reported act in, grams of CO2e avoided and points out.

A scene version is code plus a factor file ``data/<code>-v<version>.json`` in the format of the
methodology factor files (``registry.methodologies.base.FactorSet``): every factor a decimal
string with its unit and source.

All arithmetic is ``Decimal`` in the methodologies' ``CONTEXT``; intermediate values are rounded
to six places where they enter the audit trail and the rounded value is used next. The grams
avoided are rounded DOWN to a whole gram and the points are whole multiples of
``GRAMS_PER_POINT`` rounded DOWN, so a citizen is never over-credited. Points are rewards: the
grams behind them are never issued, sold or retired as credits.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from registry.methodologies.base import CONTEXT, FactorSet, Steps, q

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Scheme-wide: one point per 10 g CO2e avoided (100 points per kg).
GRAMS_PER_POINT = 10

REQUIREMENTS = frozenset({"R6", "R7", "R8", "R9", "R10"})


class _QuietSteps(Steps):
    """Steps that round as the audit trail does (the rounded value is what the next step
    uses) but keep no trail: for the ingestion's hot path (``Scene.grams_points``)."""

    def add(self, label: str, value: Decimal, unit: str) -> Decimal:
        return q(value)

    def note(self, label: str, text: str) -> None:
        pass


class ActRefused(ValueError):
    """The act cannot be valued; ``reason`` is a stable code such as ``impossible_distance``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason}: {message}")


class UnknownScene(LookupError):
    """No scene with that code is registered."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown scene {code!r}")


@dataclass(frozen=True)
class Act:
    """One low-carbon act as a data partner reports it.

    ``quantity`` is in ``unit`` (km, kWh, kg, days); ``detail`` holds scene-specific strings,
    e.g. ``{"propulsion": "battery_electric"}`` for a bus ride.
    """

    scene: str
    quantity: Decimal
    unit: str
    detail: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal) or isinstance(self.quantity, bool):
            raise TypeError(f"quantity must be a Decimal, got {type(self.quantity).__name__}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.detail.items()):
            raise TypeError("detail maps strings to strings")
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))


@dataclass(frozen=True)
class Valuation:
    """Grams avoided (whole grams, rounded down), the points they earn (before caps) and the
    audit trail ``(label, value with unit)``."""

    scene: str
    version: int
    grams: int
    points: int
    steps: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.grams < 0 or self.points != self.grams // GRAMS_PER_POINT:
            raise ValueError("points must be grams // GRAMS_PER_POINT, grams non-negative")


def points_for(grams: int) -> int:
    """Whole points for whole grams, rounded down."""
    return grams // GRAMS_PER_POINT


class Scene(abc.ABC):
    """One version of a scene. Subclasses set the class attributes and ``avoided_grams``."""

    code: ClassVar[str]
    version: ClassVar[int]
    title: ClassVar[str]
    title_zh: ClassVar[str]
    requirement: ClassVar[str]
    unit: ClassVar[str]
    #: Exclusive lower and inclusive upper bound of ``Act.quantity``.
    min_quantity: ClassVar[Decimal] = Decimal(0)
    max_quantity: ClassVar[Decimal]
    #: Reason code when the quantity is above ``max_quantity`` (or otherwise impossible).
    impossible_reason: ClassVar[str]
    daily_cap_points: ClassVar[int]
    monthly_cap_points: ClassVar[int]

    factors: FactorSet

    def __init__(self, factors_path: Path | str | None = None) -> None:
        default = DATA_DIR / f"{self.code}-v{self.version}.json"
        path = Path(factors_path) if factors_path is not None else default
        self.factors = FactorSet.load(path)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        attrs = (
            "code",
            "version",
            "title",
            "title_zh",
            "requirement",
            "unit",
            "max_quantity",
            "impossible_reason",
            "daily_cap_points",
            "monthly_cap_points",
        )
        missing = [a for a in attrs if not hasattr(cls, a)]
        if missing:
            raise TypeError(f"{cls.__name__} lacks {', '.join(missing)}")
        if cls.requirement not in REQUIREMENTS:
            raise TypeError(f"{cls.__name__}: requirement {cls.requirement!r} not in {sorted(REQUIREMENTS)}")
        if not 0 < cls.daily_cap_points <= cls.monthly_cap_points:
            raise TypeError(f"{cls.__name__}: caps must satisfy 0 < daily <= monthly")

    @property
    def grams_per_point(self) -> int:
        return GRAMS_PER_POINT

    def check(self, act: Act) -> None:
        """Raises ``ActRefused`` if the act is not one this scene can value."""
        if act.scene != self.code:
            raise ActRefused("wrong_scene", f"act is for scene {act.scene!r}, not {self.code!r}")
        if act.unit != self.unit:
            raise ActRefused("wrong_unit", f"{self.code} quantities are in {self.unit}, got {act.unit!r}")
        if not act.quantity.is_finite() or act.quantity <= self.min_quantity:
            raise ActRefused(
                "non_positive_quantity", f"{act.quantity} {self.unit} is not above {self.min_quantity}"
            )
        if act.quantity > self.max_quantity:
            raise ActRefused(
                self.impossible_reason,
                f"{act.quantity} {self.unit} is more than the {self.max_quantity} {self.unit} one act can be",
            )

    @abc.abstractmethod
    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        """Exact grams CO2e avoided by a checked act, recording the audit trail in ``steps``."""

    def value(self, act: Act) -> Valuation:
        """Grams avoided (rounded down) and points (rounded down); ``ActRefused`` if impossible."""
        self.check(act)
        with localcontext(CONTEXT):
            steps = Steps()
            steps.add(f"quantity reported ({self.code})", act.quantity, self.unit)
            exact = self.avoided_grams(act, steps)
            if exact < 0:
                raise ActRefused("no_reduction", f"{exact} g CO2e: the act avoids nothing")
            grams = int(exact.to_integral_value(rounding=ROUND_FLOOR))
            points = points_for(grams)
            steps.note("grams avoided, rounded down", f"{grams} g CO2e")
            steps.note(f"points = grams // {GRAMS_PER_POINT}, rounded down", f"{points} points")
        return Valuation(self.code, self.version, grams, points, steps.items())

    def grams_points(self, act: Act) -> tuple[int, int]:
        """``(grams, points)`` of :meth:`value`, the same numbers, without writing the audit
        trail (what ingesting a batch of ten thousand acts needs, a few microseconds each)."""
        self.check(act)
        with localcontext(CONTEXT):
            exact = self.avoided_grams(act, _QuietSteps())
            if exact < 0:
                raise ActRefused("no_reduction", f"{exact} g CO2e: the act avoids nothing")
            grams = int(exact.to_integral_value(rounding=ROUND_FLOOR))
        return grams, points_for(grams)

    def capped_points(self, points: int, earned_today: int, earned_this_month: int) -> int:
        """Points that may still be awarded for ``points`` earned, given what the citizen has
        already earned in this scene today and this month (never negative)."""
        if min(points, earned_today, earned_this_month) < 0:
            raise ValueError("points and earnings are non-negative")
        room = min(self.daily_cap_points - earned_today, self.monthly_cap_points - earned_this_month)
        return max(0, min(points, room))

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "title_zh": self.title_zh,
            "requirement": self.requirement,
            "unit": self.unit,
            "max_quantity": str(self.max_quantity),
            "grams_per_point": GRAMS_PER_POINT,
            "daily_cap_points": self.daily_cap_points,
            "monthly_cap_points": self.monthly_cap_points,
            "factor_set_version": self.factors.version,
            "factors": [
                {"key": f.key, "value": str(f.value), "unit": f.unit, "source": f.source, "note": f.note}
                for f in self.factors.factors.values()
            ],
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} v{self.version}>"
