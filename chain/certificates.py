"""Checking a retirement certificate from the chain alone: no database, no API.

The certificate record comes from ``TanhuiCredits.retirement(id)``; its full details from the
``CreditsRetired`` event in the block the record names (a one-block log query, within any
node's log-range limit); the batch behind it from ``batch(id)`` and the registry. The
record, the event and the burn must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from chain.client import ChainClient
from chain.contracts import BatchInfo, Deployment, RetirementDetails, RetirementRecord, Tanhui
from chain.errors import ChainError
from chain.events import decoder_for

ZERO = "0x0000000000000000000000000000000000000000"


class CertificateMismatch(ChainError):
    """The certificate's record and its event disagree: the chain data are not consistent."""


@dataclass(frozen=True)
class CertificateEvidence:
    certificate: RetirementRecord
    details: RetirementDetails
    batch: BatchInfo
    tx_hash: str
    block_timestamp: int
    credits: str
    registry: str
    chain_id: int

    def to_json(self) -> dict[str, Any]:
        c, d, b = self.certificate, self.details, self.batch
        return {
            "certificate_id": c.certificate_id,
            "chain_id": self.chain_id,
            "contract": self.credits,
            "registry": self.registry,
            "tx_hash": self.tx_hash,
            "block_number": c.block_number,
            "retired_at": c.retired_at,
            "holder": c.holder,
            "batch_id": c.batch_id,
            "amount_kg": c.amount,
            "serial_first": c.serial_first,
            "serial_last": c.serial_last,
            "beneficiary": d.beneficiary,
            "purpose": d.purpose.name.lower(),
            "event_id": "0x" + d.event_id.hex(),
            "jurisdiction": d.jurisdiction,
            "consumption_start": d.consumption_start,
            "consumption_end": d.consumption_end,
            "note": d.note,
            "batch": {
                "project_id": "0x" + b.project_id.hex(),
                "methodology_id": "0x" + b.methodology_id.hex(),
                "methodology_version": b.methodology_version,
                "period_start": b.period_start,
                "period_end": b.period_end,
                "report_hash": "0x" + b.report_hash.hex(),
                "verifier": b.verifier,
                "issued_kg": b.issued,
                "retired_kg": b.retired,
                "invalidated_kg": b.invalidated,
            },
        }


def verify_certificate(client: ChainClient, credits_address: str, certificate_id: int) -> CertificateEvidence:
    """The evidence of certificate `certificate_id`; raises ``CreditsUnknownCertificate`` if
    there is none and :class:`CertificateMismatch` if the chain data disagree."""
    credits = client.contract("TanhuiCredits", credits_address)
    registry_address = Web3.to_checksum_address(client.call(credits.functions.registry()))
    deployment = Deployment(
        chain_id=client.chain_id,
        contracts={"TanhuiRegistry": registry_address, "TanhuiCredits": credits.address},
        block_number=0,
        deployer=Web3.to_checksum_address(ZERO),
        admin_delay=0,
    )
    tanhui = Tanhui(client, deployment)
    record = tanhui.retirement(certificate_id)
    decoder = decoder_for(client, deployment)
    logs = client.get_logs(
        {
            "address": deployment.credits,
            "fromBlock": record.block_number,
            "toBlock": record.block_number,
            "topics": [
                "0x" + decoder.topic("CreditsRetired").hex(),
                "0x" + certificate_id.to_bytes(32, "big").hex(),
            ],
        }
    )
    events = [e for e in decoder.decode_all(logs) if e.name == "CreditsRetired"]
    if len(events) != 1:
        raise CertificateMismatch(
            f"certificate {certificate_id}: expected one CreditsRetired event in block "
            f"{record.block_number}, found {len(events)}"
        )
    event = events[0]
    args = event.args
    expected = (record.batch_id, record.holder, record.amount, record.serial_first, record.serial_last)
    found = (
        int(args["batchId"]),
        args["holder"],
        int(args["amount"]),
        int(args["serialFirst"]),
        int(args["serialLast"]),
    )
    if expected != found:
        raise CertificateMismatch(f"certificate {certificate_id}: record {expected} but event {found}")
    receipt = client.find_receipt(event.tx_hash)
    burned = [
        e
        for e in decoder.decode_all(receipt["logs"] if receipt is not None else [])
        if e.name == "TransferSingle" and e.args["to"] == ZERO and e.args["from"] == record.holder
    ]
    if not any(
        int(e.args["id"]) == record.batch_id and int(e.args["value"]) == record.amount for e in burned
    ):
        raise CertificateMismatch(
            f"certificate {certificate_id}: its transaction burned no {record.amount} "
            f"of batch {record.batch_id}"
        )
    return CertificateEvidence(
        certificate=record,
        details=event.retirement_details(),
        batch=tanhui.batch(record.batch_id),
        tx_hash=event.tx_hash,
        block_timestamp=int(client.block(record.block_number)["timestamp"]),
        credits=deployment.credits,
        registry=deployment.registry,
        chain_id=client.chain_id,
    )
