"""Bus ride (R8): person-km on a battery-electric bus x Shenzhen's per person-km avoided
emissions; other buses are refused in v1. See docs/points/bus.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, ActRefused, Scene

PROPULSIONS = frozenset({"battery_electric"})


class Bus(Scene):
    code: ClassVar[str] = "bus"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Battery-electric bus ride"
    title_zh: ClassVar[str] = "纯电动公交出行"
    requirement: ClassVar[str] = "R8"
    unit: ClassVar[str] = "km"
    max_quantity: ClassVar[Decimal] = Decimal(100)
    impossible_reason: ClassVar[str] = "impossible_distance"
    daily_cap_points: ClassVar[int] = 160
    monthly_cap_points: ClassVar[int] = 2500

    def check(self, act: Act) -> None:
        super().check(act)
        propulsion = act.detail.get("propulsion")
        if propulsion not in PROPULSIONS:
            raise ActRefused(
                "unsupported_propulsion",
                f"bus propulsion {propulsion!r}: v1 values only {sorted(PROPULSIONS)} buses",
            )

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        return steps.add(
            "avoided = person-km x electric bus factor",
            act.quantity * self.factors["electric_bus_g_per_pkm"],
            "g CO2",
        )
