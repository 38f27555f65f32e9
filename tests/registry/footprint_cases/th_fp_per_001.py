"""TH-FP-PER-001: the document's worked example, a hand-worked case and the refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.footprints import MonitoringPeriod

from . import FootprintCase, FootprintCases

THREE_DAYS = MonitoringPeriod(date(2025, 9, 12), date(2025, 9, 14))
OCTOBER_1_TO_3 = MonitoringPeriod(date(2025, 10, 1), date(2025, 10, 3))
ONE_DAY = MonitoringPeriod(date(2025, 9, 12), date(2025, 9, 12))
TWO_DAYS = MonitoringPeriod(date(2025, 9, 12), date(2025, 9, 13))

EXAMPLE_RAW: dict[str, Any] = {
    "legs": [
        {"mode": "air", "distance_km": "1520"},
        {"mode": "metro", "distance_km": "28"},
        {"mode": "taxi", "distance_km": "12"},
        {"mode": "car_gasoline", "distance_km": "60", "occupants": 3},
        {"mode": "bus", "distance_km": "8"},
        {"mode": "rail_high_speed", "distance_km": "1800"},
    ],
    "hotel_nights": 2,
    "meals": 6,
}

EXAMPLE = FootprintCase(
    code="TH-FP-PER-001",
    case="worked example",
    raw=EXAMPLE_RAW,
    period=THREE_DAYS,
    total_kg=613,
    by_source={"travel": 455, "accommodation": 140, "catering": 18},
    steps={
        "leg 1 air: distance flown = km x uplift": "1672.000000 km",
        "leg 1 air: emissions = km flown x medium-haul factor": "367.840000 kg CO2e",
        "leg 2 metro: electricity = km x kWh/km": "4.200000 kWh",
        "leg 2 metro: emissions = kWh x grid factor": "0.656880 kg CO2",
        "leg 3 taxi: vehicle-km = km x empty-running factor": "16.800000 km",
        "leg 3 taxi: gasoline = vehicle-km x L/100 km / 100": "1.680000 L",
        "leg 3 taxi: mass = L x density": "1.302000 kg",
        "leg 3 taxi: energy = kg x NCV / 1000": "0.056077 GJ",
        "leg 3 taxi: vehicle emissions = GJ x factor": "4.050386 kg CO2e",
        "leg 4 car_gasoline: gasoline = vehicle-km x L/100 km / 100": "6.000000 L",
        "leg 4 car_gasoline: mass = L x density": "4.650000 kg",
        "leg 4 car_gasoline: energy = kg x NCV / 1000": "0.200276 GJ",
        "leg 4 car_gasoline: vehicle emissions = GJ x factor": "14.465735 kg CO2e",
        "leg 4 car_gasoline: share = car emissions / 3 occupants": "4.821912 kg CO2e",
        "leg 5 bus: diesel = vehicle-km x L/100 km / 100": "3.200000 L",
        "leg 5 bus: mass = L x density": "2.704000 kg",
        "leg 5 bus: energy = kg x NCV / 1000": "0.115331 GJ",
        "leg 5 bus: vehicle emissions = GJ x factor": "8.682224 kg CO2e",
        "leg 5 bus: share = vehicle emissions / passengers": "0.868222 kg CO2e",
        "leg 6 rail_high_speed: electricity = km x kWh/pkm": "144.000000 kWh",
        "leg 6 rail_high_speed: emissions = kWh x national grid factor": "76.406400 kg CO2",
        "travel, total": "454.643800 kg CO2e",
        "accommodation = room-nights x factor": "140.000000 kg CO2e",
        "catering = meals x factor": "18.000000 kg CO2e",
        "footprint (exact)": "612.643800 kg CO2e",
    },
)

# A visitor from Frankfurt: the long-haul and the short-haul bands, a shared electric car, an
# e-bike, a coach and an ordinary train. Worked by hand from the factor file (six decimals, half
# to even, at each step):
#   air 7900 km (long):   7900 x 1.10 = 8690 km flown;  8690 x 0.30 = 2607
#   air 650 km (short):   650 x 1.10 = 715 km;          715 x 0.30 = 214.5
#   electric car 40 km:   40 x 0.20 = 8 kWh; 8 x 0.1564 = 1.2512; / 2 occupants = 0.6256
#   e-bike 6 km:          6 x 0.025 = 0.15 kWh; 0.15 x 0.1564 = 0.02346
#   coach 300 km:         300 x 40 / 100 = 120 L; 120 x 0.845 = 101.4 kg;
#                         101.4 x 42.652 / 1000 = 4.3249128 -> 4.324913 GJ;
#                         4.324913 x 75.28092 = 325.58342956 -> 325.583430; / 15 = 21.705562
#   ordinary rail 500 km: 500 x 0.06 = 30
#   travel:               2607 + 214.5 + 0.6256 + 0.02346 + 21.705562 + 30 = 2873.854622
#   hotel 3 x 70 = 210;   meals 4 x 3.0 = 12
#   total:                2873.854622 + 210 + 12 = 3095.854622 -> 3,096 kg (rounded up)
VISITOR = FootprintCase(
    code="TH-FP-PER-001",
    case="long- and short-haul flights, shared electric car, e-bike, coach, ordinary rail",
    raw={
        "legs": [
            {"mode": "air", "distance_km": "7900"},
            {"mode": "air", "distance_km": "650"},
            {"mode": "car_electric", "distance_km": "40", "occupants": 2},
            {"mode": "e_bike", "distance_km": "6"},
            {"mode": "coach", "distance_km": "300"},
            {"mode": "rail_ordinary", "distance_km": "500"},
        ],
        "hotel_nights": 3,
        "meals": 4,
    },
    period=OCTOBER_1_TO_3,
    total_kg=3_096,
    by_source={"travel": 2_874, "accommodation": 210, "catering": 12},
    steps={
        "leg 1 air: distance flown = km x uplift": "8690.000000 km",
        "leg 1 air: emissions = km flown x long-haul factor": "2607.000000 kg CO2e",
        "leg 2 air: emissions = km flown x short-haul factor": "214.500000 kg CO2e",
        "leg 3 car_electric: car emissions = kWh x grid factor": "1.251200 kg CO2",
        "leg 3 car_electric: share = car emissions / 2 occupants": "0.625600 kg CO2e",
        "leg 4 e_bike: emissions = kWh x grid factor": "0.023460 kg CO2",
        "leg 5 coach: energy = kg x NCV / 1000": "4.324913 GJ",
        "leg 5 coach: vehicle emissions = GJ x factor": "325.583430 kg CO2e",
        "leg 5 coach: share = vehicle emissions / passengers": "21.705562 kg CO2e",
        "leg 6 rail_ordinary: emissions = km x factor": "30.000000 kg CO2e",
        "travel, total": "2873.854622 kg CO2e",
        "footprint (exact)": "3095.854622 kg CO2e",
    },
)


def _legs(*legs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"legs": list(legs), **extra}


CASES = FootprintCases(
    example=EXAMPLE,
    hand_worked=[VISITOR],
    bad_input=[
        ("negative distance", _legs({"mode": "bus", "distance_km": "-5"}), "legs.0.distance_km"),
        ("missing legs", {"hotel_nights": 1}, "legs"),
        ("unknown field", _legs({"mode": "bus", "distance_km": "5"}, bogus=1), "bogus"),
        ("non-number distance", _legs({"mode": "bus", "distance_km": "far"}), "legs.0.distance_km"),
        ("unknown mode", _legs({"mode": "rocket", "distance_km": "5"}), "legs.0.mode"),
        ("a 50,000 km bus ride", _legs({"mode": "bus", "distance_km": "50000"}), "legs.0.distance_km"),
        ("a 500 km city-bus leg", _legs({"mode": "bus", "distance_km": "500"}), "legs.0.distance_km"),
        (
            "a flight beyond any airliner's range",
            _legs({"mode": "air", "distance_km": "19000"}),
            "legs.0.distance_km",
        ),
        ("a 200 km e-bike leg", _legs({"mode": "e_bike", "distance_km": "200"}), "legs.0.distance_km"),
        (
            "a car leg without occupants",
            _legs({"mode": "car_diesel", "distance_km": "50"}),
            "legs.0.occupants",
        ),
        (
            "occupants on a bus leg",
            _legs({"mode": "bus", "distance_km": "5", "occupants": 2}),
            "legs.0.occupants",
        ),
        (
            "a car with nobody in it",
            _legs({"mode": "car_hybrid", "distance_km": "50", "occupants": 0}),
            "legs.0.occupants",
        ),
        (
            "negative hotel nights",
            _legs({"mode": "bus", "distance_km": "5"}, hotel_nights=-1),
            "hotel_nights",
        ),
        ("non-number meals", _legs({"mode": "bus", "distance_km": "5"}, meals="many"), "meals"),
        ("nothing to offset", _legs(), ""),
    ],
    period_checks=[
        (
            "two 18,000 km flights in one day",
            _legs({"mode": "air", "distance_km": "18000"}, {"mode": "air", "distance_km": "18000"}),
            ONE_DAY,  # at least 2 x 18000 / 1300 = 27.7 h > 24 h
            "legs",
        ),
        (
            "150 km by e-bike five times in a day",
            _legs(*[{"mode": "e_bike", "distance_km": "150"}] * 5),
            ONE_DAY,  # at least 5 x 150 / 25 = 30 h > 24 h (four such legs, 24 h, would pass)
            "legs",
        ),
        (
            "more hotel nights than days",
            _legs({"mode": "bus", "distance_km": "5"}, hotel_nights=3),
            TWO_DAYS,
            "hotel_nights",
        ),
        (
            "more than six meals a day",
            _legs({"mode": "bus", "distance_km": "5"}, meals=13),
            TWO_DAYS,
            "meals",
        ),
    ],
)
