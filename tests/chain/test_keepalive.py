"""The kept-alive JSON-RPC transport: one connection per thread, reused; a connection the node
closed while idle (or that holds an answer no request asked for) is replaced before a request is
sent; a request once sent is never sent again; failures as `requests` raises them."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from chain import ChainClient
from chain.keepalive import KeepAlive, applies


class _Node(http.server.BaseHTTPRequestHandler):
    """Answers every JSON-RPC request with its own id; with `drop_after_answer`, closes the
    connection after answering without saying so (as a node that drops idle connections)."""

    protocol_version = "HTTP/1.1"
    connections: list[int]
    requests: list[str]
    drop_after_answer = False
    drop_before_answer = False
    unsolicited_408 = False
    status = 200

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(request["method"])
        if self.drop_before_answer:  # taken, then the connection is gone without an answer
            self.close_connection = True
            return
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": request["method"]}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.drop_after_answer:
            self.close_connection = True
        if self.unsolicited_408:  # as a proxy that times an idle connection out, lingering
            time.sleep(0.02)  # once the answer is read
            self.wfile.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Node:
    url: str
    connections: list[int]  # one item per connection accepted
    requests: list[str]  # the methods received, in order


@pytest.fixture
def node(request: pytest.FixtureRequest) -> Iterator[Node]:
    options = getattr(request, "param", {})
    seen = Node("", [], [])
    handler = type(
        "Handler", (_Node,), {"connections": seen.connections, "requests": seen.requests, **options}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def _call(transport: KeepAlive, url: str, n: int) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": n, "method": f"m{n}", "params": []}).encode()
    return json.loads(transport.make_post_request(url, body, timeout=5))


def test_one_connection_serves_a_threads_requests(node: Node) -> None:
    url, connections = node.url, node.connections
    transport = KeepAlive(url, timeout=5)
    assert [_call(transport, url, n)["result"] for n in range(20)] == [f"m{n}" for n in range(20)]
    assert len(connections) == 1


def test_threads_have_their_own_connections_and_answers(node: Node) -> None:
    url, connections = node.url, node.connections
    transport = KeepAlive(url, timeout=5)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda n: _call(transport, url, n), range(200)))
    assert [a["id"] for a in answers] == list(range(200))
    assert [a["result"] for a in answers] == [f"m{n}" for n in range(200)]
    assert len(connections) <= 4


@pytest.mark.parametrize("node", [{"drop_after_answer": True}], indirect=True)
def test_connection_the_node_closed_while_idle__opened_again_and_the_request_answered(
    node: Node,
) -> None:
    url, connections = node.url, node.connections
    transport = KeepAlive(url, timeout=5)
    answers = []
    for n in range(5):
        answers.append(_call(transport, url, n)["id"])
        time.sleep(0.05)  # idle: the node's close arrives
    assert answers == list(range(5))
    assert len(connections) == 5  # each answer's connection was gone by the next request


@pytest.mark.parametrize("node", [{"unsolicited_408": True}], indirect=True)
def test_answer_no_request_asked_for__not_taken_for_the_next_ones(node: Node) -> None:
    url, connections = node.url, node.connections
    transport = KeepAlive(url, timeout=5)
    answers = []
    for n in range(3):
        answers.append(_call(transport, url, n)["result"])
        time.sleep(0.05)
    assert answers == ["m0", "m1", "m2"] and len(connections) == 3


@pytest.mark.parametrize("node", [{"drop_before_answer": True}], indirect=True)
def test_request_taken_then_the_connection_dropped__raised_not_sent_again(
    node: Node,
) -> None:
    """The node may have acted on it (a transaction sent): only the caller knows whether a
    second one is harmless."""
    url = node.url
    transport = KeepAlive(url, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        _call(transport, url, 1)
    time.sleep(0.05)
    assert node.requests == ["m1"]


@pytest.mark.parametrize("node", [{"status": 503}], indirect=True)
def test_http_error__raised_as_requests_raises_it(node: Node) -> None:
    url = node.url
    with pytest.raises(requests.exceptions.HTTPError) as caught:
        _call(KeepAlive(url, timeout=5), url, 1)
    assert caught.value.response is not None and caught.value.response.status_code == 503


def test_refused__raised_as_requests_raises_it() -> None:
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        _call(KeepAlive("http://127.0.0.1:1", timeout=5), "http://127.0.0.1:1", 1)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_which_urls__plain_http_without_credentials_or_proxy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert applies("http://127.0.0.1:8545") and applies("http://node.internal:8545/rpc?x=1")
    assert not applies("https://node.example:8545")
    assert not applies("http://user:secret@node.internal:8545")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    assert not applies("http://node.internal:8545")  # requests goes through the proxy
    monkeypatch.setenv("NO_PROXY", "node.internal")
    assert applies("http://node.internal:8545")


@pytest.mark.anvil
def test_chain_client_on_a_node__uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from chain.localnode import spawn_anvil

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    node = spawn_anvil()
    try:
        client = ChainClient.connect(node.url)
        assert isinstance(client.w3.provider._request_session_manager, KeepAlive)  # type: ignore[attr-defined]
        assert client.block_number() == 0
    finally:
        node.stop()
