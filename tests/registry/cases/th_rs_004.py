"""TH-RS-004 efficient lighting retrofit (LED): the worked example of docs/methodologies/TH-RS-004.md
and cases worked by hand from its formula and cited factors."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

OFF = "group OFF-T8 (indoor, 1188 of 1200 lamps working)"
PARK = "group PARK-CFL (continuous, 420 of 420 lamps working)"
YARD = "group YARD-HPS (outdoor, 35 of 36 lamps working)"

# docs/methodologies/TH-RS-004.md, section "Worked example": its JSON input, its step table and its
# "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-RS-004",
    raw={
        "groups": [
            {
                "group_id": "OFF-T8",
                "fixture_type": "T8 36 W fluorescent tube, inductive ballast -> LED tube 16 W",
                "space": "indoor",
                "lamps_replaced": 1200,
                "lamps_working": 1188,
                "baseline_w_per_lamp": "44",
                "project_w_per_lamp": "16.5",
                "logged_hours": "3150",
                "hours_precision_pct": "7.5",
            },
            {
                "group_id": "PARK-CFL",
                "fixture_type": "Underground car park, 2x18 W CFL downlight -> LED panel 14 W",
                "space": "continuous",
                "lamps_replaced": 420,
                "lamps_working": 420,
                "baseline_w_per_lamp": "40",
                "project_w_per_lamp": "14",
                "logged_hours": "8690",
                "hours_precision_pct": "0",
            },
            {
                "group_id": "YARD-HPS",
                "fixture_type": "Yard lights, 150 W high-pressure sodium -> LED floodlight 60 W",
                "space": "outdoor",
                "lamps_replaced": 36,
                "lamps_working": 35,
                "baseline_w_per_lamp": "172",
                "project_w_per_lamp": "62",
                "logged_hours": "4520",
                "hours_precision_pct": "4",
            },
        ],
        "replaced_lamps_destroyed": True,
    },
    period=YEAR_2025,
    baseline_kg=50739,
    project_kg=18398,
    leakage_kg=0,
    net_kg=32341,
    steps={
        f"{OFF}: logged hours at the lower 90 % bound = mean x (1 - precision)": "2913.750000 h",
        f"{OFF}: hours cap = 12 h/day x 365 days": "4380.000000 h",
        f"{OFF}: credited hours = min(lower bound, cap)": "2913.750000 h",
        f"{OFF}: baseline electricity = lamps working x old W x hours / 1000": "152307.540000 kWh",
        f"{OFF}: project electricity = lamps working x new W x hours / 1000": "57115.327500 kWh",
        f"{PARK}: logged hours at the lower 90 % bound = mean x (1 - precision)": "8690.000000 h",
        f"{PARK}: hours cap = 24 h/day x 365 days": "8760.000000 h",
        f"{PARK}: baseline electricity = lamps working x old W x hours / 1000": "145992.000000 kWh",
        f"{PARK}: project electricity = lamps working x new W x hours / 1000": "51097.200000 kWh",
        f"{YARD}: logged hours at the lower 90 % bound = mean x (1 - precision)": "4339.200000 h",
        f"{YARD}: baseline electricity = lamps working x old W x hours / 1000": "26121.984000 kWh",
        f"{YARD}: project electricity = lamps working x new W x hours / 1000": "9416.064000 kWh",
        "baseline electricity, all groups": "324421.524000 kWh",
        "project electricity, all groups": "117628.591500 kWh",
        "baseline emissions = baseline electricity x grid factor": "50739.526354 kg CO2",
        "project emissions = project electricity x grid factor": "18397.111711 kg CO2",
        "net reduction (exact)": "32342.414643 kg CO2e",
    },
)

RAW = EXAMPLE.raw


def group(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with fields of group ``index`` replaced (``None`` deletes)."""
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out["groups"][index].pop(key, None)
        else:
            out["groups"][index][key] = value
    return out


ST = "group ST-HPS (outdoor, 78 of 80 lamps working)"
HALL = "group HALL-INC (indoor, 50 of 50 lamps working)"

# TH-RS-004.md "Formula" / "Emission factors": grid 0.1564 kg/kWh; hours caps 12 h/day indoor and
# outdoor; precision at most 10 %. December 2025 (31 days).
#   ST-HPS, outdoor: logged 420 h, precision 5 % -> lower bound 420 x 0.95 = 399 h; cap 12 x 31 =
#          372 h -> credited 372 h (the CAP binds: daytime burning is not credited)
#          baseline = 78 x 280 W x 372 h / 1000 = 8,124.48 kWh; project = 78 x 120 x 372 / 1000 = 3,481.92 kWh
#   HALL-INC, indoor: logged 250 h, precision exactly 10 % (the limit, accepted) -> 225 h; cap 372 h
#          baseline = 50 x 60 x 225 / 1000 = 675 kWh; project = 50 x 9 x 225 / 1000 = 101.25 kWh
#   baseline electricity = 8,124.48 + 675 = 8,799.48 kWh; project = 3,481.92 + 101.25 = 3,583.17 kWh
#   baseline = 8,799.48 x 0.1564 = 1,376.238672 -> floor 1,376 kg
#   project  = 3,583.17 x 0.1564 = 560.407788 -> ceiling 561 kg
#   net = 1,376 - 561 = 815 kg
HAND_WORKED = [
    HandWorked(
        code="TH-RS-004",
        case="outdoor hours capped, precision at the limit, failed lamps not counted",
        raw={
            "groups": [
                {
                    "group_id": "ST-HPS",
                    "fixture_type": "Street lights, 250 W high-pressure sodium -> LED 120 W",
                    "space": "outdoor",
                    "lamps_replaced": 80,
                    "lamps_working": 78,
                    "baseline_w_per_lamp": "280",
                    "project_w_per_lamp": "120",
                    "logged_hours": "420",
                    "hours_precision_pct": "5",
                },
                {
                    "group_id": "HALL-INC",
                    "fixture_type": "Hall, 60 W incandescent -> LED bulb 9 W",
                    "space": "indoor",
                    "lamps_replaced": 50,
                    "lamps_working": 50,
                    "baseline_w_per_lamp": "60",
                    "project_w_per_lamp": "9",
                    "logged_hours": "250",
                    "hours_precision_pct": "10",
                },
            ],
            "replaced_lamps_destroyed": True,
        },
        period=MonitoringPeriod(date(2025, 12, 1), date(2025, 12, 31)),
        baseline_kg=1376,
        project_kg=561,
        leakage_kg=0,
        net_kg=815,
        steps={
            f"{ST}: logged hours at the lower 90 % bound = mean x (1 - precision)": "399.000000 h",
            f"{ST}: hours cap = 12 h/day x 31 days": "372.000000 h",
            f"{ST}: credited hours = min(lower bound, cap)": "372.000000 h",
            f"{ST}: baseline electricity = lamps working x old W x hours / 1000": "8124.480000 kWh",
            f"{ST}: project electricity = lamps working x new W x hours / 1000": "3481.920000 kWh",
            f"{HALL}: logged hours at the lower 90 % bound = mean x (1 - precision)": "225.000000 h",
            f"{HALL}: credited hours = min(lower bound, cap)": "225.000000 h",
            f"{HALL}: baseline electricity = lamps working x old W x hours / 1000": "675.000000 kWh",
            f"{HALL}: project electricity = lamps working x new W x hours / 1000": "101.250000 kWh",
            "baseline electricity, all groups": "8799.480000 kWh",
            "project electricity, all groups": "3583.170000 kWh",
            "baseline emissions = baseline electricity x grid factor": "1376.238672 kg CO2",
            "project emissions = project electricity x grid factor": "560.407788 kg CO2",
        },
    ),
]

BAD_INPUT = [
    ("negative", group(RAW, 0, baseline_w_per_lamp="-44"), "groups.0.baseline_w_per_lamp"),
    ("zero lamps", group(RAW, 1, lamps_replaced=0), "groups.1.lamps_replaced"),
    ("zero watts", group(RAW, 2, project_w_per_lamp="0"), "groups.2.project_w_per_lamp"),
    ("missing", group(RAW, 0, logged_hours=None), "groups.0.logged_hours"),
    ("missing flag", with_(RAW, replaced_lamps_destroyed=None), "replaced_lamps_destroyed"),
    ("extra in a group", group(RAW, 0, colour_temperature_k="4000"), "groups.0.colour_temperature_k"),
    ("extra", with_(RAW, building="Tower A"), "building"),
    ("not a number", group(RAW, 2, logged_hours="dusk to dawn"), "groups.2.logged_hours"),
    ("unknown space", group(RAW, 1, space="garage"), "groups.1.space"),
    ("precision above 100 %", group(RAW, 0, hours_precision_pct="120"), "groups.0.hours_precision_pct"),
    ("no groups", with_(RAW, groups=[]), "groups"),
    ("inconsistent: more working than installed", group(RAW, 2, lamps_working=37), "groups.2.lamps_working"),
    (
        "inconsistent: old lamps not destroyed",
        with_(RAW, replaced_lamps_destroyed=False),
        "replaced_lamps_destroyed",
    ),
    ("inconsistent: duplicate group", group(RAW, 1, group_id="OFF-T8"), "groups.1.group_id"),
]

NO_REDUCTION = [
    # no lamp working at the inspection
    group(group(group(RAW, 0, lamps_working=0), 1, lamps_working=0), 2, lamps_working=0),
    # the "efficient" lamps draw as much as the old ones
    group(
        group(group(RAW, 0, project_w_per_lamp="44"), 1, project_w_per_lamp="40"), 2, project_w_per_lamp="172"
    ),
]

CASES = Cases(example=EXAMPLE, hand_worked=HAND_WORKED, bad_input=BAD_INPUT, no_reduction=NO_REDUCTION)
