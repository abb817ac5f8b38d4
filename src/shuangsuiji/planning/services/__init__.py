"""Writes of 年度抽查计划 and 抽查任务. Every write: one transaction, one audit event.

A plan goes 起草 → 备案 → 公开 [002 第十二条: 抽查计划应报…备案，并向社会公开]; its rows
change only while it is a draft. A task is edited only while it is a draft: from the
commit on, the draw ceremony owns its state (draw-protocol §1).

``actor`` is a user, or ``None``/a name (``"演示数据"``) for the server's own operator
(the demo loader, ``ssj`` on the command line): whoever runs commands on the server
already holds the database.

The services are a package (split at ~500 lines, house style): ``plans`` and ``tasks``.
Every public name is re-exported here, so ``from shuangsuiji.planning import services``
and ``from shuangsuiji.planning.services import TaskInput`` keep working.
"""

from shuangsuiji.planning.services._common import Actor
from shuangsuiji.planning.services.partners import task_partner_respond
from shuangsuiji.planning.services.plans import (
    ROW_LABELS,
    ROW_TEXT_FIELDS,
    plan_adjust,
    plan_create,
    plan_file,
    plan_publish,
    plan_row_add,
    plan_row_remove,
    plan_row_update,
)
from shuangsuiji.planning.services.tasks import (
    CLASS_CODE_RE,
    FILTER_KEYS,
    RISK_KEYS,
    TASK_CODE_RE,
    ClassInput,
    TaskInput,
    task_cancel,
    task_create,
    task_input_from_row,
    task_update,
)

__all__ = [
    "CLASS_CODE_RE",
    "FILTER_KEYS",
    "RISK_KEYS",
    "ROW_LABELS",
    "ROW_TEXT_FIELDS",
    "TASK_CODE_RE",
    "Actor",
    "ClassInput",
    "TaskInput",
    "task_partner_respond",
    "plan_adjust",
    "plan_create",
    "plan_file",
    "plan_publish",
    "plan_row_add",
    "plan_row_remove",
    "plan_row_update",
    "task_cancel",
    "task_create",
    "task_input_from_row",
    "task_update",
]
