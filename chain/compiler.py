"""Compiling the Solidity sources into ABI and bytecode artifacts, with py-solc-x.

The compiler is an explicit `solc` binary when one is configured (``TANHUI_SOLC`` or the
``solc`` argument), else the npm solc-js compiler through ``scripts/solc``. Artifacts are
written to ``build/contracts/<Name>.json`` (ABI, bytecode, compiler) and
``build/contracts/<Name>.abi.json`` (the bare ABI, for Foundry's ``cast`` and other clients),
and reused while the sources, the compiler and the settings are unchanged.

An installed wheel has no sources: it carries the artifacts compiled when it was built (package
data in ``chain/artifacts``), and :func:`compile_contracts` returns those without looking for a
compiler.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from chain.errors import CompileError
from chain.paths import (
    ARTIFACTS_DIR,
    CONTRACTS_SRC,
    IN_CHECKOUT,
    NODE_MODULES,
    PACKAGED_ARTIFACTS_DIR,
    REPO_ROOT,
    SOLC_WRAPPER,
)

EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]
# Contracts whose artifacts clients need: the three deployed contracts and their interfaces.
PUBLISHED = (
    "TanhuiRegistry",
    "TanhuiCredits",
    "TanhuiExchange",
    "ITanhuiRegistry",
    "ITanhuiCredits",
    "ITanhuiExchange",
)


@dataclass(frozen=True)
class Artifact:
    """A compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    compiler: str

    def to_json(self) -> dict[str, Any]:
        return {
            "contractName": self.name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "compiler": self.compiler,
        }


def solc_binary(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The compiler to run: `explicit`, else ``TANHUI_SOLC``, else the npm wrapper."""
    chosen = explicit or os.environ.get("TANHUI_SOLC")
    if chosen:
        path = Path(chosen)
        if not path.exists():
            raise CompileError(f"the configured solc binary {path} does not exist")
        return path
    if not (NODE_MODULES / "solc").is_dir():
        raise CompileError("the npm solc compiler is not installed: run scripts/setup (npm ci)")
    return SOLC_WRAPPER


def _standard_input() -> dict[str, Any]:
    sources = {
        str(path.relative_to(REPO_ROOT)): {"content": path.read_text(encoding="utf-8")}
        for path in sorted(CONTRACTS_SRC.rglob("*.sol"))
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": REMAPPINGS,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }


def _run_version(binary: Path) -> str:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise CompileError(f"cannot run the solc compiler {binary}: {err}") from err
    for line in out.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise CompileError(f"{binary} --version printed no version: {out.stdout!r}")


def _fingerprint(standard_input: dict[str, Any], version: str, node_modules_lock: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(version.encode())
    digest.update(json.dumps(standard_input, sort_keys=True).encode())
    digest.update(node_modules_lock)
    return digest.hexdigest()


def load_artifact(name: str, artifacts_dir: Path = ARTIFACTS_DIR) -> Artifact:
    """An artifact written by :func:`compile_contracts`."""
    path = artifacts_dir / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CompileError(f"no artifact {path}: compile the contracts first") from err
    return Artifact(
        name=data["contractName"], abi=data["abi"], bytecode=data["bytecode"], compiler=data["compiler"]
    )


def packaged_artifacts(artifacts_dir: Path = PACKAGED_ARTIFACTS_DIR) -> dict[str, Artifact]:
    """The published artifacts an installed wheel carries."""
    try:
        return {name: load_artifact(name, artifacts_dir) for name in PUBLISHED}
    except CompileError as err:
        raise CompileError(
            f"{err} (this installation has no contract sources: the package was built without "
            "its artifacts; build it with scripts/wheel)"
        ) from None


def compile_contracts(
    *, solc: str | os.PathLike[str] | None = None, artifacts_dir: Path = ARTIFACTS_DIR, force: bool = False
) -> dict[str, Artifact]:
    """Compiles ``contracts/src`` (or reuses fresh artifacts) and returns the published artifacts.

    Without the sources (an installed wheel), the artifacts packaged in the wheel: `solc`,
    ``TANHUI_SOLC`` and `force` are not used then, as there is nothing to compile.
    """
    if not IN_CHECKOUT:
        return packaged_artifacts()
    binary = solc_binary(solc)
    standard_input = _standard_input()
    version = _run_version(binary)
    lock = (
        (REPO_ROOT / "package-lock.json").read_bytes() if (REPO_ROOT / "package-lock.json").exists() else b""
    )
    fingerprint = _fingerprint(standard_input, version, lock)
    stamp = artifacts_dir / ".fingerprint"
    if not force and stamp.exists() and stamp.read_text() == fingerprint:
        try:
            return {name: load_artifact(name, artifacts_dir) for name in PUBLISHED}
        except CompileError:
            pass  # an artifact went missing: compile again

    try:
        output = solcx.compile_standard(
            standard_input, solc_binary=binary, base_path=str(REPO_ROOT), allow_paths=[str(REPO_ROOT)]
        )
    except SolcError as err:
        raise CompileError(f"compilation failed:\n{err}") from err

    found: dict[str, Artifact] = {}
    for contracts in output.get("contracts", {}).values():
        for name, data in contracts.items():
            if name in PUBLISHED:
                found[name] = Artifact(
                    name=name,
                    abi=data["abi"],
                    bytecode="0x" + data["evm"]["bytecode"]["object"],
                    compiler=version,
                )
    missing = set(PUBLISHED) - set(found)
    if missing:
        raise CompileError(f"the compiler produced no artifact for {sorted(missing)}")

    artifacts_dir.mkdir(parents=True, exist_ok=True)
    for artifact in found.values():
        _write_json(artifacts_dir / f"{artifact.name}.json", artifact.to_json())
        _write_json(artifacts_dir / f"{artifact.name}.abi.json", artifact.abi)
    stamp.write_text(fingerprint)
    return found


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
