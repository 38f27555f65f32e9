"""The operations routes and logs against what the world sends them: a node that hangs or
answers garbage, methods nobody uses, paths with line breaks, a URL with a password, a broken
permissions file. Each test would fail on the code before a review found the problem."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.app import TEXT_FORMAT, TextFormatter
from api.cli import app as cli
from chain.client import ChainClient
from registry import metrics
from registry.permissions import PermissionsKeeper
from registry.runtime import Runtime
from tests.api.conftest import Api


class _Node(BaseHTTPRequestHandler):
    """A JSON-RPC node that says who it is, then misbehaves on eth_blockNumber as `mode` says."""

    mode = "hang"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["method"] == "web3_clientVersion":
            answer = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "stub/1.0"}).encode()
        elif self.mode == "hang":
            time.sleep(30)
            return
        elif self.mode == "rpcerror":
            answer = json.dumps(
                {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": "node is syncing"}}
            ).encode()
        else:  # a proxy's error page, served with 200
            answer = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def node(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Node", (_Node,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("node", ["hang", "rpcerror", "html"], indirect=True)
def test_chain_head__a_node_that_hangs_or_answers_badly_is_down_quickly(node: str) -> None:
    """It was ~150 s (web3's five retries of a 30 s timeout) for a hung node, holding a worker
    thread per probe until /livez starved; and a 500 for an RPC error or an HTML page."""
    client = ChainClient.connect(node)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        heads = list(pool.map(lambda _: metrics.chain_head(client), range(8)))
    assert heads == [None] * 8
    assert time.monotonic() - started < 8, "eight concurrent probes of a bad node share one answer"


def test_metrics__a_method_nobody_uses_is_counted_as_other(api: Api) -> None:
    for method in ("PROPFIND", "MKCALENDAR", "M-SEARCH", "QUERY"):
        api.http.request(method, "/livez")
    text = api.http.get("/metrics").text
    methods = {
        line.split('method="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("tanhui_http_requests_total{")
    }
    assert "PROPFIND" not in methods and "<other>" in methods, methods


def test_text_log__a_path_cannot_forge_a_line() -> None:
    record = logging.LogRecord(
        "tanhui.api",
        logging.INFO,
        __file__,
        1,
        "GET %s 404",
        ("/x\n2026-11-30 INFO tanhui.tokens forged\r",),
        None,
    )
    record.request_id = "r1"
    line = TextFormatter(TEXT_FORMAT).format(record)
    assert "\n" not in line and "\r" not in line and "\\x0a2026-11-30" in line


def test_db_cli__never_prints_the_database_password() -> None:
    result = CliRunner().invoke(
        cli, ["db", "current", "--database-url", "postgres://tanhui:S3cr3t@db:5432/tanhui"]
    )
    assert result.exit_code == 1
    assert "S3cr3t" not in result.output and "***" in result.output, result.output


def test_permissions_keeper__a_broken_file_is_reported_once_not_every_second(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "permissions_config.toml"
    broken.write_text('accounts-allowlist=["0x')
    keeper = PermissionsKeeper(runtime.db, broken, operator=runtime.operator.address, poll_interval=0.02)
    stop = threading.Event()
    worker = threading.Thread(target=keeper.run, args=(stop,))
    with caplog.at_level(logging.INFO, logger="tanhui.permissions"):
        worker.start()
        time.sleep(0.5)
        stop.set()
        worker.join()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
