"""A chain that loses its last blocks after the registry confirmed them (a node restarted from a
state snapshot a second old, a reorganisation): the registry notices, rewinds its index, sends
what was lost again in its original order, and comes back into agreement by itself. On anvil
(whose snapshots take the chain back), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from registry.models import ChainOperation
from registry.reconcile import reconcile
from registry.runtime import Runtime
from registry.states import OperationStatus
from tests.api.conftest import Api

pytestmark = pytest.mark.anvil


def statuses(runtime: Runtime, *ids: int) -> list[str]:
    with runtime.db.transaction() as session:
        return [str(session.get(ChainOperation, i).status) for i in ids]  # type: ignore[union-attr]


def test_chain_loses_confirmed_blocks__registry_rewinds_resends_and_agrees_again(
    anvil_env: dict[str, Any],
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    client = runtime.client
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    before = client.dev.snapshot()

    transfer = api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 300}, owner["token"]
    )
    retirement = api.ok(
        "/v1/retirements",
        {"batch_id": batch_id, "amount_kg": 120, "beneficiary": "Lost and found", "purpose": "voluntary"},
        buyer["token"],
    )
    late = api.participant(["holder"])
    certificate = retirement["certificate_id"]
    assert late["chain_status"] == "active" and runtime.tanhui.certificate_count() == certificate

    client.dev.revert(before)  # the chain forgets the last blocks; the database remembers them
    assert runtime.tanhui.certificate_count() == certificate - 1

    lost = reconcile(runtime)  # reported, not raised, and nothing is changed by looking
    assert not lost.ok
    assert any(d["subject"] == "index" or d["field"] == "hash" for d in lost.differences), lost.differences

    rewound = runtime.indexer.check_chain()  # what the service's background loop does each second
    assert rewound is not None and rewound["operations_resent"] >= 3
    ops = [transfer["operation"]["id"], retirement["operation"]["id"]]
    assert statuses(runtime, *ops) == ["signed", "signed"]
    runtime.relay.resume()
    runtime.indexer.sync()

    assert statuses(runtime, *ops) == ["confirmed", "confirmed"]
    assert runtime.tanhui.certificate_count() == certificate  # sent again, in the original order
    record = runtime.tanhui.retirement(certificate)
    assert (record.holder, record.amount) == (buyer["address"], 120)
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 180
    assert api.get(f"/v1/retirements/{certificate}")["beneficiary"] == "Lost and found"
    assert api.get(f"/v1/participants/{late['id']}", api.operator)["chain_status"] == "active"
    report = reconcile(runtime)
    assert report.ok, report.differences


def test_sent_transaction_the_node_lost__is_sent_again_not_waited_for(anvil_env: dict[str, Any]) -> None:
    """A transaction recorded as sent that the node no longer has (it restarted): waiting for
    its receipt would take the whole timeout for nothing; the relay sends it again."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    from registry import participants

    with runtime.db.transaction() as session:
        _, _, ops = participants.register(
            session, runtime.outbox, name="sent, then lost", kind="person", roles=["holder"]
        )
        op_id = ops[0].id
        ops[0].status = OperationStatus.SENT  # as if sent before the node's restart
    assert not runtime.client.knows_transaction(ops[0].tx_hash)
    runtime.receipt_timeout = 120
    runtime.relay.process(op_id)
    assert statuses(runtime, op_id) == ["confirmed"]
    with runtime.db.transaction() as session:
        op = session.execute(select(ChainOperation).where(ChainOperation.id == op_id)).scalar_one()
        assert runtime.client.find_receipt(op.tx_hash) is not None
    assert api.get("/v1/participants", api.operator)
