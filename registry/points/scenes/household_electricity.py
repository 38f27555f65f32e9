"""Household electricity saved (R10): kWh below the household's own baseline in a billing month,
x the Sichuan grid factor. See docs/points/household_electricity.md."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, ActRefused, Scene


class HouseholdElectricity(Scene):
    code: ClassVar[str] = "household_electricity"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Household electricity saved against the household's own baseline"
    title_zh: ClassVar[str] = "家庭节约用电"
    requirement: ClassVar[str] = "R10"
    unit: ClassVar[str] = "kWh"
    max_quantity: ClassVar[Decimal] = Decimal(2000)
    impossible_reason: ClassVar[str] = "impossible_energy"
    daily_cap_points: ClassVar[int] = 3000
    monthly_cap_points: ClassVar[int] = 3000

    def check(self, act: Act) -> None:
        super().check(act)
        raw = act.detail.get("baseline_kwh")
        if raw is None:
            raise ActRefused(
                "missing_baseline", "detail 'baseline_kwh' (the household's own baseline) is required"
            )
        try:
            baseline = Decimal(raw)
        except InvalidOperation:
            raise ActRefused("missing_baseline", f"baseline_kwh {raw!r} is not a decimal number") from None
        if not baseline.is_finite() or act.quantity > baseline:
            raise ActRefused(
                self.impossible_reason,
                f"{act.quantity} kWh saved is more than the baseline of {raw} kWh",
            )

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        steps.note("household baseline for the month", f"{act.detail['baseline_kwh']} kWh")
        return steps.add(
            "avoided = kWh saved x grid factor x 1000",
            act.quantity * self.factors["grid_ef_kg_per_kwh"] * 1000,
            "g CO2",
        )
