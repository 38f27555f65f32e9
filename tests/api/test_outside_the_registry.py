"""What accounts do on chain without the registry: the contracts are public, so a holder may
move its credits with the token standard's own batch transfer, and a supervisor may withdraw a
report directly. The index follows the chain, reconcile finds nothing amiss, and the registry's
next transaction from that account (whose nonce the outside one took) is signed again with the
account's own key. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from eth_utils import keccak
from sqlalchemy import delete, func, select

from chain.abi import ContractCall
from chain.contracts import ParticipantStatus
from registry import participants
from registry.db import alembic_config
from registry.models import ChainAnomaly, ChainOperation, Holding, Transfer
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api


def direct(runtime: Runtime, function: str, *args: Any, contract: str = "credits") -> ContractCall:
    """A call of the contracts' public API that the registry itself never makes (encoded as the
    registry encodes its own calls)."""
    return runtime.tanhui._encode(getattr(runtime.tanhui, contract), function, *args)


def holdings(api: Api, who: dict[str, Any]) -> dict[int, int]:
    return {h["batch_id"]: h["amount_kg"] for h in api.get("/v1/holdings", who["token"])}


def test_batch_transfer_outside_the_registry__indexed_per_batch_and_the_next_nonce_resigned(
    api: Api, runtime: Runtime
) -> None:
    first, first_owner, _ = api.issued_batch()
    second, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    api.ok("/v1/transfers", {"batch_id": first, "to": owner["id"], "amount_kg": 10}, first_owner["token"])
    # The owner's own first transaction through the registry: the registry counts its nonces.
    api.ok("/v1/transfers", {"batch_id": second, "to": buyer["id"], "amount_kg": 1}, owner["token"])
    before = holdings(api, owner)
    assert before[first] == 10

    with runtime.db.transaction() as session:
        signer = runtime.outbox.signer_of(participants.get(session, owner["id"]))
    call = direct(
        runtime, "safeBatchTransferFrom", owner["address"], buyer["address"], [first, second], [3, 40], b""
    )
    taken = runtime.client.next_nonce(owner["address"])
    moved = runtime.client.transact(call, signer, nonce=taken)  # one TransferBatch event, two batches
    runtime.indexer.sync()

    assert holdings(api, buyer) == {first: 3, second: 41}
    assert holdings(api, owner) == {first: before[first] - 3, second: before[second] - 40}
    assert runtime.tanhui.balance_of(buyer["address"], second) == 41
    with runtime.db.transaction() as session:
        rows = session.execute(select(Transfer).where(Transfer.tx_hash == moved.tx_hash)).scalars()
        assert sorted((t.item, t.batch_id, t.amount_kg, t.recipient) for t in rows) == [
            (0, first, 3, buyer["address"]),
            (1, second, 40, buyer["address"]),
        ]
    report = reconcile(runtime)
    assert report.ok and not report.anomalies

    # The outside transaction took the nonce the registry would give the owner's next one.
    done = api.ok("/v1/transfers", {"batch_id": second, "to": buyer["id"], "amount_kg": 5}, owner["token"])
    assert done["status"] == "confirmed"
    with runtime.db.transaction() as session:
        op = session.get(ChainOperation, done["operation"]["id"])
        assert op is not None and op.sender == owner["address"]
        nonce = op.nonce
    assert op.result is None or "nonce_filled_by" not in op.result
    assert nonce == taken + 1  # signed again after the nonce the outside transaction took
    assert runtime.client.next_nonce(owner["address"]) == nonce + 1
    assert runtime.tanhui.balance_of(buyer["address"], second) == 46
    assert holdings(api, buyer) == {first: 3, second: 46}
    assert reconcile(runtime).ok


def test_report_withdrawn_outside_the_registry__is_withdrawn_in_the_index(api: Api, runtime: Runtime) -> None:
    api.published_methodology_once()
    owner, verifier = api.participant(["project_owner"]), api.participant(["verifier"])
    project = api.registered_project(owner)
    report = api.report(project, owner)
    credits_pause = runtime.tanhui.pause_calls()[1]
    runtime.client.transact(credits_pause, runtime.operator)  # recorded on chain, not issued
    runtime.indexer.sync()
    api.post(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
        expect=409,
    )
    assert api.get(f"/v1/reports/{report['id']}", owner["token"])["status"] == "issue_failed"

    report_hash = bytes.fromhex(report["report_hash"][2:])
    # The operator is a supervisor on chain: it withdraws the report without the registry.
    withdrawal = runtime.tanhui.withdraw_report(report_hash, "withdrawn directly")
    runtime.client.transact(withdrawal, runtime.operator)
    runtime.indexer.sync()
    assert runtime.tanhui.is_report_withdrawn(report_hash)
    assert api.get(f"/v1/reports/{report['id']}", owner["token"])["status"] == "withdrawn"
    again = api.post(
        f"/v1/reports/{report['id']}/withdrawal", {"reason": "twice"}, verifier["token"], expect=409
    )
    assert again.json()["error"]["code"] == "invalid_state"


@pytest.mark.parametrize("first", ["sync", "spend", "reconcile"])
def test_migration_0016__an_index_that_skipped_a_batch_transfer_is_rebuilt_from_the_chain(
    api: Api, runtime: Runtime, first: str
) -> None:
    """Before 0016 a TransferBatch event could not be stored: the indexer skipped it (an anomaly)
    and the holdings it moved stayed wrong. Upgrading marks such an index to be rebuilt, and
    whatever indexes first rebuilds it: the service's sync, the relay confirming a spend (which
    indexes its block in its own transaction), or reconcile."""
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    with runtime.db.transaction() as session:
        signer = runtime.outbox.signer_of(participants.get(session, owner["id"]))
    call = direct(runtime, "safeBatchTransferFrom", owner["address"], buyer["address"], [batch_id], [30], b"")
    moved = runtime.client.transact(call, signer)
    runtime.indexer.sync()
    right = holdings(api, owner), holdings(api, buyer)
    assert right[1] == {batch_id: 30}

    # The index as the indexer before 0016 left it: the event skipped, the holdings unmoved.
    with runtime.db.transaction() as session:
        session.execute(delete(Transfer).where(Transfer.tx_hash == moved.tx_hash))
        session.execute(delete(Holding).where(Holding.address == buyer["address"]))
        owned = session.execute(select(Holding).where(Holding.address == owner["address"])).scalar_one()
        owned.amount_kg += 30
        session.add(
            ChainAnomaly(
                block_number=moved.block_number, log_index=0, tx_hash=moved.tx_hash, event="TransferBatch",
                action="skipped", reason="cannot be applied: IntegrityError", data={},
            )
        )  # fmt: skip
    assert not reconcile(runtime).ok
    config = alembic_config(runtime.db.url, runtime.db.engine)
    command.downgrade(config, "0015")
    command.upgrade(config, "head")  # through 0016, which marks the index

    if first == "sync":
        runtime.indexer.sync()
    elif first == "spend":
        body = {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}
        assert api.ok("/v1/transfers", body, owner["token"])["status"] == "confirmed"
        right = {batch_id: right[0][batch_id] - 1}, {batch_id: 31}
    else:
        first_report = reconcile(runtime)
        assert first_report.ok and not first_report.anomalies, first_report.differences
    assert (holdings(api, owner), holdings(api, buyer)) == right
    report = reconcile(runtime)
    assert report.ok and not report.anomalies
    with runtime.db.transaction() as session:
        rows = session.execute(select(Transfer).where(Transfer.tx_hash == moved.tx_hash)).scalars()
        assert [(t.item, t.batch_id, t.amount_kg) for t in rows] == [(0, batch_id, 30)]


def test_methodology_deprecated_outside_the_registry__is_deprecated_in_the_index(
    api: Api, runtime: Runtime
) -> None:
    """The operator is the registrar on chain: a deprecation it sends directly reaches the index."""
    old = api.published_methodology("TH-ES-001")
    call = direct(runtime, "deprecateMethodology", keccak(text="TH-ES-001"), 1, contract="registry")
    runtime.client.transact(call, runtime.operator)
    runtime.indexer.sync()
    statuses = {m["id"]: m["chain_status"] for m in api.get("/v1/methodologies")}
    assert statuses[old["id"]] == "deprecated"
    report = reconcile(runtime)
    assert report.ok and not report.anomalies


def test_participant_suspended_outside_the_registry__cannot_receive_credits(
    api: Api, runtime: Runtime
) -> None:
    """A supervisor's suspension sent directly reaches the index: a transfer to that participant
    is refused before anything is signed, naming the recipient."""
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    suspend = runtime.tanhui.set_participant_status(buyer["address"], ParticipantStatus.SUSPENDED)
    runtime.client.transact(suspend, runtime.operator)
    runtime.indexer.sync()
    with runtime.db.transaction() as session:
        operations = session.execute(select(func.count()).select_from(ChainOperation)).scalar_one()
    refused = api.post(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 5}, owner["token"], expect=409
    ).json()["error"]
    assert refused["code"] == "recipient_not_registered"
    assert refused["details"]["recipient"] == buyer["id"]
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(ChainOperation)).scalar_one() == operations
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 0
