from django.http import HttpRequest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.selectors import user_roles

_ALL = frozenset(Role.values)
_OFFICE = frozenset({Role.DEPT_ADMIN, Role.OPERATOR, Role.REVIEWER, Role.WITNESS, Role.AUDITOR})

# Which menu entries each role sees. Only the menu: every page still checks its own
# permissions. An inspector who logs in to record a visit sees 检查 and the item list (its
# checklists), not the import page or the draw console he cannot use.
NAV_ROLES: dict[str, frozenset[str]] = {
    "items": _ALL,
    "entities": _OFFICE,
    "inspectors": _OFFICE,
    "plans": _OFFICE,
    "tasks": _OFFICE,
    "draws": _OFFICE,
    "inspection": frozenset(
        {Role.INSPECTOR, Role.REVIEWER, Role.OPERATOR, Role.DEPT_ADMIN, Role.AUDITOR}
    ),
    "disclosure": frozenset({Role.OPERATOR, Role.REVIEWER, Role.DEPT_ADMIN, Role.AUDITOR}),
    "oversight": frozenset({Role.OPERATOR, Role.REVIEWER, Role.DEPT_ADMIN, Role.AUDITOR}),
    "imports": frozenset({Role.DEPT_ADMIN, Role.OPERATOR}),
    "stats": _OFFICE,
    "audit": frozenset({Role.AUDITOR}),
    "documents": frozenset({Role.DEPT_ADMIN}),
}


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_roles": frozenset(), "nav": frozenset()}
    mine = user_roles(user=user)
    if user.is_superuser:
        nav = frozenset(NAV_ROLES)
    else:
        nav = frozenset(name for name, allowed in NAV_ROLES.items() if mine & allowed)
    return {"my_roles": mine, "nav": nav}
