"""TH-RS-003 high-efficiency motor replacement: the worked example of
docs/methodologies/TH-RS-003.md and cases worked by hand from its formula and cited factors."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

P01 = "motor P-01 (55 kW, 4-pole)"
F02 = "motor F-02 (15 kW, 2-pole)"

# docs/methodologies/TH-RS-003.md, section "Worked example": its JSON input, its step table and its
# "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-RS-003",
    raw={
        "motors": [
            {
                "motor_id": "P-01",
                "poles": 4,
                "rated_power_kw": "55",
                "load_factor": "0.78",
                "operating_hours": "7800",
                "old_efficiency_measured": "0.918",
                "new_efficiency_rated": "0.957",
                "old_motor_scrapped": True,
            },
            {
                "motor_id": "F-02",
                "poles": 2,
                "rated_power_kw": "15",
                "load_factor": "0.65",
                "operating_hours": "6200",
                "old_efficiency_measured": "0.872",
                "new_efficiency_rated": "0.939",
                "old_motor_scrapped": True,
            },
        ]
    },
    period=YEAR_2025,
    baseline_kg=65587,
    project_kg=64755,
    leakage_kg=0,
    net_kg=832,
    steps={
        f"{P01}: market minimum efficiency (GB 18613-2020 grade 3 / IE3, 55 kW row)": "0.946000",
        f"{P01}: baseline efficiency = max(measured old, market minimum)": "0.946000",
        f"{P01}: shaft energy = rated power x load factor x hours": "334620.000000 kWh",
        f"{P01}: baseline electricity = shaft energy / baseline efficiency": "353720.930233 kWh",
        f"{P01}: project electricity = shaft energy / new efficiency": "349655.172414 kWh",
        f"{F02}: market minimum efficiency (GB 18613-2020 grade 3 / IE3, 15 kW row)": "0.921000",
        f"{F02}: baseline efficiency = max(measured old, market minimum)": "0.921000",
        f"{F02}: shaft energy = rated power x load factor x hours": "60450.000000 kWh",
        f"{F02}: baseline electricity = shaft energy / baseline efficiency": "65635.179153 kWh",
        f"{F02}: project electricity = shaft energy / new efficiency": "64376.996805 kWh",
        "baseline electricity, all motors": "419356.109386 kWh",
        "project electricity, all motors": "414032.169219 kWh",
        "baseline emissions = baseline electricity x grid factor": "65587.295508 kg CO2",
        "project emissions = project electricity x grid factor": "64754.631266 kg CO2",
        "net reduction (exact)": "832.664242 kg CO2e",
    },
)

RAW = EXAMPLE.raw


def motor(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with fields of motor ``index`` replaced (``None`` deletes)."""
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out["motors"][index].pop(key, None)
        else:
            out["motors"][index][key] = value
    return out


M100 = "motor M-100 (100 kW, 6-pole)"
M250 = "motor M-250 (250 kW, 2-pole)"

# TH-RS-003.md "Formula" / "Emission factors": grid 0.1564 kg/kWh; market minimum = the 4-pole IE3
# value of the tabulated power at or above the rated power. March 2025 (31 days, 744 h).
#   M-100: 100 kW is not tabulated -> the 110 kW row, 0.954. The old motor MEASURED 0.960, higher:
#          baseline efficiency = max(0.960, 0.954) = 0.960 (measured branch)
#          shaft = 100 x 0.7 x 700 = 49,000 kWh
#          baseline = 49,000 / 0.960 = 51,041.6666... -> 51041.666667 kWh
#          project  = 49,000 / 0.968 = 50,619.8347107... -> 50619.834711 kWh
#   M-250: 250 kW is above the last row -> the 200 kW row (200-1000 kW), 0.960 > measured 0.93;
#          shaft = 250 x 0.85 x 744 = 158,100 kWh (every hour of the month)
#          baseline = 158,100 / 0.960 = 164,687.5 kWh
#          project  = 158,100 / 0.972 = 162,654.3209876... -> 162654.320988 kWh
#   baseline electricity = 51,041.666667 + 164,687.5 = 215,729.166667 kWh
#   project electricity  = 50,619.834711 + 162,654.320988 = 213,274.155699 kWh
#   baseline = 215,729.166667 x 0.1564 = 33,740.0416667... -> 33740.041667 -> floor 33,740 kg
#   project  = 213,274.155699 x 0.1564 = 33,356.0779513... -> 33356.077951 -> ceiling 33,357 kg
#   net = 33,740 - 33,357 = 383 kg
HAND_WORKED = [
    HandWorked(
        code="TH-RS-003",
        case="intermediate and above-table powers, measured old efficiency above the minimum",
        raw={
            "motors": [
                {
                    "motor_id": "M-100",
                    "poles": 6,
                    "rated_power_kw": "100",
                    "load_factor": "0.7",
                    "operating_hours": "700",
                    "old_efficiency_measured": "0.960",
                    "new_efficiency_rated": "0.968",
                    "old_motor_scrapped": True,
                },
                {
                    "motor_id": "M-250",
                    "poles": 2,
                    "rated_power_kw": "250",
                    "load_factor": "0.85",
                    "operating_hours": "744",
                    "old_efficiency_measured": "0.93",
                    "new_efficiency_rated": "0.972",
                    "old_motor_scrapped": True,
                },
            ]
        },
        period=MonitoringPeriod(date(2025, 3, 1), date(2025, 3, 31)),
        baseline_kg=33740,
        project_kg=33357,
        leakage_kg=0,
        net_kg=383,
        steps={
            f"{M100}: market minimum efficiency (GB 18613-2020 grade 3 / IE3, 110 kW row)": "0.954000",
            f"{M100}: baseline efficiency = max(measured old, market minimum)": "0.960000",
            f"{M100}: shaft energy = rated power x load factor x hours": "49000.000000 kWh",
            f"{M100}: baseline electricity = shaft energy / baseline efficiency": "51041.666667 kWh",
            f"{M100}: project electricity = shaft energy / new efficiency": "50619.834711 kWh",
            f"{M250}: market minimum efficiency (GB 18613-2020 grade 3 / IE3, 200 kW row)": "0.960000",
            f"{M250}: baseline efficiency = max(measured old, market minimum)": "0.960000",
            f"{M250}: shaft energy = rated power x load factor x hours": "158100.000000 kWh",
            f"{M250}: baseline electricity = shaft energy / baseline efficiency": "164687.500000 kWh",
            f"{M250}: project electricity = shaft energy / new efficiency": "162654.320988 kWh",
            "baseline electricity, all motors": "215729.166667 kWh",
            "project electricity, all motors": "213274.155699 kWh",
            "baseline emissions = baseline electricity x grid factor": "33740.041667 kg CO2",
            "project emissions = project electricity x grid factor": "33356.077951 kg CO2",
        },
    ),
]

BAD_INPUT = [
    ("negative", motor(RAW, 0, load_factor="-0.5"), "motors.0.load_factor"),
    ("zero", motor(RAW, 1, rated_power_kw="0"), "motors.1.rated_power_kw"),
    ("below the smallest rated power", motor(RAW, 1, rated_power_kw="0.55"), "motors.1.rated_power_kw"),
    ("missing", motor(RAW, 0, operating_hours=None), "motors.0.operating_hours"),
    ("extra in a motor", motor(RAW, 0, frame_size="250M"), "motors.0.frame_size"),
    ("extra", with_(RAW, plant="Pidu"), "plant"),
    ("not a number", motor(RAW, 0, new_efficiency_rated="IE4"), "motors.0.new_efficiency_rated"),
    ("efficiency of 1", motor(RAW, 1, old_efficiency_measured="1"), "motors.1.old_efficiency_measured"),
    ("load above rated", motor(RAW, 0, load_factor="1.1"), "motors.0.load_factor"),
    ("unknown pole number", motor(RAW, 0, poles=3), "motors.0.poles"),
    ("no motors", with_(RAW, motors=[]), "motors"),
    ("inconsistent: old motor kept", motor(RAW, 1, old_motor_scrapped=False), "motors.1.old_motor_scrapped"),
    ("inconsistent: duplicate motor", motor(RAW, 1, motor_id="P-01"), "motors.1.motor_id"),
]

NO_REDUCTION = [
    # new motors only at the market minimum (IE3): nothing beyond what any replacement gives
    motor(motor(RAW, 0, new_efficiency_rated="0.946"), 1, new_efficiency_rated="0.921"),
    # the motors did not run
    motor(motor(RAW, 0, operating_hours="0"), 1, operating_hours="0"),
]

CASES = Cases(example=EXAMPLE, hand_worked=HAND_WORKED, bad_input=BAD_INPUT, no_reduction=NO_REDUCTION)
