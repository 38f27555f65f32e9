"""Retrying work the chain refused, for real: the contracts are paused so that a participant's
registration or a report's issuance reverts on chain, the compensation leaves the record failed,
the contracts are unpaused, and the retry route queues the work again and sees it confirmed on
chain. A retry of a record that is not failed is a 409 ``not_failed``; one the chain would still
refuse is refused before anything is written; a retry is idempotent under its key."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from registry import participants
from registry.models import ChainOperation
from registry.runtime import Runtime
from registry.states import OperationStatus
from tests.api.conftest import BOILER_NET_KG, Api
from tests.api.test_bad_input import footprint, written


def pause(runtime: Runtime, contract: int, paused: bool) -> None:
    """Pauses (or unpauses) the registry (0) or the credits contract (1), outside the registry:
    the operator's next registry transaction finds its nonce taken and is signed again."""
    calls = runtime.tanhui.pause_calls() if paused else runtime.tanhui.unpause_calls()
    runtime.client.transact(calls[contract], runtime.operator)
    runtime.indexer.sync()


def failed_registration(api: Api, runtime: Runtime, roles: list[str]) -> dict[str, Any]:
    """A participant whose registration transaction reverted on chain (the registry was paused
    after the registration was signed, before it was mined); the registry is unpaused again."""
    with runtime.db.transaction() as session:
        p, _token, _ops = participants.register(
            session, runtime.outbox, name=f"Late {uuid.uuid4().hex[:6]}", kind="organisation", roles=roles
        )
        public_id, address = p.public_id, p.address
    pause(runtime, 0, True)
    try:
        runtime.relay.resume()
    finally:
        pause(runtime, 0, False)
    view: dict[str, Any] = api.get(f"/v1/participants/{public_id}", api.operator)
    assert view["chain_status"] == "failed", view
    assert not runtime.tanhui.is_active_participant(address)
    return view


def failed_issuance(api: Api, runtime: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report the verifier approved and recorded on chain whose issuance reverted (the credits
    contract was paused), unpaused again: (report, verifier)."""
    api.published_methodology_once()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    report = api.report(api.registered_project(owner), owner)
    pause(runtime, 1, True)
    try:
        refused = api.post(
            f"/v1/reports/{report['id']}/verifications",
            {"decision": "approve", "reason": "ok"},
            verifier["token"],
            expect=409,
        ).json()
    finally:
        pause(runtime, 1, False)
    assert refused["error"]["code"] == "chain_rejected", refused
    report = api.get(f"/v1/reports/{report['id']}", verifier["token"])
    assert report["status"] == "issue_failed", report
    return report, verifier


def test_registration_retry__after_a_revert_on_chain_registers_the_participant(
    api: Api, runtime: Runtime
) -> None:
    failed = failed_registration(api, runtime, ["holder"])
    url = f"/v1/participants/{failed['id']}/registration/retry"
    retried = api.ok(url, None, api.operator, key="retry-1")
    assert retried["chain_status"] == "active", retried
    assert runtime.tanhui.is_active_participant(failed["address"])
    # The same key replays the answer, without a second registration.
    with runtime.db.reading() as session:
        before = session.execute(select(ChainOperation.id)).scalars().all()
    assert api.ok(url, None, api.operator, key="retry-1") == retried
    with runtime.db.reading() as session:
        assert session.execute(select(ChainOperation.id)).scalars().all() == before
    # Registered now: nothing to retry.
    again = api.post(url, None, api.operator, expect=409).json()["error"]
    assert again["code"] == "not_failed" and again["details"]["status"] == "active", again


def test_registration_retry__of_a_verifier_grants_the_role_once(api: Api, runtime: Runtime) -> None:
    failed = failed_registration(api, runtime, ["verifier"])

    def grants() -> list[OperationStatus]:
        with runtime.db.reading() as session:
            return list(
                session.execute(
                    select(ChainOperation.status).where(
                        ChainOperation.kind == "grant_role",
                        ChainOperation.payload["participant"].as_string() == failed["id"],
                    )
                ).scalars()
            )

    first = grants()
    retried = api.ok(f"/v1/participants/{failed['id']}/registration/retry", None, api.operator)
    assert retried["chain_status"] == "active", retried
    assert runtime.tanhui.has_role("verifier", failed["address"])
    # Granted again only if the first grant did not take effect.
    granted_before = OperationStatus.CONFIRMED in first
    assert len(grants()) == len(first) + (0 if granted_before else 1)


def test_registration_retry__while_the_chain_still_refuses_writes_nothing(api: Api, runtime: Runtime) -> None:
    failed = failed_registration(api, runtime, ["holder"])
    pause(runtime, 0, True)
    try:
        before = footprint(runtime)
        refused = api.post(
            f"/v1/participants/{failed['id']}/registration/retry", None, api.operator, expect=409
        ).json()["error"]
        assert refused["code"] == "paused", refused
        assert written(before, footprint(runtime)) == {}
    finally:
        pause(runtime, 0, False)
    assert api.get(f"/v1/participants/{failed['id']}", api.operator)["chain_status"] == "failed"


def test_registration_retry__of_a_registered_participant_is_not_failed(api: Api, runtime: Runtime) -> None:
    holder = api.participant(["holder"])
    before = footprint(runtime)
    refused = api.post(
        f"/v1/participants/{holder['id']}/registration/retry", None, api.operator, expect=409
    ).json()["error"]
    assert refused["code"] == "not_failed", refused
    assert written(before, footprint(runtime)) == {}
    missing = api.post("/v1/participants/par_000000000000/registration/retry", None, api.operator, expect=404)
    assert missing.json()["error"]["code"] == "not_found"


def test_issuance_retry__after_a_revert_on_chain_issues_the_batch(api: Api, runtime: Runtime) -> None:
    report, verifier = failed_issuance(api, runtime)
    with runtime.db.reading() as session:
        records = session.execute(
            select(ChainOperation.id).where(ChainOperation.kind == "record_report")
        ).all()
    retried = api.ok(f"/v1/reports/{report['id']}/issuance/retry", None, verifier["token"])
    assert retried["status"] == "issued" and retried["batch_id"], retried
    batch = api.get(f"/v1/batches/{retried['batch_id']}")
    assert batch["supply"]["issued_kg"] == BOILER_NET_KG, batch
    # The record was on chain already: the retry issued, and recorded nothing again.
    with runtime.db.reading() as session:
        assert (
            session.execute(select(ChainOperation.id).where(ChainOperation.kind == "record_report")).all()
            == records
        )
    again = api.post(f"/v1/reports/{report['id']}/issuance/retry", None, verifier["token"], expect=409)
    assert again.json()["error"] == {
        "code": "not_failed",
        "message": f"report {report['id']} is issued, not issue_failed: nothing to retry",
        "details": {"status": "issued"},
    }


def test_issuance_retry__by_the_registrar_or_only_the_approving_verifier(api: Api, runtime: Runtime) -> None:
    report, _ = failed_issuance(api, runtime)
    other = api.participant(["verifier"])
    before = footprint(runtime)
    refused = api.post(f"/v1/reports/{report['id']}/issuance/retry", None, other["token"], expect=403)
    assert refused.json()["error"]["code"] == "forbidden"
    assert written(before, footprint(runtime)) == {}
    retried = api.ok(f"/v1/reports/{report['id']}/issuance/retry", None, api.operator)
    assert retried["status"] == "issued", retried


def test_issuance_retry__that_fails_again_leaves_the_report_failed_and_retryable(
    api: Api, runtime: Runtime
) -> None:
    report, verifier = failed_issuance(api, runtime)
    url = f"/v1/reports/{report['id']}/issuance/retry"
    pause(runtime, 1, True)
    try:
        refused = api.post(url, None, verifier["token"], expect=409).json()["error"]
    finally:
        pause(runtime, 1, False)
    assert refused["code"] == "paused", refused  # simulated first: nothing queued
    assert api.get(f"/v1/reports/{report['id']}", verifier["token"])["status"] == "issue_failed"
    assert api.ok(url, None, verifier["token"])["status"] == "issued"
