"""Cases of TH-FP-EVT-001 v1 (large events): the document's worked example, hand-worked cases,
refused input and period checks."""

from __future__ import annotations

import datetime
from typing import Any

from registry.footprints import MonitoringPeriod
from tests.registry.footprint_cases import FootprintCase, FootprintCases

CODE = "TH-FP-EVT-001"

# The worked example of docs/footprints/TH-FP-EVT-001.md: a three-day expo in Chengdu.
EXAMPLE_RAW: dict[str, Any] = {
    "attendees": 2000,
    "event_days": 3,
    "travel": [
        {
            "origin": "Beijing",
            "mode": "air",
            "travellers": 300,
            "one_way_km": "1520",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Shanghai",
            "mode": "air",
            "travellers": 200,
            "one_way_km": "1660",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Kunming",
            "mode": "air",
            "travellers": 80,
            "one_way_km": "640",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Frankfurt",
            "mode": "air",
            "travellers": 10,
            "one_way_km": "7950",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Chongqing",
            "mode": "high_speed_rail",
            "travellers": 400,
            "one_way_km": "308",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Xi'an",
            "mode": "high_speed_rail",
            "travellers": 150,
            "one_way_km": "658",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Panzhihua",
            "mode": "rail",
            "travellers": 40,
            "one_way_km": "749",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Mianyang",
            "mode": "coach",
            "travellers": 120,
            "one_way_km": "130",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Chengdu (by car)",
            "mode": "car",
            "travellers": 200,
            "one_way_km": "25",
            "round_trips_per_traveller": 3,
            "car_occupancy": 2,
        },
        {
            "origin": "Chengdu (by metro)",
            "mode": "metro",
            "travellers": 800,
            "one_way_km": "18",
            "round_trips_per_traveller": 3,
        },
        {
            "origin": "Chengdu (by bus)",
            "mode": "bus",
            "travellers": 150,
            "one_way_km": "12",
            "round_trips_per_traveller": 3,
        },
    ],
    "electricity_kwh": "48000",
    "natural_gas_m3": "1200",
    "diesel_litres": "300",
    "room_nights": 1500,
    "meat_meals": 4500,
    "vegetarian_meals": 1500,
    "printed_matter_kg": "800",
    "plastics_kg": "350",
    "waste_landfilled_kg": "600",
    "plastic_waste_incinerated_kg": "250",
    "other_waste_incinerated_kg": "2000",
}

# A one-day seminar in Chengdu (40 people), worked by hand from the cited factors:
#   air, Guangzhou, 5 x 2 x 1,240 km x 1 = 12,400 pkm; 1,240 km is in the medium band (1,000-3,700):
#       12,400 x 0.22928 = 2,843.072 kg
#   car, 12 x 2 x 30 km x 1 = 720 pkm; / 3 per car = 240 vkm; 240 x 0.16984 = 40.7616 kg
#   metro, 20 x 2 x 15 km x 1 = 600 pkm; 600 x 0.03546 = 21.276 kg
#   travel = 2,843.072 + 40.7616 + 21.276 = 2,905.1096 kg -> 2,906 kg
#   electricity 500 kWh x 0.1564 = 78.2 kg; no gas; diesel 12.5 L x 2.66155 = 33.269375 kg;
#       venue energy = 111.469375 kg -> 112 kg
#   accommodation 5 room-nights x 53.5 = 267.5 kg -> 268 kg
#   catering 30 x 3.595 = 107.85 + 10 x 1.905 = 19.05 -> 126.9 kg -> 127 kg
#   printed matter 5 kg x 1.52 = 7.6; no plastics; landfill 10 kg x 3.7334 = 37.334;
#       plastic incinerated 1.5 kg x 2.75 = 4.125; other incinerated 20 kg not counted;
#       materials and waste = 49.059 kg -> 50 kg
#   total = 2,905.1096 + 111.469375 + 267.5 + 126.9 + 49.059 = 3,460.037975 kg -> 3,461 kg
#   (rounded up; the sources rounded up one by one sum to 3,463 kg)
SEMINAR_RAW: dict[str, Any] = {
    "attendees": 40,
    "event_days": 1,
    "travel": [
        {
            "origin": "Guangzhou",
            "mode": "air",
            "travellers": 5,
            "one_way_km": "1240",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Chengdu",
            "mode": "car",
            "travellers": 12,
            "one_way_km": "30",
            "round_trips_per_traveller": 1,
            "car_occupancy": 3,
        },
        {
            "origin": "Chengdu",
            "mode": "metro",
            "travellers": 20,
            "one_way_km": "15",
            "round_trips_per_traveller": 1,
        },
    ],
    "electricity_kwh": "500",
    "natural_gas_m3": "0",
    "diesel_litres": "12.5",
    "room_nights": 5,
    "meat_meals": 30,
    "vegetarian_meals": 10,
    "printed_matter_kg": "5",
    "plastics_kg": "0",
    "waste_landfilled_kg": "10",
    "plastic_waste_incinerated_kg": "1.5",
    "other_waste_incinerated_kg": "20",
}
SEMINAR_DAY = MonitoringPeriod(datetime.date(2026, 6, 10), datetime.date(2026, 6, 10))

# Only people flying, from the long band and the short band, nothing else but a little electricity,
# worked by hand; every amount is whole, so nothing is rounded up:
#   air, Frankfurt, 2 x 2 x 7,950 km = 31,800 pkm (long band, > 3,700 km) x 0.22928 = 7,291.104 kg
#   air, Xichang, 1 x 2 x 425 km = 850 pkm (short band, <= 1,000 km) x 0.22928 = 194.888 kg
#   travel = 7,485.992 kg -> 7,486 kg
#   electricity 12.5 kWh x 0.1564 = 1.955 kg; venue energy 1.955 -> 2 kg
#   total = 7,485.992 + 1.955 = 7,487.947 kg -> 7,488 kg
FLIGHTS_RAW: dict[str, Any] = {
    **{k: "0" for k in ("natural_gas_m3", "diesel_litres", "printed_matter_kg", "plastics_kg")},
    **{k: "0" for k in ("waste_landfilled_kg", "plastic_waste_incinerated_kg", "other_waste_incinerated_kg")},
    "attendees": 3,
    "event_days": 2,
    "travel": [
        {
            "origin": "Frankfurt",
            "mode": "air",
            "travellers": 2,
            "one_way_km": "7950",
            "round_trips_per_traveller": 1,
        },
        {
            "origin": "Xichang",
            "mode": "air",
            "travellers": 1,
            "one_way_km": "425",
            "round_trips_per_traveller": 1,
        },
    ],
    "electricity_kwh": "12.5",
    "room_nights": 0,
    "meat_meals": 0,
    "vegetarian_meals": 0,
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**SEMINAR_RAW, **changes}


def _group(index: int, **changes: Any) -> dict[str, Any]:
    travel = [dict(g) for g in SEMINAR_RAW["travel"]]
    travel[index].update(changes)
    return _with(travel=travel)


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in SEMINAR_RAW.items() if k != key}


def _drop_occupancy() -> dict[str, Any]:
    travel = [dict(g) for g in SEMINAR_RAW["travel"]]
    del travel[1]["car_occupancy"]
    return _with(travel=travel)


CASES = FootprintCases(
    example=FootprintCase(
        code=CODE,
        case="worked example",
        raw=EXAMPLE_RAW,
        period=MonitoringPeriod(datetime.date(2026, 5, 14), datetime.date(2026, 5, 17)),
        total_kg=564498,
        by_source={
            "travel": 449084,
            "venue energy": 10901,
            "accommodation": 80250,
            "catering": 19035,
            "materials and waste": 5229,
        },
        steps={
            "people at the event": "2000.000000 persons",
            "travel 1": "Beijing, air, medium band",
            "travel 1 passenger-km = travellers x 2 x one-way km x round trips": "912000.000000 pkm",
            "travel 1 emissions = passenger-km x factor": "209103.360000 kg CO2e",
            "travel 2": "Shanghai, air, medium band",
            "travel 2 passenger-km = travellers x 2 x one-way km x round trips": "664000.000000 pkm",
            "travel 2 emissions = passenger-km x factor": "152241.920000 kg CO2e",
            "travel 3": "Kunming, air, short band",
            "travel 3 passenger-km = travellers x 2 x one-way km x round trips": "102400.000000 pkm",
            "travel 3 emissions = passenger-km x factor": "23478.272000 kg CO2e",
            "travel 4": "Frankfurt, air, long band",
            "travel 4 passenger-km = travellers x 2 x one-way km x round trips": "159000.000000 pkm",
            "travel 4 emissions = passenger-km x factor": "36455.520000 kg CO2e",
            "travel 5": "Chongqing, high_speed_rail",
            "travel 5 passenger-km = travellers x 2 x one-way km x round trips": "246400.000000 pkm",
            "travel 5 emissions = passenger-km x factor": "8737.344000 kg CO2e",
            "travel 6": "Xi'an, high_speed_rail",
            "travel 6 passenger-km = travellers x 2 x one-way km x round trips": "197400.000000 pkm",
            "travel 6 emissions = passenger-km x factor": "6999.804000 kg CO2e",
            "travel 7": "Panzhihua, rail",
            "travel 7 passenger-km = travellers x 2 x one-way km x round trips": "59920.000000 pkm",
            "travel 7 emissions = passenger-km x factor": "2124.763200 kg CO2e",
            "travel 8": "Mianyang, coach",
            "travel 8 passenger-km = travellers x 2 x one-way km x round trips": "31200.000000 pkm",
            "travel 8 emissions = passenger-km x factor": "3217.344000 kg CO2e",
            "travel 9": "Chengdu (by car), car",
            "travel 9 passenger-km = travellers x 2 x one-way km x round trips": "30000.000000 pkm",
            "travel 9 vehicle-km = passenger-km / occupancy": "15000.000000 vkm",
            "travel 9 emissions = vehicle-km x factor": "2547.600000 kg CO2e",
            "travel 10": "Chengdu (by metro), metro",
            "travel 10 passenger-km = travellers x 2 x one-way km x round trips": "86400.000000 pkm",
            "travel 10 emissions = passenger-km x factor": "3063.744000 kg CO2e",
            "travel 11": "Chengdu (by bus), bus",
            "travel 11 passenger-km = travellers x 2 x one-way km x round trips": "10800.000000 pkm",
            "travel 11 emissions = passenger-km x factor": "1113.696000 kg CO2e",
            "travel": "449083.367200 kg CO2e",
            "venue electricity = kWh x Sichuan grid factor": "7507.200000 kg CO2",
            "venue natural gas = m3 x factor": "2594.640000 kg CO2",
            "generator diesel = litres x factor": "798.465000 kg CO2e",
            "venue energy": "10900.305000 kg CO2e",
            "accommodation = room-nights x factor": "80250.000000 kg CO2e",
            "meat-based meals = meals x factor": "16177.500000 kg CO2e",
            "vegetarian meals = meals x factor": "2857.500000 kg CO2e",
            "catering": "19035.000000 kg CO2e",
            "printed matter = kg x factor": "1216.000000 kg CO2e",
            "plastic materials = kg x factor": "1085.000000 kg CO2e",
            "waste landfilled = kg x factor": "2240.040000 kg CO2e",
            "plastic waste incinerated = kg x factor": "687.500000 kg CO2",
            "other waste incinerated (biogenic carbon, not counted)": "2000.000000 kg",
            "materials and waste": "5228.540000 kg CO2e",
            "footprint (exact)": "564497.212200 kg CO2e",
        },
    ),
    hand_worked=[
        FootprintCase(
            code=CODE,
            case="one-day seminar",
            raw=SEMINAR_RAW,
            period=SEMINAR_DAY,
            total_kg=3461,
            by_source={
                "travel": 2906,
                "venue energy": 112,
                "accommodation": 268,
                "catering": 127,
                "materials and waste": 50,
            },
            steps={
                "travel 1": "Guangzhou, air, medium band",
                "travel 1 passenger-km = travellers x 2 x one-way km x round trips": "12400.000000 pkm",
                "travel 1 emissions = passenger-km x factor": "2843.072000 kg CO2e",
                "travel 2 vehicle-km = passenger-km / occupancy": "240.000000 vkm",
                "travel 2 emissions = vehicle-km x factor": "40.761600 kg CO2e",
                "travel 3 emissions = passenger-km x factor": "21.276000 kg CO2e",
                "travel": "2905.109600 kg CO2e",
                "venue energy": "111.469375 kg CO2e",
                "catering": "126.900000 kg CO2e",
                "materials and waste": "49.059000 kg CO2e",
                "generator diesel = litres x factor": "33.269375 kg CO2e",
                "waste landfilled = kg x factor": "37.334000 kg CO2e",
                "plastic waste incinerated = kg x factor": "4.125000 kg CO2",
                "footprint (exact)": "3460.037975 kg CO2e",
            },
        ),
        FootprintCase(
            code=CODE,
            case="long-band and short-band flights only",
            raw=FLIGHTS_RAW,
            period=MonitoringPeriod(datetime.date(2026, 9, 1), datetime.date(2026, 9, 2)),
            total_kg=7488,
            by_source={
                "travel": 7486,
                "venue energy": 2,
                "accommodation": 0,
                "catering": 0,
                "materials and waste": 0,
            },
            steps={
                "travel 1": "Frankfurt, air, long band",
                "travel 1 emissions = passenger-km x factor": "7291.104000 kg CO2e",
                "travel 2": "Xichang, air, short band",
                "travel 2 emissions = passenger-km x factor": "194.888000 kg CO2e",
                "footprint (exact)": "7487.947000 kg CO2e",
            },
        ),
    ],
    bad_input=[
        ("negative electricity", _with(electricity_kwh="-1"), "electricity_kwh"),
        ("missing room-nights", _without("room_nights"), "room_nights"),
        ("unknown field", _with(guests=5), "guests"),
        ("non-number gas", _with(natural_gas_m3="lots"), "natural_gas_m3"),
        ("infinite diesel", _with(diesel_litres="Infinity"), "diesel_litres"),
        ("non-number distance", _group(0, one_way_km="far"), "travel.0.one_way_km"),
        ("zero travellers", _group(0, travellers=0), "travel.0.travellers"),
        ("unknown mode", _group(0, mode="boat"), "travel.0.mode"),
        ("no event days", _with(event_days=0), "event_days"),
        ("a 50,000 km coach ride", _group(2, mode="coach", one_way_km="50000"), "travel.2.one_way_km"),
        ("a 5,000 km coach ride", _group(2, mode="coach", one_way_km="5000"), "travel.2.one_way_km"),
        ("a flight beyond any airliner's range", _group(0, one_way_km="16000"), "travel.0.one_way_km"),
        ("a 300 km metro ride", _group(2, one_way_km="300"), "travel.2.one_way_km"),
        ("a car without occupancy", _drop_occupancy(), "travel.1.car_occupancy"),
        ("an occupancy on the metro", _group(2, car_occupancy=2), "travel.2.car_occupancy"),
        ("nine in a car", _group(1, car_occupancy=9), "travel.1.car_occupancy"),
        ("more travellers than people", _group(2, travellers=41), "travel.2.travellers"),
        # 40 people x (1 event day + 2) = 120 person-nights
        ("more room-nights than person-nights", _with(room_nights=121), "room_nights"),
        # 3 meals x 120 person-days = 360
        ("more meals than three a day", _with(meat_meals=300, vegetarian_meals=61), "meat_meals"),
        # 10 kg x 120 person-days = 1,200 kg
        ("more waste than 10 kg a person a day", _with(waste_landfilled_kg="1200"), "waste_landfilled_kg"),
    ],
    period_checks=[
        (
            "a period of more than 60 days",
            SEMINAR_RAW,
            MonitoringPeriod(datetime.date(2026, 6, 1), datetime.date(2026, 7, 31)),
            "event_days",
        ),
        (
            "more event days than the period",
            _with(event_days=3),
            MonitoringPeriod(datetime.date(2026, 6, 10), datetime.date(2026, 6, 11)),
            "event_days",
        ),
        (
            "more round trips than days",
            _group(2, round_trips_per_traveller=2),
            SEMINAR_DAY,
            "travel.2.round_trips_per_traveller",
        ),
    ],
)
