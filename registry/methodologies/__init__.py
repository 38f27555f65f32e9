"""Methodologies as code (R3): each version a module with a monitoring-data schema, a formula and
a factor file; its content hash is what gets published on chain. Typical use::

    m = methodologies.get("TH-ES-002", 1)
    q = m.compute(raw_monitoring_data, MonitoringPeriod(start, end))   # -> Quantification
    m.content_hash()                                                    # -> 32 bytes, for the chain
"""

from __future__ import annotations

from functools import cache

from .afforestation import Afforestation
from .airport_apu_replacement import AirportApuReplacement
from .base import (
    EmissionFactor,
    FactorSet,
    Methodology,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    Quantification,
    UnknownMethodology,
)
from .biomass_fuel_substitution import BiomassFuelSubstitution
from .building_retrofit import BuildingRetrofit
from .coal_boiler_to_electric import CoalBoilerToElectric
from .forest_management import ForestManagement
from .greenway_trees import GreenwayTrees
from .ground_source_heat_pump import GroundSourceHeatPump
from .lighting_retrofit import LightingRetrofit
from .linpan_woodland import LinpanWoodland
from .motor_efficiency import MotorEfficiency
from .paperless_office import PaperlessOffice
from .rice_paddy_water_management import RicePaddyWaterManagement
from .rooftop_solar_pv import RooftopSolarPv
from .soil_testing_fertilisation import SoilTestingFertilisation
from .waste_recycling import WasteRecycling
from .wetland_restoration import WetlandRestoration

__all__ = [
    "Afforestation",
    "AirportApuReplacement",
    "BiomassFuelSubstitution",
    "BuildingRetrofit",
    "CoalBoilerToElectric",
    "EmissionFactor",
    "FactorSet",
    "ForestManagement",
    "GreenwayTrees",
    "GroundSourceHeatPump",
    "LightingRetrofit",
    "LinpanWoodland",
    "Methodology",
    "MethodologyInputError",
    "MonitoringInput",
    "MonitoringPeriod",
    "MotorEfficiency",
    "PaperlessOffice",
    "Quantification",
    "RicePaddyWaterManagement",
    "RooftopSolarPv",
    "SoilTestingFertilisation",
    "UnknownMethodology",
    "WasteRecycling",
    "WetlandRestoration",
    "all_methodologies",
    "get",
]

_CLASSES: tuple[type[Methodology], ...] = (
    CoalBoilerToElectric,
    RooftopSolarPv,
    Afforestation,
    SoilTestingFertilisation,
    WasteRecycling,
    AirportApuReplacement,
    GroundSourceHeatPump,
    BiomassFuelSubstitution,
    PaperlessOffice,
    BuildingRetrofit,
    MotorEfficiency,
    LightingRetrofit,
    ForestManagement,
    LinpanWoodland,
    GreenwayTrees,
    WetlandRestoration,
    RicePaddyWaterManagement,
)


@cache
def _registry() -> dict[tuple[str, int], Methodology]:
    registry: dict[tuple[str, int], Methodology] = {}
    for cls in _CLASSES:
        key = (cls.code, cls.version)
        if key in registry:
            raise RuntimeError(f"methodology {cls.code} v{cls.version} is defined twice")
        registry[key] = cls()
    return registry


def all_methodologies() -> list[Methodology]:
    """One instance of every registered methodology version, sorted by (code, version)."""
    return [m for _, m in sorted(_registry().items())]


def get(code: str, version: int) -> Methodology:
    try:
        return _registry()[(code, version)]
    except (KeyError, TypeError):
        raise UnknownMethodology(code, version) from None
