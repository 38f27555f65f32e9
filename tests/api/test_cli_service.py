"""The service's command line end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from chain.localnode import free_port
from chain.paths import ARTIFACTS_DIR, node_tool
from tests.chain.test_cli_deploy import signature
from tests.conftest import start_anvil

TANHUI = [sys.executable, "-m", "api.cli"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANHUI, *args], capture_output=True, text=True, timeout=timeout)


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            response = httpx.get(f"{url}/v1/health", timeout=2)
            if response.status_code == 200:
                data: dict[str, object] = response.json()
                return data
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not come up")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def test_serve__embedded_defaults_survive_a_restart(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*TANHUI, "serve", "--data-dir", str(tmp_path), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        health = wait_healthy(url, first)
        token = (tmp_path / "operator.token").read_text().strip()
        created = httpx.post(
            f"{url}/v1/participants",
            json={"name": "Persisted Org", "kind": "organisation", "roles": ["holder"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert created.status_code == 201, created.text
        participant = created.json()

        # The same API from the command line: the operator's token is the default.
        me = run("api", "get", "/v1/participants/me", "--url", url, "--data-dir", str(tmp_path))
        assert me.returncode == 0, me.stderr
        assert json.loads(me.stdout)["roles"] == ["holder", "registrar", "supervisor"]
        bad = run(
            "api", "post", "/v1/transfers", "--url", url, "--data-dir", str(tmp_path),
            "--data", '{"batch_id": 1, "to": "nobody", "amount_kg": 0}',
        )  # fmt: skip
        assert bad.returncode == 1 and "422 validation_error" in bad.stderr
        assert bad.stdout == ""
    finally:
        stop(first)
    assert (tmp_path / "tanhui.db").exists() and (tmp_path / "chain" / "state.json").exists()

    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        again = wait_healthy(url, second)
        assert again["contracts"] == health["contracts"]  # the same chain: no second deployment
        found = httpx.get(
            f"{url}/v1/participants/{participant['id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert found.status_code == 200 and found.json()["chain_status"] == "active"
    finally:
        stop(second)
        run("chain", "down", "--data-dir", str(tmp_path))


def test_demo_json__certificate_confirmed_by_verify_cast_and_reconcile(tmp_path: Path) -> None:
    node = start_anvil()
    try:
        done = run("demo", "--rpc-url", node.url, "--json", "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stderr
        demo = json.loads(done.stdout)
        assert demo["rpc_url"] == node.url
        assert set(demo["contracts"]) == {"TanhuiRegistry", "TanhuiCredits"}
        credits = demo["contracts"]["TanhuiCredits"]
        cert = str(demo["certificate_id"])

        verified = run("verify", cert, "--rpc-url", node.url, "--contract", credits, "--json")
        assert verified.returncode == 0, verified.stderr
        evidence = json.loads(verified.stdout)
        assert evidence["verified"] is True
        assert evidence["tx_hash"] == demo["retirement_tx"]
        assert evidence["batch_id"] == demo["batch_id"]
        assert evidence["beneficiary"] == "Chengdu Marathon 2025" and evidence["amount_kg"] == 120_500

        # A third-party client: Foundry's cast with the ABI artifacts.
        cast = subprocess.run(
            [
                str(node_tool("cast")), "call", credits,
                signature(ARTIFACTS_DIR / "TanhuiCredits.abi.json", "retirement"), cert, "--rpc-url", node.url,
            ],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert cast.returncode == 0, cast.stderr
        assert cast.stdout.startswith(
            f"({evidence['holder']}, {demo['batch_id']}, {evidence['block_number']}, 0, 1, 120500"
        )

        missing = run("verify", "999", "--rpc-url", node.url, "--contract", credits)
        assert missing.returncode == 1 and "does not exist" in missing.stderr

        database = demo["database_url"]
        clean = run(
            "reconcile", "--rpc-url", node.url, "--database-url", database, "--data-dir", str(tmp_path)
        )
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "no differences" in clean.stdout

        # Drift is reported and fails the command.
        path = database.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE holdings SET amount_kg = amount_kg + 5 WHERE amount_kg > 0")
        drift = run(
            "reconcile",
            "--rpc-url",
            node.url,
            "--database-url",
            database,
            "--data-dir",
            str(tmp_path),
            "--json",
        )
        assert drift.returncode == 1
        differences = json.loads(drift.stdout)["differences"]
        assert any(d["field"] == "amount_kg" and d["database"] == d["chain"] + 5 for d in differences)
    finally:
        node.process.terminate()
        node.process.wait(timeout=10)
