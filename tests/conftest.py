"""Shared fixtures: chains (in-process EVM and anvil) with the contracts deployed, isolated per
test by snapshot and revert."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain import ChainClient, Deployment, Tanhui
from chain.deploy import deploy
from chain.localnode import AnvilProcess, spawn_anvil
from chain.signers import Signer

# Keystores of test participants are made with a low scrypt cost (a power of two, as production
# never allows: registry/settings.py): thousands are made, and the default takes 0.05 s each.
# Services the tests start as processes inherit it.
os.environ.setdefault("TANHUI_KEYSTORE_KDF_ITERATIONS", "1024")

BACKENDS = ("in-process", "anvil")
# The backends as fixture params: a test on anvil carries the `anvil` marker.
BACKEND_PARAMS = [pytest.param(b, marks=pytest.mark.anvil) if b == "anvil" else b for b in BACKENDS]

# Older names, still imported by test modules.
AnvilNode = AnvilProcess
start_anvil = spawn_anvil


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilProcess]:
    """One anvil node for the whole session, started from the npm binary."""
    node = spawn_anvil()
    yield node
    node.stop()


@dataclass
class DeployedChain:
    """A chain with the contracts deployed; `signers[0]` is the admin holding every role."""

    client: ChainClient
    deployment: Deployment
    tanhui: Tanhui
    signers: list[Signer]

    @property
    def admin(self) -> Signer:
        return self.signers[0]


def _client_for(backend: str, request: pytest.FixtureRequest) -> ChainClient:
    if backend == "in-process":
        return ChainClient.in_process()
    node: AnvilProcess = request.getfixturevalue("anvil")
    return ChainClient.connect(node.url)


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def deployed_session(request: pytest.FixtureRequest) -> DeployedChain:
    client = _client_for(request.param, request)
    signers = client.dev_signers()
    deployment = deploy(client, signers[0], admin_delay=3600)
    return DeployedChain(client, deployment, Tanhui(client, deployment), signers)


@pytest.fixture
def deployed(deployed_session: DeployedChain) -> Iterator[DeployedChain]:
    """The deployed chain of one backend, reverted to its deployed state after the test."""
    dev = deployed_session.client.dev
    snapshot = dev.snapshot()
    yield deployed_session
    dev.restore(snapshot)


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL server for the whole session."""
    from tests.pg import PostgresServer

    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest schema once per session, for tests to copy."""
    from registry.db import Database

    path = tmp_path_factory.mktemp("schema") / "registry.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres: object) -> str:
    """A PostgreSQL database migrated to the newest schema once per session (a template)."""
    from registry.db import Database

    url = str(postgres.create_database())  # type: ignore[attr-defined]
    db = Database(url)
    db.migrate()
    db.dispose()
    return url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A fresh database with the newest schema and no data: SQLite, then PostgreSQL (marked
    `postgres`: `-m "not postgres"` runs the SQLite half only). It is a copy of one migrated
    once per session (migrating each test's database took a fifth of a second); the service
    still runs the migrations on it, which find it at the newest revision."""
    if request.param == "sqlite":
        path = tmp_path / "registry.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    return str(server.create_database(template=template))  # type: ignore[attr-defined]
