from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.compiler import PUBLISHED, compile_contracts, load_artifact
from chain.errors import CompileError, ContractRevert


def test_compile__writes_abi_artifacts_for_clients(tmp_path: Path) -> None:
    artifacts = compile_contracts(artifacts_dir=tmp_path)
    assert set(artifacts) == set(PUBLISHED)
    for name in PUBLISHED:
        bare_abi = json.loads((tmp_path / f"{name}.abi.json").read_text())
        assert bare_abi == artifacts[name].abi
        assert load_artifact(name, tmp_path).abi == bare_abi
    assert artifacts["TanhuiCredits"].bytecode.startswith("0x60")
    assert artifacts["TanhuiCredits"].compiler.startswith("0.8.37")


def test_compile__reuses_fresh_artifacts(tmp_path: Path) -> None:
    compile_contracts(artifacts_dir=tmp_path)
    (tmp_path / "TanhuiRegistry.json").write_text(
        json.dumps({"contractName": "TanhuiRegistry", "abi": [], "bytecode": "0x00", "compiler": "marker"})
    )
    assert compile_contracts(artifacts_dir=tmp_path)["TanhuiRegistry"].compiler == "marker"
    assert compile_contracts(artifacts_dir=tmp_path, force=True)["TanhuiRegistry"].compiler != "marker"


def test_compile__missing_explicit_compiler_is_a_compile_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="does not exist"):
        compile_contracts(solc=tmp_path / "no-such-solc", artifacts_dir=tmp_path)


def test_errors__every_custom_error_of_the_abis_has_a_python_class() -> None:
    names = {
        item["name"]
        for name in ("TanhuiRegistry", "TanhuiCredits")
        for item in compile_contracts()[name].abi
        if item["type"] == "error"
    }
    missing = sorted(n for n in names if n not in ContractRevert.by_name)
    assert missing == []
