"""The whole credit lifecycle through HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from eth_utils import keccak
from sqlalchemy import func, select, text, update

from chain import errors
from registry.models import ChainOperation, MonitoringReport
from registry.reconcile import reconcile
from registry.runtime import Runtime
from registry.states import ReportStatus
from tests.api.conftest import BOILER_NET_KG, Api


def test_lifecycle__methodology_to_certificate(api: Api, runtime: Runtime) -> None:
    experts = [api.participant(["committee"]) for _ in range(3)]
    verifier = api.participant(["verifier"])
    owner = api.participant(["project_owner"])
    buyer = api.participant(["holder"])
    assert {p["chain_status"] for p in (verifier, owner, buyer)} == {"active"}
    assert runtime.tanhui.has_role("verifier", verifier["address"])

    # R4: the committee publishes the methodology at quorum (2 of 3), on chain with its content hash.
    m = api.ok("/v1/methodologies", {"code": "TH-ES-001", "version": 1}, owner["token"])
    assert (m["status"], m["quorum"]) == ("proposed", 2)
    m = api.ok(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "approve", "reason": "formula checked"},
        experts[0]["token"],
    )
    assert m["status"] == "proposed"
    m = api.ok(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "approve", "reason": "factors cited"},
        experts[1]["token"],
    )
    assert (m["status"], m["chain_status"]) == ("published", "published")
    content_hash, status, _ = runtime.tanhui.methodology(keccak(text="TH-ES-001"), 1)
    assert "0x" + content_hash.hex() == m["content_hash"] and status == 1

    # A project with its document, reviewed, registered on chain with the documents' hash.
    project = api.registered_project(owner)
    on_chain = runtime.tanhui.project(bytes.fromhex(project["onchain_id"][2:]))
    assert on_chain["owner"] == owner["address"]
    assert "0x" + on_chain["document_hash"].hex() == project["document_hash"]

    # R18: the report is quantified on submission; the verifier's approval records it and issues.
    report = api.report(project, owner)
    assert report["quantification"]["net_kg"] == BOILER_NET_KG
    assert report["quantification"]["net_t"] == "950.560"
    assert report["status"] == "submitted"
    report = api.ok(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "site visit"},
        verifier["token"],
    )
    assert report["status"] == "issued"
    batch_id = report["batch_id"]
    on_chain_report = runtime.tanhui.report(bytes.fromhex(report["report_hash"][2:]))
    assert on_chain_report["verifier"] == verifier["address"] and on_chain_report["amount"] == BOILER_NET_KG

    batch = api.get(f"/v1/batches/{batch_id}")  # public: no token
    assert batch["supply"]["issued_kg"] == BOILER_NET_KG
    assert batch["vintage"]["start"] == "2025-01-01" and batch["vintage"]["end"] == "2025-03-31"
    assert batch["project"]["id"] == project["id"]
    assert batch["methodology"] == {"code": "TH-ES-001", "version": 1}

    # A transfer signed by the owner's own key; a retirement signed by the buyer's.
    transfer = api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_t": "300.000"}, owner["token"]
    )
    assert transfer["status"] == "confirmed"
    assert transfer["operation"]["sender"] == owner["address"]
    retirement = api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": 120_500,
            "beneficiary": "Chengdu Marathon 2025",
            "purpose": "event_neutrality",
            "event_id": "chengdu-marathon-2025",
            "jurisdiction": "CN-SC-Chengdu",
            "consumption_start": "2025-10-26",
            "consumption_end": "2025-10-26",
            "note": "race day",
        },
        buyer["token"],
    )
    assert retirement["operation"]["sender"] == buyer["address"]
    cert_id = retirement["certificate_id"]
    certificate = api.get(f"/v1/retirements/{cert_id}")  # public
    assert certificate["amount_t"] == "120.500"
    assert (certificate["serial_first"], certificate["serial_last"]) == (1, 120_500)
    assert certificate["beneficiary"] == "Chengdu Marathon 2025"
    assert certificate["purpose"] == "event_neutrality"
    assert certificate["holder"]["participant"] == buyer["id"]
    assert certificate["consumption_start"] == "2025-10-26"
    assert certificate["chain"]["tx_hash"] == retirement["operation"]["tx_hash"]
    assert certificate["chain"]["contract"] == runtime.deployment.credits
    record = runtime.tanhui.retirement(cert_id)
    assert record.block_number == certificate["chain"]["block_number"] and record.holder == buyer["address"]

    holdings = {p: api.get("/v1/holdings", t["token"]) for p, t in (("owner", owner), ("buyer", buyer))}
    assert holdings["owner"] == [
        {"batch_id": batch_id, "amount_kg": BOILER_NET_KG - 300_000, "amount_t": "650.560"}
    ]
    assert holdings["buyer"] == [{"batch_id": batch_id, "amount_kg": 179_500, "amount_t": "179.500"}]
    batch = api.get(f"/v1/batches/{batch_id}")
    assert batch["supply"]["retired_kg"] == 120_500 and batch["supply"]["held_kg"] == BOILER_NET_KG - 120_500
    assert [r["certificate_id"] for r in api.get(f"/v1/retirements?batch_id={batch_id}")] == [cert_id]

    result = reconcile(runtime)
    assert result.ok, result.differences
    with runtime.db.transaction() as session:
        operations = session.execute(select(func.count()).select_from(ChainOperation)).scalar_one()
    assert result.checked == {
        "batches": 1,
        "holdings": 2,
        "retirements": 1,
        "claims": 0,
        "points epochs": 0,
        "points postings": 0,
        "listings": 0,
        "trades": 0,
        "market rules": 0,
        "scene certificates": 0,
        "operations": operations,
    }


def test_methodology__rejection_keeps_reasons(api: Api) -> None:
    experts = [api.participant(["committee"]) for _ in range(3)]
    m = api.ok("/v1/methodologies", {"code": "TH-ES-002", "version": 1}, api.operator)
    api.ok(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "reject", "reason": "grid factor outdated"},
        experts[0]["token"],
    )
    m = api.ok(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "reject", "reason": "no metering rule"},
        experts[1]["token"],
    )
    assert m["status"] == "rejected" and m["chain_status"] == "none"
    assert [r["reason"] for r in api.get(f"/v1/methodologies/{m['id']}")["reviews"]] == [
        "grid factor outdated",
        "no metering rule",
    ]
    late = api.post(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "approve", "reason": "x"},
        experts[2]["token"],
        expect=409,
    )
    assert late.json()["error"]["code"] == "invalid_state"


def test_project__changes_requested_then_resubmitted(api: Api) -> None:
    api.published_methodology()
    owner = api.participant(["project_owner"])
    project = api.draft_project(owner)
    api.ok(
        f"/v1/projects/{project['id']}/documents",
        {"filename": "a.txt", "content_base64": "YQ=="},
        owner["token"],
    )
    api.ok(f"/v1/projects/{project['id']}/submit", None, owner["token"])
    project = api.ok(
        f"/v1/projects/{project['id']}/reviews",
        {"decision": "request_changes", "reason": "add meter plan"},
        api.operator,
    )
    assert project["status"] == "changes_requested"
    project = api.ok(
        f"/v1/projects/{project['id']}/documents",
        {"filename": "meters.txt", "content_base64": "Yg=="},
        owner["token"],
    )
    assert len(project["documents"]) == 2
    api.ok(f"/v1/projects/{project['id']}/submit", None, owner["token"])
    project = api.ok(
        f"/v1/projects/{project['id']}/reviews", {"decision": "approve", "reason": "complete"}, api.operator
    )
    assert project["status"] == "registered"
    assert [r["decision"] for r in project["reviews"]] == ["request_changes", "approve"]


def test_report__verifier_asks_for_changes_then_owner_reports_again(api: Api) -> None:
    api.published_methodology()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    project = api.registered_project(owner)
    first = api.report(project, owner)
    first = api.ok(
        f"/v1/reports/{first['id']}/verifications",
        {"decision": "request_changes", "reason": "meter photo"},
        verifier["token"],
    )
    assert first["status"] == "changes_requested" and first["batch_id"] is None
    second = api.report(project, owner)  # the same period is free again
    second = api.ok(
        f"/v1/reports/{second['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
    )
    assert second["status"] == "issued"


def test_operator_cannot_move_holders_credits(api: Api, runtime: Runtime) -> None:
    """The chain sender of a transfer is the holder: the operator's key moves nothing."""
    batch_id, owner, _ = api.issued_batch()
    other = api.participant(["holder"])
    with pytest.raises(errors.ERC1155MissingApprovalForAll):
        runtime.client.transact(
            runtime.tanhui.transfer(owner["address"], other["address"], batch_id, 1), runtime.operator
        )


def test_spends__are_signed_with_their_fixed_gas_limits(api: Api, runtime: Runtime) -> None:
    """A transfer or retirement the index has checked is signed with a fixed limit (charged as
    used): no gas estimate on the hot path, and a retirement's longest details still fit."""
    from registry.retirements import RETIRE_GAS
    from registry.transfers import TRANSFER_GAS

    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    moved = api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 5}, owner["token"])
    details = {  # the longest details the API takes, in three-byte characters
        "beneficiary": "长" * 200,
        "purpose": "event_neutrality",
        "event_id": "会" * 200,
        "jurisdiction": "区" * 64,
        "note": "注" * 1000,
    }
    retired = api.ok("/v1/retirements", {"batch_id": batch_id, "amount_kg": 2, **details}, owner["token"])
    assert (moved["status"], retired["status"]) == ("confirmed", "confirmed")
    limits = {
        done["kind"]: runtime.client.get_transaction(done["operation"]["tx_hash"])["gas"]
        for done in (moved, retired)
    }
    assert limits == {"transfer": TRANSFER_GAS, "retirement": RETIRE_GAS}
    # What each operation records of its request (the outbox's own account of what it sent).
    with runtime.db.transaction() as session:
        payloads = [session.get(ChainOperation, done["operation"]["id"]).payload for done in (moved, retired)]  # type: ignore[union-attr]
    assert payloads == [
        {"from": owner["id"], "to": buyer["id"], "batch_id": batch_id, "amount_kg": 5},
        {"holder": owner["id"], "batch_id": batch_id, "amount_kg": 2},
    ]


def test_a_report_back_filling_a_gap__is_issued_with_gas_for_every_issued_period_of_its_project(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issuing a report before a project's latest issued period costs the contract ~2.2k gas
    per issued period of the project (it checks the report overlaps none): with a fixed limit,
    a project of some 600 issued periods could not back-fill a gap (found by the benchmark at
    --ops 300: "ran out of gas"). The fixed limit is lowered here to just above what issuing
    in order costs, so that twelve periods are enough to show it."""
    from registry import verification

    api.published_methodology_once()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    project = api.registered_project(owner)
    approve = {"decision": "approve", "reason": "ok"}

    def period(quarter: int) -> tuple[str, str]:
        start = date(2021 + quarter // 4, 1 + 3 * (quarter % 4), 1)
        end = date(2021 + (quarter + 1) // 4, 1 + 3 * ((quarter + 1) % 4), 1) - timedelta(days=1)
        return str(start), str(end)

    def issue(quarter: int) -> dict[str, Any]:
        report = api.report(project, owner, *period(quarter))
        issued = api.ok(f"/v1/reports/{report['id']}/verifications", approve, verifier["token"])
        with runtime.db.reading() as session:
            tx_hash = (
                session.execute(
                    select(ChainOperation.tx_hash)
                    .where(
                        ChainOperation.kind == "issue",
                        ChainOperation.payload["report"].as_string() == report["id"],
                    )
                    .order_by(ChainOperation.id.desc())
                )
                .scalars()
                .first()
            )
        assert tx_hash is not None
        receipt = runtime.client.find_receipt(tx_hash)
        assert receipt is not None
        return {**issued, "limit": runtime.client.get_transaction(tx_hash)["gas"], "used": receipt["gasUsed"]}

    in_order = [issue(quarter) for quarter in range(1, 13)]
    assert [r["status"] for r in in_order] == ["issued"] * 12
    assert {r["limit"] for r in in_order} == {verification.ISSUE_GAS}  # no back-fill, no more gas
    fixed = max(r["used"] for r in in_order) + 5_000
    monkeypatch.setattr(verification, "ISSUE_GAS", fixed)

    back_fill = issue(0)  # the quarter before all twelve

    assert back_fill["status"] == "issued", back_fill
    assert back_fill["used"] > fixed  # the scan: without more gas it would have run out
    assert back_fill["limit"] == fixed + verification.ISSUE_GAS_PER_PERIOD * 12
    assert issue(13)["limit"] == fixed  # after the latest period again: the fixed limit

    # An issuance in flight (its report verified, its batch not indexed yet) of a later period:
    # mined first, it makes the next one a back-fill on chain.
    later = api.report(project, owner, *period(15))
    with runtime.db.transaction() as session:
        session.execute(
            update(MonitoringReport)
            .where(MonitoringReport.public_id == later["id"])
            .values(status=ReportStatus.VERIFIED)
        )
    assert issue(14)["limit"] == fixed + verification.ISSUE_GAS_PER_PERIOD * (14 + 1)


def test_a_holders_key__is_decrypted_once_for_all_its_spends(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keystore's decryption (scrypt) takes tens of milliseconds and 16 MiB: the outbox keeps
    the holder's signer after its first spend rather than decrypting it for every one."""
    from registry import outbox

    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    decrypted: list[str] = []
    real = outbox.signer_for

    def counting(participant: Any, password: Any) -> Any:
        decrypted.append(participant.address)
        return real(participant, password)

    monkeypatch.setattr(outbox, "signer_for", counting)
    runtime.outbox._signers.clear()  # as after a restart: the owner's earlier commands kept it
    for amount in (1, 2, 3):
        body = {"batch_id": batch_id, "to": buyer["id"], "amount_kg": amount}
        assert api.ok("/v1/transfers", body, owner["token"])["status"] == "confirmed"
    assert decrypted.count(owner["address"]) == 1  # at its first spend, then kept
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 6


def test_a_holders_key_is_decrypted_before_the_write_transaction(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decryption takes tens of milliseconds: a command does it before its transaction, so
    other writers (on SQLite, every writer of the process) do not wait for it."""
    from registry import outbox

    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    writes: list[bool] = []
    real = outbox.signer_for

    def decrypting(participant: Any, password: Any) -> Any:
        def write() -> None:
            with runtime.db.transaction() as session:
                session.execute(text("SELECT 1"))
            writes.append(True)

        other = threading.Thread(target=write, daemon=True)
        other.start()
        other.join(timeout=5)  # a command holding the write lock would keep it waiting
        writes.append(not other.is_alive())
        return real(participant, password)

    monkeypatch.setattr(outbox, "signer_for", decrypting)
    runtime.outbox._signers.clear()
    body = {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}
    assert api.ok("/v1/transfers", body, owner["token"])["status"] == "confirmed"
    assert writes[:2] == [True, True]  # another writer got through during the decryption
