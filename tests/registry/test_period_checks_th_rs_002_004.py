"""Tests of TH-RS-002..004: the checks that need the monitoring period or the
factor file run when a report is quantified, so the shared parse-time bad-input test does not
reach them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry import methodologies
from registry.methodologies import MethodologyInputError, MonitoringPeriod
from tests.registry.cases import th_rs_002, th_rs_003, th_rs_004, with_

YEAR_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))
B = th_rs_002.RAW
M = th_rs_003.RAW
L = th_rs_004.RAW

CHECKS = [
    # the monthly model needs a reporting period of at least 28 days
    ("TH-RS-002", B, MonitoringPeriod(date(2025, 2, 1), date(2025, 2, 27)), "period"),
    # at most 60 HDD (30 CDD) a day: 1,801 HDD (901 CDD) in 30 days is one too many
    (
        "TH-RS-002",
        with_(B, reporting_hdd18="1801"),
        MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 30)),
        "reporting_hdd18",
    ),
    (
        "TH-RS-002",
        with_(B, reporting_cdd26="901"),
        MonitoringPeriod(date(2025, 7, 1), date(2025, 7, 30)),
        "reporting_cdd26",
    ),
    # ASHRAE Guideline 14 monthly criteria: CV(RMSE) <= 15 %, |NMBE| <= 5 %
    ("TH-RS-002", with_(B, elec_model_cv_rmse_pct="15.1"), YEAR_2025, "elec_model_cv_rmse_pct"),
    ("TH-RS-002", with_(B, elec_model_nmbe_pct="-5.5"), YEAR_2025, "elec_model_nmbe_pct"),
    ("TH-RS-002", with_(B, gas_model_cv_rmse_pct="20"), YEAR_2025, "gas_model_cv_rmse_pct"),
    ("TH-RS-002", with_(B, gas_model_nmbe_pct="6"), YEAR_2025, "gas_model_nmbe_pct"),
    # 7,800 running hours do not fit in March (744 h)
    ("TH-RS-003", M, MonitoringPeriod(date(2025, 3, 1), date(2025, 3, 31)), "motors.0.operating_hours"),
    # 8,690 logged hours do not fit in June (720 h); sample precision worse than ±10 %
    ("TH-RS-004", L, MonitoringPeriod(date(2025, 6, 1), date(2025, 6, 30)), "groups.0.logged_hours"),
    (
        "TH-RS-004",
        th_rs_004.group(L, 2, hours_precision_pct="10.5"),
        YEAR_2025,
        "groups.2.hours_precision_pct",
    ),
]


@pytest.mark.parametrize(("code", "raw", "period", "field_name"), CHECKS)
def test_quantify__data_impossible_for_the_period_is_rejected(
    code: str, raw: dict[str, Any], period: MonitoringPeriod, field_name: str
) -> None:
    m = methodologies.get(code, 1)
    m.parse(raw)  # valid on its own
    with pytest.raises(MethodologyInputError) as exc:
        m.compute(raw, period)
    assert field_name in {e["field"] for e in exc.value.errors}


def test_building__gas_model_statistics_not_needed_without_gas() -> None:
    raw = with_(B, gas_model_base_m3_per_day="0", gas_model_m3_per_hdd="0", reporting_gas_m3="0")
    raw = with_(raw, gas_model_cv_rmse_pct=None, gas_model_nmbe_pct=None)
    q = methodologies.get("TH-RS-002", 1).compute(raw, YEAR_2025)
    assert not [label for label, _ in q.steps if label.startswith("gas model")]


def test_motor__an_ie3_replacement_of_an_old_motor_earns_nothing() -> None:
    # the old motor measured 85 %: an IE3 (market-minimum) replacement would "save" a lot against
    # it, but the baseline is the market minimum, so there is no reduction
    raw = th_rs_003.motor(
        th_rs_003.motor(M, 0, old_efficiency_measured="0.85", new_efficiency_rated="0.946"),
        1,
        new_efficiency_rated="0.921",
    )
    with pytest.raises(MethodologyInputError, match="no reduction"):
        methodologies.get("TH-RS-003", 1).compute(raw, YEAR_2025)
