"""Checking a carbon-neutrality claim from the chain alone: no database, no API.

The claim's account comes from ``TanhuiCredits.eventAccount(eventId)`` (the event id is the
keccak-256 of the claim's id, as the registry retires against it); the closing from the
``ClaimClosed`` event in the block the account names (a one-block log query); the retirements
behind it from every ``CreditsRetired`` event that names the event id, up to that block. The
claim is neutral when it is closed, the retirements cover the required amount, and the account,
the closing event and the retirements agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3

from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui
from chain.errors import ChainError
from chain.events import DEFAULT_MAX_RANGE, decoder_for, fetch_events

ZERO = "0x0000000000000000000000000000000000000000"


class ClaimNotFound(ChainError):
    """No retirement or closing names the claim's event id on this chain."""


class ClaimMismatch(ChainError):
    """The claim's account, its closing event and its retirements disagree."""


def claim_event_id(claim: str) -> bytes:
    """The bytes32 a claim is known by on chain: 0x-hex of 32 bytes as given, else keccak-256
    of the claim's id (how the registry retires against it)."""
    if claim.startswith("0x") and len(claim) == 66:
        try:
            return bytes.fromhex(claim[2:])
        except ValueError:
            pass
    return bytes(keccak(text=claim))


@dataclass(frozen=True)
class ClaimRetirementEvidence:
    certificate_id: int
    holder: str
    amount_kg: int
    purpose: str
    beneficiary: str
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class ClaimEvidence:
    claim: str
    event_id: bytes
    chain_id: int
    credits: str
    closed: bool
    footprint_kg: int
    required_kg: int
    retired_kg: int
    footprint_hash: bytes
    closed_at: int
    closed_block: int
    close_tx: str | None
    retirements: tuple[ClaimRetirementEvidence, ...]

    @property
    def neutral(self) -> bool:
        return self.closed and self.retired_kg >= self.required_kg >= self.footprint_kg > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "event_id": "0x" + self.event_id.hex(),
            "chain_id": self.chain_id,
            "contract": self.credits,
            "neutral": self.neutral,
            "closed": self.closed,
            "footprint_kg": self.footprint_kg,
            "required_kg": self.required_kg,
            "retired_kg": self.retired_kg,
            "footprint_hash": "0x" + self.footprint_hash.hex(),
            "closed_at": self.closed_at,
            "closed_block": self.closed_block,
            "close_tx": self.close_tx,
            "retirements": [
                {
                    "certificate_id": r.certificate_id,
                    "holder": r.holder,
                    "amount_kg": r.amount_kg,
                    "purpose": r.purpose,
                    "beneficiary": r.beneficiary,
                    "block_number": r.block_number,
                    "tx_hash": r.tx_hash,
                }
                for r in self.retirements
            ],
        }


def _names(event: Any, event_id: bytes) -> bool:
    """Whether a CreditsRetired event was retired against `event_id` (one whose details do not
    decode names nothing)."""
    try:
        return bool(event.retirement_details().event_id == event_id)
    except ValueError:
        return False


def verify_claim(
    client: ChainClient,
    credits_address: str,
    claim: str,
    *,
    from_block: int = 0,
    max_range: int = DEFAULT_MAX_RANGE,
) -> ClaimEvidence:
    """The chain's evidence for `claim`; raises :class:`ClaimNotFound` when nothing on chain names
    it and :class:`ClaimMismatch` when the evidence disagrees. The retirements are looked for
    from `from_block` (the contracts' deployment block, when known)."""
    credits = client.contract("TanhuiCredits", credits_address)
    registry_address = Web3.to_checksum_address(client.call(credits.functions.registry()))
    deployment = Deployment(
        chain_id=client.chain_id,
        contracts={"TanhuiRegistry": registry_address, "TanhuiCredits": credits.address},
        block_number=0,
        deployer=Web3.to_checksum_address(ZERO),
        admin_delay=0,
    )
    event_id = claim_event_id(claim)
    head = client.block_number()
    account = Tanhui(client, deployment).event_account(event_id, block=head)  # one block for all
    closed = account.closed_at != 0
    decoder = decoder_for(client, deployment)
    if closed:
        head = account.closed_block
    retired = [
        e
        for e in fetch_events(
            client,
            deployment,
            from_block,
            head,
            max_range=max_range,
            decoder=decoder,
            topics=["0x" + decoder.topic("CreditsRetired").hex()],
        )
        if e.name == "CreditsRetired" and _names(e, event_id)
    ]
    retirements = tuple(
        ClaimRetirementEvidence(
            certificate_id=int(e.args["certificateId"]),
            holder=str(e.args["holder"]),
            amount_kg=int(e.args["amount"]),
            purpose=e.retirement_details().purpose.name.lower(),
            beneficiary=e.retirement_details().beneficiary,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
        for e in retired
    )
    if not closed and not retirements and account.retired_kg == 0:
        raise ClaimNotFound(f"no retirement and no closing names claim {claim} (event id 0x{event_id.hex()})")
    total = sum(r.amount_kg for r in retirements)
    if total != account.retired_kg:
        raise ClaimMismatch(
            f"claim {claim}: the account holds {account.retired_kg} kg retired, "
            f"its retirements add up to {total} kg"
        )
    close_tx = None
    if closed:
        closings = [
            e
            for e in fetch_events(
                client,
                deployment,
                account.closed_block,
                account.closed_block,
                decoder=decoder,
                topics=["0x" + decoder.topic("ClaimClosed").hex(), "0x" + event_id.hex()],
            )
            if e.name == "ClaimClosed"
        ]
        if len(closings) != 1:
            raise ClaimMismatch(
                f"claim {claim}: expected one ClaimClosed event in block {account.closed_block}, "
                f"found {len(closings)}"
            )
        event = closings[0].args
        recorded = (
            int(event["footprintKg"]),
            int(event["requiredKg"]),
            int(event["retiredKg"]),
            bytes(event["footprintHash"]),
        )
        if recorded != (
            account.footprint_kg,
            account.required_kg,
            account.retired_kg,
            account.footprint_hash,
        ):
            raise ClaimMismatch(f"claim {claim}: the ClaimClosed event and the account disagree")
        close_tx = closings[0].tx_hash
    return ClaimEvidence(
        claim=claim,
        event_id=event_id,
        chain_id=client.chain_id,
        credits=credits.address,
        closed=closed,
        footprint_kg=account.footprint_kg,
        required_kg=account.required_kg,
        retired_kg=account.retired_kg,
        footprint_hash=account.footprint_hash,
        closed_at=account.closed_at,
        closed_block=account.closed_block,
        close_tx=close_tx,
        retirements=retirements,
    )
