"""Who may call what: every route of the app is either public or needs a valid API token, and
the routes of a role refuse every other role. Ownership: a participant acts only on its own
projects, sees only itself, and a verifier never verifies its own project.

The routes are enumerated from ``app.routes``: a new route fails
``test_routes__each_is_public_or_protected_with_its_roles`` until it is listed below.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from registry.clock import now
from registry.models import ApiToken, Participant
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_bad_input import (
    PATH_SAMPLES,
    ROLES,
    VALID_BODIES,
    Endpoint,
    app_endpoints,
    endpoints,
    footprint,
    refuse,
    written,
)

PUBLIC = {
    ("GET", "/v1/health"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/batches/{batch_id}"),
    ("GET", "/v1/retirements"),
    ("GET", "/v1/retirements/{certificate_id}"),
    ("GET", "/v1/methodologies"),
    ("GET", "/v1/methodologies/catalogue"),
    ("GET", "/v1/methodologies/{methodology_id}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}

ANY: frozenset[str] = frozenset()  # any authenticated participant
# Every protected route and the roles it admits (ANY: a token of any participant).
PROTECTED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/participants"): frozenset({"registrar"}),
    ("GET", "/v1/participants"): frozenset({"registrar"}),
    ("GET", "/v1/participants/me"): ANY,
    ("GET", "/v1/participants/{participant_id}"): ANY,  # itself or the registrar: see below
    ("POST", "/v1/methodologies"): frozenset({"registrar", "project_owner"}),
    ("POST", "/v1/methodologies/{methodology_id}/reviews"): frozenset({"committee"}),
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
    ("GET", "/v1/supervision"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/accounts/{participant_id}/freeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/accounts/{participant_id}/unfreeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/batches/{batch_id}/freeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/batches/{batch_id}/unfreeze"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/invalidations"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/pause"): frozenset({"supervisor"}),
    ("POST", "/v1/supervision/unpause"): frozenset({"supervisor"}),
}


def call(api: Api, endpoint: Endpoint, authorization: str | None, body: Any = None) -> httpx.Response:
    """`endpoint` with sample path ids, the given Authorization header and JSON body."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    response: httpx.Response = api.http.request(endpoint.method, endpoint.url, json=body, headers=headers)
    return response


def protected(api: Api) -> list[Endpoint]:
    return [e for e in endpoints(api.http.app) if e.key not in PUBLIC]


def test_routes__each_is_public_or_protected_with_its_roles() -> None:
    found = {e.key for e in app_endpoints()}
    assert not PUBLIC & set(PROTECTED)
    assert found - PUBLIC == set(PROTECTED), "list a new route in PUBLIC or PROTECTED"
    assert PUBLIC <= found


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


# -- the wrong role: 403 ---------------------------------------------------------------------------


def test_role_routes__forbid_participants_without_the_role_and_admit_those_with_it(
    api: Api, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    bearers = {role: f"Bearer {api.participant([role])['token']}" for role in ROLES}
    before = footprint(runtime)
    for role, bearer in bearers.items():
        for endpoint in protected(api):
            roles = PROTECTED[endpoint.key]
            if not roles:
                continue
            with subtests.test(f"{role}: {endpoint}"):
                if role in roles:
                    # Past the role check: refused for its empty body or unknown id, never 401/403.
                    response = call(api, endpoint, bearer, {} if endpoint.takes_body else None)
                    assert response.status_code in (200, 404, 422), response.text
                else:
                    # Even with a valid body: the role is checked first.
                    response = call(api, endpoint, bearer, VALID_BODIES.get(endpoint.key))
                    assert response.status_code == 403, response.text
                    error = response.json()["error"]
                    assert error["code"] == "forbidden"
                    assert set(error["details"]["needed"]) == roles
    assert written(before, footprint(runtime)) == {}


# -- public routes ---------------------------------------------------------------------------------


def test_public_routes__answer_without_a_token(api: Api, subtests: pytest.Subtests) -> None:
    methodology = api.ok("/v1/methodologies", {"code": "TH-ES-001", "version": 1}, api.operator)
    not_found = {
        "/v1/batches/{batch_id}": "no batch 999",
        "/v1/retirements/{certificate_id}": "no retirement certificate 999",
    }
    for endpoint in endpoints(api.http.app):
        if endpoint.key not in PUBLIC:
            continue
        with subtests.test(str(endpoint)):
            url = endpoint.path.format(**{**PATH_SAMPLES, "methodology_id": methodology["id"]})
            response = api.http.get(url)
            if endpoint.path in not_found:  # answered by the route itself: there is no such batch yet
                assert response.status_code == 404, response.text
                assert response.json()["error"]["message"] == not_found[endpoint.path]
            else:
                assert response.status_code == 200, response.text


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
