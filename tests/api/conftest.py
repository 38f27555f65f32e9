"""Fixtures for tests through HTTP: a runtime over an anvil chain (reverted after each test)
and a fresh database (SQLite and PostgreSQL), the app, and a helper that walks the credit
lifecycle."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import BOILER_DATA
from chain import ChainClient
from chain.deploy import deploy, deployment_path
from chain.localnode import spawn_anvil
from registry import metrics
from registry.runtime import Runtime, bootstrap
from registry.settings import Settings
from tests.conftest import AnvilNode

# The demo's monitoring data: a quarter of a 2 MW electrode boiler (TH-ES-001).
BOILER = BOILER_DATA
KEYSTORE_SECRET = "test-keystore-secret"
BOILER_NET_KG = 950_560


@dataclass
class ChainBase:
    client: ChainClient
    data_dir: Path


@pytest.fixture(scope="session")
def chain_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainBase]:
    """An anvil node of its own (no other fixture snapshots or reverts it) with the contracts
    deployed, recorded in a shared data directory. Anvil, not the in-process EVM: the chain the
    service runs on, and it mines a transaction in a fraction of py-evm's time (the API tests
    took 1.5 times as long on py-evm, the role-route test twice as long)."""
    node = spawn_anvil()
    try:
        client = ChainClient.connect(node.url)
        data_dir = tmp_path_factory.mktemp("data")
        deployment = deploy(client, client.default_signer(), admin_delay=3600)
        deployment.save(deployment_path(data_dir, client.chain_id))
        yield ChainBase(client, data_dir)
    finally:
        node.stop()


def open_runtime(chain_base: ChainBase, database_url: str) -> Runtime:
    settings = Settings(
        data_dir=chain_base.data_dir, database_url=database_url, keystore_secret=KEYSTORE_SECRET
    )
    runtime = Runtime.open(settings, chain_base.client)
    runtime.receipt_timeout = 10
    return runtime


@pytest.fixture
def runtime(chain_base: ChainBase, database_url: str) -> Iterator[Runtime]:
    snapshot = chain_base.client.dev.snapshot()
    rt = open_runtime(chain_base, database_url)
    try:
        yield rt
    finally:
        rt.close()
        chain_base.client.dev.restore(snapshot)
        metrics.forget_heads()  # the head read during the test is not the reverted chain's


class Api:
    """The service through HTTP, with the steps of the lifecycle."""

    def __init__(self, client: TestClient, operator_token: str) -> None:
        self.http = client
        self.operator = operator_token

    @staticmethod
    def auth(token: str | None, key: str | None = None) -> dict[str, str]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def post(
        self, path: str, body: Any, token: str | None, *, key: str | None = None, expect: int | None = 201
    ) -> Any:
        response = self.http.post(path, json=body, headers=self.auth(token, key))
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def ok(self, path: str, body: Any, token: str | None, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.post(path, body, token, **kwargs).json()
        return data

    def get(self, path: str, token: str | None = None, expect: int = 200) -> Any:
        response = self.http.get(path, headers=self.auth(token))
        assert response.status_code == expect, response.text
        return response.json()

    # -- lifecycle steps ------------------------------------------------------------------------

    def participant(self, roles: list[str], name: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "name": name or f"{'/'.join(roles)} {uuid.uuid4().hex[:6]}",
            "kind": "organisation",
            "roles": roles,
            **extra,
        }
        return self.ok("/v1/participants", body, self.operator)

    def published_methodology(self, code: str = "TH-ES-001") -> dict[str, Any]:
        experts = [self.participant(["committee"]) for _ in range(3)]
        m = self.ok("/v1/methodologies", {"code": code, "version": 1}, self.operator)
        for expert in experts[:2]:
            m = self.ok(
                f"/v1/methodologies/{m['id']}/reviews",
                {"decision": "approve", "reason": "sound"},
                expert["token"],
            )
        assert m["status"] == "published" and m["chain_status"] == "published"
        return m

    def draft_project(self, owner: dict[str, Any], code: str = "TH-ES-001") -> dict[str, Any]:
        return self.ok(
            "/v1/projects",
            {"name": "Boiler swap", "location": "Chengdu", "methodology": {"code": code, "version": 1}},
            owner["token"],
        )

    def registered_project(self, owner: dict[str, Any], code: str = "TH-ES-001") -> dict[str, Any]:
        project = self.draft_project(owner, code)
        self.ok(
            f"/v1/projects/{project['id']}/documents",
            {
                "filename": "pdd.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(b"design").decode(),
            },
            owner["token"],
        )
        self.ok(f"/v1/projects/{project['id']}/submit", None, owner["token"])
        project = self.ok(
            f"/v1/projects/{project['id']}/reviews", {"decision": "approve", "reason": "ok"}, self.operator
        )
        assert project["status"] == "registered"
        return project

    def report(
        self,
        project: dict[str, Any],
        owner: dict[str, Any],
        start: str = "2025-01-01",
        end: str = "2025-03-31",
    ) -> dict[str, Any]:
        return self.ok(
            f"/v1/projects/{project['id']}/reports",
            {"period_start": start, "period_end": end, "data": BOILER},
            owner["token"],
        )

    def issued_batch(
        self, *, start: str = "2025-01-01", end: str = "2025-03-31"
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """A batch issued to a new owner: (batch id, owner, verifier)."""
        self.published_methodology_once()
        owner = self.participant(["project_owner"])
        verifier = self.participant(["verifier"])
        project = self.registered_project(owner)
        report = self.report(project, owner, start, end)
        report = self.ok(
            f"/v1/reports/{report['id']}/verifications",
            {"decision": "approve", "reason": "ok"},
            verifier["token"],
        )
        assert report["status"] == "issued", report
        return report["batch_id"], owner, verifier

    _methodology: dict[str, Any] | None = None

    def published_methodology_once(self) -> dict[str, Any]:
        if self._methodology is None:
            self._methodology = self.published_methodology()
        return self._methodology


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(create_app(runtime, background=False)) as client:
        yield Api(client, token)


# -- on the session's shared anvil node, with contracts of the module's own ----------------------


@pytest.fixture(scope="module")
def anvil_base(anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> tuple[AnvilNode, Path]:
    client = ChainClient.connect(anvil.url)
    data_dir = tmp_path_factory.mktemp("anvil-data")
    deployment = deploy(client, client.default_signer(), admin_delay=3600)
    deployment.save(deployment_path(data_dir, client.chain_id))
    return anvil, data_dir


@pytest.fixture
def anvil_env(anvil_base: tuple[AnvilNode, Path], database_url: str) -> Iterator[dict[str, Any]]:
    anvil, data_dir = anvil_base
    client = ChainClient.connect(anvil.url)
    snapshot = client.dev.snapshot()
    settings = Settings(data_dir=data_dir, database_url=database_url, keystore_secret=KEYSTORE_SECRET)
    runtime = Runtime.open(settings, client)
    token = bootstrap(runtime)
    assert token is not None
    try:
        with TestClient(create_app(runtime, background=False)) as http:
            yield {
                "runtime": runtime,
                "api": Api(http, token),
                "url": anvil.url,
                "data_dir": data_dir,
                "db": database_url,
            }
    finally:
        runtime.close()
        client.dev.restore(snapshot)
        metrics.forget_heads()
