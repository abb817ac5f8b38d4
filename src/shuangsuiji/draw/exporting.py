"""The published files of a draw, as ``ssj draw export`` and the public page offer them.

``manifest`` (the frozen bytes), ``seed.txt`` (the seed text exactly as entered, no newline
added), ``result.txt`` (the protocol's result text, then the ``substitute`` lines of
approved substitutions) and ``record.json`` (the 抽查工作记录: times, witnesses, sources,
excluded list, void reason, substitutions with reasons, 直接委派 marked not random).
Anyone can re-run ``ssj draw verify manifest --seed "$(cat seed.txt)"`` on them.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from shuangsuiji.common.errors import Conflict
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.draw import selectors
from shuangsuiji.draw.choices import AssignmentSource, DrawState, SelectionRemedy
from shuangsuiji.draw.models import Assignment, Draw


@dataclass(frozen=True)
class ExportedDraw:
    out_dir: Path
    files: tuple[Path, ...]


def _when(value) -> str | None:
    return value.isoformat() if value else None


def draw_record(*, draw: Draw) -> dict:
    """The JSON record of a draw (public data only: no personal numbers)."""
    task = draw.task
    subs = [
        {
            "seq": s.seq,
            "line": s.line,
            "target": s.selection.target_id,
            "reason": s.reason,
            "requested_at": _when(s.requested_at),
            "approved_by": str(s.decided_by) if s.decided_by_id else None,
            "approved_at": _when(s.decided_at),
        }
        for s in selectors.draw_substitutions(draw=draw).select_related("selection", "decided_by")
    ]
    direct = [
        {
            "target": a.selection.target_id,
            "inspector": a.inspector.cert_no,
            "name": a.inspector.name,
            "reason": a.note,
            "random": False,
        }
        for a in Assignment.objects.filter(selection__draw=draw, source=AssignmentSource.DIRECT)
        .select_related("selection", "inspector")
        .order_by("selection__rank", "position")
    ]
    remedied = list(
        draw.selections.filter(remedy=SelectionRemedy.MATCH).values_list(
            "target_id", "matched_by__draw__number"
        )
    )
    return {
        "protocol": "ssj-draw/1",
        "task": {
            "code": task.code,
            "title": task.title,
            "department": task.department.name,
            "window_start": task.window_start.isoformat(),
            "window_end": task.window_end.isoformat(),
            "status": task.status,
        },
        "draw": {
            "number": draw.number,
            "kind": draw.kind,
            "kind_label": str(draw.get_kind_display()),
            "state": draw.state,
            "state_label": str(draw.get_state_display()),
            "source_number": draw.source.number if draw.source_id else None,
            "replaces_number": draw.replaces.number if draw.replaces_id else None,
        },
        "manifest_sha256": draw.manifest_sha256,
        "manifest_lines": draw.manifest_lines,
        "key": draw.key_hex or None,
        # Public files: a number typed before input refused it is masked here too.
        "seed_sources": mask_personal_numbers(draw.seed_sources),
        "witnesses": [mask_personal_numbers(w) for w in draw.witnesses.split("、") if w],
        "committed_at": _when(draw.committed_at),
        "committed_by": str(draw.committed_by) if draw.committed_by_id else None,
        "drawn_at": _when(draw.drawn_at),
        "confirmed_at": _when(draw.confirmed_at),
        "confirmed_by": str(draw.confirmed_by) if draw.confirmed_by_id else None,
        "dispatched_at": _when(draw.dispatched_at),
        "voided_at": _when(draw.voided_at),
        "void_reason": draw.void_reason or None,
        "selected": draw.selections.count(),
        "unstaffed": list(
            draw.selections.filter(unstaffed=True)
            .order_by("rank")
            .values_list("target_id", flat=True)
        ),
        "remedied_by_match": [{"target": t, "draw_number": n} for t, n in remedied],
        "direct_assignments": direct,
        "substitutions": subs,
        "excluded": draw.excluded,
    }


def draw_export(*, draw: Draw, out_dir: Path | str) -> ExportedDraw:
    """Writes the four files into ``out_dir`` (created if missing). A draw not yet drawn
    exports its manifest and record only: the seed does not exist yet."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = selectors.manifest_file(draw=draw)
    if not src.exists():
        raise Conflict(f"{draw}的名单文件缺失：{draw.manifest_path}")
    files = [out / "manifest"]
    shutil.copyfile(src, files[0])  # streams; a 1,000,000-line manifest is never held in memory
    if draw.result_text:
        seed = out / "seed.txt"
        with seed.open("w", encoding="utf-8", newline="") as fh:
            fh.write(draw.seed_text)  # exactly as entered: no newline added, no normalisation
        result = out / "result.txt"
        with result.open("w", encoding="utf-8", newline="") as fh:
            fh.write(selectors.draw_published_result(draw=draw))
        files += [seed, result]
    elif draw.state not in (DrawState.COMMITTED, DrawState.VOID):
        raise Conflict(f"{draw}缺少结果文本")
    record = out / "record.json"
    record.write_text(
        json.dumps(draw_record(draw=draw), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    files.append(record)
    return ExportedDraw(out_dir=out, files=tuple(files))
