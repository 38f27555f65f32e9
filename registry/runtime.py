"""The registry's running parts, bound together: settings, database, chain client, the
deployment the database indexes, the operator's signer, the relay and the indexer."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from web3 import Web3

from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui
from chain.deploy import deploy, deployment_path, restore
from chain.errors import ChainError, ChainUnavailable, DeploymentNotFound
from chain.signers import Signer
from registry import campaigns, claims, mall, methodology_review, participants, projects, scenes, verification
from registry.commands import Commands
from registry.db import Database
from registry.errors import Conflict
from registry.feed import WebhookDeliverer
from registry.indexer import Indexer
from registry.models import RegistryMeta
from registry.outbox import Outbox
from registry.points import epochs
from registry.recovery import REBUILD_MARK
from registry.relay import FailureHandler, Relay
from registry.settings import Settings

#: The modules that keep their tables beside their use cases (the mall, scenes, campaigns): the
#: models' metadata, and so the migrations' check, knows every table once they are imported.
TABLE_MODULES = (campaigns, mall, scenes)

#: What each kind of chain operation's failure undoes in the domain (run by the relay in the
#: transaction that records the failure).
FAILURE_HANDLERS: Mapping[str, FailureHandler] = {
    "register_participant": participants.registration_failed,
    "publish_methodology": methodology_review.publication_failed,
    "register_project": projects.registration_failed,
    "record_report": verification.issuance_failed,
    "issue": verification.issuance_failed,
    "withdraw_report": verification.withdrawal_failed,
    "close_claim": claims.closing_failed,
    "anchor_points": epochs.anchoring_failed,
    "revoke_scene": scenes.revocation_failed,
}


log = logging.getLogger("tanhui.runtime")


class DeploymentMismatch(Conflict):
    code = "deployment_mismatch"


@dataclass
class Runtime:
    """The wiring: settings, database, chain client, the deployment the database indexes, the
    operator's signer, and the parts built from them — the outbox (the services' seam to the
    chain), the indexer, the relay and the command runner."""

    settings: Settings
    db: Database
    client: ChainClient
    deployment: Deployment
    operator: Signer
    tanhui: Tanhui = field(init=False, repr=False)
    outbox: Outbox = field(init=False, repr=False)
    indexer: Indexer = field(init=False, repr=False)
    relay: Relay = field(init=False, repr=False)
    commands: Commands = field(init=False, repr=False)
    webhooks: WebhookDeliverer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tanhui = Tanhui(self.client, self.deployment)
        self.outbox = Outbox(
            self.client,
            self.tanhui,
            self.operator,
            keystore_password=self.settings.keystore_password,
            funding_wei=self.settings.account_funding_wei,
            kdf_iterations=self.settings.keystore_kdf_iterations,
        )
        self.indexer = Indexer(
            self.db,
            self.client,
            self.deployment,
            confirmations=self.settings.confirmations,
            max_logs_range=self.settings.max_logs_range,
        )
        self.relay = Relay(self.db, self.client, self.deployment, self.outbox, self.indexer, FAILURE_HANDLERS)
        self.commands = Commands(self.db, self.relay, self.client, self.indexer, prepare=self.outbox.warm)
        self.webhooks = WebhookDeliverer(self.db)

    @property
    def receipt_timeout(self) -> float:
        return self.relay.receipt_timeout

    @receipt_timeout.setter
    def receipt_timeout(self, seconds: float) -> None:
        self.relay.receipt_timeout = seconds

    @classmethod
    def open(
        cls,
        settings: Settings,
        client: ChainClient,
        *,
        reuse_deployment_file: bool = True,
        migrate: bool = True,
        bind: bool = True,
        restore_deployment: bool = False,
    ) -> Runtime:
        """Opens the database (migrating it) and binds it to a deployment: the one it is bound
        to; else, when `reuse_deployment_file`, the live deployment recorded in the data
        directory; else a new one, deployed now with the operator as admin.

        With `restore_deployment`, a chain without the contracts the database is bound to (the
        data directory's own chain, restarted empty) is sent their deployment again (see
        :func:`_restore`); without it, such a chain is refused."""
        settings.check_production()
        db = Database(settings.resolved_database_url())
        if migrate:
            db.migrate()
        operator = client.default_signer(settings.operator_private_key())
        with db.transaction() as session:
            meta = session.get(RegistryMeta, 1)
            if meta is not None:
                if meta.exchange_address is None:
                    raise DeploymentMismatch(
                        "the database was bound to a deployment without the exchange contract; "
                        "start the service on a new data directory or database",
                        chain_id=meta.chain_id,
                    )
                bound = Deployment(
                    chain_id=meta.chain_id,
                    contracts={
                        "TanhuiRegistry": Web3.to_checksum_address(meta.registry_address),
                        "TanhuiCredits": Web3.to_checksum_address(meta.credits_address),
                        "TanhuiExchange": Web3.to_checksum_address(meta.exchange_address),
                    },
                    block_number=meta.deployed_block,
                    deployer=operator.address,
                    admin_delay=settings.admin_delay,
                )
                mismatch = (
                    f"the database indexes contracts {meta.credits_address} on chain {meta.chain_id}, "
                    f"which the chain at hand does not have"
                )
                if meta.chain_id != client.chain_id:
                    raise DeploymentMismatch(
                        f"{mismatch}; use another database or chain", chain_id=meta.chain_id
                    )
                if not Tanhui(client, bound).is_live():
                    if not restore_deployment:
                        hint = ""
                        if meta.deployment_txs:
                            hint = " (on a data directory's own chain, `tanhui serve` deploys it again)"
                        raise DeploymentMismatch(
                            f"{mismatch}{hint}; use another database or chain", chain_id=meta.chain_id
                        )
                    bound = _restore(settings, client, meta, bound, mismatch)
                return cls(settings, db, client, bound, operator)
        if not bind:
            raise DeploymentMismatch(
                "the database is not bound to any deployment (start the service on it first)"
            )
        deployment: Deployment | None = None
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
                    exchange_address=deployment.exchange,
                    deployed_block=deployment.block_number,
                    indexed_block=deployment.block_number - 1,
                    deployment_txs=list(deployment.transactions) or None,
                )
            )
        return cls(settings, db, client, deployment, operator)

    def new_operator_token(self) -> str:
        """A new API token for the operator participant."""
        with self.db.transaction() as session:
            return participants.new_operator_token(session, self.outbox)

    def close(self) -> None:
        self.db.dispose()

    def describe(self) -> dict[str, Any]:
        return {
            "chain_id": self.deployment.chain_id,
            "contracts": dict(self.deployment.contracts),
            "rpc_url": self.client.rpc_url,
            "operator": self.operator.address,
        }


def _restore(
    settings: Settings, client: ChainClient, meta: RegistryMeta, bound: Deployment, mismatch: str
) -> Deployment:
    """The database's deployment sent again to a chain that lost it (see chain.deploy.restore),
    in the caller's transaction; the index is then marked to be rebuilt, and the relay sends
    again the operations the chain lost (registry/recovery.py). Raises DeploymentMismatch when
    the deployment's transactions were not kept or the chain refuses them (another chain with
    the same id, where the deployer's nonces are taken)."""
    if not meta.deployment_txs:
        raise DeploymentMismatch(f"{mismatch}; use another database or chain", chain_id=meta.chain_id)
    try:
        restored = restore(client, replace(bound, transactions=tuple(meta.deployment_txs)))
    except ChainUnavailable:
        raise
    except (ChainError, ValueError) as err:
        raise DeploymentMismatch(
            f"{mismatch}, and refuses its deployment sent again ({err}); use another database or chain",
            chain_id=meta.chain_id,
        ) from None
    if not Tanhui(client, restored).is_live():
        raise DeploymentMismatch(f"{mismatch}; use another database or chain", chain_id=meta.chain_id)
    log.warning(
        "the chain had lost the registry's contracts: their deployment was sent again (from block %d);"
        " the operations the chain lost follow",
        restored.block_number,
    )
    meta.deployed_block = restored.block_number
    meta.indexed_block_hash = REBUILD_MARK  # rebuilt from the deployment's block, whatever the heights
    path = deployment_path(settings.data_dir, client.chain_id)
    try:
        recorded = Deployment.load(path)
        if recorded.contracts == restored.contracts:
            replace(recorded, block_number=restored.block_number).save(path)
    except (DeploymentNotFound, ValueError, KeyError, TypeError):
        pass
    return replace(restored, transactions=())


def bootstrap(runtime: Runtime, *, catch_up: bool = True) -> str | None:
    """First-start duties: the operator participant (its API token is returned, and kept in
    the data directory, only when it is created) and, with `catch_up`, any chain operation left
    pending and the index. The service passes catch_up=False: its relay thread does both from
    its first second, so it answers at once however much is pending."""
    with runtime.db.transaction() as session:
        _, token = participants.ensure_operator(session, runtime.outbox)
    if catch_up:
        runtime.relay.resume()
        runtime.indexer.sync()
    if token is not None:
        path = runtime.settings.data_dir / "operator.token"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
    return token
