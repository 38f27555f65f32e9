"""Checks of TH-EC-003 and TH-EC-005 that need the monitoring period (the shared tests in
test_methodologies.py cover the rest through tests/registry/cases/)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry import methodologies
from registry.methodologies import MethodologyInputError, MonitoringPeriod
from tests.registry.cases import th_ec_003, th_ec_005, with_

EC3 = th_ec_003.EXAMPLE_RAW
EC5 = th_ec_005.EXAMPLE_RAW
FIVE_YEARS = MonitoringPeriod(date(2021, 1, 1), date(2025, 12, 31))
THREE_YEARS = MonitoringPeriod(date(2023, 1, 1), date(2025, 12, 31))

PERIOD_CHECKS: list[tuple[str, dict[str, Any], MonitoringPeriod, str]] = [
    # less than a year between inventories
    ("TH-EC-003", EC3, MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 30)), "period"),
    ("TH-EC-005", EC5, MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 30)), "period"),
    # S1: (112 - 85 + 90,000 / 300) / 5.00274 = 65.4 m3/ha/yr counting the harvest, above 60
    ("TH-EC-003", th_ec_003._stratum(0, harvested_m3="90000"), FIVE_YEARS, "strata.0.volume_end_m3_per_ha"),
    # harvest 1,500 m3 < 400 m3/yr x 5.00274 = 2,001.1 m3: reduced felling (leakage)
    ("TH-EC-003", with_(EC3, baseline_harvest_m3_per_yr="400"), FIVE_YEARS, "baseline_harvest_m3_per_yr"),
    # PD-12: (300 - 58) / 0.8 / 3.0027 = 100.7 m3/ha/yr, above 60
    ("TH-EC-005", th_ec_005._plot(1, tree_volume_end_m3="300"), THREE_YEARS, "plots.1.tree_volume_end_m3"),
    # PD-12: 30,000 culms x 4.3 kg / 0.8 ha = 161.25 t/ha, above 150
    ("TH-EC-005", th_ec_005._plot(1, bamboo_culms_end=30000), THREE_YEARS, "plots.1.bamboo_culms_end"),
]


@pytest.mark.parametrize(("code", "raw", "period", "field_name"), PERIOD_CHECKS)
def test_quantify__data_impossible_for_the_period_is_rejected(
    code: str, raw: dict[str, Any], period: MonitoringPeriod, field_name: str
) -> None:
    m = methodologies.get(code, 1)
    m.parse(raw)  # valid on their own
    with pytest.raises(MethodologyInputError) as exc:
        m.compute(raw, period)
    assert field_name in {e["field"] for e in exc.value.errors}, exc.value.errors


def test_forest_management__harvest_equal_to_the_pre_project_rate_is_accepted() -> None:
    # 1,500 m3 over 5.00274 years is 299.84 m3/yr: a pre-project 299 m3/yr is not more
    q = methodologies.get("TH-EC-003", 1).compute(with_(EC3, baseline_harvest_m3_per_yr="299"), FIVE_YEARS)
    assert q.net_kg > 0


def test_forest_management__default_baseline_is_the_factor() -> None:
    m = methodologies.get("TH-EC-003", 1)
    steps = dict(m.compute(EC3, FIVE_YEARS).steps)
    default = m.factors["default_baseline_increment_m3_per_ha_yr"]
    assert any(f"x {default} m3/ha/yr (default)" in label for label in steps)
