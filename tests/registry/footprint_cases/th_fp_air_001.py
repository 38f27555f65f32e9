"""TH-FP-AIR-001 v1 (an airline's route): the document's worked example and cases worked by hand
from the cited factors (docs/footprints/TH-FP-AIR-001.md)."""

from __future__ import annotations

from datetime import date

from registry.footprints import MonitoringPeriod
from tests.registry.footprint_cases import FootprintCase, FootprintCases

CODE = "TH-FP-AIR-001"
JULY_2025 = MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 31))

# The document's worked example: Chengdu Tianfu (TFU) - Shanghai Pudong (PVG), July 2025; the
# narrow-body flights by the distance-based estimate, the wide-body flights by metered block fuel.
EXAMPLE_RAW = {
    "great_circle_distance_km": "1661",
    "load_factor": "0.82",
    "narrow_body": {"flights": 124, "seats_per_flight": 186},
    "wide_body": {"flights": 62, "seats_per_flight": 301, "block_fuel_t": "1050"},
}

EXAMPLE = FootprintCase(
    code=CODE,
    case="worked example",
    raw=EXAMPLE_RAW,
    period=JULY_2025,
    total_kg=6272317,
    by_source={"narrow-body": 2954317, "wide-body": 3318000},
    steps={
        "distance flown = great-circle distance + 100 km": "1761.000000 km",
        "narrow-body: estimated fuel per flight = 1200 kg + 3.6 kg/km x distance flown": "7539.600000 kg",
        "narrow-body: fuel burn per km at this distance": "4.281431 kg/km",
        "narrow-body: estimated fuel = flights x fuel per flight": "934910.400000 kg",
        "narrow-body: CO2 = fuel x 3.16 kg CO2/kg": "2954316.864000 kg CO2",
        "wide-body: estimated fuel = flights x fuel per flight": "1254229.000000 kg",
        "wide-body: metered block fuel (used)": "1050000.000000 kg",
        "wide-body: metered / estimated fuel": "0.837168",
        "wide-body: CO2 = fuel x 3.16 kg CO2/kg": "3318000.000000 kg CO2",
        "route footprint (exact)": "6272316.864000 kg CO2",
        "seats offered, all classes": "41726.000000",
        "passengers = seats x load factor 0.82": "34215.320000",
        "CO2 per seat, informative": "150.321547 kg CO2",
        "CO2 per passenger, informative": "183.318960 kg CO2",
        "CO2 per passenger-km (great-circle), informative": "0.110367 kg CO2",
    },
)

# Short route, Chengdu Shuangliu (CTU) - Kangding (KGT), great-circle 217 km, Q1 2025 (90 days),
# regional jets and turboprops, both by the estimate; below 550 km the ICAO correction is +50 km:
#   distance flown = 217 + 50 = 267 km
#   regional jet: 700 + 2.6 x 267 = 700 + 694.2 = 1,394.2 kg a flight; 1,394.2 / 267 = 5.221723 kg/km
#                 180 x 1,394.2 = 250,956 kg fuel; x 3.16 = 752,868 + 40,152.96 = 793,020.96 kg CO2
#   turboprop:    300 + 1.7 x 267 = 300 + 453.9 = 753.9 kg a flight
#                 90 x 753.9 = 67,851 kg fuel; x 3.16 = 203,553 + 10,856.16 = 214,409.16 kg CO2
#   total 793,020.96 + 214,409.16 = 1,007,430.12 -> rounded up 1,007,431 kg
#   (sources rounded up: 793,021 and 214,410)
#   seats 180 x 90 + 90 x 60 = 16,200 + 5,400 = 21,600; passengers x 0.75 = 16,200
#   per seat 1,007,430.12 / 21,600 = 46.640283; per passenger / 16,200 = 62.187044;
#   per passenger-km 62.187044 / 217 = 0.286576
SHORT_ROUTE = FootprintCase(
    code=CODE,
    case="short route, regional jet and turboprop, +50 km",
    raw={
        "great_circle_distance_km": "217",
        "load_factor": "0.75",
        "regional_jet": {"flights": 180, "seats_per_flight": 90},
        "turboprop": {"flights": 90, "seats_per_flight": 60},
    },
    period=MonitoringPeriod(date(2025, 1, 1), date(2025, 3, 31)),
    total_kg=1007431,
    by_source={"regional jet": 793021, "turboprop": 214410},
    steps={
        "distance flown = great-circle distance + 50 km": "267.000000 km",
        "regional jet: estimated fuel per flight = 700 kg + 2.6 kg/km x distance flown": "1394.200000 kg",
        "regional jet: fuel burn per km at this distance": "5.221723 kg/km",
        "regional jet: CO2 = fuel x 3.16 kg CO2/kg": "793020.960000 kg CO2",
        "turboprop: estimated fuel per flight = 300 kg + 1.7 kg/km x distance flown": "753.900000 kg",
        "turboprop: CO2 = fuel x 3.16 kg CO2/kg": "214409.160000 kg CO2",
        "route footprint (exact)": "1007430.120000 kg CO2",
        "passengers = seats x load factor 0.75": "16200.000000",
        "CO2 per seat, informative": "46.640283 kg CO2",
        "CO2 per passenger, informative": "62.187044 kg CO2",
        "CO2 per passenger-km (great-circle), informative": "0.286576 kg CO2",
    },
)

# Long haul, Chengdu Tianfu (TFU) - London Heathrow (LHR), great-circle 8,354 km, 2025 (365 days),
# 208 wide-body flights (four a week each way) by the estimate; above 5,500 km the correction is +125 km:
#   distance flown = 8,354 + 125 = 8,479 km
#   3,500 + 9.5 x 8,479 = 3,500 + 80,550.5 = 84,050.5 kg a flight
#   208 x 84,050.5 = 17,482,504 kg fuel; x 3.16 = 52,447,512 + 2,797,200.64 = 55,244,712.64 kg CO2
#   -> rounded up 55,244,713 kg
LONG_HAUL = FootprintCase(
    code=CODE,
    case="long haul, wide-body by the estimate, +125 km",
    raw={
        "great_circle_distance_km": "8354",
        "load_factor": "0.8",
        "wide_body": {"flights": 208, "seats_per_flight": 331},
    },
    period=MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31)),
    total_kg=55244713,
    by_source={"wide-body": 55244713},
    steps={
        "distance flown = great-circle distance + 125 km": "8479.000000 km",
        "wide-body: estimated fuel per flight = 3500 kg + 9.5 kg/km x distance flown": "84050.500000 kg",
        "wide-body: estimated fuel = flights x fuel per flight": "17482504.000000 kg",
        "wide-body: CO2 = fuel x 3.16 kg CO2/kg": "55244712.640000 kg CO2",
    },
)


def _with(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {**EXAMPLE_RAW}
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


CASES = FootprintCases(
    example=EXAMPLE,
    hand_worked=[SHORT_ROUTE, LONG_HAUL],
    bad_input=[
        (
            "negative flights",
            _with(narrow_body={"flights": -1, "seats_per_flight": 186}),
            "narrow_body.flights",
        ),
        (
            "negative block fuel",
            _with(wide_body={"flights": 62, "seats_per_flight": 301, "block_fuel_t": "-5"}),
            "wide_body.block_fuel_t",
        ),
        ("distance missing", _with(great_circle_distance_km=None), "great_circle_distance_km"),
        ("unknown field", _with(rail_km="1200"), "rail_km"),
        (
            "unknown field in a class",
            _with(narrow_body={"flights": 124, "seats_per_flight": 186, "fuel_kg": "9"}),
            "narrow_body.fuel_kg",
        ),
        ("unknown aircraft class", _with(helicopter={"flights": 2, "seats_per_flight": 12}), "helicopter"),
        ("load factor not a number", _with(load_factor="high"), "load_factor"),
        ("load factor above 1", _with(load_factor="1.2"), "load_factor"),
        ("load factor zero", _with(load_factor="0"), "load_factor"),
        (
            "distance beyond the Earth's half circumference",
            _with(great_circle_distance_km="25000"),
            "great_circle_distance_km",
        ),
        ("narrow-body beyond its range", _with(great_circle_distance_km="8000"), "great_circle_distance_km"),
        (
            "turboprop beyond its range",
            {
                "great_circle_distance_km": "3000",
                "load_factor": "0.8",
                "turboprop": {"flights": 10, "seats_per_flight": 70},
            },
            "great_circle_distance_km",
        ),
        (
            "regional jet beyond its range",
            {
                "great_circle_distance_km": "5200",
                "load_factor": "0.8",
                "regional_jet": {"flights": 10, "seats_per_flight": 90},
            },
            "great_circle_distance_km",
        ),
        (
            "more seats than any narrow-body",
            _with(narrow_body={"flights": 124, "seats_per_flight": 300}),
            "narrow_body.seats_per_flight",
        ),
        (
            "block fuel for no flights",
            _with(wide_body={"flights": 0, "seats_per_flight": 301, "block_fuel_t": "10"}),
            "wide_body.block_fuel_t",
        ),
        (
            "A380-size aircraft without metered fuel",
            _with(wide_body={"flights": 62, "seats_per_flight": 600}),
            "wide_body.block_fuel_t",
        ),
        (
            "metered fuel under half the estimate",
            _with(wide_body={"flights": 62, "seats_per_flight": 301, "block_fuel_t": "500"}),
            "wide_body.block_fuel_t",
        ),
        (
            "metered fuel over twice the estimate",
            _with(wide_body={"flights": 62, "seats_per_flight": 301, "block_fuel_t": "3000"}),
            "wide_body.block_fuel_t",
        ),
        (
            "no flights at all",
            {
                "great_circle_distance_km": "1661",
                "load_factor": "0.8",
                "narrow_body": {"flights": 0, "seats_per_flight": 186},
            },
            "",
        ),
    ],
    period_checks=[
        # 124 + 62 = 186 flights in one day is more than 60 a day on one route.
        (
            "more than 60 flights a day",
            EXAMPLE_RAW,
            MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 1)),
            "narrow_body.flights",
        ),
        # 186 flights in 3 days (62 a day) is still too many; 4 days (46.5 a day) would pass.
        (
            "62 flights a day over 3 days",
            EXAMPLE_RAW,
            MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 3)),
            "wide_body.flights",
        ),
    ],
)
