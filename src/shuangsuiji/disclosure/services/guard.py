"""一经公示，不得擅自更改 (002 第二十八条).

``version_assert_unpublished`` is the one guard every write path calls before it touches
the content or the state of a result version — the publication services here, the
correction services, and the inspection services that edit drafts, findings and
signatures. A published (or superseded) version changes only through a correction: a new
version, signed by the 任务执行单位主要负责人, which leaves the old one visible.
"""

from shuangsuiji.common.errors import Conflict
from shuangsuiji.inspection.choices import VersionStatus
from shuangsuiji.inspection.models import ResultVersion

FIXED_STATUSES = frozenset({VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED})


def version_is_fixed(*, version: ResultVersion) -> bool:
    return version.status in FIXED_STATUSES


def version_assert_unpublished(*, version: ResultVersion, what: str = "修改") -> None:
    """Raises ``Conflict`` when ``version`` is published or superseded. Call it on the row
    read under ``select_for_update()``, so a publication committed meanwhile is seen."""
    if version.status not in FIXED_STATUSES:
        return
    state = "已公示" if version.status == VersionStatus.PUBLISHED else "已被更正（旧版本保留公示）"
    raise Conflict(
        f"检查结果第{version.number}版{state}，不能{what}：检查结果一经公示，不得擅自更改；"
        "确有错误的，请提出更正，经任务执行单位主要负责人签字确认后更改（002 第二十八条）",
        field="version",
    )
