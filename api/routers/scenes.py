"""Certified low-carbon scenes (R2, R5, R9): the standards' catalogue, scenes registered by the
registrar or the association, the association's assessments (a pass certifies the scene for
three years, anchored on chain with ``TanhuiRegistry.certifyScene``), and the public list of
scenes with their certificates. See registry/scenes.py and docs/scenes/."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.answers import keyed, respond
from api.deps import IdempotencyKey, PublicId, RuntimeDep, requires
from api.responses import Hash, Timestamp, errors
from api.schemas import Body
from registry import scene_standards
from registry import scenes as service
from registry.models import Participant

router = APIRouter(tags=["scenes"])
SceneRegistrar = Annotated[Participant, Depends(requires(*service.REGISTER_ROLES))]
Association = Annotated[Participant, Depends(requires(service.ASSESSOR_ROLE))]
Kind = Literal["restaurant", "supermarket", "scenic_spot", "hotel", "exhibition"]
Coordinate = Annotated[str, Field(pattern=r"^-?[0-9]{1,3}\.[0-9]{1,8}$", examples=["30.657420"])]


# -- bodies (kept here: api/responses.py and api/schemas.py may take them over) ------------------


class ChecklistItemOut(BaseModel):
    """An item of a standard's checklist."""

    key: str
    label: str
    max_score: int
    mandatory: bool = Field(
        description="A prerequisite: met (its max) or not (0); unmet fails the assessment"
    )


class SceneFactorOut(BaseModel):
    """An emission factor a standard's footprint part cites."""

    key: str
    value: str
    unit: str
    source: str
    note: str


class StandardOut(BaseModel):
    """A scene standard's version: its checklist, footprint part, pass mark and factors."""

    code: str = Field(examples=["TH-SC-RES-001"])
    version: int
    kind: Kind
    title: str
    title_zh: str
    items: list[ChecklistItemOut]
    checklist_max: int
    footprint_max: int
    max_total: int
    pass_mark: str
    activity: str = Field(description="What the footprint is divided by")
    intensity_unit: str
    period: str = Field(description="The period the footprint data cover")
    content_hash: Hash
    factors: list[SceneFactorOut]


class SceneIn(Body):
    name: str = Field(min_length=1, max_length=service.MAX_NAME)
    kind: Kind = Field(description="The kind of scene, which names its standard")
    address: str = Field(min_length=1, max_length=service.MAX_ADDRESS)
    latitude: Coordinate | None = None
    longitude: Coordinate | None = None
    operator: str | None = Field(
        default=None, max_length=40, description="The participant operating the scene (its public id)"
    )


class Answers(BaseModel):
    """The checklist answers: each item's score (an integer or a decimal string, at most two
    decimals; a JSON float is refused) and the footprint data over the standard's period."""

    items: dict[str, Any] = Field(examples=[{"energy_metering": 10, "food_waste": "11.5"}])
    footprint: dict[str, Any] = Field(
        examples=[{"electricity_kwh": "96000", "natural_gas_m3": "10400", "activity": "41000"}]
    )


class AssessmentIn(Body):
    answers: Answers
    version: int | None = Field(default=None, ge=1, le=1000, description="The standard's version [latest]")


class AnchorOut(BaseModel):
    operation: int
    status: str
    tx_hash: Hash
    block_number: int | None


class CertificateOut(BaseModel):
    id: str
    standard: str
    version: int
    score: str
    valid_from: Timestamp
    valid_until: Timestamp
    certificate_hash: Hash = Field(description="keccak-256 of the canonical JSON of `document`")
    document: dict[str, Any]
    revoked_at: Timestamp | None
    revoke_reason: str | None
    anchor: AnchorOut | None = Field(description="The certifyScene transaction")


class LastAssessmentOut(BaseModel):
    id: int
    standard: str
    version: int
    total: str
    passed: bool
    assessed_at: Timestamp


class SceneOut(BaseModel):
    """A scene, its certificate status now and its latest certificate and assessment."""

    id: str
    name: str
    kind: Kind
    standard: str
    address: str
    latitude: str | None
    longitude: str | None
    operator: str | None
    scene_id: Hash = Field(description="The scene's id on chain (certifyScene's sceneId)")
    registered_at: Timestamp
    status: Literal["none", "anchoring", "anchor_failed", "revoked", "expired", "not_yet_valid", "certified"]
    certificate: CertificateOut | None
    last_assessment: LastAssessmentOut | None


class AssessmentOut(BaseModel):
    """An assessment: the standard's full result, and the scene (certified if it passed)."""

    id: int
    scene: SceneOut
    assessor: str | None
    standard: str
    version: int
    result: dict[str, Any] = Field(
        description="items, checklist_score, footprint {emissions_kg, intensity, benchmark, score, ...}, "
        "total, pass_mark, mandatory_unmet, passed, steps"
    )
    passed: bool
    assessed_at: Timestamp


class RevocationIn(Body):
    reason: str = Field(min_length=1, max_length=service.MAX_REASON)


# -- routes ----------------------------------------------------------------------------------------


@router.get(
    "/v1/scene-standards",
    response_model=list[StandardOut],
    summary="The scene standards: checklists, footprint benchmarks, pass marks and cited factors (public)",
)
def standards() -> list[dict[str, Any]]:
    return [s.describe() for s in scene_standards.all_standards()]


@router.post(
    "/v1/scenes",
    status_code=201,
    response_model=SceneOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Register a low-carbon scene (registrar or association)",
)
def register_scene(
    body: SceneIn, request: Request, runtime: RuntimeDep, actor: SceneRegistrar, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        service.register_command(
            runtime.commands,
            actor,
            idempotency=keyed(request, key, body),
            name=body.name,
            kind=body.kind,
            address=body.address,
            latitude=body.latitude,
            longitude=body.longitude,
            operator=body.operator,
        )
    )


@router.post(
    "/v1/scenes/{scene_id}/assessments",
    status_code=201,
    response_model=AssessmentOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Assess a scene against its standard (association); a pass certifies it for 3 years on chain "
    "(201 once anchored, 202 while pending); bad answers are a 422 checklist_invalid listing every problem",
)
def assess_scene(
    scene_id: PublicId,
    body: AssessmentIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Association,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.assess_command(
            runtime.commands,
            runtime.outbox,
            actor,
            scene_id,
            body.answers.model_dump(),
            version=body.version,
            idempotency=keyed(request, key, body),
        )
    )


@router.post(
    "/v1/scenes/{scene_id}/revocation",
    status_code=201,
    response_model=SceneOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="Revoke a scene's certificate in force (registrar or association); 409 scene_not_certified "
    "without one",
)
def revoke_scene(
    scene_id: PublicId,
    body: RevocationIn,
    request: Request,
    runtime: RuntimeDep,
    actor: SceneRegistrar,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        service.revoke_command(
            runtime.commands,
            runtime.outbox,
            actor,
            scene_id,
            body.reason,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/scenes",
    response_model=list[SceneOut],
    responses=errors(422),
    summary="Every scene with its certificate status, validity, score and chain transaction (public)",
)
def list_scenes(
    runtime: RuntimeDep,
    kind: Annotated[Kind | None, Query(description="Only scenes of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.listing(session, kind, limit)


@router.get(
    "/v1/scenes/{scene_id}",
    response_model=SceneOut,
    responses=errors(404, 422),
    summary="A scene with its certificate (public)",
)
def get_scene(scene_id: PublicId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.view(session, service.get(session, scene_id))
