"""Building blocks for chain-layer tests: a registered project with verified reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from chain import ContractCall, Receipt, RetirementDetails, RetirementPurpose
from chain.contracts import ParticipantKind
from chain.signers import Signer
from tests.conftest import DeployedChain

METHODOLOGY = keccak(text="TH-ES-001")
PROJECT = keccak(text="project:chengdu-boiler-1")
JAN = 1_735_689_600  # 2025-01-01
APR = 1_743_465_600  # 2025-04-01
JUL = 1_751_328_000  # 2025-07-01


@dataclass
class Scenario:
    """The admin (also the operator, holding the operator roles), a verification body holding
    the verifier role, a project owner, a buyer and an outsider."""

    chain: DeployedChain
    owner: Signer
    buyer: Signer
    outsider: Signer
    verifier: Signer

    def send(self, call: ContractCall, signer: Signer | None = None, **kwargs: Any) -> Receipt:
        return self.chain.client.transact(call, signer or self.chain.admin, **kwargs)

    def verify(self, report: bytes, start: int, end: int, amount: int) -> None:
        self.send(
            self.chain.tanhui.record_verified_report(report, PROJECT, start, end, amount), self.verifier
        )

    def issue(self, report: bytes) -> int:
        receipt = self.send(self.chain.tanhui.issue(report))
        assert receipt.gas_used <= 250_000
        return self.chain.tanhui.batch_count()


def details(beneficiary: str = "Chengdu Marathon 2025 Organising Committee") -> RetirementDetails:
    return RetirementDetails(
        beneficiary=beneficiary,
        purpose=RetirementPurpose.EVENT_NEUTRALITY,
        event_id=keccak(text="chengdu-marathon-2025"),
        jurisdiction="CN-SC-Chengdu",
        consumption_start=JAN,
        consumption_end=APR,
        note="venue and travel footprint",
    )


def registered_project(chain: DeployedChain) -> Scenario:
    """Owner and buyer registered, a verifier accredited (the verifier role is granted at once),
    a published methodology and a registered project."""
    owner, buyer, outsider, verifier = chain.signers[1], chain.signers[2], chain.signers[3], chain.signers[4]
    s = Scenario(chain, owner, buyer, outsider, verifier)
    t = chain.tanhui
    s.send(t.grant_role("verifier", verifier.address))
    s.send(t.register_participant(owner.address, ParticipantKind.ORGANISATION))
    s.send(t.register_participant(buyer.address, ParticipantKind.ORGANISATION))
    s.send(t.publish_methodology(METHODOLOGY, 1, keccak(text="methodology source")))
    s.send(t.register_project(PROJECT, owner.address, METHODOLOGY, 1, keccak(text="design document")))
    return s
