"""`tanhui serve` as an operator runs it, with ``TANHUI_LOG_FORMAT=json``: every line on stderr
of a request is JSON with its request id, and /metrics, /livez and /readyz answer without a
token."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, stop, wait_healthy
from tests.conftest import start_anvil

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def test_serve__json_logs_with_request_ids_and_the_operations_routes(tmp_path: Path) -> None:
    node = start_anvil()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")} | {
        "TANHUI_LOG_FORMAT": "json",
        "TANHUI_PORT": str(port),
        "TANHUI_KEYSTORE_KDF_ITERATIONS": "1024",
    }
    command = [*TANHUI, "serve", "--data-dir", str(tmp_path), "--rpc-url", node.url]
    service = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_healthy(url, service)
        live = httpx.get(f"{url}/livez", headers={"X-Request-ID": "e2e-live-1"}, timeout=10)
        assert live.status_code == 200 and live.headers["X-Request-ID"] == "e2e-live-1"
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 200 and ready.json()["ready"] is True, ready.text
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
        assert 'tanhui_outbox_pending_operations{status="signed"}' in metrics
        assert "tanhui_indexer_lag_blocks " in metrics and "tanhui_chain_up 1.0" in metrics
        assert 'tanhui_http_requests_total{method="GET",route="/livez",status="200"} 1.0' in metrics
    finally:
        stop(service)
        node.stop()
    assert service.stderr is not None
    lines = [line for line in service.stderr.read().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    mine = [e for e in entries if e["request_id"] == "e2e-live-1"]
    assert [e["logger"] for e in mine] == ["tanhui.api"], entries
    assert mine[0]["message"].startswith("GET /livez 200 ") and mine[0]["level"] == "INFO"
    # uvicorn's own lines are JSON too; its access lines are left out (ours say the same, and more).
    assert any(e["logger"] == "uvicorn.error" for e in entries), entries
    assert not any(e["logger"] == "uvicorn.access" for e in entries), entries
