from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from eth_typing import ChecksumAddress
from web3.types import TxParams, Wei

from chain import ChainClient, localnode
from chain.deploy import deploy
from chain.errors import ChainError

pytestmark = pytest.mark.anvil


def test_local_chain__state_survives_a_restart(tmp_path: Path) -> None:
    chain = localnode.start(tmp_path, port=localnode.free_port())
    try:
        client = ChainClient.connect(chain.url)
        deployment = deploy(client, client.default_signer(), admin_delay=0)
        height = client.block_number()
        assert localnode.start(tmp_path).pid == chain.pid  # already running: found, not restarted
    finally:
        assert localnode.stop(tmp_path)
    assert localnode.status(tmp_path) is None
    assert chain.state_file.exists()

    again = localnode.start(tmp_path)
    try:
        client = ChainClient.connect(again.url)
        assert client.block_number() == height
        assert client.w3.eth.get_code(deployment.registry)
    finally:
        localnode.stop(tmp_path)


def test_local_chain__state_file_cut_short_by_a_kill_falls_back_to_the_last_whole_one(tmp_path: Path) -> None:
    """anvil writes its state in place: `kill -9` while it writes leaves a truncated file that
    anvil refuses to start from. The chain starts from the last whole state instead."""
    chain = localnode.start(tmp_path, port=localnode.free_port())
    try:
        client = ChainClient.connect(chain.url)
        deployment = deploy(client, client.default_signer(), admin_delay=0)
        height = client.block_number()
    finally:
        localnode.stop(tmp_path)
    localnode.start(tmp_path)  # keeps a copy of the whole state it starts from
    localnode.stop(tmp_path)
    whole = chain.state_file.read_bytes()
    chain.state_file.write_bytes(whole[: len(whole) // 2])  # as a kill in mid-write leaves it

    again = localnode.start(tmp_path)
    try:
        client = ChainClient.connect(again.url)
        assert client.block_number() >= height
        assert client.w3.eth.get_code(deployment.registry)
    finally:
        localnode.stop(tmp_path)
    assert list(tmp_path.glob("chain/state.corrupt-*.json"))  # set aside, not lost


def test_local_chain__taken_port_is_refused(tmp_path: Path) -> None:
    first = localnode.start(tmp_path / "a", port=localnode.free_port())
    try:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(ChainError, match="already in use"):
            localnode.start(tmp_path / "b", port=port)
    finally:
        localnode.stop(tmp_path / "a")


def test_local_chain__port_taken_between_its_check_and_the_start__another_one_not_the_other_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parallel workers start chains on ports found free: another's node may answer on the port
    ours failed to bind. The chain started is our own process, on another port."""
    other = localnode.spawn_anvil()
    try:
        taken = int(other.url.rsplit(":", 1)[1])
        real = localnode.port_free
        calls: list[int] = []

        def lies_once(host: str, port: int) -> bool:
            calls.append(port)
            return True if len(calls) == 1 else real(host, port)

        monkeypatch.setattr(localnode, "DEFAULT_PORT", taken)
        monkeypatch.setattr(localnode, "port_free", lies_once)
        chain = localnode.start(tmp_path)
        try:
            assert chain.url != other.url
            assert localnode._listening(chain.pid, int(chain.url.rsplit(":", 1)[1])) is True
            assert localnode._listening(chain.pid, taken) is False
        finally:
            localnode.stop(tmp_path)
        assert other.process.poll() is None  # the other node untouched
    finally:
        other.stop()


def test_spawned_node__port_taken_before_it_binds__retried_on_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = localnode.spawn_anvil()
    try:
        taken = int(other.url.rsplit(":", 1)[1])
        real = localnode.free_port
        ports = [taken]
        monkeypatch.setattr(
            localnode, "free_port", lambda host="127.0.0.1": ports.pop() if ports else real(host)
        )
        node = localnode.spawn_anvil()
        try:
            assert node.url != other.url
            assert localnode._listening(node.process.pid, int(node.url.rsplit(":", 1)[1])) is True
        finally:
            node.stop()
    finally:
        other.stop()


def test_node_through_the_npm_launcher__its_child_holds_the_port_and_is_stopped_with_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An installed package may find only the npm launcher (Node.js running the real anvil as its
    child): the listening socket is the child's, and still the node is ours."""
    from chain.paths import NODE_MODULES

    launcher = NODE_MODULES / ".bin" / "anvil"
    if not launcher.exists():
        pytest.skip("no npm launcher in this checkout")  # scripts/setup installs it
    monkeypatch.setattr(localnode, "node_tool", lambda name: launcher)
    node = localnode.spawn_anvil(timeout=20)
    try:
        port = int(node.url.rsplit(":", 1)[1])
        assert localnode._listening(node.process.pid, port) is True
        assert ChainClient.connect(node.url).block_number() == 0
        family = localnode._family(node.process.pid)
        assert len(family) >= 2  # the launcher and the anvil it runs
    finally:
        node.stop()
    time.sleep(0.2)
    assert not [pid for pid in family if localnode._alive(pid)]  # the anvil it ran too, not orphaned

    chain = localnode.start(tmp_path, port=localnode.free_port())  # the data directory's chain too
    family = localnode._family(chain.pid)
    assert len(family) >= 2
    assert localnode.stop(tmp_path)
    time.sleep(0.2)
    assert not [pid for pid in family if localnode._alive(pid)]
    assert chain.state_file.exists()  # written on the way out


def test_local_chain__stop_without_chain_reports_nothing_running(tmp_path: Path) -> None:
    assert localnode.stop(tmp_path) is False


def test_spawn_anvil__throwaway_node_with_extra_arguments_until_stopped() -> None:
    node = localnode.spawn_anvil("--chain-id", "4242")
    try:
        assert ChainClient.connect(node.url).chain_id == 4242
    finally:
        node.stop()
    assert node.process.poll() is not None
    with pytest.raises(ChainError, match="cannot reach the chain"):
        ChainClient.connect(node.url)


def test_dev_restore__on_anvil_leaves_no_pending_transaction_and_the_clock_at_the_wall_clock() -> None:
    """What a test after another needs of a shared node: a plain revert keeps anvil's pool (a
    transaction with a nonce gap, mined later, takes the next test's nonce) and takes its clock
    back to the snapshot's block."""
    node = localnode.spawn_anvil()
    try:
        client = ChainClient.connect(node.url)
        sender = client.dev_signers()[1].address
        nonce = client.next_nonce(sender)
        gap: TxParams = {"from": sender, "to": sender, "value": Wei(0), "nonce": nonce + 1, "gas": 21_000}
        dev = client.dev
        for restore in (dev.restore, dev.revert):
            snapshot = dev.snapshot()
            client.w3.eth.send_transaction(gap)  # waits in the pool for nonce `nonce`
            # Long enough that a block mined a second after the snapshot's is still 2 s behind.
            time.sleep(3.5)
            restore(snapshot)
            status = client.w3.provider.make_request("txpool_status", [])  # type: ignore[arg-type]
            waiting = int(status["result"]["pending"], 16) + int(status["result"]["queued"], 16)
            dev.mine(1)
            lag = time.time() - client.block("latest")["timestamp"]
            if restore == dev.revert:
                assert waiting == 1 and lag >= 2, (waiting, lag)  # what restore is for
            else:
                assert waiting == 0 and lag < 2, (waiting, lag)
            assert client.next_nonce(sender) == nonce
    finally:
        node.stop()


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_local_chain__files_stay_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # anvil's default cache of historical states is ~/.foundry/anvil/tmp, never cleaned: hundreds
    # of MB per run. It must be under the data directory instead, and go with the chain.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    data = tmp_path / "data"
    chain = localnode.start(data, port=localnode.free_port())
    try:
        client = ChainClient.connect(chain.url)
        accounts: list[ChecksumAddress] = list(client.w3.eth.accounts)
        transfer: TxParams = {"from": accounts[0], "to": accounts[1], "value": Wei(1), "gasPrice": Wei(0)}
        for _ in range(3):
            client.w3.eth.wait_for_transaction_receipt(client.w3.eth.send_transaction(transfer))
        # More blocks than anvil keeps in memory: the older states go to disk.
        client.w3.provider.make_request("anvil_mine", ["0x400"])  # type: ignore[arg-type]
        written = [home / ".foundry", data / "chain" / "cache"]
        deadline = time.monotonic() + 30
        while not any(place.exists() and any(place.rglob("*.json")) for place in written):
            assert time.monotonic() < deadline, "anvil wrote no historical state"
            time.sleep(0.2)
        assert not (home / ".foundry").exists(), "anvil wrote under $HOME/.foundry"
        height = client.block_number()
    finally:
        assert localnode.stop(data)
    assert not (home / ".foundry").exists(), sorted(str(p) for p in home.rglob("*"))[:5]
    assert list(home.iterdir()) == []
    assert chain.state_file == data / "chain" / "state.json" and chain.state_file.exists()
    assert not localnode.cache_dir(data).exists()  # only the running chain's: removed with it

    again = localnode.start(data, port=localnode.free_port())
    try:
        assert ChainClient.connect(again.url).block_number() == height
    finally:
        localnode.stop(data)
    assert list(home.iterdir()) == []


def test_local_chain__chain_up_is_held_by_no_one_and_release_leaves_it(tmp_path: Path) -> None:
    chain = localnode.start(tmp_path, port=localnode.free_port())
    try:
        assert (chain.started_by, chain.owner_pid) == ("tanhui chain up", None)
        assert not localnode.orphaned(chain)
        assert localnode.release(tmp_path, os.getpid()) is False
        assert localnode.status(tmp_path) is not None
    finally:
        assert localnode.stop(tmp_path)


def test_local_chain__held_chain_is_stopped_by_its_owner_only(tmp_path: Path) -> None:
    me = os.getpid()
    chain = localnode.start(tmp_path, port=localnode.free_port(), started_by="tanhui serve", owner=me)
    try:
        assert (chain.started_by, chain.owner_pid) == ("tanhui serve", me)
        assert localnode.owner_alive(chain) and not localnode.orphaned(chain)
        recorded = json.loads((tmp_path / "chain" / "anvil.json").read_text())
        assert recorded["started_by"] == "tanhui serve" and recorded["owner"]["pid"] == me
        assert localnode.status(tmp_path) == chain
        assert localnode.release(tmp_path, me + 1) is False  # not its owner
        assert localnode.status(tmp_path) is not None
        assert localnode.release(tmp_path, me) is True
        assert localnode.status(tmp_path) is None
    finally:
        localnode.stop(tmp_path)


def test_local_chain__owner_that_died_leaves_an_orphan_to_hand_over(tmp_path: Path) -> None:
    dead = _dead_pid()
    chain = localnode.start(tmp_path, port=localnode.free_port(), started_by="tanhui serve", owner=dead)
    try:
        assert localnode.orphaned(chain) and not localnode.owner_alive(chain)
        adopted = localnode.hand_over(tmp_path, os.getpid())
        assert adopted is not None and adopted.pid == chain.pid and adopted.started_by == "tanhui serve"
        assert adopted.owner_pid == os.getpid() and not localnode.orphaned(adopted)
        assert localnode.release(tmp_path, dead) is False
        assert localnode.release(tmp_path, os.getpid()) is True
    finally:
        localnode.stop(tmp_path)
    assert localnode.hand_over(tmp_path, os.getpid()) is None  # nothing runs


def test_local_chain__owner_pid_taken_by_another_process_is_not_the_owner(tmp_path: Path) -> None:
    chain = localnode.start(
        tmp_path, port=localnode.free_port(), started_by="tanhui serve", owner=os.getpid()
    )
    try:
        # Our pid, but recorded with another start time: a process that had this pid before us.
        assert chain.owner_started is not None
        stale = dataclasses.replace(chain, owner_started=chain.owner_started - 1)
        assert localnode.orphaned(stale)
    finally:
        localnode.stop(tmp_path)


def test_local_chain__record_of_an_older_version_has_no_owner(tmp_path: Path) -> None:
    localnode.start(tmp_path, port=localnode.free_port())
    try:
        info_file = tmp_path / "chain" / "anvil.json"
        info = json.loads(info_file.read_text())
        info_file.write_text(json.dumps({k: info[k] for k in ("url", "pid", "state_file", "log_file")}))
        found = localnode.status(tmp_path)
        assert found is not None and found.owner_pid is None and not localnode.orphaned(found)
    finally:
        assert localnode.stop(tmp_path)


def test_spawn_anvil__leaves_nothing_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    node = localnode.spawn_anvil()
    try:
        client = ChainClient.connect(node.url)
        client.w3.provider.make_request("anvil_mine", ["0x400"])  # type: ignore[arg-type]
        assert node.cache is not None and node.cache.parent != tmp_path
        deadline = time.monotonic() + 30
        while not any(node.cache.rglob("*.json")):
            assert time.monotonic() < deadline, "anvil wrote no historical state in its cache"
            time.sleep(0.2)
    finally:
        node.stop()
    assert list(tmp_path.iterdir()) == []
    assert not node.cache.exists()
