"""TH-ES-005 (biomass fuel substitution): the worked example of docs/methodologies/TH-ES-005.md and
cases worked by hand from the factors it cites."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

# docs/methodologies/TH-ES-005.md, section "Worked example": its JSON input, its step table and its
# "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-ES-005",
    raw={
        "baseline_fuel": "coal",
        "heat_delivered_gj": "30000",
        "boiler_rated_capacity_mw": "2.8",
        "baseline_efficiency_measured": "0.72",
        "baseline_efficiency_rated": "0.78",
        "biomass_t": "2600",
        "biomass_ncv_gj_per_t": "14.5",
        "biomass_origin": "residue",
        "residue_surplus_demonstrated": True,
        "cofired_coal_t": "40",
        "cofired_natural_gas_m3": "0",
        "auxiliary_electricity_kwh": "180000",
        "biomass_transport_tkm": "130000",
    },
    period=YEAR_2025,
    baseline_kg=3638461,
    project_kg=251022,
    leakage_kg=0,
    net_kg=3387439,
    steps={
        "baseline efficiency (higher of measured and rated)": "0.780000",
        "baseline fossil fuel energy = heat / efficiency": "38461.538462 GJ",
        "baseline emissions = fossil fuel energy x CO2 factor": "3638461.538505 kg CO2",
        "biomass energy = tonnes x NCV": "37700.000000 GJ",
        "co-fired coal energy = tonnes x default NCV": "1032.000000 GJ",
        "project boiler efficiency, informative = heat / fuel energy": "0.774553",
        "co-fired fossil emissions = coal GJ x coal factor + gas GJ x gas factor": "97627.200000 kg CO2",
        "biomass CH4 and N2O per GJ = EF_CH4 x GWP_CH4 + EF_N2O x GWP_N2O": "1.900000 kg CO2e / GJ",
        "biomass CH4 and N2O = biomass energy x per GJ": "71630.000000 kg CO2e",
        "auxiliary electricity = kWh x grid factor": "28152.000000 kg CO2",
        "biomass haulage = t-km x road freight factor": "53612.000000 kg CO2e",
        "project emissions = co-fired + CH4 and N2O + electricity + haulage": "251021.200000 kg CO2e",
        "leakage (surplus residues)": "0.000000 kg CO2",
        "net reduction (exact)": "3387440.338505 kg CO2e",
    },
)

RAW = EXAMPLE.raw

HAND_WORKED = [
    # TH-ES-005.md "Formula" / "Emission factors": coal 94.6 kg CO2/GJ; biomass CH4 0.030 and N2O
    # 0.004 kg/GJ with GWPs 28 and 265; grid 0.1564 kg/kWh; road 0.4124 kg/t-km; leakage fuel
    # 101.0 kg CO2/GJ. Residues whose surplus is NOT demonstrated (leakage branch), the MEASURED
    # efficiency is the higher one (0.66 > 0.65), no co-firing. November 2025 (30 days):
    # 4 MW x 3.6 x 24 h x 30 d = 10,368 GJ >= 5,000 GJ.
    #   fossil energy = 5,000 / 0.66 = 7,575.7575757... -> 7575.757576 GJ
    #   baseline = 7,575.757576 x 94.6 = 716,666.6666896 -> 716666.666690 -> floor 716,666 kg
    #   biomass energy = 400 t x 14.5 GJ/t = 5,800 GJ; heat 5,000 <= 5,800 (efficiency 0.862069)
    #   CH4 and N2O per GJ = 0.030 x 28 + 0.004 x 265 = 0.84 + 1.06 = 1.9 kg CO2e/GJ
    #   CH4 and N2O = 5,800 x 1.9 = 11,020; electricity = 25,000 x 0.1564 = 3,910;
    #   haulage = 12,000 t-km x 0.4124 = 4,948.8
    #   project = 11,020 + 3,910 + 4,948.8 = 19,878.8 -> ceiling 19,879 kg
    #   leakage = 5,800 GJ x 101.0 = 585,800 kg
    #   net = 716,666 - 19,879 - 585,800 = 110,987 kg
    HandWorked(
        code="TH-ES-005",
        case="residues without a surplus: diversion leakage, measured efficiency higher",
        raw=with_(
            RAW,
            heat_delivered_gj="5000",
            boiler_rated_capacity_mw="4",
            baseline_efficiency_measured="0.66",
            baseline_efficiency_rated="0.65",
            biomass_t="400",
            residue_surplus_demonstrated=False,
            cofired_coal_t="0",
            auxiliary_electricity_kwh="25000",
            biomass_transport_tkm="12000",
        ),
        period=MonitoringPeriod(date(2025, 11, 1), date(2025, 11, 30)),
        baseline_kg=716666,
        project_kg=19879,
        leakage_kg=585800,
        net_kg=110987,
        steps={
            "baseline efficiency (higher of measured and rated)": "0.660000",
            "baseline fossil fuel energy = heat / efficiency": "7575.757576 GJ",
            "baseline emissions = fossil fuel energy x CO2 factor": "716666.666690 kg CO2",
            "biomass energy = tonnes x NCV": "5800.000000 GJ",
            "biomass CH4 and N2O = biomass energy x per GJ": "11020.000000 kg CO2e",
            "project emissions = co-fired + CH4 and N2O + electricity + haulage": "19878.800000 kg CO2e",
            "leakage = biomass energy x most carbon-intensive fuel factor": "585800.000000 kg CO2",
        },
    ),
    # Natural-gas baseline with gas still co-fired, surplus residues (no leakage), rated
    # efficiency higher. Factors: gas 56.1 kg CO2/GJ, gas NCV 0.038931 GJ/m3. December 2025
    # (31 days): 2 MW x 3.6 x 24 x 31 = 5,356.8 GJ >= 3,000 GJ.
    #   fossil energy = 3,000 / 0.92 = 3,260.8695652... -> 3260.869565 GJ
    #   baseline = 3,260.869565 x 56.1 = 182,934.7825965 -> 182934.782596 (half to even) -> floor 182,934 kg
    #   biomass = 250 t x 15 GJ/t = 3,750 GJ; gas = 10,000 m3 x 0.038931 = 389.31 GJ
    #   co-fired = 389.31 x 56.1 = 21,840.291; CH4 and N2O = 3,750 x 1.9 = 7,125
    #   electricity = 10,000 x 0.1564 = 1,564; haulage = 2,500 x 0.4124 = 1,031
    #   project = 21,840.291 + 7,125 + 1,564 + 1,031 = 31,560.291 -> ceiling 31,561 kg
    #   net = 182,934 - 31,561 - 0 = 151,373 kg
    HandWorked(
        code="TH-ES-005",
        case="natural-gas baseline with gas co-fired, project rounded up",
        raw=with_(
            RAW,
            baseline_fuel="natural_gas",
            heat_delivered_gj="3000",
            boiler_rated_capacity_mw="2",
            baseline_efficiency_measured="0.88",
            baseline_efficiency_rated="0.92",
            biomass_t="250",
            biomass_ncv_gj_per_t="15",
            cofired_coal_t="0",
            cofired_natural_gas_m3="10000",
            auxiliary_electricity_kwh="10000",
            biomass_transport_tkm="2500",
        ),
        period=MonitoringPeriod(date(2025, 12, 1), date(2025, 12, 31)),
        baseline_kg=182934,
        project_kg=31561,
        leakage_kg=0,
        net_kg=151373,
        steps={
            "baseline fossil fuel energy = heat / efficiency": "3260.869565 GJ",
            "baseline emissions = fossil fuel energy x CO2 factor": "182934.782596 kg CO2",
            "co-fired natural gas energy = m3 x default NCV": "389.310000 GJ",
            "co-fired fossil emissions = coal GJ x coal factor + gas GJ x gas factor": "21840.291000 kg CO2",
            "project emissions = co-fired + CH4 and N2O + electricity + haulage": "31560.291000 kg CO2e",
        },
    ),
]

BAD_INPUT = [
    ("negative", with_(RAW, heat_delivered_gj="-1"), "heat_delivered_gj"),
    ("zero", with_(RAW, biomass_t="0"), "biomass_t"),
    ("missing", with_(RAW, baseline_efficiency_rated=None), "baseline_efficiency_rated"),
    ("extra", with_(RAW, straw_bales="12"), "straw_bales"),
    ("not a number", with_(RAW, biomass_ncv_gj_per_t="about 15"), "biomass_ncv_gj_per_t"),
    ("NCV above the ceiling", with_(RAW, biomass_ncv_gj_per_t="21"), "biomass_ncv_gj_per_t"),
    ("efficiency above 1", with_(RAW, baseline_efficiency_measured="1.05"), "baseline_efficiency_measured"),
    ("unknown baseline fuel", with_(RAW, baseline_fuel="fuel_oil"), "baseline_fuel"),
    ("unknown biomass origin", with_(RAW, biomass_origin="plantation"), "biomass_origin"),
    ("negative co-fired coal", with_(RAW, cofired_coal_t="-2"), "cofired_coal_t"),
    (
        "inconsistent: gas co-fired on a coal baseline",
        with_(RAW, cofired_natural_gas_m3="500"),
        "cofired_natural_gas_m3",
    ),
    (
        "inconsistent: coal co-fired on a gas baseline",
        with_(RAW, baseline_fuel="natural_gas"),
        "cofired_coal_t",
    ),
    (
        "inconsistent: surplus claimed for non-residue biomass",
        with_(RAW, biomass_origin="other"),
        "residue_surplus_demonstrated",
    ),
]

NO_REDUCTION = [
    # plantation wood pellets on a gas baseline: the diversion leakage (101.0 kg/GJ of biomass)
    # exceeds the gas baseline (56.1 kg/GJ of gas)
    with_(
        RAW,
        baseline_fuel="natural_gas",
        baseline_efficiency_measured="0.92",
        baseline_efficiency_rated="0.90",
        biomass_origin="other",
        residue_surplus_demonstrated=False,
        biomass_t="2400",
        biomass_ncv_gj_per_t="16.8",
        cofired_coal_t="0",
    ),
    # residues hauled from far away in small vans: 10,000,000 t-km x 0.4124 = 4,124,000 kg
    with_(RAW, biomass_transport_tkm="10000000"),
]

CASES = Cases(example=EXAMPLE, hand_worked=HAND_WORKED, bad_input=BAD_INPUT, no_reduction=NO_REDUCTION)
