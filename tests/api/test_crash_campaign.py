"""The crash campaign: a few hundred mixed operations through `tanhui serve`, with the service
and, separately, the chain (`kill -9` of anvil, which keeps its state only once a second) killed
at random points and restarted. A client retries each operation with its Idempotency-Key until
the service acknowledges it. Afterwards every acknowledged operation took effect exactly once
on chain, and `tanhui reconcile` is clean.

Seeded (TANHUI_CAMPAIGN_SEED, default 7) so a failure can be replayed; the size is
TANHUI_CAMPAIGN_OPS (default 200)."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.demo import BOILER_DATA
from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, run, stop, wait_healthy

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

SEED = int(os.environ.get("TANHUI_CAMPAIGN_SEED", "7"))
OPERATIONS = int(os.environ.get("TANHUI_CAMPAIGN_OPS", "200"))
SERVICE_KILLS = 3
CHAIN_KILLS = 3
REFUSALS = ("chain_rejected", "insufficient_balance")


@dataclass
class Campaign:
    data_dir: Path
    chain_port: int
    port: int
    env: dict[str, str]
    service: subprocess.Popen[str] | None = None
    starts: int = 0
    refused: int = 0
    token: str = ""
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- processes -------------------------------------------------------------------------------

    def chain_up(self) -> None:
        done = run("chain", "up", "--data-dir", str(self.data_dir), "--port", str(self.chain_port))
        assert done.returncode == 0, done.stderr

    def kill_chain(self) -> None:
        info = json.loads((self.data_dir / "chain" / "anvil.json").read_text())
        os.kill(int(info["pid"]), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(int(info["pid"]), 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def start_service(self) -> None:
        command = [*TANHUI, "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        self.starts += 1
        with open(self.data_dir / f"service-{self.starts}.log", "w") as log:
            self.service = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, text=True, env=self.env
            )
        wait_healthy(self.url, self.service, timeout=120)
        self.token = (self.data_dir / "operator.token").read_text().strip()

    def kill_service(self) -> None:
        assert self.service is not None
        self.service.kill()
        self.service.wait(timeout=30)

    # -- requests --------------------------------------------------------------------------------

    def acknowledged(self, path: str, body: Any, token: str) -> bool:
        """Whether the service acknowledged the request (see `post`), or the chain refused it."""
        return bool(self.post(path, body, token, refusable=True))

    def post(
        self, path: str, body: Any, token: str, *, key: str | None = None, refusable: bool = False
    ) -> dict[str, Any]:
        """POSTs until the service acknowledges (201, or 202 while the chain confirms), with one
        Idempotency-Key: a retry after a crash is the same request. With `refusable`, a refusal
        by the chain (409 chain_rejected: a spend checked against blocks the chain had just lost,
        in the moment before the registry noticed) is an answer too: not acknowledged, so it
        must have had no effect; it answers {}."""
        key = key or str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        deadline = time.monotonic() + 180
        while True:
            try:
                response = self.http.post(self.url + path, json=body, headers=headers)
                if response.status_code in (201, 202):
                    data: dict[str, Any] = response.json()
                    return data
                if refusable and response.status_code == 409:
                    # Refused with nothing done: by the chain, or by the registry while it resends
                    # what a chain that lost blocks forgot (a holder's lost incoming transfer is
                    # not yet back, its lost spends are pending again).
                    assert response.json()["error"]["code"] in REFUSALS, response.text
                    self.refused += 1
                    return {}
                assert response.status_code in (500, 502, 503), (
                    f"{path}: {response.status_code} {response.text}"
                )
            except httpx.TransportError:
                pass  # the service is down: it comes back
            assert time.monotonic() < deadline, f"{path} was never acknowledged"
            time.sleep(0.2)

    def get(self, path: str, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        deadline = time.monotonic() + 120
        while True:
            try:
                response = self.http.get(self.url + path, headers=headers)
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"GET {path} never answered"
            time.sleep(0.2)


def setup_batch(c: Campaign) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """A published methodology, a registered project, a verified report and its batch."""

    def participant(roles: list[str]) -> dict[str, Any]:
        body = {"name": f"{roles[0]} {uuid.uuid4().hex[:6]}", "kind": "organisation", "roles": roles}
        return c.post("/v1/participants", body, c.token)

    experts = [participant(["committee"]) for _ in range(3)]
    m = c.post("/v1/methodologies", {"code": "TH-ES-001", "version": 1}, c.token)
    for expert in experts[:2]:
        c.post(
            f"/v1/methodologies/{m['id']}/reviews", {"decision": "approve", "reason": "ok"}, expert["token"]
        )
    owner, verifier = participant(["project_owner"]), participant(["verifier"])
    body = {
        "name": "Campaign boiler",
        "location": "Chengdu",
        "methodology": {"code": "TH-ES-001", "version": 1},
    }
    project = c.post("/v1/projects", body, owner["token"])
    document = {"filename": "pdd.txt", "content_base64": base64.b64encode(b"design").decode()}
    c.post(f"/v1/projects/{project['id']}/documents", document, owner["token"])
    c.post(f"/v1/projects/{project['id']}/submit", None, owner["token"])
    c.post(f"/v1/projects/{project['id']}/reviews", {"decision": "approve", "reason": "ok"}, c.token)
    period = {"period_start": "2025-01-01", "period_end": "2025-03-31", "data": BOILER_DATA}
    report = c.post(f"/v1/projects/{project['id']}/reports", period, owner["token"])
    c.post(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
    )
    deadline = time.monotonic() + 120
    while (batch_id := c.get(f"/v1/reports/{report['id']}", owner["token"])["batch_id"]) is None:
        assert time.monotonic() < deadline, "the batch was never issued"
        time.sleep(0.2)
    holders = [participant(["holder"]) for _ in range(3)]
    return int(batch_id), owner, holders


def test_crash_campaign__every_acknowledged_operation_once_and_reconcile_clean(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    c = Campaign(tmp_path, free_port(), free_port(), env)
    c.chain_up()
    c.start_service()
    try:
        batch_id, owner, holders = setup_batch(c)
        held = {h["id"]: 0 for h in holders}
        sent_kg = retired_kg = retirements = 0
        kills = {i: "service" for i in rng.sample(range(10, OPERATIONS), SERVICE_KILLS)}
        kills.update(
            {
                i: "chain"
                for i in rng.sample([i for i in range(10, OPERATIONS) if i not in kills], CHAIN_KILLS)
            }
        )

        for i in range(OPERATIONS):
            if kills.get(i) == "service":
                c.kill_service()
                c.start_service()
            elif kills.get(i) == "chain":
                # Anywhere within anvil's one-second state window (at once: the last operation is
                # most likely lost, and the registry must notice and send it again).
                time.sleep(rng.choice([0.0, rng.uniform(0.0, 1.2)]))
                c.kill_chain()
                c.chain_up()
            holder = rng.choice(holders)
            if held[holder["id"]] < 50 or rng.random() < 0.5:
                kg = rng.randint(1, 100)
                transfer = {"batch_id": batch_id, "to": holder["id"], "amount_kg": kg}
                if c.acknowledged("/v1/transfers", transfer, owner["token"]):
                    held[holder["id"]] += kg
                    sent_kg += kg
            else:
                kg = rng.randint(1, held[holder["id"]] // 2)
                body = {
                    "batch_id": batch_id,
                    "amount_kg": kg,
                    "beneficiary": f"campaign {i}",
                    "purpose": "voluntary",
                }
                if c.acknowledged("/v1/retirements", body, holder["token"]):
                    held[holder["id"]] -= kg
                    retired_kg += kg
                    retirements += 1

        # The service settles by itself (its relay sends what is pending; a chain that lost
        # blocks is noticed and what it lost is sent again); reconcile then proves agreement.
        deadline = time.monotonic() + 180
        while True:
            done = run(
                "reconcile",
                "--data-dir",
                str(tmp_path),
                "--rpc-url",
                f"http://127.0.0.1:{c.chain_port}",
                "--json",
            )
            report = json.loads(done.stdout) if done.stdout.strip() else {}
            if done.returncode == 0:
                break
            assert time.monotonic() < deadline, f"reconcile never became clean: {done.stdout}{done.stderr}"
            time.sleep(1)
        assert report["ok"] is True

        batch = c.get(f"/v1/batches/{batch_id}")
        assert batch["supply"]["retired_kg"] == retired_kg  # each acknowledged retirement once
        assert len(batch["retirements"]) == retirements
        for holder in holders:
            mine = {h["batch_id"]: h["amount_kg"] for h in c.get("/v1/holdings", holder["token"])}
            assert mine.get(batch_id, 0) == held[holder["id"]], holder["id"]
        owner_holdings = {h["batch_id"]: h["amount_kg"] for h in c.get("/v1/holdings", owner["token"])}
        assert owner_holdings[batch_id] == batch["supply"]["issued_kg"] - sent_kg
        logs = "".join(p.read_text() for p in sorted(tmp_path.glob("service-*.log")))
        rewinds = logs.count("rewound to block")
        done_line = f"{OPERATIONS} operations, {c.starts} service starts, {CHAIN_KILLS} chain kills"
        print(f"campaign: {done_line}, {rewinds} rewinds, {c.refused} refused with nothing done")
        assert c.refused <= OPERATIONS // 10  # only while a chain that lost blocks is healing
    finally:
        if c.service is not None and c.service.poll() is None:
            stop(c.service)
        run("chain", "down", "--data-dir", str(tmp_path))
