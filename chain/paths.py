"""Where the contracts' sources, tools and compiled artifacts are.

Two layouts: a checkout of the repository (``contracts/src`` beside the packages), where the
contracts are compiled on demand into ``build/contracts``; and an installed wheel, which carries
the compiled artifacts as package data in ``chain/artifacts`` (``scripts/wheel`` puts them there)
and has no sources to compile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
CONTRACTS_SRC = REPO_ROOT / "contracts" / "src"
NODE_MODULES = REPO_ROOT / "node_modules"
BUILD_DIR = REPO_ROOT / "build"
SOLC_WRAPPER = REPO_ROOT / "scripts" / "solc"
#: The compiled artifacts a wheel carries (absent from a checkout until scripts/wheel stages one).
PACKAGED_ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"


def in_checkout(root: Path = REPO_ROOT) -> bool:
    """Whether `root` is a checkout of the repository (or a copy of it, like mutmut's), with the
    contracts' sources to compile: an installed package's parent is site-packages."""
    return (root / "contracts" / "src").is_dir()


IN_CHECKOUT = in_checkout()
#: Where the artifacts are read: the checkout's build, else the wheel's package data.
ARTIFACTS_DIR = BUILD_DIR / "contracts" if IN_CHECKOUT else PACKAGED_ARTIFACTS_DIR


def node_tool(name: str) -> Path:
    """The path of a Foundry tool (`anvil`, `forge`, `cast`): the npm-installed one of a checkout,
    else (an installed wheel) the one on PATH.

    The platform package's native binary is preferred to the `node_modules/.bin` launcher,
    which starts Node.js first.
    """
    for native in sorted((NODE_MODULES / "@foundry-rs").glob(f"{name}-*/bin/{name}")):
        return native
    launcher = NODE_MODULES / ".bin" / name
    if not IN_CHECKOUT and (on_path := shutil.which(name)):
        return Path(on_path)
    return launcher
