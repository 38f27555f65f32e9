"""Helpers shared by scenes: a gasoline car's CO2 per km and the per-km scene shape."""

from __future__ import annotations

from decimal import Decimal

from registry.methodologies.base import FactorSet, Steps


def gasoline_car_g_per_km(factors: FactorSet, steps: Steps) -> Decimal:
    """g CO2 per km of the baseline gasoline car: L/100 km x density x NCV x CO2 factor."""
    g_per_l = steps.add(
        "gasoline CO2 = density x NCV x CO2 factor",
        factors["gasoline_density_kg_per_l"]
        * factors["gasoline_ncv_gj_per_t"]
        * factors["gasoline_co2_kg_per_gj"],
        "g CO2 / L",
    )
    return steps.add(
        "baseline car = L/100 km / 100 x g CO2 / L",
        factors["car_gasoline_l_per_100km"] / 100 * g_per_l,
        "g CO2 / km",
    )
