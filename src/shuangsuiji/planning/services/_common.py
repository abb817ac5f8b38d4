"""Shared pieces of the planning services: who may write (the operator of the department or
the server itself), text normalisation and the error envelope. Private to the package."""

import unicodedata
from typing import Any

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.planning.selectors import planning_writable_ids

Actor = User | str | None


def _user_or_none(actor: Actor) -> User | None:
    """The acting user; None when the server itself acts (no actor, or a text actor)."""
    return None if actor is None or isinstance(actor, str) else actor


def _require_planner(*, actor: Actor, department: Department, what: str) -> None:
    user = _user_or_none(actor)
    if user is None:  # the server itself
        return
    if department.id not in planning_writable_ids(user=user):
        raise NotAllowed(f"您不是“{department.name}”的抽查操作员，不能{what}")


def _text(value: Any) -> str:
    """Free text as the user typed it: full-width punctuation（（）：，）is kept (issue 16
    第 3 项; comparisons normalise their own copy, planning.selectors); only surrounding
    whitespace, the full-width space included, is trimmed. Codes and numbers: ``_code``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code(value: Any) -> str:
    """A code or a number: 全角 digits and letters folded to ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", _text(value)).strip()


def _raise(errors: dict[str, list[str]], summary: str = "") -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(summary or first, errors=errors)
