"""Reading a manifest (§2): every rule checked, the targets handed to a visitor.

Two readers give the same verdict: :func:`read_lines` checks line by line and writes the
error messages; :func:`read_bulk` checks the (million) target lines in chunks with bytes
operations and steps aside (``None``) as soon as anything looks off, so the line reader
reports the file's first error. The tests compare both on many random and broken files.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from operator import lt

from .rules import (
    HEADER,
    ID,
    ID_BYTES,
    KINDS,
    NUMBER,
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
    ManifestError,
)


class Pool:
    """A validated manifest, as bytes. The targets go to a visitor instead (see ``read``)."""

    def __init__(self) -> None:
        self.task = b""
        self.k = -1
        self.strata: list[tuple[bytes, int]] = []
        self.stratum_lines: dict[bytes, int] = {}
        self.counts: dict[bytes, int] = {}
        self.inspectors: list[tuple[bytes, int]] = []
        self.inspector_index: dict[bytes, int] = {}
        self.conflicts: list[tuple[bytes, bytes]] = []


class Visitor:
    """Receives the targets in manifest order, in runs of ids with their strata."""

    def start(self, data: bytes, begin: int, end: int, pool: Pool) -> None:
        """Called by the bulk reader before the target lines ``data[begin:end]``."""

    def reset(self) -> None:
        """The bulk reader gave up: the line reader sends everything again."""

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        pass


class Collect(Visitor):
    def __init__(self) -> None:
        self.ids: list[bytes] = []
        self.strata: list[bytes] = []

    def reset(self) -> None:
        self.ids = []
        self.strata = []

    def __call__(self, ids: list[bytes], strata: list[bytes]) -> None:
        self.ids += ids
        self.strata += strata


class Reader:
    """Line-by-line reader: checks every rule and writes the error messages."""

    def __init__(self) -> None:
        self.pool = Pool()
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
        spec = KINDS.get(kind)
        if spec is None:
            raise ManifestError(no, RULE_KIND, f"未知的行类型 {_show(kind)}")
        rank, names, numeric = spec
        name = kind.decode()
        if len(fields) != len(names) + 1:
            raise ManifestError(no, RULE_FIELDS, f"{name} 行的格式是 “{name} {' '.join(names)}”")
        for value, label, is_number in zip(fields[1:], names, numeric, strict=True):
            if is_number and not NUMBER.fullmatch(value):
                raise ManifestError(no, RULE_NUMBER, f"{label} 不是规范的十进制数：{_show(value)}")
            if not is_number and not ID.fullmatch(value):
                raise ManifestError(no, RULE_ID, f"{label} 不合规：{_show(value)}")
        self._order(no, rank, name)
        getattr(self, "_" + name)(no, *fields[1:])

    def _order(self, no: int, rank: int, name: str) -> None:
        if rank < self.rank or (rank == self.rank and rank <= 1):
            if rank == self.rank:
                raise ManifestError(no, RULE_ONE, f"第二个 {name} 行")
            previous = [k.decode() for k, v in KINDS.items() if v[0] == self.rank][0]
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

    def finish(self, last_no: int, visitor: Visitor) -> Pool:
        if self.rank < 0:
            raise ManifestError(last_no + 1, RULE_ONE, "缺少 task 行（应在第 2 行）")
        if self.rank < 1:
            raise ManifestError(last_no + 1, RULE_ONE, "缺少 team 行（应在 task 行之后）")
        pool = self.pool
        for name, n in pool.strata:
            if n > pool.counts[name]:
                raise ManifestError(
                    pool.stratum_lines[name],
                    RULE_N,
                    f"层级 {name.decode()} 要抽 {n} 个，清单中只有 {pool.counts[name]} 个",
                )
        if self.ids:
            visitor(self.ids, self.strata)
        return pool


def _show(value: bytes) -> str:
    return "“" + value.decode("utf-8", "backslashreplace") + "”"


def read_lines(data: bytes, visitor: Visitor) -> Pool:
    """Checks the manifest line by line; raises at the first broken rule."""
    if not data:
        raise ManifestError(1, RULE_HEADER, "文件为空")
    if data.startswith(b"\xef\xbb\xbf"):
        raise ManifestError(1, RULE_BOM, "文件以 BOM 开头")
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" after the final newline
    if lines and lines[0] != HEADER:
        if lines[0].rstrip(b"\r") == HEADER:
            raise ManifestError(1, RULE_LF, "含回车符（CR），可能是 Windows 的 CRLF 换行")
        raise ManifestError(1, RULE_HEADER, f"首行是 {_show(lines[0][:40])}")
    reader = Reader()
    for no, raw in enumerate(islice(lines, 1, None), start=2):
        reader.line(no, raw)
    if tail:
        if not lines and tail != HEADER:
            raise ManifestError(1, RULE_HEADER, f"首行是 {_show(tail[:40])}")
        raise ManifestError(len(lines) + 1, RULE_FINAL_NEWLINE, "最后一行没有换行符")
    return reader.finish(len(lines), visitor)


_CHUNK = 16384  # bytes of target lines checked at a time: their objects stay in the CPU cache


def read_bulk(data: bytes, visitor: Visitor) -> Pool | None:
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
    if not data.startswith(HEADER + b"\n") or not data.endswith(b"\n"):
        return None
    reader = Reader()
    pos, no, size = len(HEADER) + 1, 2, len(data)
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
    keep = ID_BYTES + b" "
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
        if (
            seen != lf + 1
            or b"" in ids
            or max(map(len, ids)) > 64
            or ids[0] <= previous
            or not all(map(lt, ids, islice(ids, 1, None)))
        ):
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


def read(data: bytes, visitor: Visitor) -> Pool:
    if not isinstance(data, bytes):
        raise TypeError("清单必须是 bytes")
    pool = read_bulk(data, visitor)
    if pool is None:
        visitor.reset()
        pool = read_lines(data, visitor)
    return pool


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    # A draw creates millions of small tuples and no reference cycle: the cyclic garbage
    # collector would walk them again and again (about 15 % of a 1,000,000-target draw).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
