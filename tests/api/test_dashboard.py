"""The supervisors' dashboard: a sign-in page for visitors, 403 for a participant without the
supervisor role; a session cookie (HttpOnly, SameSite=Strict); actions that need a reason and
the session's CSRF token, take effect on chain, and are listed with their reasons; the reconcile
button stores its summary."""

from __future__ import annotations

import re
from typing import Any

import httpx

from api.routers.dashboard import SESSION_COOKIE
from registry.runtime import Runtime
from tests.api.conftest import Api


def sign_in(api: Api, token: str) -> httpx.Response:
    response: httpx.Response = api.http.post(
        "/supervision/session", data={"token": token}, follow_redirects=False
    )
    return response


def csrf_of(page_html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page_html)
    assert found, "the dashboard has no CSRF token in its forms"
    return found.group(1)


def act(api: Api, fields: dict[str, str]) -> httpx.Response:
    response: httpx.Response = api.http.post("/supervision/actions", data=fields, follow_redirects=False)
    return response


def signed_in_supervisor(api: Api) -> tuple[dict[str, Any], str]:
    supervisor = api.participant(["supervisor"], name="City Ecology Bureau")
    response = sign_in(api, supervisor["token"])
    assert response.status_code == 303 and response.headers["location"] == "/supervision"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/supervision" in cookie
    page = api.http.get("/supervision")
    assert page.status_code == 200
    return supervisor, csrf_of(page.text)


def test_dashboard__a_visitor_gets_the_sign_in_page(api: Api) -> None:
    page = api.http.get("/supervision")
    assert page.status_code == 200
    assert 'action="/supervision/session"' in page.text and 'name="csrf"' not in page.text
    refused = act(api, {"action": "freeze_batch", "batch_id": "1", "reason": "x", "csrf": "0"})
    assert refused.status_code == 401 and 'action="/supervision/session"' in refused.text
    assert sign_in(api, "th_" + "A" * 43).status_code == 401


def test_dashboard__a_participant_without_the_supervisor_role_is_refused(api: Api) -> None:
    holder = api.participant(["holder"])
    assert sign_in(api, holder["token"]).status_code == 403
    api.http.cookies.set(SESSION_COOKIE, holder["token"], path="/supervision")
    assert api.http.get("/supervision").status_code == 403
    refused = act(api, {"action": "freeze_batch", "batch_id": "1", "reason": "x", "csrf": "0"})
    assert refused.status_code == 403


def test_dashboard__shows_supply_actions_and_signs_out(api: Api, runtime: Runtime) -> None:
    _, owner, _ = api.issued_batch()
    supervisor, _ = signed_in_supervisor(api)
    api.ok(
        f"/v1/supervision/accounts/{owner['id']}/freeze", {"reason": "dispute 2025-07"}, supervisor["token"]
    )
    page = api.http.get("/supervision", params={"lang": "en"}).text
    assert "Energy substitution" in page and "950.560" in page  # supply by project type
    assert owner["address"] in page and "dispute 2025-07" in page  # the frozen account, with its reason
    assert "freeze_account" in page  # the action in the log
    out = api.http.post("/supervision/sign-out", follow_redirects=False)
    assert out.status_code == 303
    assert 'action="/supervision/session"' in api.http.get("/supervision").text


def test_freeze_batch__needs_a_reason_and_the_csrf_token_and_takes_effect(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    _, csrf = signed_in_supervisor(api)
    form = {"action": "freeze_batch", "batch_id": str(batch_id)}

    no_token = act(api, {**form, "reason": "verification under review"})
    assert no_token.status_code == 403
    wrong_token = act(api, {**form, "reason": "verification under review", "csrf": "0" * 64})
    assert wrong_token.status_code == 403
    no_reason = act(api, {**form, "reason": "   ", "csrf": csrf})
    assert no_reason.status_code == 303 and "ok=0" in no_reason.headers["location"]
    assert api.get(f"/v1/batches/{batch_id}")["frozen"] is False  # nothing of the three acted

    done = act(api, {**form, "reason": "verification under review", "csrf": csrf})
    assert done.status_code == 303 and "ok=1" in done.headers["location"]
    assert api.get(f"/v1/batches/{batch_id}")["frozen"] is True
    refused = api.post(
        "/v1/retirements",
        {"batch_id": batch_id, "amount_kg": 1, "beneficiary": "x", "purpose": "voluntary"},
        owner["token"],
        expect=409,
    )
    assert refused.json()["error"]["code"] == "frozen"
    page = api.http.get(done.headers["location"]).text
    assert f'href="/batches/{batch_id}"' in page.split('id="frozen-batches"')[1].split("</ul>")[0]
    assert "verification under review" in page  # the action, with its reason

    again = act(api, {**form, "reason": "twice", "csrf": csrf})  # already frozen: the service says so
    assert "ok=0" in again.headers["location"] and "invalid_state" in again.headers["location"]


def test_halt_and_invalidate__through_the_dashboard(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    _, csrf = signed_in_supervisor(api)
    halted = act(
        api, {"action": "halt", "project_type": "energy-substitution", "reason": "price spike", "csrf": csrf}
    )
    assert "ok=1" in halted.headers["location"], halted.headers["location"]
    halts = api.get("/v1/market/halts")
    assert [(h["project_type"], h["reason"]) for h in halts] == [("energy-substitution", "price spike")]
    invalid = act(
        api,
        {
            "action": "invalidate",
            "batch_id": str(batch_id),
            "participant_id": owner["id"],
            "amount_t": "1.5",
            "reason": "overstated meter",
            "csrf": csrf,
        },
    )
    assert "ok=1" in invalid.headers["location"], invalid.headers["location"]
    assert api.get(f"/v1/batches/{batch_id}")["supply"]["invalidated_kg"] == 1_500
    bad_amount = act(
        api,
        {"action": "invalidate", "batch_id": str(batch_id), "participant_id": owner["id"],
         "amount_t": "1e3", "reason": "x", "csrf": csrf},
    )  # fmt: skip
    assert "ok=0" in bad_amount.headers["location"]
    assert api.get(f"/v1/batches/{batch_id}")["supply"]["invalidated_kg"] == 1_500


def test_reconcile__run_from_the_dashboard_is_recorded_and_shown(api: Api, runtime: Runtime) -> None:
    api.issued_batch()
    _, csrf = signed_in_supervisor(api)
    assert "尚未运行" in api.http.get("/supervision").text  # never run
    assert api.http.post("/supervision/reconcile", data={}, follow_redirects=False).status_code == 403
    done = api.http.post("/supervision/reconcile", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and "ok=1" in done.headers["location"]
    page = api.http.get("/supervision", params={"lang": "en"}).text
    section = page.split('id="reconcile"')[1].split("</div>")[0]
    assert "In agreement" in section and "batches 1" in section


def test_invalidate__a_double_submitted_form_acts_once(api: Api, runtime: Runtime) -> None:
    """Each form carries its own key, rendered with the page: the same form posted twice (a
    double click) invalidates once. Without the key it invalidated twice."""
    batch_id, owner, _ = api.issued_batch()
    _, csrf = signed_in_supervisor(api)
    page = api.http.get("/supervision").text
    key = re.search(r'name="idempotency" value="([^"]+-invalidate)"', page)
    assert key, "the invalidate form has no key of its own"
    fields = {
        "action": "invalidate",
        "batch_id": str(batch_id),
        "participant_id": owner["id"],
        "amount_t": "1.5",
        "reason": "overstated meter",
        "csrf": csrf,
        "idempotency": key.group(1),
    }
    for _ in range(2):
        assert "ok=1" in act(api, fields).headers["location"]
    assert api.get(f"/v1/batches/{batch_id}")["supply"]["invalidated_kg"] == 1_500


def test_notice__only_the_dashboards_own_is_shown(api: Api) -> None:
    signed_in_supervisor(api)
    forged = api.http.get("/supervision", params={"notice": "re-enter your token at evil.example", "ok": "1"})
    assert forged.status_code == 200 and "evil.example" not in forged.text
    done = act(
        api, {"action": "freeze_batch", "batch_id": "abc", "reason": "x", "csrf": csrf_of(forged.text)}
    )
    shown = api.http.get(done.headers["location"])
    assert 'id="notice"' in shown.text  # the redirect's own notice, signed, is shown


def test_odd_forms__are_refused_not_500s(api: Api) -> None:
    many = "&".join(f"f{i}=x" for i in range(60))
    signed = api.http.post(
        "/supervision/session", content=many, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert signed.status_code in (200, 401) and "supervision/session" in signed.text
    signed_in_supervisor(api)
    for path in ("/supervision/actions", "/supervision/reconcile"):
        odd = api.http.post(path, data={"action": "freeze_batch", "reason": "x", "csrf": "é"})
        assert odd.status_code == 403, (path, odd.status_code)


def test_pages__cannot_be_framed(api: Api) -> None:
    for path in ("/", "/supervision"):
        response = api.http.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
