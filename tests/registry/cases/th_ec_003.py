"""TH-EC-003 v1, improved forest management (森林经营碳汇): docs/methodologies/TH-EC-003.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

EXAMPLE_RAW: dict[str, Any] = {
    "strata": [
        {
            "stratum_id": "S1",
            "species_group": "conifer",
            "area_ha": "300",
            "volume_start_m3_per_ha": "85.0",
            "volume_end_m3_per_ha": "112.0",
            "harvested_m3": "1500",
            "baseline_source": "pre_project_inventory",
            "baseline_increment_m3_per_ha_yr": "3.2",
        },
        {
            "stratum_id": "S2",
            "species_group": "broadleaf",
            "area_ha": "150",
            "volume_start_m3_per_ha": "62.0",
            "volume_end_m3_per_ha": "101.5",
            "harvested_m3": "0",
            "baseline_source": "default",
        },
    ],
    "sampling_error_pct": "7.5",
    "baseline_harvest_m3_per_yr": "250",
    "diesel_kg": "1800",
    "gasoline_kg": "650",
}


S1 = "stratum S1 (conifer, 300 ha): "
S2 = "stratum S2 (broadleaf, 150 ha): "
SA = "stratum A (conifer, 10 ha): "
BUFFER = "non-permanence buffer = (project stock change - uncertainty - baseline stock change) x 0.10"
CONIFER_PER_M3 = "conifer: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12"
BROADLEAF_PER_M3 = "broadleaf: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12"


def _stratum(index: int, **changes: Any) -> dict[str, Any]:
    """The example with fields of one stratum replaced (``None`` deletes the field)."""
    out = with_(EXAMPLE_RAW)
    for key, value in changes.items():
        if value is None:
            out["strata"][index].pop(key, None)
        else:
            out["strata"][index][key] = value
    return out


CASES = Cases(
    # docs/methodologies/TH-EC-003.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    example=WorkedExample(
        code="TH-EC-003",
        raw=EXAMPLE_RAW,
        period=MonitoringPeriod(date(2021, 1, 1), date(2025, 12, 31)),
        baseline_kg=-9737859,
        project_kg=-13166351,
        leakage_kg=0,
        net_kg=3428492,
        steps={
            "years in the period = days / 365": "5.002740 yr",
            CONIFER_PER_M3: "1034.000000 kg CO2 / m3",
            BROADLEAF_PER_M3: "1059.850000 kg CO2 / m3",
            S1 + "standing volume change = area x (end - start)": "8100.000000 m3",
            S1 + "project growth = (standing change + harvested) x CO2 per m3": ("9926400.000000 kg CO2"),
            S1 + "harvest removals = harvested x CO2 per m3": "1551000.000000 kg CO2",
            S1 + "project stock change = growth - harvest removals": ("8375400.000000 kg CO2"),
            S1 + "baseline stock change = area x 3.2 m3/ha/yr (pre-project inventory)"
            " x years x CO2 per m3": "4965919.833600 kg CO2",
            S2 + "standing volume change = area x (end - start)": "5925.000000 m3",
            S2 + "project stock change = growth - harvest removals": ("6279611.250000 kg CO2"),
            S2 + "baseline stock change = area x 6 m3/ha/yr (default)"
            " x years x CO2 per m3": "4771938.590100 kg CO2",
            "project stock change, all strata": "14655011.250000 kg CO2",
            "baseline stock change, all strata": "9737858.423700 kg CO2",
            "uncertainty deduction = project stock change x 7.5 %": "1099125.843750 kg CO2",
            BUFFER: ("381802.698255 kg CO2"),
            "project removals credited = stock change - uncertainty - buffer": "13174082.707995 kg CO2",
            "diesel emissions = diesel t x NCV x CO2 factor": "5735.340000 kg CO2",
            "gasoline emissions = gasoline t x NCV x CO2 factor": "1995.493500 kg CO2",
            "management emissions = diesel + gasoline": "7730.833500 kg CO2",
            "baseline = - baseline stock change": "-9737858.423700 kg CO2",
            "project = management emissions - removals credited": "-13166351.874495 kg CO2",
            "net reduction (exact)": "3428493.450795 kg CO2e",
        },
    ),
    hand_worked=[
        # TH-EC-003.md "Formula" / "Emission factors": BCEF 0.50, R conifer 0.20, CF 0.47, CO2/C
        # 44/12, buffer 10 % of the net gain, diesel 43.0 GJ/t x 74.1 kg CO2/GJ. One conifer
        # stratum, 2024-01-01..2025-12-31 (731 days), baseline from its own pre-project inventory,
        # no sampling error, no pre-project harvest, 100 kg diesel, no gasoline.
        #   years = 731 / 365 = 2.0027397... -> 2.002740
        #   CO2 per m3 = 0.50 x 1.20 x 0.47 x 44/12 x 1000 = 0.282 x 3,666.67 = 1,034 kg/m3
        #   standing change = 10 ha x (70 - 50) = 200 m3; growth = (200 + 20) x 1,034 = 227,480
        #   harvest removals = 20 x 1,034 = 20,680; project stock change = 206,800 kg CO2
        #   baseline = 10 x 2.0 x 2.002740 x 1,034 = 41,416.6632 kg CO2
        #   uncertainty 0 %; buffer = (206,800 - 0 - 41,416.6632) x 0.10 = 16,538.33368
        #   credited = 206,800 - 16,538.33368 = 190,261.66632
        #   diesel = 0.1 t x 43.0 x 74.1 = 318.63 kg CO2
        #   baseline = -41,416.6632 -> floor -41,417 (rounded DOWN, towards a larger baseline sink)
        #   project  = 318.63 - 190,261.66632 = -189,943.03632 -> ceiling -189,943
        #   net = -41,417 - (-189,943) = 148,526 kg
        HandWorked(
            code="TH-EC-003",
            case="one stratum, thinning harvest, negative baseline rounded down",
            raw={
                "strata": [
                    {
                        "stratum_id": "A",
                        "species_group": "conifer",
                        "area_ha": "10",
                        "volume_start_m3_per_ha": "50",
                        "volume_end_m3_per_ha": "70",
                        "harvested_m3": "20",
                        "baseline_source": "pre_project_inventory",
                        "baseline_increment_m3_per_ha_yr": "2.0",
                    }
                ],
                "sampling_error_pct": "0",
                "baseline_harvest_m3_per_yr": "0",
                "diesel_kg": "100",
                "gasoline_kg": "0",
            },
            period=MonitoringPeriod(date(2024, 1, 1), date(2025, 12, 31)),
            baseline_kg=-41417,
            project_kg=-189943,
            leakage_kg=0,
            net_kg=148526,
            steps={
                "years in the period = days / 365": "2.002740 yr",
                CONIFER_PER_M3: "1034.000000 kg CO2 / m3",
                SA + "project growth = (standing change + harvested) x CO2 per m3": ("227480.000000 kg CO2"),
                SA + "harvest removals = harvested x CO2 per m3": "20680.000000 kg CO2",
                SA + "project stock change = growth - harvest removals": ("206800.000000 kg CO2"),
                SA + "baseline stock change = area x 2.0 m3/ha/yr (pre-project inventory)"
                " x years x CO2 per m3": "41416.663200 kg CO2",
                BUFFER: ("16538.333680 kg CO2"),
                "project removals credited = stock change - uncertainty - buffer": "190261.666320 kg CO2",
                "diesel emissions = diesel t x NCV x CO2 factor": "318.630000 kg CO2",
                "project = management emissions - removals credited": "-189943.036320 kg CO2",
            },
        ),
    ],
    bad_input=[
        ("negative", _stratum(0, area_ha="-3"), "strata.0.area_ha"),
        ("zero", _stratum(1, area_ha="0"), "strata.1.area_ha"),
        ("negative fuel", with_(EXAMPLE_RAW, diesel_kg="-1"), "diesel_kg"),
        ("missing", with_(EXAMPLE_RAW, diesel_kg=None), "diesel_kg"),
        ("missing in a stratum", _stratum(0, harvested_m3=None), "strata.0.harvested_m3"),
        ("extra", with_(EXAMPLE_RAW, thinning_intensity="0.2"), "thinning_intensity"),
        ("extra in a stratum", _stratum(1, age_years="25"), "strata.1.age_years"),
        ("not a number", with_(EXAMPLE_RAW, sampling_error_pct="seven"), "sampling_error_pct"),
        ("unknown species group", _stratum(1, species_group="bamboo"), "strata.1.species_group"),
        ("unknown baseline source", _stratum(1, baseline_source="model"), "strata.1.baseline_source"),
        (
            "baseline rate above the bound",
            _stratum(0, baseline_increment_m3_per_ha_yr="61"),
            ("strata.0.baseline_increment_m3_per_ha_yr"),
        ),
        ("no strata", with_(EXAMPLE_RAW, strata=[]), "strata"),
        ("inconsistent: duplicate stratum", _stratum(1, stratum_id="S1"), "strata.1.stratum_id"),
        (
            "inconsistent: inventory baseline without its rate",
            _stratum(0, baseline_increment_m3_per_ha_yr=None),
            "strata.0.baseline_increment_m3_per_ha_yr",
        ),
        (
            "inconsistent: default baseline with a rate",
            _stratum(1, baseline_increment_m3_per_ha_yr="4"),
            "strata.1.baseline_increment_m3_per_ha_yr",
        ),
    ],
    no_reduction=[
        # the baseline grows as fast as the project: 20 m3/ha/yr on both strata
        with_(
            _stratum(0, baseline_increment_m3_per_ha_yr="20"),
            strata=[
                _stratum(0, baseline_increment_m3_per_ha_yr="20")["strata"][0],
                {
                    **EXAMPLE_RAW["strata"][1],
                    "baseline_source": "pre_project_inventory",
                    "baseline_increment_m3_per_ha_yr": "20",
                },
            ],
        ),
        # the whole stock change lost to sampling uncertainty
        with_(EXAMPLE_RAW, sampling_error_pct="100"),
    ],
)
