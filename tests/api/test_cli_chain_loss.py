"""`kill -9` of the embedded chain right after confirmed work, and of the service: a restarted
service answers within a minute, and `tanhui reconcile` becomes clean by itself (the registry
notices the blocks the chain lost and sends their transactions again)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, run, stop, wait_healthy

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def test_embedded_chain_killed_after_confirmed_work__restarted_service_heals(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*TANHUI, "serve", "--data-dir", str(tmp_path), "--port", str(port)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, env=env)
    wait_healthy(url, first)
    token = (tmp_path / "operator.token").read_text().strip()
    created = []
    for n in range(5):  # confirmed work, the last of it within the chain's unsaved second
        response = httpx.post(
            f"{url}/v1/participants",
            json={"name": f"Lost {n}", "kind": "person", "roles": ["holder"]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        assert response.status_code == 201 and response.json()["chain_status"] == "active", response.text
        created.append(response.json()["id"])
    anvil = json.loads((tmp_path / "chain" / "anvil.json").read_text())["pid"]
    os.kill(int(anvil), signal.SIGKILL)
    first.kill()
    first.wait(timeout=30)

    started = time.monotonic()
    log = tmp_path / "second.log"  # what the restarted service said, shown if it does not come up
    with log.open("w") as out:
        second = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        try:
            wait_healthy(url, second, timeout=60)
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n{log.read_text()[-6000:]}") from None
        assert time.monotonic() - started < 60
        deadline = time.monotonic() + 60
        while True:
            done = run("reconcile", "--data-dir", str(tmp_path), "--rpc-url", _chain_url(tmp_path), "--json")
            if done.returncode == 0:
                break
            assert time.monotonic() < deadline, done.stdout + done.stderr
            time.sleep(1)
        for public_id in created:
            found = httpx.get(
                f"{url}/v1/participants/{public_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert found.json()["chain_status"] == "active", found.text
    finally:
        stop(second)


def test_embedded_chain_restarts_empty__restarted_service_deploys_again_and_heals(tmp_path: Path) -> None:
    """A state file cut short by a kill in mid-write, with no good copy yet (the chain's first
    run): the chain starts empty, without the contracts the database is bound to. The service
    sends their deployment again, then the registrations the chain lost."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*TANHUI, "serve", "--data-dir", str(tmp_path), "--port", str(port)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_healthy(url, first)
        token = (tmp_path / "operator.token").read_text().strip()
        response = httpx.post(
            f"{url}/v1/participants",
            json={"name": "Lost with the chain", "kind": "person", "roles": ["holder"]},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        assert response.status_code == 201 and response.json()["chain_status"] == "active", response.text
    finally:
        stop(first)  # the chain writes its whole state on the way out
    state = tmp_path / "chain" / "state.json"
    whole = state.read_bytes()
    state.write_bytes(whole[: len(whole) // 3])
    assert not (tmp_path / "chain" / "state.good.json").exists()

    log = tmp_path / "second.log"
    with log.open("w") as out:
        second = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        try:
            wait_healthy(url, second, timeout=60)
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n{log.read_text()[-6000:]}") from None
        deadline = time.monotonic() + 60
        while True:
            done = run("reconcile", "--data-dir", str(tmp_path), "--rpc-url", _chain_url(tmp_path), "--json")
            if done.returncode == 0:
                break
            assert time.monotonic() < deadline, done.stdout + done.stderr
            time.sleep(1)
        found = httpx.get(
            f"{url}/v1/participants/{response.json()['id']}", headers={"Authorization": f"Bearer {token}"}
        )
        assert found.json()["chain_status"] == "active", found.text
        assert "deployment was sent again" in log.read_text()
    finally:
        stop(second)
    assert list(tmp_path.glob("chain/state.corrupt-*.json"))


def _chain_url(data_dir: Path) -> str:
    return str(json.loads((data_dir / "chain" / "anvil.json").read_text())["url"])
