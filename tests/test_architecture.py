"""The import graph: layers point one way (api -> registry -> chain) and no package has an import
cycle. It reads imports, so a `TYPE_CHECKING` import counts too: a cycle hidden behind one is
still a cycle to a reader."""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("chain", "registry", "api")
LAYERS = ("api", "registry", "chain")  # each may import only those after it


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


@pytest.mark.parametrize("upper,lower", [(u, low) for i, u in enumerate(LAYERS) for low in LAYERS[:i]])
def test_layers__no_upward_import(graph: grimp.ImportGraph, upper: str, lower: str) -> None:
    """`lower` comes after `upper` in the layer order, so it must not import `upper`."""
    chains = graph.find_shortest_chains(importer=upper, imported=lower, as_packages=True)
    assert not chains, f"{upper} is imported from {lower}: " + "; ".join(" -> ".join(c) for c in chains)


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every module of `package` that takes part in an import cycle, with one cycle through it."""
    found = []
    for module in sorted(m for m in graph.modules if m == package or m.startswith(package + ".")):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                found.append([module, *back])
                break
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_modules__no_import_cycle(graph: grimp.ImportGraph, package: str) -> None:
    cycles = _cycles(graph, package)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_cycle_finder__sees_a_cycle() -> None:
    """The check itself: a graph with a known cycle is reported."""
    g = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        g.add_module(name)
    g.add_import(importer="pkg.a", imported="pkg.b")
    g.add_import(importer="pkg.b", imported="pkg.a")
    g.add_import(importer="pkg.c", imported="pkg.a")
    assert [c[0] for c in _cycles(g, "pkg")] == ["pkg.a", "pkg.b"]
