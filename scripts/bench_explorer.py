#!/usr/bin/env python3
"""Benchmark: the explorer's certificate page and the certificate's API route under load.

Runs `tanhui demo` into a fresh data directory (its local anvil chain, SQLite), then serves that
data with `tanhui serve` (its own process) and measures, open loop at 200 requests per second for
10 seconds each (latency from each request's scheduled send time; see bench_registry.py's
`lookup_latency`), `GET /certificates/{id}` (the public HTML page) and `GET /v1/retirements/{id}`
(JSON), printing p50, p95 and p99. Figures, not pass/fail: the aim is p99 < 20 ms
(../shared/TARGETS.md, issue #12).

    .venv/bin/python scripts/bench_explorer.py [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from bench_registry import lookup_latency, machine, percentile, wait_for_service  # noqa: E402

from chain.localnode import free_port  # noqa: E402

TANHUI = str(REPO / ".venv" / "bin" / "tanhui")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200, help="requests per second [200]")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per route [10]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tanhui-bench-explorer-") as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "TANHUI_DATA_DIR": str(data)}
        print(f"machine: {machine()}")
        print("running `tanhui demo` (its own local chain) ...", flush=True)
        demo = subprocess.run(
            [TANHUI, "demo", "--data-dir", str(data), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=True,
        )
        certificate = json.loads(demo.stdout)["certificate_id"]
        port = free_port("127.0.0.1")
        url = f"http://127.0.0.1:{port}"
        service = subprocess.Popen(
            [TANHUI, "serve", "--data-dir", str(data), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_service(url, service)
            for path in (f"/certificates/{certificate}", f"/v1/retirements/{certificate}"):
                page = httpx.get(url + path, timeout=10)
                page.raise_for_status()
                lookup_latency(url, path, per_second=args.rate, seconds=2)  # warm up
                latencies = lookup_latency(url, path, per_second=args.rate, seconds=args.seconds)
                print(
                    f"GET {path} at {args.rate}/s for {args.seconds:.0f} s ({len(page.content)} bytes): "
                    f"p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
                    f"p99 {percentile(latencies, 0.99):.1f} ms (aim p99 < 20 ms)",
                    flush=True,
                )
        finally:
            os.killpg(service.pid, signal.SIGTERM)
            service.wait(timeout=60)


if __name__ == "__main__":
    main()
