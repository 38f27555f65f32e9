"""TH-RS-002 building energy-saving retrofit: the worked example of docs/methodologies/TH-RS-002.md
and cases worked by hand from its formula and cited factors."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

# docs/methodologies/TH-RS-002.md, section "Worked example": its JSON input, its step table and its
# "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-RS-002",
    raw={
        "gross_floor_area_m2": "24000",
        "baseline_floor_area_in_use_m2": "22000",
        "reporting_floor_area_in_use_m2": "21500",
        "baseline_months": 12,
        "elec_model_base_kwh_per_day": "6200",
        "elec_model_kwh_per_hdd": "95",
        "elec_model_kwh_per_cdd": "6500",
        "elec_model_cv_rmse_pct": "6.8",
        "elec_model_nmbe_pct": "0.4",
        "gas_model_base_m3_per_day": "120",
        "gas_model_m3_per_hdd": "25",
        "gas_model_cv_rmse_pct": "11.2",
        "gas_model_nmbe_pct": "-1.3",
        "reporting_electricity_kwh": "2350000",
        "reporting_gas_m3": "52000",
        "reporting_hdd18": "1280",
        "reporting_cdd26": "95",
    },
    period=YEAR_2025,
    baseline_kg=617191,
    project_kg=479974,
    leakage_kg=0,
    net_kg=137217,
    steps={
        "natural gas CO2 factor = NCV x carbon content x oxidation x 44/12": "2.162189 kg CO2 / m3",
        "floor-area adjustment = min(1, reporting area in use / baseline area in use)": "0.977273",
        "electricity model = base x days + per HDD x HDD + per CDD x CDD": "3002100.000000 kWh",
        "adjusted baseline electricity = model x area adjustment x (1 - max(0, NMBE))": "2922135.788207 kWh",
        "gas model = base x days + per HDD x HDD": "75800.000000 m3",
        "adjusted baseline gas = model x area adjustment x (1 - max(0, NMBE))": "74077.293400 m3",
        "electricity saved, informative": "572135.788207 kWh",
        "gas saved, informative": "22077.293400 m3",
        "baseline emissions = adjusted electricity x grid factor + adjusted gas x gas factor": (
            "617191.146215 kg CO2"
        ),
        "project emissions = metered electricity x grid factor + metered gas x gas factor": (
            "479973.828000 kg CO2"
        ),
        "net reduction (exact)": "137217.318215 kg CO2e",
    },
)

RAW = EXAMPLE.raw

# TH-RS-002.md "Formula" / "Emission factors": grid 0.1564 kg/kWh; gas 0.038931 GJ/m3 x 15.3 kg C/GJ
# x 0.99 x 44/12. An electricity-only building (gas model zero, so no gas statistics are needed), in
# July 2025 (31 days), with MORE floor area in use than in the baseline (5,200 > 5,000 m2: the
# adjustment stays 1, no upward scaling) and a model that under-predicts (NMBE -2 %: no correction).
#   gas factor  = 0.038931 x 15.3 = 0.5956443; x 0.99 = 0.589687857; x 44/12 = 2.162188809 -> 2.162189
#   area        = min(1, 5,200 / 5,000) = 1
#   model       = 1,000 kWh/d x 31 d + 0 x 0 HDD + 400 kWh/CDD x 45.5 CDD = 31,000 + 18,200 = 49,200 kWh
#   adjusted    = 49,200 x 1 x (1 - max(0, -0.02)) = 49,200 kWh; no gas: adjusted gas 0
#   baseline    = 49,200 x 0.1564 = 7,694.88 -> floor 7,694 kg
#   project     = 40,001 x 0.1564 + 0 x 2.162189 = 6,256.1564 -> ceiling 6,257 kg (rounded UP)
#   net         = 7,694 - 6,257 - 0 = 1,437 kg
HAND_WORKED = [
    HandWorked(
        code="TH-RS-002",
        case="electricity only, larger area not scaled up, negative NMBE not corrected, one month",
        raw={
            "gross_floor_area_m2": "6000",
            "baseline_floor_area_in_use_m2": "5000",
            "reporting_floor_area_in_use_m2": "5200",
            "baseline_months": 24,
            "elec_model_base_kwh_per_day": "1000",
            "elec_model_kwh_per_hdd": "0",
            "elec_model_kwh_per_cdd": "400",
            "elec_model_cv_rmse_pct": "9",
            "elec_model_nmbe_pct": "-2",
            "gas_model_base_m3_per_day": "0",
            "gas_model_m3_per_hdd": "0",
            "reporting_electricity_kwh": "40001",
            "reporting_gas_m3": "0",
            "reporting_hdd18": "0",
            "reporting_cdd26": "45.5",
        },
        period=MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 31)),
        baseline_kg=7694,
        project_kg=6257,
        leakage_kg=0,
        net_kg=1437,
        steps={
            "natural gas CO2 factor = NCV x carbon content x oxidation x 44/12": "2.162189 kg CO2 / m3",
            "floor-area adjustment = min(1, reporting area in use / baseline area in use)": "1.000000",
            "electricity model = base x days + per HDD x HDD + per CDD x CDD": "49200.000000 kWh",
            "adjusted baseline electricity = model x area adjustment x (1 - max(0, NMBE))": (
                "49200.000000 kWh"
            ),
            "baseline emissions = adjusted electricity x grid factor + adjusted gas x gas factor": (
                "7694.880000 kg CO2"
            ),
            "project emissions = metered electricity x grid factor + metered gas x gas factor": (
                "6256.156400 kg CO2"
            ),
        },
    ),
]

BAD_INPUT = [
    ("negative", with_(RAW, reporting_electricity_kwh="-1"), "reporting_electricity_kwh"),
    ("zero", with_(RAW, gross_floor_area_m2="0"), "gross_floor_area_m2"),
    ("missing", with_(RAW, reporting_hdd18=None), "reporting_hdd18"),
    ("extra", with_(RAW, tariff_yuan_per_kwh="0.6"), "tariff_yuan_per_kwh"),
    ("not a number", with_(RAW, reporting_gas_m3="a lot"), "reporting_gas_m3"),
    ("infinite", with_(RAW, elec_model_kwh_per_cdd="Infinity"), "elec_model_kwh_per_cdd"),
    ("baseline shorter than a year", with_(RAW, baseline_months=11), "baseline_months"),
    (
        "inconsistent: reporting area in use above gross",
        with_(RAW, reporting_floor_area_in_use_m2="24001"),
        "reporting_floor_area_in_use_m2",
    ),
    (
        "inconsistent: baseline area in use above gross",
        with_(RAW, baseline_floor_area_in_use_m2="30000"),
        "baseline_floor_area_in_use_m2",
    ),
    (
        "inconsistent: electricity model all zero",
        with_(RAW, elec_model_base_kwh_per_day="0", elec_model_kwh_per_hdd="0", elec_model_kwh_per_cdd="0"),
        "elec_model_base_kwh_per_day",
    ),
    (
        "inconsistent: gas model without its statistics",
        with_(RAW, gas_model_cv_rmse_pct=None),
        "gas_model_cv_rmse_pct",
    ),
]

NO_REDUCTION = [
    # the building used more than the adjusted baseline
    with_(RAW, reporting_electricity_kwh="3500000", reporting_gas_m3="80000"),
    # exactly the adjusted baseline electricity, more gas
    with_(RAW, reporting_electricity_kwh="2922136", reporting_gas_m3="74078"),
]

CASES = Cases(example=EXAMPLE, hand_worked=HAND_WORKED, bad_input=BAD_INPUT, no_reduction=NO_REDUCTION)
