"""Who stops the local chain: `tanhui serve` stops the chain it started (on SIGINT, on SIGTERM,
or adopted from a service that was killed), and leaves running a chain `tanhui chain up` started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, run, wait_healthy

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}


def _serve(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [*TANHUI, "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    return process, f"http://127.0.0.1:{port}"


def _end(process: subprocess.Popen[str], how: signal.Signals) -> str:
    """Sends `how`, waits for the process to exit and returns its output."""
    if process.poll() is None:
        process.send_signal(how)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def _gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether process `pid` has ended (a zombie nobody reaped counts as ended), waiting up to
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat[stat.rfind(")") + 2 :].split()[0] == "Z":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _anvil(data_dir: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads((data_dir / "chain" / "anvil.json").read_text())
    return record


def _chain_status(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return run("chain", "status", "--data-dir", str(data_dir))


def test_serve__sigterm_stops_the_chain_it_started(tmp_path: Path) -> None:
    serve, url = _serve(tmp_path)
    try:
        wait_healthy(url, serve)
        anvil_pid = int(str(_anvil(tmp_path)["pid"]))
        output = _end(serve, signal.SIGTERM)
        assert _gone(anvil_pid), f"the chain (anvil pid {anvil_pid}) outlived the service:\n{output}"
        assert _chain_status(tmp_path).returncode == 1
        assert serve.returncode == -signal.SIGTERM  # it still dies of the signal, after cleaning up
        assert (tmp_path / "chain" / "state.json").exists()

        # A one-shot command on the data directory starts the chain and stops it again.
        relay = run("relay", "--data-dir", str(tmp_path))
        assert relay.returncode == 0, relay.stderr
        assert _chain_status(tmp_path).returncode == 1
    finally:
        _end(serve, signal.SIGKILL)
        run("chain", "down", "--data-dir", str(tmp_path))


def test_serve__adopts_the_chain_of_a_killed_service_and_stops_it(tmp_path: Path) -> None:
    first, first_url = _serve(tmp_path)
    second: subprocess.Popen[str] | None = None
    try:
        health = wait_healthy(first_url, first)
        started = _anvil(tmp_path)
        anvil_pid = int(str(started["pid"]))
        _end(first, signal.SIGKILL)
        assert not _gone(anvil_pid, timeout=0)  # left behind: an orphan
        assert _chain_status(tmp_path).returncode == 0

        second, second_url = _serve(tmp_path)
        again = wait_healthy(second_url, second)
        assert again["contracts"] == health["contracts"]  # the same chain
        adopted = _anvil(tmp_path)
        output = _end(second, signal.SIGINT)
        assert "Traceback" not in output, output
        assert _gone(anvil_pid), f"the adopted chain (anvil pid {anvil_pid}) outlived the service:\n{output}"
        assert _chain_status(tmp_path).returncode == 1
        assert (
            f"adopting the local chain at {started['url']} (anvil pid {anvil_pid}) left running by "
            f"`tanhui serve` (pid {first.pid}, which has ended)" in output
        ), output
        # Who started it and who held it, as recorded.
        assert started["started_by"] == adopted["started_by"] == "tanhui serve"
        assert started["owner"]["pid"] == first.pid  # type: ignore[index]
        assert adopted["owner"]["pid"] == second.pid  # type: ignore[index]
    finally:
        _end(first, signal.SIGKILL)
        if second is not None:
            _end(second, signal.SIGKILL)
        run("chain", "down", "--data-dir", str(tmp_path))


def test_serve__leaves_a_chain_started_by_chain_up_running(tmp_path: Path) -> None:
    up = run("chain", "up", "--data-dir", str(tmp_path), "--port", str(free_port()))
    assert up.returncode == 0, up.stderr
    rpc_url = up.stdout.strip()
    serve, url = _serve(tmp_path)
    try:
        assert wait_healthy(url, serve)["rpc_url"] == rpc_url
        _end(serve, signal.SIGTERM)
        status = _chain_status(tmp_path)
        assert status.returncode == 0 and status.stdout.strip() == rpc_url
    finally:
        _end(serve, signal.SIGKILL)
        down = run("chain", "down", "--data-dir", str(tmp_path))
    assert down.returncode == 0 and down.stdout.strip() == "stopped"


def test_chain_up__keeps_the_chain_of_a_running_service_after_it(tmp_path: Path) -> None:
    serve, url = _serve(tmp_path)
    try:
        rpc_url = wait_healthy(url, serve)["rpc_url"]
        up = run("chain", "up", "--data-dir", str(tmp_path))
        assert up.returncode == 0 and up.stdout.strip() == rpc_url, up.stderr
        assert "now runs until `tanhui chain down`" in up.stderr
        _end(serve, signal.SIGTERM)
        assert _chain_status(tmp_path).returncode == 0
    finally:
        _end(serve, signal.SIGKILL)
        down = run("chain", "down", "--data-dir", str(tmp_path))
    assert down.stdout.strip() == "stopped"
