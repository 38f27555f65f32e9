"""Who may call what: every route of the app is either public or needs a valid API token, and
the routes of a role refuse every other role. Ownership: a participant acts only on its own
projects, sees only itself, and a verifier never verifies its own project.

The routes are enumerated from ``app.routes``: a new route fails
``test_routes__each_is_public_or_protected_with_its_roles`` until it is listed below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from eth_account import Account
from pydantic import TypeAdapter
from sqlalchemy import select, update

from api.responses import (
    BandsOut,
    BatchDetail,
    BatchOut,
    CatalogueEntry,
    ClaimOut,
    CreditRequestOut,
    DisclosureOut,
    ErrorEnvelope,
    FootprintCalculation,
    FootprintCatalogueEntry,
    HaltOut,
    Health,
    HoldingOut,
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
    PointsEpochOut,
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
)
from api.routers.champions import CampaignOut, CitizenProfile, Leaderboard
from api.routers.feed import FeedPage, WebhookCreated, WebhookOut
from api.routers.mall import ExpiryOut, ItemOut, MerchantOut, RedemptionOut, StatementOut, VoucherOut
from api.routers.scenes import AssessmentOut, SceneOut, StandardOut
from chain.signers import LocalSigner
from registry.clock import now
from registry.mall import MallVoucher
from registry.models import ApiToken, Participant
from registry.runtime import Runtime
from tests.api.conftest import BOILER_NET_KG, Api
from tests.api.test_bad_input import (
    CITIZEN_BODIES,
    PATH_SAMPLES,
    ROLES,
    VALID_BODIES,
    Endpoint,
    app_endpoints,
    endpoints,
    everyone,
    footprint,
    refuse,
    written,
)
from tests.api.test_hostile_chain import fund
from tests.api.test_points import METRO_GRAMS, METRO_POINTS
from tests.api.test_retries import failed_issuance, failed_registration
from tests.api.test_withdrawal import pause_credits

PUBLIC = {
    ("GET", "/v1/health"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/batches/{batch_id}"),
    ("GET", "/v1/retirements"),
    ("GET", "/v1/retirements/{certificate_id}"),
    ("GET", "/v1/methodologies"),
    ("GET", "/v1/methodologies/catalogue"),
    ("GET", "/v1/methodologies/{methodology_id}"),
    ("GET", "/v1/footprints/catalogue"),
    ("POST", "/v1/footprints/calculate"),
    ("GET", "/v1/claims"),
    ("GET", "/v1/claims/{claim_id}"),
    ("GET", "/v1/claims/{claim_id}/certificate"),
    ("GET", "/v1/claims/{claim_id}/certificate.pdf"),
    ("GET", "/v1/points/epochs"),
    ("GET", "/v1/points/epochs/{epoch}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/v1/listings"),
    ("GET", "/v1/listings/{listing_id}"),
    ("GET", "/v1/trades"),
    ("GET", "/v1/trades/{trade_id}"),
    ("GET", "/v1/market/days"),
    ("GET", "/v1/market/bands"),
    ("GET", "/v1/market/halts"),
    ("GET", "/v1/feed"),
    ("GET", "/v1/mall/merchants"),
    ("GET", "/v1/mall/items"),
    ("GET", "/v1/mall/items/{item_id}"),
    ("GET", "/v1/scene-standards"),
    ("GET", "/v1/scenes"),
    ("GET", "/v1/scenes/{scene_id}"),
    ("GET", "/v1/leaderboard"),
    # The public explorer (HTML, not in the OpenAPI document).
    ("GET", "/"),
    ("GET", "/methodologies"),
    ("GET", "/projects"),
    ("GET", "/projects/{project_id}"),
    ("GET", "/batches/{batch_id}"),
    ("GET", "/certificates/{certificate_id}"),
    ("GET", "/certificates/{certificate_id}.pdf"),
    ("GET", "/claims"),
    ("GET", "/claims/{claim_id}"),
    ("GET", "/market"),
    ("GET", "/points"),
    ("GET", "/accounts/{address}"),
    ("GET", "/search"),
    ("GET", "/v1/campaigns"),
}

ANY: frozenset[str] = frozenset()  # any authenticated participant
# Every protected route and the roles it admits (ANY: a token of any participant).
PROTECTED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/participants"): frozenset({"registrar"}),
    ("GET", "/v1/participants"): frozenset({"registrar"}),
    ("GET", "/v1/participants/me"): ANY,
    ("GET", "/v1/participants/{participant_id}"): ANY,  # itself or the registrar: see below
    ("POST", "/v1/tokens/rotation"): ANY,  # its own token
    ("POST", "/v1/participants/{participant_id}/token-revocation"): frozenset({"registrar", "supervisor"}),
    ("POST", "/v1/participants/{participant_id}/tokens"): frozenset({"registrar"}),
    ("POST", "/v1/participants/{participant_id}/registration/retry"): frozenset({"registrar"}),
    # The registrar, or the verifier that approved the report: see tests/api/test_retries.py
    ("POST", "/v1/reports/{report_id}/issuance/retry"): frozenset({"registrar", "verifier"}),
    ("POST", "/v1/methodologies"): frozenset({"registrar", "project_owner"}),
    ("POST", "/v1/methodologies/declarative"): frozenset({"registrar", "project_owner"}),
    ("POST", "/v1/methodologies/declarative/check"): frozenset({"registrar", "project_owner"}),
    ("POST", "/v1/methodologies/{methodology_id}/reviews"): frozenset({"committee"}),
    ("POST", "/v1/points/partners"): frozenset({"registrar"}),
    ("POST", "/v1/points/citizens"): frozenset({"registrar"}),
    ("POST", "/v1/points/epochs"): frozenset({"registrar"}),
    ("POST", "/v1/claims"): ANY,  # by subject: see registry/claims.py and tests/api/test_claims.py
    ("POST", "/v1/claims/{claim_id}/footprint"): ANY,  # the claimant's own
    ("POST", "/v1/claims/{claim_id}/verifications"): frozenset({"verifier"}),
    ("POST", "/v1/claims/{claim_id}/close"): ANY,  # the claimant's own
    ("POST", "/v1/projects"): frozenset({"project_owner"}),
    ("GET", "/v1/projects"): ANY,
    ("GET", "/v1/projects/{project_id}"): ANY,
    ("POST", "/v1/projects/{project_id}/documents"): frozenset({"project_owner"}),
    ("POST", "/v1/projects/{project_id}/submit"): frozenset({"project_owner"}),
    ("POST", "/v1/projects/{project_id}/reviews"): frozenset({"registrar"}),
    ("POST", "/v1/projects/{project_id}/reports"): frozenset({"project_owner"}),
    ("GET", "/v1/projects/{project_id}/reports"): ANY,
    ("GET", "/v1/reports/{report_id}"): ANY,
    ("POST", "/v1/reports/{report_id}/verifications"): frozenset({"verifier"}),
    ("POST", "/v1/reports/{report_id}/withdrawal"): frozenset({"verifier", "supervisor"}),
    ("GET", "/v1/holdings"): ANY,
    ("POST", "/v1/transfers"): frozenset({"holder", "project_owner"}),
    ("POST", "/v1/retirements"): frozenset({"holder", "project_owner"}),
    ("GET", "/v1/credit-requests/{request_id}"): ANY,  # the requester or the registrar: see below
    ("GET", "/v1/operations/{operation_id}"): ANY,
    ("POST", "/v1/transactions/drafts"): frozenset({"holder", "project_owner"}),  # keeping its own key
    ("POST", "/v1/transactions"): frozenset({"holder", "project_owner"}),  # keeping its own key
    ("GET", "/v1/transactions/{operation_id}"): frozenset(
        {"holder", "project_owner", "registrar", "supervisor"}
    ),
    ("GET", "/v1/supervision"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/accounts/{participant_id}/freeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/accounts/{participant_id}/unfreeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/batches/{batch_id}/freeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/batches/{batch_id}/unfreeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/invalidations"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/pause"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/unpause"): frozenset({"supervisor"}),
    ("POST", "/v1/listings"): ANY,  # its own credits
    ("POST", "/v1/listings/{listing_id}/cancellation"): ANY,  # its own, or the exchange or a supervisor
    ("POST", "/v1/trades"): frozenset({"exchange"}),
    ("GET", "/v1/trade-instructions/{reference}"): frozenset({"exchange"}),
    ("POST", "/v1/exchange/statements"): frozenset({"exchange"}),
    ("POST", "/v1/market/reference-prices"): frozenset({"registrar"}),
    ("POST", "/v1/market/halts"): frozenset({"supervisor"}),
    ("POST", "/v1/market/bands"): frozenset({"registrar", "exchange", "supervisor"}),
    ("GET", "/v1/accounting/journal"): ANY,  # its own
    ("GET", "/v1/accounting/disclosure"): ANY,  # its own
    ("POST", "/v1/webhooks"): frozenset({"exchange", "supervisor"}),
    ("GET", "/v1/webhooks"): frozenset({"exchange", "supervisor"}),  # its own
    ("DELETE", "/v1/webhooks/{webhook_id}"): frozenset({"exchange", "supervisor"}),  # its own
    ("POST", "/v1/mall/merchants"): frozenset({"registrar"}),
    ("POST", "/v1/mall/items"): frozenset({"merchant"}),  # an approved merchant
    ("PATCH", "/v1/mall/items/{item_id}"): frozenset({"merchant"}),  # its own item
    ("POST", "/v1/mall/vouchers/confirm"): frozenset({"merchant"}),  # its own vouchers
    ("POST", "/v1/mall/vouchers/expiry"): frozenset({"registrar"}),
    ("GET", "/v1/mall/statements/{month}"): frozenset({"merchant"}),  # its own
    ("POST", "/v1/scenes"): frozenset({"registrar", "association"}),
    ("POST", "/v1/scenes/{scene_id}/assessments"): frozenset({"association"}),
    ("POST", "/v1/scenes/{scene_id}/revocation"): frozenset({"registrar", "association"}),
    ("POST", "/v1/campaigns"): frozenset({"registrar"}),
}


def call(api: Api, endpoint: Endpoint, authorization: str | None, body: Any = None) -> httpx.Response:
    """`endpoint` with sample path ids, the given Authorization header and JSON body."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    response: httpx.Response = api.http.request(endpoint.method, endpoint.url, json=body, headers=headers)
    return response


# Routes a data partner signs (X-Tanhui-Partner, X-Tanhui-Signature), and a citizen's own
# (its citizen token): tests/api/test_points.py refuses them unsigned and without the token.
PARTNER_SIGNED = {("POST", "/v1/points/acts"), ("GET", "/v1/points/rejections")}
CITIZEN_OWN = {
    ("GET", "/v1/points/me"),
    ("POST", "/v1/points/me/close"),
    ("GET", "/v1/points/proofs/{citizen_id}"),
    ("POST", "/v1/mall/redemptions"),
    ("GET", "/v1/mall/vouchers"),
    ("GET", "/v1/points/me/profile"),
    ("POST", "/v1/points/me/profile"),
}


# The supervisors' dashboard: signed in with a supervisor's token kept in a cookie (a sign-in page
# for visitors, 403 for other roles, a CSRF token in every form): tests/api/test_dashboard.py.
DASHBOARD = {
    ("GET", "/supervision"),
    ("POST", "/supervision/session"),
    ("POST", "/supervision/sign-out"),
    ("POST", "/supervision/actions"),
    ("POST", "/supervision/reconcile"),
}


def protected(api: Api) -> list[Endpoint]:
    return [
        e for e in endpoints(api.http.app) if e.key not in PUBLIC | PARTNER_SIGNED | CITIZEN_OWN | DASHBOARD
    ]


def test_routes__each_is_public_or_protected_with_its_roles() -> None:
    found = {e.key for e in app_endpoints()}
    assert not PUBLIC & set(PROTECTED)
    assert found - PUBLIC - PARTNER_SIGNED - CITIZEN_OWN - DASHBOARD == set(PROTECTED), (
        "list a new route in PUBLIC or PROTECTED"
    )
    assert PUBLIC | PARTNER_SIGNED | CITIZEN_OWN | DASHBOARD <= found
    # The citizen's routes with a body are sent one with the citizen's token in test_bad_input.
    assert {e.key for e in app_endpoints() if e.takes_body} & CITIZEN_OWN == CITIZEN_BODIES


# -- no valid token: 401 -------------------------------------------------------------------------

CREDENTIALS = {
    "no Authorization header": None,
    "another scheme": "Basic dXNlcjpwYXNzd29yZA==",
    "a bearer scheme without a token": "Bearer",
    "an empty bearer token": "Bearer    ",
    "a malformed bearer token": "Bearer not a token at all",
    "an unknown token": "Bearer th_" + "A" * 43,
}


def test_protected_routes__refuse_a_request_without_a_valid_token(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    # A revoked token of a participant with every role.
    revoked = api.participant(list(ROLES))
    with runtime.db.transaction() as session:
        participant_id = session.execute(
            select(Participant.id).where(Participant.public_id == revoked["id"])
        ).scalar_one()
        session.execute(
            update(ApiToken).where(ApiToken.participant_id == participant_id).values(revoked_at=now())
        )
    credentials = {**CREDENTIALS, "a revoked token": f"Bearer {revoked['token']}"}
    before = footprint(runtime)
    for name, authorization in credentials.items():
        for endpoint in protected(api):
            with subtests.test(f"{name}: {endpoint}"):
                response = call(api, endpoint, authorization, VALID_BODIES.get(endpoint.key))
                assert response.status_code == 401, response.text
                assert response.json()["error"]["code"] == "unauthenticated"
    assert written(before, footprint(runtime)) == {}


def test_citizen_routes__refuse_a_request_without_a_citizens_token(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    # A participant's token is not a citizen's, nor is a closed citizen account's.
    closed = api.ok("/v1/points/citizens", None, api.operator)
    api.ok("/v1/points/me/close", None, closed["token"], expect=200)
    credentials = {
        **CREDENTIALS,
        "a participant's token": f"Bearer {everyone(api)['token']}",
        "a closed citizen account's token": f"Bearer {closed['token']}",
    }
    before = footprint(runtime)
    for name, authorization in credentials.items():
        for endpoint in endpoints(api.http.app):
            if endpoint.key not in CITIZEN_OWN:
                continue
            with subtests.test(f"{name}: {endpoint}"):
                response = call(api, endpoint, authorization, VALID_BODIES.get(endpoint.key))
                assert response.status_code == 401, response.text
                assert response.json()["error"]["code"] == "unauthenticated"
    assert written(before, footprint(runtime)) == {}


def test_citizen_routes__answer_the_citizen_with_the_real_answer(api: Api) -> None:
    _, item, citizen = _mall(api)
    token = citizen["token"]
    redemption = api.ok("/v1/mall/redemptions", {"item_id": item["id"]}, token)
    _validate(RedemptionOut, redemption)
    assert (redemption["item_id"], redemption["merchant"], redemption["points"], redemption["status"]) == (
        item["id"],
        "Jinli Tea House",
        MALL_PRICE,
        "issued",
    ), redemption
    assert redemption["balance"] == METRO_POINTS - MALL_PRICE and redemption["code"], redemption
    vouchers = api.get("/v1/mall/vouchers", token)
    _validate(TypeAdapter(list[VoucherOut]), vouchers)
    shown = {k: v for k, v in redemption.items() if k not in ("code", "balance")}
    assert vouchers == [shown], vouchers
    profile = api.get("/v1/points/me/profile", token)
    _validate(CitizenProfile, profile)
    assert (profile["id"], profile["display_name"], profile["leaderboard"]) == (citizen["id"], None, True)
    named = api.ok("/v1/points/me/profile", {"display_name": "Green commuter"}, token, expect=200)
    _validate(CitizenProfile, named)
    assert named == {**profile, "display_name": "Green commuter", "shown_as": "Green commuter"}, named
    assert api.get("/v1/points/me/profile", token) == named


# -- the wrong role: 403 ---------------------------------------------------------------------------


def test_role_routes__forbid_participants_without_the_role(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    bearers = {role: f"Bearer {api.participant([role])['token']}" for role in ROLES}
    before = footprint(runtime)
    for role, bearer in bearers.items():
        for endpoint in protected(api):
            roles = PROTECTED[endpoint.key]
            if not roles or role in roles:
                continue
            with subtests.test(f"{role}: {endpoint}"):
                # Even with a valid body: the role is checked first.
                response = call(api, endpoint, bearer, VALID_BODIES.get(endpoint.key))
                assert response.status_code == 403, response.text
                error = response.json()["error"]
                assert error["code"] == "forbidden"
                assert set(error["details"]["needed"]) == roles
    assert written(before, footprint(runtime)) == {}


# -- the right role: the route's real answer -------------------------------------------------------


@dataclass
class Request:
    """One call of a route on real resources, and what it must answer."""

    path: str  # the concrete path
    token: str
    status: int
    model: Any  # a pydantic model or a TypeAdapter of the documented response (api/responses.py)
    body: Any = None
    check: Callable[[Any], None] = field(default=lambda data: None)


def _validate(model: Any, data: Any) -> Any:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    return adapter.validate_python(data)


def _holder_with_credits(api: Api, amount_kg: int = 5000) -> tuple[int, dict[str, Any]]:
    """A batch and a participant with only the holder role holding `amount_kg` of it."""
    batch_id, owner, _ = api.issued_batch()
    holder = api.participant(["holder"])
    api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": amount_kg}, owner["token"]
    )
    return batch_id, holder


def _self_custody_request(api: Api, runtime: Runtime, key: tuple[str, str], role: str) -> Request:
    """The self-custody routes, for a participant with `role` that keeps its own key (or, for the
    registrar and a supervisor, another's submitted transaction)."""
    signer = LocalSigner(Account.create())
    fund(runtime, signer.address)
    holder_role = role if role in ("holder", "project_owner") else "holder"
    holder = api.participant([holder_role], address=signer.address)
    batch_id, owner, _ = api.issued_batch()
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 1000}, owner["token"])
    to = api.participant(["holder"])
    body = {"action": "transfer", "batch_id": batch_id, "to": to["id"], "amount_kg": 1000}

    def drafted(d: Any) -> None:
        assert (d["action"], d["function"], d["sender"]) == (
            "transfer",
            "safeTransferFrom",
            signer.address,
        ), d
        assert d["transaction"]["nonce"] == runtime.client.next_nonce(signer.address), d

    if key == ("POST", "/v1/transactions/drafts"):
        return Request(key[1], holder["token"], 200, TransactionDraft, body, drafted)
    draft = api.post("/v1/transactions/drafts", body, holder["token"], expect=200).json()
    raw = "0x" + signer.sign({k: v for k, v in draft["transaction"].items() if k != "from"}).hex()

    def submitted(x: Any) -> None:
        assert (x["action"], x["status"], x["sender"]) == ("transfer", "confirmed", signer.address), x
        assert x["credit_request"]["amount_kg"] == 1000 and x["operation"]["status"] == "confirmed", x

    if key == ("POST", "/v1/transactions"):
        return Request(key[1], holder["token"], 201, Submission, {"raw": raw}, submitted)
    done = api.ok("/v1/transactions", {"raw": raw}, holder["token"])
    viewer = holder["token"] if role == holder_role else api.participant([role])["token"]
    return Request(f"/v1/transactions/{done['id']}", viewer, 200, Submission, check=lambda x: _equal(x, done))


def _recorded_unissued_report(api: Api, runtime: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report approved and recorded on chain but not issued (credits paused): (report, verifier)."""
    api.published_methodology_once()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    report = api.report(api.registered_project(owner), owner)
    pause_credits(runtime, True)
    api.post(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
        expect=409,
    )
    return report, verifier


REFERENCE_FEN = 6_000  # 60.00 yuan per tonne: the band of a listed trade is [5400, 6600]


def _market_batch(api: Api) -> tuple[int, dict[str, Any]]:
    """One batch (and its owner) that the market's routes share within a test, with a reference
    price of its project type so that it can be traded today: issuing a batch for each role and
    route would take most of the test's time."""
    shared: tuple[int, dict[str, Any]] | None = getattr(api, "_market_batch", None)
    if shared is None:
        batch_id, owner, _ = api.issued_batch()
        api.ok(
            "/v1/market/reference-prices",
            {"project_type": "energy-substitution", "price_fen_per_t": REFERENCE_FEN},
            api.operator,
        )
        shared = (batch_id, owner)
        setattr(api, "_market_batch", shared)  # noqa: B010 - a cache on the test's client
    return shared


def _listed(api: Api, seller: dict[str, Any] | None = None, amount_kg: int = 5000) -> dict[str, Any]:
    """A listing of `amount_kg` of the market's batch by `seller` (given the credits), or by the
    batch's owner."""
    batch_id, owner = _market_batch(api)
    if seller is None:
        seller = owner
    else:
        api.ok(
            "/v1/transfers",
            {"batch_id": batch_id, "to": seller["id"], "amount_kg": amount_kg},
            owner["token"],
        )
    r = api.ok("/v1/listings", {"batch_id": batch_id, "amount_kg": amount_kg}, seller["token"])
    assert r["status"] == "confirmed", r
    listing: dict[str, Any] = r["listing"]
    return listing


def _traded(
    api: Api, exchange: dict[str, Any], buyer: dict[str, Any], amount_kg: int = 2000
) -> dict[str, Any]:
    """`exchange` settles `amount_kg` of a new listing to `buyer`: the settled instruction."""
    listing = _listed(api)
    body = {
        "reference": f"AUTH-{listing['listing_id']}",
        "listing_id": listing["listing_id"],
        "buyer": buyer["id"],
        "amount_kg": amount_kg,
        "price_fen_per_t": REFERENCE_FEN,
    }
    instruction = api.ok("/v1/trades", body, exchange["token"])
    assert instruction["status"] == "settled", instruction
    return instruction


MALL_PRICE = 10  # points: the shared citizen's ride (58 points) pays for five vouchers


def _mall(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One approved merchant, an item of it and a citizen with points (a metro ride), that the
    mall's routes share within a test: (merchant, item, citizen)."""
    shared: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None = getattr(api, "_mall", None)
    if shared is None:
        merchant = api.participant(["merchant"])
        api.ok(
            "/v1/mall/merchants",
            {"participant_id": merchant["id"], "display_name": "Jinli Tea House"},
            api.operator,
        )
        body = {**VALID_BODIES[("POST", "/v1/mall/items")], "points_price": MALL_PRICE, "stock": 100}
        item = api.ok("/v1/mall/items", body, merchant["token"])
        shared = (merchant, item, points_day(api))
        setattr(api, "_mall", shared)  # noqa: B010 - a cache on the test's client
    return shared


def _voucher(api: Api) -> dict[str, Any]:
    """The shared citizen redeems the shared item: the redemption, with its code."""
    _, item, citizen = _mall(api)
    redemption = api.ok("/v1/mall/redemptions", {"item_id": item["id"]}, citizen["token"])
    assert redemption["status"] == "issued", redemption
    return redemption


def _scene(api: Api) -> dict[str, Any]:
    """A restaurant registered by the registrar (VALID_BODIES)."""
    return api.ok("/v1/scenes", VALID_BODIES[("POST", "/v1/scenes")], api.operator)


def _certified_scene(api: Api, association: dict[str, Any]) -> dict[str, Any]:
    """A restaurant that `association` assessed and certified (on chain): the scene."""
    scene = _scene(api)
    assessed = api.ok(
        f"/v1/scenes/{scene['id']}/assessments",
        VALID_BODIES[("POST", "/v1/scenes/{scene_id}/assessments")],
        association["token"],
    )
    assert assessed["passed"] and assessed["scene"]["status"] == "certified", assessed
    certified: dict[str, Any] = assessed["scene"]
    return certified


def _kg(tonnes: str) -> int:
    whole, _, grams = tonnes.partition(".")
    return int(whole) * 1000 + int(grams)


def _statement_of_the_registry(api: Api, day: str) -> dict[str, Any]:
    """What an exchange in step with the registry states for `day`: the day's trades and the
    escrow of every open listing, from the public order book and trades."""
    trades = api.get(f"/v1/trades?day={day}&limit=1000")
    listings = api.get("/v1/listings?limit=1000")
    return {
        "day": day,
        "trades": [
            {
                "reference": t["reference"],
                "listing_id": t["listing_id"],
                "buyer": t["buyer"],
                "amount_kg": _kg(t["amount_t"]),
                "price_fen_per_t": t["price_fen_per_t"],
            }
            for t in trades
        ],
        "escrow": [{"listing_id": x["listing_id"], "remaining_kg": _kg(x["remaining_t"])} for x in listings],
    }


def admitted_request(api: Api, runtime: Runtime, key: tuple[str, str], role: str) -> Request:
    """Builds the resources the route acts on, owned by a new participant with `role`."""
    api.published_methodology_once()  # TH-ES-001: what a project needs
    actor = api.participant([role])
    token = actor["token"]
    method, path = key
    body = VALID_BODIES.get(key)

    if path == "/v1/participants" and method == "POST":

        def registered(p: Any) -> None:
            assert p["name"] == "Acme" and p["roles"] == ["holder"] and p["token"]

        return Request(path, token, 201, RegisteredParticipant, body, registered)
    if path == "/v1/participants":
        return Request(
            path, token, 200, TypeAdapter(list[ParticipantOut]), check=lambda ps: actor["id"] in _ids(ps)
        )
    if path == "/v1/participants/me":
        return Request(path, token, 200, ParticipantWithHoldings, check=lambda p: _is(p, actor["id"]))
    if path == "/v1/participants/{participant_id}":
        # Itself (another participant is refused: test_participant__another_participant_cannot_see_it).
        return Request(
            f"/v1/participants/{actor['id']}",
            token,
            200,
            ParticipantWithHoldings,
            check=lambda p: _is(p, actor["id"]),
        )
    if path == "/v1/tokens/rotation":

        def rotated(t: Any) -> None:
            assert t["participant"] == actor["id"] and t["token"] not in (token, ""), t

        return Request(path, token, 201, NewToken, None, rotated)
    if path == "/v1/participants/{participant_id}/token-revocation":
        target = api.participant(["holder"])

        def revoked(r: Any) -> None:
            assert (r["participant"], r["revoked"], r["reason"]) == (target["id"], 1, body["reason"]), r

        return Request(path.format(participant_id=target["id"]), token, 201, TokenRevocation, body, revoked)
    if path == "/v1/participants/{participant_id}/tokens":
        target = api.participant(["holder"])
        return Request(
            path.format(participant_id=target["id"]),
            token,
            201,
            NewToken,
            check=lambda t: _equal(t["participant"], target["id"]),
        )
    if path == "/v1/participants/{participant_id}/registration/retry":
        failed = failed_registration(api, runtime, ["holder"])
        return Request(
            path.format(participant_id=failed["id"]),
            token,
            201,
            ParticipantOut,
            check=lambda p: _equal((p["id"], p["chain_status"]), (failed["id"], "active")),
        )
    if path == "/v1/reports/{report_id}/issuance/retry":
        report, approving = failed_issuance(api, runtime)
        return Request(
            path.format(report_id=report["id"]),
            approving["token"] if role == "verifier" else token,
            201,
            ReportOut,
            check=lambda r: _equal((r["id"], r["status"]), (report["id"], "issued")),
        )
    if path == "/v1/methodologies" and method == "POST":
        # A version nobody proposed yet (proposing one twice is refused with 409).
        code = {"registrar": "TH-ES-002", "project_owner": "TH-EC-002"}[role]

        def proposed(m: Any) -> None:
            assert (m["code"], m["version"], m["status"]) == (code, 1, "proposed")

        return Request(path, token, 201, MethodologyOut, {"code": code, "version": 1}, proposed)
    if path == "/v1/methodologies/declarative":
        # Each role its own code (proposing one twice is refused with 409).
        spec = {**body["spec"], "code": {"registrar": "TH-XP-101", "project_owner": "TH-XP-102"}[role]}

        def declared(m: Any) -> None:
            assert (m["code"], m["kind"], m["status"]) == (spec["code"], "declarative", "proposed")

        return Request(path, token, 201, MethodologyOut, {"spec": spec}, declared)
    if path == "/v1/methodologies/declarative/check":

        def checked(out: Any) -> None:
            assert out["acceptable"] is True and out["problems"] == []

        return Request(path, token, 200, ProposalCheckOut, body, checked)
    if path == "/v1/points/partners":
        return Request(path, token, 201, RegisteredPartner, body, lambda p: _equal(p["scenes"], ["metro"]))
    if path == "/v1/points/citizens":
        return Request(path, token, 201, RegisteredCitizen, None, lambda c: _equal(c["id"][:4], "ctz_"))
    if path == "/v1/points/epochs":
        points_day(api)
        return Request(
            path, token, 201, PointsEpochOut, body, lambda e: _equal((e["epoch"], e["leaf_count"]), (1, 1))
        )
    if path == "/v1/claims" and method == "POST":

        def registered(c: Any) -> None:
            assert (c["status"], c["claimant"], c["kind"]) == ("registered", actor["id"], "organisation")

        return Request(path, token, 201, ClaimOut, body, registered)
    if path == "/v1/claims/{claim_id}/footprint":
        claim = api.ok("/v1/claims", VALID_BODIES[("POST", "/v1/claims")], token)
        return Request(
            f"/v1/claims/{claim['id']}/footprint",
            token,
            201,
            ClaimOut,
            body,
            lambda c: _status(c, "footprinted"),
        )
    if path == "/v1/claims/{claim_id}/verifications":
        claimant = api.participant(["holder"])
        claim = api.ok("/v1/claims", VALID_BODIES[("POST", "/v1/claims")], claimant["token"])
        api.ok(
            f"/v1/claims/{claim['id']}/footprint",
            VALID_BODIES[("POST", "/v1/claims/{claim_id}/footprint")],
            claimant["token"],
        )
        return Request(
            f"/v1/claims/{claim['id']}/verifications",
            token,
            201,
            ClaimOut,
            body,
            lambda c: _status(c, "verified"),
        )
    if path == "/v1/claims/{claim_id}/close":
        batch_id, owner, verifier = api.issued_batch()
        claim = api.ok("/v1/claims", VALID_BODIES[("POST", "/v1/claims")], token)
        claim = api.ok(
            f"/v1/claims/{claim['id']}/footprint",
            VALID_BODIES[("POST", "/v1/claims/{claim_id}/footprint")],
            token,
        )
        api.ok(
            f"/v1/claims/{claim['id']}/verifications",
            {"decision": "approve", "reason": "ok"},
            verifier["token"],
        )
        api.ok(  # anyone may retire against a claim: here the owner of the credits
            "/v1/retirements",
            {
                "batch_id": batch_id,
                "amount_kg": claim["required_kg"],
                "beneficiary": actor["id"],
                "purpose": "organisation_neutrality",
                "event_id": claim["id"],
            },
            owner["token"],
        )
        return Request(
            f"/v1/claims/{claim['id']}/close", token, 201, ClaimOut, None, lambda c: _status(c, "neutral")
        )
    if path == "/v1/methodologies/{methodology_id}/reviews":
        m = api.ok("/v1/methodologies", {"code": "TH-EC-001", "version": 1}, api.operator)

        def reviewed(out: Any) -> None:
            assert out["id"] == m["id"] and [r["decision"] for r in out["reviews"]] == ["approve"]

        return Request(f"/v1/methodologies/{m['id']}/reviews", token, 201, MethodologyOut, body, reviewed)
    if path == "/v1/projects" and method == "POST":
        return Request(
            path, token, 201, ProjectOut, body, lambda p: _status(p, "draft") and _name(p, "Boiler swap")
        )
    if path == "/v1/projects":
        # Any participant sees every project.
        owner = actor if role == "project_owner" else api.participant(["project_owner"])
        project = api.draft_project(owner)

        def listed(ps: Any) -> None:
            assert project in ps, ps

        return Request(path, token, 200, TypeAdapter(list[ProjectOut]), check=listed)
    if path == "/v1/projects/{project_id}":
        owner = actor if role == "project_owner" else api.participant(["project_owner"])
        project = api.draft_project(owner)
        return Request(
            f"/v1/projects/{project['id']}", token, 200, ProjectOut, check=lambda p: _is(p, project["id"])
        )
    if path == "/v1/projects/{project_id}/documents":
        project = api.draft_project(actor)

        def documented(p: Any) -> None:
            assert p["id"] == project["id"] and [d["filename"] for d in p["documents"]] == ["pdd.txt"]

        return Request(f"/v1/projects/{project['id']}/documents", token, 201, ProjectOut, body, documented)
    if path == "/v1/projects/{project_id}/submit":
        project = api.draft_project(actor)
        api.ok(
            f"/v1/projects/{project['id']}/documents",
            VALID_BODIES[(method, path.replace("submit", "documents"))],
            token,
        )
        return Request(
            f"/v1/projects/{project['id']}/submit",
            token,
            201,
            ProjectOut,
            check=lambda p: _status(p, "submitted"),
        )
    if path == "/v1/projects/{project_id}/reviews":
        api.published_methodology_once()
        owner = api.participant(["project_owner"])
        project = api.draft_project(owner)
        api.ok(
            f"/v1/projects/{project['id']}/documents",
            VALID_BODIES[(method, path.replace("reviews", "documents"))],
            owner["token"],
        )
        api.ok(f"/v1/projects/{project['id']}/submit", None, owner["token"])
        return Request(
            f"/v1/projects/{project['id']}/reviews",
            token,
            201,
            ProjectOut,
            body,
            lambda p: _status(p, "registered"),
        )
    if path == "/v1/projects/{project_id}/reports" and method == "POST":
        api.published_methodology_once()
        project = api.registered_project(actor)

        def submitted(r: Any) -> None:
            assert r["status"] == "submitted" and r["quantification"]["net_kg"] == BOILER_NET_KG

        return Request(f"/v1/projects/{project['id']}/reports", token, 201, ReportOut, body, submitted)
    if path == "/v1/projects/{project_id}/reports":
        api.published_methodology_once()
        owner = actor if role == "project_owner" else api.participant(["project_owner"])
        project = api.registered_project(owner)
        report = api.report(project, owner)
        return Request(
            f"/v1/projects/{project['id']}/reports",
            token,
            200,
            TypeAdapter(list[ReportOut]),
            check=lambda rs: _ids_in([report["id"]], rs),
        )
    if path == "/v1/reports/{report_id}":
        api.published_methodology_once()
        owner = actor if role == "project_owner" else api.participant(["project_owner"])
        report = api.report(api.registered_project(owner), owner)
        return Request(
            f"/v1/reports/{report['id']}", token, 200, ReportOut, check=lambda r: _is(r, report["id"])
        )
    if path == "/v1/reports/{report_id}/verifications":
        api.published_methodology_once()
        owner = api.participant(["project_owner"])
        report = api.report(api.registered_project(owner), owner)

        def issued(r: Any) -> None:
            assert r["id"] == report["id"] and r["status"] == "issued" and r["batch_id"]

        return Request(f"/v1/reports/{report['id']}/verifications", token, 201, ReportOut, body, issued)
    if path == "/v1/reports/{report_id}/withdrawal":
        report, verifier = _recorded_unissued_report(api, runtime)
        # Its verifier, or any supervisor.
        by = verifier["token"] if role == "verifier" else token
        return Request(
            f"/v1/reports/{report['id']}/withdrawal",
            by,
            201,
            ReportOut,
            body,
            lambda r: _status(r, "withdrawn"),
        )
    if path == "/v1/holdings":
        if role in ("holder", "project_owner"):
            batch_id, owner, _ = api.issued_batch()
            holder = actor
            api.ok(
                "/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 1234}, owner["token"]
            )
            expected = [{"batch_id": batch_id, "amount_kg": 1234, "amount_t": "1.234"}]
        else:
            expected = []
        return Request(path, token, 200, TypeAdapter(list[HoldingOut]), check=lambda hs: _equal(hs, expected))
    if path in ("/v1/transfers", "/v1/retirements"):
        if role == "holder":
            batch_id, holder = _holder_with_credits(api)
            token = holder["token"]
        else:
            batch_id, owner, _ = api.issued_batch()
            token = owner["token"]
        payload = {**body, "batch_id": batch_id}
        if path == "/v1/transfers":
            payload["to"] = api.participant(["holder"])["id"]
        kind = "transfer" if path == "/v1/transfers" else "retirement"

        def confirmed(c: Any) -> None:
            assert (c["kind"], c["batch_id"], c["amount_kg"], c["status"]) == (
                kind,
                batch_id,
                1000,
                "confirmed",
            )
            assert c["operation"]["status"] == "confirmed"
            if kind == "retirement":
                assert c["certificate"]["amount_kg"] == 1000

        return Request(path, token, 201, CreditRequestOut, payload, confirmed)
    if path == "/v1/credit-requests/{request_id}":
        # Only its requester (or the registrar) may see it: the requester here has the role.
        batch_id, owner, _ = api.issued_batch()
        transfer = api.ok(
            "/v1/transfers", {"batch_id": batch_id, "to": actor["id"], "amount_kg": 1000}, owner["token"]
        )
        return Request(
            f"/v1/credit-requests/{transfer['id']}",
            owner["token"],
            200,
            CreditRequestOut,
            check=lambda c: _equal(c, transfer),
        )
    if path == "/v1/operations/{operation_id}":
        batch_id, owner, _ = api.issued_batch()
        if role in ("holder", "project_owner"):  # its own transfer: it is the operation's sender
            api.ok(
                "/v1/transfers", {"batch_id": batch_id, "to": actor["id"], "amount_kg": 2000}, owner["token"]
            )
            sender = actor
        else:
            sender = owner
        transfer = api.ok(
            "/v1/transfers",
            {"batch_id": batch_id, "to": api.participant(["holder"])["id"], "amount_kg": 1000},
            sender["token"],
        )
        operation = transfer["operation"]
        if role not in ("holder", "project_owner", "registrar", "supervisor"):
            # Past the role check, a participant sees only the operations it sent, and a committee
            # member, verifier or exchange sends none (the operator sends theirs): the documented
            # refusal is 403 from the ownership check, with the error envelope.
            def refused(e: Any) -> None:
                assert e["error"]["code"] == "forbidden", e

            return Request(f"/v1/operations/{operation['id']}", token, 403, ErrorEnvelope, check=refused)
        return Request(
            f"/v1/operations/{operation['id']}",
            token,
            200,
            OperationOut,
            check=lambda o: _equal(o, operation),
        )
    if path.startswith("/v1/transactions"):
        return _self_custody_request(api, runtime, key, role)
    if path == "/v1/supervision":
        return Request(path, token, 200, SupervisionStatus, check=lambda s: _not_paused(s))
    if path.startswith("/v1/supervision/accounts/"):
        target = api.participant(["holder"])
        if path.endswith("/unfreeze"):
            api.ok(f"/v1/supervision/accounts/{target['id']}/freeze", {"reason": "dispute"}, token)
        frozen = path.endswith("/freeze")

        def account(s: Any) -> None:
            assert (target["address"] in [a["address"] for a in s["frozen_accounts"]]) is frozen
            assert [o["status"] for o in s["operations"]] == ["confirmed"]

        return Request(path.format(participant_id=target["id"]), token, 201, SupervisionResult, body, account)
    if path.startswith("/v1/supervision/batches/"):
        batch_id, _, _ = api.issued_batch()
        if path.endswith("/unfreeze"):
            api.ok(f"/v1/supervision/batches/{batch_id}/freeze", {"reason": "review"}, token)
        frozen = path.endswith("/freeze")

        def batch(s: Any) -> None:
            assert [o["status"] for o in s["operations"]] == ["confirmed"]
            assert api.get(f"/v1/batches/{batch_id}")["frozen"] is frozen

        return Request(path.format(batch_id=batch_id), token, 201, SupervisionResult, body, batch)
    if path == "/v1/supervision/invalidations":
        batch_id, owner, _ = api.issued_batch()
        payload = {**body, "batch_id": batch_id, "holder": owner["id"]}

        def invalidated(s: Any) -> None:
            assert [o["status"] for o in s["operations"]] == ["confirmed"]
            assert api.get(f"/v1/batches/{batch_id}")["supply"]["invalidated_kg"] == 1000

        return Request(path, token, 201, SupervisionResult, payload, invalidated)
    if path in ("/v1/supervision/pause", "/v1/supervision/unpause"):
        if path.endswith("/unpause"):
            api.ok("/v1/supervision/pause", {"reason": "incident"}, token)
        paused = path.endswith("/pause")

        def flags(s: Any) -> None:
            assert s["paused"] == {"registry": paused, "credits": paused}

        return Request(path, token, 201, SupervisionResult, body, flags)
    if path == "/v1/listings":
        # Any participant lists its own credits.
        def listed(r: Any) -> None:
            assert (r["status"], r["seller"], r["amount_t"]) == ("confirmed", actor["id"], "1.000"), r
            assert (r["listing"]["state"], r["listing"]["remaining_t"]) == ("open", "1.000"), r

        batch_id, owner = _market_batch(api)
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": actor["id"], "amount_kg": 1000}, owner["token"])
        return Request(path, token, 201, ListingRequestOut, {"batch_id": batch_id, "amount_kg": 1000}, listed)
    if path == "/v1/listings/{listing_id}/cancellation":
        # Its seller (another's: test_listing__only_its_seller_the_exchange_or_a_supervisor_may_cancel_it).
        listing = _listed(api, actor)

        def cancelled(x: Any) -> None:
            assert (x["listing_id"], x["state"], x["seller"]) == (
                listing["listing_id"],
                "cancelled",
                actor["id"],
            ), x

        return Request(path.format(listing_id=listing["listing_id"]), token, 201, ListingOut, None, cancelled)
    if path == "/v1/trades" and method == "POST":
        listing = _listed(api)
        buyer = api.participant(["holder"])
        payload = {
            **body,
            "reference": f"AUTH-{listing['listing_id']}",
            "listing_id": listing["listing_id"],
            "buyer": buyer["id"],
        }

        def settled(i: Any) -> None:
            assert (i["status"], i["reference"], i["buyer"], i["amount_t"]) == (
                "settled",
                payload["reference"],
                buyer["id"],
                "1.000",
            ), i
            assert (
                i["trade"]["listing_id"] == listing["listing_id"] and i["operation"]["status"] == "confirmed"
            )

        return Request(path, token, 201, TradeInstructionOut, payload, settled)
    if path == "/v1/trade-instructions/{reference}":
        instruction = _traded(api, actor, api.participant(["holder"]))
        return Request(
            path.format(reference=instruction["reference"]),
            token,
            200,
            TradeInstructionOut,
            check=lambda i: _equal(i, instruction),
        )
    if path == "/v1/exchange/statements":
        instruction = _traded(api, actor, api.participant(["holder"]))
        statement = _statement_of_the_registry(api, instruction["trade"]["day"])
        assert instruction["reference"] in [t["reference"] for t in statement["trades"]]

        def agreed(r: Any) -> None:
            assert (r["agreed"], r["differences"], r["day"]) == (True, [], statement["day"]), r
            assert (r["trades"], r["escrow_positions"]) == (
                len(statement["trades"]),
                len(statement["escrow"]),
            )

        return Request(path, token, 201, StatementResult, statement, agreed)
    if path == "/v1/market/reference-prices":

        def priced(o: Any) -> None:
            assert o["status"] == "confirmed", o
            types = api.get("/v1/market/bands")["types"]
            energy = next(t for t in types if t["project_type"] == "energy-substitution")
            assert energy["reference_price_fen_per_t"] == body["price_fen_per_t"]

        return Request(path, token, 201, OperationOut, body, priced)
    if path == "/v1/market/halts" and method == "POST":
        # A batch of its own: a halt of the project type would stop the other routes' trades.
        batch_id, _, _ = api.issued_batch()
        payload = {"batch_id": batch_id, "halted": True, "reason": "review"}

        def halted(o: Any) -> None:
            assert o["status"] == "confirmed", o
            assert batch_id in [h["batch_id"] for h in api.get("/v1/market/halts") if h["scope"] == "batch"]

        return Request(path, token, 201, OperationOut, payload, halted)
    if path == "/v1/market/bands" and method == "POST":
        # Today's band of a project type with a reference price: posted (once; then as it is).
        api.ok(
            "/v1/market/reference-prices",
            {"project_type": "ecological", "price_fen_per_t": REFERENCE_FEN},
            api.operator,
        )

        def posted(b: Any) -> None:
            ecological = next(t for t in b["types"] if t["project_type"] == "ecological")
            assert ecological["posted"] is True, b
            assert (ecological["band"]["low_fen_per_t"], ecological["band"]["high_fen_per_t"]) == (
                5_400,
                6_600,
            )

        return Request(path, token, 201, BandsOut, check=posted)
    if path == "/v1/accounting/journal":
        # Its own: what it bought.
        instruction = _traded(api, api.participant(["exchange"]), actor)

        def bought(j: Any) -> None:
            assert j["participant"] == actor["id"], j
            [entry] = j["entries"]
            assert [(ln["account"], ln["debit_fen"], ln["credit_fen"]) for ln in entry["lines"]] == [
                ("1489", 12_000, 0),
                ("1002", 0, 12_000),
            ], entry
            assert j["positions"] == [
                {"batch_id": instruction["trade"]["batch_id"], "amount_t": "2.000", "cost_yuan": "120.00"}
            ], j

        return Request(path, token, 200, JournalOut, check=bought)
    if path == "/v1/accounting/disclosure":
        instruction = _traded(api, api.participant(["exchange"]), actor)
        year = int(instruction["trade"]["day"][:4])

        def disclosed(d: Any) -> None:
            assert (d["participant"], d["year"]) == (actor["id"], year), d
            rows = {r["item"]: r for r in d["rows"]}
            assert (rows["purchased"]["tonnes"], rows["purchased"]["yuan"]) == ("2.000", "120.00"), d
            assert rows["closing"]["tonnes"] == "2.000", d

        return Request(f"{path}?year={year}", token, 200, DisclosureOut, check=disclosed)
    if path == "/v1/webhooks" and method == "POST":

        def subscribed(w: Any) -> None:
            assert (w["url"], w["active"], w["delivered_seq"]) == (body["url"], True, 0), w
            assert len(w["secret"]) >= 32, w

        return Request(path, token, 201, WebhookCreated, body, subscribed)
    if path == "/v1/webhooks":
        # Its own subscriptions only.
        api.ok(path, {"url": "https://elsewhere.example/feed"}, api.participant([role])["token"])
        mine = api.ok(path, VALID_BODIES[("POST", path)], token)
        mine.pop("secret")
        return Request(path, token, 200, TypeAdapter(list[WebhookOut]), check=lambda ws: _equal(ws, [mine]))
    if path == "/v1/webhooks/{webhook_id}":
        subscription = api.ok("/v1/webhooks", VALID_BODIES[("POST", "/v1/webhooks")], token)

        def ended(w: Any) -> None:
            assert (w["id"], w["active"]) == (subscription["id"], False), w

        return Request(path.format(webhook_id=subscription["id"]), token, 200, WebhookOut, check=ended)
    if path == "/v1/mall/merchants":

        def approved(m: Any) -> None:
            assert (m["participant_id"], m["display_name"], m["status"]) == (
                candidate["id"],
                body["display_name"],
                "approved",
            ), m

        candidate = api.participant(["merchant"])
        payload = {**body, "participant_id": candidate["id"]}
        return Request(path, token, 201, MerchantOut, payload, approved)
    if path == "/v1/mall/items":
        # The shared merchant, approved by the registrar (an unapproved one is refused: test_mall).
        merchant, item, _ = _mall(api)

        def offered(i: Any) -> None:
            assert (
                i["merchant_id"],
                i["merchant"],
                i["name"],
                i["points_price"],
                i["stock"],
                i["active"],
            ) == (
                item["merchant_id"],
                "Jinli Tea House",
                body["name"],
                body["points_price"],
                body["stock"],
                True,
            ), i

        return Request(path, merchant["token"], 201, ItemOut, body, offered)
    if path == "/v1/mall/items/{item_id}":
        # Its own item (another merchant's is refused: test_mall).
        merchant, _, _ = _mall(api)
        item = api.ok("/v1/mall/items", VALID_BODIES[("POST", "/v1/mall/items")], merchant["token"])

        def changed(i: Any) -> None:
            assert i == {**item, **body, "updated_at": i["updated_at"]}, i

        return Request(path.format(item_id=item["id"]), merchant["token"], 200, ItemOut, body, changed)
    if path == "/v1/mall/vouchers/confirm":
        merchant, item, _ = _mall(api)
        redemption = _voucher(api)

        def confirmed(v: Any) -> None:
            assert (v["id"], v["item_id"], v["points"], v["status"]) == (
                redemption["id"],
                item["id"],
                MALL_PRICE,
                "confirmed",
            ), v
            assert v["confirmed_at"] is not None and "code" not in v, v

        return Request(path, merchant["token"], 200, VoucherOut, {"code": redemption["code"]}, confirmed)
    if path == "/v1/mall/vouchers/expiry":
        # A voucher past its expiry: expired, its points back to the citizen.
        _, _, citizen = _mall(api)
        redemption = _voucher(api)
        with runtime.db.transaction() as session:
            session.execute(
                update(MallVoucher)
                .where(MallVoucher.id == redemption["id"])
                .values(expires_at=now() - timedelta(seconds=1))
            )

        def expired(e: Any) -> None:
            assert [(v["id"], v["status"]) for v in e["expired"]] == [(redemption["id"], "expired")], e
            assert api.get("/v1/points/me", citizen["token"])["balance"] == redemption["balance"] + MALL_PRICE

        return Request(path, token, 200, ExpiryOut, check=expired)
    if path == "/v1/mall/statements/{month}":
        merchant, _, _ = _mall(api)
        redemption = _voucher(api)
        voucher = api.ok(
            "/v1/mall/vouchers/confirm", {"code": redemption["code"]}, merchant["token"], expect=200
        )
        cst = datetime.fromisoformat(voucher["confirmed_at"]) + timedelta(hours=8)  # China Standard Time

        def stated(st: Any) -> None:
            lines = st["vouchers"]
            assert redemption["id"] in [ln["voucher_id"] for ln in lines], st
            assert (st["month"], st["timezone"], st["count"], st["total_points"]) == (
                f"{cst:%Y-%m}",
                "+08:00",
                len(lines),
                MALL_PRICE * len(lines),
            ), st

        return Request(path.format(month=f"{cst:%Y-%m}"), merchant["token"], 200, StatementOut, check=stated)
    if path == "/v1/scenes":

        def registered(sc: Any) -> None:
            assert (sc["name"], sc["kind"], sc["standard"], sc["status"], sc["certificate"]) == (
                body["name"],
                "restaurant",
                "TH-SC-RES-001",
                "none",
                None,
            ), sc

        return Request(path, token, 201, SceneOut, body, registered)
    if path == "/v1/scenes/{scene_id}/assessments":
        scene = _scene(api)

        def certified(a: Any) -> None:
            assert (a["passed"], a["assessor"], a["scene"]["id"], a["scene"]["status"]) == (
                True,
                actor["id"],
                scene["id"],
                "certified",
            ), a
            assert a["scene"]["certificate"]["anchor"]["status"] == "confirmed", a

        return Request(path.format(scene_id=scene["id"]), token, 201, AssessmentOut, body, certified)
    if path == "/v1/scenes/{scene_id}/revocation":
        scene = _certified_scene(api, actor if role == "association" else api.participant(["association"]))

        def revoked(sc: Any) -> None:
            assert (sc["id"], sc["status"], sc["certificate"]["revoke_reason"]) == (
                scene["id"],
                "revoked",
                body["reason"],
            ), sc

        return Request(path.format(scene_id=scene["id"]), token, 201, SceneOut, body, revoked)
    if path == "/v1/campaigns":

        def set_up(c: Any) -> None:
            assert c == {**body, "id": c["id"], "bonus_points": None, "status": "upcoming"}, c

        return Request(path, token, 201, CampaignOut, body, set_up)
    raise AssertionError(f"no admitted request for {method} {path}: add one")


def _ids(items: list[dict[str, Any]]) -> list[Any]:
    return [item["id"] for item in items]


def _ids_in(expected: list[Any], items: list[dict[str, Any]]) -> None:
    assert _ids(items) == expected, items


def _is(item: dict[str, Any], expected_id: Any) -> None:
    assert item["id"] == expected_id, item


def _status(item: dict[str, Any], status: str) -> bool:
    assert item["status"] == status, item
    return True


def _name(item: dict[str, Any], name: str) -> None:
    assert item["name"] == name, item


def _equal(data: Any, expected: Any) -> None:
    assert data == expected


def _not_paused(status: dict[str, Any]) -> None:
    assert status == {"paused": {"registry": False, "credits": False}, "frozen_accounts": []}


def _admitted_roles(key: tuple[str, str]) -> list[str]:
    roles = PROTECTED[key]
    return sorted(roles) if roles else list(ROLES)  # ANY: every role


def test_role_routes__admit_participants_with_the_role_with_the_real_answer(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    for endpoint in protected(api):
        for role in _admitted_roles(endpoint.key):
            with subtests.test(f"{role}: {endpoint}"):
                try:
                    request = admitted_request(api, runtime, endpoint.key, role)
                    headers = {"Authorization": f"Bearer {request.token}"}
                    response = api.http.request(
                        endpoint.method, request.path, json=request.body, headers=headers
                    )
                    assert response.status_code == request.status, response.text
                    data = response.json()
                    _validate(request.model, data)
                    request.check(data)
                finally:
                    _unpause(runtime)  # a pause (of the withdrawal's setup, or the route's) hinders the next


def _unpause(runtime: Runtime) -> None:
    """Unpauses what is paused, on chain and in the registry's view of it."""
    unpause = dict(zip(("registry", "credits"), runtime.tanhui.unpause_calls(), strict=True))
    paused = [name for name, on in runtime.tanhui.is_paused_each().items() if on]
    for name in paused:
        runtime.client.transact(unpause[name], runtime.operator)
    if paused:
        runtime.indexer.sync()


# -- public routes ---------------------------------------------------------------------------------

PUBLIC_MODELS: dict[str, Any] = {
    "/v1/health": Health,
    "/livez": Liveness,
    "/readyz": Readiness,
    "/v1/batches": TypeAdapter(list[BatchOut]),
    "/v1/batches/{batch_id}": BatchDetail,
    "/v1/retirements": TypeAdapter(list[RetirementOut]),
    "/v1/retirements/{certificate_id}": RetirementOut,
    "/v1/methodologies": TypeAdapter(list[MethodologyOut]),
    "/v1/methodologies/catalogue": TypeAdapter(list[CatalogueEntry]),
    "/v1/methodologies/{methodology_id}": MethodologyOut,
    "/v1/footprints/catalogue": TypeAdapter(list[FootprintCatalogueEntry]),
    "/v1/footprints/calculate": FootprintCalculation,
    "/v1/claims": TypeAdapter(list[ClaimOut]),
    "/v1/claims/{claim_id}": ClaimOut,
    "/v1/points/epochs/{epoch}": PointsEpochOut,
    "/v1/points/epochs": TypeAdapter(list[PointsEpochOut]),
    "/v1/listings": TypeAdapter(list[ListingOut]),
    "/v1/listings/{listing_id}": ListingOut,
    "/v1/trades": TypeAdapter(list[TradeOut]),
    "/v1/trades/{trade_id}": TradeOut,
    "/v1/market/days": TypeAdapter(list[MarketDayOut]),
    "/v1/market/bands": BandsOut,
    "/v1/market/halts": TypeAdapter(list[HaltOut]),
    "/v1/feed": FeedPage,
    "/v1/mall/merchants": TypeAdapter(list[MerchantOut]),
    "/v1/mall/items": TypeAdapter(list[ItemOut]),
    "/v1/mall/items/{item_id}": ItemOut,
    "/v1/scene-standards": TypeAdapter(list[StandardOut]),
    "/v1/scenes": TypeAdapter(list[SceneOut]),
    "/v1/scenes/{scene_id}": SceneOut,
    "/v1/leaderboard": Leaderboard,
    "/v1/campaigns": TypeAdapter(list[CampaignOut]),
}


def points_day(api: Api) -> dict[str, Any]:
    """A partner and a citizen with points from a metro ride earlier today: (the citizen)."""
    from tests.api.test_points import Partner, citizen, ride

    metro = Partner(api, "Chengdu Metro", ["metro"])
    someone = citizen(api)
    assert metro.send([ride("r1", someone)])["accepted"] == 1
    return someone


def neutral_claim(api: Api, owner: dict[str, Any], batch_id: int, verifier: dict[str, Any]) -> dict[str, Any]:
    """An organisation's claim (VALID_BODIES), footprinted, verified, offset by `owner` from
    `batch_id` and closed as neutral."""
    claim = api.ok("/v1/claims", VALID_BODIES[("POST", "/v1/claims")], owner["token"])
    claim = api.ok(
        f"/v1/claims/{claim['id']}/footprint",
        VALID_BODIES[("POST", "/v1/claims/{claim_id}/footprint")],
        owner["token"],
    )
    api.ok(
        f"/v1/claims/{claim['id']}/verifications", {"decision": "approve", "reason": "ok"}, verifier["token"]
    )
    api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": claim["required_kg"],
            "beneficiary": "Acme",
            "purpose": "organisation_neutrality",
            "event_id": claim["id"],
        },
        owner["token"],
    )
    claim = api.ok(f"/v1/claims/{claim['id']}/close", None, owner["token"])
    assert claim["status"] == "neutral"
    return claim


def test_public_routes__answer_without_a_token(api: Api, runtime: Runtime, subtests: pytest.Subtests) -> None:
    # Real resources: a published methodology, a batch with a transfer and a retirement.
    batch_id, owner, verifier = api.issued_batch()
    methodology = api.published_methodology_once()
    claim = neutral_claim(api, owner, batch_id, verifier)
    offset = claim["required_kg"]
    # The points economy: a merchant's item, a citizen with points (a metro ride), a certified
    # restaurant and a campaign.
    merchant, item, _ = _mall(api)
    scene = _certified_scene(api, api.participant(["association"]))
    campaign = api.ok("/v1/campaigns", VALID_BODIES[("POST", "/v1/campaigns")], api.operator)
    yesterday = str(datetime.now(UTC).date() - timedelta(days=1))
    epoch = api.ok("/v1/points/epochs", {"day": yesterday}, api.operator)
    retirement = api.ok(
        "/v1/retirements",
        {**VALID_BODIES[("POST", "/v1/retirements")], "batch_id": batch_id},
        owner["token"],
    )
    certificate_id = retirement["certificate_id"]
    # The exchange: a listing of the batch, partly sold, then the batch halted.
    api.ok(
        "/v1/market/reference-prices",
        {"project_type": "energy-substitution", "price_fen_per_t": REFERENCE_FEN},
        api.operator,
    )
    listing = api.ok("/v1/listings", {"batch_id": batch_id, "amount_kg": 5000}, owner["token"])["listing"]
    buyer = api.participant(["holder"])
    settled = api.ok(
        "/v1/trades",
        {
            "reference": "PUBLIC-1",
            "listing_id": listing["listing_id"],
            "buyer": buyer["id"],
            "amount_kg": 2000,
            "price_fen_per_t": REFERENCE_FEN + 100,
        },
        api.participant(["exchange"])["token"],
    )
    trade = settled["trade"]
    api.ok(
        "/v1/market/halts",
        {"batch_id": batch_id, "halted": True, "reason": "review"},
        api.participant(["supervisor"])["token"],
    )
    ids = {
        "batch_id": batch_id,
        "project_id": api.get(f"/v1/batches/{batch_id}")["project"]["id"],
        "address": owner["address"],
        "certificate_id": certificate_id,
        "methodology_id": methodology["id"],
        "claim_id": claim["id"],
        "epoch": epoch["epoch"],
        "listing_id": listing["listing_id"],
        "trade_id": trade["trade_id"],
        "item_id": item["id"],
        "scene_id": scene["id"],
    }

    def sold(x: Any) -> None:
        assert (x["listing_id"], x["state"], x["amount_t"], x["remaining_t"], x["seller"]) == (
            listing["listing_id"],
            "open",
            "5.000",
            "3.000",
            owner["id"],
        ), x

    def today(days: Any) -> None:
        [day] = days
        assert (day["project_type"], day["trades"], day["volume_t"], day["close_fen_per_t"]) == (
            "energy-substitution",
            1,
            "2.000",
            REFERENCE_FEN + 100,
        ), day

    def banded(b: Any) -> None:
        energy = next(t for t in b["types"] if t["project_type"] == "energy-substitution")
        assert (energy["reference_price_fen_per_t"], energy["posted"], energy["band"]["low_fen_per_t"]) == (
            REFERENCE_FEN,
            True,
            5_400,
        ), b

    def fed(f: Any) -> None:
        kinds = [e["kind"] for e in f["entries"]]
        assert kinds == [
            "issuance",
            "retirement",  # the claim's offset
            "retirement",
            "reference_price",
            "listing",
            "band",  # today's, posted with the first trade
            "trade",
            "halt",
        ], kinds
        assert f["last_seq"] == f["entries"][-1]["seq"] and kinds[-1] == "halt", f

    checks: dict[str, Callable[[Any], None]] = {
        "/v1/health": lambda h: _equal((h["status"], h["chain_id"]), ("ok", runtime.client.chain_id)),
        "/livez": lambda h: _equal(h, {"status": "ok"}),
        "/readyz": lambda r: _equal((r["ready"], r["reasons"]), (True, [])),
        "/v1/batches": lambda bs: _equal([b["chain"]["token_id"] for b in bs], [batch_id]),
        "/v1/batches/{batch_id}": lambda b: _equal(
            (
                b["chain"]["token_id"],
                b["supply"]["issued_kg"],
                b["supply"]["retired_kg"],
                len(b["retirements"]),
            ),
            (batch_id, BOILER_NET_KG, 1000 + offset, 2),
        ),
        "/v1/retirements": lambda rs: _equal(
            [r["certificate_id"] for r in rs], [certificate_id - 1, certificate_id]
        ),
        "/v1/retirements/{certificate_id}": lambda r: _equal(r, retirement["certificate"]),
        "/v1/methodologies": lambda ms: _equal(
            [(m["id"], m["status"]) for m in ms], [(methodology["id"], "published")]
        ),
        "/v1/methodologies/catalogue": lambda cs: _equal(
            [c["code"] for c in cs],
            [f"TH-EC-00{i}" for i in range(1, 8)]
            + [f"TH-ES-00{i}" for i in range(1, 6)]
            + [f"TH-RS-00{i}" for i in range(1, 6)],
        ),
        "/v1/methodologies/{methodology_id}": lambda m: _equal(m, methodology),
        "/v1/footprints/catalogue": lambda cs: _equal(
            [c["code"] for c in cs], ["TH-FP-AIR-001", "TH-FP-EVT-001", "TH-FP-ORG-001", "TH-FP-PER-001"]
        ),
        "/v1/footprints/calculate": lambda f: _equal(
            (f["methodology"]["code"], f["total_kg"] > 0), ("TH-FP-PER-001", True)
        ),
        "/v1/claims": lambda cs: _equal([c["id"] for c in cs], [claim["id"]]),
        "/v1/claims/{claim_id}": lambda c: _equal(c, claim),
        "/v1/points/epochs/{epoch}": lambda e: _equal(e, epoch),
        "/v1/points/epochs": lambda es: _equal(es, [epoch]),
        "/v1/listings": lambda xs: _equal([x["listing_id"] for x in xs], [listing["listing_id"]]),
        "/v1/listings/{listing_id}": sold,
        "/v1/trades": lambda ts: _equal(ts, [trade]),
        "/v1/trades/{trade_id}": lambda t: _equal(t, trade),
        "/v1/market/days": today,
        "/v1/market/bands": banded,
        "/v1/market/halts": lambda hs: _equal(
            [(h["scope"], h["batch_id"], h["reason"]) for h in hs], [("batch", batch_id, "review")]
        ),
        "/v1/feed": fed,
        "/v1/mall/merchants": lambda ms: _equal(
            [(m["participant_id"], m["display_name"], m["status"]) for m in ms],
            [(merchant["id"], "Jinli Tea House", "approved")],
        ),
        "/v1/mall/items": lambda xs: _equal(xs, [item]),
        "/v1/mall/items/{item_id}": lambda x: _equal(x, item),
        "/v1/scene-standards": lambda ss: _equal(
            [x["code"] for x in ss],
            ["TH-SC-RES-001", "TH-SC-SUP-001", "TH-SC-SCN-001", "TH-SC-HOT-001", "TH-SC-EXH-001"],
        ),
        "/v1/scenes": lambda ss: _equal(ss, [scene]),
        "/v1/scenes/{scene_id}": lambda sc: _equal(sc, scene),
        "/v1/leaderboard": lambda b: _equal(
            [(e["rank"], e["grams"], e["points"], e["champion"]) for e in b["entries"]],
            [(1, METRO_GRAMS, METRO_POINTS, True)],
        ),
        "/v1/campaigns": lambda cs: _equal(cs, [campaign]),
    }
    for endpoint in endpoints(api.http.app):
        if endpoint.key not in PUBLIC:
            continue
        with subtests.test(str(endpoint)):
            if endpoint.method == "POST":
                response = api.http.post(endpoint.path.format(**ids), json=VALID_BODIES[endpoint.key])
            else:
                response = api.http.get(endpoint.path.format(**ids))
            assert response.status_code == 200, response.text
            if endpoint.path in PUBLIC_MODELS:
                data = response.json()
                _validate(PUBLIC_MODELS[endpoint.path], data)
                checks[endpoint.path](data)
            elif endpoint.path == "/openapi.json":
                assert response.json()["openapi"].startswith("3.")
            elif endpoint.path == "/metrics":
                assert response.headers["content-type"].startswith("text/plain")
                assert 'tanhui_outbox_pending_operations{status="signed"} 0.0' in response.text
                assert "tanhui_indexer_lag_blocks " in response.text
            elif endpoint.path.endswith(".pdf"):
                assert response.content.startswith(b"%PDF")
            else:  # the documentation pages
                assert response.headers["content-type"].startswith("text/html")


def test_public_routes__an_unknown_id_is_not_found(api: Api) -> None:
    not_found = {
        "/v1/batches/{batch_id}": "no batch 999",
        "/v1/retirements/{certificate_id}": "no retirement certificate 999",
        "/v1/listings/{listing_id}": "no listing 999",
        "/v1/trades/{trade_id}": "no trade 999",
        "/v1/mall/items/{item_id}": "no item 999",
        "/v1/scenes/{scene_id}": "no scene SC-0000000000",
    }
    for path, message in not_found.items():
        response = api.http.get(path.format(**PATH_SAMPLES))
        assert response.status_code == 404, response.text
        assert response.json()["error"]["message"] == message


# -- ownership -------------------------------------------------------------------------------------


def test_project__another_owner_cannot_document_submit_or_report_on_it(api: Api, runtime: Runtime) -> None:
    api.published_methodology_once()
    owner, other = api.participant(["project_owner"]), api.participant(["project_owner"])
    registered = api.registered_project(owner)
    draft = api.draft_project(owner)
    api.ok(
        f"/v1/projects/{draft['id']}/documents",
        {"filename": "pdd.txt", "content_base64": "ZGVzaWdu"},
        owner["token"],
    )
    document = VALID_BODIES[("POST", "/v1/projects/{project_id}/documents")]
    report = VALID_BODIES[("POST", "/v1/projects/{project_id}/reports")]
    for path, body in [
        (f"/v1/projects/{draft['id']}/documents", document),
        (f"/v1/projects/{draft['id']}/submit", None),
        (f"/v1/projects/{registered['id']}/documents", document),
        (f"/v1/projects/{registered['id']}/reports", report),
    ]:
        refuse(api, runtime, "POST", path, token=other["token"], json=body, status=403, code="forbidden")
    # Its owner may.
    assert api.ok(f"/v1/projects/{draft['id']}/submit", None, owner["token"])["status"] == "submitted"
    assert api.ok(f"/v1/projects/{registered['id']}/reports", report, owner["token"])["status"] == "submitted"


def test_participant__another_participant_cannot_see_it(api: Api, runtime: Runtime) -> None:
    me, other = api.participant(["holder"]), api.participant(["project_owner", "verifier"])
    for participant_id in (other["id"], "par_operator", "par_000000000000"):
        refuse(
            api,
            runtime,
            "GET",
            f"/v1/participants/{participant_id}",
            token=me["token"],
            status=403,
            code="forbidden",
        )
    assert api.get(f"/v1/participants/{me['id']}", me["token"])["id"] == me["id"]
    assert api.get(f"/v1/participants/{other['id']}", api.operator)["id"] == other["id"]  # the registrar


def test_verification__a_verifier_cannot_verify_a_report_of_its_own_project(
    api: Api, runtime: Runtime
) -> None:
    api.published_methodology_once()
    owner_verifier = api.participant(["project_owner", "verifier"])
    project = api.registered_project(owner_verifier)
    report = api.report(project, owner_verifier)
    approve = {"decision": "approve", "reason": "looks fine to me"}
    path = f"/v1/reports/{report['id']}/verifications"
    for decision in ("approve", "reject", "request_changes"):
        refuse(
            api,
            runtime,
            "POST",
            path,
            token=owner_verifier["token"],
            json={**approve, "decision": decision},
            status=403,
            code="forbidden",
        )
    assert api.get(f"/v1/reports/{report['id']}", owner_verifier["token"])["status"] == "submitted"
    # An independent verifier may.
    assert api.ok(path, approve, api.participant(["verifier"])["token"])["status"] == "issued"


def test_credit_request__only_its_requester_or_the_registrar_may_see_it(api: Api, runtime: Runtime) -> None:
    batch_id, owner, verifier = api.issued_batch()
    buyer = api.participant(["holder"])
    transfer = api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1000}, owner["token"]
    )
    for outsider in (buyer, verifier):  # the recipient is not the requester
        refuse(
            api,
            runtime,
            "GET",
            f"/v1/credit-requests/{transfer['id']}",
            token=outsider["token"],
            status=403,
            code="forbidden",
        )
    for reader in (owner["token"], api.operator):
        assert api.get(f"/v1/credit-requests/{transfer['id']}", reader) == transfer


def test_listing__only_its_seller_the_exchange_or_a_supervisor_may_cancel_it(
    api: Api, runtime: Runtime
) -> None:
    listings = [_listed(api) for _ in range(2)]
    for role in ("holder", "project_owner", "registrar", "verifier", "committee"):
        refuse(
            api,
            runtime,
            "POST",
            f"/v1/listings/{listings[0]['listing_id']}/cancellation",
            token=api.participant([role])["token"],
            status=403,
            code="forbidden",
        )
    assert api.get(f"/v1/listings/{listings[0]['listing_id']}")["state"] == "open"
    # The exchange and a supervisor may: what is left returns to the seller.
    for listing, role in zip(listings, ("exchange", "supervisor"), strict=True):
        cancelled = api.ok(
            f"/v1/listings/{listing['listing_id']}/cancellation", None, api.participant([role])["token"]
        )
        assert (cancelled["state"], cancelled["seller"]) == ("cancelled", listing["seller"])
