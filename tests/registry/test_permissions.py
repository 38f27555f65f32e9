"""Besu account permissioning: who may send (the operator, active participants; not pending,
failed or suspended ones), the file written atomically with its nodes-allowlist kept, and the
keeper asking real JSON-RPC servers to reload it, again when one did not answer."""

from __future__ import annotations

import json
import logging
import socket
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from chain.besu import permissions_toml
from registry import clock
from registry.db import Database
from registry.models import Participant
from registry.permissions import (
    RELOAD_METHOD,
    PermissionsFileError,
    PermissionsKeeper,
    allowed_accounts,
    permissions_keeper,
    read_permissions,
    write_allowlist,
)
from registry.settings import Settings
from registry.states import Custody, Standing

ENODE = "enode://" + "ab" * 64 + "@172.28.13.11:30303"


@dataclass
class FakeValidator:
    """A JSON-RPC server that answers perm_reloadPermissionsFromFile as Besu does, recording the
    accounts-allowlist of the file at the moment it was asked (or answers `error`)."""

    permissions_file: Path
    error: bool = False
    seen: list[list[str]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeValidator:
        validator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                validator.methods.append(request["method"])
                if validator.error:
                    answer: dict[str, Any] = {"code": -32000, "message": "Permissions reload failed"}
                    body = {"jsonrpc": "2.0", "id": request["id"], "error": answer}
                else:
                    config = tomllib.loads(validator.permissions_file.read_text())
                    validator.seen.append(config["accounts-allowlist"])
                    body = {"jsonrpc": "2.0", "id": request["id"], "result": "Success"}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def permissions_file(tmp_path: Path) -> Path:
    path = tmp_path / "permissions_config.toml"
    path.write_text(permissions_toml([], [ENODE]))
    return path


@pytest.fixture
def validator(permissions_file: Path) -> Iterator[FakeValidator]:
    v = FakeValidator(permissions_file).start()
    yield v
    v.stop()


def add_participant(db: Database, standing: Standing, custody: Custody = Custody.KEYSTORE) -> str:
    address = Account.create().address
    with db.transaction() as session:
        session.add(
            Participant(
                public_id=f"P-{address[2:10]}",
                name=f"participant {address[2:8]}",
                kind="organisation",
                address=address,
                custody=custody,
                keystore=None,
                chain_status=standing,
                created_at=clock.now(),
            )
        )
    return address


def set_standing(db: Database, address: str, standing: Standing) -> None:
    with db.transaction() as session:
        participant = session.query(Participant).filter_by(address=address).one()
        participant.chain_status = standing


def test_allowed__active_participants_and_the_operator_whatever_its_standing(db: Database) -> None:
    operator = add_participant(db, Standing.PENDING, Custody.OPERATOR)
    active = add_participant(db, Standing.ACTIVE)
    self_custody = add_participant(db, Standing.ACTIVE, Custody.SELF)
    for standing in (Standing.PENDING, Standing.FAILED, Standing.SUSPENDED):
        add_participant(db, standing)
    extra = Account.create().address
    with db.reading() as session:
        allowed = allowed_accounts(session, [extra])
    assert allowed == sorted(a.lower() for a in (operator, active, self_custody, extra))


def test_write__keeps_the_nodes_allowlist_and_leaves_no_temporary_file(permissions_file: Path) -> None:
    accounts = [Account.create().address.lower() for _ in range(3)]
    write_allowlist(permissions_file, accounts)
    assert tomllib.loads(permissions_file.read_text()) == {
        "accounts-allowlist": accounts,
        "nodes-allowlist": [ENODE],
    }
    assert [p.name for p in permissions_file.parent.iterdir()] == [permissions_file.name]
    assert permissions_file.stat().st_mode & 0o777 == 0o644


def test_write__a_new_file_has_no_nodes_allowlist(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    write_allowlist(path, ["0x" + "11" * 20])
    assert read_permissions(path) == (["0x" + "11" * 20], None)


def test_read__a_file_that_is_not_toml_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("accounts-allowlist=[oops")
    with pytest.raises(PermissionsFileError, match="not a TOML file"):
        write_allowlist(path, [])
    assert path.read_text() == "accounts-allowlist=[oops"
    path.write_text("accounts-allowlist=[1, 2]")
    with pytest.raises(PermissionsFileError, match="lists of strings"):
        read_permissions(path)


def test_keeper__follows_standings_and_has_the_validators_reload(
    db: Database, permissions_file: Path, validator: FakeValidator
) -> None:
    operator = Account.create().address
    keeper = PermissionsKeeper(db, permissions_file, operator=operator, rpc_urls=[validator.url])
    assert keeper.check() is True
    assert read_permissions(permissions_file) == ([operator.lower()], [ENODE])
    assert validator.seen == [[operator.lower()]]
    assert validator.methods == [RELOAD_METHOD]

    # Nothing changed: no rewrite, no reload.
    assert keeper.check() is False
    assert len(validator.seen) == 1

    pending = add_participant(db, Standing.PENDING)
    assert keeper.check() is False
    set_standing(db, pending, Standing.ACTIVE)
    assert keeper.check() is True
    assert validator.seen[-1] == sorted([operator.lower(), pending.lower()])

    set_standing(db, pending, Standing.SUSPENDED)
    assert keeper.check() is True
    assert validator.seen[-1] == [operator.lower()]
    assert read_permissions(permissions_file) == ([operator.lower()], [ENODE])


def test_keeper__a_validator_down_is_asked_again_and_holds_up_no_other(
    db: Database, permissions_file: Path, validator: FakeValidator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tanhui.permissions")
    down = closed_port_url()
    refusing = FakeValidator(permissions_file, error=True).start()
    try:
        keeper = PermissionsKeeper(
            db,
            permissions_file,
            operator=Account.create().address,
            rpc_urls=[down, refusing.url, validator.url],
        )
        keeper.timeout = 2
        assert keeper.check() is True
        assert len(validator.seen) == 1  # reached despite the two before it
        assert refusing.methods == [RELOAD_METHOD]
        assert down in caplog.text and "Permissions reload failed" in caplog.text
        # Next check: nothing changed, but the two are asked again; the one that reloaded is not.
        refusing.error = False
        assert keeper.check() is False
        assert len(refusing.seen) == 1 and len(validator.seen) == 1
        keeper.check()
        assert len(refusing.seen) == 1  # it reloaded: not asked again
        # The one still down was asked at each check, but warned about once.
        warnings = [r for r in caplog.records if r.levelname == "WARNING" and down in r.getMessage()]
        assert len(warnings) == 1
        assert len([r for r in caplog.records if r.levelname == "DEBUG" and down in r.getMessage()]) == 2
        assert any("reloaded" in r.getMessage() and refusing.url in r.getMessage() for r in caplog.records)
    finally:
        refusing.stop()


def test_keeper__starts_from_what_the_file_holds(db: Database, permissions_file: Path) -> None:
    operator = Account.create().address
    write_allowlist(permissions_file, [operator.lower()])
    before = permissions_file.stat().st_mtime_ns
    keeper = PermissionsKeeper(db, permissions_file, operator=operator)
    assert keeper.check() is False
    assert permissions_file.stat().st_mtime_ns == before


def test_keeper__undoes_a_hand_edit_of_the_accounts(db: Database, permissions_file: Path) -> None:
    operator = Account.create().address
    keeper = PermissionsKeeper(db, permissions_file, operator=operator)
    assert keeper.check() is True
    write_allowlist(permissions_file, [operator.lower(), "0x" + "66" * 20])
    assert keeper.check() is True
    assert read_permissions(permissions_file) == ([operator.lower()], [ENODE])


def test_keeper__runs_until_stopped(db: Database, permissions_file: Path) -> None:
    operator = Account.create().address
    keeper = PermissionsKeeper(db, permissions_file, operator=operator, poll_interval=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=keeper.run, args=(stop,), daemon=True)
    thread.start()
    active = add_participant(db, Standing.ACTIVE)
    try:
        for _ in range(100):
            if active.lower() in read_permissions(permissions_file)[0]:
                break
            stop.wait(0.05)
        assert read_permissions(permissions_file)[0] == sorted([operator.lower(), active.lower()])
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_settings__the_keeper_only_when_a_file_is_set(db: Database, tmp_path: Path) -> None:
    operator = Account.create().address
    assert permissions_keeper(Settings(data_dir=tmp_path), db, operator) is None
    settings = Settings(
        data_dir=tmp_path,
        besu_permissions_file=tmp_path / "p.toml",
        besu_permissions_rpc_urls=" http://v1:8545, http://v2:8545 ,",
    )
    keeper = permissions_keeper(settings, db, operator)
    assert keeper is not None
    assert keeper.path == tmp_path / "p.toml" and keeper.rpc_urls == ["http://v1:8545", "http://v2:8545"]
    with pytest.raises(ValueError, match="http:// or https://"):
        Settings(data_dir=tmp_path, besu_permissions_rpc_urls="validator1:8545")
