"""Carbon-neutrality claims (R14) through the chain layer, on every backend: per-event totals of
retirements, the issuer's closing of a covered claim, and the typed refusals."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils.crypto import keccak

from chain import errors
from chain.contracts import EventAccount
from chain.events import decoder_for, fetch_events
from tests.chain.scenario import APR, JAN, Scenario, details, registered_project
from tests.conftest import DeployedChain

EVENT = keccak(text="chengdu-marathon-2025")  # the event id of scenario.details()
OTHER_EVENT = keccak(text="shanghai-expo-2026")
FOOTPRINT_HASH = keccak(text="marathon footprint report v3")


def _with_credits(deployed: DeployedChain) -> Scenario:
    """Batch 1 of 5 000 kg: 3 000 with the owner, 2 000 with the buyer."""
    s = registered_project(deployed)
    s.verify(keccak(text="report-1"), JAN, APR, 5_000)
    s.issue(keccak(text="report-1"))
    s.send(deployed.tanhui.transfer(s.owner.address, s.buyer.address, 1, 2_000), s.owner)
    return s


def _retire(s: Scenario, holder: str, amount: int, event_id: bytes) -> None:
    signer = s.owner if holder == "owner" else s.buyer
    s.send(s.chain.tanhui.retire(1, amount, replace(details(), event_id=event_id)), signer)


def test_claim__totals_from_two_holders_then_closed_and_read_back(deployed: DeployedChain) -> None:
    s = _with_credits(deployed)
    t = deployed.tanhui
    assert t.event_account(EVENT) == EventAccount(EVENT, 0, 0, 0, 0, 0, bytes(32))

    _retire(s, "owner", 1_500, EVENT)
    _retire(s, "buyer", 700, EVENT)
    _retire(s, "owner", 100, bytes(32))  # no event: counted nowhere
    _retire(s, "buyer", 10, OTHER_EVENT)
    account = t.event_account(EVENT)
    assert (account.retired_kg, account.closed_at, account.closed_block) == (2_200, 0, 0)
    assert not account.closed and not account.neutral
    assert t.event_account(OTHER_EVENT).retired_kg == 10
    assert t.event_account(bytes(32)).retired_kg == 0

    receipt = s.send(t.close_claim(EVENT, 2_000, 2_200, FOOTPRINT_HASH))
    closed = t.event_account(EVENT)
    assert closed == EventAccount(
        event_id=EVENT,
        retired_kg=2_200,
        footprint_kg=2_000,
        required_kg=2_200,
        closed_at=deployed.client.block(receipt.block_number)["timestamp"],
        closed_block=receipt.block_number,
        footprint_hash=FOOTPRINT_HASH,
    )
    assert closed.closed and closed.neutral
    # Before the closing block the account was open: anyone checks the claim from the chain alone.
    assert not t.event_account(EVENT, block=receipt.block_number - 1).closed

    events = decoder_for(deployed.client, deployed.deployment).decode_all(receipt.logs)
    assert [e.name for e in events] == ["ClaimClosed"]
    assert events[0].contract == "TanhuiCredits"
    assert events[0].args == {
        "eventId": EVENT,
        "footprintKg": 2_000,
        "requiredKg": 2_200,
        "retiredKg": 2_200,
        "footprintHash": FOOTPRINT_HASH,
    }
    # As with certificates, the stored block finds the event with a one-block log query.
    fetched = fetch_events(deployed.client, deployed.deployment, closed.closed_block, closed.closed_block)
    assert [(e.name, e.args["eventId"]) for e in fetched] == [("ClaimClosed", EVENT)]


def test_claim__not_covered_by_one_kg_is_a_typed_error(deployed: DeployedChain) -> None:
    s = _with_credits(deployed)
    _retire(s, "owner", 1_000, EVENT)
    with pytest.raises(errors.CreditsClaimNotCovered) as caught:
        s.send(deployed.tanhui.close_claim(EVENT, 900, 1_001, FOOTPRINT_HASH))
    assert caught.value.arguments == {"eventId": EVENT, "retiredKg": 1_000, "requiredKg": 1_001}
    assert not deployed.tanhui.event_account(EVENT).closed


def test_claim__closed_twice_and_retire_after_closing_are_typed_errors(deployed: DeployedChain) -> None:
    s = _with_credits(deployed)
    t = deployed.tanhui
    _retire(s, "owner", 1_000, EVENT)
    s.send(t.close_claim(EVENT, 1_000, 1_000, FOOTPRINT_HASH))

    with pytest.raises(errors.CreditsClaimClosed) as twice:
        s.send(t.close_claim(EVENT, 500, 500, keccak(text="another footprint")))
    assert twice.value.arguments == {"eventId": EVENT}

    with pytest.raises(errors.CreditsClaimClosed) as late:
        _retire(s, "buyer", 1, EVENT)
    assert late.value.arguments == {"eventId": EVENT}
    assert t.event_account(EVENT).retired_kg == 1_000
    assert t.balance_of(s.buyer.address, 1) == 2_000


def test_claim__invalid_arguments_and_callers_are_typed_errors(deployed: DeployedChain) -> None:
    s = _with_credits(deployed)
    t = deployed.tanhui
    _retire(s, "owner", 1_000, EVENT)
    with pytest.raises(errors.CreditsRequiredBelowFootprint) as below:
        s.send(t.close_claim(EVENT, 600, 599, FOOTPRINT_HASH))
    assert below.value.arguments == {"footprintKg": 600, "requiredKg": 599}
    with pytest.raises(errors.CreditsZeroFootprint):
        s.send(t.close_claim(EVENT, 0, 100, FOOTPRINT_HASH))
    with pytest.raises(errors.CreditsZeroEventId):
        s.send(t.close_claim(bytes(32), 100, 100, FOOTPRINT_HASH))
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as unauthorized:
        s.send(t.close_claim(EVENT, 100, 100, FOOTPRINT_HASH), s.owner)
    assert unauthorized.value.arguments["account"] == s.owner.address
    assert not t.event_account(EVENT).closed
