"""The public explorer and the supervisors' dashboard in Chromium, served by the registry's own
app (uvicorn) over a registry on anvil: the pages render the data, the search finds each kind of
thing, a real certificate's page verifies itself against the chain in the browser — and shows
the difference when the registry's index and the chain disagree — and the dashboard refuses a
visitor without the supervisor role. Screenshots of the main pages are written to
``TANHUI_SCREENSHOTS_DIR`` when it is set (docs/screenshots/ holds the committed ones)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select, update

from api.app import create_app
from api.routers import pages
from registry import participants
from registry.models import Batch, Participant, Project, Retirement
from tests.web.conftest import serve
from tests.web.test_chain_check import World, checked, world  # noqa: F401 (the module's fixture)


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[str]:  # noqa: F811 (the fixture imported above)
    with serve(create_app(world.runtime, background=False)) as base_url:
        yield base_url


def shot(page: Page, name: str) -> None:
    target = os.environ.get("TANHUI_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_home__renders_the_registrys_totals(site: str, world: World, page: Page) -> None:  # noqa: F811
    page.goto(f"{site}/?lang=en")
    text = page.locator("main").inner_text()
    assert "retired" in text.lower() and "issued" in text.lower(), text[:500]
    assert page.locator("svg").count() >= 1  # the charts, drawn by the server
    shot(page, "home")


def test_certificate_page__verifies_itself_against_the_chain(site: str, world: World, page: Page) -> None:  # noqa: F811
    with world.runtime.db.transaction() as session:
        r = session.get(Retirement, world.certificate_id)
        assert r is not None
        beneficiary, tx_hash = r.beneficiary, r.tx_hash
    state, sentence, fields = checked(page, f"{site}/certificates/{world.certificate_id}?lang=en")
    assert state == "verified" and not fields, sentence
    assert "verified against block" in sentence
    body = page.content()
    assert beneficiary in body and tx_hash in body
    shot(page, "certificate")


@pytest.mark.parametrize("field", ["beneficiary", "jurisdiction", "note"])
def test_certificate_page__an_index_that_disagrees_with_the_chain_shows_the_difference(
    site: str,
    world: World,  # noqa: F811
    page: Page,
    field: str,
) -> None:
    """The registry's server is not trusted: a detail changed in its database (as a lying or
    broken server would show it) is caught in the browser, field by field — the beneficiary, and
    the details a first version of the check left out (jurisdiction, note)."""
    column = getattr(Retirement, field)
    with world.runtime.db.transaction() as session:
        original = getattr(session.get(Retirement, world.certificate_id), field)
        session.execute(
            update(Retirement)
            .where(Retirement.certificate_id == world.certificate_id)
            .values({column: "Forged"})
        )
    pages._pages.clear()  # the page as the changed database renders it, not the one cached before
    try:
        state, _, fields = checked(page, f"{site}/certificates/{world.certificate_id}")
        assert state == "mismatch" and fields == {field}, (state, fields)
        assert page.locator(f'.chain-check-facts [data-fact="{field}"]').count() == 1  # listed as checked
    finally:
        with world.runtime.db.transaction() as session:
            session.execute(
                update(Retirement)
                .where(Retirement.certificate_id == world.certificate_id)
                .values({column: original})
            )
        pages._pages.clear()


def test_batch_and_claim_pages__verify_themselves(site: str, world: World, page: Page) -> None:  # noqa: F811
    state, sentence, _ = checked(page, f"{site}/batches/{world.batch_id}")
    assert state == "verified", sentence
    shot(page, "batch")
    state, sentence, _ = checked(page, f"{site}/claims/{world.claim_id}")
    assert state == "verified", sentence
    shot(page, "claim")


def test_search__finds_each_kind_of_thing(site: str, world: World, page: Page) -> None:  # noqa: F811
    with world.runtime.db.transaction() as session:
        r = session.get(Retirement, world.certificate_id)
        batch = session.get(Batch, world.batch_id)
        assert r is not None and batch is not None
        project = session.execute(
            select(Project).where(Project.onchain_id == batch.project_hash)
        ).scalar_one()
        holder = session.execute(select(Participant).where(Participant.address == r.holder)).scalar_one()
        queries = {
            f"/certificates/{r.certificate_id}": str(r.certificate_id),
            f"/batches/{batch.id}": str(batch.id),
            "/certificates/" + str(r.certificate_id) + "#tx": r.tx_hash,
            f"/accounts/{holder.address}": holder.address,
            f"/projects/{project.public_id}": project.name,
        }
    for expected, query in queries.items():
        page.goto(f"{site}/")
        page.locator("form[role=search] input[name=q], input[name=q]").first.fill(query)
        page.locator("form[role=search] input[name=q], input[name=q]").first.press("Enter")
        page.wait_for_load_state()
        target = expected.split("#", 1)[0]
        on_target = page.url.split("?", 1)[0].endswith(target)
        listed = page.locator(f'a[href$="{target}"]').count() > 0
        assert on_target or listed, (query, page.url)


def test_dashboard__refuses_a_visitor_and_a_participant_without_the_role(
    site: str,
    world: World,  # noqa: F811
    page: Page,
) -> None:
    page.goto(f"{site}/supervision")
    assert page.locator("input[name=token]").count() == 1  # the sign-in form, nothing of the dashboard
    assert page.locator("form[action='/supervision/actions']").count() == 0
    shot(page, "supervision-sign-in")
    with world.runtime.db.transaction() as session:
        r = session.get(Retirement, world.certificate_id)
        assert r is not None
        holder = session.execute(select(Participant).where(Participant.address == r.holder)).scalar_one()
        token = participants.issue_token(session, holder)
    with page.expect_response(lambda resp: resp.url.endswith("/supervision/session")) as answer:
        page.locator("input[name=token]").fill(token)
        page.locator("input[name=token]").press("Enter")
    assert answer.value.status == 403
    assert page.context.cookies() == [] or all(c["name"] == "lang" for c in page.context.cookies())
    assert page.request.get(f"{site}/supervision").status == 200  # still only the sign-in page
    assert page.locator("form[action='/supervision/actions']").count() == 0
