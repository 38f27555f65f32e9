"""Bad input through HTTP: every refusal is a 4xx with a stable error code, and leaves nothing
behind — no row changed in any table and no transaction on the chain.

Each test builds the state it needs (participants, a project, a batch) once. Cases that share
that state run as subtests, each checked against a footprint taken just before its request.
The footprint helpers and the route table here are also used by ``test_auth``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json import loads as json_loads
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from api.app import create_app
from registry.models import Base, ChainOperation, Participant
from registry.runtime import Runtime
from tests.api.conftest import BOILER, BOILER_NET_KG, Api
from tests.registry.test_scene_standards import EXAMPLES

ROLES = ("registrar", "committee", "verifier", "project_owner", "holder", "supervisor", "exchange")
# The roles of the points economy's routes (api/routers/mall.py, api/routers/scenes.py): a
# participant with every role (`everyone`) has them too.
ECONOMY_ROLES = ("merchant", "association")

# -- routes ---------------------------------------------------------------------------------------

# A well-formed value for each path parameter; none of them names an existing resource.
PATH_SAMPLES = {
    "participant_id": "par_000000000000",
    "project_id": "PRJ-00000000",
    "report_id": "MR-00000000",
    "methodology_id": "999",
    "request_id": "999",
    "operation_id": "999",
    "batch_id": "999",
    "certificate_id": "999",
    "claim_id": "CL-0000000000",
    "citizen_id": "ctz_000000000000",
    "epoch": "999",
    "listing_id": "999",
    "trade_id": "999",
    "reference": "SEEE-T-000000",
    "webhook_id": "999",
    "item_id": "999",
    "month": "2025-06",
    "scene_id": "SC-0000000000",
    "address": "0x" + "00" * 20,
}

SIGNED_ELSEWHERE = (
    "0x"
    + bytes(
        Account.sign_transaction(
            {
                "nonce": 0,
                "gasPrice": 1,
                "gas": 100_000,
                "to": "0x" + "11" * 20,
                "value": 0,
                "data": b"",
                "chainId": 1,
            },
            "0x" + "42" * 32,
        ).raw_transaction
    ).hex()
)

# A valid body for every route that takes one: a request that would change something if it
# were let through.
DECLARATIVE_EXAMPLE = json_loads(
    (Path(__file__).resolve().parents[2] / "docs" / "methodologies" / "declarative-example.json").read_text()
)
SCENE_ANSWERS = EXAMPLES["TH-SC-RES-001"][0]  # a restaurant's passing answers
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/participants"): {"name": "Acme", "kind": "organisation", "roles": ["holder"]},
    ("POST", "/v1/participants/{participant_id}/token-revocation"): {"reason": "key compromised"},
    ("POST", "/v1/methodologies"): {"code": "TH-ES-001", "version": 1},
    ("POST", "/v1/methodologies/{methodology_id}/reviews"): {"decision": "approve", "reason": "sound"},
    ("POST", "/v1/methodologies/declarative"): {"spec": DECLARATIVE_EXAMPLE},
    ("POST", "/v1/claims"): {
        "kind": "organisation",
        "subject": "Acme's 2025",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "footprint_methodology": {"code": "TH-FP-ORG-001", "version": 1},
    },
    ("POST", "/v1/claims/{claim_id}/footprint"): {
        "activity": {
            "purchased_electricity_kwh": "1000",
            "purchased_heat_gj": "0",
            "natural_gas_m3": "0",
            "diesel_litres": "0",
        }
    },
    ("POST", "/v1/claims/{claim_id}/verifications"): {"decision": "approve", "reason": "checked"},
    ("POST", "/v1/points/partners"): {"name": "Chengdu Metro", "scenes": ["metro"]},
    ("POST", "/v1/points/epochs"): {"day": "2025-06-30"},
    ("POST", "/v1/footprints/calculate"): {
        "footprint_methodology": {"code": "TH-FP-PER-001", "version": 1},
        "period_start": "2025-09-12",
        "period_end": "2025-09-12",
        "activity": {"legs": [{"mode": "metro", "distance_km": "12"}], "hotel_nights": 0, "meals": 0},
    },
    ("POST", "/v1/methodologies/declarative/check"): {"spec": DECLARATIVE_EXAMPLE},
    ("POST", "/v1/projects"): {"name": "Boiler swap", "methodology": {"code": "TH-ES-001", "version": 1}},
    ("POST", "/v1/projects/{project_id}/documents"): {"filename": "pdd.txt", "content_base64": "ZGVzaWdu"},
    ("POST", "/v1/projects/{project_id}/reviews"): {"decision": "approve", "reason": "complete"},
    ("POST", "/v1/projects/{project_id}/reports"): {
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "data": BOILER,
    },
    ("POST", "/v1/reports/{report_id}/verifications"): {"decision": "approve", "reason": "site visit"},
    ("POST", "/v1/reports/{report_id}/withdrawal"): {"reason": "meter calibration expired"},
    ("POST", "/v1/transfers"): {"batch_id": 1, "to": PATH_SAMPLES["participant_id"], "amount_kg": 1000},
    ("POST", "/v1/transactions/drafts"): {"action": "list", "batch_id": 1, "amount_kg": 1000},
    # A legacy transaction signed by a throwaway key (not the caller's): refused, never relayed.
    ("POST", "/v1/transactions"): {"raw": SIGNED_ELSEWHERE},
    ("POST", "/v1/retirements"): {
        "batch_id": 1,
        "amount_kg": 1000,
        "beneficiary": "Chengdu Marathon",
        "purpose": "voluntary",
    },
    ("POST", "/v1/supervision/accounts/{participant_id}/freeze"): {"reason": "dispute 2025-07"},
    ("POST", "/v1/supervision/accounts/{participant_id}/unfreeze"): {"reason": "settled"},
    ("POST", "/v1/supervision/batches/{batch_id}/freeze"): {"reason": "verification under review"},
    ("POST", "/v1/supervision/batches/{batch_id}/unfreeze"): {"reason": "review closed"},
    ("POST", "/v1/supervision/invalidations"): {
        "batch_id": 1,
        "holder": "par_000000000000",
        "amount_kg": 1000,
        "reason": "double counted",
    },
    ("POST", "/v1/supervision/pause"): {"reason": "incident"},
    ("POST", "/v1/supervision/unpause"): {"reason": "incident closed"},
    ("POST", "/v1/listings"): {"batch_id": 1, "amount_kg": 1000},
    ("POST", "/v1/trades"): {
        "reference": "SEEE-T-000001",
        "listing_id": 1,
        "buyer": "par_000000000000",
        "amount_kg": 1000,
        "price_fen_per_t": 6000,
    },
    ("POST", "/v1/market/reference-prices"): {"project_type": "energy-substitution", "price_fen_per_t": 6000},
    ("POST", "/v1/market/halts"): {
        "project_type": "energy-substitution",
        "halted": True,
        "reason": "dispute",
    },
    ("POST", "/v1/exchange/statements"): {
        "day": "2025-06-30",
        "trades": [
            {
                "reference": "SEEE-T-000001",
                "listing_id": 1,
                "buyer": "par_000000000000",
                "amount_kg": 1000,
                "price_fen_per_t": 6000,
            }
        ],
        "escrow": [{"listing_id": 1, "remaining_kg": 0}],
    },
    ("POST", "/v1/webhooks"): {"url": "https://exchange.example/feed"},
    ("POST", "/v1/mall/merchants"): {"participant_id": "par_000000000000", "display_name": "Jinli Tea House"},
    ("POST", "/v1/mall/items"): {
        "name": "Bamboo cup",
        "description": "Reusable",
        "points_price": 20,
        "stock": 5,
    },
    ("PATCH", "/v1/mall/items/{item_id}"): {"points_price": 25, "stock": 4},
    ("POST", "/v1/mall/redemptions"): {"item_id": 1},
    ("POST", "/v1/mall/vouchers/confirm"): {"code": "TH-0000-0000"},
    ("POST", "/v1/scenes"): {
        "name": "Chengdu Hotpot House",
        "kind": "restaurant",
        "address": "1 Chunxi Road, Jinjiang, Chengdu",
    },
    ("POST", "/v1/scenes/{scene_id}/assessments"): {"answers": SCENE_ANSWERS},
    ("POST", "/v1/scenes/{scene_id}/revocation"): {"reason": "the restaurant closed"},
    ("POST", "/v1/points/me/profile"): {"display_name": "Green commuter", "leaderboard": True},
    ("POST", "/v1/campaigns"): {
        "name": "Car-free day",
        "scene": "car_free_day",
        "starts_on": "2030-09-22",
        "ends_on": "2030-09-22",
        "multiplier": "2",
    },
}
# The routes taking a body with a citizen's token (api/routers/points.py), not a participant's:
# tests/api/test_auth.py lists them in CITIZEN_OWN.
CITIZEN_BODIES = {("POST", "/v1/mall/redemptions"), ("POST", "/v1/points/me/profile")}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, e.g. "/v1/projects/{project_id}"
    takes_body: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def url(self) -> str:
        """The path with a well-formed sample for each parameter."""
        return self.path.format(**PATH_SAMPLES)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: object) -> list[Endpoint]:
    """Every (method, path) the app answers, from ``app.routes`` (included routers flattened)."""
    assert isinstance(app, FastAPI)
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        takes_body = isinstance(route, APIRoute) and route.body_field is not None
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                found.append(Endpoint(method, str(context.path), takes_body))
    return found


def app_endpoints() -> list[Endpoint]:
    """The endpoints of the app, without a runtime: its routes do not depend on one."""
    return endpoints(create_app(cast(Runtime, None), background=False))


# -- what a request wrote -------------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    """Everything a request could have written: each table's rows (the outbox, the nonce
    counters of ``chain_accounts``, idempotency records ... all of them), the chain's next nonce
    of every account the registry knows, and the chain's block number."""

    rows: dict[str, list[tuple[Any, ...]]]
    nonces: dict[str, int]
    block: int


def footprint(runtime: Runtime) -> Footprint:
    with runtime.db.transaction() as session:
        rows = {
            table.name: [
                tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }
        addresses = list(session.execute(select(Participant.address)).scalars())
    addresses.append(runtime.operator.address)
    return Footprint(
        rows, {a: runtime.client.next_nonce(a) for a in sorted(set(addresses))}, runtime.client.block_number()
    )


def written(before: Footprint, after: Footprint) -> dict[str, Any]:
    """What changed from `before` to `after`: rows added and removed per table, nonces, blocks."""
    changes: dict[str, Any] = {}
    for table, rows in after.rows.items():
        old = before.rows.get(table, [])
        added, removed = [r for r in rows if r not in old], [r for r in old if r not in rows]
        if added or removed:
            changes[table] = {
                "rows before": len(old),
                "rows after": len(rows),
                "added": added,
                "removed": removed,
            }
    for address, nonce in after.nonces.items():
        if before.nonces.get(address, nonce) != nonce:
            changes[f"chain nonce of {address}"] = (before.nonces[address], nonce)
    if after.block != before.block:
        changes["chain block"] = (before.block, after.block)
    return changes


def fields(error: dict[str, Any]) -> set[str]:
    """The fields an error names, in ``details.field`` or ``details.errors[].field``."""
    details = error.get("details") or {}
    named = {e["field"] for e in details.get("errors", [])}
    if "field" in details:
        named.add(details["field"])
    return named


def refuse(
    api: Api,
    runtime: Runtime,
    method: str,
    path: str,
    *,
    token: str | None,
    status: int,
    code: str,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    """Sends a request that must be refused: asserts its status, its error code (and the field
    it names) and that it wrote nothing. Returns the error."""
    before = footprint(runtime)
    response = api.http.request(
        method, path, json=json, content=content, headers={**api.auth(token), **(headers or {})}
    )
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    if field is not None:
        assert field in fields(error), error
    assert written(before, footprint(runtime)) == {}
    return error


# -- builders ---------------------------------------------------------------------------------------


def everyone(api: Api) -> dict[str, Any]:
    """A participant with every role: it passes every role check."""
    return api.participant([*ROLES, *ECONOMY_ROLES])


@dataclass
class Funded:
    batch_id: int
    owner: dict[str, Any]  # holds the whole batch
    holder: dict[str, Any]  # holds nothing


def funded(api: Api) -> Funded:
    batch_id, owner, _ = api.issued_batch()
    return Funded(batch_id, owner, api.participant(["holder"]))


def spend(kind: str, batch_id: int, to: str, **amount: Any) -> tuple[str, dict[str, Any]]:
    """The path and body of a transfer (to `to`) or a retirement."""
    if kind == "transfer":
        return "/v1/transfers", {"batch_id": batch_id, "to": to, **amount}
    return "/v1/retirements", {
        "batch_id": batch_id,
        "beneficiary": "Chengdu Marathon",
        "purpose": "voluntary",
        **amount,
    }


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def days_from_today(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


# -- malformed bodies, on every route that takes one --------------------------------------------


def test_valid_bodies__cover_every_route_that_takes_a_body() -> None:
    assert {e.key for e in app_endpoints() if e.takes_body} == set(VALID_BODIES)


MALFORMED = ("malformed JSON", "JSON that is not an object", "no body", "an unknown field")


def malformed(kind: str, endpoint: Endpoint) -> dict[str, Any]:
    """Arguments of `refuse` for a body of `endpoint` malformed in the way `kind` says."""
    if kind == "malformed JSON":
        return {"content": b'{"name": "Acme", ', "headers": {"Content-Type": "application/json"}}
    if kind == "JSON that is not an object":
        return {"json": ["not", "an", "object"], "field": "body"}
    if kind == "no body":
        return {"field": "body"}
    assert kind == "an unknown field"
    return {"json": {**VALID_BODIES[endpoint.key], "surprise": True}, "field": "surprise"}


def test_body__malformed_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    actor = everyone(api)
    citizen = api.ok("/v1/points/citizens", None, api.operator)
    for kind in MALFORMED:
        for endpoint in endpoints(api.http.app):
            if not endpoint.takes_body:
                continue
            with subtests.test(f"{kind}: {endpoint}"):
                error = refuse(
                    api,
                    runtime,
                    endpoint.method,
                    endpoint.url,
                    token=(citizen if endpoint.key in CITIZEN_BODIES else actor)["token"],
                    status=422,
                    code="validation_error",
                    **malformed(kind, endpoint),
                )
                if kind == "an unknown field":  # and nothing else is wrong with the body
                    assert fields(error) == {"surprise"}, error
    with subtests.test("an unknown field in a nested object"):
        body = {"name": "Boiler swap", "methodology": {"code": "TH-ES-001", "version": 1, "surprise": True}}
        error = refuse(
            api,
            runtime,
            "POST",
            "/v1/projects",
            token=actor["token"],
            json=body,
            status=422,
            code="validation_error",
        )
        assert fields(error) == {"methodology.surprise"}, error


# -- amounts --------------------------------------------------------------------------------------

BAD_AMOUNTS: list[tuple[str, dict[str, Any], str | None]] = [
    ("amount_kg as a string", {"amount_kg": "1000"}, "amount_kg"),
    ("amount_kg as a fraction", {"amount_kg": 1.5}, "amount_kg"),
    ("amount_kg as a whole float", {"amount_kg": 1000.0}, "amount_kg"),
    ("amount_kg as a boolean", {"amount_kg": True}, "amount_kg"),
    ("amount_kg of zero", {"amount_kg": 0}, "amount_kg"),
    ("amount_kg negative", {"amount_kg": -1000}, "amount_kg"),
    ("amount_kg beyond 63 bits", {"amount_kg": 2**63}, "amount_kg"),
    ("amount_t with four decimals", {"amount_t": "1.2345"}, "amount_t"),
    ("amount_t below a kilogram", {"amount_t": "0.0001"}, "amount_t"),
    ("amount_t of zero", {"amount_t": "0.000"}, "amount_t"),
    ("amount_t negative", {"amount_t": "-1.000"}, "amount_t"),
    ("amount_t as a number", {"amount_t": 1.5}, "amount_t"),
    ("amount_t not a number", {"amount_t": "ten"}, "amount_t"),
    ("amount_t NaN", {"amount_t": "NaN"}, "amount_t"),
    ("amount_t infinite", {"amount_t": "Infinity"}, "amount_t"),
    ("amount_t beyond 63 bits of kg", {"amount_t": "9223372036854775.808"}, "amount_t"),
    ("amount_t with a huge exponent", {"amount_t": "1e999999"}, "amount_t"),
    ("amount_t with a gram in the 29th digit", {"amount_t": "1.0000000000000000000000000001"}, "amount_t"),
    ("both amount_kg and amount_t", {"amount_kg": 1000, "amount_t": "1.000"}, "body"),
    ("no amount", {}, "body"),
]


def test_spend__bad_request_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    f = funded(api)
    # (case, path, body, status, error code, field named)
    cases: list[tuple[str, str, dict[str, Any], int, str, str | None]] = []
    for kind in ("transfer", "retirement"):
        for name, amount, field in BAD_AMOUNTS:
            path, body = spend(kind, f.batch_id, f.holder["id"], **amount)
            cases.append((f"{kind}: {name}", path, body, 422, "validation_error", field))

    transfer = {"batch_id": f.batch_id, "to": f.holder["id"], "amount_kg": 1000}
    cases += [
        (
            "transfer: an unknown batch",
            "/v1/transfers",
            {**transfer, "batch_id": f.batch_id + 1},
            404,
            "not_found",
            None,
        ),
        (
            "transfer: an unknown recipient",
            "/v1/transfers",
            {**transfer, "to": "par_nobody"},
            404,
            "not_found",
            None,
        ),
        (
            "transfer: to the sender itself",
            "/v1/transfers",
            {**transfer, "to": f.owner["id"]},
            400,
            "invalid_request",
            "to",
        ),
    ]

    retirement = {
        "batch_id": f.batch_id,
        "amount_kg": 1000,
        "beneficiary": "Chengdu Marathon",
        "purpose": "event_neutrality",
    }
    bad_details: list[tuple[str, dict[str, Any], int, str, str | None]] = [
        ("an unknown batch", {"batch_id": f.batch_id + 1}, 404, "not_found", None),
        ("an unknown purpose", {"purpose": "greenwashing"}, 422, "validation_error", "purpose"),
        ("a blank beneficiary", {"beneficiary": "   "}, 422, "validation_error", "beneficiary"),
        (
            "a consumption start without an end",
            {"consumption_start": "2025-10-26"},
            400,
            "invalid_request",
            "consumption_end",
        ),
        (
            "a consumption start after its end",
            {"consumption_start": "2025-10-27", "consumption_end": "2025-10-26"},
            400,
            "invalid_request",
            "consumption_start",
        ),
        (
            "a consumption period before 1970",
            {"consumption_start": "1969-07-20", "consumption_end": "1969-07-21"},
            400,
            "invalid_request",
            "consumption_start",
        ),
        (
            "a consumption date that does not exist",
            {"consumption_start": "2025-02-30", "consumption_end": "2025-03-01"},
            422,
            "validation_error",
            "consumption_start",
        ),
    ]
    for name, change, status, code, field in bad_details:
        cases.append(
            (f"retirement: {name}", "/v1/retirements", {**retirement, **change}, status, code, field)
        )

    for name, path, body, status, code, field in cases:
        with subtests.test(name):
            refuse(
                api,
                runtime,
                "POST",
                path,
                token=f.owner["token"],
                json=body,
                status=status,
                code=code,
                field=field,
            )


def test_spend__more_than_held_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    f = funded(api)
    for kind in ("transfer", "retirement"):
        with subtests.test(f"{kind} of one kilogram more than held"):
            path, body = spend(kind, f.batch_id, f.holder["id"], amount_kg=BOILER_NET_KG + 1)
            error = refuse(
                api,
                runtime,
                "POST",
                path,
                token=f.owner["token"],
                json=body,
                status=409,
                code="insufficient_balance",
            )
            assert error["details"] == {"available_kg": BOILER_NET_KG, "requested_kg": BOILER_NET_KG + 1}
        with subtests.test(f"{kind} of a kilogram of a batch not held at all"):
            path, body = spend(kind, f.batch_id, f.owner["id"], amount_t="0.001")
            error = refuse(
                api,
                runtime,
                "POST",
                path,
                token=f.holder["token"],
                json=body,
                status=409,
                code="insufficient_balance",
            )
            assert error["details"] == {"available_kg": 0, "requested_kg": 1}
            assert (
                error["message"] == f"{f.holder['id']} can spend 0.000 t of batch {f.batch_id}, not 0.001 t"
            )

    # A holder of two batches spends each batch's own holding, not the two together.
    other_batch, other_owner, _ = api.issued_batch()
    moved = api.ok(
        "/v1/transfers",
        {"batch_id": other_batch, "to": f.owner["id"], "amount_kg": 100},
        other_owner["token"],
    )
    assert moved["status"] == "confirmed"
    for kind in ("transfer", "retirement"):
        with subtests.test(f"{kind} of one kilogram more than held of the other batch"):
            path, body = spend(kind, other_batch, f.holder["id"], amount_kg=101)
            error = refuse(
                api, runtime, "POST", path, token=f.owner["token"], json=body, status=409,
                code="insufficient_balance",
            )  # fmt: skip
            assert error["details"] == {"available_kg": 100, "requested_kg": 101}

    # Exactly what is held can be spent: the refusals were at the boundary.
    path, body = spend("transfer", f.batch_id, f.holder["id"], amount_kg=BOILER_NET_KG)
    assert api.ok(path, body, f.owner["token"])["status"] == "confirmed"
    path, body = spend("retirement", f.batch_id, "", amount_kg=BOILER_NET_KG)
    assert api.ok(path, body, f.holder["token"])["status"] == "confirmed"
    assert api.get("/v1/holdings", f.holder["token"]) == []
    assert [h["batch_id"] for h in api.get("/v1/holdings", f.owner["token"])] == [other_batch]


# -- monitoring reports ---------------------------------------------------------------------------


def _registered(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    api.published_methodology_once()
    owner = api.participant(["project_owner"])
    return api.registered_project(owner), owner


def test_report__bad_period_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    project, owner = _registered(api)
    pending = api.report(project, owner, "2025-01-01", "2025-03-31")
    path = f"/v1/projects/{project['id']}/reports"
    cases: list[tuple[str, str, str, int, str, str]] = [
        ("in the future", days_from_today(1), days_from_today(30), 400, "invalid_request", "period_end"),
        ("ending today", days_from_today(-30), today(), 400, "invalid_request", "period_end"),
        ("starting after its end", "2025-06-30", "2025-04-01", 400, "invalid_request", "period_start"),
        ("before 1970", "1969-01-01", "1969-03-31", 400, "invalid_request", "period_start"),
        # The contract refuses periods before 2000 (PERIOD_FLOOR): so does the API, before signing.
        ("before 2000", "1999-10-01", "1999-12-31", 400, "invalid_request", "period_start"),
        ("with a day that does not exist", "2025-04-01", "2025-06-31", 422, "validation_error", "period_end"),
        (
            "overlapping a pending report",
            "2025-03-31",
            "2025-06-30",
            409,
            "period_overlaps_pending",
            "report",
        ),
        ("inside a pending report", "2025-02-01", "2025-02-28", 409, "period_overlaps_pending", "report"),
    ]
    for name, start, end, status, code, field in cases:
        with subtests.test(name):
            body = {"period_start": start, "period_end": end, "data": BOILER}
            error = refuse(
                api, runtime, "POST", path, token=owner["token"], json=body, status=status, code=code
            )
            if code == "period_overlaps_pending":
                assert error["details"]["report"] == pending["id"], error
            else:
                assert field in fields(error), error


def test_report__period_overlapping_an_issued_batch_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    batch_id, owner, _ = api.issued_batch(start="2025-01-01", end="2025-03-31")
    project_id = api.get(f"/v1/batches/{batch_id}")["project"]["id"]
    path = f"/v1/projects/{project_id}/reports"
    for start, end in [
        ("2025-01-01", "2025-03-31"),
        ("2024-12-01", "2025-01-01"),
        ("2025-03-31", "2025-06-30"),
    ]:
        with subtests.test(f"{start}..{end}"):
            body = {"period_start": start, "period_end": end, "data": BOILER}
            refuse(
                api,
                runtime,
                "POST",
                path,
                token=owner["token"],
                json=body,
                status=409,
                code="period_overlaps_issued",
            )
    # The next quarter is free.
    assert (
        api.ok(
            path, {"period_start": "2025-04-01", "period_end": "2025-06-30", "data": BOILER}, owner["token"]
        )["status"]
        == "submitted"
    )


def test_report__monitoring_data_not_fitting_the_methodology_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    project, owner = _registered(api)
    path = f"/v1/projects/{project['id']}/reports"
    without_scrapping = {k: v for k, v in BOILER.items() if k != "replaced_boiler_scrapped"}
    # (case, monitoring data, error code, field named)
    cases: list[tuple[str, Any, str, str | None]] = [
        ("a missing field", without_scrapping, "monitoring_data_invalid", "replaced_boiler_scrapped"),
        (
            "a number that is text",
            {**BOILER, "heat_delivered_gj": "lots"},
            "monitoring_data_invalid",
            "heat_delivered_gj",
        ),
        (
            "a negative quantity",
            {**BOILER, "electricity_kwh": "-1"},
            "monitoring_data_invalid",
            "electricity_kwh",
        ),
        (
            "an efficiency above 100 %",
            {**BOILER, "baseline_efficiency_measured": "1.2"},
            "monitoring_data_invalid",
            "baseline_efficiency_measured",
        ),
        ("an unknown field", {**BOILER, "colour": "red"}, "monitoring_data_invalid", "colour"),
        (
            "more heat out than electricity in",
            {**BOILER, "heat_delivered_gj": "13000"},
            "monitoring_data_invalid",
            "heat_delivered_gj",
        ),
        (
            "a boiler kept, not scrapped",
            {**BOILER, "replaced_boiler_scrapped": False},
            "monitoring_data_invalid",
            "replaced_boiler_scrapped",
        ),
        (
            "more electricity than the boiler can draw in the period",
            {**BOILER, "electricity_kwh": "5000000"},
            "monitoring_data_invalid",
            "electricity_kwh",
        ),
        (
            "data giving no reduction",
            {**BOILER, "heat_delivered_gj": "1", "baseline_efficiency_rated": "1"},
            "no_reduction",
            None,
        ),
        ("data that is not an object", [BOILER], "validation_error", "data"),
    ]
    for name, data, code, field in cases:
        with subtests.test(name):
            body = {"period_start": "2025-01-01", "period_end": "2025-03-31", "data": data}
            error = refuse(
                api,
                runtime,
                "POST",
                path,
                token=owner["token"],
                json=body,
                status=422,
                code=code,
                field=field,
            )
            if code == "no_reduction":
                assert "no reduction" in error["message"], error


# -- unknown and malformed ids --------------------------------------------------------------------


def test_unknown_ids__are_not_found_and_write_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    actor = everyone(api)

    def body(path: str) -> dict[str, Any]:
        return VALID_BODIES[("POST", path)]

    cases: list[tuple[str, str, Any, int, str]] = [
        (
            "POST",
            "/v1/projects/PRJ-00000000/documents",
            body("/v1/projects/{project_id}/documents"),
            404,
            "not_found",
        ),
        ("POST", "/v1/projects/PRJ-00000000/submit", None, 404, "not_found"),
        (
            "POST",
            "/v1/projects/PRJ-00000000/reviews",
            body("/v1/projects/{project_id}/reviews"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/projects/PRJ-00000000/reports",
            body("/v1/projects/{project_id}/reports"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/reports/MR-00000000/verifications",
            body("/v1/reports/{report_id}/verifications"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/reports/MR-00000000/withdrawal",
            body("/v1/reports/{report_id}/withdrawal"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/methodologies/999/reviews",
            body("/v1/methodologies/{methodology_id}/reviews"),
            404,
            "not_found",
        ),
        ("POST", "/v1/methodologies", {"code": "TH-XX-999", "version": 1}, 404, "not_found"),
        ("POST", "/v1/methodologies", {"code": "TH-ES-001", "version": 2}, 404, "not_found"),
        (
            "POST",
            "/v1/projects",
            {"name": "x", "methodology": {"code": "TH-XX-999", "version": 1}},
            422,
            "methodology_unavailable",
        ),
        (
            "POST",
            "/v1/projects",
            {"name": "x", "methodology": {"code": "TH-ES-001", "version": 1}},
            422,
            "methodology_unavailable",
        ),
        (
            "POST",
            "/v1/transfers",
            {"batch_id": 999, "to": api.participant(["holder"])["id"], "amount_kg": 1},
            404,
            "not_found",
        ),
        ("POST", "/v1/retirements", {**body("/v1/retirements"), "batch_id": 999}, 404, "not_found"),
        ("GET", "/v1/participants/par_000000000000", None, 404, "not_found"),
        ("GET", "/v1/projects/PRJ-00000000", None, 404, "not_found"),
        ("GET", "/v1/projects/PRJ-00000000/reports", None, 404, "not_found"),
        ("GET", "/v1/reports/MR-00000000", None, 404, "not_found"),
        ("GET", "/v1/methodologies/999", None, 404, "not_found"),
        ("GET", "/v1/credit-requests/999", None, 404, "not_found"),
        ("GET", "/v1/operations/999", None, 404, "not_found"),
        ("GET", "/v1/batches/999", None, 404, "not_found"),
        ("GET", "/v1/retirements/999", None, 404, "not_found"),
        ("POST", "/v1/supervision/accounts/par_000000000000/freeze", {"reason": "dispute"}, 404, "not_found"),
        ("POST", "/v1/supervision/batches/999/freeze", {"reason": "review"}, 404, "not_found"),
        ("POST", "/v1/supervision/invalidations", body("/v1/supervision/invalidations"), 404, "not_found"),
        ("POST", "/v1/listings", {**body("/v1/listings"), "batch_id": 999}, 404, "not_found"),
        ("POST", "/v1/listings/999/cancellation", None, 404, "not_found"),
        ("GET", "/v1/listings/999", None, 404, "not_found"),
        ("POST", "/v1/trades", body("/v1/trades"), 404, "not_found"),
        ("GET", "/v1/trade-instructions/SEEE-T-000000", None, 404, "not_found"),
        ("GET", "/v1/trades/999", None, 404, "not_found"),
        ("POST", "/v1/market/halts", {"batch_id": 999, "halted": True, "reason": "review"}, 404, "not_found"),
        ("DELETE", "/v1/webhooks/999", None, 404, "not_found"),
        ("POST", "/v1/mall/merchants", body("/v1/mall/merchants"), 404, "not_found"),
        ("GET", "/v1/mall/items/999", None, 404, "item_not_found"),
        ("GET", "/v1/scenes/SC-0000000000", None, 404, "not_found"),
        (
            "POST",
            "/v1/participants/par_000000000000/token-revocation",
            body("/v1/participants/{participant_id}/token-revocation"),
            404,
            "not_found",
        ),
        ("POST", "/v1/participants/par_000000000000/tokens", None, 404, "not_found"),
        ("POST", "/v1/participants/par_000000000000/registration/retry", None, 404, "not_found"),
        ("POST", "/v1/reports/MR-00000000/issuance/retry", None, 404, "not_found"),
        (
            "POST",
            "/v1/scenes/SC-0000000000/assessments",
            body("/v1/scenes/{scene_id}/assessments"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/v1/scenes/SC-0000000000/revocation",
            body("/v1/scenes/{scene_id}/revocation"),
            404,
            "not_found",
        ),
    ]
    for method, path, json, status, code in cases:
        with subtests.test(f"{method} {path} {json or ''}"):
            refuse(api, runtime, method, path, token=actor["token"], json=json, status=status, code=code)


def test_ids__out_of_range_or_malformed_are_refused_and_write_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    """Ids the database cannot hold (32-bit serials, 64-bit token ids) and public ids with
    characters no id has are refused before any query (they were 500s: an integer overflow on
    both databases, a NUL byte on PostgreSQL)."""
    actor = everyone(api)
    nul = "%00"
    cases: list[tuple[str, str, Any, str]] = [
        ("GET", f"/v1/batches/{2**63}", None, "batch_id"),
        ("GET", "/v1/batches/0", None, "batch_id"),
        ("GET", f"/v1/batches?offset={2**63}", None, "offset"),
        ("GET", f"/v1/retirements/{2**63}", None, "certificate_id"),
        ("GET", f"/v1/retirements?batch_id={2**63}", None, "batch_id"),
        ("GET", f"/v1/methodologies/{2**31}", None, "methodology_id"),
        (
            "POST",
            f"/v1/methodologies/{2**31}/reviews",
            {"decision": "approve", "reason": "x"},
            "methodology_id",
        ),
        ("GET", f"/v1/operations/{2**31}", None, "operation_id"),
        ("GET", f"/v1/credit-requests/{2**31}", None, "request_id"),
        ("GET", f"/v1/participants/par_{nul}", None, "participant_id"),
        ("GET", f"/v1/projects/PRJ-{nul}", None, "project_id"),
        ("POST", f"/v1/projects/PRJ-{nul}/submit", None, "project_id"),
        ("GET", f"/v1/reports/MR-{nul}", None, "report_id"),
        ("GET", f"/v1/projects/{'P' * 41}", None, "project_id"),
        ("POST", "/v1/transfers", {"batch_id": 2**63, "to": "par_000000000000", "amount_kg": 1}, "batch_id"),
        ("POST", "/v1/transfers", {"batch_id": 1, "to": "par_\x00", "amount_kg": 1}, "to"),
        ("POST", "/v1/methodologies", {"code": "TH-ES-001", "version": 2**31}, "version"),
        (
            "POST",
            "/v1/projects",
            {"name": "x", "methodology": {"code": "TH-ES-001", "version": 2**31}},
            "methodology.version",
        ),
        (
            "POST",
            "/v1/participants",
            {"name": "Ac\x00me", "kind": "organisation", "roles": ["holder"]},
            "name",
        ),
        (
            "POST",
            "/v1/projects",
            {"name": "Boiler\x00swap", "methodology": {"code": "TH-ES-001", "version": 1}},
            "name",
        ),
        ("POST", f"/v1/supervision/batches/{2**63}/freeze", {"reason": "review"}, "batch_id"),
        ("POST", f"/v1/supervision/accounts/par_{nul}/freeze", {"reason": "dispute"}, "participant_id"),
        (
            "POST",
            "/v1/supervision/invalidations",
            {"batch_id": 2**63, "holder": "par_x", "amount_kg": 1, "reason": "x"},
            "batch_id",
        ),
        (
            "POST",
            "/v1/supervision/invalidations",
            {"batch_id": 1, "holder": "par_\x00", "amount_kg": 1, "reason": "x"},
            "holder",
        ),
        ("GET", f"/v1/listings/{2**63}", None, "listing_id"),
        ("POST", f"/v1/listings/{2**63}/cancellation", None, "listing_id"),
        ("GET", f"/v1/listings?batch_id={2**63}", None, "batch_id"),
        ("GET", f"/v1/trades/{2**63}", None, "trade_id"),
        ("GET", f"/v1/trade-instructions/{'R' * 101}", None, "reference"),
        ("POST", "/v1/listings", {"batch_id": 2**63, "amount_kg": 1}, "batch_id"),
        ("DELETE", f"/v1/webhooks/{2**31}", None, "webhook_id"),
        ("GET", f"/v1/feed?after={2**31}", None, "after"),
        ("GET", f"/v1/mall/items/{2**31}", None, "item_id"),
        ("PATCH", f"/v1/mall/items/{2**31}", {"stock": 1}, "item_id"),
        ("POST", "/v1/mall/items", {"name": "Cup", "points_price": 2**63, "stock": 1}, "points_price"),
        ("GET", "/v1/mall/statements/2025-13", None, "month"),
        ("GET", f"/v1/scenes/SC-{nul}", None, "scene_id"),
        ("POST", f"/v1/scenes/SC-{nul}/revocation", {"reason": "x"}, "scene_id"),
        ("POST", f"/v1/participants/par_{nul}/token-revocation", {"reason": "x"}, "participant_id"),
        ("POST", f"/v1/participants/par_{nul}/tokens", None, "participant_id"),
        ("POST", f"/v1/participants/par_{nul}/registration/retry", None, "participant_id"),
        ("POST", f"/v1/reports/MR-{nul}/issuance/retry", None, "report_id"),
        ("POST", "/v1/mall/merchants", {"participant_id": "par_\x00", "display_name": "x"}, "participant_id"),
    ]
    for method, path, json, field in cases:
        with subtests.test(f"{method} {path} {json or ''}"):
            refuse(
                api,
                runtime,
                method,
                path,
                token=actor["token"],
                json=json,
                status=422,
                code="validation_error",
                field=field,
            )


def test_periods__out_of_range_are_refused_and_write_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    """Months and years the calendar arithmetic cannot hold (9999-12 ends in year 10000: it was a
    500 of the leaderboard) are refused with the route's code."""
    merchant = api.participant(["merchant"])
    api.ok(
        "/v1/mall/merchants",
        {"participant_id": merchant["id"], "display_name": "Jinli Tea House"},
        api.operator,
    )
    cases: list[tuple[str, str | None, str, str]] = [
        ("/v1/leaderboard?period=month&at=9999-12", None, "invalid_period", "at"),
        ("/v1/leaderboard?period=month&at=1969-12", None, "invalid_period", "at"),
        ("/v1/leaderboard?period=year&at=9999", None, "invalid_period", "at"),
        ("/v1/mall/statements/9999-12", merchant["token"], "invalid_request", "month"),
        ("/v1/mall/statements/0000-01", merchant["token"], "invalid_request", "month"),
    ]
    for path, token, code, field in cases:
        with subtests.test(path):
            refuse(api, runtime, "GET", path, token=token, status=400, code=code, field=field)


# -- participants, projects, methodologies --------------------------------------------------------


def test_register__bad_participant_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    base = {"name": "Acme", "kind": "organisation", "roles": ["holder"]}
    cases: list[tuple[str, dict[str, Any], int, str, str]] = [
        ("no role", {"roles": []}, 422, "validation_error", "roles"),
        ("an unknown role", {"roles": ["king"]}, 422, "validation_error", "roles.0"),
        ("an unknown kind", {"kind": "robot"}, 422, "validation_error", "kind"),
        ("a blank name", {"name": "  "}, 422, "validation_error", "name"),
        ("a name too long", {"name": "x" * 201}, 422, "validation_error", "name"),
        ("an address that is not one", {"address": "0x1234"}, 400, "invalid_request", "address"),
        ("the zero address", {"address": "0x" + "00" * 20}, 400, "invalid_request", "address"),
        (
            "the address of an existing participant",
            {"address": runtime.operator.address.lower()},
            409,
            "already_exists",
            "address",
        ),
    ]
    for name, change, status, code, field in cases:
        with subtests.test(name):
            refuse(
                api,
                runtime,
                "POST",
                "/v1/participants",
                token=api.operator,
                json={**base, **change},
                status=status,
                code=code,
                field=field,
            )


def test_project_review__project_not_submitted_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime
) -> None:
    registered, owner = _registered(api)
    draft = api.draft_project(owner)
    review = {"decision": "approve", "reason": "complete"}
    for project in (draft, registered):
        error = refuse(
            api,
            runtime,
            "POST",
            f"/v1/projects/{project['id']}/reviews",
            token=api.operator,
            json=review,
            status=409,
            code="invalid_state",
        )
        assert error["details"] == {"status": project["status"]}
    # Nor can a project without its design document be submitted.
    refuse(
        api,
        runtime,
        "POST",
        f"/v1/projects/{draft['id']}/submit",
        token=owner["token"],
        status=409,
        code="invalid_state",
    )


def test_document__bad_content_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    api.published_methodology_once()
    owner = api.participant(["project_owner"])
    draft = api.draft_project(owner)
    path = f"/v1/projects/{draft['id']}/documents"
    cases: list[tuple[str, str, int, str]] = [
        ("not base64", "this is not base64!", 400, "invalid_request"),
        ("empty", "", 422, "validation_error"),
        ("empty once decoded", "====", 400, "invalid_request"),
    ]
    for name, content, status, code in cases:
        with subtests.test(name):
            body = {"filename": "pdd.txt", "content_base64": content}
            refuse(
                api,
                runtime,
                "POST",
                path,
                token=owner["token"],
                json=body,
                status=status,
                code=code,
                field="content_base64",
            )
    assert api.ok(
        path, {"filename": "pdd.txt", "content_base64": base64.b64encode(b"design").decode()}, owner["token"]
    )


def test_methodology_review__same_member_twice_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime
) -> None:
    experts = [api.participant(["committee"]) for _ in range(3)]
    m = api.ok("/v1/methodologies", {"code": "TH-ES-001", "version": 1}, api.operator)
    api.ok(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "approve", "reason": "formula checked"},
        experts[0]["token"],
    )
    for decision in ("approve", "reject"):
        refuse(
            api,
            runtime,
            "POST",
            f"/v1/methodologies/{m['id']}/reviews",
            token=experts[0]["token"],
            json={"decision": decision, "reason": "again"},
            status=409,
            code="already_reviewed",
        )
    m = api.get(f"/v1/methodologies/{m['id']}")
    assert (m["status"], [r["reviewer"] for r in m["reviews"]]) == ("proposed", [experts[0]["id"]])


# -- idempotency keys -----------------------------------------------------------------------------


def _transfer_operations(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return int(
            session.execute(select(func.count()).where(ChainOperation.kind == "transfer")).scalar_one()
        )


def test_idempotency__same_key_replays_the_first_result_and_refuses_another_request(
    api: Api, runtime: Runtime
) -> None:
    f = funded(api)
    body = {"batch_id": f.batch_id, "to": f.holder["id"], "amount_kg": 1000}
    first = api.post("/v1/transfers", body, f.owner["token"], key="transfer-1")
    before = footprint(runtime)

    # The same request: the first result, and nothing done again.
    again = api.post("/v1/transfers", body, f.owner["token"], key="transfer-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    # The same request however it is written: tonnes for kilograms, another key order.
    same = api.http.post(
        "/v1/transfers",
        content=f'{{"amount_t": "1.000", "to": "{f.holder["id"]}", "batch_id": {f.batch_id}}}'.encode(),
        headers={**api.auth(f.owner["token"], "transfer-1"), "Content-Type": "application/json"},
    )
    assert (same.status_code, same.json()) == (first.status_code, first.json())
    assert written(before, footprint(runtime)) == {}

    # Another request with the key: refused, here or on another route.
    retirement = {
        "batch_id": f.batch_id,
        "amount_kg": 1000,
        "beneficiary": "Chengdu Marathon",
        "purpose": "voluntary",
    }
    for path, other in [("/v1/transfers", {**body, "amount_kg": 2000}), ("/v1/retirements", retirement)]:
        error = refuse(
            api,
            runtime,
            "POST",
            path,
            token=f.owner["token"],
            json=other,
            headers={"Idempotency-Key": "transfer-1"},
            status=409,
            code="idempotency_key_reused",
        )
        assert error["details"] == {"key": "transfer-1"}

    # The first result stands: one chain operation, 1000 kg transferred.
    again = api.post("/v1/transfers", body, f.owner["token"], key="transfer-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert api.get(f"/v1/credit-requests/{first.json()['id']}", f.owner["token"]) == first.json()
    assert _transfer_operations(runtime) == 1
    assert api.get("/v1/holdings", f.holder["token"]) == [
        {"batch_id": f.batch_id, "amount_kg": 1000, "amount_t": "1.000"}
    ]


def test_idempotency__bad_key_is_refused_and_writes_nothing(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    body = VALID_BODIES[("POST", "/v1/participants")]
    for name, key in [("over-long", "k" * 201), ("empty", ""), ("unprintable", "tab\tinside")]:
        with subtests.test(name):
            refuse(
                api,
                runtime,
                "POST",
                "/v1/participants",
                token=api.operator,
                json=body,
                headers={"Idempotency-Key": key},
                status=400,
                code="invalid_request",
                field="Idempotency-Key",
            )
    # The longest key is accepted, and replays.
    first = api.post("/v1/participants", body, api.operator, key="k" * 200)
    again = api.post("/v1/participants", body, api.operator, key="k" * 200)
    assert again.status_code == first.status_code == 201
    assert again.json() == {k: v for k, v in first.json().items() if k != "token"}  # the token is shown once
