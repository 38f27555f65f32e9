"""The chain layer's behaviour, run against every backend (the in-process EVM and anvil)."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hexbytes import HexBytes

from chain import ChainError, ContractCall, Deployment, SignedTransaction, Tanhui, errors, role_id
from chain.abi import selector
from chain.certificates import verify_certificate
from chain.contracts import OPERATOR_ROLES, ParticipantKind, ParticipantStatus, RetirementPurpose
from chain.deploy import DEFAULT_ROLE_GRANT_DELAY
from chain.events import decoder_for, fetch_events, receipt_facts
from tests.chain.scenario import APR, JAN, JUL, METHODOLOGY, PROJECT, details, registered_project
from tests.conftest import DeployedChain


def test_deploy__admin_holds_the_operator_roles_never_the_verifier_and_contracts_are_linked(
    deployed: DeployedChain,
) -> None:
    t = deployed.tanhui
    assert t.is_live()
    assert t.has_role("admin", deployed.admin.address)
    for role in OPERATOR_ROLES:
        assert t.has_role(role, deployed.admin.address), role
        assert not t.has_role(role, deployed.signers[1].address), role
    assert not t.has_role("verifier", deployed.admin.address)
    assert t.role_grant_delay() == DEFAULT_ROLE_GRANT_DELAY
    assert deployed.deployment.chain_id == deployed.client.chain_id


def test_roles__operator_role_waits_for_its_schedule_the_verifier_role_does_not(
    deployed: DeployedChain,
) -> None:
    t, newcomer = deployed.tanhui, deployed.signers[5].address
    with pytest.raises(errors.RegistryRoleGrantNotReady) as caught:
        deployed.client.transact(t.grant_role("issuer", newcomer), deployed.admin)
    assert caught.value.arguments == {
        "role": keccak(text="tanhui.role.issuer"),
        "account": newcomer,
        "readyAt": 0,
    }

    receipt = deployed.client.transact(t.schedule_role_grant("issuer", newcomer), deployed.admin)
    ready_at = deployed.client.block(receipt.block_number)["timestamp"] + DEFAULT_ROLE_GRANT_DELAY
    assert t.role_grant_ready_at("issuer", newcomer) == ready_at
    with pytest.raises(errors.RegistryRoleGrantNotReady) as caught:
        deployed.client.transact(t.grant_role("issuer", newcomer), deployed.admin)
    assert caught.value.arguments["readyAt"] == ready_at
    deployed.client.transact(t.cancel_role_grant("issuer", newcomer), deployed.admin)
    assert t.role_grant_ready_at("issuer", newcomer) == 0

    deployed.client.transact(t.grant_role("verifier", newcomer), deployed.admin)
    assert t.has_role("verifier", newcomer)
    with pytest.raises(errors.RegistryConflictingRoles) as conflict:
        deployed.client.transact(t.schedule_role_grant("issuer", newcomer), deployed.admin)
    assert conflict.value.arguments["held"] == keccak(text="tanhui.role.verifier")
    with pytest.raises(errors.RegistryConflictingRoles):
        deployed.client.transact(t.grant_role("verifier", deployed.admin.address), deployed.admin)


def test_dev_mine__mines_that_many_empty_blocks_then_a_revert_forgets_them(deployed: DeployedChain) -> None:
    client = deployed.client
    before, snapshot = client.block_number(), client.dev.snapshot()
    client.dev.mine(3)
    assert client.block_number() == before + 3
    times = [client.block(before + i)["timestamp"] for i in range(4)]
    assert times == sorted(times)  # a count, never taken as a timestamp (anvil's evm_mine would)
    client.dev.revert(snapshot)
    assert client.block_number() == before


def test_lifecycle__issue_transfer_retire(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    s.verify(keccak(text="report-1"), JAN, APR, 1_000_000)
    batch_id = s.issue(keccak(text="report-1"))
    assert batch_id == 1
    batch = t.batch(batch_id)
    assert (batch.project_id, batch.methodology_id, batch.methodology_version) == (PROJECT, METHODOLOGY, 1)
    assert (batch.period_start, batch.period_end, batch.issued, batch.held) == (
        JAN,
        APR,
        1_000_000,
        1_000_000,
    )
    assert batch.report_hash == keccak(text="report-1")
    assert batch.verifier == s.verifier.address
    assert t.balance_of(s.owner.address, batch_id) == 1_000_000

    s.send(t.transfer(s.owner.address, s.buyer.address, batch_id, 400_000), s.owner)
    receipt = s.send(t.retire(batch_id, 250_000, details()), s.buyer)
    # Against an event: the first retirement also opens the event's account (a new storage
    # slot, ~22k gas); TARGETS' 110k is a plain retirement's (contracts/test/Gas.t.sol keeps it).
    assert receipt.gas_used <= 130_000

    assert t.balance_of(s.owner.address, batch_id) == 600_000
    assert t.balance_of(s.buyer.address, batch_id) == 150_000
    cert = t.retirement(1)
    assert (cert.holder, cert.batch_id, cert.serial_first, cert.serial_last) == (
        s.buyer.address,
        1,
        1,
        250_000,
    )
    assert cert.purpose == RetirementPurpose.EVENT_NEUTRALITY
    assert cert.block_number == receipt.block_number
    assert (cert.consumption_start, cert.consumption_end) == (JAN, APR)
    batch = t.batch(batch_id)
    assert (batch.retired, batch.held) == (250_000, 750_000)

    s.send(t.retire(batch_id, 100_000, details("Alice")), s.owner)
    second = t.retirement(2)
    assert (second.serial_first, second.serial_last) == (250_001, 350_000)
    assert t.certificate_count() == 2


def test_events__decoded_in_chain_order_across_narrow_ranges(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    start = deployed.client.block_number() + 1
    s.verify(keccak(text="report-1"), JAN, APR, 5_000)
    s.issue(keccak(text="report-1"))
    s.send(t.retire(1, 1_000, details()), s.owner)
    events = fetch_events(
        deployed.client, deployed.deployment, start, deployed.client.block_number(), max_range=1
    )
    names = [e.name for e in events]
    assert names == ["ReportVerified", "CreditsIssued", "TransferSingle", "TransferSingle", "CreditsRetired"]
    retired = events[-1].args
    assert retired["certificateId"] == 1 and retired["amount"] == 1_000
    assert retired["details"][0] == "Chengdu Marathon 2025 Organising Committee"
    assert retired["details"][3] == "CN-SC-Chengdu"


def test_issue__unverified_report_raises_typed_error(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    with pytest.raises(errors.CreditsReportNotVerified) as caught:
        s.issue(keccak(text="never verified"))
    assert caught.value.arguments == {"reportHash": keccak(text="never verified")}


def test_issue__overlapping_period_raises_typed_error(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    s.verify(keccak(text="overlaps q1"), APR - 86_400, JUL, 5_000)
    with pytest.raises(errors.CreditsPeriodOverlaps) as caught:
        s.issue(keccak(text="overlaps q1"))
    assert caught.value.arguments["issuedStart"] == JAN
    assert caught.value.arguments["issuedEnd"] == APR


def test_issue__reused_report_hash_is_refused_twice_over(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    with pytest.raises(errors.RegistryReportExists):
        s.verify(keccak(text="q1"), APR, JUL, 5_000)
    with pytest.raises(errors.CreditsReportAlreadyIssued) as caught:
        s.issue(keccak(text="q1"))
    assert caught.value.arguments["batchId"] == 1


def test_verify__period_not_over_and_own_project_raise_typed_errors(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    now = deployed.client.block()["timestamp"]
    with pytest.raises(errors.RegistryInvalidPeriod):
        s.verify(keccak(text="future"), JAN, now + 86_400, 1)
    with pytest.raises(errors.RegistryInvalidPeriod):
        s.verify(keccak(text="1999"), 915_148_800, JAN, 1)  # starts 1999-01-01
    with pytest.raises(errors.RegistryAmountTooLarge) as too_large:
        s.verify(keccak(text="huge"), JAN, APR, 2**63)
    assert too_large.value.arguments == {"amount": 2**63, "max": 2**63 - 1}
    s.send(t.grant_role("verifier", s.owner.address))
    with pytest.raises(errors.RegistryVerifierIsOwner):
        s.send(t.record_verified_report(keccak(text="own"), PROJECT, JAN, APR, 1), s.owner)


def test_withdraw_report__by_its_verifier_then_issuance_is_refused(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.send(t.withdraw_report(keccak(text="q1"), "sampling error"), s.verifier)
    assert t.is_report_withdrawn(keccak(text="q1"))
    with pytest.raises(errors.CreditsReportWithdrawn):
        s.issue(keccak(text="q1"))
    s.verify(keccak(text="q2"), JAN, APR, 5_000)
    s.send(t.grant_role("verifier", s.outsider.address))
    revoke = t.registry.encode_abi("revokeRole", args=[role_id("verifier"), s.verifier.address])
    s.send(ContractCall(to=t.registry.address, data=bytes(HexBytes(revoke)), function="revokeRole"))
    with pytest.raises(errors.CreditsVerifierNotActive) as caught:
        s.issue(keccak(text="q2"))
    assert caught.value.arguments == {"reportHash": keccak(text="q2"), "verifier": s.verifier.address}


def test_transfer__of_zero_or_of_an_unissued_batch_is_refused(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    with pytest.raises(errors.CreditsZeroAmount):
        s.send(t.transfer(s.owner.address, s.buyer.address, 1, 0), s.owner)
    with pytest.raises(errors.CreditsUnknownBatch):
        s.send(t.transfer(s.owner.address, s.buyer.address, 2, 1), s.owner)
    with pytest.raises(errors.CreditsUnregisteredAccount) as caught:
        s.send(t.transfer(s.outsider.address, s.owner.address, 2**255, 0), s.outsider)
    assert caught.value.arguments == {"account": s.outsider.address}
    with pytest.raises(errors.CreditsTextTooLong) as too_long:
        s.send(t.retire(1, 1, details("x" * 801)), s.owner)
    assert too_long.value.arguments == {"field": "beneficiary", "length": 801, "max": 800}
    with pytest.raises(errors.CreditsNotAContract):
        s.send(t.set_registry_contract(s.outsider.address, True))


def test_retire__more_than_held_raises_typed_error(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    with pytest.raises(errors.CreditsInsufficientBalance) as caught:
        s.send(deployed.tanhui.retire(1, 5_001, details()), s.owner)
    assert caught.value.arguments == {
        "holder": s.owner.address,
        "batchId": 1,
        "balance": 5_000,
        "needed": 5_001,
    }


def test_retire__revert_mined_on_chain_is_typed_too(deployed: DeployedChain) -> None:
    """With the gas given, nothing is simulated before sending: the revert happens on chain
    and is diagnosed from the receipt."""
    s = registered_project(deployed)
    with pytest.raises(errors.CreditsInsufficientBalance) as caught:
        s.send(deployed.tanhui.retire(1, 10, details()), s.owner, gas=300_000)
    assert caught.value.tx_hash is not None
    receipt = deployed.client.find_receipt(caught.value.tx_hash)
    assert receipt is not None and receipt["status"] == 0


def test_transfer__to_unregistered_account_raises_typed_error(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    with pytest.raises(errors.CreditsUnregisteredAccount) as caught:
        s.send(deployed.tanhui.transfer(s.owner.address, s.outsider.address, 1, 10), s.owner)
    assert caught.value.arguments == {"account": s.outsider.address}


def test_transfer__to_suspended_participant_is_refused(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    s.send(deployed.tanhui.set_participant_status(s.buyer.address, ParticipantStatus.SUSPENDED))
    with pytest.raises(errors.CreditsUnregisteredAccount):
        s.send(deployed.tanhui.transfer(s.owner.address, s.buyer.address, 1, 10), s.owner)


@pytest.mark.parametrize(
    ("role", "call"),
    [
        ("registrar", lambda t, a: t.register_participant(a, ParticipantKind.PERSON)),
        ("registrar", lambda t, a: t.publish_methodology(keccak(text="m2"), 1, keccak(text="c"))),
        (
            "registrar",
            lambda t, a: t.register_project(keccak(text="p2"), a, METHODOLOGY, 1, keccak(text="d")),
        ),
        ("verifier", lambda t, a: t.record_verified_report(keccak(text="r"), PROJECT, JAN, APR, 1)),
        ("issuer", lambda t, a: t.issue(keccak(text="r"))),
        ("supervisor", lambda t, a: t.set_account_frozen(a, True, "dispute")),
        ("supervisor", lambda t, a: t.invalidate(a, 1, 1, "wrong verification")),
        ("pauser", lambda t, a: t.pause_calls()[0]),
        ("pauser", lambda t, a: t.pause_calls()[1]),
    ],
)
def test_privileged_call__without_role_raises_typed_error(deployed: DeployedChain, role, call) -> None:  # type: ignore[no-untyped-def]
    s = registered_project(deployed)
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as caught:
        s.send(call(deployed.tanhui, s.outsider.address), s.outsider)
    assert caught.value.arguments["account"] == s.outsider.address
    assert caught.value.arguments["neededRole"] == keccak(text=f"tanhui.role.{role}")


def test_pause__every_state_change_is_refused_until_unpaused(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    for fn in t.pause_calls():
        s.send(fn)
    assert t.is_paused()
    attempts = [
        (t.register_participant(s.outsider.address, ParticipantKind.PERSON), deployed.admin),
        (t.record_verified_report(keccak(text="q2"), PROJECT, APR, JUL, 1), s.verifier),
        (t.issue(keccak(text="q2")), deployed.admin),
        (t.transfer(s.owner.address, s.buyer.address, 1, 1), s.owner),
        (t.retire(1, 1, details()), s.owner),
    ]
    for fn, signer in attempts:
        with pytest.raises(errors.EnforcedPause):
            s.send(fn, signer)
    for fn in t.unpause_calls():
        s.send(fn)
    s.send(t.retire(1, 1, details()), s.owner)


def test_freeze__frozen_account_and_batch_cannot_move_credits(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    s.send(t.set_account_frozen(s.owner.address, True, "dispute 2025-07"))
    with pytest.raises(errors.CreditsAccountFrozen):
        s.send(t.retire(1, 1, details()), s.owner)
    with pytest.raises(errors.CreditsAccountFrozen):
        s.send(t.transfer(s.owner.address, s.buyer.address, 1, 1), s.owner)
    s.send(t.set_account_frozen(s.owner.address, False, "dispute settled"))
    s.send(t.set_batch_frozen(1, True, "verification under review"))
    with pytest.raises(errors.CreditsBatchFrozen) as caught:
        s.send(t.transfer(s.owner.address, s.buyer.address, 1, 1), s.owner)
    assert caught.value.arguments == {"batchId": 1}
    s.send(t.invalidate(s.owner.address, 1, 2_000, "verification found 2 t overstated"))
    batch = t.batch(1)
    assert (batch.invalidated, batch.held, batch.frozen) == (2_000, 3_000, True)


def test_send__resending_a_signed_transaction_has_one_effect(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    signed = deployed.client.prepare(
        deployed.tanhui.register_participant(s.outsider.address, ParticipantKind.PERSON), deployed.admin
    )
    assert deployed.client.send(signed) == signed.tx_hash
    deployed.client.wait(signed.tx_hash)
    assert deployed.client.send(signed) == signed.tx_hash  # a retry after a crash
    assert deployed.client.wait(signed.tx_hash).tx_hash == signed.tx_hash
    assert deployed.tanhui.is_active_participant(s.outsider.address)


def test_events__shared_event_is_attributed_to_the_contract_that_emitted_it(deployed: DeployedChain) -> None:
    """Paused(address) has one topic in both contracts: the log's address decides."""
    start = deployed.client.block_number() + 1
    for fn in deployed.tanhui.pause_calls():
        deployed.client.transact(fn, deployed.admin)
    events = fetch_events(deployed.client, deployed.deployment, start, deployed.client.block_number())
    assert [(e.name, e.contract) for e in events] == [
        ("Paused", "TanhuiRegistry"),
        ("Paused", "TanhuiCredits"),
    ]


def test_calls__encode_the_named_function_for_the_right_contract(deployed: DeployedChain) -> None:
    t, d = deployed.tanhui, deployed.deployment
    retire = t.retire(1, 10, details())
    (abi_item,) = [
        i for i in deployed.client.abi("TanhuiCredits") if i["type"] == "function" and i["name"] == "retire"
    ]
    assert (retire.to, retire.function, retire.data[:4]) == (d.credits, "retire", selector(abi_item))
    assert [(c.to, c.function) for c in t.pause_calls()] == [(d.registry, "pause"), (d.credits, "pause")]
    assert [(c.to, c.function) for c in t.unpause_calls()] == [
        (d.registry, "unpause"),
        (d.credits, "unpause"),
    ]


def test_receipt_facts__issuance_and_retirement_receipts(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    decoder = decoder_for(deployed.client, deployed.deployment)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.verify(keccak(text="q2"), APR, JUL, 7_000)
    s.issue(keccak(text="q1"))
    issued = s.send(deployed.tanhui.issue(keccak(text="q2")))
    assert receipt_facts(decoder.decode_all(issued.logs)) == {"batch_id": 2}
    s.send(deployed.tanhui.retire(2, 1_000, details()), s.owner)
    retired = s.send(deployed.tanhui.retire(2, 500, details("Alice")), s.owner)
    assert receipt_facts(decoder.decode_all(retired.logs)) == {
        "certificate_id": 2,
        "serial_first": 1_001,
        "serial_last": 1_500,
    }
    registered = s.send(deployed.tanhui.register_participant(s.outsider.address, ParticipantKind.PERSON))
    assert receipt_facts(decoder.decode_all(registered.logs)) == {}


def test_events__retirement_details_read_back_from_the_event(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    receipt = s.send(deployed.tanhui.retire(1, 10, details()), s.owner)
    events = decoder_for(deployed.client, deployed.deployment).decode_all(receipt.logs)
    (retired,) = [e for e in events if e.name == "CreditsRetired"]
    assert retired.retirement_details() == details()
    assert retired.block_hash == receipt.block_hash
    other = next(e for e in events if e.name != "CreditsRetired")
    with pytest.raises(ValueError, match="not a CreditsRetired event"):
        other.retirement_details()


def test_certificate__verified_from_the_chain_alone(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    s.verify(keccak(text="q1"), JAN, APR, 5_000)
    s.issue(keccak(text="q1"))
    receipt = s.send(deployed.tanhui.retire(1, 1_200, details()), s.owner)
    evidence = verify_certificate(deployed.client, deployed.deployment.credits, 1)
    assert evidence.details == details()
    assert evidence.tx_hash == receipt.tx_hash
    assert evidence.registry == deployed.deployment.registry
    assert evidence.block_timestamp == deployed.client.block(receipt.block_number)["timestamp"]
    shown = evidence.to_json()
    assert (shown["amount_kg"], shown["serial_first"], shown["serial_last"]) == (1_200, 1, 1_200)
    with pytest.raises(errors.CreditsUnknownCertificate):
        verify_certificate(deployed.client, deployed.deployment.credits, 2)


def test_views__read_at_an_earlier_block(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    t = deployed.tanhui
    before = deployed.client.block_number()
    s.send(t.register_participant(s.outsider.address, ParticipantKind.PERSON))
    s.send(t.set_account_frozen(s.owner.address, True, "dispute"))
    assert t.participant(s.outsider.address)[:2] == (ParticipantKind.PERSON, ParticipantStatus.ACTIVE)
    assert t.participant(s.outsider.address, block=before)[:2] == (
        ParticipantKind.NONE,
        ParticipantStatus.NONE,
    )
    assert t.is_account_frozen(s.owner.address)
    assert not t.is_account_frozen(s.owner.address, block=before)


def test_pause__each_contract_is_reported_on_its_own(deployed: DeployedChain) -> None:
    t = deployed.tanhui
    assert t.is_paused_each() == {"registry": False, "credits": False} and not t.is_paused()
    before = deployed.client.block_number()
    deployed.client.transact(t.pause_calls()[1], deployed.admin)
    assert t.is_paused_each() == {"registry": False, "credits": True}
    assert t.is_paused()
    assert t.is_paused_each(block=before) == {"registry": False, "credits": False}


def test_is_live__false_where_the_contracts_are_not(deployed: DeployedChain) -> None:
    nowhere = Deployment(
        chain_id=deployed.client.chain_id,
        contracts={"TanhuiRegistry": deployed.admin.address, "TanhuiCredits": deployed.signers[1].address},
        block_number=0,
        deployer=deployed.admin.address,
        admin_delay=0,
    )
    assert not Tanhui(deployed.client, nowhere).is_live()
    assert deployed.client.has_code(deployed.deployment.credits)
    assert not deployed.client.has_code(deployed.admin.address)


def test_block__header_facts_link_to_the_parent(deployed: DeployedChain) -> None:
    s = registered_project(deployed)
    receipt = s.send(deployed.tanhui.register_participant(s.outsider.address, ParticipantKind.PERSON))
    block = deployed.client.block(receipt.block_number)
    parent = deployed.client.block(receipt.block_number - 1)
    assert (block["number"], block["hash"]) == (receipt.block_number, receipt.block_hash)
    assert block["parentHash"] == parent["hash"] and parent["hash"] != block["hash"]
    assert block["timestamp"] >= parent["timestamp"] > 1_600_000_000
    assert deployed.client.block()["number"] == deployed.client.block_number()
    with pytest.raises(ChainError, match="no block"):
        deployed.client.block(receipt.block_number + 1_000_000)


def test_get_transaction__what_was_signed(deployed: DeployedChain) -> None:
    call = deployed.tanhui.register_participant(deployed.signers[3].address, ParticipantKind.PERSON)
    receipt = deployed.client.transact(call, deployed.admin)
    tx = deployed.client.get_transaction(receipt.tx_hash)
    assert (tx["hash"], tx["from"], tx["to"], tx["input"], tx["value"]) == (
        receipt.tx_hash,
        deployed.admin.address,
        call.to,
        call.data,
        0,
    )
    assert tx["blockNumber"] == receipt.block_number
    with pytest.raises(ChainError, match="no transaction"):
        deployed.client.get_transaction("0x" + "ab" * 32)


def test_signed_transaction__from_raw_round_trips_prepare(deployed: DeployedChain) -> None:
    client = deployed.client
    call = deployed.tanhui.register_participant(deployed.signers[3].address, ParticipantKind.PERSON)
    dynamic = client.prepare(call, deployed.admin, gas=200_000)
    legacy = client.prepare(call, deployed.admin, gas=200_000, nonce=dynamic.nonce + 1, fees={"gasPrice": 7})
    for signed in (dynamic, legacy):
        assert SignedTransaction.from_raw(signed.raw) == signed
        assert SignedTransaction.from_raw("0x" + signed.raw.hex()) == signed
        fields = signed.fields()
        assert (fields["to"], fields["data"], fields["gas"], fields["chainId"]) == (
            call.to,
            call.data,
            200_000,
            client.chain_id,
        )
    assert legacy.fields()["gasPrice"] == 7 and "gasPrice" not in dynamic.fields()
    with pytest.raises(ValueError, match="not a signed transaction"):
        SignedTransaction.from_raw(b"\xc0")


def test_resign__taken_nonce_then_the_same_call_with_a_new_one_is_mined(deployed: DeployedChain) -> None:
    client, admin = deployed.client, deployed.admin
    newcomer = deployed.signers[3].address
    call = deployed.tanhui.register_participant(newcomer, ParticipantKind.PERSON)
    original = client.prepare(call, admin, gas=200_000)
    # Another transaction of the same sender takes the nonce first.
    client.wait(client.send(client.prepare(None, admin, to=admin.address, gas=21_000, nonce=original.nonce)))
    with pytest.raises(errors.NonceTaken) as caught:
        client.send(original)
    assert caught.value.tx_hash == original.tx_hash
    assert isinstance(caught.value, errors.TransactionRefused)

    resigned = client.resign(
        original, admin, nonce=client.next_nonce(admin.address), fees=client.fee_fields()
    )
    assert resigned.nonce == original.nonce + 1 and resigned.tx_hash != original.tx_hash
    same = ("to", "data", "value", "gas", "chainId")
    assert {k: resigned.fields()[k] for k in same} == {k: original.fields()[k] for k in same}
    receipt = client.wait(client.send(resigned))
    mined = client.get_transaction(receipt.tx_hash)
    assert (mined["nonce"], mined["input"], mined["to"]) == (original.nonce + 1, call.data, call.to)
    assert deployed.tanhui.is_active_participant(newcomer)
    with pytest.raises(ValueError, match="not by"):
        client.resign(original, deployed.signers[1], nonce=0, fees=client.fee_fields())


def test_nonce_filler__uses_the_nonce_with_a_transfer_to_itself(deployed: DeployedChain) -> None:
    client, admin = deployed.client, deployed.admin
    nonce = client.next_nonce(admin.address)
    filler = client.nonce_filler(admin, nonce=nonce, fees=client.fee_fields())
    assert (filler.sender, filler.nonce) == (admin.address, nonce)
    receipt = client.wait(client.send(filler))
    tx = client.get_transaction(receipt.tx_hash)
    assert (tx["from"], tx["to"], tx["value"], tx["gas"], tx["nonce"], tx["input"]) == (
        admin.address,
        admin.address,
        0,
        21_000,
        nonce,
        b"",
    )
    assert receipt.gas_used == 21_000
    assert client.next_nonce(admin.address) == nonce + 1


def test_get_logs__same_answer_from_either_form_of_the_filter_and_a_refusal_is_typed(
    deployed: DeployedChain,
) -> None:
    # On a node the logs come as JSON-RPC hex strings (not through web3's formatters); the
    # decoder reads both forms, and topics may be given as bytes or hex.
    client, deployment = deployed.client, deployed.deployment
    t = deployed.tanhui
    receipt = client.transact(t.pause_calls()[0], deployed.admin)
    decoder = decoder_for(client, deployment)
    topic = decoder.topic("Paused")
    as_bytes = client.get_logs(
        {"fromBlock": receipt.block_number, "toBlock": receipt.block_number, "topics": [topic]}
    )
    as_hex = client.get_logs(
        {"fromBlock": receipt.block_number, "toBlock": receipt.block_number, "topics": ["0x" + topic.hex()]}
    )
    assert len(as_bytes) == len(as_hex) == 1
    (event,) = decoder.decode_all(as_bytes)
    assert event.name == "Paused" and event.block_number == receipt.block_number
    assert event.address == deployment.registry and event.contract == "TanhuiRegistry"
    assert event.tx_hash == receipt.tx_hash
    assert decoder.decode_all(as_hex) == [event]
    events = fetch_events(client, deployment, receipt.block_number, receipt.block_number)
    assert [(e.name, e.args) for e in events] == [(event.name, event.args)]
    with pytest.raises(ChainError, match="refused the log query"):
        client.get_logs({"address": "0x1234", "fromBlock": 0, "toBlock": 0})
