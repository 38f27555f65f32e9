"""Purchase at a certified low-carbon scene (R9): yuan spent x a per-yuan factor, more for
certified green farm produce. Only while the scene's certificate is in force at the act's time:
the ingestion asks ``registry.scenes.certificate_check`` (an act at an uncertified scene is
rejected with ``scene_not_certified``, one naming no scene with ``missing_scene``). See
docs/points/certified_purchase.md.

The act's ``detail``: ``scene`` (the certified scene's id, e.g. ``SC-1A2B3C4D5E``) and
``goods``: ``general`` (the default) or ``green_produce``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, ActRefused, Scene

GOODS = ("general", "green_produce")


class CertifiedPurchase(Scene):
    code: ClassVar[str] = "certified_purchase"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Purchase at a certified low-carbon scene"
    title_zh: ClassVar[str] = "低碳场景消费"
    requirement: ClassVar[str] = "R9"
    unit: ClassVar[str] = "yuan"
    max_quantity: ClassVar[Decimal] = Decimal(5000)
    impossible_reason: ClassVar[str] = "impossible_amount"
    daily_cap_points: ClassVar[int] = 200
    monthly_cap_points: ClassVar[int] = 2000

    def check(self, act: Act) -> None:
        super().check(act)
        if not act.detail.get("scene", "").strip():
            raise ActRefused("missing_scene", "a certified purchase names its scene (detail.scene)")
        goods = act.detail.get("goods", "general")
        if goods not in GOODS:
            raise ActRefused("unsupported_goods", f"goods {goods!r} is not one of {', '.join(GOODS)}")

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        factor = self.factors["certified_scene_g_per_yuan"]
        if act.detail.get("goods", "general") == "green_produce":
            factor = steps.add(
                "factor = certified scene + green produce",
                factor + self.factors["green_produce_extra_g_per_yuan"],
                "g CO2e / yuan",
            )
        return steps.add("avoided = yuan x factor", act.quantity * factor, "g CO2e")
