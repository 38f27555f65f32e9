"""TH-ES-004 (ground-source heat pumps): the worked example of docs/methodologies/TH-ES-004.md
and cases worked by hand from its cited factors."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod

from . import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))
JANUARY_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31))

# docs/methodologies/TH-ES-004.md, section "Worked example": its JSON input, its step table and
# its "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-ES-004",
    raw={
        "baseline_heating": "natural_gas_boiler",
        "replaced_boiler_efficiency": "0.90",
        "heat_delivered_gj": "4500",
        "heating_electricity_kwh": "360000",
        "heat_pump_rated_input_power_kw": "450",
        "refrigerant": "R410A",
        "refrigerant_charge_kg": "200",
    },
    period=YEAR_2025,
    baseline_kg=277695,
    project_kg=114009,
    leakage_kg=0,
    net_kg=163686,
    steps={
        "seasonal COP, informative = heat / electricity": "3.472222",
        "baseline boiler efficiency": "0.900000",
        "baseline fuel energy = heat / efficiency": "5000.000000 GJ",
        "baseline emissions = fuel energy x fuel CO2 factor": "277695.000000 kg CO2",
        "project electricity emissions = electricity x grid factor": "56304.000000 kg CO2",
        "period in years = days / 365": "1.000000 yr",
        "refrigerant leaked = charge x annual leak rate x years": "30.000000 kg",
        "refrigerant emissions = leaked x GWP of R410A": "57705.000000 kg CO2e",
        "project emissions = electricity + refrigerant": "114009.000000 kg CO2e",
        "net reduction (exact)": "163686.000000 kg CO2e",
    },
)

HAND_WORKED = [
    # TH-ES-004.md "Formula" / "Emission factors": electric heating baseline at efficiency 1.00,
    # grid 0.1564 kg/kWh, leak rate 0.15 / yr, GWP of R32 677. January 2025 (31 days):
    # 50 kW x 24 h x 31 d = 37,200 kWh >= 8,000 kWh; COP = 100 / (8,000 x 0.0036) = 100 / 28.8 =
    # 3.4722... <= 8.
    #   baseline electricity = 100 / 0.0036 = 27,777.777...  -> 27777.777778 kWh (six places)
    #   baseline = 27,777.777778 x 0.1564 = 4,344.4444444792 -> 4344.444444 -> floor 4,344 kg
    #   project electricity = 8,000 x 0.1564 = 1,251.2 kg
    #   years = 31 / 365 = 0.0849315068... -> 0.084932
    #   leaked = 10 x 0.15 x 0.084932 = 0.127398 kg; x 677 = 86.248446 kg CO2e
    #   project = 1,251.2 + 86.248446 = 1,337.448446 -> ceiling 1,338 kg (rounded UP)
    #   net = 4,344 - 1,338 - 0 = 3,006 kg
    HandWorked(
        code="TH-ES-004",
        case="electric heating baseline, part year, R32, project rounded up",
        raw={
            "baseline_heating": "electric_heating",
            "heat_delivered_gj": "100",
            "heating_electricity_kwh": "8000",
            "heat_pump_rated_input_power_kw": "50",
            "refrigerant": "R32",
            "refrigerant_charge_kg": "10",
        },
        period=JANUARY_2025,
        baseline_kg=4344,
        project_kg=1338,
        leakage_kg=0,
        net_kg=3006,
        steps={
            "seasonal COP, informative = heat / electricity": "3.472222",
            "baseline electricity = heat / 0.0036 GJ/kWh (efficiency 1.00)": "27777.777778 kWh",
            "baseline emissions = baseline electricity x grid factor": "4344.444444 kg CO2",
            "project electricity emissions = electricity x grid factor": "1251.200000 kg CO2",
            "period in years = days / 365": "0.084932 yr",
            "refrigerant leaked = charge x annual leak rate x years": "0.127398 kg",
            "refrigerant emissions = leaked x GWP of R32": "86.248446 kg CO2e",
            "project emissions = electricity + refrigerant": "1337.448446 kg CO2e",
        },
    ),
    # Coal boiler with NO documented efficiency: the default 1.00 applies; coal 94.6 kg CO2/GJ,
    # GWP of R134a 1,300. Year 2025 (365 days): 100 kW x 8,760 h = 876,000 kWh >= 80,000 kWh.
    #   baseline = 1,000 GJ / 1.00 x 94.6 = 94,600 kg
    #   project electricity = 80,000 x 0.1564 = 12,512 kg
    #   leaked = 50 x 0.15 x 1 = 7.5 kg; x 1,300 = 9,750 kg CO2e
    #   project = 12,512 + 9,750 = 22,262 kg
    #   net = 94,600 - 22,262 = 72,338 kg
    HandWorked(
        code="TH-ES-004",
        case="coal boiler, default efficiency, R134a",
        raw={
            "baseline_heating": "coal_boiler",
            "heat_delivered_gj": "1000",
            "heating_electricity_kwh": "80000",
            "heat_pump_rated_input_power_kw": "100",
            "refrigerant": "R134a",
            "refrigerant_charge_kg": "50",
        },
        period=YEAR_2025,
        baseline_kg=94600,
        project_kg=22262,
        leakage_kg=0,
        net_kg=72338,
        steps={
            "baseline boiler efficiency": "1.000000",
            "baseline fuel energy = heat / efficiency": "1000.000000 GJ",
            "baseline emissions = fuel energy x fuel CO2 factor": "94600.000000 kg CO2",
            "refrigerant leaked = charge x annual leak rate x years": "7.500000 kg",
            "refrigerant emissions = leaked x GWP of R134a": "9750.000000 kg CO2e",
            "project emissions = electricity + refrigerant": "22262.000000 kg CO2e",
        },
    ),
]

RAW = EXAMPLE.raw

CASES = Cases(
    example=EXAMPLE,
    hand_worked=HAND_WORKED,
    bad_input=[
        ("negative", with_(RAW, heat_delivered_gj="-1"), "heat_delivered_gj"),
        ("zero", with_(RAW, heating_electricity_kwh="0"), "heating_electricity_kwh"),
        ("zero charge", with_(RAW, refrigerant_charge_kg="0"), "refrigerant_charge_kg"),
        ("missing", with_(RAW, refrigerant=None), "refrigerant"),
        ("extra", with_(RAW, cooling_delivered_gj="300"), "cooling_delivered_gj"),
        ("not a number", with_(RAW, heat_pump_rated_input_power_kw="big"), "heat_pump_rated_input_power_kw"),
        ("NaN", with_(RAW, heat_delivered_gj="NaN"), "heat_delivered_gj"),
        ("unknown baseline", with_(RAW, baseline_heating="district_heat"), "baseline_heating"),
        ("unknown refrigerant", with_(RAW, refrigerant="R22"), "refrigerant"),
        ("efficiency above 1.10", with_(RAW, replaced_boiler_efficiency="1.2"), "replaced_boiler_efficiency"),
        (
            "inconsistent: seasonal COP above 8",
            with_(RAW, heat_delivered_gj="10369"),
            "heat_delivered_gj",
        ),
        (
            "inconsistent: boiler efficiency given for electric heating",
            with_(RAW, baseline_heating="electric_heating"),
            "replaced_boiler_efficiency",
        ),
        (
            "inconsistent: coal boiler above 1",
            with_(RAW, baseline_heating="coal_boiler", replaced_boiler_efficiency="1.05"),
            "replaced_boiler_efficiency",
        ),
    ],
    no_reduction=[
        # an inefficient heat pump on a 100 %-efficient gas baseline: 1,000 GJ x 55.539 = 55,539 kg
        # against 300,000 kWh x 0.1564 = 46,920 kg plus 57,705 kg of refrigerant
        with_(
            RAW,
            replaced_boiler_efficiency=None,
            heat_delivered_gj="1000",
            heating_electricity_kwh="300000",
        ),
        # electric heating baseline with a COP of 1.2: 1,000 GJ = 277,777.78 kWh x 0.1564 = 43,444 kg
        # against 231,481 kWh x 0.1564 = 36,204 kg plus 57,705 kg of refrigerant
        with_(
            RAW,
            baseline_heating="electric_heating",
            replaced_boiler_efficiency=None,
            heat_delivered_gj="1000",
            heating_electricity_kwh="231481",
        ),
    ],
)
