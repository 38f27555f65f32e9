"""Settings, from the environment (``TANHUI_*``) or explicit arguments.

On the embedded defaults everything lives in one data directory: the local chain's state,
the SQLite database, the deployment record and the participants' encrypted keystores. In
production (``TANHUI_ENV=production``) the service refuses to start without an explicit
database, chain, operator key and keystore secret.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """The settings are incomplete or insecure for the environment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANHUI_", extra="ignore")

    env: Literal["dev", "production"] = "dev"
    data_dir: Path = Field(default=Path(".tanhui"))
    # None: start (or reuse) the embedded local anvil chain under data_dir.
    rpc_url: str | None = None
    # The chain's JSON-RPC URL the explorer's pages give visitors' browsers to check a page
    # against (a node the public may call). None: the registry's own chain URL.
    public_rpc_url: str | None = None
    # The explorer's own address as the public reaches it (https://registry.example.cn): QR codes
    # and PDFs name it. None: the address each request came to (its Host header).
    public_base_url: str | None = None
    # None: SQLite in data_dir.
    database_url: str | None = None
    # The operator's key (the admin and registrar of the registry). None on a development node:
    # its first unlocked account.
    operator_key: SecretStr | None = None
    operator_keystore: Path | None = None
    operator_keystore_password: SecretStr | None = None
    # Encrypts the keystores of participants who bring no key. None in dev: a random secret kept
    # in data_dir/keystore.secret.
    keystore_secret: SecretStr | None = None
    confirmations: int = 0
    max_logs_range: int = 1000
    admin_delay: int = 24 * 3600
    solc: Path | None = None
    # Wei sent to each account the registry creates, on a chain that charges gas.
    account_funding_wei: int = 10**17
    # Where `tanhui serve` listens (its --host and --port override them).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Public points stay valid this many days after the day they were earned (then expire).
    points_validity_days: int = Field(default=730, ge=1, le=36_500)
    # Exchange trades of at least this many kilograms are block trades (their band is ±30 %).
    block_trade_min_kg: int = Field(default=100_000, ge=0, le=2**63 - 1)
    # The scrypt cost (N, a power of two) of the keystores the registry creates. Production
    # keeps at least the default; the test suite lowers it (each keystore then takes
    # milliseconds, not a twentieth of a second).
    keystore_kdf_iterations: int = Field(default=2**14, ge=2**10, le=2**20)
    # Besu account permissioning (docs/production.md): the permissions file whose
    # accounts-allowlist the service keeps equal to the accounts that may send (the operator and
    # every active participant); None: no keeper. The validators' JSON-RPC URLs (comma-separated)
    # are asked to reload it (perm_reloadPermissionsFromFile) after each change.
    besu_permissions_file: Path | None = None
    besu_permissions_rpc_urls: str = ""

    def permissions_rpc_urls(self) -> list[str]:
        """The validators' RPC URLs of ``TANHUI_BESU_PERMISSIONS_RPC_URLS``."""
        return [u.strip() for u in self.besu_permissions_rpc_urls.split(",") if u.strip()]

    @field_validator("besu_permissions_rpc_urls")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        for url in (u.strip() for u in value.split(",")):
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"a validator's RPC URL starts with http:// or https:// (got {url!r})")
        return value

    # Operations (docs/operations.md). The service's log lines: one JSON object a line, or text.
    log_format: Literal["json", "text"] = "text"
    # Prometheus metrics at /metrics, without a token; off: /metrics answers 404.
    metrics_enabled: bool = True
    # /readyz answers 503 when the index is more than this many blocks behind the chain's head.
    ready_max_lag_blocks: int = Field(default=50, ge=0, le=10**9)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'tanhui.db').resolve()}"

    def operator_private_key(self) -> str | None:
        if self.operator_key is not None:
            return self.operator_key.get_secret_value()
        if self.operator_keystore is not None:
            from chain.signers import LocalSigner

            password = (
                self.operator_keystore_password.get_secret_value() if self.operator_keystore_password else ""
            )
            return "0x" + LocalSigner.from_keystore(self.operator_keystore, password).account.key.hex()
        return None

    def keystore_password(self) -> str:
        if self.keystore_secret is not None:
            return self.keystore_secret.get_secret_value()
        if self.env == "production":
            raise SettingsError("TANHUI_KEYSTORE_SECRET is required in production")
        path = self.data_dir / "keystore.secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    @field_validator("keystore_kdf_iterations")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError("the scrypt cost is a power of two")
        return value

    def check_production(self) -> None:
        """Refuses the insecure defaults outside development."""
        if self.env != "production":
            return
        missing = [
            name
            for name, value in (
                ("TANHUI_RPC_URL", self.rpc_url),
                ("TANHUI_DATABASE_URL", self.database_url),
                (
                    "TANHUI_OPERATOR_KEY or TANHUI_OPERATOR_KEYSTORE",
                    self.operator_key or self.operator_keystore,
                ),
                ("TANHUI_KEYSTORE_SECRET", self.keystore_secret),
            )
            if not value
        ]
        if missing:
            raise SettingsError("production needs " + ", ".join(missing))
        if self.keystore_kdf_iterations < 2**14:
            raise SettingsError("production keeps TANHUI_KEYSTORE_KDF_ITERATIONS at 16384 or more")
