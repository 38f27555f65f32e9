"""A Hyperledger Besu QBFT network kit: the files a permissioned network of validators needs.

:func:`plan_network` builds, in memory, a network of N validators (each with a new secp256k1
node key); :func:`write_network` writes it to a new directory::

    genesis.json                 QBFT genesis: extraData names the validators, zero base fee
    permissions/permissions_config.toml
                                 Besu's local permissioning: nodes-allowlist (every validator)
                                 and accounts-allowlist (who may send transactions)
    validators.json              each validator's name, address, enode URL and ports
    docker-compose.yml           the validators, PostgreSQL and the registry on one host
    registry/Dockerfile          the registry's image, from wheels put in registry/wheels/
    registry/data/               the registry's data directory (its deployment record)
    node<i>/key                  the node's private key (hex, 0600): its validator identity
    node<i>/config.toml          the node's Besu configuration
    node<i>/static-nodes.json    the enode URLs of every other validator

A validator's address is keccak-256 of its 64-byte public key, last 20 bytes; its enode id is
the public key in hex. QBFT's ``extraData`` (block header validator selection) is the RLP list
``[32 zero bytes of vanity, [validator addresses], [] (no vote), 0 (round), [] (no seals)]``.

Pure: no registry, no chain connection. Paths inside the configuration files are those of the
containers of the compose file (the network directory's files are mounted under ``/network``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_keys.datatypes import PrivateKey
from eth_utils.address import is_hex_address, to_checksum_address

#: The chain id when none is given: stable, and far from public networks' ids.
DEFAULT_CHAIN_ID = 20261130
#: QBFT needs one validator; it tolerates f faulty ones with 3f + 1 (4 tolerate 1).
MIN_VALIDATORS = 1
MAX_VALIDATORS = 32
RECOMMENDED_VALIDATORS = 4
DEFAULT_BLOCK_PERIOD = 2  # seconds
EPOCH_LENGTH = 30_000
REQUEST_TIMEOUT = 10  # seconds
#: A free-gas network: a high block gas limit (as Besu's QBFT examples), and contracts up to
#: four times mainnet's size limit.
GAS_LIMIT = 0x29B92700
CONTRACT_SIZE_LIMIT = 4 * 24_576
#: The mix hash every BFT block carries (the ASCII of "ctical byzantine fault tolerance").
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"

BESU_IMAGE = "hyperledger/besu:24.12.2"
POSTGRES_IMAGE = "postgres:16.6"
PYTHON_IMAGE = "python:3.11.11-slim"
P2P_PORT = 30303
RPC_PORT = 8545
REGISTRY_PORT = 8000
#: The compose network; validator i listens on SUBNET_PREFIX.(10 + i).
SUBNET_PREFIX = "172.28.13"
#: What the validators' JSON-RPC offers the registry: the chain, the QBFT state, and PERM for
#: the permissions keeper's perm_reloadPermissionsFromFile (never expose it outside).
RPC_APIS = ("ETH", "NET", "WEB3", "QBFT", "PERM")
#: Besu's eth_getLogs limit, in blocks; the registry's TANHUI_MAX_LOGS_RANGE stays at or below.
MAX_LOGS_RANGE = 1000

GENESIS = "genesis.json"
PERMISSIONS = "permissions/permissions_config.toml"
VALIDATORS = "validators.json"
COMPOSE = "docker-compose.yml"
CONTAINER_ROOT = "/network"


class NetworkError(ValueError):
    """A network kit cannot be made as asked (the message says why)."""


# -- RLP (encoding only; the tests decode with an independent library) -----------------------


RlpItem = bytes | Sequence["RlpItem"]


def _length_prefix(length: int, short: int) -> bytes:
    if length < 56:
        return bytes([short + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([short + 55 + len(size)]) + size


def rlp_encode(item: RlpItem) -> bytes:
    """The RLP encoding of a byte string or a (nested) list of them."""
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _length_prefix(len(item), 0x80) + item
    payload = b"".join(rlp_encode(i) for i in item)
    return _length_prefix(len(payload), 0xC0) + payload


def qbft_extra_data(addresses: Sequence[str]) -> str:
    """QBFT's genesis ``extraData`` naming `addresses` as the validators (block header selection):
    RLP of [32-byte vanity, [addresses], no vote, round 0, no seals]."""
    if not addresses:
        raise NetworkError("QBFT needs at least one validator")
    raw = []
    for a in addresses:
        if not is_hex_address(a):
            raise NetworkError(f"not an address: {a!r}")
        raw.append(bytes.fromhex(a[2:] if a.startswith(("0x", "0X")) else a))
    return "0x" + rlp_encode([bytes(32), raw, [], b"", []]).hex()


# -- validators --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    index: int  # 1-based
    private_key: bytes = field(repr=False)
    host: str
    p2p_port: int = P2P_PORT
    rpc_port: int = RPC_PORT

    @property
    def name(self) -> str:
        return f"validator{self.index}"

    @property
    def directory(self) -> str:
        return f"node{self.index}"

    @property
    def public_key(self) -> bytes:
        """The 64-byte uncompressed public key (no 04 prefix)."""
        return PrivateKey(self.private_key).public_key.to_bytes()

    @property
    def address(self) -> str:
        return str(PrivateKey(self.private_key).public_key.to_checksum_address())

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key.hex()}@{self.host}:{self.p2p_port}"

    def key_file_text(self) -> str:
        """The node key file as Besu writes it: the private key in hex, 0x-prefixed."""
        return "0x" + self.private_key.hex()


_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def new_private_key() -> bytes:
    """A random secp256k1 private key (drawn again in the negligible case it is out of range)."""
    while True:
        candidate = secrets.token_bytes(32)
        if 0 < int.from_bytes(candidate, "big") < _SECP256K1_N:
            return candidate


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkPlan:
    """Everything :func:`write_network` writes, in memory."""

    chain_id: int
    block_period: int
    validators: tuple[Validator, ...]
    operator: str | None
    operator_balance_wei: int

    def genesis(self) -> dict[str, Any]:
        alloc: dict[str, dict[str, str]] = {}
        if self.operator is not None and self.operator_balance_wei > 0:
            alloc[self.operator[2:].lower()] = {"balance": hex(self.operator_balance_wei)}
        return {
            "config": {
                "chainId": self.chain_id,
                "homesteadBlock": 0,
                "eip150Block": 0,
                "eip155Block": 0,
                "eip158Block": 0,
                "byzantiumBlock": 0,
                "constantinopleBlock": 0,
                "petersburgBlock": 0,
                "istanbulBlock": 0,
                "berlinBlock": 0,
                "londonBlock": 0,
                # The contracts are compiled for Cancun (PUSH0, MCOPY, transient storage).
                "shanghaiTime": 0,
                "cancunTime": 0,
                "zeroBaseFee": True,
                "contractSizeLimit": CONTRACT_SIZE_LIMIT,
                "qbft": {
                    "blockperiodseconds": self.block_period,
                    "epochlength": EPOCH_LENGTH,
                    "requesttimeoutseconds": REQUEST_TIMEOUT,
                },
            },
            "nonce": "0x0",
            "timestamp": "0x0",
            "gasLimit": hex(GAS_LIMIT),
            "difficulty": "0x1",
            "mixHash": BFT_MIX_HASH,
            "coinbase": "0x" + "00" * 20,
            "alloc": alloc,
            "extraData": qbft_extra_data([v.address for v in self.validators]),
        }

    def accounts_allowlist(self) -> list[str]:
        return [self.operator] if self.operator is not None else []

    def permissions(self) -> str:
        return permissions_toml(self.accounts_allowlist(), [v.enode for v in self.validators])

    def static_nodes(self, validator: Validator) -> list[str]:
        return [v.enode for v in self.validators if v.index != validator.index]

    def node_config(self, validator: Validator) -> dict[str, Any]:
        """Besu's TOML options for `validator` (container paths)."""
        node = f"{CONTAINER_ROOT}/{validator.directory}"
        permissions = f"{CONTAINER_ROOT}/{PERMISSIONS}"
        return {
            "data-path": "/data",
            "genesis-file": f"{CONTAINER_ROOT}/{GENESIS}",
            "node-private-key-file": f"{node}/key",
            "identity": validator.name,
            "logging": "INFO",
            # A free-gas network: transactions with a zero gas price are mined.
            "min-gas-price": 0,
            # P2P: the other validators are static peers; no discovery on a permissioned network.
            "p2p-enabled": True,
            "p2p-host": validator.host,
            "p2p-port": validator.p2p_port,
            "discovery-enabled": False,
            "static-nodes-file": f"{node}/static-nodes.json",
            "permissions-nodes-config-file-enabled": True,
            "permissions-nodes-config-file": permissions,
            "permissions-accounts-config-file-enabled": True,
            "permissions-accounts-config-file": permissions,
            # JSON-RPC on the private network only (the compose file publishes validator1's
            # port on the host's loopback interface, no other).
            "rpc-http-enabled": True,
            "rpc-http-host": "0.0.0.0",
            "rpc-http-port": validator.rpc_port,
            "rpc-http-api": list(RPC_APIS),
            "host-allowlist": ["localhost", "127.0.0.1", validator.name, validator.host, "registry"],
            "rpc-max-logs-range": MAX_LOGS_RANGE,
            "revert-reason-enabled": True,
            "metrics-enabled": True,
            "metrics-host": "0.0.0.0",
        }

    def validators_summary(self) -> list[dict[str, Any]]:
        return [
            {
                "name": v.name,
                "directory": v.directory,
                "address": v.address,
                "enode": v.enode,
                "p2p_port": v.p2p_port,
                "rpc_url": f"http://{v.name}:{v.rpc_port}",
            }
            for v in self.validators
        ]

    def compose(self) -> dict[str, Any]:
        """The compose project: the validators, PostgreSQL and the registry, on one host."""
        services: dict[str, Any] = {}
        for v in self.validators:
            service: dict[str, Any] = {
                "image": BESU_IMAGE,
                "restart": "unless-stopped",
                "command": [f"--config-file={CONTAINER_ROOT}/{v.directory}/config.toml"],
                # Read-only, and only what this node reads: not the other nodes' keys.
                "volumes": [
                    f"./{GENESIS}:{CONTAINER_ROOT}/{GENESIS}:ro",
                    f"./{v.directory}:{CONTAINER_ROOT}/{v.directory}:ro",
                    f"./permissions:{CONTAINER_ROOT}/permissions:ro",
                    f"{v.name}-data:/data",
                ],
                "networks": {"tanhui": {"ipv4_address": v.host}},
            }
            if v.index == 1:
                service["ports"] = [f"127.0.0.1:{v.rpc_port}:{v.rpc_port}"]
            services[v.name] = service
        services["postgres"] = {
            "image": POSTGRES_IMAGE,
            "restart": "unless-stopped",
            "environment": {
                "POSTGRES_DB": "tanhui",
                "POSTGRES_USER": "tanhui",
                "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
            },
            "volumes": ["postgres-data:/var/lib/postgresql/data"],
            "networks": ["tanhui"],
        }
        rpc_urls = ",".join(f"http://{v.name}:{v.rpc_port}" for v in self.validators)
        services["registry"] = {
            "build": {"context": "./registry"},
            "restart": "unless-stopped",
            "depends_on": ["postgres", *(v.name for v in self.validators)],
            "environment": {
                "TANHUI_ENV": "production",
                "TANHUI_DATA_DIR": "/var/lib/tanhui",
                "TANHUI_RPC_URL": f"http://validator1:{RPC_PORT}",
                "TANHUI_DATABASE_URL": "postgresql+psycopg://tanhui:"
                + "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432/tanhui",
                "TANHUI_OPERATOR_KEY": "${TANHUI_OPERATOR_KEY:?set TANHUI_OPERATOR_KEY}",
                "TANHUI_KEYSTORE_SECRET": "${TANHUI_KEYSTORE_SECRET:?set TANHUI_KEYSTORE_SECRET}",
                "TANHUI_CONFIRMATIONS": "0",
                "TANHUI_MAX_LOGS_RANGE": str(MAX_LOGS_RANGE),
                "TANHUI_ACCOUNT_FUNDING_WEI": "0",
                "TANHUI_HOST": "0.0.0.0",
                "TANHUI_PORT": str(REGISTRY_PORT),
                "TANHUI_BESU_PERMISSIONS_FILE": f"{CONTAINER_ROOT}/{PERMISSIONS}",
                "TANHUI_BESU_PERMISSIONS_RPC_URLS": rpc_urls,
            },
            # The keeper rewrites the permissions file; the data directory holds the deployment
            # record (`tanhui deploy --data-dir registry/data`) and the operator's token.
            "volumes": [f"./permissions:{CONTAINER_ROOT}/permissions", "./registry/data:/var/lib/tanhui"],
            "ports": [f"127.0.0.1:{REGISTRY_PORT}:{REGISTRY_PORT}"],
            "networks": ["tanhui"],
        }
        volumes: dict[str, dict[str, Any]] = {f"{v.name}-data": {} for v in self.validators}
        volumes["postgres-data"] = {}
        return {
            "name": "tanhui",
            "services": services,
            "volumes": volumes,
            "networks": {"tanhui": {"ipam": {"config": [{"subnet": f"{SUBNET_PREFIX}.0/24"}]}}},
        }

    def files(self) -> dict[str, tuple[str, int]]:
        """Every file of the kit: relative path -> (text, permission bits)."""
        files: dict[str, tuple[str, int]] = {
            GENESIS: (json.dumps(self.genesis(), indent=2) + "\n", 0o644),
            PERMISSIONS: (self.permissions(), 0o644),
            VALIDATORS: (json.dumps(self.validators_summary(), indent=2) + "\n", 0o644),
            COMPOSE: (to_yaml(self.compose()), 0o644),
            "registry/Dockerfile": (REGISTRY_DOCKERFILE, 0o644),
        }
        for v in self.validators:
            files[f"{v.directory}/key"] = (v.key_file_text(), 0o600)
            files[f"{v.directory}/config.toml"] = (to_toml(self.node_config(v)), 0o644)
            files[f"{v.directory}/static-nodes.json"] = (
                json.dumps(self.static_nodes(v), indent=2) + "\n",
                0o644,
            )
        return files


REGISTRY_DOCKERFILE = f"""\
# The registry service, installed from wheels only (no network at build time): put the tanhui
# wheel and its dependencies' wheels in ./wheels first (see docs/production.md).
FROM {PYTHON_IMAGE}
COPY wheels/ /wheels/
RUN pip install --no-index --find-links /wheels tanhui && rm -rf /wheels
RUN useradd --create-home tanhui && mkdir -p /var/lib/tanhui && chown tanhui /var/lib/tanhui
USER tanhui
EXPOSE {REGISTRY_PORT}
CMD ["tanhui", "serve"]
"""


def plan_network(
    validators: int,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    block_period: int = DEFAULT_BLOCK_PERIOD,
    operator: str | None = None,
    operator_balance_wei: int = 0,
    hosts: Sequence[str] | None = None,
) -> NetworkPlan:
    """A network of `validators` new validators; `hosts` (one per validator) are the addresses
    the validators advertise to each other, by default the compose network's."""
    if not MIN_VALIDATORS <= validators <= MAX_VALIDATORS:
        raise NetworkError(
            f"--validators must be {MIN_VALIDATORS} to {MAX_VALIDATORS} (got {validators}); "
            f"QBFT tolerates f faulty validators with 3f + 1, so {RECOMMENDED_VALIDATORS} tolerate one"
        )
    if not 1 <= chain_id < 2**53:
        raise NetworkError(f"the chain id must be 1 to 2**53 - 1 (got {chain_id})")
    if not 1 <= block_period <= 600:
        raise NetworkError(f"the block period must be 1 to 600 seconds (got {block_period})")
    if operator_balance_wei < 0:
        raise NetworkError("the operator's balance cannot be negative")
    if operator is not None:
        if not is_hex_address(operator):
            raise NetworkError(f"--operator is not an address: {operator!r}")
        operator = to_checksum_address(operator)
    elif operator_balance_wei:
        raise NetworkError("an operator balance needs --operator")
    if hosts is None:
        hosts = [f"{SUBNET_PREFIX}.{10 + i}" for i in range(1, validators + 1)]
    elif len(hosts) != validators:
        raise NetworkError(f"--hosts names {len(hosts)} hosts for {validators} validators")
    for host in hosts:
        if not host or any(c in host for c in "@:/ \t\n\"'"):
            raise NetworkError(f"not a host name or IP address: {host!r}")
    members = tuple(Validator(i, new_private_key(), hosts[i - 1]) for i in range(1, validators + 1))
    return NetworkPlan(chain_id, block_period, members, operator, operator_balance_wei)


def write_network(plan: NetworkPlan, out: Path) -> None:
    """Writes the kit into `out`, a new (or empty) directory: all of it or, on an error, nothing
    (the files are written to a temporary directory beside it, then moved into place)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetworkError(f"{out} exists and is not an empty directory: choose a new one")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for relative, (text, mode) in plan.files().items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(path, mode)  # whatever the umask
        (staging / "registry" / "wheels").mkdir()
        (staging / "registry" / "data").mkdir()
        os.chmod(staging, 0o755)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# -- Besu's permissions file -------------------------------------------------------------------


def permissions_toml(accounts: Sequence[str], nodes: Sequence[str] | None) -> str:
    """Besu's permissions configuration file: ``accounts-allowlist`` (lower-case addresses) and,
    unless `nodes` is None, ``nodes-allowlist`` (enode URLs)."""
    config: dict[str, Any] = {"accounts-allowlist": [a.lower() for a in accounts]}
    if nodes is not None:
        config["nodes-allowlist"] = list(nodes)
    return to_toml(config)


# -- small writers (the values the kit uses: strings, integers, booleans, lists of strings) -----


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def to_toml(config: Mapping[str, Any]) -> str:
    """Top-level ``key=value`` lines (Besu reads its options so)."""
    return "".join(f"{key}={_toml_value(value)}\n" for key, value in config.items())


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a YAML double-quoted scalar
    raise TypeError(f"no YAML for {type(value).__name__}")


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml_lines(item, indent + 1))
            elif isinstance(item, Mapping):
                lines.append(f"{pad}{key}: {{}}")
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: []")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and item:
                inner = _yaml_lines(item, indent + 1)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    return lines


def to_yaml(document: Mapping[str, Any]) -> str:
    """Block-style YAML of mappings, lists and scalars (strings always quoted)."""
    return "\n".join(_yaml_lines(document, 0)) + "\n"
