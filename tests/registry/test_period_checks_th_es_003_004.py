"""Tests of TH-ES-003 and TH-ES-004: the checks that need the monitoring period
(not expressible in tests/registry/cases/)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry import methodologies
from registry.methodologies import MethodologyInputError, MonitoringPeriod
from tests.registry.cases import th_es_003, th_es_004, with_

JANUARY_2025 = MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31))

PERIOD_CHECKS = [
    # 29,500 h of GPU connection is more than 20 stands x 24 h x 31 days = 14,880 h
    ("TH-ES-003", th_es_003.EXAMPLE.raw, JANUARY_2025, "gpu_connected_hours"),
    # 2,300,000 kWh is more than 2,000 kW x 24 h x 31 days = 1,488,000 kWh (40 stands, so the
    # 27,000 connection hours fit: 40 x 744 = 29,760 h)
    (
        "TH-ES-003",
        with_(
            th_es_003.EXAMPLE.raw,
            gpu_connected_hours="27000",
            equipped_stands=40,
            equipment_rated_power_kw="2000",
        ),
        JANUARY_2025,
        "electricity_kwh",
    ),
    # 360,000 kWh is more than 450 kW x 24 h x 31 days = 334,800 kWh
    ("TH-ES-004", th_es_004.EXAMPLE.raw, JANUARY_2025, "heating_electricity_kwh"),
]


@pytest.mark.parametrize(("code", "raw", "period", "field_name"), PERIOD_CHECKS)
def test_quantify__data_impossible_for_the_period_is_rejected(
    code: str, raw: dict[str, Any], period: MonitoringPeriod, field_name: str
) -> None:
    with pytest.raises(MethodologyInputError) as exc:
        methodologies.get(code, 1).compute(raw, period)
    assert field_name in {e["field"] for e in exc.value.errors}


def test_gshp__optional_efficiency_defaults_to_one() -> None:
    m = methodologies.get("TH-ES-004", 1)
    q = m.compute(with_(th_es_004.EXAMPLE.raw, replaced_boiler_efficiency=None), th_es_004.YEAR_2025)
    assert dict(q.steps)["baseline boiler efficiency"] == "1.000000"
