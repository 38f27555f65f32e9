"""The registry's running parts, bound together: settings, database, chain client, the
deployment the database indexes, the operator's signer, the relay and the indexer."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui
from chain.deploy import deploy, deployment_path
from chain.errors import DeploymentNotFound
from chain.signers import Signer
from registry.custody import signer_for
from registry.db import Database
from registry.errors import Conflict
from registry.indexer import Indexer
from registry.models import Participant, RegistryMeta
from registry.relay import Relay
from registry.settings import Settings


class DeploymentMismatch(Conflict):
    code = "deployment_mismatch"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: ChainClient
    deployment: Deployment
    operator: Signer
    receipt_timeout: float = 60.0
    _fees: tuple[float, dict[str, int]] | None = field(default=None, repr=False)
    _fees_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        # The domain modules register their compensations for failed chain operations with the
        # relay when imported; any process that relays must have them.
        from registry import methodology_review, participants, projects, verification  # noqa: F401

        self.tanhui = Tanhui(self.client, self.deployment)
        self.relay = Relay(self)
        self.indexer = Indexer(self)

    @classmethod
    def open(
        cls,
        settings: Settings,
        client: ChainClient,
        *,
        reuse_deployment_file: bool = True,
        migrate: bool = True,
        bind: bool = True,
    ) -> Runtime:
        """Opens the database (migrating it) and binds it to a deployment: the one it is bound
        to; else, when `reuse_deployment_file`, the live deployment recorded in the data
        directory; else a new one, deployed now with the operator as admin."""
        settings.check_production()
        db = Database(settings.resolved_database_url())
        if migrate:
            db.migrate()
        operator = client.default_signer(settings.operator_private_key())
        with db.transaction() as session:
            meta = session.get(RegistryMeta, 1)
            if meta is not None:
                deployment = Deployment(
                    chain_id=meta.chain_id,
                    contracts={
                        "TanhuiRegistry": meta.registry_address,
                        "TanhuiCredits": meta.credits_address,
                    },
                    block_number=meta.deployed_block,
                    deployer=operator.address,
                    admin_delay=settings.admin_delay,
                )
                if meta.chain_id != client.chain_id or not Tanhui(client, deployment).is_live():
                    raise DeploymentMismatch(
                        f"the database indexes contracts {meta.credits_address} on chain {meta.chain_id}, "
                        f"which the chain at hand does not have; use another database or chain",
                        chain_id=meta.chain_id,
                    )
                return cls(settings, db, client, deployment, operator)
        if not bind:
            raise DeploymentMismatch(
                "the database is not bound to any deployment (start the service on it first)"
            )
        deployment = None
        path = deployment_path(settings.data_dir, client.chain_id)
        if reuse_deployment_file:
            try:
                candidate = Deployment.load(path)
                if candidate.chain_id == client.chain_id and Tanhui(client, candidate).is_live():
                    deployment = candidate
            except DeploymentNotFound:
                pass
        if deployment is None:
            deployment = deploy(client, operator, admin_delay=settings.admin_delay, solc=settings.solc)
            deployment.save(path)
        with db.transaction() as session:
            session.add(
                RegistryMeta(
                    id=1,
                    chain_id=deployment.chain_id,
                    registry_address=deployment.registry,
                    credits_address=deployment.credits,
                    deployed_block=deployment.block_number,
                    indexed_block=deployment.block_number - 1,
                )
            )
        return cls(settings, db, client, deployment, operator)

    # -- chain helpers -------------------------------------------------------------------------

    def fees(self) -> dict[str, int]:
        """Fee fields for new transactions, refreshed every few seconds."""
        with self._fees_lock:
            if self._fees is None or time.monotonic() - self._fees[0] > 5.0:
                self._fees = (time.monotonic(), self.client.fee_fields())
            return dict(self._fees[1])

    def charges_gas(self) -> bool:
        return any(v > 0 for v in self.fees().values())

    def keystore_password(self) -> str:
        return self.settings.keystore_password()

    def signer_of(self, participant: Participant) -> Signer:
        if participant.address == self.operator.address:
            return self.operator
        return signer_for(participant, self.keystore_password())

    def signer_for_address(self, address: str) -> Signer:
        if address == self.operator.address:
            return self.operator
        with self.db.transaction() as session:
            participant = session.execute(
                select(Participant).where(Participant.address == address)
            ).scalar_one()
            return self.signer_of(participant)

    def close(self) -> None:
        self.db.dispose()

    def describe(self) -> dict[str, Any]:
        return {
            "chain_id": self.deployment.chain_id,
            "contracts": dict(self.deployment.contracts),
            "rpc_url": self.client.rpc_url,
            "operator": self.operator.address,
        }


def bootstrap(runtime: Runtime) -> str | None:
    """First-start duties: the operator participant (its API token is returned, and kept in
    the data directory, only when it is created) and any chain operation left pending."""
    from registry.participants import ensure_operator

    with runtime.db.transaction() as session:
        _, token = ensure_operator(session, runtime)
    runtime.relay.resume()
    runtime.indexer.sync()
    if token is not None:
        path = runtime.settings.data_dir / "operator.token"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
    return token
