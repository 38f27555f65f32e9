"""Metro ride (R8): person-km x Shenzhen's per person-km avoided emissions. See docs/points/metro.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, Scene


class Metro(Scene):
    code: ClassVar[str] = "metro"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Metro ride"
    title_zh: ClassVar[str] = "地铁出行"
    requirement: ClassVar[str] = "R8"
    unit: ClassVar[str] = "km"
    max_quantity: ClassVar[Decimal] = Decimal(120)
    impossible_reason: ClassVar[str] = "impossible_distance"
    daily_cap_points: ClassVar[int] = 280
    monthly_cap_points: ClassVar[int] = 4000

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        return steps.add(
            "avoided = person-km x metro factor",
            act.quantity * self.factors["metro_g_per_pkm"],
            "g CO2",
        )
