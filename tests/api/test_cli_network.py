"""``tanhui network init`` and ``tanhui network permissions``, and the service's permissions keeper
following participants registered through the API and suspended on chain."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from chain.besu import permissions_toml
from chain.contracts import ParticipantStatus
from registry.permissions import PermissionsKeeper, read_permissions
from registry.runtime import Runtime, bootstrap
from registry.settings import Settings
from tests.api.conftest import KEYSTORE_SECRET, Api, ChainBase

runner = CliRunner()
ENODE = "enode://" + "cd" * 64 + "@10.0.0.1:30303"


# -- network init ----------------------------------------------------------------------------------


def test_init__four_validators_whose_keys_the_genesis_names(tmp_path: Path) -> None:
    out = tmp_path / "net"
    result = runner.invoke(app, ["network", "init", "--validators", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    addresses = [Account.from_key((out / f"node{i}/key").read_text()).address for i in range(1, 5)]
    extra = json.loads((out / "genesis.json").read_text())["extraData"]
    decoded = rlp.decode(bytes.fromhex(extra[2:]))
    assert ["0x" + a.hex() for a in decoded[1]] == [a.lower() for a in addresses]
    for address in addresses:  # the command names them
        assert address in result.output
    assert "accounts allowlist is empty" in result.output


def test_init__chain_id_and_operator_options(tmp_path: Path) -> None:
    operator = Account.create().address
    out = tmp_path / "net"
    args = [
        "network",
        "init",
        "--validators",
        "1",
        "--out",
        str(out),
        "--chain-id",
        "777",
        "--operator",
        operator,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "genesis.json").read_text())["config"]["chainId"] == 777
    assert read_permissions(out / "permissions/permissions_config.toml")[0] == [operator.lower()]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--validators", "0"], "--validators must be 1 to 32", 1),
        (["--validators", "33"], "--validators must be 1 to 32", 1),
        (["--validators", "four"], "Invalid value for '--validators'", 2),
        (["--validators", "4", "--operator", "0x12"], "--operator is not an address", 1),
        (["--validators", "2", "--hosts", "10.0.0.1"], "--hosts names 1 hosts for 2 validators", 1),
        (["--validators", "4", "--chain-id", "-1"], "the chain id must be", 1),
    ],
)
def test_init__bad_arguments_are_refused_and_write_nothing(
    tmp_path: Path, args: list[str], message: str, code: int
) -> None:
    out = tmp_path / "net"
    result = runner.invoke(app, ["network", "init", "--out", str(out), *args])
    assert result.exit_code == code
    assert message in " ".join(result.output.split()), result.output
    assert list(tmp_path.iterdir()) == []


def test_init__an_existing_non_empty_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "net"
    assert runner.invoke(app, ["network", "init", "--validators", "1", "--out", str(out)]).exit_code == 0
    key = (out / "node1/key").read_text()
    again = runner.invoke(app, ["network", "init", "--validators", "4", "--out", str(out)])
    assert again.exit_code == 1
    assert "exists and is not an empty directory" in again.output
    assert (out / "node1/key").read_text() == key and not (out / "node2").exists()


# -- network permissions ---------------------------------------------------------------------------


def test_permissions__writes_the_registered_participants_and_keeps_the_nodes(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    holder = api.participant(["holder"])
    outsider_account = Account.create()
    self_custody = api.participant(["holder"], address=outsider_account.address)
    assert holder["chain_status"] == self_custody["chain_status"] == "active"
    out = tmp_path / "permissions_config.toml"
    out.write_text(permissions_toml([], [ENODE]))
    extra = Account.create().address
    result = runner.invoke(
        app,
        ["network", "permissions", "--database-url", runtime.db.url, "--out", str(out), "--operator", extra],
    )
    assert result.exit_code == 0, result.output
    accounts, nodes = read_permissions(out)
    expected = {runtime.operator.address, holder["address"], self_custody["address"], extra}
    assert accounts == sorted(a.lower() for a in expected)
    assert nodes == [ENODE]
    assert f"{len(expected)} accounts allowed" in result.output


def test_permissions__refuses_without_a_database_or_with_a_bad_address(tmp_path: Path) -> None:
    out = tmp_path / "p.toml"
    no_db = runner.invoke(
        app, ["network", "permissions", "--data-dir", str(tmp_path / "d"), "--out", str(out)]
    )
    assert no_db.exit_code == 1 and "no database" in no_db.output
    bad = runner.invoke(
        app, ["network", "permissions", "--database-url", "sqlite://", "--out", str(out), "--operator", "bob"]
    )
    assert bad.exit_code == 1 and "--operator is not an address" in bad.output
    missing = runner.invoke(
        app,
        ["network", "permissions", "--database-url", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(out)],
    )
    assert missing.exit_code == 1 and "no database at" in missing.output
    assert not (tmp_path / "none.db").exists()  # not created by asking
    (tmp_path / "empty.db").touch()
    empty = runner.invoke(
        app,
        ["network", "permissions", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "--out", str(out)],
    )
    assert empty.exit_code == 1 and "cannot read the registry's participants" in empty.output
    assert not out.exists()


# -- the keeper, through the API -------------------------------------------------------------------


def test_keeper__follows_registrations_and_suspensions(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "permissions_config.toml"
    path.write_text(permissions_toml([], [ENODE]))
    keeper = PermissionsKeeper(runtime.db, path, operator=runtime.operator.address)
    keeper.check()
    assert read_permissions(path)[0] == [runtime.operator.address.lower()]

    holder = api.participant(["holder"])
    assert holder["chain_status"] == "active"
    assert keeper.check() is True
    assert holder["address"].lower() in read_permissions(path)[0]

    # The supervisor suspends it on chain; the indexer applies the event; the keeper follows.
    call = runtime.outbox.calls.set_participant_status(holder["address"], ParticipantStatus.SUSPENDED)
    runtime.client.transact(call, runtime.operator)
    runtime.indexer.sync()
    assert api.get(f"/v1/participants/{holder['id']}", api.operator)["chain_status"] == "suspended"
    assert keeper.check() is True
    assert read_permissions(path) == ([runtime.operator.address.lower()], [ENODE])


@pytest.fixture
def served_with_keeper(
    chain_base: ChainBase, database_url: str, tmp_path: Path
) -> Iterator[tuple[Runtime, Path]]:
    path = tmp_path / "permissions_config.toml"
    path.write_text(permissions_toml([], [ENODE]))
    settings = Settings(
        data_dir=chain_base.data_dir,
        database_url=database_url,
        keystore_secret=KEYSTORE_SECRET,
        besu_permissions_file=path,
    )
    snapshot = chain_base.client.dev.snapshot()
    runtime = Runtime.open(settings, chain_base.client)
    try:
        yield runtime, path
    finally:
        runtime.close()
        chain_base.client.dev.restore(snapshot)


def test_service__runs_the_keeper_when_the_setting_is_given(served_with_keeper: tuple[Runtime, Path]) -> None:
    runtime, path = served_with_keeper
    bootstrap(runtime)
    with TestClient(create_app(runtime, background=True)):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not read_permissions(path)[0]:
            time.sleep(0.1)
    accounts, nodes = read_permissions(path)
    assert accounts == [runtime.operator.address.lower()]
    assert nodes == [ENODE]
    assert tomllib.loads(path.read_text())["nodes-allowlist"] == [ENODE]
