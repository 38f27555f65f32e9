"""The explorer's in-browser chain check (api/templates/explorer/_chain_check.html and
web/chain_check.js, bundled), in Chromium against a real anvil chain: credits issued, retired and a
claim closed through the registry's API; a page rendering the partial with the facts of the
registry's index shows "verified"; a changed fact shows "mismatch" naming that field; a dead node
shows "error"; the visitor's own node is remembered; without JavaScript the page says how to check
by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from jinja2 import Environment, FileSystemLoader, select_autoescape
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from chain import ChainClient
from chain.compiler import load_artifact
from chain.contracts import RetirementPurpose
from chain.deploy import deploy, deployment_path
from chain.localnode import AnvilProcess, free_port
from registry.models import Batch, BlockTime, Claim, Retirement
from registry.runtime import Runtime, bootstrap
from registry.settings import Settings
from tests.api.conftest import KEYSTORE_SECRET, Api
from tests.api.test_claims import TRIP, claim_body, retire_against
from tests.web.conftest import ROOT, serve

pytestmark = pytest.mark.anvil

TEMPLATES = ROOT / "api" / "templates"
PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>check</title></head>
<body>{% include "explorer/_chain_check.html" %}</body></html>"""
DEAD_RPC = f"http://127.0.0.1:{free_port()}"  # nothing listens there


# -- the facts of the registry's index, as the explorer's pages give them --------------------


def certificate_facts(session: Session, certificate_id: int) -> dict[str, Any]:
    r = session.get(Retirement, certificate_id)
    assert r is not None
    return {
        "certificate_id": r.certificate_id,
        "holder": r.holder,
        "batch_id": r.batch_id,
        "amount_kg": r.amount_kg,
        "serial_first": r.serial_first,
        "serial_last": r.serial_last,
        "purpose": int(RetirementPurpose[r.purpose.upper()]),
        "beneficiary": r.beneficiary,
        "retired_at": r.retired_at,
        "tx_hash": r.tx_hash,
        "block_number": r.block_number,
    }


def batch_facts(session: Session, batch_id: int) -> dict[str, Any]:
    b = session.get(Batch, batch_id)
    assert b is not None
    return {
        "batch_id": b.id,
        "project_id": b.project_hash,
        "issued_kg": b.issued_kg,
        "retired_kg": b.retired_kg,
        "period_start": b.period_start,
        "period_end": b.period_end,
        "tx_hash": b.tx_hash,
        "block_number": b.block_number,
    }


def claim_facts(session: Session, claim_id: str) -> dict[str, Any]:
    c = session.scalars(select(Claim).where(Claim.public_id == claim_id)).one()
    assert c.closed_block is not None
    closed = session.get(BlockTime, c.closed_block)
    assert closed is not None
    return {
        "claim_id": c.public_id,
        "event_id": c.onchain_id,
        "retired_kg": c.retired_at_close,
        "footprint_kg": c.footprint_kg,
        "required_kg": c.required_kg,
        "closed_at": closed.timestamp,
    }


class World:
    """A registry on anvil with one batch, one retirement from it and one closed claim, and a
    tiny site that renders the partial for whatever `chain_check` a test puts under a name."""

    def __init__(
        self, runtime: Runtime, rpc_url: str, base_url: str, pages: dict[str, dict[str, Any]]
    ) -> None:
        self.runtime = runtime
        self.rpc_url = rpc_url
        self.base_url = base_url
        self.pages = pages
        self.batch_id = 0
        self.certificate_id = 0
        self.claim_id = ""

    def chain_check(self, kind: str, ident: int | str, **facts_changed: Any) -> dict[str, Any]:
        with self.runtime.db.transaction() as session:
            if kind == "certificate":
                facts = certificate_facts(session, int(ident))
            elif kind == "batch":
                facts = batch_facts(session, int(ident))
            else:
                facts = claim_facts(session, str(ident))
        facts.update(facts_changed)
        return {
            "kind": kind,
            "id": ident,
            "chain_id": self.runtime.client.chain_id,
            "rpc_url": self.rpc_url,
            "contracts": dict(self.runtime.deployment.contracts),
            "facts": facts,
        }

    def url(self, name: str, chain_check: dict[str, Any], lang: str = "zh") -> str:
        self.pages[name] = {"chain_check": chain_check, "lang": lang}
        return f"{self.base_url}/page/{name}"


def site(pages: dict[str, dict[str, Any]]) -> FastAPI:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    page = env.from_string(PAGE)
    app = FastAPI()
    app.mount("/static/explorer", StaticFiles(directory=ROOT / "api" / "static" / "explorer"))

    @app.get("/page/{name}", response_class=HTMLResponse)
    def render(name: str) -> str:
        return page.render(**pages[name])

    return app


@pytest.fixture(scope="module")
def world(
    anvil: AnvilProcess, explorer_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    client = ChainClient.connect(anvil.url)
    snapshot = client.dev.snapshot()
    data_dir = tmp_path_factory.mktemp("web-data")
    deployment = deploy(client, client.default_signer(), admin_delay=3600)
    deployment.save(deployment_path(data_dir, client.chain_id))
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.db'}",
        keystore_secret=KEYSTORE_SECRET,
    )
    runtime = Runtime.open(settings, client)
    token = bootstrap(runtime)
    assert token is not None
    pages: dict[str, dict[str, Any]] = {}
    try:
        with TestClient(create_app(runtime, background=False)) as http, serve(site(pages)) as base_url:
            api = Api(http, token)
            w = World(runtime, anvil.url, base_url, pages)
            w.batch_id, owner, verifier = api.issued_batch()
            buyer = api.participant(["holder"], kind="person")
            api.ok(
                "/v1/transfers",
                {"batch_id": w.batch_id, "to": buyer["id"], "amount_kg": 100_000},
                owner["token"],
            )
            retirement = api.ok(
                "/v1/retirements",
                {
                    "batch_id": w.batch_id,
                    "amount_kg": 1_205,
                    "beneficiary": "成都马拉松 2025",
                    "purpose": "event_neutrality",
                },
                buyer["token"],
            )
            w.certificate_id = retirement["certificate_id"]
            claim = api.ok("/v1/claims", claim_body("person", "TH-FP-PER-001"), buyer["token"])
            claim = api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": TRIP}, buyer["token"])
            api.ok(
                f"/v1/claims/{claim['id']}/verifications",
                {"decision": "approve", "reason": "ok"},
                verifier["token"],
            )
            retire_against(api, buyer, w.batch_id, claim["id"], claim["required_kg"], "personal_neutrality")
            assert api.ok(f"/v1/claims/{claim['id']}/close", None, buyer["token"])["status"] == "neutral"
            w.claim_id = claim["id"]
            yield w
    finally:
        runtime.close()
        client.dev.restore(snapshot)


def checked(page: Page, url: str) -> tuple[str, str, set[str]]:
    """Loads `url` and waits for the check: (state, sentence, the fields said to differ)."""
    page.goto(url)
    box = page.locator('#chain-check:not([data-state="pending"])')
    box.wait_for(timeout=20_000)
    state = box.get_attribute("data-state") or ""
    sentence = page.locator("#chain-check .chain-check-sentence").inner_text()
    fields = {
        li.get_attribute("data-field") or "" for li in page.locator("#chain-check li[data-field]").all()
    }
    return state, sentence, fields


def head(world: World) -> int:
    return world.runtime.client.w3.eth.block_number


# -- certificates ----------------------------------------------------------------------------


def test_certificate__facts_of_the_index__verified_against_the_chain(world: World, page: Page) -> None:
    url = world.url("cert", world.chain_check("certificate", world.certificate_id))
    state, sentence, fields = checked(page, url)
    assert (state, fields) == ("verified", set())
    assert sentence == f"已对照链 {world.runtime.client.chain_id} 的区块 {head(world)} 验证"


def test_certificate__in_english__says_so_in_english(world: World, page: Page) -> None:
    url = world.url("cert-en", world.chain_check("certificate", world.certificate_id), lang="en")
    state, sentence, _ = checked(page, url)
    assert state == "verified"
    assert sentence == f"verified against block {head(world)} of chain {world.runtime.client.chain_id}"


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"beneficiary": "成都马拉松 2026"}, "beneficiary"),  # only in the CreditsRetired event
        ({"amount_kg": 1_206}, "amount_kg"),
        ({"holder": "0x000000000000000000000000000000000000dEaD"}, "holder"),
        ({"retired_at": 1_700_000_000}, "retired_at"),
        ({"purpose": int(RetirementPurpose.VOLUNTARY)}, "purpose"),
    ],
)
def test_certificate__one_fact_changed__mismatch_names_that_field(
    world: World, page: Page, changed: dict[str, Any], field: str
) -> None:
    url = world.url(f"cert-{field}", world.chain_check("certificate", world.certificate_id, **changed))
    state, sentence, fields = checked(page, url)
    assert (state, fields) == ("mismatch", {field})
    assert sentence.startswith(f"与链 {world.runtime.client.chain_id} 的区块")
    shown = page.locator(f'#chain-check li[data-field="{field}"]').inner_text()
    assert str(changed[field]) in shown  # the page's value beside the chain's


def test_certificate__transaction_of_another_certificate__mismatch_on_tx_hash(
    world: World, page: Page
) -> None:
    with world.runtime.db.transaction() as session:
        issuance_tx = batch_facts(session, world.batch_id)["tx_hash"]
    url = world.url("cert-tx", world.chain_check("certificate", world.certificate_id, tx_hash=issuance_tx))
    state, _, fields = checked(page, url)
    assert state == "mismatch" and "tx_hash" in fields


def test_certificate__unknown_to_the_chain__mismatch(world: World, page: Page) -> None:
    spec = world.chain_check("certificate", world.certificate_id)
    spec["id"] = world.certificate_id + 1000
    state, sentence, fields = checked(page, world.url("cert-unknown", spec))
    assert (state, fields) == ("mismatch", {"certificate_id"})
    assert sentence.startswith(f"与链 {world.runtime.client.chain_id} 的区块")
    assert f"链上没有证书 {world.certificate_id + 1000}" in page.locator("#chain-check").inner_text()


def test_certificate__page_of_another_chain__mismatch_on_chain_id(world: World, page: Page) -> None:
    spec = world.chain_check("certificate", world.certificate_id)
    spec["chain_id"] = 4242
    state, _, fields = checked(page, world.url("cert-chain", spec))
    assert (state, fields) == ("mismatch", {"chain_id"})


def test_dead_node__error(world: World, page: Page) -> None:
    spec = world.chain_check("certificate", world.certificate_id)
    spec["rpc_url"] = DEAD_RPC
    state, sentence, fields = checked(page, world.url("cert-dead", spec))
    assert (state, fields) == ("error", set())
    assert sentence.startswith("无法完成链上核验")


def test_visitors_node__checked_again_and_remembered(world: World, page: Page) -> None:
    spec = world.chain_check("certificate", world.certificate_id)
    spec["rpc_url"] = DEAD_RPC
    url = world.url("cert-own-node", spec)
    assert checked(page, url)[0] == "error"

    page.fill("#chain-check-rpc", world.rpc_url)
    page.click("#chain-check-again")
    page.locator('#chain-check[data-state="verified"]').wait_for(timeout=20_000)
    assert page.evaluate("localStorage.getItem('tanhui.chainCheck.rpcUrl')") == world.rpc_url

    # The next page load asks the visitor's node, not the page's dead default.
    assert checked(page, url)[0] == "verified"
    assert page.input_value("#chain-check-rpc") == world.rpc_url

    # Back to the page's default: forgotten.
    page.fill("#chain-check-rpc", DEAD_RPC)
    page.click("#chain-check-again")
    page.locator('#chain-check[data-state="error"]').wait_for(timeout=20_000)
    assert page.evaluate("localStorage.getItem('tanhui.chainCheck.rpcUrl')") is None


# -- batches and claims ----------------------------------------------------------------------


def test_batch__verified_and_a_changed_supply_named(world: World, page: Page) -> None:
    state, _, fields = checked(page, world.url("batch", world.chain_check("batch", world.batch_id)))
    assert (state, fields) == ("verified", set())

    with world.runtime.db.transaction() as session:
        retired = batch_facts(session, world.batch_id)["retired_kg"]
    assert retired > 0
    stale = world.chain_check("batch", world.batch_id, retired_kg=retired - 1, project_id="0x" + "ab" * 32)
    state, _, fields = checked(page, world.url("batch-stale", stale))
    assert (state, fields) == ("mismatch", {"retired_kg", "project_id"})


def test_claim__verified_and_a_changed_footprint_named(world: World, page: Page) -> None:
    state, _, fields = checked(page, world.url("claim", world.chain_check("claim", world.claim_id)))
    assert (state, fields) == ("verified", set())

    spec = world.chain_check("claim", world.claim_id)
    spec["facts"]["footprint_kg"] += 1
    state, _, fields = checked(page, world.url("claim-changed", spec))
    assert (state, fields) == ("mismatch", {"footprint_kg"})


# -- without JavaScript, and the bundle's ABI ------------------------------------------------


def test_without_javascript__says_how_to_check_by_hand(world: World, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(world.url("cert-nojs", world.chain_check("certificate", world.certificate_id)))
        assert page.get_attribute("#chain-check", "data-state") == "pending"
        credits = world.runtime.deployment.contracts["TanhuiCredits"]
        command = f"tanhui verify {world.certificate_id} --rpc-url {world.rpc_url} --contract {credits}"
        assert command in page.locator("#chain-check").inner_text()
        assert not page.locator("#chain-check-rpc").is_visible()  # the form needs the script
    finally:
        context.close()


def test_bundled_abi_fragments__are_the_compiled_contracts() -> None:
    fragments = json.loads((ROOT / "web" / "credits_abi.json").read_text())
    compiled = load_artifact("TanhuiCredits").abi
    for fragment in fragments:
        assert fragment in compiled, fragment["name"]
    assert {f["name"] for f in fragments} >= {
        "retirement",
        "batch",
        "eventAccount",
        "CreditsRetired",
        "CreditsIssued",
    }
