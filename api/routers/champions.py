"""Low-carbon champions and points campaigns (R20): a citizen's display name and leaderboard
opt-out, the monthly and yearly leaderboards (public), and the registrar's campaigns (public to
read). See registry/champions.py, registry/campaigns.py and docs/points/campaigns.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, requires
from api.responses import errors
from api.routers.points import CurrentCitizen
from api.schemas import Body
from registry import campaigns, champions
from registry.models import Participant

router = APIRouter(tags=["points"])
Registrar = Annotated[Participant, Depends(requires("registrar"))]


# -- bodies (kept here: api/responses.py and api/schemas.py may take them over) ------------------


class ProfileIn(Body):
    """Give either or both; ``display_name: null`` clears the name."""

    display_name: str | None = Field(
        default=None,
        max_length=200,
        description="1 to 40 characters once trimmed, no control characters; not unique; null clears it",
        examples=["Green commuter"],
    )
    leaderboard: bool | None = Field(
        default=None, description="Appear on the leaderboards (false: opt out)", strict=True
    )


class CitizenProfile(BaseModel):
    """How the citizen appears on the leaderboards."""

    id: str
    display_name: str | None
    shown_as: str = Field(description='The display name, or "Citizen ####" (from the pseudonym) without one')
    leaderboard: bool = Field(description="Whether the citizen appears on the leaderboards")


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="1, 2, 3...: ties broken by points, then by who registered first")
    name: str = Field(description='The display name, or "Citizen ####"')
    named: bool = Field(description="Whether the name is one the citizen chose")
    grams: int = Field(description="g CO2e avoided in the period (net of reversals)")
    points: int = Field(description="Points earned in the period (net of reversals; campaigns included)")
    champion: bool = Field(description="Rank 1: the period's low-carbon champion")


class Leaderboard(BaseModel):
    """A month's or a year's ranking by grams avoided (China Standard Time)."""

    period: str = Field(examples=["month"])
    at: str = Field(description="YYYY-MM or YYYY", examples=["2026-11"])
    starts_at: str
    ends_at: str = Field(description="Excluded")
    champion: LeaderboardEntry | None
    entries: list[LeaderboardEntry]


class CampaignIn(Body):
    name: str = Field(min_length=1, max_length=campaigns.MAX_NAME, examples=["Car-free day"])
    scene: str | None = Field(
        default=None,
        max_length=40,
        description="A points scene code; null: every scene",
        examples=["car_free_day"],
    )
    starts_on: date = Field(description="First day (China Standard Time)")
    ends_on: date = Field(description="Last day, included (China Standard Time)")
    multiplier: str | None = Field(
        default=None,
        max_length=20,
        description='A decimal string, 1 < m <= 10, at most two decimals ("2", "1.5"); or bonus_points',
        examples=["2"],
    )
    bonus_points: int | None = Field(
        default=None, strict=True, description="1 to 10,000 points, once a citizen and day; or multiplier"
    )


class CampaignOut(BaseModel):
    """A points campaign: its terms and whether it is upcoming, active or ended."""

    id: int
    name: str
    scene: str | None = Field(description="The scene; null: every scene")
    starts_on: str
    ends_on: str
    multiplier: str | None
    bonus_points: int | None
    status: str = Field(description="upcoming, active or ended", examples=["active"])


# -- routes ------------------------------------------------------------------------------------


@router.get(
    "/v1/points/me/profile",
    response_model=CitizenProfile,
    responses=errors(401),
    summary="The citizen's display name and whether it appears on the leaderboards",
)
def read_profile(citizen: CurrentCitizen) -> dict[str, Any]:
    return champions.profile(citizen)


@router.post(
    "/v1/points/me/profile",
    response_model=CitizenProfile,
    responses=errors(400, 401, 422),
    summary="Set the citizen's display name and/or opt out of (or back into) the leaderboards",
)
def set_profile(body: ProfileIn, runtime: RuntimeDep, citizen: CurrentCitizen) -> dict[str, Any]:
    given = body.model_fields_set
    with runtime.db.transaction() as session:
        updated = champions.set_profile(
            session,
            citizen.id,
            **({"display_name": body.display_name} if "display_name" in given else {}),
            leaderboard=body.leaderboard,
        )
        return champions.profile(updated)


@router.get(
    "/v1/leaderboard",
    response_model=Leaderboard,
    responses=errors(400, 422),
    summary="The month's or year's low-carbon leaderboard by grams avoided (CST); rank 1 is the "
    "champion (public)",
)
def leaderboard(
    runtime: RuntimeDep,
    period: Annotated[str, Query(max_length=10, description="month or year")] = "month",
    at: Annotated[
        str | None, Query(max_length=10, description="YYYY-MM (month) or YYYY (year) [default: the current]")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=champions.MAX_LIMIT)] = 10,
) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return champions.leaderboard(session, period, at, limit)


@router.post(
    "/v1/campaigns",
    status_code=201,
    response_model=CampaignOut,
    responses=errors(400, 401, 403, 409, 422),
    summary="Set a points campaign: a multiplier or a bonus for a scene (or every scene) over some "
    "days (registrar)",
)
def create_campaign(body: CampaignIn, runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        campaign = campaigns.create(
            session,
            actor,
            name=body.name,
            scene=body.scene,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            multiplier=body.multiplier,
            bonus_points=body.bonus_points,
        )
        return campaigns.view(campaign)


@router.get(
    "/v1/campaigns",
    response_model=list[CampaignOut],
    summary="The points campaigns running or to come, soonest first (public)",
)
def list_campaigns(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return [campaigns.view(c) for c in campaigns.listing(session)]
