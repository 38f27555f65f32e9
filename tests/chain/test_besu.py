"""The Besu QBFT network kit: the genesis extraData decodes (with the independent ``rlp`` library)
to exactly the validators of the key files written, and every file parses and points where it
should. Besu itself cannot run here: what it would read is checked, not what it would do."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import rlp
import yaml
from eth_account import Account
from eth_keys.datatypes import PrivateKey

from chain.besu import (
    BFT_MIX_HASH,
    CONTAINER_ROOT,
    DEFAULT_CHAIN_ID,
    MAX_LOGS_RANGE,
    NetworkError,
    permissions_toml,
    plan_network,
    qbft_extra_data,
    rlp_encode,
    write_network,
)

# Besu's documentation's QBFT genesis example (four validators), byte for byte.
BESU_DOC_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b"
    "7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5"
    "b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)
BESU_DOC_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]


@pytest.fixture
def network(tmp_path: Path) -> Path:
    out = tmp_path / "net"
    write_network(plan_network(4), out)
    return out


def key_files(out: Path) -> list[Path]:
    return sorted(out.glob("node*/key"), key=lambda p: int(p.parent.name[4:]))


def address_of_key_file(path: Path) -> str:
    """The account of a node key file, derived with eth-account (not the kit's code)."""
    return str(Account.from_key(path.read_text().strip()).address)


def public_key_of_key_file(path: Path) -> str:
    return PrivateKey(bytes.fromhex(path.read_text().strip().removeprefix("0x"))).public_key.to_bytes().hex()


def decode_extra_data(extra: str) -> list[Any]:
    decoded = rlp.decode(bytes.fromhex(extra.removeprefix("0x")))
    assert isinstance(decoded, list)
    return decoded


# -- extraData -----------------------------------------------------------------------------------


def test_extra_data__reproduces_besus_documented_example() -> None:
    assert qbft_extra_data(BESU_DOC_VALIDATORS) == BESU_DOC_EXTRA_DATA


def test_extra_data__no_validator_or_a_bad_address_is_refused() -> None:
    with pytest.raises(NetworkError, match="at least one validator"):
        qbft_extra_data([])
    with pytest.raises(NetworkError, match="not an address"):
        qbft_extra_data(["0x1234"])


@pytest.mark.parametrize(
    "item",
    [
        b"",
        b"\x00",
        b"\x7f",
        b"\x80",
        b"x" * 55,
        b"y" * 56,
        b"z" * 1024,
        [],
        [b"a", [b"b", []], b""],
        [b"q" * 30, b"r" * 30],  # a list payload of 62 bytes: the long form
        [[b"\x01" * 20] * 40],
    ],
)
def test_rlp_encode__agrees_with_the_rlp_library(item: Any) -> None:
    assert rlp_encode(item) == rlp.encode(item)


def test_init__genesis_extra_data_names_exactly_the_validators_of_the_written_keys(network: Path) -> None:
    genesis = json.loads((network / "genesis.json").read_text())
    vanity, validators, votes, round_, seals = decode_extra_data(genesis["extraData"])
    assert vanity == bytes(32)
    assert votes == [] and round_ == b"" and seals == []
    keys = key_files(network)
    assert len(keys) == 4
    expected = [address_of_key_file(k).lower() for k in keys]
    assert ["0x" + v.hex() for v in validators] == expected
    assert len(set(expected)) == 4
    # validators.json agrees with the keys too.
    summary = json.loads((network / "validators.json").read_text())
    assert [v["address"].lower() for v in summary] == expected


def test_init__a_new_network_has_new_keys(tmp_path: Path) -> None:
    write_network(plan_network(1), tmp_path / "a")
    write_network(plan_network(1), tmp_path / "b")
    assert (tmp_path / "a/node1/key").read_text() != (tmp_path / "b/node1/key").read_text()


# -- the genesis ---------------------------------------------------------------------------------


def test_genesis__qbft_with_free_gas_and_nobody_funded(network: Path) -> None:
    genesis = json.loads((network / "genesis.json").read_text())
    config = genesis["config"]
    assert config["chainId"] == DEFAULT_CHAIN_ID
    assert config["qbft"] == {"blockperiodseconds": 2, "epochlength": 30000, "requesttimeoutseconds": 10}
    assert config["zeroBaseFee"] is True
    assert config["londonBlock"] == 0 and config["berlinBlock"] == 0
    # The contracts are compiled for Cancun.
    assert config["shanghaiTime"] == 0 and config["cancunTime"] == 0
    assert config["contractSizeLimit"] > 24_576
    assert genesis["difficulty"] == "0x1"
    assert genesis["mixHash"] == BFT_MIX_HASH
    assert bytes.fromhex(BFT_MIX_HASH[2:]).endswith(b"byzantine fault tolerance")
    assert int(genesis["gasLimit"], 16) >= 30_000_000
    assert genesis["alloc"] == {}
    assert "ibft2" not in config and "clique" not in config


def test_genesis__chain_id_block_period_and_a_funded_operator(tmp_path: Path) -> None:
    operator = Account.create().address
    plan = plan_network(
        1, chain_id=4242, block_period=5, operator=operator.lower(), operator_balance_wei=10**18
    )
    write_network(plan, tmp_path / "net")
    genesis = json.loads((tmp_path / "net/genesis.json").read_text())
    assert genesis["config"]["chainId"] == 4242
    assert genesis["config"]["qbft"]["blockperiodseconds"] == 5
    assert genesis["alloc"] == {operator[2:].lower(): {"balance": hex(10**18)}}
    # The operator may send from the first block.
    permissions = tomllib.loads((tmp_path / "net/permissions/permissions_config.toml").read_text())
    assert permissions["accounts-allowlist"] == [operator.lower()]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validators": 0}, "1 to 32"),
        ({"validators": 33}, "1 to 32"),
        ({"validators": 4, "chain_id": 0}, "chain id"),
        ({"validators": 4, "block_period": 0}, "block period"),
        ({"validators": 4, "operator": "0xnothex"}, "not an address"),
        ({"validators": 4, "operator_balance_wei": 1}, "needs --operator"),
        ({"validators": 2, "hosts": ["10.0.0.1"]}, "1 hosts for 2"),
        ({"validators": 1, "hosts": ["10.0.0.1:30303"]}, "not a host"),
    ],
)
def test_plan__bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    validators = kwargs.pop("validators")
    with pytest.raises(NetworkError, match=message):
        plan_network(validators, **kwargs)


# -- keys, node configurations, static nodes, permissions -----------------------------------------


def test_keys__readable_by_their_owner_only(network: Path) -> None:
    for key in key_files(network):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        text = key.read_text()
        assert text.startswith("0x") and len(text) == 66 and "\n" not in text


def local(out: Path, container_path: str) -> Path:
    """The file a container path of the kit names, in the written directory."""
    assert container_path.startswith(CONTAINER_ROOT + "/")
    return out / container_path.removeprefix(CONTAINER_ROOT + "/")


def test_node_configs__parse_and_name_the_right_files_and_ports(network: Path) -> None:
    summary = json.loads((network / "validators.json").read_text())
    for i, validator in enumerate(summary, start=1):
        config = tomllib.loads((network / f"node{i}/config.toml").read_text())
        assert local(network, config["node-private-key-file"]) == network / f"node{i}/key"
        assert local(network, config["genesis-file"]) == network / "genesis.json"
        assert local(network, config["static-nodes-file"]) == network / f"node{i}/static-nodes.json"
        for option in ("permissions-nodes-config-file", "permissions-accounts-config-file"):
            assert local(network, config[option]) == network / "permissions/permissions_config.toml"
            assert config[option + "-enabled"] is True
        for option in ("node-private-key-file", "genesis-file", "static-nodes-file"):
            assert local(network, config[option]).is_file()
        assert config["p2p-port"] == validator["p2p_port"] == 30303
        assert config["p2p-host"] == validator["enode"].rsplit("@", 1)[1].split(":")[0]
        assert config["discovery-enabled"] is False
        assert config["min-gas-price"] == 0
        assert config["rpc-http-enabled"] is True and config["rpc-http-port"] == 8545
        assert "PERM" in config["rpc-http-api"] and "ETH" in config["rpc-http-api"]
        # No administration or debugging over RPC.
        assert not {"ADMIN", "DEBUG", "TRACE", "MINER", "TXPOOL"} & set(config["rpc-http-api"])
        assert config["rpc-max-logs-range"] == MAX_LOGS_RANGE <= 1000
        assert "*" not in config["host-allowlist"]


def test_static_nodes__every_other_validator_with_its_host_and_port(tmp_path: Path) -> None:
    hosts = ["10.1.0.5", "10.2.0.5", "validator-c.example", "10.4.0.5"]
    write_network(plan_network(4, hosts=hosts), tmp_path / "net")
    out = tmp_path / "net"
    enodes = [
        f"enode://{public_key_of_key_file(k)}@{h}:30303" for k, h in zip(key_files(out), hosts, strict=True)
    ]
    for i in range(4):
        static = json.loads((out / f"node{i + 1}/static-nodes.json").read_text())
        assert static == [e for j, e in enumerate(enodes) if j != i]
    permissions = tomllib.loads((out / "permissions/permissions_config.toml").read_text())
    assert permissions["nodes-allowlist"] == enodes
    assert permissions["accounts-allowlist"] == []


def test_permissions_toml__parses_with_lower_case_accounts() -> None:
    account = Account.create().address
    parsed = tomllib.loads(permissions_toml([account], ['enode://ab@1.2.3.4:30303?x="y"']))
    assert parsed == {
        "accounts-allowlist": [account.lower()],
        "nodes-allowlist": ['enode://ab@1.2.3.4:30303?x="y"'],
    }
    assert "nodes-allowlist" not in tomllib.loads(permissions_toml([], None))


def mounted(out: Path, volumes: list[str], container_path: str) -> Path:
    """The host file of the kit that a container path is, through the service's bind mounts."""
    for volume in volumes:
        source, target = volume.split(":")[:2]
        if source.startswith("./") and (container_path == target or container_path.startswith(target + "/")):
            return out / source.removeprefix("./") / container_path.removeprefix(target).lstrip("/")
    raise AssertionError(f"{container_path} is not mounted")


# -- the compose file ------------------------------------------------------------------------------


def test_compose__starts_each_validator_postgres_and_the_registry(network: Path) -> None:
    compose = yaml.safe_load((network / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"validator1", "validator2", "validator3", "validator4", "postgres", "registry"}
    for name, service in services.items():
        image = service.get("image")
        if image is not None:  # pinned: a version tag, never latest
            tag = image.rsplit(":", 1)[1]
            assert tag[0].isdigit() and tag != "latest", name
    for i in range(1, 5):
        validator = services[f"validator{i}"]
        assert validator["image"].startswith("hyperledger/besu:")
        assert validator["command"] == [f"--config-file={CONTAINER_ROOT}/node{i}/config.toml"]
        config = tomllib.loads((network / f"node{i}/config.toml").read_text())
        # Every file the node's configuration names reaches its container, read-only.
        for option in (
            "genesis-file",
            "node-private-key-file",
            "static-nodes-file",
            "permissions-accounts-config-file",
        ):
            assert mounted(network, validator["volumes"], config[option]).is_file(), option
        binds = [v for v in validator["volumes"] if v.startswith("./")]
        assert all(v.endswith(":ro") for v in binds)
        # No other node's key.
        assert not any(f"node{j}" in v for v in binds for j in range(1, 5) if j != i)
        assert validator["networks"]["tanhui"]["ipv4_address"] == config["p2p-host"]
        # Only validator1's RPC reaches the host, and only its loopback interface.
        assert validator.get("ports", []) == (["127.0.0.1:8545:8545"] if i == 1 else [])
    assert services["postgres"]["image"].startswith("postgres:")
    registry = services["registry"]
    env = registry["environment"]
    assert env["TANHUI_CONFIRMATIONS"] == "0"
    assert int(env["TANHUI_MAX_LOGS_RANGE"]) <= 1000
    assert (
        env["TANHUI_DATABASE_URL"].startswith("postgresql+psycopg://")
        and "@postgres:5432/" in env["TANHUI_DATABASE_URL"]
    )
    assert env["TANHUI_BESU_PERMISSIONS_FILE"] == f"{CONTAINER_ROOT}/permissions/permissions_config.toml"
    assert env["TANHUI_BESU_PERMISSIONS_RPC_URLS"].split(",") == [
        f"http://validator{i}:8545" for i in range(1, 5)
    ]
    # Secrets come from the operator's environment, never from the kit.
    assert env["TANHUI_OPERATOR_KEY"] == "${TANHUI_OPERATOR_KEY:?set TANHUI_OPERATOR_KEY}"
    assert (network / registry["build"]["context"] / "Dockerfile").is_file()
    # The keeper rewrites the permissions file the validators read.
    assert mounted(network, registry["volumes"], env["TANHUI_BESU_PERMISSIONS_FILE"]).is_file()
    assert not any(v.endswith(":ro") for v in registry["volumes"])
    assert mounted(network, registry["volumes"], env["TANHUI_DATA_DIR"]).is_dir()
    assert set(registry["depends_on"]) == {"postgres", "validator1", "validator2", "validator3", "validator4"}


# -- writing ---------------------------------------------------------------------------------------


def test_write__refuses_a_non_empty_directory_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "net"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(NetworkError, match="not an empty directory"):
        write_network(plan_network(4), out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]  # no staging left behind


def test_write__into_an_empty_directory(tmp_path: Path) -> None:
    out = tmp_path / "net"
    out.mkdir()
    write_network(plan_network(1), out)
    assert (out / "node1/key").is_file() and (out / "registry/wheels").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]


def test_write__a_failure_halfway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_network(2)
    files = plan.files()
    broken = {**files, "node2/config.toml": (files["node2/config.toml"][0], 0o644), "zzz/\0bad": ("x", 0o644)}
    monkeypatch.setattr(type(plan), "files", lambda self: broken)
    with pytest.raises(ValueError):
        write_network(plan, tmp_path / "net")
    assert list(tmp_path.iterdir()) == []
