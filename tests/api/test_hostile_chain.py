"""Anything on chain is input: what a hostile or careless account can put in the contracts' logs
never stops the indexer (and with it every write of the service). What cannot be applied is an
anomaly, recorded and reported by reconcile; the rest of the range is applied.
On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from sqlalchemy import select

from chain import errors
from chain.abi import ContractCall
from chain.events import ChainEvent
from chain.signers import LocalSigner
from registry.models import Batch, ChainAnomaly, Holding, Retirement
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api

HUGE = 2**255


def anomalies(runtime: Runtime) -> list[ChainAnomaly]:
    with runtime.db.transaction() as session:
        rows = list(session.execute(select(ChainAnomaly).order_by(ChainAnomaly.id)).scalars())
        session.expunge_all()
        return rows


def fund(runtime: Runtime, address: str) -> None:
    funder = runtime.client.dev_signers()[1]
    runtime.client.wait(
        runtime.client.send(runtime.client.prepare(None, funder, to=address, value=10**18, gas=21_000))
    )


def self_custody_holder(
    api: Api, runtime: Runtime, batch_id: int, owner: dict[str, Any], kg: int
) -> LocalSigner:
    """A participant that keeps its own key, holding `kg` of the batch."""
    signer = LocalSigner(Account.create())
    fund(runtime, signer.address)
    holder = api.participant(["holder"], address=signer.address)
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": kg}, owner["token"])
    return signer


def raw_retire(runtime: Runtime, batch_id: int, amount: int, beneficiary: bytes) -> ContractCall:
    """A `retire` call whose beneficiary is arbitrary bytes (strings and bytes share an encoding):
    what a self-custody holder can send without the API."""
    selector = runtime.tanhui.retire(1, 1, _details("x")).data[:4]
    body = encode(
        ["uint256", "uint64", "(bytes,uint8,bytes32,string,uint40,uint40,string)"],
        [batch_id, amount, (beneficiary, 1, bytes(32), "CN", 0, 0, "")],
    )
    return ContractCall(to=runtime.tanhui.credits.address, data=selector + body, function="retire")


def _details(beneficiary: str) -> Any:
    from chain.contracts import RetirementDetails, RetirementPurpose

    return RetirementDetails(beneficiary=beneficiary, purpose=RetirementPurpose.VOLUNTARY)


def test_phantom_transfer__is_refused_on_chain_and_the_service_goes_on(api: Api, runtime: Runtime) -> None:
    """An unregistered account's zero-value transfer of an id never issued succeeded before and
    then stopped the indexer for good (bigint out of range): the contract refuses it now, and
    the service confirms new work with reconcile clean."""
    batch_id, owner, _ = api.issued_batch()
    stranger = LocalSigner(Account.create())
    fund(runtime, stranger.address)
    with pytest.raises(
        (errors.CreditsZeroAmount, errors.CreditsUnknownBatch, errors.CreditsUnregisteredAccount)
    ):
        runtime.client.transact(
            runtime.tanhui.transfer(stranger.address, owner["address"], HUGE, 0), stranger
        )
    buyer = api.participant(["holder"])
    done = api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 5}, owner["token"])
    assert done["status"] == "confirmed"
    report = reconcile(runtime)
    assert report.ok, report.differences


def test_indexer__an_event_it_cannot_store_is_an_anomaly_and_the_rest_is_applied(
    api: Api, runtime: Runtime
) -> None:
    """An event with an id beyond what the index can hold (a contract without today's checks
    emitted such events) is skipped and recorded, in the same range as events that apply."""
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    head = runtime.client.block_number()
    base = {"block_number": head, "tx_hash": "0x" + "ab" * 32, "address": runtime.tanhui.credits.address}
    hostile = ChainEvent(
        contract="TanhuiCredits",
        name="TransferSingle",
        args={
            "operator": buyer["address"],
            "from": buyer["address"],
            "to": owner["address"],
            "id": HUGE,
            "value": 0,
        },
        log_index=900,
        **base,
    )
    honest = ChainEvent(
        contract="TanhuiCredits",
        name="TransferSingle",
        args={
            "operator": owner["address"],
            "from": owner["address"],
            "to": buyer["address"],
            "id": batch_id,
            "value": 7,
        },
        log_index=901,
        **base,
    )
    with runtime.db.transaction() as session:
        held = session.get(Holding, (owner["address"], batch_id))
        assert held is not None
        before = held.amount_kg
        runtime.indexer.apply(session, [hostile, honest])
    with runtime.db.transaction() as session:
        assert session.get(Holding, (owner["address"], batch_id)).amount_kg == before - 7  # type: ignore[union-attr]
        assert session.get(Holding, (buyer["address"], batch_id)).amount_kg == 7  # type: ignore[union-attr]
    (anomaly,) = anomalies(runtime)
    assert (anomaly.event, anomaly.action, anomaly.log_index) == ("TransferSingle", "skipped", 900)
    assert anomaly.data["id"] == str(HUGE)


def test_indexer__a_log_that_does_not_decode_is_an_anomaly(api: Api, runtime: Runtime) -> None:
    api.issued_batch()
    topic = runtime.indexer.decoder.topic("CreditsIssued")
    log = {
        "address": runtime.tanhui.credits.address,
        "topics": [topic],  # CreditsIssued has three indexed arguments
        "data": b"\x01",
        "blockNumber": 5,
        "transactionHash": b"\xcd" * 32,
        "logIndex": 3,
    }
    with runtime.db.transaction() as session:
        runtime.indexer.apply(session, [], [log])
    (anomaly,) = anomalies(runtime)
    assert (anomaly.event, anomaly.action, anomaly.block_number) == ("(undecodable)", "skipped", 5)


@pytest.mark.parametrize(
    "beneficiary,problem",
    [(b"\xff\xfe broken", "details.beneficiary is not valid UTF-8"), (b"nul\x00inside", "contains NUL")],
)
def test_retirement__text_the_database_cannot_hold_is_applied_and_reported(
    api: Api, runtime: Runtime, beneficiary: bytes, problem: str
) -> None:
    """A self-custody holder retires 1 kg with a beneficiary that is not UTF-8, or holds NUL
    (which PostgreSQL refuses): the retirement reaches the index (conservation holds), its
    text with U+FFFD in place, the anomaly is reported, and the service goes on."""
    batch_id, owner, _ = api.issued_batch()
    signer = self_custody_holder(api, runtime, batch_id, owner, 10)
    runtime.client.transact(raw_retire(runtime, batch_id, 1, beneficiary), signer)
    runtime.indexer.sync()

    with runtime.db.transaction() as session:
        (certificate,) = session.execute(
            select(Retirement).where(Retirement.holder == signer.address)
        ).scalars()
        assert certificate.amount_kg == 1 and "\ufffd" in certificate.beneficiary
        assert session.get(Batch, batch_id).retired_kg == 1  # type: ignore[union-attr]
    (anomaly,) = anomalies(runtime)
    assert anomaly.action == "applied" and problem in anomaly.reason
    report = reconcile(runtime)
    assert report.ok, report.differences  # the numbers agree; the altered text is reported apart
    assert [a["reason"] for a in report.anomalies] == [anomaly.reason]
    buyer = api.participant(["holder"])
    assert (
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}, owner["token"])[
            "status"
        ]
        == "confirmed"
    )


def test_uint64_columns__hold_the_largest_uint64(runtime: Runtime) -> None:
    """Amounts are uint64 on chain: the index's columns hold every one, and compare as numbers."""
    top = 2**64 - 1
    with runtime.db.transaction() as session:
        session.add_all(
            [
                Holding(address="0x" + "11" * 20, batch_id=1, amount_kg=top),
                Holding(address="0x" + "22" * 20, batch_id=1, amount_kg=9),
                Holding(address="0x" + "33" * 20, batch_id=1, amount_kg=10),
            ]
        )
    with runtime.db.transaction() as session:
        assert session.get(Holding, ("0x" + "11" * 20, 1)).amount_kg == top  # type: ignore[union-attr]
        larger = session.execute(
            select(Holding.amount_kg).where(Holding.amount_kg > 9).order_by(Holding.amount_kg)
        )
        assert list(larger.scalars()) == [10, top]
