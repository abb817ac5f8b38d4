"""Layers point one way (style.md rule 13; issue 10): an app imports only ``common`` and the
apps below it. A function-local import counts too — it hides a loop, it does not fix it.

There are no exceptions: where a lower app needs a higher one's work, the higher app
registers it in its ``AppConfig.ready()`` (importers with the imports app, the visit
services with the draw: ``draw/hooks.py``)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "shuangsuiji"

# Lowest first. The project modules (settings, urls, cli, views, api) and the demo package
# (shuangsuiji/demo/, which fills every app) sit on top of all.
LAYERS = [
    "common",
    "audit",
    "accounts",
    "notices",
    "imports",
    "workdays",
    "catalog",
    "registry",
    "planning",
    "draw",
    "inspection",
    "disclosure",
    "documents",
    "licences",
    "stats",
]
RANK = {app: i for i, app in enumerate(LAYERS)}
# catalog and registry are siblings: neither imports the other.
SIBLINGS = {frozenset({"catalog", "registry"})}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found |= {
            n.split(".")[1] for n in names if n.startswith("shuangsuiji.") and n.count(".") >= 1
        }
    return found


def _violations() -> set[tuple[str, str]]:
    out = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) < 2 or "migrations" in rel.parts:
            continue  # project modules (settings, urls, cli, demo) may import anything
        app = rel.parts[0]
        for target in _imports(path) - {app}:
            if target == "demo" or (
                target in RANK
                and app in RANK
                and (RANK[target] >= RANK[app] or frozenset({app, target}) in SIBLINGS)
            ):
                out.add((rel.as_posix(), target))
    return out


def test_no_app_imports_upwards():
    found = sorted(_violations())
    assert not found, f"imports against the layers (a lower app imports a higher one): {found}"


def test_the_check_sees_a_function_local_import(tmp_path):
    # The rule covers imports hidden inside functions, and the check must be able to fail.
    app = tmp_path / "common"
    app.mkdir()
    (app / "x.py").write_text("def f():\n    from shuangsuiji.draw import hooks\n")
    globals()["SRC"], saved = tmp_path, SRC
    try:
        assert _violations() == {("common/x.py", "draw")}
    finally:
        globals()["SRC"] = saved


def _private_imports() -> list[tuple[str, str]]:
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        own = rel.parts[0] if len(rel.parts) > 1 else ""
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shuangsuiji."):
                app = node.module.split(".")[1]
                found += [
                    (rel.as_posix(), f"{node.module}.{a.name}")
                    for a in node.names
                    if a.name.startswith("_") and app != own
                ]
    return sorted(found)


def test_no_module_imports_another_apps_private_names():
    # A leading underscore means "this app's own": another app asks through a public service.
    assert _private_imports() == []
