"""Car-free day (R6): a private gasoline car left unused on a day it may drive, declared through
the traffic platform; one act is one car-day. See docs/points/car_free_day.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from ._common import gasoline_car_g_per_km
from .base import Act, ActRefused, Scene


class CarFreeDay(Scene):
    code: ClassVar[str] = "car_free_day"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Private fuel car left unused on a day it may drive"
    title_zh: ClassVar[str] = "私家燃油车自愿停驶"
    requirement: ClassVar[str] = "R6"
    unit: ClassVar[str] = "day"
    max_quantity: ClassVar[Decimal] = Decimal(1)
    impossible_reason: ClassVar[str] = "impossible_days"
    daily_cap_points: ClassVar[int] = 260
    monthly_cap_points: ClassVar[int] = 2000

    def check(self, act: Act) -> None:
        super().check(act)
        if act.quantity != act.quantity.to_integral_value():
            raise ActRefused(self.impossible_reason, f"{act.quantity} is not a whole number of days")

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        per_km = gasoline_car_g_per_km(self.factors, steps)
        per_day = steps.add(
            "per car-day = km per day x g CO2 / km",
            self.factors["car_km_per_day"] * per_km,
            "g CO2 / car-day",
        )
        return steps.add("avoided = car-days x per car-day", act.quantity * per_day, "g CO2")
