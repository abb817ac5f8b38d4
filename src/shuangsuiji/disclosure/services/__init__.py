"""Writes of 一公开 (staff side): publication, withholding, corrections, objections.

Every service is keyword-only, runs in one ``transaction.atomic()`` with its audit event,
and locks the state rows it reads with ``select_for_update()``. Errors are
``shuangsuiji.common.errors`` with Chinese messages; bad input changes nothing.

Lock order, everywhere: objection → result versions → result (the inspection services
lock visit → version → result), so that two services never wait on each other in
opposite orders.
"""

from shuangsuiji.disclosure.services.corrections import (
    correction_content,
    correction_create,
    correction_discard,
    correction_sign,
    followups_clean,
)
from shuangsuiji.disclosure.services.guard import (
    FIXED_STATUSES,
    version_assert_unpublished,
    version_is_fixed,
)
from shuangsuiji.disclosure.services.objections import (
    objection_answer,
    objection_contact_reveal,
    objection_review,
)
from shuangsuiji.disclosure.services.publishing import (
    public_fields,
    result_publish,
    result_withhold,
    results_publish,
)

__all__ = [
    "FIXED_STATUSES",
    "correction_content",
    "correction_create",
    "correction_discard",
    "correction_sign",
    "followups_clean",
    "objection_answer",
    "objection_contact_reveal",
    "objection_review",
    "public_fields",
    "result_publish",
    "result_withhold",
    "results_publish",
    "version_assert_unpublished",
    "version_is_fixed",
]
