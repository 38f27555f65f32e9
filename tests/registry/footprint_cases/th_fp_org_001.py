"""TH-FP-ORG-001: the document's worked example, a hand-worked case and the refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.footprints import MonitoringPeriod

from . import FootprintCase, FootprintCases

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))
JULY_2025 = MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 31))
THIRTY_DAYS = MonitoringPeriod(date(2025, 6, 1), date(2025, 6, 30))

EXAMPLE_RAW: dict[str, Any] = {
    "purchased_electricity_kwh": "850000",
    "purchased_heat_gj": "0",
    "natural_gas_m3": "18000",
    "diesel_litres": "2400",
    "fleet": [
        {"vehicle_class": "heavy_truck_diesel", "vehicles": 12, "fuel_litres": "310000"},
        {"vehicle_class": "light_truck_diesel", "vehicles": 8, "vehicle_km": "420000"},
        {"vehicle_class": "passenger_car_electric", "vehicles": 5, "vehicle_km": "90000"},
        {"vehicle_class": "passenger_car_gasoline", "vehicles": 3, "fuel_litres": "7500"},
    ],
}

EXAMPLE = FootprintCase(
    code="TH-FP-ORG-001",
    case="worked example",
    raw=EXAMPLE_RAW,
    period=YEAR_2025,
    total_kg=1_214_179,
    by_source={"fuels": 48_320, "fleet": 1_032_920, "purchased electricity": 132_940, "purchased heat": 0},
    steps={
        "natural gas: energy = m3 x NCV": "700.758000 GJ",
        "natural gas: emissions = GJ x factor": "41807.642735 kg CO2e",
        "diesel: mass = L x density": "2028.000000 kg",
        "diesel: energy = kg x NCV / 1000": "86.498256 GJ",
        "diesel: emissions = GJ x factor": "6511.668290 kg CO2e",
        "fuels, total": "48319.311025 kg CO2e",
        "fleet 1 heavy_truck_diesel: mass = L x density": "261950.000000 kg",
        "fleet 1 heavy_truck_diesel: energy = kg x NCV / 1000": "11172.691400 GJ",
        "fleet 1 heavy_truck_diesel: emissions = GJ x factor": "841090.487468 kg CO2e",
        "fleet 2 light_truck_diesel: diesel = vehicle-km x L/100 km / 100": "63000.000000 L",
        "fleet 2 light_truck_diesel: mass = L x density": "53235.000000 kg",
        "fleet 2 light_truck_diesel: energy = kg x NCV / 1000": "2270.579220 GJ",
        "fleet 2 light_truck_diesel: emissions = GJ x factor": "170931.292614 kg CO2e",
        "fleet 3 passenger_car_electric: electricity = vehicle-km x kWh/km": "18000.000000 kWh",
        "fleet 3 passenger_car_electric: emissions = kWh x grid factor": "2815.200000 kg CO2",
        "fleet 4 passenger_car_gasoline: mass = L x density": "5812.500000 kg",
        "fleet 4 passenger_car_gasoline: energy = kg x NCV / 1000": "250.344375 GJ",
        "fleet 4 passenger_car_gasoline: emissions = GJ x factor": "18082.123862 kg CO2e",
        "fleet, total": "1032919.103944 kg CO2e",
        "purchased electricity: emissions = kWh x grid factor": "132940.000000 kg CO2",
        "purchased heat: emissions = GJ x heat factor": "0.000000 kg CO2",
        "footprint (exact)": "1214178.414969 kg CO2e",
    },
)

# A certified low-carbon scene (a hotel in Chengdu), July 2025: fuels by mass, LPG, coal and heat,
# an electric bus class by its charging meter and a hybrid class by its km. Worked by hand from
# the factor file, each step rounded to six decimals (half to even) before the next:
#   diesel 500 kg:    500 x 42.652 / 1000 = 21.326 GJ;
#                     21.326 x 75.28092 = 1605.44089992 -> 1605.440900
#   gasoline 200 L:   200 x 0.775 = 155 kg; 155 x 43.070 / 1000 = 6.67585 GJ;
#                     6.67585 x 72.229 = 482.18996965 -> 482.189970
#   LPG 1000 kg:      1000 x 50.179 / 1000 = 50.179 GJ;  50.179 x 65.0022 = 3261.7453938 -> 3261.745394
#   coal 2 t:         2 x 20.908 = 41.816 GJ;            41.816 x 101.7075 = 4253.00082
#   fuels:            1605.440900 + 482.189970 + 3261.745394 + 4253.000820 = 9602.377084
#   electric buses:   6000 kWh x 0.1564 = 938.4
#   hybrid 3000 km:   3000 x 7 / 100 = 210 L; 210 x 0.775 = 162.75 kg;
#                     162.75 x 43.070 / 1000 = 7.0096425 -> 7.009642 (half to even);
#                     7.009642 x 72.229 = 506.299432018 -> 506.299432
#   fleet:            938.4 + 506.299432 = 1444.699432
#   electricity:      120000 x 0.1564 = 18768;   heat: 350 x 110 = 38500
#   total:            9602.377084 + 1444.699432 + 18768 + 38500 = 68315.076516 -> 68,316 kg (rounded up)
HOTEL = FootprintCase(
    code="TH-FP-ORG-001",
    case="scene, fuels by mass, coal, heat, electric buses by kWh, hybrids by km",
    raw={
        "purchased_electricity_kwh": "120000",
        "purchased_heat_gj": "350",
        "diesel_kg": "500",
        "gasoline_litres": "200",
        "lpg_kg": "1000",
        "coal_t": "2",
        "fleet": [
            {"vehicle_class": "bus_electric", "vehicles": 2, "electricity_kwh": "6000"},
            {"vehicle_class": "passenger_car_hybrid", "vehicles": 1, "vehicle_km": "3000"},
        ],
    },
    period=JULY_2025,
    total_kg=68_316,
    by_source={"fuels": 9_603, "fleet": 1_445, "purchased electricity": 18_768, "purchased heat": 38_500},
    steps={
        "diesel: energy = kg x NCV / 1000": "21.326000 GJ",
        "diesel: emissions = GJ x factor": "1605.440900 kg CO2e",
        "gasoline: mass = L x density": "155.000000 kg",
        "gasoline: emissions = GJ x factor": "482.189970 kg CO2e",
        "LPG: emissions = GJ x factor": "3261.745394 kg CO2e",
        "coal: energy = t x NCV": "41.816000 GJ",
        "coal: emissions = GJ x factor": "4253.000820 kg CO2e",
        "fuels, total": "9602.377084 kg CO2e",
        "fleet 1 bus_electric: emissions = kWh x grid factor": "938.400000 kg CO2",
        "fleet 2 passenger_car_hybrid: gasoline = vehicle-km x L/100 km / 100": "210.000000 L",
        "fleet 2 passenger_car_hybrid: energy = kg x NCV / 1000": "7.009642 GJ",
        "fleet 2 passenger_car_hybrid: emissions = GJ x factor": "506.299432 kg CO2e",
        "fleet, total": "1444.699432 kg CO2e",
        "purchased heat: emissions = GJ x heat factor": "38500.000000 kg CO2",
        "footprint (exact)": "68315.076516 kg CO2e",
    },
)


def _with(**changes: Any) -> dict[str, Any]:
    raw = {k: v for k, v in EXAMPLE_RAW.items() if k not in changes}
    raw.update({k: v for k, v in changes.items() if v is not None})
    return raw


def _without(field: str) -> dict[str, Any]:
    return {k: v for k, v in EXAMPLE_RAW.items() if k != field}


def _fleet(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"purchased_electricity_kwh": "1000", "purchased_heat_gj": "0", "fleet": list(entries)}


CASES = FootprintCases(
    example=EXAMPLE,
    hand_worked=[HOTEL],
    bad_input=[
        ("negative electricity", _with(purchased_electricity_kwh="-1"), "purchased_electricity_kwh"),
        ("missing heat", _without("purchased_heat_gj"), "purchased_heat_gj"),
        ("unknown field", _with(solar_kwh="5"), "solar_kwh"),
        ("non-number gas", _with(natural_gas_m3="lots"), "natural_gas_m3"),
        ("infinite coal", _with(coal_t="Infinity"), "coal_t"),
        ("diesel in litres and kg", _with(diesel_kg="100"), "diesel_kg"),
        ("gasoline in litres and kg", _with(gasoline_litres="10", gasoline_kg="8"), "gasoline_kg"),
        (
            "a vehicle class by fuel and by km",
            _fleet(
                {"vehicle_class": "bus_diesel", "vehicles": 2, "fuel_litres": "900", "vehicle_km": "3000"}
            ),
            "fleet.0.vehicle_km",
        ),
        (
            "a vehicle class by neither fuel nor km",
            _fleet({"vehicle_class": "bus_diesel", "vehicles": 2}),
            "fleet.0.vehicle_km",
        ),
        (
            "fuel for an electric class",
            _fleet({"vehicle_class": "passenger_car_electric", "vehicles": 1, "fuel_litres": "50"}),
            "fleet.0.fuel_litres",
        ),
        (
            "electricity for a diesel class",
            _fleet({"vehicle_class": "light_truck_diesel", "vehicles": 1, "electricity_kwh": "50"}),
            "fleet.0.electricity_kwh",
        ),
        (
            "a vehicle class twice",
            _fleet(
                {"vehicle_class": "bus_diesel", "vehicles": 2, "fuel_litres": "900"},
                {"vehicle_class": "bus_diesel", "vehicles": 2, "vehicle_km": "3000"},
            ),
            "fleet.1.vehicle_class",
        ),
        (
            "unknown vehicle class",
            _fleet({"vehicle_class": "tractor", "vehicles": 1, "vehicle_km": "10"}),
            "fleet.0.vehicle_class",
        ),
        (
            "no vehicles",
            _fleet({"vehicle_class": "bus_diesel", "vehicles": 0, "vehicle_km": "10"}),
            "fleet.0.vehicles",
        ),
        (
            "negative vehicle-km",
            _fleet({"vehicle_class": "bus_diesel", "vehicles": 1, "vehicle_km": "-10"}),
            "fleet.0.vehicle_km",
        ),
        (
            "nothing to offset",
            {"purchased_electricity_kwh": "0", "purchased_heat_gj": "0"},
            "",
        ),
    ],
    period_checks=[
        (
            "one truck driving more than 24 h at 120 km/h a day",
            _fleet({"vehicle_class": "heavy_truck_diesel", "vehicles": 1, "vehicle_km": "100000"}),
            THIRTY_DAYS,  # at most 1 x 30 x 2880 = 86,400 km
            "fleet.0.vehicle_km",
        ),
        (
            "one truck burning more than twice its default at that distance",
            _fleet({"vehicle_class": "heavy_truck_diesel", "vehicles": 1, "fuel_litres": "80000"}),
            THIRTY_DAYS,  # at most 86,400 km x 0.40 L/km x 2 = 69,120 L
            "fleet.0.fuel_litres",
        ),
        (
            "one electric bus charging more than twice its default at that distance",
            _fleet({"vehicle_class": "bus_electric", "vehicles": 1, "electricity_kwh": "300000"}),
            THIRTY_DAYS,  # at most 86,400 km x 1.5 kWh/km x 2 = 259,200 kWh
            "fleet.0.electricity_kwh",
        ),
    ],
)
