"""The protocol package keeps the public names of the former ``draw/protocol.py`` and stays
pure: standard library only, no ORM, no clock, no settings (house style, habit 2)."""

import ast
import sys
from pathlib import Path

import shuangsuiji.draw.protocol as protocol

PUBLIC = {
    "VERSION",
    "RESULT_VERSION",
    "ManifestError",
    "SubstitutionError",
    "Stratum",
    "Inspector",
    "Manifest",
    "Selection",
    "DrawResult",
    "Substitution",
    "PreparedManifest",
    "manifest_build",
    "manifest_parse",
    "manifest_prepare",
    "draw_compute",
    "result_text",
    "seed_bytes",
    "substitution_parse",
    "substitute",
    "teams_replay",
    "RULE_HEADER",
    "RULE_BOM",
    "RULE_ASCII",
    "RULE_LF",
    "RULE_FINAL_NEWLINE",
    "RULE_BLANK",
    "RULE_SPACES",
    "RULE_KIND",
    "RULE_FIELDS",
    "RULE_ID",
    "RULE_NUMBER",
    "RULE_ORDER",
    "RULE_ONE",
    "RULE_SORTED",
    "RULE_UNIQUE",
    "RULE_STRATUM",
    "RULE_N",
    "RULE_REFERENCE",
}
# The modules a draw must never depend on: whatever it reads has to be in its arguments.
FORBIDDEN = {"django", "time", "datetime", "random", "os", "secrets", "shuangsuiji"}


def test_every_public_name_is_importable_from_the_package():
    assert PUBLIC <= set(protocol.__all__)
    for name in PUBLIC:
        assert getattr(protocol, name) is not None, name
    assert protocol.draw_compute.__module__ == "shuangsuiji.draw.protocol.compute"


def test_the_package_imports_the_standard_library_and_itself_only():
    folder = Path(protocol.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= sys.stdlib_module_names - FORBIDDEN, (path.name, roots)


def test_no_module_of_the_package_passes_the_size_guideline():
    for path in Path(protocol.__file__).parent.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 500, path.name
