"""The API's contract: the response models of ``api/responses.py`` describe what the service
really answers (validated against a whole lifecycle, nothing lost in the round trip), the
OpenAPI document names a model for every success and the error envelope for every 4xx, the
token is an OpenAPI security scheme, every request has an id, and /docs needs no CDN."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

import api.app
from api import responses
from api.app import create_app
from api.deps import current_participant
from api.responses import (
    BandsOut,
    BatchDetail,
    BatchOut,
    CatalogueEntry,
    CitizenPoints,
    ClaimOut,
    CreditRequestOut,
    DisclosureOut,
    ErrorEnvelope,
    FootprintCalculation,
    FootprintCatalogueEntry,
    HaltOut,
    Health,
    HoldingOut,
    IngestionResult,
    JournalOut,
    ListingOut,
    ListingRequestOut,
    Liveness,
    MarketDayOut,
    MethodologyOut,
    NewToken,
    OperationOut,
    ParticipantOut,
    ParticipantWithHoldings,
    PartnerRejection,
    PointsEpochOut,
    PointsProof,
    ProjectOut,
    ProposalCheckOut,
    Readiness,
    RegisteredCitizen,
    RegisteredParticipant,
    RegisteredPartner,
    ReportOut,
    RetirementOut,
    StatementResult,
    Submission,
    SupervisionResult,
    SupervisionStatus,
    TokenRevocation,
    TradeInstructionOut,
    TradeOut,
    TransactionDraft,
    errors,
)
from api.routers.champions import CampaignOut, CitizenProfile, Leaderboard
from api.routers.feed import FeedPage, WebhookCreated, WebhookOut
from api.routers.mall import (
    ExpiryOut,
    ItemOut,
    MerchantOut,
    RedemptionOut,
    StatementOut,
    VoucherOut,
)
from api.routers.points import current_citizen
from api.routers.scenes import AssessmentOut, SceneOut, StandardOut
from chain.signers import LocalSigner
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_bad_input import DECLARATIVE_EXAMPLE
from tests.api.test_hostile_chain import fund

# The models a route answers (the error envelope aside).
ROUTE_MODELS: tuple[type[BaseModel], ...] = (
    TransactionDraft,
    Submission,
    ParticipantOut,
    ParticipantWithHoldings,
    RegisteredParticipant,
    HoldingOut,
    MethodologyOut,
    CatalogueEntry,
    ProjectOut,
    ReportOut,
    CreditRequestOut,
    BatchOut,
    BatchDetail,
    RetirementOut,
    OperationOut,
    SupervisionStatus,
    SupervisionResult,
    Health,
    ProposalCheckOut,
    ClaimOut,
    FootprintCatalogueEntry,
    FootprintCalculation,
    RegisteredPartner,
    RegisteredCitizen,
    IngestionResult,
    PartnerRejection,
    CitizenPoints,
    PointsEpochOut,
    PointsProof,
    ListingOut,
    ListingRequestOut,
    TradeOut,
    TradeInstructionOut,
    MarketDayOut,
    BandsOut,
    HaltOut,
    StatementResult,
    JournalOut,
    DisclosureOut,
    FeedPage,
    WebhookOut,
    WebhookCreated,
    MerchantOut,
    ItemOut,
    RedemptionOut,
    VoucherOut,
    ExpiryOut,
    StatementOut,
    StandardOut,
    SceneOut,
    AssessmentOut,
    CitizenProfile,
    Leaderboard,
    CampaignOut,
    Liveness,
    Readiness,
    NewToken,
    TokenRevocation,
)
ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
DOCUMENT_TYPES = {"text/html", "application/pdf"}


def bare_app() -> FastAPI:
    """The app without a runtime: enough for its OpenAPI document, docs and middleware."""
    return create_app(cast(Runtime, None), background=False)


# -- the models accept what the service answers ---------------------------------------------------


class Samples:
    """Real response bodies, each checked against its model as it is collected."""

    def __init__(self) -> None:
        self.bodies: list[tuple[type[BaseModel], dict[str, Any]]] = []

    def check(self, model: type[BaseModel], body: Any, *, many: bool = False) -> Any:
        """`body` conforms to `model` (a list of them with `many`) and serializes back to itself,
        as FastAPI would send it through ``response_model``: no field is lost or altered."""
        adapter: TypeAdapter[Any] = TypeAdapter(list[model] if many else model)  # type: ignore[valid-type]
        value = adapter.validate_python(body)
        assert adapter.dump_python(value, mode="json", by_alias=True) == body, model.__name__
        items = body if many else [body]
        assert items, f"no {model.__name__} to check"
        self.bodies.extend((model, item) for item in items)
        return body


def test_models__accept_the_lifecycle_responses_and_refuse_a_missing_field(
    api: Api, runtime: Runtime
) -> None:
    s = Samples()
    s.check(Health, api.get("/v1/health"))
    s.check(CatalogueEntry, api.get("/v1/methodologies/catalogue"), many=True)
    s.check(FootprintCatalogueEntry, api.get("/v1/footprints/catalogue"), many=True)

    batch_id, owner, verifier = api.issued_batch()
    s.check(RegisteredParticipant, owner)
    s.check(RegisteredParticipant, verifier)
    buyer = s.check(RegisteredParticipant, api.participant(["holder"]))
    methodologies = s.check(MethodologyOut, api.get("/v1/methodologies"), many=True)
    s.check(
        ProposalCheckOut,
        api.ok(
            "/v1/methodologies/declarative/check", {"spec": DECLARATIVE_EXAMPLE}, owner["token"], expect=200
        ),
    )
    s.check(MethodologyOut, api.get(f"/v1/methodologies/{methodologies[0]['id']}"))

    # Projects and reports, as their owner sees them.
    projects = s.check(ProjectOut, api.get("/v1/projects", owner["token"]), many=True)
    project_id = projects[0]["id"]
    s.check(ProjectOut, api.get(f"/v1/projects/{project_id}", owner["token"]))
    draft = s.check(ProjectOut, api.draft_project(owner))
    assert draft["document_hash"] is None
    reports = s.check(ReportOut, api.get(f"/v1/projects/{project_id}/reports", owner["token"]), many=True)
    report = s.check(ReportOut, api.get(f"/v1/reports/{reports[0]['id']}", owner["token"]))
    assert report["batch_id"] == batch_id

    # A transfer and a retirement, and the requests read back.
    transfer = s.check(
        CreditRequestOut,
        api.ok(
            "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_t": "300.000"}, owner["token"]
        ),
    )
    assert "certificate" not in transfer
    retirement = s.check(
        CreditRequestOut,
        api.ok(
            "/v1/retirements",
            {
                "batch_id": batch_id,
                "amount_t": "120.500",
                "beneficiary": "Chengdu Marathon 2025",
                "purpose": "event_neutrality",
                "event_id": "chengdu-marathon-2025",
                "jurisdiction": "CN-SC-Chengdu",
                "consumption_start": "2025-10-26",
                "consumption_end": "2025-10-26",
                "note": "race day",
            },
            buyer["token"],
        ),
    )
    assert retirement["certificate"]["certificate_id"] == retirement["certificate_id"]
    s.check(CreditRequestOut, api.get(f"/v1/credit-requests/{transfer['id']}", owner["token"]))
    s.check(CreditRequestOut, api.get(f"/v1/credit-requests/{retirement['id']}", buyer["token"]))
    s.check(OperationOut, api.get(f"/v1/operations/{transfer['operation']['id']}", owner["token"]))

    # Holdings, participants, batches and certificates.
    s.check(HoldingOut, api.get("/v1/holdings", buyer["token"]), many=True)
    s.check(ParticipantWithHoldings, api.get("/v1/participants/me", buyer["token"]))
    s.check(ParticipantWithHoldings, api.get(f"/v1/participants/{owner['id']}", api.operator))
    s.check(ParticipantOut, api.get("/v1/participants", api.operator), many=True)
    s.check(BatchOut, api.get("/v1/batches"), many=True)
    detail = s.check(BatchDetail, api.get(f"/v1/batches/{batch_id}"))
    assert detail["transfers"] and detail["retirements"]
    s.check(RetirementOut, api.get("/v1/retirements"), many=True)
    s.check(RetirementOut, api.get(f"/v1/retirements/{retirement['certificate_id']}"))

    # A neutrality claim, from registration to its closing; the public calculator.
    activity = {
        "purchased_electricity_kwh": "20000",
        "purchased_heat_gj": "0",
        "natural_gas_m3": "0",
        "diesel_litres": "0",
    }
    fp = {"code": "TH-FP-ORG-001", "version": 1}
    period = {"period_start": "2025-01-01", "period_end": "2025-01-31"}
    s.check(
        FootprintCalculation,
        api.ok(
            "/v1/footprints/calculate",
            {"footprint_methodology": fp, **period, "activity": activity},
            None,
            expect=200,
        ),
    )
    claim = s.check(
        ClaimOut,
        api.ok(
            "/v1/claims",
            {"kind": "organisation", "subject": "Tianfu Food", "footprint_methodology": fp, **period},
            owner["token"],
        ),
    )
    claim = s.check(
        ClaimOut, api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, owner["token"])
    )
    s.check(
        ClaimOut,
        api.ok(
            f"/v1/claims/{claim['id']}/verifications",
            {"decision": "approve", "reason": "ok"},
            verifier["token"],
        ),
    )
    api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": claim["required_kg"],
            "beneficiary": "Tianfu Food",
            "purpose": "organisation_neutrality",
            "event_id": claim["id"],
        },
        owner["token"],
    )
    s.check(ClaimOut, api.ok(f"/v1/claims/{claim['id']}/close", None, owner["token"]))
    s.check(ClaimOut, api.get("/v1/claims"), many=True)
    s.check(ClaimOut, api.get(f"/v1/claims/{claim['id']}"))

    # Public points: a partner, a citizen, a batch, a rejection, the citizen's points, an epoch
    # and a proof.
    from tests.api.test_points import Partner, ride

    s.check(
        RegisteredPartner,
        api.ok("/v1/points/partners", {"name": "Chengdu Metro", "scenes": ["metro"]}, api.operator),
    )
    metro = Partner(api, "Chengdu Metro", ["metro"])
    rider = s.check(RegisteredCitizen, api.ok("/v1/points/citizens", None, api.operator))
    s.check(IngestionResult, metro.send([ride("r1", rider), ride("r2", rider, km="900")]))
    rejected = api.http.get(
        "/v1/points/rejections", headers=metro.headers("GET", "/v1/points/rejections", b"")
    )
    s.check(PartnerRejection, rejected.json(), many=True)
    s.check(CitizenPoints, api.get("/v1/points/me", rider["token"]))
    epoch = s.check(PointsEpochOut, api.ok("/v1/points/epochs", {"day": "2025-06-30"}, api.operator))
    s.check(PointsEpochOut, api.get(f"/v1/points/epochs/{epoch['epoch']}"))
    s.check(PointsProof, api.get(f"/v1/points/proofs/{rider['id']}", rider["token"]))

    # The exchange: listings, trades (one a buy-and-retire), market data and rules, the
    # statement, the buyer's journal, the feed and a webhook.
    exchange = s.check(RegisteredParticipant, api.participant(["exchange"]))
    price = {"project_type": "energy-substitution", "price_fen_per_t": 6_000}
    s.check(OperationOut, api.ok("/v1/market/reference-prices", price, api.operator))
    listed = s.check(
        ListingRequestOut,
        api.ok("/v1/listings", {"batch_id": batch_id, "amount_t": "10.000"}, owner["token"]),
    )
    other = s.check(
        ListingRequestOut, api.ok("/v1/listings", {"batch_id": batch_id, "amount_kg": 1000}, owner["token"])
    )
    s.check(ListingOut, api.ok(f"/v1/listings/{other['listing_id']}/cancellation", None, owner["token"]))
    trade = {"listing_id": listed["listing_id"], "buyer": buyer["id"], "price_fen_per_t": 6_100}
    bought = s.check(
        TradeInstructionOut,
        api.ok(
            "/v1/trades",
            {**trade, "reference": "OA-1", "amount_t": "2.000", "buyer_fee_fen": 100},
            exchange["token"],
        ),
    )
    retired = s.check(
        TradeInstructionOut,
        api.ok(
            "/v1/trades",
            {
                **trade,
                "reference": "OA-2",
                "amount_kg": 1000,
                "retirement": {"beneficiary": "Tianfu Food", "purpose": "voluntary", "note": "bought"},
            },
            exchange["token"],
        ),
    )
    assert retired["trade"]["certificate"]["certificate_id"] == retired["trade"]["certificate_id"]
    s.check(TradeInstructionOut, api.get("/v1/trade-instructions/OA-1", exchange["token"]))
    s.check(TradeOut, api.get("/v1/trades"), many=True)
    s.check(TradeOut, api.get(f"/v1/trades/{retired['trade_id']}"))
    s.check(ListingOut, api.get("/v1/listings?state=all"), many=True)
    s.check(ListingOut, api.get(f"/v1/listings/{listed['listing_id']}"))
    s.check(MarketDayOut, api.get("/v1/market/days"), many=True)
    s.check(BandsOut, api.get("/v1/market/bands"))
    s.check(BandsOut, api.ok("/v1/market/bands", None, exchange["token"]))
    supervisor = s.check(RegisteredParticipant, api.participant(["supervisor"]))
    halt = {"batch_id": batch_id, "halted": True, "reason": "review"}
    s.check(OperationOut, api.ok("/v1/market/halts", halt, supervisor["token"]))
    s.check(HaltOut, api.get("/v1/market/halts"), many=True)
    statement = {
        "day": bought["trade"]["day"],
        "trades": [
            {
                "reference": "OA-1",
                "listing_id": listed["listing_id"],
                "buyer": buyer["id"],
                "amount_kg": 2000,
                "price_fen_per_t": 6_000,
            }
        ],
        "escrow": [{"listing_id": listed["listing_id"], "remaining_kg": 7000}],
    }
    compared = s.check(StatementResult, api.ok("/v1/exchange/statements", statement, exchange["token"]))
    assert not compared["agreed"] and compared["differences"]
    s.check(JournalOut, api.get("/v1/accounting/journal", buyer["token"]))
    year = int(bought["trade"]["day"][:4])
    s.check(DisclosureOut, api.get(f"/v1/accounting/disclosure?year={year}", buyer["token"]))
    s.check(FeedPage, api.get("/v1/feed"))
    webhook = s.check(
        WebhookCreated, api.ok("/v1/webhooks", {"url": "https://exchange.example/feed"}, exchange["token"])
    )
    s.check(WebhookOut, api.get("/v1/webhooks", exchange["token"]), many=True)
    ended = api.http.delete(f"/v1/webhooks/{webhook['id']}", headers=api.auth(exchange["token"]))
    assert ended.status_code == 200, ended.text
    s.check(WebhookOut, ended.json())

    # The mall: a merchant approved, an item listed and changed, the rider's points redeemed for
    # a voucher confirmed at the counter, the expiry run and the merchant's month.
    seller = api.participant(["merchant"])
    s.check(
        MerchantOut,
        api.ok(
            "/v1/mall/merchants", {"participant_id": seller["id"], "display_name": "Jinli Tea"}, api.operator
        ),
    )
    s.check(MerchantOut, api.get("/v1/mall/merchants"), many=True)
    cup = s.check(
        ItemOut,
        api.ok(
            "/v1/mall/items",
            {"name": "Bamboo cup", "description": "Reusable", "points_price": 20, "stock": 5},
            seller["token"],
        ),
    )
    patched = api.http.patch(
        f"/v1/mall/items/{cup['id']}", json={"stock": 4}, headers=api.auth(seller["token"])
    )
    assert patched.status_code == 200, patched.text
    assert s.check(ItemOut, patched.json())["stock"] == 4
    s.check(ItemOut, api.get("/v1/mall/items"), many=True)
    s.check(ItemOut, api.get(f"/v1/mall/items/{cup['id']}"))
    redeemed = s.check(RedemptionOut, api.ok("/v1/mall/redemptions", {"item_id": cup["id"]}, rider["token"]))
    s.check(VoucherOut, api.get("/v1/mall/vouchers", rider["token"]), many=True)
    confirmed = s.check(
        VoucherOut,
        api.ok("/v1/mall/vouchers/confirm", {"code": redeemed["code"]}, seller["token"], expect=200),
    )
    assert confirmed["status"] == "confirmed", confirmed
    s.check(ExpiryOut, api.ok("/v1/mall/vouchers/expiry", None, api.operator, expect=200))
    cst = datetime.fromisoformat(confirmed["confirmed_at"]) + timedelta(hours=8)  # China Standard Time
    statement = s.check(StatementOut, api.get(f"/v1/mall/statements/{cst:%Y-%m}", seller["token"]))
    assert (statement["count"], statement["total_points"]) == (1, 20), statement

    # Scenes: the standards, a restaurant registered, assessed (certified) and revoked.
    from tests.registry.test_scene_standards import EXAMPLES

    s.check(StandardOut, api.get("/v1/scene-standards"), many=True)
    association = api.participant(["association"])
    scene = s.check(
        SceneOut,
        api.ok(
            "/v1/scenes",
            {"name": "Hotpot House", "kind": "restaurant", "address": "1 Chunxi Road, Chengdu"},
            api.operator,
        ),
    )
    assessed = s.check(
        AssessmentOut,
        api.ok(
            f"/v1/scenes/{scene['id']}/assessments",
            {"answers": EXAMPLES["TH-SC-RES-001"][0]},
            association["token"],
        ),
    )
    assert assessed["passed"] and assessed["scene"]["status"] == "certified", assessed
    s.check(SceneOut, api.get(f"/v1/scenes/{scene['id']}"))
    s.check(SceneOut, api.get("/v1/scenes"), many=True)
    revoked = s.check(
        SceneOut, api.ok(f"/v1/scenes/{scene['id']}/revocation", {"reason": "closed"}, association["token"])
    )
    assert revoked["status"] == "revoked", revoked

    # Champions: the rider's profile, the leaderboard, a campaign.
    s.check(CitizenProfile, api.get("/v1/points/me/profile", rider["token"]))
    s.check(
        CitizenProfile,
        api.ok("/v1/points/me/profile", {"display_name": "Green rider"}, rider["token"], expect=200),
    )
    s.check(Leaderboard, api.get("/v1/leaderboard"))
    today = datetime.now(UTC).date()
    campaign = {
        "name": "Bus week",
        "scene": "bus",
        "starts_on": str(today + timedelta(days=3)),
        "ends_on": str(today + timedelta(days=9)),
        "bonus_points": 20,
    }
    s.check(CampaignOut, api.ok("/v1/campaigns", campaign, api.operator))
    s.check(CampaignOut, api.get("/v1/campaigns"), many=True)

    # Self-custody: a holder keeping its own key drafts, signs and submits a listing.
    key = LocalSigner(Account.create())
    fund(runtime, key.address)
    keeper = api.participant(["holder"], address=key.address)
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": keeper["id"], "amount_kg": 1000}, owner["token"])
    drafted = s.check(
        TransactionDraft,
        api.ok(
            "/v1/transactions/drafts",
            {"action": "list", "batch_id": batch_id, "amount_kg": 1000},
            keeper["token"],
            expect=200,
        ),
    )
    raw = "0x" + key.sign({k: v for k, v in drafted["transaction"].items() if k != "from"}).hex()
    submitted = s.check(Submission, api.ok("/v1/transactions", {"raw": raw}, keeper["token"]))
    s.check(Submission, api.get(f"/v1/transactions/{submitted['id']}", keeper["token"]))

    # Supervision: a frozen account shows in the status.
    s.check(SupervisionStatus, api.get("/v1/supervision", supervisor["token"]))
    frozen = s.check(
        SupervisionResult,
        api.ok(f"/v1/supervision/accounts/{buyer['id']}/freeze", {"reason": "dispute"}, supervisor["token"]),
    )
    assert frozen["operations"] and frozen["frozen_accounts"]
    s.check(SupervisionStatus, api.get("/v1/supervision", supervisor["token"]))

    # Operations: health, and a participant's tokens rotated, reissued and revoked.
    s.check(Liveness, api.get("/livez"))
    s.check(Readiness, api.get("/readyz"))
    someone = api.participant(["holder"])
    s.check(NewToken, api.ok("/v1/tokens/rotation", None, someone["token"]))
    s.check(NewToken, api.ok(f"/v1/participants/{someone['id']}/tokens", None, api.operator))
    s.check(
        TokenRevocation,
        api.ok(f"/v1/participants/{someone['id']}/token-revocation", {"reason": "drill"}, api.operator),
    )

    assert {model for model, _ in s.bodies} == set(ROUTE_MODELS)
    # Each model refuses a body that lacks a required field.
    for model, body in s.bodies:
        name, field = next((n, f) for n, f in model.model_fields.items() if f.is_required())
        key = field.alias or name
        with pytest.raises(ValidationError) as refused:
            model.model_validate({k: v for k, v in body.items() if k != key})
        assert refused.value.errors()[0]["type"] == "missing", (model.__name__, key)


def test_models__refuse_a_participant_without_its_address() -> None:
    body = {
        "id": "par_1",
        "name": "Tianfu Food Co.",
        "kind": "organisation",
        "roles": ["project_owner"],
        "custody": "keystore",
        "chain_status": "active",
        "created_at": "2025-01-01T00:00:00+00:00",
    }
    with pytest.raises(ValidationError) as refused:
        ParticipantOut.model_validate(body)
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [(("address",), "missing")]
    ParticipantOut.model_validate({**body, "address": "0x" + "ab" * 20})


def test_errors__documents_the_statuses_with_the_envelope() -> None:
    documented = errors(401, 403, 409)
    assert list(documented) == [401, 403, 409]
    assert all(entry["model"] is ErrorEnvelope and entry["description"] for entry in documented.values())
    with pytest.raises(ValueError, match="418"):
        errors(418)


# -- the OpenAPI document -------------------------------------------------------------------------


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    ]


def model_of(schema: dict[str, Any]) -> str | None:
    """The component a response schema names: itself, or the items of a list."""
    ref = schema.get("items", schema).get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def test_openapi__every_operation_names_a_response_model_for_its_success() -> None:
    """Passes once every route declares its ``response_model``: a JSONResponse, or a route
    returning ``dict[str, Any]``, documents nothing a client can be generated from."""
    openapi = TestClient(bare_app()).get("/openapi.json").json()
    ours = {m.__name__ for m in ROUTE_MODELS}
    undocumented = []
    for method, path, operation in operations(openapi):
        successes = [r for code, r in operation["responses"].items() if code.startswith("2")]
        # A page or a document (a certificate's HTML and PDF) names its media type instead.
        if successes and all(set(r.get("content", {})) & DOCUMENT_TYPES for r in successes):
            continue
        schemas = [r.get("content", {}).get("application/json", {}).get("schema", {}) for r in successes]
        if not schemas or not all(model_of(schema) in ours for schema in schemas):
            undocumented.append(f"{method} {path}")
    assert not undocumented, f"operations without a response model: {undocumented}"


def test_openapi__every_4xx_answers_the_error_envelope() -> None:
    openapi = TestClient(bare_app()).get("/openapi.json").json()
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    assert set(openapi["components"]["schemas"]["ErrorEnvelope"]["properties"]) == {"error"}
    assert set(openapi["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message", "details"}
    for method, path, operation in operations(openapi):
        answers = operation["responses"]
        for code, answer in answers.items():
            if code.startswith("4"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == ENVELOPE_REF, (method, path, code)
        if operation.get("security"):
            assert "401" in answers, (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in answers, (method, path)


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def test_openapi__the_api_token_is_a_bearer_security_scheme_of_the_protected_operations() -> None:
    app = bare_app()
    openapi = TestClient(app).get("/openapi.json").json()
    schemes = openapi["components"]["securitySchemes"]
    bearer = [
        name for name, scheme in schemes.items() if (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    ]
    assert len(bearer) == 1
    protected = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and route.include_in_schema
            and (
                _depends_on(route.dependant, current_participant)
                or _depends_on(route.dependant, current_citizen)
            )
        ):
            protected |= {(m, str(context.path)) for m in context.methods or ()}
    assert ("POST", "/v1/transfers") in protected and ("GET", "/v1/supervision") in protected
    assert ("GET", "/v1/points/me") in protected  # a citizen's token is a bearer token too
    for method, path, operation in operations(openapi):
        expected: list[dict[str, list[str]]] | None = (
            [{bearer[0]: []}] if (method, path) in protected else None
        )
        assert operation.get("security") == expected, (method, path)


# -- request ids and unexpected errors ------------------------------------------------------------


def test_unexpected_error__answers_the_envelope_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    app = bare_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO, logger="tanhui.api"):
        response = client.get("/boom", headers={"X-Request-ID": "req-42.a"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "an unexpected error occurred; quote request id req-42.a",
            "details": {"request_id": "req-42.a"},
        }
    }
    assert response.headers["X-Request-ID"] == "req-42.a"
    failures = [r for r in caplog.records if r.name == "tanhui.api" and r.levelno == logging.ERROR]
    assert len(failures) == 1
    (failure,) = failures
    assert failure.request_id == "req-42.a" and "req-42.a" in failure.getMessage()  # type: ignore[attr-defined]
    assert failure.exc_info is not None and failure.exc_info[0] is RuntimeError
    access = [r for r in caplog.records if r.name == "tanhui.api" and r.levelno == logging.INFO]
    assert [(r.request_id, " 500 " in r.getMessage()) for r in access] == [("req-42.a", True)]  # type: ignore[attr-defined]

    # An id that is not a sane token is replaced; the answer quotes the new one.
    response = client.get("/boom", headers={"X-Request-ID": "no spaces; " + "x" * 100})
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert response.json()["error"]["details"] == {"request_id": rid}


def test_request_id__is_echoed_or_made_on_every_answer() -> None:
    client = TestClient(bare_app())
    given = client.get("/openapi.json", headers={"X-Request-ID": "abc-123"})
    assert given.status_code == 200 and given.headers["X-Request-ID"] == "abc-123"
    missing = client.get("/v1/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert re.fullmatch(r"[0-9a-f]{32}", missing.headers["X-Request-ID"])
    assert client.get("/openapi.json").headers["X-Request-ID"] != missing.headers["X-Request-ID"]


# -- Swagger UI from our own server -----------------------------------------------------------------


def test_docs__load_swagger_ui_from_our_server() -> None:
    client = TestClient(bare_app())
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for cdn in ("cdn.jsdelivr", "unpkg", "http://", "https://"):
        assert cdn not in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/static/swagger-ui/") for url in urls), urls
    kinds = {"js": "javascript", "css": "text/css", "png": "image/png"}
    assert {url.rsplit(".", 1)[1] for url in urls} == set(kinds)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert kinds[url.rsplit(".", 1)[1]] in asset.headers["content-type"], url
    assert "SwaggerUIBundle" in client.get("/static/swagger-ui/swagger-ui-bundle.js").text
    # Only the files the page loads: not the rest of the npm package.
    assert client.get("/static/swagger-ui/package.json").status_code == 404
    assert client.get("/static/swagger-ui/../package.json").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 200
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code == 307 and redoc.headers["location"] == "/docs"


def test_docs__without_swagger_ui_installed_say_to_run_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.app, "SWAGGER_UI_DIR", tmp_path / "swagger-ui-dist")
    client = TestClient(bare_app())
    page = client.get("/docs")
    assert page.status_code == 503
    error = page.json()["error"]
    assert error["code"] == "docs_unavailable" and "scripts/setup" in error["message"]
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_responses_module__names_every_route_model_in_its_table() -> None:
    table = responses.__doc__ or ""
    for model in ROUTE_MODELS:
        assert re.search(rf"\b{model.__name__}\b", table), model.__name__
        assert model.__doc__, model.__name__
