"""The house's layers, read from the code itself: every `import` in campaigns/ (migrations
aside) is parsed, and a rule of docs/architecture.md that is broken fails here with the line that
breaks it. No server, no database."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "campaigns"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported (a campaigns module, or any other top-level name)
    line: int
    top: bool  # at module level, not inside a function or class body


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


def imports() -> list[Import]:
    known = modules()
    found = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        top_level = {id(node) for node in tree.body}
        # `if TYPE_CHECKING:` imports run only for the type checker: they count as module level.
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                top_level |= {id(inner) for inner in node.body}
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in known else base)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target != name:
                    found.append(Import(name, target, node.lineno, id(node) in top_level))
    return found


def ours(target: str) -> bool:
    return target == "campaigns" or target.startswith("campaigns.")


def within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def broken(rule: str, found: list[Import]) -> list[str]:
    return [f"{rule}: {i.source} line {i.line} imports {i.target}" for i in found]


def test_the_parser_sees_the_imports_it_must() -> None:
    """A rule checked over no imports would pass whatever the code does."""
    found = {(i.source, i.target) for i in imports()}
    assert ("campaigns.services.submissions", "campaigns.tasks") in found
    assert ("campaigns.views.intake", "campaigns.services.listing") in found
    assert len(found) > 300


def test_no_module_imports_ours_inside_a_function() -> None:
    """An import inside a function hides a cycle: a cycle means a piece is in the wrong module.
    Django's app registry is the exception: `AppConfig.ready()` connects signals and checks."""
    hidden = [i for i in imports() if not i.top and ours(i.target) and i.source != "campaigns.apps"]
    assert broken("import inside a function", hidden) == []


def test_there_are_no_import_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for i in imports():
        if ours(i.target):
            graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    assert cycles == []


# Above the pure layers: what they must never import. Django's translation and formats are
# allowed (words in the reader's language); its database and settings are not.
ABOVE_THE_PURE = (
    "campaigns.models",
    "campaigns.services",
    "campaigns.selectors",
    "campaigns.presentation",
    "campaigns.database",
    "campaigns.views",
    "campaigns.forms",
    "campaigns.tasks",
    "campaigns.thulium.client",
    "campaigns.thulium.connection",
    "requests",
    "django.db",
    "django.conf",
)


@pytest.mark.parametrize(
    "layer",
    [
        # What Thulium would refuse is decided from values and the campaign's rules alone.
        "campaigns.rules",
        # Reading a file needs no database and no Thulium: only the vocabulary of its headers.
        "campaigns.intake",
    ],
)
def test_the_pure_layers_read_no_models_no_database_and_no_network(layer: str) -> None:
    found = [
        i
        for i in imports()
        if within(i.source, layer)
        and (within(i.target, *ABOVE_THE_PURE) or i.target == "campaigns.thulium")
    ]
    assert broken(layer, found) == []


def test_the_client_imports_nothing_of_ours_but_thuliums_own_words() -> None:
    own = ("campaigns.thulium.vocabulary", "campaigns.thulium.answers")
    found = [
        i
        for i in imports()
        if i.source == "campaigns.thulium.client" and ours(i.target) and not within(i.target, *own)
    ]
    assert broken("client", found) == []


def test_models_know_nothing_of_workflows_pages_or_files() -> None:
    above = (
        "campaigns.services",
        "campaigns.selectors",
        "campaigns.views",
        "campaigns.forms",
        "campaigns.tasks",
        "campaigns.intake",
        "campaigns.presentation",
        "requests",
    )
    found = [
        i for i in imports() if within(i.source, "campaigns.models") and within(i.target, *above)
    ]
    assert broken("models", found) == []


def test_presentation_draws_and_words_what_it_is_given() -> None:
    """Rows, charts and words are made from models and values: the workflows may use the words
    (an e-mail, the command line), so the words never reach back into a workflow."""
    found = [
        i
        for i in imports()
        if within(i.source, "campaigns.presentation")
        and within(
            i.target,
            "campaigns.services",
            "campaigns.selectors",
            "campaigns.views",
            "campaigns.forms",
            "campaigns.tasks",
            "requests",
        )
    ]
    assert broken("presentation", found) == []


def test_reads_and_workflows_never_reach_up_into_pages() -> None:
    pages = ("campaigns.views", "campaigns.forms", "campaigns.templatetags")
    found = [
        i
        for i in imports()
        if within(i.source, "campaigns.services", "campaigns.selectors")
        and within(i.target, *pages)
    ]
    found += [
        i
        for i in imports()
        if within(i.source, "campaigns.selectors") and within(i.target, "campaigns.tasks")
    ]
    assert broken("services and selectors", found) == []


def test_the_sandbox_stands_apart() -> None:
    """The fake Thulium shares no code with the product it stands in for."""
    found = []
    for path in (ROOT / "thulium_sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [
                f"{path.name} line {node.lineno} imports {n}"
                for n in names
                if within(n, "campaigns", "thulium_admin")
            ]
    assert found == []
