"""Where the repository keeps its sources, tools and build outputs."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_SRC = REPO_ROOT / "contracts" / "src"
NODE_MODULES = REPO_ROOT / "node_modules"
BUILD_DIR = REPO_ROOT / "build"
ARTIFACTS_DIR = BUILD_DIR / "contracts"
SOLC_WRAPPER = REPO_ROOT / "scripts" / "solc"


def node_tool(name: str) -> Path:
    """The path of an npm-installed Foundry tool (`anvil`, `forge`, `cast`).

    The platform package's native binary is preferred to the `node_modules/.bin` launcher,
    which starts Node.js first.
    """
    for native in sorted((NODE_MODULES / "@foundry-rs").glob(f"{name}-*/bin/{name}")):
        return native
    return NODE_MODULES / ".bin" / name
