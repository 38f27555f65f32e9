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
    url, command, env = _service(tmp_path)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, env=env)
    wait_healthy(url, first)
    token = (tmp_path / "operator.token").read_text().strip()
    # Confirmed work, the last of it within the chain's unsaved second.
    created = [_register(url, token, f"Lost {n}") for n in range(5)]
    anvil = json.loads((tmp_path / "chain" / "anvil.json").read_text())["pid"]
    os.kill(int(anvil), signal.SIGKILL)
    first.kill()
    first.wait(timeout=30)

    started = time.monotonic()
    second, _ = _restart(url, command, env, tmp_path)
    try:
        assert time.monotonic() - started < 60
        _until_reconciled(tmp_path)
        for public_id in created:
            assert _standing(url, token, public_id) == "active"
    finally:
        stop(second)


def test_embedded_chain_restarts_empty__restarted_service_deploys_again_and_heals(tmp_path: Path) -> None:
    """A state file cut short by a kill in mid-write, with no good copy yet (the chain's first
    run): the chain starts empty, without the contracts the database is bound to. The service
    sends their deployment again, then the registrations the chain lost."""
    url, command, env = _service(tmp_path)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_healthy(url, first)
        token = (tmp_path / "operator.token").read_text().strip()
        created = _register(url, token, "Lost with the chain")
    finally:
        stop(first)  # the chain writes its whole state on the way out
    state = tmp_path / "chain" / "state.json"
    whole = state.read_bytes()
    state.write_bytes(whole[: len(whole) // 3])
    assert not (tmp_path / "chain" / "state.good.json").exists()

    second, log = _restart(url, command, env, tmp_path)
    try:
        _until_reconciled(tmp_path)
        assert _standing(url, token, created) == "active"
        assert "deployment was sent again" in log.read_text()
    finally:
        stop(second)
    assert list(tmp_path.glob("chain/state.corrupt-*.json"))


def _service(data_dir: Path) -> tuple[str, list[str], dict[str, str]]:
    """The service's URL, the command that serves `data_dir` on its embedded defaults, and an
    environment without TANHUI_ settings."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    return (
        f"http://127.0.0.1:{port}",
        [*TANHUI, "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env,
    )


def _register(url: str, token: str, name: str) -> str:
    """A holder registered (and confirmed on chain) through the API: its public id."""
    response = httpx.post(
        f"{url}/v1/participants",
        json={"name": name, "kind": "person", "roles": ["holder"]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )
    assert response.status_code == 201 and response.json()["chain_status"] == "active", response.text
    return str(response.json()["id"])


def _standing(url: str, token: str, public_id: str) -> str:
    found = httpx.get(f"{url}/v1/participants/{public_id}", headers={"Authorization": f"Bearer {token}"})
    return str(found.json()["chain_status"])


def _restart(
    url: str, command: list[str], env: dict[str, str], data_dir: Path
) -> tuple[subprocess.Popen[str], Path]:
    """The service started again, healthy within a minute; what it said is in the returned log
    (shown if it does not come up)."""
    log = data_dir / "second.log"
    with log.open("w") as out:
        service = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_healthy(url, service, timeout=60)
    except AssertionError as failed:
        stop(service)
        raise AssertionError(f"{failed}\n{log.read_text()[-6000:]}") from None
    return service, log


def _until_reconciled(data_dir: Path) -> None:
    """`tanhui reconcile` exits 0 within a minute (the registry comes back into agreement)."""
    deadline = time.monotonic() + 60
    while True:
        done = run("reconcile", "--data-dir", str(data_dir), "--rpc-url", _chain_url(data_dir), "--json")
        if done.returncode == 0:
            return
        assert time.monotonic() < deadline, done.stdout + done.stderr
        time.sleep(1)


def _chain_url(data_dir: Path) -> str:
    return str(json.loads((data_dir / "chain" / "anvil.json").read_text())["url"])
