"""TH-EC-007: methane reduction in rice paddies by water management (docs/methodologies/TH-EC-007.md)."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

EXAMPLE_RAW = {
    "area_ha": "500",
    "rice_seasons": 1,
    "cultivation_days_per_season": 130,
    "baseline_water_regime": "continuously_flooded",
    "project_water_regime": "multiple_drainage",
    "preseason_water_regime": "non_flooded_long",
    "straw_short_t_per_ha": "0",
    "straw_long_t_per_ha": "4",
    "compost_t_per_ha": "0",
    "farmyard_manure_t_per_ha": "3",
    "green_manure_t_per_ha": "0",
    "n_applied_kg_per_ha": "180",
}

CASES = Cases(
    example=WorkedExample(
        code="TH-EC-007",
        raw=EXAMPLE_RAW,
        period=YEAR_2025,
        baseline_kg=3575115,
        project_kg=2282591,
        leakage_kg=0,
        net_kg=1292524,
        steps={
            "SFo = (1 + sum of ROA x CFOA) ^ 0.59": "1.672071",
            "baseline daily EF = EFc x SFw (continuously_flooded) x SFp x SFo": "1.964349 kg CH4 / ha / day",
            "project daily EF = EFc x SFw (multiple_drainage) x SFp x SFo": "1.080392 kg CH4 / ha / day",
            "area-days = area x seasons x cultivation days": "65000.000000 ha day",
            "baseline CH4 = baseline EF x area-days": "127682.685000 kg CH4",
            "project CH4 = project EF x area-days": "70225.480000 kg CH4",
            "baseline emissions = baseline CH4 x GWP CH4": "3575115.180000 kg CO2e",
            "project CH4 emissions = project CH4 x GWP CH4": "1966313.440000 kg CO2e",
            "N applied = rate x area x seasons": "90000.000000 kg N",
            "N2O increment = N x (EF1FR drained - EF1FR flooded) x 44/28 x GWP N2O": "74957.142857 kg CO2e",
            "uncertainty deduction = 0.15 x (baseline - project CH4 emissions)": "241320.261000 kg CO2e",
            "project emissions = project CH4 + N2O increment + uncertainty deduction": (
                "2282590.843857 kg CO2e"
            ),
        },
    ),
    hand_worked=[
        # TH-EC-007.md "Formula" / "Emission factors": EFc 1.32 kg CH4/ha/day, SFw 0.71 (single
        # drainage) and 0.55 (multiple), SFp 1.00 (< 180 days), no amendments so SFo = 1^0.59 = 1,
        # GWP CH4 28, deduction 0.15. The baseline ALREADY drains once, so both EF1FR are 0.005 and
        # there is no N2O increment (no "N applied" step).
        #   baseline EF = 1.32 x 0.71 x 1.00 x 1 = 0.9372;  project EF = 1.32 x 0.55 = 0.726
        #   area-days   = 200.5 x 2 x 110 = 44,110 ha day  (220 days <= 365)
        #   baseline    = 0.9372 x 44,110 = 41,339.892 kg CH4 x 28 = 1,157,516.976 -> floor 1,157,516
        #   project CH4 = 0.726 x 44,110 = 32,023.86 kg CH4 x 28 = 896,668.08
        #   deduction   = 0.15 x (1,157,516.976 - 896,668.08) = 0.15 x 260,848.896 = 39,127.3344
        #   project     = 896,668.08 + 0 + 39,127.3344 = 935,795.4144 -> ceiling 935,796
        #   net         = 1,157,516 - 935,796 = 221,720 kg
        HandWorked(
            code="TH-EC-007",
            case="single to multiple drainage, no N2O increment, no amendments",
            raw=with_(
                EXAMPLE_RAW,
                area_ha="200.5",
                rice_seasons=2,
                cultivation_days_per_season=110,
                baseline_water_regime="single_drainage",
                preseason_water_regime="non_flooded_short",
                straw_long_t_per_ha="0",
                farmyard_manure_t_per_ha="0",
                n_applied_kg_per_ha="150",
            ),
            period=YEAR_2025,
            baseline_kg=1157516,
            project_kg=935796,
            leakage_kg=0,
            net_kg=221720,
            steps={
                "SFo = (1 + sum of ROA x CFOA) ^ 0.59": "1.000000",
                "baseline daily EF = EFc x SFw (single_drainage) x SFp x SFo": "0.937200 kg CH4 / ha / day",
                "project daily EF = EFc x SFw (multiple_drainage) x SFp x SFo": "0.726000 kg CH4 / ha / day",
                "area-days = area x seasons x cultivation days": "44110.000000 ha day",
                "baseline emissions = baseline CH4 x GWP CH4": "1157516.976000 kg CO2e",
                "project CH4 emissions = project CH4 x GWP CH4": "896668.080000 kg CO2e",
                "uncertainty deduction = 0.15 x (baseline - project CH4 emissions)": "39127.334400 kg CO2e",
            },
        ),
        # Continuous flooding to a single drainage on a paddy-upland rotation (SFp 0.59), 10 ha,
        # one 100-day season in May-September 2025 (153 days), no amendments, 120 kg N/ha.
        #   baseline EF = 1.32 x 1.00 x 0.59 = 0.7788;  project EF = 1.32 x 0.71 x 0.59 = 0.552948
        #   area-days   = 10 x 1 x 100 = 1,000
        #   baseline    = 778.8 kg CH4 x 28 = 21,806.4 -> floor 21,806
        #   project CH4 = 552.948 kg CH4 x 28 = 15,482.544
        #   N2O         = 120 x 10 x 1 = 1,200 kg N x (0.005 - 0.003) x 44/28 x 265
        #               = 2.4 x 265 x 44 / 28 = 27,984 / 28 = 999.4285714... -> 999.428571
        #   deduction   = 0.15 x (21,806.4 - 15,482.544) = 0.15 x 6,323.856 = 948.5784
        #   project     = 15,482.544 + 999.428571 + 948.5784 = 17,430.550971 -> ceiling 17,431
        #   net         = 21,806 - 17,431 = 4,375 kg
        HandWorked(
            code="TH-EC-007",
            case="flooded to single drainage, N2O increment, long pre-season",
            raw=with_(
                EXAMPLE_RAW,
                area_ha="10",
                cultivation_days_per_season=100,
                project_water_regime="single_drainage",
                preseason_water_regime="non_flooded_over_365",
                straw_long_t_per_ha="0",
                farmyard_manure_t_per_ha="0",
                n_applied_kg_per_ha="120",
            ),
            period=MonitoringPeriod(date(2025, 5, 1), date(2025, 9, 30)),
            baseline_kg=21806,
            project_kg=17431,
            leakage_kg=0,
            net_kg=4375,
            steps={
                "baseline daily EF = EFc x SFw (continuously_flooded) x SFp x SFo": (
                    "0.778800 kg CH4 / ha / day"
                ),
                "project daily EF = EFc x SFw (single_drainage) x SFp x SFo": "0.552948 kg CH4 / ha / day",
                "N applied = rate x area x seasons": "1200.000000 kg N",
                "N2O increment = N x (EF1FR drained - EF1FR flooded) x 44/28 x GWP N2O": "999.428571 kg CO2e",
                "uncertainty deduction = 0.15 x (baseline - project CH4 emissions)": "948.578400 kg CO2e",
                "project emissions = project CH4 + N2O increment + uncertainty deduction": (
                    "17430.550971 kg CO2e"
                ),
            },
        ),
    ],
    bad_input=[
        ("negative", with_(EXAMPLE_RAW, area_ha="-500"), "area_ha"),
        ("zero", with_(EXAMPLE_RAW, area_ha="0"), "area_ha"),
        ("zero seasons", with_(EXAMPLE_RAW, rice_seasons=0), "rice_seasons"),
        (
            "cultivation too short",
            with_(EXAMPLE_RAW, cultivation_days_per_season=30),
            "cultivation_days_per_season",
        ),
        ("negative amendment", with_(EXAMPLE_RAW, compost_t_per_ha="-1"), "compost_t_per_ha"),
        ("missing", with_(EXAMPLE_RAW, n_applied_kg_per_ha=None), "n_applied_kg_per_ha"),
        ("missing regime", with_(EXAMPLE_RAW, baseline_water_regime=None), "baseline_water_regime"),
        ("extra", with_(EXAMPLE_RAW, variety="Chuanyou 6203"), "variety"),
        ("not a number", with_(EXAMPLE_RAW, straw_long_t_per_ha="some"), "straw_long_t_per_ha"),
        ("infinite", with_(EXAMPLE_RAW, area_ha="Infinity"), "area_ha"),
        (
            "winter-flooded paddy is outside v1",
            with_(EXAMPLE_RAW, preseason_water_regime="flooded"),
            "preseason_water_regime",
        ),
        (
            "continuous flooding is not a project regime",
            with_(EXAMPLE_RAW, project_water_regime="continuously_flooded"),
            "project_water_regime",
        ),
        (
            "inconsistent: project not drier than baseline",
            with_(
                EXAMPLE_RAW, baseline_water_regime="single_drainage", project_water_regime="single_drainage"
            ),
            "project_water_regime",
        ),
    ],
    no_reduction=[
        # flooded -> single drainage on a short 60-day season of a paddy-upland rotation with a heavy
        # 500 kg N/ha: CH4 credited 0.85 x 1.32 x 0.29 x 0.59 x 60 x 28 = 322.5 kg/ha, N2O increment
        # 500 x 0.002 x 44/28 x 265 = 416.4 kg/ha
        with_(
            EXAMPLE_RAW,
            area_ha="100",
            cultivation_days_per_season=60,
            project_water_regime="single_drainage",
            preseason_water_regime="non_flooded_over_365",
            straw_long_t_per_ha="0",
            farmyard_manure_t_per_ha="0",
            n_applied_kg_per_ha="500",
        ),
        # 5 m2 of the worked example (1/1,000,000 of 500 ha): baseline 3.575 kg -> 3,
        # project 2.283 kg -> 3, net 0
        with_(EXAMPLE_RAW, area_ha="0.0005"),
    ],
)
