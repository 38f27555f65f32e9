"""Withdrawing a verified report before its issuance (issue #7, item 3): by the verifier that
approved it, or a supervisor; never after issuance; its period is free again. On SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from registry.models import ChainOperation
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api


def pause_credits(runtime: Runtime, paused: bool) -> None:
    """Pauses only the credits contract, so a report is recorded but not issued."""
    calls = runtime.tanhui.pause_calls() if paused else runtime.tanhui.unpause_calls()
    runtime.client.transact(calls[1], runtime.operator)
    runtime.indexer.sync()


def test_withdrawal__by_its_verifier_before_issuance_frees_the_period(api: Api, runtime: Runtime) -> None:
    api.published_methodology_once()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    other = api.participant(["verifier"])
    project = api.registered_project(owner)
    report = api.report(project, owner)
    pause_credits(runtime, True)
    failed = api.post(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
        expect=409,
    ).json()
    assert failed["error"]["details"]["chain_error"] == "EnforcedPause"
    assert api.get(f"/v1/reports/{report['id']}", owner["token"])["status"] == "issue_failed"
    report_hash = bytes.fromhex(report["report_hash"][2:])
    assert runtime.tanhui.report(report_hash)["verifier"] == verifier["address"]  # recorded on chain

    path = f"/v1/reports/{report['id']}/withdrawal"
    refused = api.post(path, {"reason": "not mine"}, other["token"], expect=403)
    assert refused.json()["error"]["code"] == "forbidden"
    assert api.post(path, {"reason": "x"}, owner["token"], expect=403).json()["error"]["code"] == "forbidden"
    withdrawn = api.ok(path, {"reason": "meter calibration expired"}, verifier["token"])
    assert withdrawn["status"] == "withdrawn"
    assert runtime.tanhui.is_report_withdrawn(report_hash)
    # What the compensation would restore, were the withdrawal refused on chain: its status before.
    with runtime.db.transaction() as session:
        op = session.execute(
            select(ChainOperation).where(ChainOperation.kind == "withdraw_report")
        ).scalar_one()
        reason = "meter calibration expired"
        assert op.payload == {"report": report["id"], "previous": "issue_failed", "reason": reason}
        assert op.sender == verifier["address"]  # the verifier's own signature
    again = api.post(path, {"reason": "twice"}, verifier["token"], expect=409)
    assert again.json()["error"]["code"] == "invalid_state"

    pause_credits(runtime, False)
    second = api.report(project, owner)  # the same period, free again
    second = api.ok(
        f"/v1/reports/{second['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
    )
    assert second["status"] == "issued"
    assert reconcile(runtime).ok


def test_withdrawal__after_issuance_is_refused_and_writes_nothing(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    (report,) = api.get(
        f"/v1/projects/{api.get(f'/v1/batches/{batch_id}')['project']['id']}/reports", owner["token"]
    )
    supervisor = api.participant(["supervisor"])
    refused = api.post(
        f"/v1/reports/{report['id']}/withdrawal", {"reason": "late"}, supervisor["token"], expect=409
    )
    assert refused.json()["error"]["code"] == "invalid_state"
    assert api.get(f"/v1/reports/{report['id']}", owner["token"])["status"] == "issued"
    assert not runtime.tanhui.is_report_withdrawn(bytes.fromhex(report["report_hash"][2:]))
