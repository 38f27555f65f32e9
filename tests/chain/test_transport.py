"""A node that cannot be reached is ChainUnavailable, from every node call, with a message a
person can read: where the chain is and a short reason, never urllib3's repr."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account

from chain import ChainClient
from chain.errors import ChainUnavailable
from chain.localnode import spawn_anvil
from chain.signers import LocalSigner

pytestmark = pytest.mark.anvil


def test_connect__refused_connection_is_a_clean_chain_unavailable() -> None:
    with pytest.raises(ChainUnavailable) as caught:
        ChainClient.connect("http://127.0.0.1:1")
    assert str(caught.value) == "cannot reach the chain at http://127.0.0.1:1: connection refused"
    assert "HTTPConnectionPool" not in str(caught.value)


def test_connect__silent_node_times_out_with_a_clean_reason() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ChainUnavailable) as caught:
            ChainClient.connect(url, timeout=0.3)
    assert str(caught.value) == f"cannot reach the chain at {url}: no answer within the timeout"


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 404
    body = b""

    def do_POST(self) -> None:
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[Callable[[int, bytes], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(status: int, body: bytes) -> str:
        handler = type("Handler", (_Answer,), {"status": status, "body": body})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_connect__web_server_that_is_no_node_says_so(web_server: Callable[[int, bytes], str]) -> None:
    missing = web_server(404, b"")
    with pytest.raises(ChainUnavailable) as caught:
        ChainClient.connect(missing)
    assert str(caught.value) == f"cannot reach the chain at {missing}: the node answered HTTP 404 Not Found"
    page = web_server(200, b"<html>hello</html>")
    with pytest.raises(ChainUnavailable, match="not an Ethereum JSON-RPC node"):
        ChainClient.connect(page)


def test_every_node_call__after_the_node_stopped_is_chain_unavailable() -> None:
    node = spawn_anvil()
    client = ChainClient.connect(node.url)
    operator = client.dev_signers()[0]  # anvil signs for it: signing asks the node too
    local = LocalSigner(Account.create())
    signed = client.prepare(None, local, to=local.address, gas=21_000, nonce=0, fees={"gasPrice": 1})
    credits = client.contract("TanhuiCredits", local.address)
    node.stop()

    calls: dict[str, Callable[[], object]] = {
        "block_number": client.block_number,
        "block": lambda: client.block(0),
        "has_code": lambda: client.has_code(local.address),
        "balance": lambda: client.balance(local.address),
        "next_nonce": lambda: client.next_nonce(local.address),
        "fee_fields": client.fee_fields,
        "get_logs": lambda: client.get_logs({"fromBlock": 0, "toBlock": 0}),
        "get_transaction": lambda: client.get_transaction(signed.tx_hash),
        "find_receipt": lambda: client.find_receipt(signed.tx_hash),
        "wait": lambda: client.wait(signed.tx_hash, timeout=5),
        "send": lambda: client.send(signed),
        "call": lambda: client.call(credits.functions.batchCount()),
        "estimate": lambda: client.estimate({"from": local.address, "to": local.address}),
        "prepare": lambda: client.prepare(None, local, to=local.address, gas=21_000, fees={"gasPrice": 1}),
        "sign on the node": lambda: client.nonce_filler(operator, nonce=0, fees={"gasPrice": 1}),
        "dev_signers": client.dev_signers,
        "snapshot": client.dev.snapshot,
    }
    for name, call in calls.items():
        with pytest.raises(ChainUnavailable) as caught:
            call()
        assert str(caught.value) == f"cannot reach the chain at {node.url}: connection refused", name
