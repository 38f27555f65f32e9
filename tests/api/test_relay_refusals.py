"""The relay when the node refuses a transaction or the chain reverts it: no nonce is ever
left unused (a gap would hold every later transaction of the sender for ever), a refusal is
retried, a mined failure is final. On anvil, which charges gas."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from registry.models import ChainAccount, ChainOperation, Participant
from registry.outbox import signed_transaction
from registry.runtime import Runtime
from tests.api.conftest import Api

pytestmark = pytest.mark.anvil


def op_row(runtime: Runtime, op_id: int) -> ChainOperation:
    with runtime.db.transaction() as session:
        row = session.get(ChainOperation, op_id)
        assert row is not None
        session.expunge(row)
        return row


def set_balance(runtime: Runtime, address: str, wei: int) -> None:
    response = runtime.client.w3.provider.make_request("anvil_setBalance", [address, hex(wei)])  # type: ignore[arg-type]
    assert "error" not in response, response


def register_op(api: Api, runtime: Runtime, name: str) -> int:
    """Queues the registration of a new participant (and, gas costing money, its funding),
    signed by the operator; returns the registration's op id."""
    from registry import participants

    with runtime.db.transaction() as session:
        _, _, ops = participants.register(session, runtime.outbox, name=name, kind="person", roles=["holder"])
        assert [op.kind for op in ops] == ["register_participant", "fund_account"]
        return ops[0].id


def registered_with_its_nonce_taken(api: Api, runtime: Runtime, name: str) -> tuple[int, ChainOperation]:
    """A registration queued by the operator, and a transaction the registry did not send that
    takes its nonce first: (its op id, the operation as recorded before)."""
    op_id = register_op(api, runtime, name)
    stale = op_row(runtime, op_id)
    operator = runtime.operator
    outside = runtime.client.prepare(
        None, operator, to=operator.address, value=0, gas=21_000, nonce=stale.nonce
    )
    runtime.client.wait(runtime.client.send(outside))
    return op_id, stale


def test_refused_for_funds__stays_pending_with_its_nonce_then_completes(anvil_env: dict[str, Any]) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    operator = runtime.operator.address
    balance = runtime.client.balance(operator)
    op_id = register_op(api, runtime, "waits for gas")
    set_balance(runtime, operator, 0)  # the money runs out between the commit and the send
    runtime.relay.process(op_id, timeout=5)
    row = op_row(runtime, op_id)
    assert row.status == "signed" and "refused by the node" in (row.error or "")
    assert runtime.client.next_nonce(operator) == row.nonce  # the nonce is still free: no gap

    set_balance(runtime, operator, balance)
    assert runtime.relay.resume() == 2  # the registration and the funding behind it
    row = op_row(runtime, op_id)
    assert row.status == "confirmed" and row.error is None
    api.participant(["holder"])  # and the operator's next operation goes through


def test_refused_for_good__cancel_fills_the_nonce_and_fails_the_operation(anvil_env: dict[str, Any]) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    operator = runtime.operator.address
    balance = runtime.client.balance(operator)
    op_id = register_op(api, runtime, "given up")
    set_balance(runtime, operator, 0)
    runtime.relay.process(op_id, timeout=5)
    assert op_row(runtime, op_id).status == "signed"

    set_balance(runtime, operator, balance)
    runtime.relay.cancel(op_id, "registration withdrawn")
    row = op_row(runtime, op_id)
    assert row.status == "failed" and row.result and row.result["nonce_filled_by"]
    assert "cancelled: registration withdrawn" in (row.error or "")  # the reason stays with it
    assert runtime.client.next_nonce(operator) == row.nonce + 1  # the nonce was used by the filler
    with runtime.db.transaction() as session:
        participant = session.execute(
            select(Participant).where(Participant.address == row.payload["address"])
        ).scalar_one()
        assert participant.chain_status == "failed"  # the compensation ran
    api.participant(["holder"])  # no gap: the next operation goes through


def test_refused_for_funds__registry_account_is_topped_up(anvil_env: dict[str, Any]) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    set_balance(runtime, owner["address"], 0)
    done = api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 7}, owner["token"])
    assert done["status"] == "confirmed"
    with runtime.db.transaction() as session:
        top_ups = [
            (op.payload, op.status, op.sender)
            for op in session.execute(
                select(ChainOperation).where(ChainOperation.kind == "fund_account")
            ).scalars()
            if op.payload.get("reason") == "top-up"
        ]
    # one top-up, of the owner's account, from the operator, confirmed
    expected = {"participant": owner["id"], "address": owner["address"], "reason": "top-up"}
    assert top_ups == [(expected, "confirmed", runtime.operator.address)]
    assert runtime.client.balance(owner["address"]) > 0
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 7


def test_mined_failure__is_final_even_without_a_decodable_reason(anvil_env: dict[str, Any]) -> None:
    """Out of gas: a receipt with status 0 that no replay explains still fails the operation
    (it must not stay pending, holding the holder's balance)."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    with runtime.db.transaction() as session:
        from registry import participants

        me = participants.get(session, owner["id"])
        op = runtime.outbox.enqueue(
            session, kind="transfer", payload={"test": "out of gas"}, gas=30_000,
            call=runtime.tanhui.transfer(owner["address"], buyer["address"], batch_id, 1),
            signer=runtime.outbox.signer_of(me),
        )  # fmt: skip
        op_id = op.id
    runtime.relay.process(op_id, timeout=10)
    row = op_row(runtime, op_id)
    assert row.status == "failed" and row.error_code == "TransactionReverted"
    assert runtime.tanhui.balance_of(buyer["address"], batch_id) == 0


def test_resign__a_stale_copy_does_not_sign_again(anvil_env: dict[str, Any]) -> None:
    """The operator's nonce is taken outside the registry: the relay signs the operation again
    once; a thread still holding the old copy must not sign it a second time."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    operator = runtime.operator
    op_id, stale = registered_with_its_nonce_taken(api, runtime, "nonce taken")

    runtime.relay.process(op_id, timeout=10)
    row = op_row(runtime, op_id)
    assert row.status == "confirmed" and row.nonce != stale.nonce
    with runtime.db.transaction() as session:
        next_nonce = session.get(ChainAccount, operator.address).next_nonce  # type: ignore[union-attr]
    runtime.relay._resign(stale)  # the other thread's stale copy
    assert op_row(runtime, op_id).tx_hash == row.tx_hash
    with runtime.db.transaction() as session:
        assert session.get(ChainAccount, operator.address).next_nonce == next_nonce  # type: ignore[union-attr]


def test_resign__a_copy_from_before_another_threads_resign_does_not_sign_again(
    anvil_env: dict[str, Any],
) -> None:
    """Another thread signed the operation again but has not sent it yet (still ``signed``, a
    new hash): a thread holding the copy from before must neither sign it a third time nor take
    another nonce."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    operator = runtime.operator
    op_id, stale = registered_with_its_nonce_taken(api, runtime, "nonce taken, re-signed once")

    assert runtime.relay._resign(stale)  # the first thread
    resigned = op_row(runtime, op_id)
    assert resigned.status == "signed" and resigned.tx_hash != stale.tx_hash
    with runtime.db.transaction() as session:
        next_nonce = session.get(ChainAccount, operator.address).next_nonce  # type: ignore[union-attr]
    assert not runtime.relay._resign(stale)  # the second, with its copy from before
    again = op_row(runtime, op_id)
    assert (again.tx_hash, again.nonce) == (resigned.tx_hash, resigned.nonce)
    with runtime.db.transaction() as session:
        assert session.get(ChainAccount, operator.address).next_nonce == next_nonce  # type: ignore[union-attr]
    runtime.relay.resume()
    assert op_row(runtime, op_id).status == "confirmed"


def test_reconcile__reports_an_operation_mined_but_recorded_pending(anvil_env: dict[str, Any]) -> None:
    """The drift a stuck relay would leave: the chain has the transaction, the outbox says pending."""
    from registry.reconcile import reconcile

    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    op_id = register_op(api, runtime, "mined behind the relay's back")
    row = op_row(runtime, op_id)
    runtime.client.wait(runtime.client.send(signed_transaction(row)))
    report = reconcile(runtime)
    assert any(d["subject"] == f"operation {op_id}" and d["database"] == "signed" for d in report.differences)
    runtime.relay.resume()
    assert reconcile(runtime).ok


def test_refused_queue__one_round_sends_each_operation_a_bounded_number_of_times(
    anvil_env: dict[str, Any],
) -> None:
    """A sender whose transactions the node refuses for now (out of gas money): one round over
    its queue tries each once or twice — not once per later nonce (2^n), which would never end."""
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    operator = runtime.operator.address
    balance = runtime.client.balance(operator)
    ops = [register_op(api, runtime, f"queued {n}") for n in range(8)]
    set_balance(runtime, operator, 0)
    sends = 0
    original = runtime.client.send

    def counting(signed: Any) -> str:
        nonlocal sends
        sends += 1
        return original(signed)

    runtime.client.send = counting  # type: ignore[method-assign]
    try:
        runtime.relay.resume()
    finally:
        runtime.client.send = original  # type: ignore[method-assign]
    pending = 2 * len(ops)  # each registration and its funding
    assert sends <= 2 * pending, sends
    assert all(op_row(runtime, op_id).status == "signed" for op_id in ops)
    set_balance(runtime, operator, balance)
    runtime.relay.resume()
    assert all(op_row(runtime, op_id).status == "confirmed" for op_id in ops)


def test_cancel__the_filler_is_recorded_and_a_crash_after_it_does_not_sign_again(
    anvil_env: dict[str, Any],
) -> None:
    runtime: Runtime = anvil_env["runtime"]
    api: Api = anvil_env["api"]
    op_id = register_op(api, runtime, "cancelled, then crashed")
    runtime.relay.cancel(op_id, "withdrawn")
    row = op_row(runtime, op_id)
    filler = row.result["nonce_filled_by"]  # type: ignore[index]
    mined = runtime.client.find_receipt(filler)
    assert row.status == "failed" and mined is not None and row.block_number == int(mined["blockNumber"])
    assert row.result["filler_raw"]  # type: ignore[index]
    # As if the process died after sending the filler, before recording the failure:
    with runtime.db.transaction() as session:
        again = session.get(ChainOperation, op_id)
        again.status = "signed"  # type: ignore[union-attr,assignment]
        again.block_number = None  # type: ignore[union-attr]
    runtime.relay.process(op_id, timeout=10)
    row = op_row(runtime, op_id)
    assert row.status == "failed" and row.nonce == op_row(runtime, op_id).nonce
    assert runtime.client.find_receipt(row.tx_hash) is None  # never signed again and sent
