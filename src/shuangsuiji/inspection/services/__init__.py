"""Writes of inspection (检查实施, 002 第二十三–三十条): start a visit, record findings and
evidence, draft the result, sign it (全体成员签字确认), review it, record follow-up.

Every service: typed keyword-only arguments, one ``transaction.atomic()`` with its audit
event, the visit (then version) row locked before its state is read. Split by subject:
visits.py (start, findings), evidence.py, results.py (draft → signing → review → formed),
followups.py (after forming).
"""

from shuangsuiji.inspection.services._common import EDIT_REFUSED
from shuangsuiji.inspection.services.evidence import (
    EXTENSIONS,
    evidence_delete,
    evidence_kind_for,
    evidence_limit_bytes,
    evidence_open,
    evidence_upload,
)
from shuangsuiji.inspection.services.followups import (
    followup_add,
    followup_close,
    followup_penalty,
    followup_penalty_published,
    followup_recheck,
)
from shuangsuiji.inspection.services.results import (
    DraftInput,
    FollowUpInput,
    draft_input_from,
    result_approve,
    result_draft_save,
    result_return,
    result_sign,
    result_sign_on_paper,
    result_submit,
    result_withdraw,
)
from shuangsuiji.inspection.services.visits import FindingInput, findings_record, visit_start

__all__ = [
    "EDIT_REFUSED",
    "EXTENSIONS",
    "DraftInput",
    "FindingInput",
    "FollowUpInput",
    "draft_input_from",
    "evidence_delete",
    "evidence_kind_for",
    "evidence_limit_bytes",
    "evidence_open",
    "evidence_upload",
    "findings_record",
    "followup_add",
    "followup_close",
    "followup_penalty",
    "followup_penalty_published",
    "followup_recheck",
    "result_approve",
    "result_draft_save",
    "result_return",
    "result_sign",
    "result_sign_on_paper",
    "result_submit",
    "result_withdraw",
    "visit_start",
]
