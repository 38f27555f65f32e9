"""A chain that loses its last blocks after the registry confirmed them (a node restarted from a
state snapshot a second old, a reorganisation): the registry notices, rewinds its index, sends
what was lost again in its original order, and comes back into agreement by itself. On anvil
(whose snapshots take the chain back), on SQLite and PostgreSQL; and a chain that lost the
deployment itself (on the in-process EVM, whose snapshot at genesis takes everything back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from chain import ChainClient
from chain.client import SignedTransaction
from registry import feed
from registry.models import ChainOperation, RegistryMeta
from registry.reconcile import reconcile
from registry.runtime import DeploymentMismatch, Runtime, bootstrap
from registry.settings import Settings
from registry.states import OperationStatus
from tests.api.conftest import KEYSTORE_SECRET, Api


def statuses(runtime: Runtime, *ids: int) -> list[str]:
    with runtime.db.transaction() as session:
        return [str(session.get(ChainOperation, i).status) for i in ids]  # type: ignore[union-attr]


@pytest.mark.anvil
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

    # The feed: the issuance (in a block the chain kept) once, the lost retirement voided by a
    # chain_rewound entry, and its event's entry again after it (the index rebuilt them all).
    with runtime.db.reading() as session:
        kinds = [(e.kind, e.payload.get("certificate_id")) for e in feed.entries(session, 0, 1000)]
    assert kinds.count(("issuance", None)) == 1, kinds
    rewound = kinds.index(("chain_rewound", None))
    assert ("retirement", certificate) in kinds[:rewound] and ("retirement", certificate) in kinds[rewound:]


@pytest.mark.anvil
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


def _open(client: ChainClient, data_dir: Path, database_url: str, *, restore: bool = True) -> Runtime:
    settings = Settings(data_dir=data_dir, database_url=database_url, keystore_secret=KEYSTORE_SECRET)
    runtime = Runtime.open(settings, client, restore_deployment=restore)
    runtime.receipt_timeout = 10
    return runtime


def _send_from(client: ChainClient, signer: Any, count: int) -> None:
    for _ in range(count):
        client.wait(client.send(client.prepare(None, signer, to=signer.address, value=1)))


def test_chain_loses_the_deployment_itself__it_is_sent_again_then_the_operations(
    tmp_path: Path, database_url: str
) -> None:
    """An embedded chain killed before its first state write after the deployment, or whose
    state file is unreadable with no good copy, restarts empty. The database is bound to
    contracts the chain no longer has: the registry sends the deployment's signed transactions
    again (same nonces, so the same addresses), then the operations the chain lost."""
    client = ChainClient.in_process()
    genesis = client.dev.snapshot()
    _send_from(client, client.dev_signers()[1], 3)  # someone else's blocks before the deployment
    runtime = _open(client, tmp_path, database_url)
    deployment = runtime.deployment
    assert len(deployment.transactions) == 4 and deployment.block_number == 4
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(create_app(runtime, background=False)) as http:
        api = Api(http, token)
        batch_id, owner, _ = api.issued_batch()
        holder = api.participant(["holder"])
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 250}, owner["token"])
    runtime.close()

    client.dev.revert(genesis)  # the chain as a restart from no state leaves it: empty
    assert client.block_number() == 0 and not client.has_code(deployment.credits)

    with pytest.raises(DeploymentMismatch, match="`tanhui serve` deploys it again"):
        _open(client, tmp_path, database_url, restore=False)  # e.g. `tanhui reconcile`: it sends nothing
    assert client.block_number() == 0

    again = _open(client, tmp_path, database_url)  # refused before: "the chain at hand does not have"
    try:
        assert again.deployment.contracts == deployment.contracts and again.tanhui.is_live()
        assert again.deployment.block_number == 1  # earlier now: the index starts there
        with again.db.transaction() as session:
            assert session.get(RegistryMeta, 1).deployed_block == 1  # type: ignore[union-attr]
        assert again.indexer.check_chain() is not None  # marked: the index is rebuilt
        again.relay.resume()
        again.indexer.sync()
        assert again.tanhui.balance_of(holder["address"], batch_id) == 250
        report = reconcile(again)
        assert report.ok, report.differences
        with TestClient(create_app(again, background=False)) as http:
            assert Api(http, token).get(f"/v1/participants/{holder['id']}", token)["chain_status"] == "active"
    finally:
        again.close()


def test_chain_lost_the_deployment_and_its_nonces_are_taken__refused_with_the_reason(
    tmp_path: Path, database_url: str
) -> None:
    """Another chain with the same id, where the deployer has sent other transactions: the
    deployment's transactions are refused (their nonces are taken), and so is the database."""
    client = ChainClient.in_process()
    genesis = client.dev.snapshot()
    _open(client, tmp_path, database_url).close()
    client.dev.revert(genesis)
    operator = client.default_signer(Settings(data_dir=tmp_path).operator_private_key())
    _send_from(client, operator, 1)

    with pytest.raises(DeploymentMismatch, match=r"refuses its deployment sent again.*is used on this chain"):
        _open(client, tmp_path, database_url)


def test_chain_lost_part_of_the_deployment__the_rest_is_sent(tmp_path: Path, database_url: str) -> None:
    client = ChainClient.in_process()
    genesis = client.dev.snapshot()
    runtime = _open(client, tmp_path, database_url)
    transactions = runtime.deployment.transactions
    runtime.close()
    client.dev.revert(genesis)
    for raw in transactions[:2]:  # the chain kept the registry and the credits, not the rest
        client.wait(client.send(SignedTransaction.from_raw(raw)))

    again = _open(client, tmp_path, database_url)
    try:
        assert again.tanhui.is_live() and client.block_number() == 4
        again.indexer.check_chain()
        again.indexer.sync()
        report = reconcile(again)
        assert report.ok, report.differences
    finally:
        again.close()


def test_chain_lost_the_deployment_and_the_deployers_earlier_nonces__not_sent_to_wait_in_a_gap(
    tmp_path: Path, database_url: str
) -> None:
    """The deployment was not the deployer's first transaction, and the chain lost those too:
    sent now, it would wait in the node for the gap to fill (and take a nonce the deployer's
    next transaction needs). It is not sent; the database is refused with the reason."""
    client = ChainClient.in_process()
    genesis = client.dev.snapshot()
    operator = client.default_signer(Settings(data_dir=tmp_path).operator_private_key())
    _send_from(client, operator, 1)
    _open(client, tmp_path, database_url).close()
    client.dev.revert(genesis)

    with pytest.raises(DeploymentMismatch, match="has sent only 0 transactions"):
        _open(client, tmp_path, database_url)
    assert client.block_number() == 0 and client.next_nonce(operator.address) == 0


def test_database_bound_before_the_deployment_was_kept__refused_as_before(
    tmp_path: Path, database_url: str
) -> None:
    client = ChainClient.in_process()
    genesis = client.dev.snapshot()
    runtime = _open(client, tmp_path, database_url)
    with runtime.db.transaction() as session:
        meta = session.get(RegistryMeta, 1)
        assert meta is not None and len(meta.deployment_txs or ()) == 4
        meta.deployment_txs = None  # as migration 0017 leaves a database bound before it
    runtime.close()
    client.dev.revert(genesis)

    with pytest.raises(DeploymentMismatch, match="use another database or chain"):
        _open(client, tmp_path, database_url)
    assert client.block_number() == 0  # nothing sent
