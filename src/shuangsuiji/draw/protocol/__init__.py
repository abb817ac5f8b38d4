"""ssj-draw/1 — the publicly verifiable draw (摇号), as pure functions.

Implements ``docs/draw-protocol.md`` (the design text ``draw-protocol.md``) exactly: any
change is a new protocol version, never an edit, because published draws must stay
verifiable forever. This package takes bytes and text and returns results: no ORM, no
clock, no settings (house style, habit 2). Standard library only.

Public functions (imported from here; the modules are the package's inside):

* :func:`manifest_build` — canonical manifest bytes from Python data (sorts as §2 says);
* :func:`manifest_parse` — bytes → :class:`Manifest`, or :class:`ManifestError` naming
  the line and the rule broken (a pool has exactly one manifest);
* :func:`draw_compute` — (manifest bytes, seed text) → :class:`DrawResult` (§4);
* :func:`manifest_prepare` — bytes → :class:`PreparedManifest`: read and checked once,
  for :func:`draw_compute` without reading the bytes again;
* :func:`result_text` — the canonical result text (§5) that ``ssj draw verify`` prints;
* :func:`substitute` / :func:`teams_replay` — 更换 of an inspector, replayed (§4).

Modules: ``rules`` (§2's patterns and rule names), ``reading`` (the two manifest readers),
``manifest`` (build and parse), ``scoring`` (scores, selection of targets), ``matching``
(inspectors), ``result`` (result and its text), ``compute`` (the draw), ``substitution``.

Speed (issue 3 item 10: one million targets): the straightforward reading of §4 is in
``docs/verify_draw.py``; this package computes the same result faster. A manifest is
validated in bulk with bytes operations and falls back to a line-by-line reader (the
one that writes the error messages) as soon as anything looks off; targets are selected
with a score threshold that provably keeps every target the full sort would keep, with
a full sort as fallback; team members are picked by index from a sorted list of
available inspectors instead of rebuilding ``E`` for every target. The tests compare
both paths and the naive verifier on many random and broken manifests.
"""

from .compute import PreparedManifest, draw_compute, manifest_prepare
from .manifest import Inspector, Manifest, Stratum, manifest_build, manifest_parse
from .result import RESULT_VERSION, DrawResult, Selection, result_text
from .rules import (
    RULE_ASCII,
    RULE_BLANK,
    RULE_BOM,
    RULE_FIELDS,
    RULE_FINAL_NEWLINE,
    RULE_HEADER,
    RULE_ID,
    RULE_KIND,
    RULE_LF,
    RULE_N,
    RULE_NUMBER,
    RULE_ONE,
    RULE_ORDER,
    RULE_REFERENCE,
    RULE_SORTED,
    RULE_SPACES,
    RULE_STRATUM,
    RULE_UNIQUE,
    VERSION,
    ManifestError,
)
from .scoring import seed_bytes
from .substitution import (
    Substitution,
    SubstitutionError,
    substitute,
    substitution_parse,
    teams_replay,
)

__all__ = [
    "RESULT_VERSION",
    "RULE_ASCII",
    "RULE_BLANK",
    "RULE_BOM",
    "RULE_FIELDS",
    "RULE_FINAL_NEWLINE",
    "RULE_HEADER",
    "RULE_ID",
    "RULE_KIND",
    "RULE_LF",
    "RULE_N",
    "RULE_NUMBER",
    "RULE_ONE",
    "RULE_ORDER",
    "RULE_REFERENCE",
    "RULE_SORTED",
    "RULE_SPACES",
    "RULE_STRATUM",
    "RULE_UNIQUE",
    "VERSION",
    "DrawResult",
    "Inspector",
    "Manifest",
    "ManifestError",
    "PreparedManifest",
    "Selection",
    "Stratum",
    "Substitution",
    "SubstitutionError",
    "draw_compute",
    "manifest_build",
    "manifest_parse",
    "manifest_prepare",
    "result_text",
    "seed_bytes",
    "substitute",
    "substitution_parse",
    "teams_replay",
]
