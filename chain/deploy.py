"""Deploying the contracts and recording where they live."""

from __future__ import annotations

import os
from pathlib import Path

from web3 import Web3

from chain.client import ChainClient
from chain.compiler import compile_contracts
from chain.contracts import ROLE_NAMES, Deployment, Tanhui
from chain.errors import ChainError
from chain.signers import Signer

DEFAULT_ADMIN_DELAY = 24 * 3600
DEFAULT_URI = "tanhui://batch/{id}"
# grantRole costs about 51k gas; the margin covers a cold admin slot on any node.
GRANT_GAS = 120_000


def deploy(
    client: ChainClient,
    signer: Signer,
    *,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
    uri: str = DEFAULT_URI,
    roles: dict[str, list[str]] | None = None,
    solc: str | os.PathLike[str] | None = None,
) -> Deployment:
    """Compiles and deploys the registry and credits contracts, with `signer` as admin.

    `roles` maps role names to the accounts that get them; by default the admin gets every
    operational role (a development setup; production grants them to separate accounts).
    """
    artifacts = compile_contracts(solc=solc)
    admin = signer.address
    registry_receipt = client.wait(
        client.send(client.prepare(None, signer, deploy=(artifacts["TanhuiRegistry"], (admin_delay, admin))))
    )
    registry = registry_receipt.contract_address
    if registry is None:
        raise ChainError("the registry deployment returned no contract address")
    credits_receipt = client.wait(
        client.send(client.prepare(None, signer, deploy=(artifacts["TanhuiCredits"], (registry, uri))))
    )
    credits = credits_receipt.contract_address
    if credits is None:
        raise ChainError("the credits deployment returned no contract address")

    deployment = Deployment(
        chain_id=client.chain_id,
        contracts={"TanhuiRegistry": registry, "TanhuiCredits": credits},
        block_number=registry_receipt.block_number,
        deployer=admin,
        admin_delay=admin_delay,
    )
    grants = roles if roles is not None else {name: [admin] for name in ROLE_NAMES}
    tanhui = Tanhui(client, deployment)
    nonce = client.next_nonce(admin)
    fees = client.fee_fields()
    sent: list[str] = []
    for role, accounts in grants.items():
        for account in accounts:
            signed = client.prepare(
                tanhui.grant_role(role, Web3.to_checksum_address(account)),
                signer,
                nonce=nonce,
                gas=GRANT_GAS,
                fees=fees,
            )
            sent.append(client.send(signed))
            nonce += 1
    for tx_hash in sent:
        client.wait(tx_hash)
    return deployment


def deployment_path(data_dir: Path, chain_id: int) -> Path:
    """Where a deployment on chain `chain_id` is recorded under a data directory."""
    return data_dir / "deployments" / f"{chain_id}.json"
