"""TH-ES-003 (airport GPU/PCA replacing the APU): the worked example of
docs/methodologies/TH-ES-003.md and cases worked by hand from its cited factors."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod

from . import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))
JANUARY_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31))

# docs/methodologies/TH-ES-003.md, section "Worked example": its JSON input, its step table and
# its "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-ES-003",
    raw={
        "narrow_body_apu_off_hours": "24000",
        "narrow_body_turnarounds": 30000,
        "wide_body_apu_off_hours": "3000",
        "wide_body_turnarounds": 2000,
        "gpu_connected_hours": "29500",
        "electricity_kwh": "2300000",
        "equipped_stands": 20,
        "equipment_rated_power_kw": "4800",
    },
    period=YEAR_2025,
    baseline_kg=6282190,
    project_kg=359720,
    leakage_kg=0,
    net_kg=5922470,
    steps={
        "narrow-body: credited hours = min(APU-off hours, turnarounds x cap)": "24000.000000 h",
        "narrow-body: APU fuel avoided = hours x fuel flow": "1680000.000000 kg",
        "wide-body: credited hours = min(APU-off hours, turnarounds x cap)": "3000.000000 h",
        "wide-body: APU fuel avoided = hours x fuel flow": "360000.000000 kg",
        "APU jet kerosene avoided": "2040.000000 t",
        "baseline jet kerosene energy = fuel x NCV": "87862.800000 GJ",
        "baseline emissions = energy x jet kerosene CO2 factor": "6282190.200000 kg CO2",
        "project emissions = electricity x grid factor": "359720.000000 kg CO2",
        "net reduction (exact)": "5922470.200000 kg CO2e",
    },
)

HAND_WORKED = [
    # TH-ES-003.md "Formula" / "Emission factors": narrow-body APU 70 kg/h, jet kerosene NCV
    # 43.07 GJ/t and 71.5 kg CO2/GJ, grid 0.1564 kg/kWh, at most 2 h credited per turnaround.
    # January 2025 (31 days), 4 stands: 1,200 h <= 4 x 24 x 31 = 2,976 h; 960 kW x 24 x 31 =
    # 714,240 kWh >= 100,001 kWh; 1,100.5 + 0 h <= 1,200 h of GPU connection.
    #   narrow-body: min(1,100.5, 500 x 2 = 1,000) = 1,000 h   <- the CAP binds
    #                fuel = 1,000 h x 70 kg/h = 70,000 kg
    #   wide-body:   min(0, 0 x 2) = 0 h; fuel 0 kg
    #   fuel = 70,000 kg / 1000 = 70 t; energy = 70 x 43.07 = 3,014.9 GJ
    #   baseline = 3,014.9 x 71.5 = 215,565.35 -> floor 215,565 kg
    #   project  = 100,001 x 0.1564 = 15,640.1564 -> ceiling 15,641 kg (rounded UP)
    #   net      = 215,565 - 15,641 - 0 = 199,924 kg
    HandWorked(
        code="TH-ES-003",
        case="cap per turnaround binds, narrow-body only, project rounded up",
        raw={
            "narrow_body_apu_off_hours": "1100.5",
            "narrow_body_turnarounds": 500,
            "wide_body_apu_off_hours": "0",
            "wide_body_turnarounds": 0,
            "gpu_connected_hours": "1200",
            "electricity_kwh": "100001",
            "equipped_stands": 4,
            "equipment_rated_power_kw": "960",
        },
        period=JANUARY_2025,
        baseline_kg=215565,
        project_kg=15641,
        leakage_kg=0,
        net_kg=199924,
        steps={
            "narrow-body: credited hours = min(APU-off hours, turnarounds x cap)": "1000.000000 h",
            "narrow-body: APU fuel avoided = hours x fuel flow": "70000.000000 kg",
            "wide-body: credited hours = min(APU-off hours, turnarounds x cap)": "0.000000 h",
            "APU jet kerosene avoided": "70.000000 t",
            "baseline jet kerosene energy = fuel x NCV": "3014.900000 GJ",
            "baseline emissions = energy x jet kerosene CO2 factor": "215565.350000 kg CO2",
            "project emissions = electricity x grid factor": "15640.156400 kg CO2",
        },
    ),
    # Wide-body only, whole year 2025: wide-body APU 120 kg/h.
    #   wide-body: min(500, 300 x 2 = 600) = 500 h (cap not reached); fuel = 500 x 120 = 60,000 kg
    #   fuel = 60 t; energy = 60 x 43.07 = 2,584.2 GJ; baseline = 2,584.2 x 71.5 = 184,770.3
    #     -> floor 184,770 kg
    #   project = 40,000 x 0.1564 = 6,256 kg
    #   net = 184,770 - 6,256 = 178,514 kg
    HandWorked(
        code="TH-ES-003",
        case="wide-body only, cap not reached, baseline rounded down",
        raw={
            "narrow_body_apu_off_hours": "0",
            "narrow_body_turnarounds": 0,
            "wide_body_apu_off_hours": "500",
            "wide_body_turnarounds": 300,
            "gpu_connected_hours": "520",
            "electricity_kwh": "40000",
            "equipped_stands": 2,
            "equipment_rated_power_kw": "500",
        },
        period=YEAR_2025,
        baseline_kg=184770,
        project_kg=6256,
        leakage_kg=0,
        net_kg=178514,
        steps={
            "wide-body: credited hours = min(APU-off hours, turnarounds x cap)": "500.000000 h",
            "wide-body: APU fuel avoided = hours x fuel flow": "60000.000000 kg",
            "baseline jet kerosene energy = fuel x NCV": "2584.200000 GJ",
            "baseline emissions = energy x jet kerosene CO2 factor": "184770.300000 kg CO2",
            "project emissions = electricity x grid factor": "6256.000000 kg CO2",
        },
    ),
]

RAW = EXAMPLE.raw

CASES = Cases(
    example=EXAMPLE,
    hand_worked=HAND_WORKED,
    bad_input=[
        ("negative", with_(RAW, narrow_body_apu_off_hours="-1"), "narrow_body_apu_off_hours"),
        ("negative count", with_(RAW, wide_body_turnarounds=-3), "wide_body_turnarounds"),
        ("zero", with_(RAW, electricity_kwh="0"), "electricity_kwh"),
        ("zero stands", with_(RAW, equipped_stands=0), "equipped_stands"),
        ("missing", with_(RAW, gpu_connected_hours=None), "gpu_connected_hours"),
        ("extra", with_(RAW, apu_fuel_kg="5000"), "apu_fuel_kg"),
        ("not a number", with_(RAW, equipment_rated_power_kw="lots"), "equipment_rated_power_kw"),
        ("infinite", with_(RAW, wide_body_apu_off_hours="Infinity"), "wide_body_apu_off_hours"),
        (
            "inconsistent: APU-off hours above GPU connection hours",
            with_(RAW, gpu_connected_hours="26999"),
            "gpu_connected_hours",
        ),
        (
            "inconsistent: narrow-body hours without turnarounds",
            with_(RAW, narrow_body_turnarounds=0),
            "narrow_body_turnarounds",
        ),
        (
            "inconsistent: wide-body hours without turnarounds",
            with_(RAW, wide_body_turnarounds=0),
            "wide_body_turnarounds",
        ),
    ],
    no_reduction=[
        # no credited aircraft at all (only regional jets served): baseline 0
        with_(
            RAW,
            narrow_body_apu_off_hours="0",
            narrow_body_turnarounds=0,
            wide_body_apu_off_hours="0",
            wide_body_turnarounds=0,
        ),
        # 100 narrow-body hours: 7 t x 43.07 x 71.5 = 21,556.535 kg, against 200,000 kWh x 0.1564 = 31,280 kg
        with_(
            RAW,
            narrow_body_apu_off_hours="100",
            narrow_body_turnarounds=100,
            wide_body_apu_off_hours="0",
            wide_body_turnarounds=0,
            electricity_kwh="200000",
        ),
    ],
)
