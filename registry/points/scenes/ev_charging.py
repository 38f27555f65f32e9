"""Electric-vehicle mileage (R7): authorised km driven by a private battery-electric car, each
avoiding a gasoline car's km minus the grid electricity it drew. See docs/points/ev_charging.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from ._common import gasoline_car_g_per_km
from .base import Act, Scene


class EvCharging(Scene):
    code: ClassVar[str] = "ev_charging"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Private battery-electric car mileage"
    title_zh: ClassVar[str] = "私家纯电动汽车绿色出行"
    requirement: ClassVar[str] = "R7"
    unit: ClassVar[str] = "km"
    max_quantity: ClassVar[Decimal] = Decimal(1000)
    impossible_reason: ClassVar[str] = "impossible_distance"
    daily_cap_points: ClassVar[int] = 500
    monthly_cap_points: ClassVar[int] = 8000

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        car = gasoline_car_g_per_km(self.factors, steps)
        ev = steps.add(
            "EV grid emissions = kWh/km x grid factor x 1000",
            self.factors["ev_kwh_per_km"] * self.factors["grid_ef_kg_per_kwh"] * 1000,
            "g CO2 / km",
        )
        per_km = steps.add("avoided per km = car - EV", car - ev, "g CO2 / km")
        return steps.add("avoided = km x avoided per km", act.quantity * per_km, "g CO2")
