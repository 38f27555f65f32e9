"""Deploying the contracts and recording where they live."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from hexbytes import HexBytes

from chain.abi import ContractCall
from chain.client import ChainClient, Receipt, SignedTransaction
from chain.compiler import compile_contracts
from chain.contracts import Deployment
from chain.errors import ChainError, NonceTaken, TransactionRefused
from chain.signers import Signer

DEFAULT_ADMIN_DELAY = 24 * 3600
DEFAULT_ROLE_GRANT_DELAY = 24 * 3600
DEFAULT_URI = "tanhui://batch/{id}"


def deploy(
    client: ChainClient,
    signer: Signer,
    *,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
    role_grant_delay: int = DEFAULT_ROLE_GRANT_DELAY,
    uri: str = DEFAULT_URI,
    solc: str | os.PathLike[str] | None = None,
) -> Deployment:
    """Compiles and deploys the registry, credits and exchange contracts, with `signer` as admin
    and operator, and names the exchange the credits' market.

    The registry's constructor grants the operator roles (registrar, issuer, exchange,
    supervisor, pauser) to `signer` at once; later grants of those roles wait `role_grant_delay`
    seconds after being scheduled. No account gets the verifier role: the registry grants it to
    each verification body's own account (never to the admin, which may not verify).

    The deployment keeps its four signed transactions, for :func:`restore`.
    """
    artifacts = compile_contracts(solc=solc)
    admin = signer.address
    sent: list[str] = []

    def run(signed: SignedTransaction) -> Receipt:
        sent.append("0x" + signed.raw.hex())
        return client.wait(client.send(signed))

    registry_receipt = run(
        client.prepare(
            None, signer, deploy=(artifacts["TanhuiRegistry"], (admin_delay, admin, role_grant_delay, admin))
        )
    )
    registry = registry_receipt.contract_address
    if registry is None:
        raise ChainError("the registry deployment returned no contract address")
    credits_receipt = run(client.prepare(None, signer, deploy=(artifacts["TanhuiCredits"], (registry, uri))))
    credits = credits_receipt.contract_address
    if credits is None:
        raise ChainError("the credits deployment returned no contract address")
    exchange_receipt = run(
        client.prepare(None, signer, deploy=(artifacts["TanhuiExchange"], (registry, credits)))
    )
    exchange = exchange_receipt.contract_address
    if exchange is None:
        raise ChainError("the exchange deployment returned no contract address")
    credits_contract = client.contract("TanhuiCredits", credits)
    call = credits_contract.encode_abi("setMarket", args=[exchange])
    run(client.prepare(ContractCall(to=credits, data=bytes(HexBytes(call)), function="setMarket"), signer))

    return Deployment(
        chain_id=client.chain_id,
        contracts={"TanhuiRegistry": registry, "TanhuiCredits": credits, "TanhuiExchange": exchange},
        block_number=registry_receipt.block_number,
        deployer=admin,
        admin_delay=admin_delay,
        transactions=tuple(sent),
    )


def restore(client: ChainClient, deployment: Deployment) -> Deployment:
    """Sends the chain again, in their order, the deployment's recorded transactions it has no
    receipt for (an embedded chain restarted from a state written before them, or from none),
    and returns the deployment with the block it now starts at (the earlier of the two, so that
    nothing between them is left unread).

    They are signed with their original nonces, so each is sent only where the deployer's next
    nonce is its own: a nonce the chain has used for another transaction raises NonceTaken (a
    different chain with the same id, or the deployer has sent since), and a nonce ahead of the
    deployer's raises TransactionRefused (the node would hold it until the gap is filled, and a
    later transaction of the deployer's would then find its nonce taken). Raises ChainError if
    the deployment recorded no transactions."""
    if not deployment.transactions:
        raise ChainError("the deployment recorded no transactions to send again")
    blocks = []
    for raw in deployment.transactions:
        signed = SignedTransaction.from_raw(raw)
        found = client.find_receipt(signed.tx_hash)
        if found is None:
            expected = client.next_nonce(signed.sender)
            if expected > signed.nonce:
                raise NonceTaken(
                    f"nonce {signed.nonce} of {signed.sender} is used on this chain by another transaction",
                    tx_hash=signed.tx_hash,
                )
            if expected < signed.nonce:
                raise TransactionRefused(
                    f"{signed.sender} has sent only {expected} transactions on this chain, and the "
                    f"deployment's nonce is {signed.nonce}: not sent",
                    tx_hash=signed.tx_hash,
                )
            blocks.append(client.wait(client.send(signed)).block_number)
        else:
            blocks.append(int(found["blockNumber"]))
    return replace(deployment, block_number=min(blocks[0], deployment.block_number))


def deployment_path(data_dir: Path, chain_id: int) -> Path:
    """Where a deployment on chain `chain_id` is recorded under a data directory."""
    return data_dir / "deployments" / f"{chain_id}.json"
