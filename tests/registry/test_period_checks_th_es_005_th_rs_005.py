"""Tests of the checks of TH-ES-005 and TH-RS-005 that need the
monitoring period, which the shared case modules cannot express."""

from __future__ import annotations

from datetime import date

import pytest

from registry.methodologies import MethodologyInputError, MonitoringPeriod
from registry.methodologies.biomass_fuel_substitution import BiomassFuelSubstitution
from registry.methodologies.paperless_office import PaperlessOffice
from tests.registry.cases import with_
from tests.registry.cases.th_es_005 import RAW as ES5
from tests.registry.cases.th_rs_005 import RAW as RS5

JANUARY = MonitoringPeriod(date(2025, 1, 1), date(2025, 1, 31))
YEAR = MonitoringPeriod(date(2025, 1, 1), date(2025, 12, 31))


def _field(raw: dict[str, object], m: BiomassFuelSubstitution | PaperlessOffice, p: MonitoringPeriod) -> str:
    with pytest.raises(MethodologyInputError) as exc:
        m.compute(raw, p)
    return exc.value.errors[0]["field"]


def test_biomass__heat_above_rated_output_for_the_period() -> None:
    # 2.8 MW x 3.6 x 24 h x 31 d = 7,499.52 GJ < 30,000 GJ
    assert _field(ES5, BiomassFuelSubstitution(), JANUARY) == "heat_delivered_gj"


def test_biomass__heat_above_fuel_energy() -> None:
    # 1,000 t x 14.5 + 40 t x 25.8 = 15,532 GJ < 30,000 GJ
    assert _field(with_(ES5, biomass_t="1000"), BiomassFuelSubstitution(), YEAR) == "heat_delivered_gj"


def test_paperless__metered_above_nameplate_for_the_period() -> None:
    # 1.5 kW x 24 h x 31 d = 1,116 kWh < 6,000 kWh
    assert _field(RS5, PaperlessOffice(), JANUARY) == "metered_electricity_kwh"


def test_paperless__null_metering_uses_the_default() -> None:
    q = PaperlessOffice().compute(with_(RS5, metered_electricity_kwh=None), YEAR)
    # 1.5 x 24 x 365 = 13,140 kWh x 0.1564 = 2,055.096 -> 2,056; 3,853 - 2,056 = 1,797
    assert (q.project_kg, q.net_kg) == (2056, 1797)
