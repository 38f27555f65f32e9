"""The public explorer's pages: each renders the data of a lifecycle (issuance, transfer,
retirement), in Chinese by default and English on request; unknown records are HTML 404 pages;
the search finds each kind of thing; the certificate, batch and claim pages carry the chain
facts for the browser's check."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from registry.runtime import Runtime
from tests.api.conftest import BOILER_NET_KG, Api


@dataclass
class Story:
    batch_id: int
    certificate_id: int
    owner: dict[str, Any]
    buyer: dict[str, Any]
    verifier: dict[str, Any]
    retirement_tx: str
    project: dict[str, Any]


def story(api: Api) -> Story:
    batch_id, owner, verifier = api.issued_batch()
    buyer = api.participant(["holder"], name="Chengdu Marathon")
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_t": "300.000"}, owner["token"])
    retirement = api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": 120_500,
            "beneficiary": "Chengdu Marathon 2025 <race>",
            "purpose": "event_neutrality",
            "event_id": "chengdu-marathon-2025",
            "jurisdiction": "CN-SC-Chengdu",
        },
        buyer["token"],
    )
    batch = api.get(f"/v1/batches/{batch_id}")
    return Story(
        batch_id,
        retirement["certificate_id"],
        owner,
        buyer,
        verifier,
        retirement["operation"]["tx_hash"],
        batch["project"],
    )


def page(api: Api, path: str, status: int = 200, **params: str) -> str:
    response = api.http.get(path, params=params, headers={"Accept": "text/html"})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def text_of(page_html: str) -> str:
    """The page's visible text (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html))


def chain_facts(page_html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="chain-check-facts">(.*?)</script>', page_html, re.S
    )
    assert found, "the page carries no chain_check facts"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_home__shows_the_totals_by_type_and_month_and_the_latest_certificate(api: Api) -> None:
    s = story(api)
    body = page(api, "/")
    text = text_of(body)
    assert "已签发" in text and "已注销" in text  # Chinese by default
    assert "950.560" in text  # issued
    assert "120.500" in text  # retired
    assert "830.060" in text  # in circulation: issued - retired
    assert "能源替代" in text  # the boiler's project type
    assert "<svg" in body and "<script" not in body  # charts without JavaScript
    assert f'href="/certificates/{s.certificate_id}"' in body
    assert "Chengdu Marathon 2025 <race>" in text and "<race>" not in body  # escaped


def test_language__english_on_request_kept_in_a_cookie(api: Api) -> None:
    story(api)
    response = api.http.get("/", params={"lang": "en"})
    assert "Issued" in response.text and "已签发" not in response.text
    assert response.cookies.get("lang") == "en"
    again = api.http.get("/methodologies")  # the client sends the cookie back
    assert "Content hash" in again.text
    assert "内容哈希" in api.http.get("/methodologies", params={"lang": "zh"}).text


def test_certificate__names_the_beneficiary_the_serials_and_the_chain_evidence(
    api: Api, runtime: Runtime
) -> None:
    s = story(api)
    body = page(api, f"/certificates/{s.certificate_id}", lang="en")
    text = text_of(body)
    assert "Chengdu Marathon 2025 <race>" in text
    assert s.retirement_tx in text
    assert f"TH-{s.batch_id}-1-120500" in text
    assert runtime.deployment.credits in body
    assert "<svg" in body  # the QR code, inline
    assert f'href="/certificates/{s.certificate_id}.pdf"' in body
    facts = chain_facts(body)
    assert facts["kind"] == "certificate" and facts["id"] == s.certificate_id
    assert facts["chain_id"] == runtime.deployment.chain_id
    assert facts["contracts"]["TanhuiCredits"] == runtime.deployment.credits
    assert facts["rpc_url"] == (runtime.client.rpc_url or "")  # the in-process chain has none
    on_chain = runtime.tanhui.retirement(s.certificate_id)
    assert facts["facts"]["holder"] == s.buyer["address"] == on_chain.holder
    assert facts["facts"]["amount_kg"] == 120_500
    assert (facts["facts"]["serial_first"], facts["facts"]["serial_last"]) == (
        on_chain.serial_first,
        on_chain.serial_last,
    )
    assert facts["facts"]["purpose"] == int(on_chain.purpose) == 0  # EVENT_NEUTRALITY, the chain's uint8
    assert facts["facts"]["retired_at"] == on_chain.retired_at
    assert facts["facts"]["block_number"] == on_chain.block_number
    assert facts["facts"]["tx_hash"] == s.retirement_tx
    assert '<div id="chain-check" data-state="pending"' in body


def test_chain_check__gives_the_public_rpc_url_when_set(api: Api, runtime: Runtime) -> None:
    s = story(api)
    runtime.settings.public_rpc_url = "https://rpc.example.org/tanhui"
    for path in (f"/certificates/{s.certificate_id}", f"/batches/{s.batch_id}"):
        assert chain_facts(page(api, path))["rpc_url"] == "https://rpc.example.org/tanhui"


def test_certificate__printable_version_and_pdf(api: Api) -> None:
    s = story(api)
    printable = page(api, f"/certificates/{s.certificate_id}", print="1")
    assert 'class="printable"' in printable
    pdf = api.http.get(f"/certificates/{s.certificate_id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert api.http.get("/certificates/999999.pdf").status_code == 404


def test_batch__shows_provenance_holders_transfers_and_retirements(api: Api) -> None:
    s = story(api)
    body = page(api, f"/batches/{s.batch_id}", lang="en")
    text = text_of(body)
    assert "TH-ES-001 v1" in text
    assert f'href="/projects/{s.project["id"]}"' in body
    assert s.verifier["address"] in body  # the verifier, linked to its account
    assert f'href="/accounts/{s.buyer["address"]}"' in body  # a holder
    assert "179.500" in text  # the buyer holds 300 - 120.5 t
    assert f'href="/certificates/{s.certificate_id}"' in body
    facts = chain_facts(body)
    assert facts["kind"] == "batch"
    assert facts["facts"]["issued_kg"] == BOILER_NET_KG and facts["facts"]["retired_kg"] == 120_500
    assert facts["facts"]["project_id"].startswith("0x") and len(facts["facts"]["project_id"]) == 66


def test_project_and_methodologies__show_documents_reports_and_hashes(api: Api) -> None:
    s = story(api)
    methodology = api.published_methodology_once()
    assert methodology["content_hash"] in page(api, "/methodologies")
    listing = page(api, "/projects")
    assert f'href="/projects/{s.project["id"]}"' in listing
    body = page(api, f"/projects/{s.project['id']}", lang="en")
    text = text_of(body)
    assert "pdd.txt" in text
    assert hashlib.sha256(b"design").hexdigest() in body
    assert "950.560" in text and f'href="/batches/{s.batch_id}"' in body


def test_account__holdings_and_history(api: Api) -> None:
    s = story(api)
    body = page(api, f"/accounts/{s.buyer['address'].lower()}", lang="en")
    text = text_of(body)
    assert "Chengdu Marathon" in text
    assert "179.500" in text  # holding
    assert "300.000" in text  # the transfer in
    assert f'href="/certificates/{s.certificate_id}"' in body
    assert page(api, f"/accounts/0x{'ab' * 20}", 404)
    assert page(api, "/accounts/not-an-address", 404)


def test_unknown_records__are_html_404_pages(api: Api) -> None:
    for path in (
        "/certificates/999999",
        "/certificates/abc",
        "/batches/999999",
        "/batches/0",
        "/projects/PRJ-00000000",
        "/claims/CL-0000000000",
        "/no/such/page",
    ):
        body = page(api, path, 404)
        assert "404" in body and "Traceback" not in body, path
    # The API keeps answering JSON.
    assert api.http.get("/v1/no-such-route").json()["error"]["code"] == "not_found"


def test_search__finds_each_kind_of_thing(api: Api) -> None:
    s = story(api)

    def found(q: str) -> httpx.Response:
        return api.http.get("/search", params={"q": q}, follow_redirects=False)

    assert found(s.retirement_tx).headers["location"] == f"/certificates/{s.certificate_id}"
    batch = api.get(f"/v1/batches/{s.batch_id}")
    assert found(batch["chain"]["tx_hash"]).headers["location"] == f"/batches/{s.batch_id}"
    assert found(s.buyer["address"].lower()).headers["location"] == f"/accounts/{s.buyer['address']}"
    assert found(s.project["id"]).headers["location"] == f"/projects/{s.project['id']}"
    assert found("boiler SWAP").headers["location"] == f"/projects/{s.project['id']}"  # by name
    # A number is a certificate id and a batch id: both listed when both exist.
    both = found("1")
    assert both.status_code == 200
    assert 'href="/certificates/1"' in both.text and 'href="/batches/1"' in both.text
    nothing = found("no such thing")
    assert nothing.status_code == 200 and "没有找到结果" in nothing.text
    assert found("%_").status_code == 200  # LIKE wildcards are taken literally


def test_market_points_and_claims_pages_render(api: Api) -> None:
    story(api)
    for path in ("/market", "/points", "/claims"):
        assert "<h1>" in page(api, path), path


@pytest.mark.parametrize("path", ["/", "/certificates/1", "/supervision"])
def test_pages__are_not_in_the_openapi_document(api: Api, path: str) -> None:
    paths = api.http.get("/openapi.json").json()["paths"]
    assert path not in paths and "/certificates/{certificate_id}" not in paths


def test_static__the_stylesheet_is_served(api: Api) -> None:
    css = api.http.get("/static/explorer/site.css")
    assert css.status_code == 200 and "@media" in css.text


def test_claim__shows_footprint_and_retirements_and_the_closed_account_as_on_chain(
    api: Api, runtime: Runtime
) -> None:
    from tests.api.test_claims import _verified, retire_against

    batch_id, _, claimant, claim = _verified(api)
    retired = retire_against(
        api, claimant, batch_id, claim["id"], claim["required_kg"], "organisation_neutrality"
    )
    claim = api.ok(f"/v1/claims/{claim['id']}/close", None, claimant["token"])
    assert claim["status"] == "neutral"
    listing = page(api, "/claims")
    assert f'href="/claims/{claim["id"]}"' in listing
    body = page(api, f"/claims/{claim['id']}", lang="en")
    assert f'href="/certificates/{retired["certificate_id"]}"' in body
    assert claim["chain"]["close_tx"] in body
    facts = chain_facts(body)["facts"]
    account = runtime.tanhui.event_account(bytes.fromhex(claim["chain"]["event_id"][2:]))
    assert facts["event_id"] == claim["chain"]["event_id"]
    assert (facts["retired_kg"], facts["footprint_kg"], facts["required_kg"], facts["closed_at"]) == (
        account.retired_kg,
        account.footprint_kg,
        account.required_kg,
        account.closed_at,
    )
    assert facts["closed_at"] > 0
    assert api.http.get(f"/search?q={claim['id']}", follow_redirects=False).headers["location"] == (
        f"/claims/{claim['id']}"
    )


def test_malformed_ids__are_404_pages_not_database_errors(api: Api) -> None:
    nul = "%00"
    for path in (
        f"/certificates/{2**63}",
        f"/certificates/{2**63}.pdf",
        f"/batches/{'9' * 30}",
        f"/projects/PRJ-{nul}",
        f"/projects/{'P' * 41}",
        f"/claims/CL-{nul}",
        f"/accounts/0x{nul}",
    ):
        assert "404" in page(api, path, 404), path
    # The search box takes anything: control characters find nothing rather than fail.
    assert "没有找到结果" in page(api, "/search", q="PRJ-\x00")
    assert "没有找到结果" in page(api, "/search", q="x" * 200)


def test_unicode_digits__are_404_pages_not_500s(api: Api) -> None:
    for path in ("/batches/²", "/certificates/²", "/certificates/².pdf"):
        assert api.http.get(path).status_code == 404, path
    assert api.http.get("/search", params={"q": "²"}).status_code == 200


def test_projects__a_draft_is_not_public(api: Api) -> None:
    api.published_methodology_once()
    owner = api.participant(["project_owner"])
    draft = api.ok(
        "/v1/projects",
        {
            "name": "Secret boiler plan",
            "location": "Chengdu",
            "methodology": {"code": "TH-ES-001", "version": 1},
        },
        owner["token"],
    )
    assert "Secret boiler plan" not in api.http.get("/projects").text
    assert api.http.get(f"/projects/{draft['id']}").status_code == 404
    assert "Secret boiler plan" not in api.http.get("/search", params={"q": "Secret boiler"}).text
    registered = api.registered_project(owner)
    assert api.http.get(f"/projects/{registered['id']}").status_code == 200


def test_public_rpc_url__never_carries_the_registrys_credentials() -> None:
    from api.routers.pages import _without_credentials

    assert (
        _without_credentials("https://ops:S3cret@besu.internal:8545/rpc?apikey=K1")
        == "https://besu.internal:8545/rpc"
    )
    assert _without_credentials("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert _without_credentials("not a url") == ""


def test_certificate_qr__names_the_public_base_url_when_set(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    r = api.ok(
        "/v1/retirements",
        {"batch_id": batch_id, "amount_kg": 10, "beneficiary": "B", "purpose": "voluntary"},
        owner["token"],
    )
    runtime.settings.public_base_url = "https://registry.example.cn"
    try:
        body = api.http.get(f"/certificates/{r['certificate_id']}", headers={"Host": "evil.example"}).text
    finally:
        runtime.settings.public_base_url = None
    assert f"https://registry.example.cn/certificates/{r['certificate_id']}" in body
    assert "evil.example" not in body
