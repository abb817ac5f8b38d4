"""ssj-draw/1 — the publicly verifiable draw (摇号), as pure functions.

Implements ``docs/draw-protocol.md`` (the design text ``draw-protocol.md``) exactly: any
change is a new protocol version, never an edit, because published draws must stay
verifiable forever. This module takes bytes and text and returns results: no ORM, no
clock, no settings (house style, habit 2). Standard library only.

Public functions:

* :func:`manifest_build` — canonical manifest bytes from Python data (sorts as §2 says);
* :func:`manifest_parse` — bytes → :class:`Manifest`, or :class:`ManifestError` naming
  the line and the rule broken (a pool has exactly one manifest);
* :func:`draw_compute` — (manifest bytes, seed text) → :class:`DrawResult` (§4);
* :func:`manifest_prepare` — bytes → :class:`PreparedManifest`: read and checked once,
  for :func:`draw_compute` without reading the bytes again;
* :func:`result_text` — the canonical result text (§5) that ``ssj draw verify`` prints;
* :func:`substitute` / :func:`teams_replay` — 更换 of an inspector, replayed (§4).

Speed (issue 3 item 10: one million targets): the straightforward reading of §4 is in
``docs/verify_draw.py``; this module computes the same result faster. A manifest is
validated in bulk with bytes operations and falls back to a line-by-line reader (the
one that writes the error messages) as soon as anything looks off; targets are selected
with a score threshold that provably keeps every target the full sort would keep, with
a full sort as fallback; team members are picked by index from a sorted list of
available inspectors instead of rebuilding ``E`` for every target. The tests compare
both paths and the naive verifier on many random and broken manifests.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter, lt
from typing import NamedTuple

VERSION = "ssj-draw/1"
RESULT_VERSION = "ssj-draw-result/1"

_HEADER = b"ssj-draw/1"
_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_NUMBER = re.compile(rb"0|[1-9][0-9]{0,8}")
# Bytes that may appear in a target line besides the single spaces and LFs between them.
_ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

# Kind of line → (rank in the canonical order, field names, which fields are numbers).
_KINDS: dict[bytes, tuple[int, tuple[str, ...], tuple[bool, ...]]] = {
    b"task": (0, ("<code>",), (False,)),
    b"team": (1, ("<k>",), (True,)),
    b"stratum": (2, ("<name>", "<n>"), (False, True)),
    b"target": (3, ("<id>", "<stratum>"), (False, False)),
    b"inspector": (4, ("<id>", "<capacity>"), (False, True)),
    b"conflict": (5, ("<inspector-id>", "<target-id>"), (False, False)),
}
_ORDER = "task、team、stratum、target、inspector、conflict"

# The rules of §2, as named in error messages (清单规则).
RULE_HEADER = "首行必须是 ssj-draw/1"
RULE_BOM = "UTF-8 编码，不带 BOM"
RULE_ASCII = "编号、名称与数字只含 ASCII 字符"
RULE_LF = "只用 LF（\\n）换行，不得用 CRLF"
RULE_FINAL_NEWLINE = "文件以恰好一个换行符结尾"
RULE_BLANK = "不得有空行"
RULE_SPACES = "字段之间恰好一个空格，行首行尾不得有空格"
RULE_KIND = f"行类型只能是 {_ORDER}"
RULE_FIELDS = "每类行的字段个数固定"
RULE_ID = "编号、名称须匹配 [A-Za-z0-9._-]{1,64}"
RULE_NUMBER = "数字为不带前导零的十进制数（0|[1-9][0-9]{0,8}）"
RULE_ORDER = f"行按 {_ORDER} 的顺序排列"
RULE_ONE = "task 行与 team 行各恰好一行"
RULE_SORTED = "同类行按编号升序排列（conflict 按执法人员编号、再按检查对象编号）"
RULE_UNIQUE = "每个编号只出现一次"
RULE_STRATUM = "检查对象的层级必须有对应的 stratum 行"
RULE_N = "stratum 的抽取数 n 不得大于该层级的检查对象数"
RULE_REFERENCE = "conflict 中的执法人员与检查对象必须已在清单中列出"


class ManifestError(ValueError):
    """The manifest breaks a rule of §2; ``line`` is 1-based, ``rule`` names the rule."""

    def __init__(self, line: int, rule: str, detail: str):
        self.line = line
        self.rule = rule
        self.detail = detail
        self.message = f"清单第 {line} 行：{detail}（规则：{rule}）"
        super().__init__(self.message)


class SubstitutionError(ValueError):
    """A substitution (更换) that the protocol does not allow or that does not replay."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class Stratum(NamedTuple):
    """A ``stratum <name> <n>`` line: draw ``n`` targets from this class (层级)."""

    name: str
    n: int


class Inspector(NamedTuple):
    """An ``inspector <id> <capacity>`` line: 执法证号 and the most targets in this draw."""

    id: str
    capacity: int


@dataclass(frozen=True)
class Manifest:
    """A parsed, canonical manifest (抽取清单). Everything is in canonical order.

    ``targets`` holds ``(id, stratum)`` pairs and ``conflicts`` ``(inspector, target)``
    pairs as plain tuples: a pool can hold millions of targets.
    """

    task: str
    team: int
    strata: tuple[Stratum, ...]
    targets: tuple[tuple[str, str], ...]
    inspectors: tuple[Inspector, ...]
    conflicts: tuple[tuple[str, str], ...]


class Selection(NamedTuple):
    """One selected target in selection order, with its score and its team.

    ``team`` is empty when the draw selects targets only (``team 0``) or when the target
    is unstaffed; its first member is the group leader (组长).
    """

    target: str
    stratum: str
    score: bytes
    team: tuple[str, ...]


@dataclass(frozen=True)
class DrawResult:
    """The result of §4: ``C``, ``K`` and the selections in selection order."""

    manifest_digest: bytes
    key: bytes
    team_size: int
    selections: tuple[Selection, ...]

    @property
    def unstaffed(self) -> tuple[str, ...]:
        """Targets left without a team (the platform then asks for a remedy)."""
        if self.team_size == 0:
            return ()
        return tuple(s.target for s in self.selections if not s.team)


class Substitution(NamedTuple):
    """A published ``substitute <target-id> <out-id> <in-id>`` line (更换)."""

    target: str
    out: str
    inn: str

    def line(self) -> str:
        return f"substitute {self.target} {self.out} {self.inn}"


# --------------------------------------------------------------------------- reading


class _Pool:
    """A validated manifest, as bytes. The targets go to a visitor instead (see ``_read``)."""

    def __init__(self) -> None:
        self.task = b""
        self.k = -1
        self.strata: list[tuple[bytes, int]] = []
        self.stratum_lines: dict[bytes, int] = {}
        self.counts: dict[bytes, int] = {}
        self.inspectors: list[tuple[bytes, int]] = []
        self.inspector_index: dict[bytes, int] = {}
        self.conflicts: list[tuple[bytes, bytes]] = []


class _Visitor:
    """Receives the targets in manifest order, in runs of ids with their strata."""

    def start(self, data: bytes, begin: int, end: int, pool: _Pool) -> None:
        """Called by the bulk reader before the target lines ``data[begin:end]``."""

    def reset(self) -> None:
        """The bulk reader gave up: the line reader sends everything again."""

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        pass


class _Collect(_Visitor):
    def __init__(self) -> None:
        self.ids: list[bytes] = []
        self.strata: list[bytes] = []

    def reset(self) -> None:
        self.__init__()

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        self.ids += ids
        self.strata += strata


class _Reader:
    """Line-by-line reader: checks every rule and writes the error messages."""

    def __init__(self) -> None:
        self.pool = _Pool()
        self.rank = -1
        self.last: tuple[bytes, ...] | None = None
        self.ids: list[bytes] = []
        self.strata: list[bytes] = []
        # Conflicts' target ids, checked later while the targets stream past (bulk reader).
        self.pending: list[bytes] | None = None

    def line(self, no: int, raw: bytes) -> None:
        if not raw:
            raise ManifestError(no, RULE_BLANK, "空行")
        if b"\r" in raw:
            raise ManifestError(no, RULE_LF, "含回车符（CR），可能是 Windows 的 CRLF 换行")
        if not raw.isascii():
            raise ManifestError(no, RULE_ASCII, "含非 ASCII 字符")
        if raw.startswith(b" ") or raw.endswith(b" ") or b"  " in raw:
            raise ManifestError(no, RULE_SPACES, "多余的空格")
        fields = raw.split(b" ")
        kind = fields[0]
        spec = _KINDS.get(kind)
        if spec is None:
            raise ManifestError(no, RULE_KIND, f"未知的行类型 {_show(kind)}")
        rank, names, numeric = spec
        name = kind.decode()
        if len(fields) != len(names) + 1:
            raise ManifestError(no, RULE_FIELDS, f"{name} 行的格式是 “{name} {' '.join(names)}”")
        for value, label, is_number in zip(fields[1:], names, numeric, strict=True):
            if is_number and not _NUMBER.fullmatch(value):
                raise ManifestError(no, RULE_NUMBER, f"{label} 不是规范的十进制数：{_show(value)}")
            if not is_number and not _ID.fullmatch(value):
                raise ManifestError(no, RULE_ID, f"{label} 不合规：{_show(value)}")
        self._order(no, rank, name)
        getattr(self, "_" + name)(no, *fields[1:])

    def _order(self, no: int, rank: int, name: str) -> None:
        if rank < self.rank or (rank == self.rank and rank <= 1):
            if rank == self.rank:
                raise ManifestError(no, RULE_ONE, f"第二个 {name} 行")
            previous = [k.decode() for k, v in _KINDS.items() if v[0] == self.rank][0]
            raise ManifestError(no, RULE_ORDER, f"{name} 行不能出现在 {previous} 行之后")
        if rank >= 1 and self.rank < 0:
            raise ManifestError(no, RULE_ONE, "缺少 task 行（应在第 2 行）")
        if rank >= 2 and self.rank < 1:
            raise ManifestError(no, RULE_ONE, "缺少 team 行（应在 task 行之后）")
        if rank != self.rank:
            self.rank = rank
            self.last = None

    def _sorted(self, no: int, key: tuple[bytes, ...], what: str) -> None:
        if self.last is not None and key <= self.last:
            shown = " ".join(x.decode() for x in key)
            if key == self.last:
                raise ManifestError(no, RULE_UNIQUE, f"{what} {shown} 重复")
            raise ManifestError(no, RULE_SORTED, f"{what} {shown} 应排在上一行之前")
        self.last = key

    def _task(self, no: int, code: bytes) -> None:
        self.pool.task = code

    def _team(self, no: int, k: bytes) -> None:
        self.pool.k = int(k)

    def _stratum(self, no: int, name: bytes, n: bytes) -> None:
        self._sorted(no, (name,), "层级")
        self.pool.strata.append((name, int(n)))
        self.pool.stratum_lines[name] = no
        self.pool.counts[name] = 0

    def _target(self, no: int, tid: bytes, stratum: bytes) -> None:
        self._sorted(no, (tid,), "检查对象")
        pool = self.pool
        if stratum not in pool.counts:
            raise ManifestError(no, RULE_STRATUM, f"层级 {stratum.decode()} 没有 stratum 行")
        pool.counts[stratum] += 1
        self.ids.append(tid)
        self.strata.append(stratum)

    def _inspector(self, no: int, iid: bytes, capacity: bytes) -> None:
        self._sorted(no, (iid,), "执法人员")
        self.pool.inspector_index[iid] = len(self.pool.inspectors)
        self.pool.inspectors.append((iid, int(capacity)))

    def _conflict(self, no: int, iid: bytes, tid: bytes) -> None:
        self._sorted(no, (iid, tid), "回避关系")
        pool = self.pool
        if iid not in pool.inspector_index:
            raise ManifestError(no, RULE_REFERENCE, f"执法人员 {iid.decode()} 未列出")
        if self.pending is not None:
            self.pending.append(tid)
        else:
            at = bisect_left(self.ids, tid)
            if at == len(self.ids) or self.ids[at] != tid:
                raise ManifestError(no, RULE_REFERENCE, f"检查对象 {tid.decode()} 未列出")
        pool.conflicts.append((iid, tid))

    def finish(self, last_no: int, visitor: _Visitor) -> _Pool:
        if self.rank < 0:
            raise ManifestError(last_no + 1, RULE_ONE, "缺少 task 行（应在第 2 行）")
        if self.rank < 1:
            raise ManifestError(last_no + 1, RULE_ONE, "缺少 team 行（应在 task 行之后）")
        pool = self.pool
        for name, n in pool.strata:
            if n > pool.counts[name]:
                raise ManifestError(pool.stratum_lines[name], RULE_N,
                                    f"层级 {name.decode()} 要抽 {n} 个，清单中只有 {pool.counts[name]} 个")
        if self.ids:
            visitor(self.ids, self.strata)
        return pool


def _show(value: bytes) -> str:
    return "“" + value.decode("utf-8", "backslashreplace") + "”"


def _read_lines(data: bytes, visitor: _Visitor) -> _Pool:
    """Checks the manifest line by line; raises at the first broken rule."""
    if not data:
        raise ManifestError(1, RULE_HEADER, "文件为空")
    if data.startswith(b"\xef\xbb\xbf"):
        raise ManifestError(1, RULE_BOM, "文件以 BOM 开头")
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" after the final newline
    if lines and lines[0] != _HEADER:
        if lines[0].rstrip(b"\r") == _HEADER:
            raise ManifestError(1, RULE_LF, "含回车符（CR），可能是 Windows 的 CRLF 换行")
        raise ManifestError(1, RULE_HEADER, f"首行是 {_show(lines[0][:40])}")
    reader = _Reader()
    for no, raw in enumerate(islice(lines, 1, None), start=2):
        reader.line(no, raw)
    if tail:
        if not lines and tail != _HEADER:
            raise ManifestError(1, RULE_HEADER, f"首行是 {_show(tail[:40])}")
        raise ManifestError(len(lines) + 1, RULE_FINAL_NEWLINE, "最后一行没有换行符")
    return reader.finish(len(lines), visitor)


_CHUNK = 16384  # bytes of target lines checked at a time: their objects stay in the CPU cache


def _read_bulk(data: bytes, visitor: _Visitor) -> _Pool | None:
    """The fast reader for the target lines; ``None`` means "ask the line reader".

    Lines before the targets go through the line reader (its errors are the file's first).
    The lines after the targets are read next, and any error there is left to the line
    reader, which reports the file's first error. The target lines are checked in chunks
    with bytes operations: after replacing each ``"\\ntarget "`` by ``" \\n "`` and
    splitting on spaces, a chunk of ``L + 1`` lines must give exactly ``3L + 3`` pieces,
    ``target`` first and ``b"\\n"`` at every third place, with no other LF, no other byte
    than id bytes and single spaces, an id and a declared stratum in every line; the ids
    are then checked for length and strict order. That holds exactly when every line is
    ``target <id> <stratum>`` as §2 requires.
    """
    if not data.startswith(_HEADER + b"\n") or not data.endswith(b"\n"):
        return None
    reader = _Reader()
    pos, no, size = len(_HEADER) + 1, 2, len(data)
    while pos < size and not data.startswith(b"target ", pos):
        end = data.index(b"\n", pos)
        reader.line(no, data[pos:end])
        pos, no = end + 1, no + 1
    if pos == size:
        return reader.finish(no - 1, visitor)
    if not 1 <= reader.rank <= 2:
        return None
    end = data.index(b"\n", data.rfind(b"\ntarget ", pos - 1) + 1)
    reader.rank, reader.last, reader.pending = 3, None, []
    try:
        for raw in data[end + 1 : -1].split(b"\n") if end + 1 < size else ():
            reader.line(0, raw)
    except ManifestError:
        return None
    pool = reader.pool
    needed = sorted(set(reader.pending))
    found = 0
    counts = dict.fromkeys(pool.counts, 0)
    names = list(counts)
    keep = _ID_BYTES + b" "
    visitor.start(data, pos, end, pool)
    previous = b""
    while pos < end:
        cut = data.find(b"\ntarget ", pos + _CHUNK, end)
        if cut < 0:
            cut = end
        raw = data[pos:cut]
        lf = raw.count(b"\n")
        # b"\n" and one-letter strata are cached one-byte objects: splitting allocates
        # little more than the ids.
        flat = raw.replace(b"\ntarget ", b" \n ")
        if len(raw) - len(flat) != 5 * lf or flat.translate(None, keep) != b"\n" * lf:
            return None
        pieces = flat.split(b" ")
        if len(pieces) != 3 * lf + 3 or pieces[0] != b"target" or pieces[3::3].count(b"\n") != lf:
            return None
        ids, strata = pieces[1::3], pieces[2::3]
        seen = 0
        for name in names:
            c = strata.count(name)
            counts[name] += c
            seen += c
        if (seen != lf + 1 or b"" in ids or max(map(len, ids)) > 64 or ids[0] <= previous
                or not all(map(lt, ids, islice(ids, 1, None)))):
            return None
        previous = ids[-1]
        if needed:
            for tid in islice(needed, bisect_left(needed, ids[0]), bisect_right(needed, previous)):
                at = bisect_left(ids, tid)
                found += ids[at] == tid
        visitor(ids, strata)
        pos = cut + 1
    if found != len(needed):
        return None
    pool.counts = counts
    return reader.finish(0, visitor)


def _read(data: bytes, visitor: _Visitor) -> _Pool:
    if not isinstance(data, bytes):
        raise TypeError("清单必须是 bytes")
    pool = _read_bulk(data, visitor)
    if pool is None:
        visitor.reset()
        pool = _read_lines(data, visitor)
    return pool


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # A draw creates millions of small tuples and no reference cycle: the cyclic garbage
    # collector would walk them again and again (about 15 % of a 1,000,000-target draw).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def manifest_parse(data: bytes) -> Manifest:
    """Parses canonical manifest bytes; raises :class:`ManifestError` on any broken rule."""
    with _no_cyclic_gc():
        return _manifest(data)


def _manifest(data: bytes) -> Manifest:
    targets = _Collect()
    pool = _read(data, targets)
    names = {name: name.decode() for name in pool.counts}
    return Manifest(
        task=pool.task.decode(),
        team=pool.k,
        strata=tuple(Stratum(name.decode(), n) for name, n in pool.strata),
        targets=tuple(zip(map(bytes.decode, targets.ids), map(names.__getitem__, targets.strata),
                          strict=True)),
        inspectors=tuple(Inspector(i.decode(), c) for i, c in pool.inspectors),
        conflicts=tuple((i.decode(), t.decode()) for i, t in pool.conflicts),
    )


def manifest_build(
    *,
    task: str,
    team: int,
    strata: Iterable[tuple[str, int]],
    targets: Iterable[tuple[str, str]],
    inspectors: Iterable[tuple[str, int]] = (),
    conflicts: Iterable[tuple[str, str]] = (),
) -> bytes:
    """Canonical manifest bytes: every section sorted as §2 says, then validated.

    Raises :class:`ManifestError` when the data break a rule (a bad id, a duplicate, a
    stratum asking for more targets than it has…); its line number refers to the
    manifest that would have been written.

    The bytes are checked by the manifest reader's bulk path (a quarter of a second for a
    million targets, and cache-friendly where checking the scattered input objects is
    not); it also finds the first broken rule and writes the error.
    """
    strata = sorted(strata)
    # By id alone: twice as fast as comparing pairs (a homogeneous str key), the same
    # order for a valid pool, and a duplicate id is reported on the same line either way.
    targets = sorted(targets, key=itemgetter(0))
    inspectors = sorted(inspectors)
    conflicts = sorted(conflicts)
    out = [f"{VERSION}\ntask {task}\nteam {int(team)}\n"]
    out += [f"stratum {name} {int(n)}\n" for name, n in strata]
    try:
        # One join for the million target lines (twice as fast as a format per line).
        if targets:
            out.append("target " + "\ntarget ".join(map(" ".join, targets)) + "\n")
    except TypeError:  # not (str, str) pairs: format them as text, the reader judges
        out += [f"target {tid} {stratum}\n" for tid, stratum in targets]
    out += [f"inspector {iid} {int(capacity)}\n" for iid, capacity in inspectors]
    out += [f"conflict {iid} {tid}\n" for iid, tid in conflicts]
    text = "".join(out)
    data = text.encode("utf-8")
    _read(data, _Visitor())
    return data


# --------------------------------------------------------------------------- the draw

_EVERY = b"\xff" * 33  # above every 32-byte score
_GOLDEN = (math.sqrt(5) - 1) / 2


def seed_bytes(seed_text: str) -> bytes:
    """``B`` of §3: the seed text normalised to NFC, as UTF-8."""
    return unicodedata.normalize("NFC", seed_text).encode("utf-8")


def _score_base(key: bytes, prefix: bytes) -> hashlib._Hash:
    # SHA-256(K || label) for many labels sharing a prefix: hash the prefix once and copy
    # that state per label. Same digest as hashing the whole label.
    base = hashlib.sha256(key)
    base.update(prefix)
    return base


class _Score(_Visitor):
    """Scores the targets as they stream past and keeps those below a threshold ``T``.

    If a stratum has at least ``n`` targets scoring below ``T``, its ``n`` smallest are
    among them: the result is exactly that of sorting every score. ``T`` comes from
    a sample of the target lines with a margin of several standard deviations; when a
    stratum ends up short, :func:`draw_compute` scores again keeping everything.
    """

    def __init__(self, key: bytes, *, sample: bool):
        self.copy = _score_base(key, b"target:").copy
        self.sample = sample
        self.threshold = _EVERY
        self.found: list[tuple[bytes, bytes, bytes]] = []

    def start(self, data: bytes, begin: int, end: int, pool: _Pool) -> None:
        if not self.sample:
            self._threshold(pool, {}, 0, 0.0)
            return
        seen: dict[bytes, int] = {}
        taken = length = 0
        for at in range(begin, end, max(1, (end - begin) // 4096)):
            line = data.find(b"\ntarget ", at, end) + 1
            stop = data.find(b"\n", line, end + 1)
            if line <= 0 or stop < 0:
                break
            name = data[data.rfind(b" ", line, stop) + 1 : stop]
            seen[name] = seen.get(name, 0) + 1
            taken += 1
            length += stop - line + 1
        lines = (end - begin + 1) / (length / taken) * 0.95 if taken else 0.0
        self._threshold(pool, seen, taken, lines)

    def start_lists(self, strata: list[bytes], pool: _Pool) -> None:
        """As :meth:`start`, for targets already read (``strata`` in manifest order)."""
        size = len(strata)
        # 4096 places spread by the golden ratio, not a fixed step: a fixed step can fall in
        # step with a periodic layout of strata (ids numbered in turn per class) and see
        # only one of them.
        sample = ([strata[int(i * _GOLDEN % 1.0 * size)] for i in range(min(size, 4096))]
                  if self.sample else [])
        self._threshold(pool, Counter(sample), len(sample), float(size))

    def _threshold(self, pool: _Pool, seen: dict[bytes, int], taken: int, lines: float) -> None:
        """``T`` from ``taken`` sampled lines (``seen`` per stratum) out of about ``lines``;
        none sampled: keep every score (or none when nothing is drawn)."""
        wanted = [(name, n) for name, n in pool.strata if n > 0]
        if not wanted:
            self.threshold = b""
            return
        if not taken:
            return
        share = 0.0
        for name, n in wanted:
            c = seen.get(name, 0)
            low = (c - 4 * math.sqrt(c) - 1) / taken * lines  # the stratum's size, cautiously
            if low <= 0:
                return
            share = max(share, (n + 6 * math.sqrt(n) + 16) / low)
        if share < 0.5:
            self.threshold = int(share * 2**256).to_bytes(32, "big")

    def reset(self) -> None:
        self.found.clear()
        self.threshold = _EVERY

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        copy, threshold, found = self.copy, self.threshold, self.found
        add = found.append
        mark = len(found)
        for tid in ids:
            h = copy()
            h.update(tid)
            score = h.digest()
            if score < threshold:
                add((score, tid))  # type: ignore[arg-type]
        for x in range(mark, len(found)):
            score, tid = found[x]  # type: ignore[misc]
            found[x] = (score, tid, strata[bisect_left(ids, tid)])

    def score_all(self, ids: list[bytes], strata: list[bytes]) -> None:
        """As :meth:`__call__`, for all targets at once (a prepared manifest): the stratum
        comes along with the id, no search afterwards. The hot loop of a draw."""
        copy, threshold = self.copy, self.threshold
        add = self.found.append
        for tid, stratum in zip(ids, strata, strict=True):
            h = copy()
            h.update(tid)
            score = h.digest()
            if score < threshold:
                add((score, tid, stratum))

    def choose(self, pool: _Pool) -> list[tuple[bytes, bytes, bytes]] | None:
        """The selected (score, id, stratum) in selection order; ``None``: score all again."""
        groups: dict[bytes, list[tuple[bytes, bytes, bytes]]] = {name: [] for name, _ in pool.strata}
        for item in self.found:
            groups[item[2]].append(item)
        # Sorting by score alone is twice as fast as sorting the tuples; the sort is
        # stable and candidates arrive in id order, so equal scores (never seen with
        # SHA-256) would still fall in (score, id) order like a plain sort of pairs.
        by_score = itemgetter(0)
        chosen = []
        for name, n in pool.strata:
            group = groups[name]
            if len(group) < n:
                return None
            group.sort(key=by_score)
            chosen += group[:n]
        chosen.sort(key=by_score)
        return chosen


class _Staffing:
    """Loads, availability and teams while inspectors are matched (§4 Inspectors)."""

    def __init__(self, pool: _Pool, key: bytes):
        self.k = pool.k
        self.ids = [i for i, _ in pool.inspectors]
        self.capacity = [c for _, c in pool.inspectors]
        self.load = [0] * len(self.ids)
        # Inspector indices (= manifest order) with load below capacity: ``E`` is this
        # list without the target's conflicts (and, while a team grows, its members).
        self.available = [x for x, c in enumerate(self.capacity) if c > 0]
        self.conflicts: dict[bytes, list[int]] = {}
        for iid, tid in pool.conflicts:
            self.conflicts.setdefault(tid, []).append(pool.inspector_index[iid])
        self.copy = _score_base(key, b"assign:").copy
        self.suffixes = [b":%d" % j for j in range(self.k)]

    def skipped(self, target: bytes, members: Iterable[int] = ()) -> list[int]:
        """Sorted positions in ``available`` of the inspectors left out of ``E``."""
        available, positions = self.available, []
        excluded = self.conflicts.get(target, ())
        if members:
            excluded = {*excluded, *members}
        for x in excluded:
            at = bisect_left(available, x)
            if at < len(available) and available[at] == x:
                positions.append(at)
        positions.sort()
        return positions

    def pick(self, target: bytes, j: int, skip: list[int]) -> int:
        """Position in ``available`` of ``E[x mod len(E)]``, x = score("assign:t:j")."""
        h = self.copy()
        h.update(b"%s:%d" % (target, j))
        at = int.from_bytes(h.digest(), "big") % (len(self.available) - len(skip))
        for p in skip:  # the at-th position not skipped
            if p > at:
                break
            at += 1
        return at

    def take(self, member: int) -> None:
        self.load[member] += 1
        if self.load[member] == self.capacity[member]:
            del self.available[bisect_left(self.available, member)]

    def release(self, member: int) -> None:
        if self.load[member] == self.capacity[member]:
            insort(self.available, member)
        self.load[member] -= 1

    def teams(self, targets: Iterable[bytes]) -> list[list[int] | None]:
        """The team of each target in selection order, or ``None`` (unstaffed).

        The same steps as :meth:`pick` and :meth:`take`, inlined in one loop with the
        lookups hoisted: this runs once per selected target (50,000 in a large draw).
        """
        available, copy, conflicts, suffixes, k = self.available, self.copy, self.conflicts, self.suffixes, self.k
        load, capacity, skipped, from_bytes = self.load, self.capacity, self.skipped, int.from_bytes
        out: list[list[int] | None] = []
        add = out.append
        for target in targets:
            skip = skipped(target) if target in conflicts else []
            size = len(available) - len(skip)
            if size < k:
                add(None)  # nobody is assigned and no load changes
                continue
            members = []
            for suffix in suffixes:
                h = copy()
                h.update(target + suffix)
                at = from_bytes(h.digest(), "big") % size
                for p in skip:
                    if p > at:
                        break
                    at += 1
                insort(skip, at)
                members.append(available[at])
                size -= 1
            for member in members:
                load[member] += 1
                if load[member] == capacity[member]:
                    del available[bisect_left(available, member)]
            add(members)
        return out


@dataclass(frozen=True, eq=False)
class PreparedManifest:
    """A manifest read and checked once by :func:`manifest_prepare`, ready for draws.

    :func:`draw_compute` takes it in place of the bytes and then neither reads nor checks
    them again: the platform prepares the frozen manifest of a draw once (after comparing
    its SHA-256 with the published ``C``); verifiers pass the bytes. The lists are the
    reader's own (targets in manifest order): treat them as read-only.
    """

    digest: bytes  # C
    pool: _Pool
    ids: list[bytes]
    strata: list[bytes]


def manifest_prepare(data: bytes) -> PreparedManifest:
    """Reads and checks canonical manifest bytes (every rule, as :func:`manifest_parse`)."""
    with _no_cyclic_gc():
        targets = _Collect()
        pool = _read(data, targets)
        return PreparedManifest(digest=hashlib.sha256(data).digest(), pool=pool, ids=targets.ids,
                                strata=targets.strata)


def draw_compute(manifest: bytes | PreparedManifest, seed_text: str) -> DrawResult:
    """The result of §4: a pure function of the manifest bytes and the seed text.

    Raises :class:`ManifestError` if the manifest breaks a rule of §2. ``manifest`` may
    also be a :class:`PreparedManifest` (already checked): the same result, without
    reading the bytes again.
    """
    with _no_cyclic_gc():
        if isinstance(manifest, PreparedManifest):
            return _draw_prepared(manifest, seed_text)
        return _draw(manifest, seed_text)


_selection = tuple.__new__  # builds a Selection without its Python-level __new__ (50,000 per draw)


def _draw(manifest: bytes, seed_text: str) -> DrawResult:
    # The targets are scored while the reader checks them, chunk by chunk (cache-friendly).
    digest = hashlib.sha256(manifest).digest()
    key = hashlib.sha256(digest + seed_bytes(seed_text)).digest()
    scorer = _Score(key, sample=True)
    pool = _read(manifest, scorer)
    chosen = scorer.choose(pool)
    if chosen is None:
        scorer = _Score(key, sample=False)
        _read(manifest, scorer)
        chosen = scorer.choose(pool)
        assert chosen is not None  # every score kept: each stratum has its n (checked)
    return _result(pool, digest, key, chosen)


def _draw_prepared(manifest: PreparedManifest, seed_text: str) -> DrawResult:
    digest, pool = manifest.digest, manifest.pool
    key = hashlib.sha256(digest + seed_bytes(seed_text)).digest()
    scorer = _Score(key, sample=True)
    scorer.start_lists(manifest.strata, pool)
    scorer.score_all(manifest.ids, manifest.strata)
    chosen = scorer.choose(pool)
    if chosen is None:
        scorer = _Score(key, sample=False)
        scorer.score_all(manifest.ids, manifest.strata)
        chosen = scorer.choose(pool)
        assert chosen is not None  # every score kept: each stratum has its n (checked)
    return _result(pool, digest, key, chosen)


def _result(pool: _Pool, digest: bytes, key: bytes, chosen: list[tuple[bytes, bytes, bytes]]) -> DrawResult:
    """Teams for the chosen targets (selection order), and the result of §4."""
    names = {name: name.decode() for name in pool.counts}
    selections = []
    if pool.k > 0:
        staffing = _Staffing(pool, key)
        inspectors = [i.decode() for i in staffing.ids]
        teams = staffing.teams([tid for _score, tid, _stratum in chosen])
        selections = [_selection(Selection, (tid.decode(), names[stratum], score,
                                             () if members is None else tuple([inspectors[x] for x in members])))
                      for (score, tid, stratum), members in zip(chosen, teams, strict=True)]
    else:
        selections = [_selection(Selection, (tid.decode(), names[stratum], score, ()))
                      for score, tid, stratum in chosen]
    return DrawResult(manifest_digest=digest, key=key, team_size=pool.k, selections=tuple(selections))


def result_text(result: DrawResult) -> str:
    """The canonical result text of §5 (ends with one ``\\n``)."""
    out = [RESULT_VERSION, "manifest " + result.manifest_digest.hex(), "key " + result.key.hex()]
    out += [f"selected {s.target} {s.stratum} {s.score.hex()}" for s in result.selections]
    if result.team_size > 0:
        out += [f"team {s.target} {' '.join(s.team)}" if s.team else f"unstaffed {s.target}"
                for s in result.selections]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- substitution


def substitution_parse(line: str) -> Substitution:
    """Reads a published ``substitute <target-id> <out-id> <in-id>`` line."""
    fields = line.rstrip("\n").split(" ")
    if len(fields) != 4 or fields[0] != "substitute" or not all(
        _ID.fullmatch(f.encode("utf-8")) for f in fields[1:]
    ):
        raise SubstitutionError(f"更换记录的格式是 “substitute <检查对象编号> <换下人员> <换上人员>”：{line!r}")
    return Substitution(*fields[1:])


class _Replay:
    """The teams after the draw, then after each substitution in the order made."""

    def __init__(self, manifest: Manifest, result: DrawResult):
        if manifest.team != result.team_size:
            raise SubstitutionError("摇号结果与清单不对应（team 不同）")
        pool = _Pool()
        pool.k = manifest.team
        pool.inspectors = [(i.id.encode(), i.capacity) for i in manifest.inspectors]
        pool.inspector_index = {iid: x for x, (iid, _) in enumerate(pool.inspectors)}
        pool.conflicts = [(i.encode(), t.encode()) for i, t in manifest.conflicts]
        self.staffing = _Staffing(pool, result.key)
        self.index = pool.inspector_index
        self.teams: dict[str, list[int]] = {}
        for s in result.selections:
            members = [self.index[m.encode()] for m in s.team]
            self.teams[s.target] = members
            for member in members:
                self.staffing.take(member)
        self.draws_used = {t: self.staffing.k for t in self.teams}
        self.replaced: dict[str, set[int]] = {t: set() for t in self.teams}

    def candidate(self, target: str, out: str) -> int | None:
        team = self.teams.get(target)
        if team is None:
            raise SubstitutionError(f"检查对象 {target} 不在本次摇号结果中")
        if not team:
            raise SubstitutionError(f"检查对象 {target} 未配齐执法人员，不能更换（应另行补救）")
        leaving = self.index.get(out.encode())
        if leaving not in team:
            raise SubstitutionError(f"执法人员 {out} 不在检查对象 {target} 的检查组中")
        staffing, tid = self.staffing, target.encode()
        # E: in manifest order, not in the current team, never replaced on this target,
        # no conflict with it, below capacity.
        skip = staffing.skipped(tid, {*team, *self.replaced[target]})
        if len(staffing.available) == len(skip):
            return None
        at = staffing.pick(tid, self.draws_used[target], skip)
        return staffing.available[at]

    def apply(self, target: str, out: str, member: int) -> None:
        leaving = self.index[out.encode()]
        team = self.teams[target]
        team.remove(leaving)
        self.staffing.release(leaving)
        team.append(member)
        self.staffing.take(member)
        self.replaced[target].add(leaving)
        self.draws_used[target] += 1

    def replay(self, history: Sequence[Substitution]) -> None:
        for number, (target, out, inn) in enumerate(history, start=1):
            member = self.candidate(target, out)
            expected = None if member is None else self.staffing.ids[member].decode()
            if expected != inn:
                raise SubstitutionError(
                    f"第 {number} 条更换记录与协议不符：{target} 换下 {out} 后应换上 {expected or '（无人可换）'}，记录为 {inn}")
            self.apply(target, out, member)


def substitute(
    manifest: Manifest, result: DrawResult, history: Sequence[Substitution], *, target: str, out: str
) -> str | None:
    """The substitute for ``out`` on ``target`` after replaying ``history``, or ``None``.

    ``history`` are the earlier substitutions of this draw in the order they were made;
    each is checked against the protocol (:class:`SubstitutionError` if one does not
    replay). ``None`` means nobody is available: the remedy is outside the draw.
    """
    replay = _Replay(manifest, result)
    replay.replay(history)
    member = replay.candidate(target, out)
    return None if member is None else replay.staffing.ids[member].decode()


def teams_replay(
    manifest: Manifest, result: DrawResult, history: Sequence[Substitution]
) -> dict[str, tuple[str, ...]]:
    """Every selected target's team after the substitutions (leader first; empty = none)."""
    replay = _Replay(manifest, result)
    replay.replay(history)
    ids = replay.staffing.ids
    return {t: tuple(ids[x].decode() for x in team) for t, team in replay.teams.items()}
