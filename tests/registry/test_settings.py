"""Settings the code relies on being sane: the keystores' scrypt cost."""

from __future__ import annotations

import pytest
from eth_account import Account
from pydantic import ValidationError

from registry.custody import create_keystore
from registry.settings import Settings, SettingsError

PRODUCTION = {
    "env": "production",
    "rpc_url": "http://node:8545",
    "database_url": "postgresql://db/tanhui",
    "operator_key": "0x" + "11" * 32,
    "keystore_secret": "s3cret",
}


def test_kdf_iterations__a_power_of_two_within_bounds() -> None:
    assert Settings(keystore_kdf_iterations=1024).keystore_kdf_iterations == 1024
    for bad in (1000, 512, 2**21):
        with pytest.raises(ValidationError):
            Settings(keystore_kdf_iterations=bad)


def test_kdf_iterations__production_keeps_the_default_cost() -> None:
    # (The suite's environment lowers the cost: tests/conftest.py.)
    Settings(**PRODUCTION, keystore_kdf_iterations=2**14).check_production()  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="KDF_ITERATIONS"):
        Settings(**PRODUCTION, keystore_kdf_iterations=1024).check_production()  # type: ignore[arg-type]


def test_create_keystore__uses_the_cost_given_and_decrypts() -> None:
    address, keystore = create_keystore("pw", 1024)
    assert keystore["crypto"]["kdfparams"]["n"] == 1024
    assert Account.from_key(Account.decrypt(keystore, "pw")).address == address
