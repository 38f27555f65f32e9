#!/usr/bin/env python3
"""Benchmark: registry operations through the service vs raw signed transactions, same anvil.

Starts a fresh anvil and the service (`tanhui serve`, its own process) on it, then measures,
sequentially from one client thread:
  - issuance: verification approvals through the API (each records the report and issues a batch),
  - transfers and retirements through the API,
  - raw signed transactions: the same ERC-1155 transfer, signed locally and sent with web3,
    waiting for each receipt;
and prints operations per second, the ratio to the raw rate, the service's peak resident
memory, the indexer's catch-up rate on a fresh database, and the forge gas report of issuance
and retirement. Figures, not pass/fail: see ../shared/TARGETS.md.

    .venv/bin/python scripts/bench_registry.py [--ops 100] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from eth_account import Account

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chain import ChainClient  # noqa: E402
from chain.contracts import Deployment, Tanhui  # noqa: E402
from chain.deploy import deployment_path  # noqa: E402
from chain.localnode import free_port, spawn_anvil  # noqa: E402
from chain.signers import LocalSigner  # noqa: E402

BOILER = {
    "heat_delivered_gj": "1000",
    "electricity_kwh": "300000",
    "electric_boiler_rated_power_kw": "2000",
    "baseline_efficiency_measured": "0.72",
    "baseline_efficiency_rated": "0.75",
    "replaced_boiler_scrapped": True,
}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)
        self.token = token

    def post(self, path: str, body: object, token: str | None = None) -> dict:
        r = self.http.post(path, json=body, headers={"Authorization": f"Bearer {token or self.token}"})
        if r.status_code != 201:
            raise SystemExit(f"POST {path}: {r.status_code} {r.text}")
        return r.json()


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=100, help="operations of each kind")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary data dir")
    args = parser.parse_args()
    n = args.ops

    node = spawn_anvil()
    data_dir = Path(tempfile.mkdtemp(prefix="tanhui-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--rpc-url",
        node.url,
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    service = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or service.poll() is not None:
                raise SystemExit("the service did not start")
            time.sleep(0.2)
        api = Api(url, (data_dir / "operator.token").read_text().strip())

        # -- set-up (not timed) ------------------------------------------------------------------
        experts = [
            api.post("/v1/participants", {"name": f"expert {i}", "kind": "person", "roles": ["committee"]})
            for i in range(3)
        ]
        verifier = api.post(
            "/v1/participants", {"name": "verifier", "kind": "organisation", "roles": ["verifier"]}
        )
        owner = api.post(
            "/v1/participants", {"name": "owner", "kind": "organisation", "roles": ["project_owner"]}
        )
        buyer = api.post("/v1/participants", {"name": "buyer", "kind": "organisation", "roles": ["holder"]})
        raw_key = Account.create()
        raw_holder = api.post(
            "/v1/participants",
            {"name": "raw holder", "kind": "organisation", "roles": ["holder"], "address": raw_key.address},
        )
        m = api.post("/v1/methodologies", {"code": "TH-ES-001", "version": 1})
        for e in experts[:2]:
            api.post(
                f"/v1/methodologies/{m['id']}/reviews", {"decision": "approve", "reason": "ok"}, e["token"]
            )
        p = api.post(
            "/v1/projects",
            {"name": "bench", "methodology": {"code": "TH-ES-001", "version": 1}},
            owner["token"],
        )
        api.post(
            f"/v1/projects/{p['id']}/documents", {"filename": "d", "content_base64": "ZA=="}, owner["token"]
        )
        api.post(f"/v1/projects/{p['id']}/submit", None, owner["token"])
        api.post(f"/v1/projects/{p['id']}/reviews", {"decision": "approve", "reason": "ok"})
        reports = []
        day = date(2015, 1, 1)
        for _ in range(n):
            reports.append(
                api.post(
                    f"/v1/projects/{p['id']}/reports",
                    {"period_start": str(day), "period_end": str(day + timedelta(days=6)), "data": BOILER},
                    owner["token"],
                )
            )
            day += timedelta(days=7)

        # -- issuance ----------------------------------------------------------------------------
        t = time.perf_counter()
        batches = [
            api.post(
                f"/v1/reports/{r['id']}/verifications",
                {"decision": "approve", "reason": "ok"},
                verifier["token"],
            )["batch_id"]
            for r in reports
        ]
        issuance = rate(n, time.perf_counter() - t)
        batch = batches[0]

        # -- transfers and retirements -----------------------------------------------------------
        t = time.perf_counter()
        for _ in range(n):
            api.post("/v1/transfers", {"batch_id": batch, "to": buyer["id"], "amount_kg": 10}, owner["token"])
        transfers = rate(n, time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(n):
            api.post(
                "/v1/retirements",
                {"batch_id": batch, "amount_kg": 1, "beneficiary": "bench", "purpose": "voluntary"},
                buyer["token"],
            )
        retirements = rate(n, time.perf_counter() - t)

        # -- raw signed transactions on the same anvil -------------------------------------------
        api.post(
            "/v1/transfers", {"batch_id": batch, "to": raw_holder["id"], "amount_kg": 10 * n}, owner["token"]
        )
        client = ChainClient.connect(node.url)
        tanhui = Tanhui(client, Deployment.load(deployment_path(data_dir, client.chain_id)))
        funder = client.dev_signers()[1]
        client.wait(client.send(client.prepare(None, funder, to=raw_key.address, value=10**18, gas=21_000)))
        signer = LocalSigner(raw_key)
        nonce = client.next_nonce(signer.address)
        fees = client.fee_fields()
        t = time.perf_counter()
        for i in range(n):
            fn = tanhui.transfer(signer.address, buyer["address"], batch, 10)
            tx = {
                "from": signer.address, "to": fn.to, "data": "0x" + fn.data.hex(), "value": 0,
                "nonce": nonce + i, "gas": 200_000, "chainId": client.chain_id, **fees,
            }  # fmt: skip
            raw = signer.sign(tx)
            tx_hash = client.w3.eth.send_raw_transaction(raw)
            client.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
        raw_rate = rate(n, time.perf_counter() - t)
        rss = peak_rss_mib(service.pid)
    finally:
        service.send_signal(signal.SIGINT)
        service.wait(timeout=30)

    # -- indexer catch-up on a fresh database ------------------------------------------------------
    from registry.runtime import Runtime
    from registry.settings import Settings

    fresh = Settings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'replica.db'}", keystore_secret="bench"
    )
    replica = Runtime.open(fresh, ChainClient.connect(node.url))
    t = time.perf_counter()
    events = replica.indexer.sync()
    index_rate = rate(events, time.perf_counter() - t)
    replica.close()
    node.process.terminate()

    gas = subprocess.run(
        [
            str(REPO / "node_modules/.bin/forge"),
            "test", "--offline", "--gas-report", "--match-contract", "GasTest",
        ],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    gas_rows = [line for line in gas.stdout.splitlines() if re.match(r"\|\s*(issue|retire)\s*\|", line)]

    print(f"machine: {machine()}")
    database = args.database_url or "SQLite"
    print(f"database: {database}; chain: anvil (local, automine); {n} operations of each kind")
    print(f"raw signed transfers (web3, sign + send + receipt): {raw_rate:8.1f} tx/s")
    for name, value in (
        ("issuance (verify: record + issue)", issuance),
        ("transfers", transfers),
        ("retirements", retirements),
    ):
        print(f"{name:36s} {value:8.1f} ops/s   ratio to raw {value / raw_rate:5.2f}")
    print(f"service peak resident memory: {rss:.1f} MiB")
    print(f"indexer catch-up on a fresh database: {events} events, {index_rate:.0f} events/s")
    print("forge gas report (Function | min | avg | median | max | calls):")
    for line in gas_rows:
        print("  " + " ".join(line.split()))


if __name__ == "__main__":
    main()
