"""Local anvil chains: one whose state persists in a data directory, and throwaway ones.

``start`` launches anvil detached from the calling process (its output goes to a log file), so
``tanhui chain up`` can print the RPC URL and return while the chain keeps running; ``stop``
ends it with SIGTERM, on which anvil writes its state. The state is also written every second
(``--state-interval``), so a crash loses at most the last second.

Everything the chain writes stays in ``<data dir>/chain/``: the state, the log, the record of
the running chain (``anvil.json``) and anvil's on-disk cache of historical states (``cache/``,
``--cache-path``; anvil's default is ``~/.foundry/anvil/tmp``, which it never cleans). That cache
only serves the running process, so it is emptied when the chain starts and when it stops.

``anvil.json`` also records who started the chain (``started_by``) and who stops it: no one
(``owner`` null: ``tanhui chain up``, it runs until ``tanhui chain down``), or the process that
holds it (``owner``: its pid and start time) and stops it when it ends, such as ``tanhui serve``.
A chain whose owner has died without stopping it (``kill -9``) is an orphan: see :func:`orphaned`
and :func:`hand_over`.

``spawn_anvil`` starts a throwaway anvil owned by the calling process (tests, the benchmark),
with no state on disk; :meth:`AnvilProcess.stop` ends it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.errors import ChainError, ChainUnavailable
from chain.paths import IN_CHECKOUT, node_tool

DEFAULT_PORT = 8545
DEFAULT_HOST = "127.0.0.1"
DEV_CHAIN_ID = 31337

#: What to do when anvil is missing: in a checkout, the npm packages; installed, Foundry on PATH.
ANVIL_MISSING = (
    "anvil is not installed: run scripts/setup (npm ci)"
    if IN_CHECKOUT
    else "anvil is not on PATH: install Foundry (https://getfoundry.sh), or give --rpc-url"
)


@dataclass(frozen=True)
class LocalChain:
    """A running local chain."""

    url: str
    pid: int
    state_file: Path
    log_file: Path
    # The command that started it, e.g. "tanhui chain up" or "tanhui serve".
    started_by: str = "tanhui chain up"
    # The process that stops it when it ends; None: it runs until `tanhui chain down`.
    owner_pid: int | None = None
    # That process's start time (clock ticks since boot, from /proc), so that a new process that
    # got the dead owner's pid is not taken for it; None where unknown.
    owner_started: int | None = None


def chain_dir(data_dir: Path) -> Path:
    return data_dir / "chain"


def cache_dir(data_dir: Path) -> Path:
    """anvil's cache of historical states (``--cache-path``), for the running process only."""
    return chain_dir(data_dir) / "cache"


def _info_file(data_dir: Path) -> Path:
    return chain_dir(data_dir) / "anvil.json"


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def process_started(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), where /proc tells."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as dead
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited != 0:
            return False
    except ChildProcessError:
        pass
    # So does anyone else's zombie (where no init reaps orphans).
    fields = _proc_stat(pid)
    return not (fields and fields[0] == "Z")


def owner_alive(chain: LocalChain) -> bool:
    """Whether the process recorded as the chain's owner is still running (False if none is)."""
    if chain.owner_pid is None or not _alive(chain.owner_pid):
        return False
    return chain.owner_started is None or process_started(chain.owner_pid) in (None, chain.owner_started)


def orphaned(chain: LocalChain) -> bool:
    """Whether the chain was held by a process that has ended without stopping it."""
    return chain.owner_pid is not None and not owner_alive(chain)


def _owner(pid: int | None) -> dict[str, Any] | None:
    return None if pid is None else {"pid": pid, "started": process_started(pid)}


def _read_info(data_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(_info_file(data_dir).read_text(encoding="utf-8"))
        int(info["pid"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return info if isinstance(info, dict) else None


def _write_info(data_dir: Path, info: dict[str, Any]) -> None:
    tmp = _info_file(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(info), encoding="utf-8")
    tmp.replace(_info_file(data_dir))


def _chain_from(info: dict[str, Any]) -> LocalChain:
    owner = info.get("owner")
    if not isinstance(owner, dict):  # none, or a record of an older version: no owner
        owner = {}
    return LocalChain(
        info["url"],
        int(info["pid"]),
        Path(info["state_file"]),
        Path(info["log_file"]),
        started_by=str(info.get("started_by", "tanhui chain up")),
        owner_pid=int(owner["pid"]) if owner.get("pid") is not None else None,
        owner_started=int(owner["started"]) if owner.get("started") is not None else None,
    )


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


def _listening(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds the socket listening on TCP `port` of this host, where /proc
    tells (None elsewhere). Another process may answer on a port a moment after it was found
    free: parallel test workers each start chains on free ports."""
    inodes: set[str] = set()
    tables = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        tables += 1
        for line in lines:
            fields = line.split()  # sl local_address rem_address st ... uid timeout inode
            if len(fields) <= 9 or fields[3] != "0A":  # 0A: listening
                continue
            try:
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
            except ValueError:
                continue
    if not tables:
        return None
    links: set[str] = set()
    for member in _family(pid):  # anvil itself, or the real one an npm launcher runs as its child
        try:
            links |= {os.readlink(f"/proc/{member}/fd/{fd}") for fd in os.listdir(f"/proc/{member}/fd")}
        except PermissionError:
            return None
        except OSError:  # gone, or a descriptor closed while reading
            continue
    return bool(inodes & links)


def _family(pid: int) -> list[int]:
    """Process `pid` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(int(entry))
            if fields and len(fields) > 1 and fields[1].isdigit():
                children.setdefault(int(fields[1]), []).append(int(entry))
    family, queue = [], [pid]
    while queue:
        member = queue.pop()
        family.append(member)
        queue.extend(children.get(member, []))
    return family


def _await_node(process: subprocess.Popen[bytes], url: str, port: int, timeout: float, log: str) -> bool:
    """Waits until `process` answers at `url`, on a socket of its own. Returns False if it exited
    first (e.g. another process took the port); raises ChainUnavailable after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            return False
        if _answers(url) and _listening(process.pid, port) is not False and process.poll() is None:
            return True
        if time.monotonic() > deadline:
            raise ChainUnavailable(f"anvil did not answer at {url} within {timeout:.0f}s{log}")
        time.sleep(0.05)


def status(data_dir: Path) -> LocalChain | None:
    """The chain started for `data_dir`, if it is running and answering."""
    info = _read_info(data_dir)
    if info is None or not _alive(int(info["pid"])) or not _answers(info["url"]):
        return None
    return _chain_from(info)


def _keep_whole_state(state_file: Path) -> None:
    """anvil writes its state file in place: killed while writing it (`kill -9`), it leaves a
    truncated file it then refuses to start from. Before each start, a state file that parses
    is copied to ``state.good.json``; one that does not is set aside (``state.corrupt-<time>.json``)
    and the last good copy takes its place. The chain then lacks the blocks since that copy, and
    the registry notices and sends their transactions again (see registry/recovery.py)."""
    good = state_file.with_name("state.good.json")
    if not state_file.exists():
        return
    try:
        json.loads(state_file.read_bytes())
    except ValueError:
        state_file.rename(state_file.with_name(f"state.corrupt-{int(time.time())}.json"))
        if good.exists():
            shutil.copyfile(good, state_file)
        return
    tmp = good.with_suffix(".tmp")
    shutil.copyfile(state_file, tmp)
    tmp.replace(good)


def start(
    data_dir: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    chain_id: int = DEV_CHAIN_ID,
    gas_price: int = 0,
    timeout: float = 30.0,
    started_by: str = "tanhui chain up",
    owner: int | None = None,
) -> LocalChain:
    """Starts (or finds running) the local chain of `data_dir` and returns it.

    Without `port`, the chain takes 8545, or a free port if 8545 is taken. The chain charges no
    gas (`gas_price` 0 and a zero base fee) unless `gas_price` is set. A chain started now is
    recorded as started by `started_by` and held by process `owner` (None: by no one); a chain
    found running is returned as it is recorded.
    """
    running = status(data_dir)
    if running is not None:
        return running
    directory = chain_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(cache_dir(data_dir), ignore_errors=True)  # left by a chain that was killed
    chosen = port is None
    if port is None:
        port = DEFAULT_PORT if port_free(host, DEFAULT_PORT) else free_port(host)
    elif not port_free(host, port):
        raise ChainError(f"port {port} on {host} is already in use; choose another with --port")
    state_file = directory / "state.json"
    _keep_whole_state(state_file)
    log_file = directory / "anvil.log"
    binary = node_tool("anvil")
    if not binary.exists():
        raise ChainError(ANVIL_MISSING)
    for attempt in range(3):  # a port found free may be taken before anvil binds it
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
            "--cache-path", str(cache_dir(data_dir)),
        ]  # fmt: skip
        with open(log_file, "ab") as log, open(os.devnull, "rb") as devnull:
            process = subprocess.Popen(
                args,
                stdin=devnull,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        url = f"http://{host}:{port}"
        try:
            if _await_node(process, url, port, timeout, f"; see {log_file}"):
                break
        except BaseException:  # not recorded yet: nothing else could stop it
            if process.poll() is None:
                process.terminate()
            raise
        if not chosen or attempt == 2 or port_free(host, port):
            raise ChainError(f"anvil exited with status {process.returncode}; see {log_file}")
        port = free_port(host)
    info = {
        "url": url,
        "pid": process.pid,
        "state_file": str(state_file),
        "log_file": str(log_file),
        "started_by": started_by,
        "owner": _owner(owner),
    }
    _write_info(data_dir, info)
    return _chain_from(info)


def hand_over(data_dir: Path, owner: int | None) -> LocalChain | None:
    """Records process `owner` as the one that stops the running chain of `data_dir` (None: no
    one, it runs until `stop`), e.g. to adopt an orphan. Returns the chain, None if none runs."""
    info = _read_info(data_dir)
    if info is None or status(data_dir) is None:
        return None
    info["owner"] = _owner(owner)
    _write_info(data_dir, info)
    return _chain_from(info)


def release(data_dir: Path, owner: int, *, timeout: float = 15.0) -> bool:
    """Stops the local chain of `data_dir` if process `owner` still holds it (it may have been
    handed over since, e.g. by `tanhui chain up`). Returns whether it was stopped."""
    info = _read_info(data_dir)
    if info is None or _chain_from(info).owner_pid != owner:
        return False
    return stop(data_dir, timeout=timeout)


def stop(data_dir: Path, *, timeout: float = 15.0) -> bool:
    """Stops the local chain of `data_dir` (anvil writes its state on the way out), whoever
    holds it. Returns whether one was running."""
    info_file = _info_file(data_dir)
    info = _read_info(data_dir)
    if info is None:
        return False
    pid = int(info["pid"])
    if not _alive(pid):
        info_file.unlink(missing_ok=True)
        shutil.rmtree(cache_dir(data_dir), ignore_errors=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    info_file.unlink(missing_ok=True)
    shutil.rmtree(cache_dir(data_dir), ignore_errors=True)
    return True


@dataclass
class AnvilProcess:
    """A throwaway anvil node started by :func:`spawn_anvil`."""

    url: str
    process: subprocess.Popen[bytes]
    # anvil's cache of historical states, removed by `stop` (not left in ~/.foundry/anvil/tmp).
    cache: Path | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminates the node and waits for it to exit (killing it after `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.cache is not None:
            shutil.rmtree(self.cache, ignore_errors=True)


def spawn_anvil(*extra_args: str, host: str = DEFAULT_HOST, timeout: float = 30.0) -> AnvilProcess:
    """Starts a throwaway anvil on a free port, with `extra_args` (e.g. ``"--block-base-fee-per-gas",
    "1000000000"``), and returns once it answers. Its state lives in memory only (and in a
    temporary cache of historical states that `stop` removes)."""
    binary = node_tool("anvil")
    if not binary.exists():
        raise ChainError(ANVIL_MISSING)
    for attempt in range(3):  # a port found free may be taken before anvil binds it
        port = free_port(host)
        # Not created here: anvil creates it once it has states to write (most nodes never do).
        cache = Path(tempfile.gettempdir()) / f"tanhui-anvil-cache-{secrets.token_hex(8)}"
        args = [str(binary), "--host", host, "--port", str(port), "--silent", "--cache-path", str(cache)]
        process = subprocess.Popen(
            [*args, *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        node = AnvilProcess(f"http://{host}:{port}", process, cache)
        try:
            if _await_node(process, node.url, port, timeout, ""):
                return node
        except BaseException:
            node.stop()
            raise
        shutil.rmtree(cache, ignore_errors=True)
        if attempt == 2 or port_free(host, port):  # it did not exit for want of its port
            break
    raise ChainError(f"anvil exited with status {process.returncode} (arguments {extra_args})")
