from __future__ import annotations

from pathlib import Path

import pytest

from chain import ChainClient, localnode
from chain.deploy import deploy
from chain.errors import ChainError


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


def test_local_chain__taken_port_is_refused(tmp_path: Path) -> None:
    first = localnode.start(tmp_path / "a", port=localnode.free_port())
    try:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(ChainError, match="already in use"):
            localnode.start(tmp_path / "b", port=port)
    finally:
        localnode.stop(tmp_path / "a")


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
