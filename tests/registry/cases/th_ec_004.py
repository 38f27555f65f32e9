"""TH-EC-004 (Tianfu greenway trees): the worked example of docs/methodologies/TH-EC-004.md and
cases worked by hand from the factors it cites."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

RAW: dict[str, Any] = {
    "strata": [
        {
            "stratum_id": "JJ-B1",
            "species_group": "broadleaf",
            "tree_count_start": 820,
            "tree_count_end": 812,
            "stem_volume_start_m3": "41.0",
            "stem_volume_end_m3": "98.4",
        },
        {
            "stratum_id": "JJ-C1",
            "species_group": "conifer",
            "tree_count_start": 300,
            "tree_count_end": 298,
            "stem_volume_start_m3": "12.6",
            "stem_volume_end_m3": "35.2",
        },
    ],
    "sampling_error_pct": "5.0",
    "irrigation_electricity_kwh": "38000",
    "gasoline_kg": "1250",
    "diesel_kg": "2400",
}


def _stratum(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out["strata"][index].pop(key, None)
        else:
            out["strata"][index][key] = value
    return out


B1 = "stratum JJ-B1 (broadleaf, 812 trees)"
C1 = "stratum JJ-C1 (conifer, 298 trees)"
N1 = "stratum N1 (broadleaf, 50 trees)"

CASES = Cases(
    # docs/methodologies/TH-EC-004.md, section "Worked example": its JSON input, its step tables
    # and its "Result" line, copied as the document states them.
    example=WorkedExample(
        code="TH-EC-004",
        raw=RAW,
        period=MonitoringPeriod(date(2023, 1, 1), date(2025, 12, 31)),
        baseline_kg=0,
        project_kg=-54464,
        leakage_kg=0,
        net_kg=54464,
        steps={
            f"{B1}: stem volume change = end - start": "57.400000 m3",
            f"{B1}: AGB change = volume x BCEF": "28.700000 t d.m.",
            f"{B1}: tree biomass change = AGB x (1 + R)": "35.301000 t d.m.",
            f"{B1}: CO2 removed = biomass x CF x 44/12": "60835.390000 kg CO2",
            f"{C1}: stem volume change = end - start": "22.600000 m3",
            f"{C1}: AGB change = volume x BCEF": "11.300000 t d.m.",
            f"{C1}: tree biomass change = AGB x (1 + R)": "13.560000 t d.m.",
            f"{C1}: CO2 removed = biomass x CF x 44/12": "23368.400000 kg CO2",
            "gross removals by the project trees": "84203.790000 kg CO2",
            "uncertainty deduction = gross x 5.0 %": "4210.189500 kg CO2",
            "non-permanence buffer = (gross - uncertainty) x 0.10": "7999.360050 kg CO2",
            "removals credited = gross - uncertainty - buffer": "71994.240450 kg CO2",
            "irrigation electricity emissions = kWh x grid factor": "5943.200000 kg CO2",
            "gasoline emissions = kg x NCV x CO2 factor": "3930.137500 kg CO2",
            "diesel emissions = kg x NCV x CO2 factor": "7656.887040 kg CO2",
            "maintenance emissions": "17530.224540 kg CO2",
            "project emissions = maintenance - removals credited": "-54464.015910 kg CO2e",
        },
    ),
    hand_worked=[
        # TH-EC-004.md "Formula" / "Emission factors": BCEF 0.50, R broadleaf 0.23, CF 0.47,
        # CO2/C = 44/12, buffer 10 %, grid 0.1564 kg/kWh, gasoline NCV 43.070 GJ/t and
        # 73.0 kg CO2/GJ. A new planting (no trees at the start), a full census (sampling error 0),
        # 2024-01-01..2024-12-31 (366 days): growth 2.0 / 50 / (366/365) = 0.0399 m3/tree/yr,
        # below 0.15.
        #   volume change 2.0 - 0 = 2.0 m3; AGB 2.0 x 0.50 = 1.0 t; biomass 1.0 x 1.23 = 1.23 t
        #   CO2 = 1.23 x 0.47 x 44/12 x 1000 = 0.5781 x 44 / 12 x 1000 = 2,119.7 kg
        #   gross 2,119.7; uncertainty 0 %: 0; buffer 2,119.7 x 0.10 = 211.97
        #   credited = 2,119.7 - 211.97 = 1,907.73
        #   electricity 1,000 x 0.1564 = 156.4; gasoline 10 x 43.070 / 1000 x 73.0 = 31.4411;
        #   diesel 0; maintenance = 187.8411
        #   project = 187.8411 - 1,907.73 = -1,719.8889 -> ceiling -1,719 kg (fewer removals)
        #   net = 0 - (-1,719) - 0 = 1,719 kg
        HandWorked(
            code="TH-EC-004",
            case="new planting, census, maintenance deducted, removals rounded towards fewer",
            raw={
                "strata": [
                    {
                        "stratum_id": "N1",
                        "species_group": "broadleaf",
                        "tree_count_start": 0,
                        "tree_count_end": 50,
                        "stem_volume_start_m3": "0",
                        "stem_volume_end_m3": "2.0",
                    }
                ],
                "sampling_error_pct": "0",
                "irrigation_electricity_kwh": "1000",
                "gasoline_kg": "10",
                "diesel_kg": "0",
            },
            period=MonitoringPeriod(date(2024, 1, 1), date(2024, 12, 31)),
            baseline_kg=0,
            project_kg=-1719,
            leakage_kg=0,
            net_kg=1719,
            steps={
                f"{N1}: stem volume change = end - start": "2.000000 m3",
                f"{N1}: AGB change = volume x BCEF": "1.000000 t d.m.",
                f"{N1}: tree biomass change = AGB x (1 + R)": "1.230000 t d.m.",
                f"{N1}: CO2 removed = biomass x CF x 44/12": "2119.700000 kg CO2",
                "uncertainty deduction = gross x 0 %": "0.000000 kg CO2",
                "non-permanence buffer = (gross - uncertainty) x 0.10": "211.970000 kg CO2",
                "removals credited = gross - uncertainty - buffer": "1907.730000 kg CO2",
                "irrigation electricity emissions = kWh x grid factor": "156.400000 kg CO2",
                "gasoline emissions = kg x NCV x CO2 factor": "31.441100 kg CO2",
                "diesel emissions = kg x NCV x CO2 factor": "0.000000 kg CO2",
                "maintenance emissions": "187.841100 kg CO2",
                "project emissions = maintenance - removals credited": "-1719.888900 kg CO2e",
            },
        ),
    ],
    bad_input=[
        ("negative", _stratum(RAW, 0, stem_volume_start_m3="-1"), "strata.0.stem_volume_start_m3"),
        ("negative electricity", with_(RAW, irrigation_electricity_kwh="-5"), "irrigation_electricity_kwh"),
        ("zero trees at the end", _stratum(RAW, 1, tree_count_end=0), "strata.1.tree_count_end"),
        ("missing", with_(RAW, sampling_error_pct=None), "sampling_error_pct"),
        ("missing in a stratum", _stratum(RAW, 1, species_group=None), "strata.1.species_group"),
        ("extra", with_(RAW, mowing_hours="200"), "mowing_hours"),
        ("extra in a stratum", _stratum(RAW, 0, dbh_cm="18"), "strata.0.dbh_cm"),
        ("not a number", with_(RAW, gasoline_kg="a lot"), "gasoline_kg"),
        ("infinite", with_(RAW, diesel_kg="Infinity"), "diesel_kg"),
        ("fractional tree count", _stratum(RAW, 0, tree_count_end="812.5"), "strata.0.tree_count_end"),
        ("unknown species group", _stratum(RAW, 0, species_group="palm"), "strata.0.species_group"),
        ("sampling error above 100", with_(RAW, sampling_error_pct="101"), "sampling_error_pct"),
        ("no strata", with_(RAW, strata=[]), "strata"),
        ("inconsistent: duplicate stratum", _stratum(RAW, 1, stratum_id="JJ-B1"), "strata.1.stratum_id"),
        (
            "inconsistent: stem volume with no trees at the start",
            _stratum(RAW, 0, tree_count_start=0),
            "strata.0.stem_volume_start_m3",
        ),
        (
            "inconsistent: mean stem volume above 15 m3 per tree",
            _stratum(RAW, 0, stem_volume_end_m3="12181"),
            "strata.0.stem_volume_end_m3",
        ),
    ],
    no_reduction=[
        # maintenance (1,000,000 kWh x 0.1564 = 156,400 kg) above the 71,994 kg credited
        with_(RAW, irrigation_electricity_kwh="1000000"),
        # the whole stock change discounted by a 100 % sampling error; maintenance remains
        with_(RAW, sampling_error_pct="100"),
        # no growth, no maintenance: nothing at all
        _stratum(
            _stratum(
                with_(RAW, irrigation_electricity_kwh="0", gasoline_kg="0", diesel_kg="0"),
                0,
                stem_volume_end_m3="41.0",
            ),
            1,
            stem_volume_end_m3="12.6",
        ),
    ],
)
