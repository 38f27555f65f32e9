"""TH-EC-005 v1, western-Sichuan linpan woodland (川西林盘): docs/methodologies/TH-EC-005.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

EXAMPLE_RAW: dict[str, Any] = {
    "plots": [
        {
            "plot_id": "PD-07",
            "area_ha": "1.2",
            "tree_species_group": "broadleaf",
            "tree_volume_start_m3": "96.0",
            "tree_volume_end_m3": "131.5",
            "bamboo_culms_start": 3600,
            "bamboo_culms_end": 4400,
            "bamboo_kg_per_culm_start": "4.2",
            "bamboo_kg_per_culm_end": "4.6",
        },
        {
            "plot_id": "PD-12",
            "area_ha": "0.8",
            "tree_species_group": "conifer",
            "tree_volume_start_m3": "58.0",
            "tree_volume_end_m3": "71.0",
            "bamboo_culms_start": 1500,
            "bamboo_culms_end": 1650,
            "bamboo_kg_per_culm_start": "4.0",
            "bamboo_kg_per_culm_end": "4.3",
        },
    ],
    "sampling_error_pct": "5.0",
}

P07 = "plot PD-07 (1.2 ha): "
P12 = "plot PD-12 (0.8 ha): "
BROADLEAF_PER_M3 = "trees, broadleaf: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12"
CONIFER_PER_M3 = "trees, conifer: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12"
BAMBOO_PER_T = "bamboo: CO2 per t of above-ground dry biomass = (1 + R_bamboo) x CF_bamboo x 44/12"


def _plot(index: int, **changes: Any) -> dict[str, Any]:
    """The example with fields of one plot replaced (``None`` deletes the field)."""
    out = with_(EXAMPLE_RAW)
    for key, value in changes.items():
        if value is None:
            out["plots"][index].pop(key, None)
        else:
            out["plots"][index][key] = value
    return out


CASES = Cases(
    # docs/methodologies/TH-EC-005.md, section "Worked example": its JSON input, its step table
    # and its "Result" line, copied as the document states them.
    example=WorkedExample(
        code="TH-EC-005",
        raw=EXAMPLE_RAW,
        period=MonitoringPeriod(date(2023, 1, 1), date(2025, 12, 31)),
        baseline_kg=0,
        project_kg=-52819,
        leakage_kg=0,
        net_kg=52819,
        steps={
            BROADLEAF_PER_M3: "1059.850000 kg CO2 / m3",
            CONIFER_PER_M3: "1034.000000 kg CO2 / m3",
            BAMBOO_PER_T: "1723.333333 kg CO2 / t d.m.",
            P07 + "tree volume change = end - start": "35.500000 m3",
            P07 + "trees CO2 = volume change x CO2 per m3 (broadleaf)": "37624.675000 kg CO2",
            P07 + "bamboo biomass at start = culms x kg per culm": "15.120000 t d.m.",
            P07 + "bamboo biomass at end = culms x kg per culm": "20.240000 t d.m.",
            P07 + "bamboo CO2 = (end - start) x CO2 per t": "8823.466665 kg CO2",
            P12 + "tree volume change = end - start": "13.000000 m3",
            P12 + "trees CO2 = volume change x CO2 per m3 (conifer)": "13442.000000 kg CO2",
            P12 + "bamboo biomass at start = culms x kg per culm": "6.000000 t d.m.",
            P12 + "bamboo biomass at end = culms x kg per culm": "7.095000 t d.m.",
            P12 + "bamboo CO2 = (end - start) x CO2 per t": "1887.050000 kg CO2",
            "gross removals by the project": "61777.191665 kg CO2",
            "uncertainty deduction = gross x 5.0 %": "3088.859583 kg CO2",
            "non-permanence buffer = (gross - uncertainty) x 0.10": "5868.833208 kg CO2",
            "removals credited = gross - uncertainty - buffer": "52819.498874 kg CO2",
            "net reduction (exact)": "52819.498874 kg CO2e",
        },
    ),
    hand_worked=[
        # TH-EC-005.md "Formula" / "Emission factors": BCEF 0.50, R broadleaf 0.23, R conifer
        # 0.20, CF 0.47, bamboo R 0 and CF 0.47, CO2/C 44/12, buffer 10 %. 2024-01-01..2025-12-31
        # (731 days), full census (sampling error 0). Plot A LOSES bamboo (1,000 culms of 5.0 kg
        # -> 800 culms of 5.0 kg), which counts against its tree growth; plot B has no bamboo.
        #   broadleaf CO2 per m3 = 0.50 x 1.23 x 0.47 x 44/12 x 1000 = 0.28905 x 3,666.67 = 1,059.85
        #   conifer CO2 per m3   = 0.50 x 1.20 x 0.47 x 44/12 x 1000 = 0.282 x 3,666.67 = 1,034
        #   bamboo CO2 per t     = 1 x 0.47 x 44/12 x 1000 = 1,723.3333... -> 1723.333333
        #   A trees: (50 - 40) m3 x 1,059.85 = 10,598.5
        #   A bamboo: 1,000 x 5.0 / 1000 = 5.0 t -> 800 x 5.0 / 1000 = 4.0 t; -1.0 x 1,723.333333
        #      = -1,723.333333
        #   B trees: (6 - 0) m3 x 1,034 = 6,204; B bamboo: 0 t -> 0 t = 0
        #   gross = 10,598.5 - 1,723.333333 + 6,204 + 0 = 15,079.166667
        #   uncertainty 0; buffer = 15,079.166667 x 0.10 = 1,507.9166667 -> 1507.916667
        #   credited = 15,079.166667 - 1,507.916667 = 13,571.25
        #   project = -13,571.25 -> ceiling -13,571 (towards fewer removals); net = 13,571 kg
        HandWorked(
            code="TH-EC-005",
            case="bamboo lost on one plot, a plot without bamboo, full census, removals rounded down",
            raw={
                "plots": [
                    {
                        "plot_id": "A",
                        "area_ha": "0.5",
                        "tree_species_group": "broadleaf",
                        "tree_volume_start_m3": "40",
                        "tree_volume_end_m3": "50",
                        "bamboo_culms_start": 1000,
                        "bamboo_culms_end": 800,
                        "bamboo_kg_per_culm_start": "5.0",
                        "bamboo_kg_per_culm_end": "5.0",
                    },
                    {
                        "plot_id": "B",
                        "area_ha": "0.3",
                        "tree_species_group": "conifer",
                        "tree_volume_start_m3": "0",
                        "tree_volume_end_m3": "6",
                        "bamboo_culms_start": 0,
                        "bamboo_culms_end": 0,
                        "bamboo_kg_per_culm_start": "0",
                        "bamboo_kg_per_culm_end": "0",
                    },
                ],
                "sampling_error_pct": "0",
            },
            period=MonitoringPeriod(date(2024, 1, 1), date(2025, 12, 31)),
            baseline_kg=0,
            project_kg=-13571,
            leakage_kg=0,
            net_kg=13571,
            steps={
                BAMBOO_PER_T: "1723.333333 kg CO2 / t d.m.",
                "plot A (0.5 ha): trees CO2 = volume change x CO2 per m3 (broadleaf)": "10598.500000 kg CO2",
                "plot A (0.5 ha): bamboo CO2 = (end - start) x CO2 per t": "-1723.333333 kg CO2",
                "plot B (0.3 ha): trees CO2 = volume change x CO2 per m3 (conifer)": "6204.000000 kg CO2",
                "plot B (0.3 ha): bamboo CO2 = (end - start) x CO2 per t": "0.000000 kg CO2",
                "gross removals by the project": "15079.166667 kg CO2",
                "uncertainty deduction = gross x 0 %": "0.000000 kg CO2",
                "non-permanence buffer = (gross - uncertainty) x 0.10": "1507.916667 kg CO2",
                "removals credited = gross - uncertainty - buffer": "13571.250000 kg CO2",
            },
        ),
    ],
    bad_input=[
        ("negative", _plot(0, area_ha="-1.2"), "plots.0.area_ha"),
        ("zero", _plot(1, area_ha="0"), "plots.1.area_ha"),
        ("negative culms", _plot(1, bamboo_culms_end=-5), "plots.1.bamboo_culms_end"),
        ("missing", with_(EXAMPLE_RAW, sampling_error_pct=None), "sampling_error_pct"),
        ("missing in a plot", _plot(0, bamboo_culms_end=None), "plots.0.bamboo_culms_end"),
        ("extra", with_(EXAMPLE_RAW, village="Pidu"), "village"),
        ("extra in a plot", _plot(0, house_count=6), "plots.0.house_count"),
        ("not a number", _plot(0, tree_volume_end_m3="lots"), "plots.0.tree_volume_end_m3"),
        ("culms not a whole number", _plot(0, bamboo_culms_start="3600.5"), "plots.0.bamboo_culms_start"),
        ("unknown species group", _plot(1, tree_species_group="bamboo"), "plots.1.tree_species_group"),
        ("no plots", with_(EXAMPLE_RAW, plots=[]), "plots"),
        ("inconsistent: duplicate plot", _plot(1, plot_id="PD-07"), "plots.1.plot_id"),
        (
            "inconsistent: more than 2000 m3/ha of trees",
            _plot(1, tree_volume_end_m3="1600.5"),
            "plots.1.tree_volume_end_m3",
        ),
        (
            "inconsistent: culms without a mass per culm",
            _plot(0, bamboo_kg_per_culm_end="0"),
            "plots.0.bamboo_kg_per_culm_end",
        ),
        (
            "inconsistent: a mass per culm without culms",
            _plot(1, bamboo_culms_start=0),
            "plots.1.bamboo_kg_per_culm_start",
        ),
    ],
    no_reduction=[
        # trees unchanged, bamboo thinned out on both plots
        with_(
            EXAMPLE_RAW,
            plots=[
                {**_plot(0)["plots"][0], "tree_volume_end_m3": "96.0", "bamboo_culms_end": 3000},
                {**_plot(1)["plots"][1], "tree_volume_end_m3": "58.0", "bamboo_kg_per_culm_end": "4.0"},
            ],
        ),
        # the whole stock change lost to sampling uncertainty
        with_(EXAMPLE_RAW, sampling_error_pct="100"),
    ],
)
