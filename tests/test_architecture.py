"""The house's plan, checked: the import graph of edition/ and transforms/ (as edition.transforms).

Every import counts: at the top of a module, inside a function, under ``if TYPE_CHECKING``.
The layers are the README's architecture: the document model, diagnostics and the utilities
everything uses at the bottom; schema, rules, references and query above; the transform stage
and the writers above those; build, cite, serve and the command line on top.  A module may
import its own layer or those below, never those above; and there is no cycle.

What the code does not meet yet is listed here (:data:`PENDING_CYCLES`, :data:`PENDING_UPWARD`,
:data:`PENDING_LARGE`), each with its reason; the tests fail on anything new and on any entry
that no longer holds, so that the lists only ever shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from conftest import REPO

#: Source folder → the package it is installed as.
PACKAGES = {"edition": "edition", "transforms": "edition.transforms"}

#: Lowest first.  A name ending in "*" covers every module whose name starts with what precedes it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("document model, diagnostics and utilities", (
        "edition._version", "edition.names", "edition.diagnostics", "edition.source", "edition.parsed",
        "edition.document", "edition.xinclude",
        # the canonical reference of a node is part of what a Document is (every location carries it);
        # refs.py reads only the tree (names, diagnostics), and resolving a reference given by a user
        # (cite, passages, DTS) stays above, in the layers that use it
        "edition.refs",
        "edition.p4", "edition.paths", "edition.resources", "edition.cache", "edition.speed", "edition.processes",
        "edition.corpus", "edition.cluster", "edition.lock", "edition.exits")),
    ("schema, rules, references and query", (
        "edition.odd", "edition.schema", "edition.schema.*", "edition.rules", "edition.rules.*",
        "edition.validate", "edition.validate_command",
        "edition.schematron*", "edition.passages", "edition.identity",
        "edition.query*", "edition.queries", "edition.xpath_*")),
    ("the transform stage and the writers", ("edition.transforms", "edition.transforms.*")),
    ("build, cite, serve and the command line", (
        "edition", "edition.__main__", "edition.build", "edition.build_command", "edition.plan", "edition.render",
        "edition.swap", "edition.incremental", "edition.series", "edition.cite",
        "edition.serve", "edition.dts*", "edition.cli")),
]
COMMANDS = len(LAYERS) - 1

#: Cycles not broken yet, each closing through the edges named (owner of the work in brackets).
PENDING_CYCLES: dict[frozenset[str], str] = {
}

#: Imports of a higher layer from a lower one, not removed yet.
PENDING_UPWARD: dict[tuple[str, str], str] = {
}

#: "About 600 lines" a module: 600 and a screen, so that a module near the mark does not fail
#: on every small change.
MAX_LINES = 650
#: Modules over that, not split by concern yet.
PENDING_LARGE: frozenset[str] = frozenset()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> Iterator[str]:
    """The modules of ours an import statement loads (``from pkg import mod`` loads ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            prefix = ".".join([*base, *([node.module] if node.module else [])])
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix for alias in node.names]
    for name in names:
        if name == "transforms" or name.startswith("transforms."):
            name = f"edition.{name}"  # never written so, but were it, it would mean ours
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known and name != module:
            yield name


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module → the modules of ours it imports, anywhere in its source."""
    known = _modules()
    edges: dict[str, frozenset[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges[module] = frozenset(target for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                                  for target in _targets(module, is_package, node, known))
    return edges


def layer_of(module: str) -> int | None:
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if module == name or (name.endswith("*") and module.startswith(name[:-1])):
                return index
    return None


def cycles(edges: dict[str, frozenset[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    edges = graph()
    assert "edition.transforms.text" in edges["edition.cite"]  # inside a function (passage_text)
    assert "edition.transforms.citations" in edges["edition.cite"]  # under TYPE_CHECKING, and in cite()
    assert "edition.schema.engines" in edges["edition.schema"]  # relative, from a package's __init__
    assert "edition.transforms.engine" in edges["edition.transforms.html"]  # relative, within transforms/
    assert "edition.document" in edges["edition.transforms.engine"]  # absolute, into edition/
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) \
        == {frozenset({"a", "b", "c"})}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in graph() if layer_of(module) is None)
    assert not unplaced, f"place these modules in a layer of LAYERS (tests/test_architecture.py): {unplaced}"


def test_no_import_cycle() -> None:
    found = cycles(graph())
    new = sorted(sorted(cycle) for cycle in found - set(PENDING_CYCLES))
    assert not new, f"import cycles: {new}; put what both sides need in a module below them"
    gone = sorted(sorted(cycle) for cycle in set(PENDING_CYCLES) - found)
    assert not gone, f"these cycles are broken (or changed): take them out of PENDING_CYCLES: {gone}"


def test_the_named_cycles_are_broken() -> None:
    """The cycles issue 21 named (a writer calling the command layer, the schema and the ODD compiler), and
    those that closed through constants (the TEI's names, the version) or the table's row maker."""
    edges = graph()
    assert "edition.cite" not in edges["edition.transforms.citations"]
    assert "edition.schema" not in edges["edition.odd"] and not any(
        module.startswith("edition.schema.") for module in edges["edition.odd"])
    assert "edition.document" not in edges["edition.odd"] and "edition.document" not in edges["edition.p4"]
    assert "edition" not in edges["edition.cache"]  # the version, not the package's facade
    assert "edition.transforms.behaviours" not in edges["edition.transforms.vocabulary"]  # rows use models.m


def test_no_module_imports_a_layer_above_its_own() -> None:
    edges = graph()
    upward = {(module, target) for module, targets in edges.items() for target in targets
              if (layer_of(module) or 0) < (layer_of(target) or 0)}
    new = sorted(upward - set(PENDING_UPWARD))
    assert not new, "imports of a higher layer: " + "; ".join(
        f"{a} ({LAYERS[layer_of(a) or 0][0]}) imports {b} ({LAYERS[layer_of(b) or 0][0]})" for a, b in new)
    gone = sorted(set(PENDING_UPWARD) - upward)
    assert not gone, f"these upward imports are gone: take them out of PENDING_UPWARD: {gone}"


def test_writers_never_import_the_command_layer() -> None:
    edges = graph()
    wrong = sorted((module, target) for module, targets in edges.items() if module.startswith("edition.transforms")
                   for target in targets if layer_of(target) == COMMANDS)
    assert not wrong, f"writers importing the command layer: {wrong}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_are_of_one_concern(module: str) -> None:
    lines = _modules()[module].read_text(encoding="utf-8").count("\n")
    if module in PENDING_LARGE:
        assert lines > MAX_LINES, f"{module} has {lines} lines now: take it out of PENDING_LARGE"
    else:
        assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by concern (at most about {MAX_LINES})"


# -- per-document state: one mechanism ----------------------------------------------------

#: Names a document is read through (``document.cache[...]``); ``cache`` is a local alias of it.
_DOCUMENT_NAMES = frozenset({"document", "doc", "parsed", "self", "cache"})


def _is_document_cache(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "cache"
    return (isinstance(node, ast.Attribute) and node.attr == "cache" and isinstance(node.value, ast.Name)
            and node.value.id in _DOCUMENT_NAMES)


def _key(node: ast.expr) -> str | None:
    """A cache key written in the source: a string, or an f-string's fixed start."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    return None


def _cache_keys() -> dict[str, set[str]]:
    """Every key a module reads or writes in a document's cache → the modules that do."""
    found: dict[str, set[str]] = {}
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Subscript) and _is_document_cache(node.value):
                key = _key(node.slice)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
                  and node.func.attr in ("get", "setdefault", "pop") and _is_document_cache(node.func.value)):
                key = _key(node.args[0])
            elif (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
                  and _is_document_cache(node.comparators[0])):
                key = _key(node.left)
            if key is not None:
                found.setdefault(key, set()).add(module)
    return found


def test_per_document_state_is_kept_in_the_documents_cache_under_listed_names() -> None:
    from edition.parsed import ParsedFile

    keys = _cache_keys()
    assert {"rules.facts", "stage.decisions", "query.saxon", "query.elementpath"} <= set(keys)  # the reader works
    listed = ParsedFile.__doc__ or ""
    unlisted = sorted(f"{key} ({', '.join(sorted(modules))})" for key, modules in keys.items()
                      if f"``{key}" not in listed)
    assert not unlisted, f"document.cache names not listed in ParsedFile's docstring: {unlisted}"
    # no second mechanism: no table keyed by documents beside their own cache
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        weak = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                and node.attr in ("WeakKeyDictionary", "WeakSet")]
        assert not weak, f"{module} keeps per-document state in a {weak[0]}: use document.cache"
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    "cache" in ast.unparse(decorator) and "cached_property" not in ast.unparse(decorator)
                    for decorator in function.decorator_list):
                annotations = [ast.unparse(argument.annotation) for argument in function.args.args
                               if argument.annotation is not None]
                assert not any("Document" in text or "ParsedFile" in text for text in annotations), \
                    f"{module}.{function.name} caches by document in a functools cache: use document.cache"
