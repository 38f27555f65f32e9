"""Local anvil chains: one whose state persists in a data directory, and throwaway ones.

``start`` launches anvil detached from the calling process (its output goes to a log file), so
``tanhui chain up`` can print the RPC URL and return while the chain keeps running; ``stop``
ends it with SIGTERM, on which anvil writes its state. The state is also written every second
(``--state-interval``), so a crash loses at most the last second.

``spawn_anvil`` starts a throwaway anvil owned by the calling process (tests, the benchmark),
with no state on disk; :meth:`AnvilProcess.stop` ends it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from chain.errors import ChainError, ChainUnavailable
from chain.paths import node_tool

DEFAULT_PORT = 8545
DEFAULT_HOST = "127.0.0.1"
DEV_CHAIN_ID = 31337


@dataclass(frozen=True)
class LocalChain:
    """A running local chain."""

    url: str
    pid: int
    state_file: Path
    log_file: Path


def chain_dir(data_dir: Path) -> Path:
    return data_dir / "chain"


def _info_file(data_dir: Path) -> Path:
    return chain_dir(data_dir) / "anvil.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as dead
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _answers(url: str, timeout: float = 1.0) -> bool:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(json.loads(response.read()).get("result"))
    except (OSError, ValueError):
        return False


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def status(data_dir: Path) -> LocalChain | None:
    """The chain started for `data_dir`, if it is running and answering."""
    info_file = _info_file(data_dir)
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(int(info["pid"])) or not _answers(info["url"]):
        return None
    return LocalChain(info["url"], int(info["pid"]), Path(info["state_file"]), Path(info["log_file"]))


def start(
    data_dir: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    chain_id: int = DEV_CHAIN_ID,
    gas_price: int = 0,
    timeout: float = 30.0,
) -> LocalChain:
    """Starts (or finds running) the local chain of `data_dir` and returns it.

    Without `port`, the chain takes 8545, or a free port if 8545 is taken. The chain charges no
    gas (`gas_price` 0 and a zero base fee) unless `gas_price` is set.
    """
    running = status(data_dir)
    if running is not None:
        return running
    directory = chain_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if port is None:
        port = DEFAULT_PORT if port_free(host, DEFAULT_PORT) else free_port(host)
    elif not port_free(host, port):
        raise ChainError(f"port {port} on {host} is already in use; choose another with --port")
    state_file = directory / "state.json"
    log_file = directory / "anvil.log"
    binary = node_tool("anvil")
    if not binary.exists():
        raise ChainError("anvil is not installed: run scripts/setup (npm ci)")
    args = [
        str(binary),
        "--host", host,
        "--port", str(port),
        "--chain-id", str(chain_id),
        "--state", str(state_file),
        "--state-interval", "1",
        "--gas-price", str(gas_price),
        "--block-base-fee-per-gas", str(gas_price),
        "--disable-min-priority-fee",
    ]  # fmt: skip
    with open(log_file, "ab") as log, open(os.devnull, "rb") as devnull:
        process = subprocess.Popen(
            args, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True
        )
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while not _answers(url):
        if process.poll() is not None:
            raise ChainError(f"anvil exited with status {process.returncode}; see {log_file}")
        if time.monotonic() > deadline:
            process.terminate()
            raise ChainUnavailable(f"anvil did not answer at {url} within {timeout:.0f}s; see {log_file}")
        time.sleep(0.05)
    info = {"url": url, "pid": process.pid, "state_file": str(state_file), "log_file": str(log_file)}
    tmp = _info_file(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(info), encoding="utf-8")
    tmp.replace(_info_file(data_dir))
    return LocalChain(url, process.pid, state_file, log_file)


def stop(data_dir: Path, *, timeout: float = 15.0) -> bool:
    """Stops the local chain of `data_dir` (anvil writes its state on the way out). Returns
    whether one was running."""
    info_file = _info_file(data_dir)
    try:
        pid = int(json.loads(info_file.read_text(encoding="utf-8"))["pid"])
    except (FileNotFoundError, ValueError, KeyError):
        return False
    if not _alive(pid):
        info_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    info_file.unlink(missing_ok=True)
    return True


@dataclass
class AnvilProcess:
    """A throwaway anvil node started by :func:`spawn_anvil`."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = 10.0) -> None:
        """Terminates the node and waits for it to exit (killing it after `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn_anvil(*extra_args: str, host: str = DEFAULT_HOST, timeout: float = 30.0) -> AnvilProcess:
    """Starts a throwaway anvil on a free port, with `extra_args` (e.g. ``"--block-base-fee-per-gas",
    "1000000000"``), and returns once it answers. Its state lives in memory only."""
    binary = node_tool("anvil")
    if not binary.exists():
        raise ChainError("anvil is not installed: run scripts/setup (npm ci)")
    port = free_port(host)
    process = subprocess.Popen(
        [str(binary), "--host", host, "--port", str(port), "--silent", *extra_args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    node = AnvilProcess(f"http://{host}:{port}", process)
    deadline = time.monotonic() + timeout
    while not _answers(node.url):
        if process.poll() is not None:
            raise ChainError(f"anvil exited with status {process.returncode} (arguments {extra_args})")
        if time.monotonic() > deadline:
            node.stop()
            raise ChainUnavailable(f"anvil did not answer at {node.url} within {timeout:.0f}s")
        time.sleep(0.05)
    return node
