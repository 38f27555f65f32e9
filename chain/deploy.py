"""Deploying the contracts and recording where they live."""

from __future__ import annotations

import os
from pathlib import Path

from hexbytes import HexBytes

from chain.abi import ContractCall
from chain.client import ChainClient
from chain.compiler import compile_contracts
from chain.contracts import Deployment
from chain.errors import ChainError
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
    """
    artifacts = compile_contracts(solc=solc)
    admin = signer.address
    registry_receipt = client.wait(
        client.send(
            client.prepare(
                None,
                signer,
                deploy=(artifacts["TanhuiRegistry"], (admin_delay, admin, role_grant_delay, admin)),
            )
        )
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
    exchange_receipt = client.wait(
        client.send(client.prepare(None, signer, deploy=(artifacts["TanhuiExchange"], (registry, credits))))
    )
    exchange = exchange_receipt.contract_address
    if exchange is None:
        raise ChainError("the exchange deployment returned no contract address")
    credits_contract = client.contract("TanhuiCredits", credits)
    call = credits_contract.encode_abi("setMarket", args=[exchange])
    client.wait(
        client.send(
            client.prepare(ContractCall(to=credits, data=bytes(HexBytes(call)), function="setMarket"), signer)
        )
    )

    return Deployment(
        chain_id=client.chain_id,
        contracts={"TanhuiRegistry": registry, "TanhuiCredits": credits, "TanhuiExchange": exchange},
        block_number=registry_receipt.block_number,
        deployer=admin,
        admin_delay=admin_delay,
    )


def deployment_path(data_dir: Path, chain_id: int) -> Path:
    """Where a deployment on chain `chain_id` is recorded under a data directory."""
    return data_dir / "deployments" / f"{chain_id}.json"
