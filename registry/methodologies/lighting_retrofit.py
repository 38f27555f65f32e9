"""TH-RS-004 v1: efficient lighting retrofit, LED (R12, resource saving).

For each group of identical fixtures: the lamps still working at the inspection, times the power
per lamp before and after (with ballast or driver), times the credited operating hours. The
credited hours are the logged mean hours of the group's sample reduced to the lower bound of its
90 % confidence interval, and never more than a cap per day for the kind of space. Baseline: the
old lamps' electricity for those hours; project: the new lamps' electricity. Leakage: none (the
old lamps are destroyed). In the spirit of CDM AMS-II.J and AMS-II.L. See
docs/methodologies/TH-RS-004.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Annotated, ClassVar, Literal

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

W_PER_KW = Decimal(1000)
HOURS_PER_DAY = Decimal(24)

#: Kind of space -> factor key of its cap on credited operating hours per day.
HOURS_CAP: dict[str, str] = {
    "indoor": "max_hours_per_day_indoor",
    "outdoor": "max_hours_per_day_outdoor",
    "continuous": "max_hours_per_day_continuous",
}

Watts = Annotated[Decimal, Field(gt=0, le=Decimal(2000), allow_inf_nan=False)]


class FixtureGroup(MonitoringInput):
    group_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the group of identical fixtures in the retrofit inventory.",
    )
    fixture_type: str = Field(
        min_length=1,
        max_length=120,
        description="What was replaced by what, e.g. 'T8 36 W fluorescent -> LED tube 16 W'.",
    )
    space: Literal["indoor", "outdoor", "continuous"] = Field(
        description="indoor: rooms, offices, shops; outdoor: street, yard and facade lighting, "
        "switched dusk to dawn; continuous: spaces lit around the clock (underground car parks, "
        "stairwells, tunnels), shown by the logs."
    )
    lamps_replaced: int = Field(
        ge=1, le=10_000_000, description="Lamps installed by the project in this group."
    )
    lamps_working: int = Field(
        ge=0,
        le=10_000_000,
        description="Of those, lamps found installed and working at the end-of-period inspection "
        "(census or sample survey scaled to the group).",
    )
    baseline_w_per_lamp: Watts = Field(
        description="Power of one replaced lamp with its ballast or control gear, W (measured on a sample, "
        "or rated lamp power plus the ballast loss of the ballast's label)."
    )
    project_w_per_lamp: Watts = Field(
        description="Power of one new LED lamp or luminaire with its driver, W (measured on a sample, "
        "not below the rated input power)."
    )
    logged_hours: Decimal = Field(
        ge=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Mean operating hours per lamp in the period, h, from run-time loggers or circuit "
        "meters on a sample of the group's fixtures (or all of them).",
    )
    hours_precision_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the logged mean, % of the mean "
        "(0 when every fixture of the group is logged).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.lamps_working > self.lamps_replaced:
            problems.append(
                (
                    "lamps_working",
                    f"{self.lamps_working} lamps working is more than the {self.lamps_replaced} installed",
                )
            )
        return problems


class LightingRetrofitInput(MonitoringInput):
    groups: tuple[FixtureGroup, ...] = Field(min_length=1, max_length=10000, description="Fixture groups.")
    replaced_lamps_destroyed: bool = Field(
        description="The replaced lamps were collected and destroyed or sent to licensed recycling "
        "(evidence on file), so they are not used elsewhere."
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if not self.replaced_lamps_destroyed:
            problems.append(
                (
                    "replaced_lamps_destroyed",
                    "the replaced lamps must be destroyed or recycled; lamps passed on may run elsewhere",
                )
            )
        seen: set[str] = set()
        for i, g in enumerate(self.groups):
            if g.group_id in seen:
                problems.append((f"groups.{i}.group_id", f"group {g.group_id!r} appears twice"))
            seen.add(g.group_id)
        return problems


class LightingRetrofit(Methodology):
    code: ClassVar[str] = "TH-RS-004"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Efficient lighting retrofit (LED)"
    title_zh: ClassVar[str] = "LED 照明改造"
    category: ClassVar[str] = "resource-saving"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R12")
    Input: ClassVar[type[MonitoringInput]] = LightingRetrofitInput

    def _check(self, d: LightingRetrofitInput, period: MonitoringPeriod) -> None:
        hours_in_period = HOURS_PER_DAY * period.days
        max_precision = self.factors["max_hours_precision_pct"]
        problems: list[dict[str, str]] = []
        for i, g in enumerate(d.groups):
            if g.logged_hours > hours_in_period:
                problems.append(
                    {
                        "field": f"groups.{i}.logged_hours",
                        "message": f"{g.logged_hours} h is more than the {hours_in_period} h in the period",
                    }
                )
            if g.hours_precision_pct > max_precision:
                problems.append(
                    {
                        "field": f"groups.{i}.hours_precision_pct",
                        "message": f"a precision of ±{g.hours_precision_pct} % is worse than the "
                        f"±{max_precision} % required at 90 % confidence",
                    }
                )
        if problems:
            raise MethodologyInputError(problems)

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: LightingRetrofitInput = self._data(data)
        with localcontext(CONTEXT):
            self._check(d, period)
            grid = self.factors["grid_ef_kg_per_kwh"]
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            baseline_kwh = Decimal(0)
            project_kwh = Decimal(0)
            for g in d.groups:
                tag = f"group {g.group_id} ({g.space}, {g.lamps_working} of {g.lamps_replaced} lamps working)"
                lower = s.add(
                    f"{tag}: logged hours at the lower 90 % bound = mean x (1 - precision)",
                    g.logged_hours * (1 - g.hours_precision_pct / 100),
                    "h",
                )
                cap = s.add(
                    f"{tag}: hours cap = {self.factors[HOURS_CAP[g.space]]} h/day x {period.days} days",
                    self.factors[HOURS_CAP[g.space]] * period.days,
                    "h",
                )
                hours = s.add(f"{tag}: credited hours = min(lower bound, cap)", min(lower, cap), "h")
                baseline_kwh += s.add(
                    f"{tag}: baseline electricity = lamps working x old W x hours / 1000",
                    g.lamps_working * g.baseline_w_per_lamp * hours / W_PER_KW,
                    "kWh",
                )
                project_kwh += s.add(
                    f"{tag}: project electricity = lamps working x new W x hours / 1000",
                    g.lamps_working * g.project_w_per_lamp * hours / W_PER_KW,
                    "kWh",
                )
            baseline_kwh = s.add("baseline electricity, all groups", baseline_kwh, "kWh")
            project_kwh = s.add("project electricity, all groups", project_kwh, "kWh")
            baseline = s.add(
                "baseline emissions = baseline electricity x grid factor", baseline_kwh * grid, "kg CO2"
            )
            project = s.add(
                "project emissions = project electricity x grid factor", project_kwh * grid, "kg CO2"
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
