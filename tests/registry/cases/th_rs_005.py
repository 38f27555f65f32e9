"""TH-RS-005 (paperless office): the worked example of docs/methodologies/TH-RS-005.md and cases
worked by hand from the factors it cites."""

from __future__ import annotations

from datetime import date

from registry.methodologies import MonitoringPeriod
from tests.registry.cases import Cases, HandWorked, WorkedExample, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))

# docs/methodologies/TH-RS-005.md, section "Worked example": its JSON input, its step table and its
# "Result" line, copied as the document states them.
EXAMPLE = WorkedExample(
    code="TH-RS-005",
    raw={
        "electronic_documents": 120000,
        "pages_per_document": "8",
        "printed_copies_per_document": "2",
        "baseline_paper_sheets_per_year": 2400000,
        "project_paper_sheets": 900000,
        "devices_rated_power_kw": "1.5",
        "metered_electricity_kwh": "6000",
    },
    period=YEAR_2025,
    baseline_kg=3853,
    project_kg=939,
    leakage_kg=0,
    net_kg=2914,
    steps={
        "pages not printed = documents x pages x copies": "1920000.000000 pages",
        "sheets from the system log = pages x sheets per page": "960000.000000 sheets",
        "paper expected without the project = annual purchases x days / 365": "2400000.000000 sheets",
        "drop in paper purchases = expected - bought in the period": "1500000.000000 sheets",
        "sheets avoided = lower of the log and the drop in purchases (not below 0)": "960000.000000 sheets",
        "mass per sheet = A4 area x grammage": "4.365900 g",
        "paper avoided = sheets x mass per sheet": "4191.264000 kg",
        "baseline emissions = paper t x paper emission factor": "3853.448122 kg CO2e",
        "electricity of the system, metered": "6000.000000 kWh",
        "project emissions = electricity x grid factor": "938.400000 kg CO2",
        "net reduction (exact)": "2915.048122 kg CO2e",
    },
)

RAW = EXAMPLE.raw

HAND_WORKED = [
    # TH-RS-005.md "Formula" / "Emission factors": 0.5 sheet per page, A4 0.06237 m2, 70 g/m2,
    # paper 919.4 kg CO2e/t, grid 0.1564 kg/kWh. Here the DROP IN PURCHASES is the lower bound
    # and the electricity is NOT metered (default: nameplate x 24 h x days).
    # 2025-07-01..2025-12-31 (184 days).
    #   pages = 50,000 x 10 x 3 = 1,500,000; log sheets = 1,500,000 x 0.5 = 750,000
    #   expected = 1,000,000 x 184 / 365 = 504,109.5890410... -> 504109.589041
    #   drop = 504,109.589041 - 200,000 = 304,109.589041 (< 750,000, so it is the sheets avoided)
    #   mass per sheet = 0.06237 x 70 = 4.3659 g
    #   paper = 304,109.589041 x 4.3659 / 1000 = 1,327.7120547941... -> 1327.712055 kg
    #   baseline = 1,327.712055 / 1000 x 919.4 = 1,220.698463367 -> 1220.698463 -> floor 1,220 kg
    #   electricity = 0.2 kW x 24 x 184 = 883.2 kWh; project = 883.2 x 0.1564 = 138.13248
    #     -> ceiling 139 kg
    #   net = 1,220 - 139 - 0 = 1,081 kg
    HandWorked(
        code="TH-RS-005",
        case="capped by the drop in paper purchases, default electricity rounded up",
        raw={
            "electronic_documents": 50000,
            "pages_per_document": "10",
            "printed_copies_per_document": "3",
            "baseline_paper_sheets_per_year": 1000000,
            "project_paper_sheets": 200000,
            "devices_rated_power_kw": "0.2",
        },
        period=MonitoringPeriod(date(2025, 7, 1), date(2025, 12, 31)),
        baseline_kg=1220,
        project_kg=139,
        leakage_kg=0,
        net_kg=1081,
        steps={
            "sheets from the system log = pages x sheets per page": "750000.000000 sheets",
            "paper expected without the project = annual purchases x days / 365": "504109.589041 sheets",
            "drop in paper purchases = expected - bought in the period": "304109.589041 sheets",
            "sheets avoided = lower of the log and the drop in purchases (not below 0)": (
                "304109.589041 sheets"
            ),
            "paper avoided = sheets x mass per sheet": "1327.712055 kg",
            "baseline emissions = paper t x paper emission factor": "1220.698463 kg CO2e",
            "electricity of the system, default = rated kW x 24 h x days": "883.200000 kWh",
            "project emissions = electricity x grid factor": "138.132480 kg CO2",
        },
    ),
]

BAD_INPUT = [
    ("negative", with_(RAW, pages_per_document="-8"), "pages_per_document"),
    ("zero", with_(RAW, electronic_documents=0), "electronic_documents"),
    ("missing", with_(RAW, baseline_paper_sheets_per_year=None), "baseline_paper_sheets_per_year"),
    ("extra", with_(RAW, toner_cartridges="4"), "toner_cartridges"),
    ("not a number", with_(RAW, devices_rated_power_kw="one and a half"), "devices_rated_power_kw"),
    ("fraction of a document", with_(RAW, electronic_documents="1.5"), "electronic_documents"),
    ("fewer than one copy", with_(RAW, printed_copies_per_document="0.5"), "printed_copies_per_document"),
    ("negative metered electricity", with_(RAW, metered_electricity_kwh="-1"), "metered_electricity_kwh"),
    ("negative purchases", with_(RAW, project_paper_sheets=-500), "project_paper_sheets"),
]

NO_REDUCTION = [
    # paper purchases did not fall: 2,400,000 expected - 2,500,000 bought < 0, so no sheets avoided
    with_(RAW, project_paper_sheets=2500000),
    # a small office running a 3 kW server around the clock, not metered: 26,280 kWh x 0.1564 =
    # 4,110.192 kg against 3,853.448 kg of paper
    with_(RAW, devices_rated_power_kw="3", metered_electricity_kwh=None),
]

CASES = Cases(example=EXAMPLE, hand_worked=HAND_WORKED, bad_input=BAD_INPUT, no_reduction=NO_REDUCTION)
