"""TH-RS-005 v1: paperless office, electronic documents and e-signatures replacing printed paper
(R12, resource saving).

Baseline: the life-cycle emissions of the office paper no longer printed, ``sheets avoided × mass
per sheet × paper emission factor``, where the sheets avoided are the lower of the e-document
system's log (documents × pages × copies × sheets per page) and the organisation's actual drop in
paper purchases. Project: the electricity of the devices running the system (metered, or their
nameplate power around the clock) × grid factor. Leakage: none.
See docs/methodologies/TH-RS-005.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar

from pydantic import Field

from .base import (
    CONTEXT,
    Methodology,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    Quantification,
    Steps,
)

G_PER_KG = Decimal(1000)
KG_PER_T = Decimal(1000)
HOURS_PER_DAY = Decimal(24)
DAYS_PER_YEAR = Decimal(365)


class PaperlessOfficeInput(MonitoringInput):
    electronic_documents: int = Field(
        gt=0,
        le=10**9,
        description="Documents completed electronically in the period (approved, signed or filed in the "
        "e-document / e-signature system), count from the system log.",
    )
    pages_per_document: Decimal = Field(
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="Mean A4 pages per document in the period (system log: total pages / documents).",
    )
    printed_copies_per_document: Decimal = Field(
        ge=1,
        le=10,
        allow_inf_nan=False,
        description="Paper copies of each document the organisation's procedure required before the "
        "project (e.g. 2 for a contract signed in two originals), evidenced by the old procedure.",
    )
    baseline_paper_sheets_per_year: int = Field(
        gt=0,
        le=10**10,
        description="A4 sheets (or A4 equivalent) of office paper bought in the last full 12 months "
        "before the project, from procurement records (one ream = 500 sheets).",
    )
    project_paper_sheets: int = Field(
        ge=0,
        le=10**10,
        description="A4 sheets (or A4 equivalent) of office paper bought in the monitoring period, from "
        "procurement records.",
    )
    devices_rated_power_kw: Decimal = Field(
        gt=0,
        le=Decimal("1e4"),
        allow_inf_nan=False,
        description="Nameplate power of the servers, storage and signing terminals that run the "
        "e-document system, kW (the whole of a shared server is counted).",
    )
    metered_electricity_kwh: Decimal | None = Field(
        default=None,
        ge=0,
        le=Decimal("1e9"),
        allow_inf_nan=False,
        description="Electricity of those devices in the period from a sub-meter or PDU log, kWh; "
        "omitted or null when not metered (then nameplate power x 24 h x days is used).",
    )


class PaperlessOffice(Methodology):
    code: ClassVar[str] = "TH-RS-005"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Paperless office: electronic documents and e-signatures replacing printed paper"
    title_zh: ClassVar[str] = "无纸化办公"
    category: ClassVar[str] = "resource-saving"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R12")
    Input: ClassVar[type[MonitoringInput]] = PaperlessOfficeInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: PaperlessOfficeInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            max_kwh = d.devices_rated_power_kw * HOURS_PER_DAY * period.days
            if d.metered_electricity_kwh is not None and d.metered_electricity_kwh > max_kwh:
                raise MethodologyInputError.single(
                    "metered_electricity_kwh",
                    f"{d.metered_electricity_kwh} kWh is more than devices of {d.devices_rated_power_kw} kW "
                    f"can draw in {period.days} days ({max_kwh} kWh)",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")

            # Baseline: the paper not printed.
            pages = s.add(
                "pages not printed = documents x pages x copies",
                d.electronic_documents * d.pages_per_document * d.printed_copies_per_document,
                "pages",
            )
            logged = s.add(
                "sheets from the system log = pages x sheets per page",
                pages * f["sheets_per_printed_page"],
                "sheets",
            )
            expected = s.add(
                "paper expected without the project = annual purchases x days / 365",
                d.baseline_paper_sheets_per_year * Decimal(period.days) / DAYS_PER_YEAR,
                "sheets",
            )
            drop = s.add(
                "drop in paper purchases = expected - bought in the period",
                expected - d.project_paper_sheets,
                "sheets",
            )
            sheets = s.add(
                "sheets avoided = lower of the log and the drop in purchases (not below 0)",
                max(Decimal(0), min(logged, drop)),
                "sheets",
            )
            grams = s.add(
                "mass per sheet = A4 area x grammage",
                f["a4_sheet_area_m2"] * f["paper_grammage_g_per_m2"],
                "g",
            )
            paper_kg = s.add("paper avoided = sheets x mass per sheet", sheets * grams / G_PER_KG, "kg")
            baseline = s.add(
                "baseline emissions = paper t x paper emission factor",
                paper_kg / KG_PER_T * f["paper_kg_co2e_per_t"],
                "kg CO2e",
            )

            # Project: the electricity of the system.
            if d.metered_electricity_kwh is not None:
                kwh = s.add("electricity of the system, metered", d.metered_electricity_kwh, "kWh")
            else:
                kwh = s.add("electricity of the system, default = rated kW x 24 h x days", max_kwh, "kWh")
            project = s.add(
                "project emissions = electricity x grid factor",
                kwh * f["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2e")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
