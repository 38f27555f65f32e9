#!/usr/bin/env python3
"""Benchmark: registry operations through the service vs raw signed transactions, same anvil.

Starts a fresh anvil and the service (`tanhui serve`, its own process) on it, then measures,
from one client thread and from 16 concurrent clients (a thread pool of httpx clients, each
client with its own holder, verifier and project, so spends do not contend on one nonce nor
issuance back-fill one project's periods; each signs once before the timed runs, as the
service decrypts a custodial key once per process):
  - issuance: verification approvals through the API (each records the report and issues a
    batch: two chain transactions),
  - transfers and retirements through the API (one chain transaction each),
  - raw signed transactions: the same ERC-1155 transfer, signed locally and sent with web3,
    waiting for each receipt (16 senders, each with its own key, for the concurrent run);
and prints operations per second, the ratio to the raw rate per chain transaction, the CPU time
per operation of each phase (the service, anvil and this process's clients, from /proc: it
varies less with the machine's other load than the rates do), the public
certificate lookup's latency (`GET /v1/retirements/{id}`, open loop: 200 requests/s on a fixed
schedule for 10 s, latency from the scheduled send time), the service's peak resident memory,
the indexer's catch-up rate on a fresh database, and the forge gas report of issuance and
retirement. Figures, not pass/fail: see ../shared/TARGETS.md.

    .venv/bin/python scripts/bench_registry.py [--ops 100] [--database-url URL | --postgres]

`--postgres` starts a throwaway PostgreSQL server (as the tests do, tests/pg.py) for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from web3.types import RPCEndpoint  # noqa: E402

from chain import ChainClient  # noqa: E402
from chain.contracts import Deployment, Tanhui  # noqa: E402
from chain.deploy import deployment_path  # noqa: E402
from chain.localnode import AnvilProcess, free_port, spawn_anvil  # noqa: E402
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


def peak_rss_mib(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class CpuMeter:
    """CPU time (user + system, from /proc) of the service, anvil and this process, per
    operation of each phase: a figure that the machine's other load moves less than a rate."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.rows: list[tuple[str, dict[str, float]]] = []
        self._start: dict[str, float] = {}
        self._tick = os.sysconf("SC_CLK_TCK")

    def _now(self) -> dict[str, float]:
        seconds = {}
        for name, pid in self.pids.items():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[name] = (int(fields[11]) + int(fields[12])) / self._tick
        return seconds

    def start(self) -> None:
        self._start = self._now()

    def stop(self, phase: str, n: int) -> None:
        now = self._now()
        self.rows.append((phase, {k: (now[k] - self._start[k]) * 1000 / n for k in now}))


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


CLIENTS = 16


def concurrently(jobs: list[list[Any]], work: Callable[[int, Any], object]) -> float:
    """Runs each client's jobs (`work(client_index, job)`) in its own thread; returns the
    operations per second over all of them."""
    total = sum(len(j) for j in jobs)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        t = time.perf_counter()
        futures = [
            pool.submit(lambda i, js: [work(i, job) for job in js], i, js) for i, js in enumerate(jobs)
        ]
        for f in futures:
            f.result()
        return rate(total, time.perf_counter() - t)


def wait_for_service(url: str, service: subprocess.Popen[Any], timeout: float = 120) -> None:
    """Waits until the service at `url` answers its health route (SystemExit if it never does,
    or its process ends)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or service.poll() is not None:
            raise SystemExit("the service did not start")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def lookup_latency(url: str, path: str, per_second: int = 200, seconds: float = 10.0) -> list[float]:
    """Open loop: `per_second` GETs of `path` on a fixed schedule; each latency (ms) is measured
    from the request's scheduled send time, so a slow answer that delays later requests counts
    against them too. The client is asyncio over kept-alive HTTP/1.1 connections: a client of
    threads (httpx in a thread pool) spent more time in its own GIL than the service took to
    answer, and measured itself (p99 in the hundreds of ms with a service answering in 2 ms)."""
    parsed = httpx.URL(url)
    request = f"GET {path} HTTP/1.1\r\nHost: {parsed.host}\r\n\r\n".encode()

    async def run() -> list[float]:
        idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        for _ in range(64):
            idle.put_nowait(await asyncio.open_connection(parsed.host, parsed.port))
        latencies: list[float] = []
        errors: list[bytes] = []

        async def one(scheduled: float) -> None:
            reader, writer = await idle.get()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            if status != b"200":
                errors.append(status)
            idle.put_nowait((reader, writer))

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(int(per_second * seconds)):
            scheduled = start + i / per_second
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
        while not idle.empty():
            idle.get_nowait()[1].close()
        if errors:
            raise SystemExit(f"GET {path}: {len(errors)} answers not 200 (e.g. {errors[0]!r})")
        return latencies

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=100, help="operations of each kind")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary data dir")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server (tests/pg.py) for the run",
    )
    args = parser.parse_args()
    n = args.ops
    per_client = max(1, -(-n // CLIENTS))  # the concurrent runs: n rounded up to a multiple of 16
    pg = None
    if args.postgres:
        from tests.pg import PostgresServer

        pg = PostgresServer()
        args.database_url = pg.create_database()
    try:
        run(args, n, per_client)
    finally:
        if pg is not None:
            pg.stop()


def run(args: argparse.Namespace, n: int, per_client: int) -> None:
    node = spawn_anvil()
    data_dir = Path(tempfile.mkdtemp(prefix="tanhui-bench-"))
    try:
        measure(args, n, per_client, node, data_dir)
    finally:  # also when a run fails: no node, cache or data directory left behind
        node.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(args: argparse.Namespace, n: int, per_client: int, node: AnvilProcess, data_dir: Path) -> None:
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
        wait_for_service(url, service)
        api = Api(url, (data_dir / "operator.token").read_text().strip())
        apis = [Api(url, api.token) for _ in range(CLIENTS)]

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
        holders = [
            api.post("/v1/participants", {"name": f"holder {i}", "kind": "organisation", "roles": ["holder"]})
            for i in range(CLIENTS)
        ]
        verifiers = [
            api.post(
                "/v1/participants", {"name": f"verifier {i}", "kind": "organisation", "roles": ["verifier"]}
            )
            for i in range(CLIENTS)
        ]
        raw_keys = [Account.create() for _ in range(CLIENTS + 1)]
        raw_holders = [
            api.post(
                "/v1/participants",
                {
                    "name": f"raw holder {i}",
                    "kind": "organisation",
                    "roles": ["holder"],
                    "address": k.address,
                },
            )
            for i, k in enumerate(raw_keys)
        ]
        m = api.post("/v1/methodologies", {"code": "TH-ES-001", "version": 1})
        for e in experts[:2]:
            api.post(
                f"/v1/methodologies/{m['id']}/reviews", {"decision": "approve", "reason": "ok"}, e["token"]
            )

        # Each client verifies reports of a project of its own, in the order of their periods: a
        # report that back-fills a gap among a project's issued periods costs ~2.2k gas more per
        # issued period (the contract checks it overlaps none), which 16 clients issuing one
        # project's reports in a race would measure instead of the registry's work.
        def project(name: str, count: int) -> list[dict[str, Any]]:
            p = api.post(
                "/v1/projects",
                {"name": name, "methodology": {"code": "TH-ES-001", "version": 1}},
                owner["token"],
            )
            document = {"filename": "d", "content_base64": "ZA=="}
            api.post(f"/v1/projects/{p['id']}/documents", document, owner["token"])
            api.post(f"/v1/projects/{p['id']}/submit", None, owner["token"])
            api.post(f"/v1/projects/{p['id']}/reviews", {"decision": "approve", "reason": "ok"})
            day = date(2015, 1, 1)
            made = []
            for _ in range(count):
                period = {"period_start": str(day), "period_end": str(day + timedelta(days=6))}
                report = {**period, "data": BOILER}
                made.append(api.post(f"/v1/projects/{p['id']}/reports", report, owner["token"]))
                day += timedelta(days=7)
            return made

        # The first report of each is verified before the timed runs: each participant that signs
        # in a timed run signs once before it (the service decrypts a custodial key once per
        # process, with scrypt: a cost of its first signature, not of each).
        sequential = project("bench", 1 + n)
        own = [project(f"bench {i}", 1 + per_client) for i in range(CLIENTS)]
        many = per_client * CLIENTS
        for who, r in zip([verifier, *verifiers], [sequential[0]] + [o[0] for o in own], strict=True):
            approval = {"decision": "approve", "reason": "ok"}
            api.post(f"/v1/reports/{r['id']}/verifications", approval, who["token"])

        # -- issuance ----------------------------------------------------------------------------
        cpu = CpuMeter({"service": service.pid, "anvil": node.process.pid, "benchmark": os.getpid()})
        cpu.start()
        t = time.perf_counter()
        batches = [
            api.post(
                f"/v1/reports/{r['id']}/verifications",
                {"decision": "approve", "reason": "ok"},
                verifier["token"],
            )["batch_id"]
            for r in sequential[1:]
        ]
        issuance = rate(n, time.perf_counter() - t)
        cpu.stop("issuance, 1 client", n)
        batch = batches[0]
        phases = {"after set-up and sequential issuance": peak_rss_mib(service.pid)}
        cpu.start()
        issuance_16 = concurrently(
            [o[1:] for o in own],
            lambda i, r: apis[i].post(
                f"/v1/reports/{r['id']}/verifications",
                {"decision": "approve", "reason": "ok"},
                verifiers[i]["token"],
            ),
        )

        cpu.stop(f"issuance, {CLIENTS} clients", many)

        # -- transfers and retirements -----------------------------------------------------------
        api.post("/v1/transfers", {"batch_id": batch, "to": buyer["id"], "amount_kg": 10}, owner["token"])
        api.post(
            "/v1/retirements",
            {"batch_id": batch, "amount_kg": 1, "beneficiary": "bench", "purpose": "voluntary"},
            buyer["token"],
        )
        cpu.start()
        t = time.perf_counter()
        for _ in range(n):
            api.post("/v1/transfers", {"batch_id": batch, "to": buyer["id"], "amount_kg": 10}, owner["token"])
        transfers = rate(n, time.perf_counter() - t)
        cpu.stop("transfers, 1 client", n)
        cpu.start()
        t = time.perf_counter()
        for _ in range(n):
            api.post(
                "/v1/retirements",
                {"batch_id": batch, "amount_kg": 1, "beneficiary": "bench", "purpose": "voluntary"},
                buyer["token"],
            )
        retirements = rate(n, time.perf_counter() - t)
        cpu.stop("retirements, 1 client", n)

        phases["after sequential transfers and retirements"] = peak_rss_mib(service.pid)

        # -- the same from 16 concurrent clients, each its own holder -------------------------------
        for h in holders:
            api.post(
                "/v1/transfers",
                {"batch_id": batch, "to": h["id"], "amount_kg": 20 * per_client},
                owner["token"],
            )
            api.post("/v1/transfers", {"batch_id": batch, "to": buyer["id"], "amount_kg": 1}, h["token"])
        # New connections: the service (uvicorn) closes a kept-alive one after 5 s idle, and a
        # request sent as it closes is reset.
        for idle in apis:
            idle.http.close()
        apis = [Api(url, api.token) for _ in range(CLIENTS)]
        cpu.start()
        transfers_16 = concurrently(
            [[None] * per_client for _ in range(CLIENTS)],
            lambda i, _: apis[i].post(
                "/v1/transfers", {"batch_id": batch, "to": buyer["id"], "amount_kg": 10}, holders[i]["token"]
            ),
        )
        cpu.stop(f"transfers, {CLIENTS} clients", many)
        cpu.start()
        retirements_16 = concurrently(
            [[None] * per_client for _ in range(CLIENTS)],
            lambda i, _: apis[i].post(
                "/v1/retirements",
                {"batch_id": batch, "amount_kg": 1, "beneficiary": "bench", "purpose": "voluntary"},
                holders[i]["token"],
            ),
        )
        cpu.stop(f"retirements, {CLIENTS} clients", many)
        phases["after the 16-client runs"] = peak_rss_mib(service.pid)
        certificate = api.post(
            "/v1/retirements",
            {"batch_id": batch, "amount_kg": 1, "beneficiary": "bench", "purpose": "voluntary"},
            buyer["token"],
        )["certificate_id"]
        t = time.perf_counter()
        for _ in range(200):
            api.http.get(f"/v1/retirements/{certificate}").raise_for_status()
        closed_loop_ms = (time.perf_counter() - t) / 200 * 1000
        lookups = lookup_latency(url, f"/v1/retirements/{certificate}")
        phases["after the lookups"] = peak_rss_mib(service.pid)

        # -- raw signed transactions on the same anvil -------------------------------------------
        api.post(
            "/v1/transfers",
            {"batch_id": batch, "to": raw_holders[0]["id"], "amount_kg": 10 * n},
            owner["token"],
        )
        for h in raw_holders[1:]:
            api.post(
                "/v1/transfers",
                {"batch_id": batch, "to": h["id"], "amount_kg": 10 * per_client},
                owner["token"],
            )
        client = ChainClient.connect(node.url)
        tanhui = Tanhui(client, Deployment.load(deployment_path(data_dir, client.chain_id)))
        funder = client.dev_signers()[1]
        for k in raw_keys:
            client.wait(client.send(client.prepare(None, funder, to=k.address, value=10**18, gas=21_000)))
        fees = client.fee_fields()
        signers = [LocalSigner(k) for k in raw_keys]
        nonces = [client.next_nonce(s.address) for s in signers]
        raw_clients = [ChainClient.connect(node.url) for _ in signers]

        def raw_transfer(k: int, i: object, sync: bool = False) -> None:
            signer, c = signers[k], raw_clients[k]
            fn = tanhui.transfer(signer.address, buyer["address"], batch, 10)
            tx = {
                "from": signer.address, "to": fn.to, "data": "0x" + fn.data.hex(), "value": 0,
                "nonce": nonces[k], "gas": 200_000, "chainId": client.chain_id, **fees,
            }  # fmt: skip
            nonces[k] += 1
            if sync:  # one round trip: the node answers with the receipt (anvil, automine)
                answer = c.w3.provider.make_request(
                    RPCEndpoint("eth_sendRawTransactionSync"), ["0x" + signer.sign(tx).hex()]
                )
                if int(answer["result"]["status"], 16) != 1:
                    raise SystemExit(f"raw transfer failed: {answer}")
                return
            tx_hash = c.w3.eth.send_raw_transaction(signer.sign(tx))
            c.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)

        cpu.start()
        t = time.perf_counter()
        for i in range(n):
            raw_transfer(0, i)
        raw_rate = rate(n, time.perf_counter() - t)
        cpu.stop("raw transfers, 1 sender", n)
        cpu.start()
        raw_rate_16 = concurrently(
            [[None] * per_client for _ in range(CLIENTS)], lambda k, i: raw_transfer(k + 1, i)
        )
        cpu.stop(f"raw transfers, {CLIENTS} senders", many)
        api.post(
            "/v1/transfers",
            {"batch_id": batch, "to": raw_holders[0]["id"], "amount_kg": 10 * n},
            owner["token"],
        )
        t = time.perf_counter()
        for i in range(n):
            raw_transfer(0, i, sync=True)
        raw_sync_rate = rate(n, time.perf_counter() - t)
        rss = peak_rss_mib(service.pid)
    finally:
        service.send_signal(signal.SIGINT)
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:  # not stopped in time: not left running either
            service.kill()
            service.wait()

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
    node.stop()

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
    print(f"raw signed transfers (web3, sign + send + receipt), 1 sender:  {raw_rate:8.1f} tx/s")
    print(f"raw signed transfers, {CLIENTS} concurrent senders ({per_client} each): {raw_rate_16:8.1f} tx/s")
    print(
        f"raw signed transfers with eth_sendRawTransactionSync (the relay's path on anvil), "
        f"1 sender: {raw_sync_rate:8.1f} tx/s"
    )
    print("registry operations (ratio = ops/s x chain transactions per op / raw tx/s; target >= 0.8):")
    for name, txs, one, many in (
        ("issuance (verify: record + issue)", 2, issuance, issuance_16),
        ("transfers", 1, transfers, transfers_16),
        ("retirements", 1, retirements, retirements_16),
    ):
        print(
            f"  {name:34s} 1 client {one:7.1f} ops/s ratio {one * txs / raw_rate:5.2f}   "
            f"{CLIENTS} clients {many:7.1f} ops/s ratio {many * txs / raw_rate_16:5.2f}"
        )
    print("CPU time per operation, ms (user + system; the benchmark process is the clients):")
    print(f"  {'':32s} {'service':>8s} {'anvil':>8s} {'benchmark':>10s}")
    for phase, per_op in cpu.rows:
        print(f"  {phase:32s} {per_op['service']:8.1f} {per_op['anvil']:8.1f} {per_op['benchmark']:10.1f}")
    print(
        f"certificate lookup GET /v1/retirements/{{id}}, 200 req/s open loop, {len(lookups)} requests: "
        f"p50 {percentile(lookups, 0.5):.1f} ms, p95 {percentile(lookups, 0.95):.1f} ms, "
        f"p99 {percentile(lookups, 0.99):.1f} ms (target p99 < 20 ms)"
    )
    print(f"  (one client, one request at a time: {closed_loop_ms:.1f} ms per lookup)")
    print(
        f"service peak resident memory: {rss:.1f} MiB (peak so far: "
        + ", ".join(f"{k} {v:.0f}" for k, v in phases.items())
        + ")"
    )
    print(f"indexer catch-up on a fresh database: {events} events, {index_rate:.0f} events/s")
    print("forge gas report (Function | min | avg | median | max | calls):")
    for line in gas_rows:
        print("  " + " ".join(line.split()))


if __name__ == "__main__":
    main()
