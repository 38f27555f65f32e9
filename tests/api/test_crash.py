"""Crash tests: the registry process is killed (``os._exit``, as ``kill -9``) right after the
outbox commit or right after the send. After a restart, the operation completes exactly once:
one effect on chain, the database agrees (reconcile), and a retry with the same
Idempotency-Key answers with that one result.

They run on anvil (an in-process chain would die with the process) and on both databases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.models import Batch, ChainOperation, Retirement
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import BOILER, KEYSTORE_SECRET, Api

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[2]


def crash(env: dict[str, Any], point: str, path: str, body: dict[str, Any], token: str, key: str) -> None:
    """Posts through a registry process that dies at `point`."""
    args = {
        "rpc_url": env["url"],
        "database_url": env["db"],
        "data_dir": str(env["data_dir"]),
        "keystore_secret": KEYSTORE_SECRET,
        "path": path,
        "body": body,
        "token": token,
        "key": key,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.api.crash_worker", json.dumps(args)],
        cwd=REPO,
        env={**os.environ, "TANHUI_CRASH_AT": point},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 137, f"the worker was not killed at {point}: {done.stdout}\n{done.stderr}"


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.mark.parametrize("point", ["after-commit", "after-send"])
def test_crash__retirement_completes_exactly_once_after_restart(
    anvil_env: dict[str, Any], point: str
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    body = {
        "batch_id": batch_id,
        "amount_kg": 1_234,
        "beneficiary": "Crash-test fair",
        "purpose": "voluntary",
    }
    certificates_before = runtime.tanhui.certificate_count()
    balance_before = runtime.tanhui.balance_of(owner["address"], batch_id)

    crash(anvil_env, point, "/v1/retirements", body, owner["token"], key="retire-once")

    # The outbox holds the signed operation; it is sent (after-send: it is already mined) once.
    with runtime.db.transaction() as session:
        (op,) = session.execute(select(ChainOperation).where(ChainOperation.kind == "retire")).scalars()
        assert op.status == "signed"
        pending_hash = op.tx_hash
    mined = runtime.client.find_receipt(pending_hash)
    assert (mined is not None) == (point == "after-send")

    assert runtime.relay.resume() == 1  # the restart
    assert runtime.relay.resume() == 0  # and a second restart finds nothing left

    assert runtime.tanhui.certificate_count() == certificates_before + 1
    assert runtime.tanhui.balance_of(owner["address"], batch_id) == balance_before - 1_234
    assert count(runtime, Retirement) == 1
    assert count(runtime, ChainOperation, ChainOperation.kind == "retire") == 1

    retry = api.post("/v1/retirements", body, owner["token"], key="retire-once")
    assert retry.json()["certificate_id"] == certificates_before + 1
    assert retry.json()["operation"]["tx_hash"] == pending_hash
    assert runtime.tanhui.certificate_count() == certificates_before + 1
    report = reconcile(runtime)
    assert report.ok, report.differences


@pytest.mark.parametrize("point", ["after-commit", "after-send"])
def test_crash__verification_issues_exactly_one_batch_after_restart(
    anvil_env: dict[str, Any], point: str
) -> None:
    """Approval queues two dependent operations (the verifier's record, then the issuance):
    a crash after the first is committed or sent still yields exactly one batch."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    api.published_methodology()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    project = api.registered_project(owner)
    report = api.ok(
        f"/v1/projects/{project['id']}/reports",
        {"period_start": "2025-01-01", "period_end": "2025-03-31", "data": BOILER},
        owner["token"],
    )
    batches_before = runtime.tanhui.batch_count()

    crash(
        anvil_env,
        point,
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
        key="verify-once",
    )
    assert runtime.tanhui.batch_count() == batches_before  # the issuance was never sent

    runtime.relay.resume()
    assert runtime.tanhui.batch_count() == batches_before + 1
    assert count(runtime, Batch) == 1
    with runtime.db.transaction() as session:
        statuses = sorted(
            op.status
            for op in session.execute(
                select(ChainOperation).where(ChainOperation.kind.in_(("record_report", "issue")))
            ).scalars()
        )
    assert statuses == ["confirmed", "confirmed"]

    retry = api.ok(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
        key="verify-once",
    )
    assert retry["status"] == "issued" and retry["batch_id"] == batches_before + 1
    assert runtime.tanhui.batch_count() == batches_before + 1
    result = reconcile(runtime)
    assert result.ok, result.differences


def test_gas_chain__registry_funds_the_accounts_it_creates(anvil_env: dict[str, Any]) -> None:
    """anvil charges gas by default: a created account gets gas money from the operator and
    pays for its own transfer."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    assert runtime.outbox.charges_gas()
    batch_id, owner, _ = api.issued_batch()
    funded = runtime.settings.account_funding_wei
    assert runtime.client.balance(owner["address"]) == funded
    buyer = api.participant(["holder"])
    transfer = api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 5}, owner["token"]
    )
    assert transfer["operation"]["sender"] == owner["address"]
    assert 0 < runtime.client.balance(owner["address"]) < funded  # the owner paid the gas
