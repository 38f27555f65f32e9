"""Sorted recyclables (R10): kg of recyclables a citizen hands in sorted, each avoiding virgin
production at the smallest TH-RS-001 material factor, minus haulage. See
docs/points/waste_sorting.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, Scene


class WasteSorting(Scene):
    code: ClassVar[str] = "waste_sorting"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Sorted recyclables handed in"
    title_zh: ClassVar[str] = "垃圾分类可回收物投放"
    requirement: ClassVar[str] = "R10"
    unit: ClassVar[str] = "kg"
    max_quantity: ClassVar[Decimal] = Decimal(50)
    impossible_reason: ClassVar[str] = "impossible_mass"
    daily_cap_points: ClassVar[int] = 300
    monthly_cap_points: ClassVar[int] = 3000

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        f = self.factors
        recycling = steps.add(
            "recycling credit = t CO2e/short ton / t per short ton x 1000",
            f["glass_t_co2e_per_short_ton"] / f["t_per_short_ton"] * 1000,
            "g CO2e / kg",
        )
        haul = steps.add(
            "haulage = kg CO2e/t-km x km (= g CO2e / kg)",
            f["road_freight_kg_co2e_per_tkm"] * f["haul_km"],
            "g CO2e / kg",
        )
        per_kg = steps.add("avoided per kg = recycling - haulage", recycling - haul, "g CO2e / kg")
        return steps.add("avoided = kg x avoided per kg", act.quantity * per_kg, "g CO2e")
