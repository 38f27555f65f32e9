"""TH-EC-006 (lake and wetland restoration): the worked example of docs/methodologies/TH-EC-006.md
and cases worked by hand from the factors it cites."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

RAW: dict[str, Any] = {
    "strata": [
        {
            "stratum_id": "M1",
            "wetland_type": "marsh",
            "area_ha": "30",
            "soil_carbon_start_t_c_per_ha": "38.6",
            "soil_carbon_end_t_c_per_ha": "42.2",
            "woody_biomass_start_t_dm_per_ha": "12.0",
            "woody_biomass_end_t_dm_per_ha": "36.0",
        },
        {
            "stratum_id": "L1",
            "wetland_type": "lake_littoral",
            "area_ha": "15",
            "soil_carbon_start_t_c_per_ha": "31.2",
            "soil_carbon_end_t_c_per_ha": "33.6",
            "woody_biomass_start_t_dm_per_ha": "0",
            "woody_biomass_end_t_dm_per_ha": "0",
        },
        {
            "stratum_id": "C1",
            "wetland_type": "constructed",
            "area_ha": "5",
            "soil_carbon_start_t_c_per_ha": "20.0",
            "soil_carbon_end_t_c_per_ha": "24.5",
            "woody_biomass_start_t_dm_per_ha": "2.0",
            "woody_biomass_end_t_dm_per_ha": "9.5",
        },
    ],
    "sampling_error_pct": "12",
}


def _stratum(raw: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out["strata"][index].pop(key, None)
        else:
            out["strata"][index][key] = value
    return out


M1 = "stratum M1 (marsh, 30 ha)"
L1 = "stratum L1 (lake_littoral, 15 ha)"
C1 = "stratum C1 (constructed, 5 ha)"
H1 = "stratum H1 (marsh, 10 ha)"
H2 = "stratum H2 (constructed, 2 ha)"

CASES = Cases(
    # docs/methodologies/TH-EC-006.md, section "Worked example": its JSON input, its step tables
    # and its "Result" line, copied as the document states them.
    example=WorkedExample(
        code="TH-EC-006",
        raw=RAW,
        period=MonitoringPeriod(date(2023, 1, 1), date(2025, 12, 31)),
        baseline_kg=0,
        project_kg=-464171,
        leakage_kg=0,
        net_kg=464171,
        steps={
            "period in years = days / 365": "3.002740 yr",
            f"{M1}: soil CO2 = area x (end - start) x 44/12": "396000.000000 kg CO2",
            f"{M1}: woody biomass CO2 = area x (end - start) x CF x 44/12": "1240800.000000 kg CO2",
            f"{M1}: CH4 = area x EF x years": "21169.317000 kg CH4",
            f"{M1}: CH4 in CO2e = CH4 x GWP": "592740.876000 kg CO2e",
            f"{L1}: soil CO2 = area x (end - start) x 44/12": "132000.000000 kg CO2",
            f"{L1}: woody biomass CO2 = area x (end - start) x CF x 44/12": "0.000000 kg CO2",
            f"{L1}: CH4 = area x EF x years": "10584.658500 kg CH4",
            f"{L1}: CH4 in CO2e = CH4 x GWP": "296370.438000 kg CO2e",
            f"{C1}: woody biomass CO2 = area x (end - start) x CF x 44/12": "64625.000000 kg CO2",
            f"{C1}: CH4 = area x EF x years": "3528.219500 kg CH4",
            f"{C1}: CH4 in CO2e = CH4 x GWP": "98790.146000 kg CO2e",
            "gross removals by the restored wetland": "1833425.000000 kg CO2",
            "uncertainty deduction = gross x 12 %": "220011.000000 kg CO2",
            "non-permanence buffer = (gross - uncertainty) x 0.10": "161341.400000 kg CO2",
            "removals credited = gross - uncertainty - buffer": "1452072.600000 kg CO2",
            "methane emissions of the restored wetland": "987901.460000 kg CO2e",
            "project emissions = methane - removals credited": "-464171.140000 kg CO2e",
        },
    ),
    hand_worked=[
        # TH-EC-006.md "Formula" / "Emission factors": CH4 235 kg/ha/yr, GWP 28, CF 0.47,
        # CO2/C = 44/12, buffer 10 %; soil carbon of constructed wetlands not credited.
        # 2025-01-01..2025-12-31: 365 days = 1.000000 yr. Gains: H1 soil 1.5 t C/ha/yr (<= 2.0),
        # woody 5.0 t d.m./ha/yr (<= 15).
        #   H1 marsh 10 ha: soil 10 x (41.5 - 40.0) x 44/12 x 1000 = 15 x 44/12 x 1000 = 55,000 kg
        #      woody 10 x 5.0 x 0.47 x 44/12 x 1000 = 23.5 x 44/12 x 1000 = 86,166.6666... ->
        #      86,166.666667; CH4 10 x 235 x 1 = 2,350 kg; x 28 = 65,800 kg CO2e
        #   H2 constructed 2 ha: soil 10 -> 12 t C/ha NOT credited; woody 0;
        #      CH4 2 x 235 x 1 = 470 kg; x 28 = 13,160 kg CO2e
        #   gross = 55,000 + 86,166.666667 = 141,166.666667
        #   uncertainty 10 % = 14,116.6666667 -> 14,116.666667; left 127,050.000000
        #   buffer = 127,050 x 0.10 = 12,705; credited = 114,345
        #   methane = 65,800 + 13,160 = 78,960
        #   project = 78,960 - 114,345 = -35,385 kg; net 35,385 kg
        HandWorked(
            code="TH-EC-006",
            case="marsh with woody growth, constructed wetland soil not credited, its methane deducted",
            raw={
                "strata": [
                    {
                        "stratum_id": "H1",
                        "wetland_type": "marsh",
                        "area_ha": "10",
                        "soil_carbon_start_t_c_per_ha": "40.0",
                        "soil_carbon_end_t_c_per_ha": "41.5",
                        "woody_biomass_start_t_dm_per_ha": "0",
                        "woody_biomass_end_t_dm_per_ha": "5.0",
                    },
                    {
                        "stratum_id": "H2",
                        "wetland_type": "constructed",
                        "area_ha": "2",
                        "soil_carbon_start_t_c_per_ha": "10",
                        "soil_carbon_end_t_c_per_ha": "12",
                        "woody_biomass_start_t_dm_per_ha": "0",
                        "woody_biomass_end_t_dm_per_ha": "0",
                    },
                ],
                "sampling_error_pct": "10",
            },
            period=MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31)),
            baseline_kg=0,
            project_kg=-35385,
            leakage_kg=0,
            net_kg=35385,
            steps={
                "period in years = days / 365": "1.000000 yr",
                f"{H1}: soil CO2 = area x (end - start) x 44/12": "55000.000000 kg CO2",
                f"{H1}: woody biomass CO2 = area x (end - start) x CF x 44/12": "86166.666667 kg CO2",
                f"{H1}: CH4 = area x EF x years": "2350.000000 kg CH4",
                f"{H1}: CH4 in CO2e = CH4 x GWP": "65800.000000 kg CO2e",
                f"{H2}: soil CO2": "not credited (constructed wetland)",
                f"{H2}: woody biomass CO2 = area x (end - start) x CF x 44/12": "0.000000 kg CO2",
                f"{H2}: CH4 in CO2e = CH4 x GWP": "13160.000000 kg CO2e",
                "gross removals by the restored wetland": "141166.666667 kg CO2",
                "uncertainty deduction = gross x 10 %": "14116.666667 kg CO2",
                "non-permanence buffer = (gross - uncertainty) x 0.10": "12705.000000 kg CO2",
                "removals credited = gross - uncertainty - buffer": "114345.000000 kg CO2",
                "methane emissions of the restored wetland": "78960.000000 kg CO2e",
                "project emissions = methane - removals credited": "-35385.000000 kg CO2e",
            },
        ),
    ],
    bad_input=[
        ("negative", _stratum(RAW, 0, area_ha="-30"), "strata.0.area_ha"),
        ("zero", _stratum(RAW, 1, area_ha="0"), "strata.1.area_ha"),
        (
            "negative biomass",
            _stratum(RAW, 2, woody_biomass_end_t_dm_per_ha="-1"),
            "strata.2.woody_biomass_end_t_dm_per_ha",
        ),
        ("missing", with_(RAW, sampling_error_pct=None), "sampling_error_pct"),
        (
            "missing in a stratum",
            _stratum(RAW, 0, soil_carbon_end_t_c_per_ha=None),
            "strata.0.soil_carbon_end_t_c_per_ha",
        ),
        ("extra", with_(RAW, ch4_flux_kg="100"), "ch4_flux_kg"),
        ("extra in a stratum", _stratum(RAW, 1, reed_biomass_t="40"), "strata.1.reed_biomass_t"),
        (
            "not a number",
            _stratum(RAW, 0, soil_carbon_start_t_c_per_ha="high"),
            "strata.0.soil_carbon_start_t_c_per_ha",
        ),
        ("infinite", with_(RAW, sampling_error_pct="Infinity"), "sampling_error_pct"),
        ("unknown wetland type", _stratum(RAW, 2, wetland_type="peatland"), "strata.2.wetland_type"),
        ("no strata", with_(RAW, strata=[]), "strata"),
        ("inconsistent: duplicate stratum", _stratum(RAW, 2, stratum_id="M1"), "strata.2.stratum_id"),
    ],
    no_reduction=[
        # the reed-fringed lake shore alone: 132,000 kg removed against 296,370 kg CO2e of CH4
        with_(RAW, strata=[RAW["strata"][1]]),
        # the whole stock change discounted by a 100 % sampling error; methane remains
        with_(RAW, sampling_error_pct="100"),
    ],
)
