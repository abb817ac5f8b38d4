"""Reads about who may see and do what. Every library selector scopes through here.

谁管理、谁维护 [002 第十一条]: a user sees the data of the departments he holds a role in,
and of their sub-departments (a 委 sees its 科室 and 中心). A system admin manages accounts
but sees no business data he does not need, so he gets no department scope by default.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db.models import QuerySet

from shuangsuiji.accounts.choices import LIBRARY_READERS, LIBRARY_WRITERS
from shuangsuiji.accounts.models import Department, Membership, User

T = TypeVar("T")


def cached_on_user(user: User, attr: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept on the user instance under ``attr`` (one computation a request)."""
    cached: T | None = getattr(user, attr, None)
    if cached is None:
        cached = compute()
        setattr(user, attr, cached)
    return cached


def _descendant_ids(root_ids: Iterable[int]) -> set[int]:
    found = set(root_ids)
    frontier = set(found)
    while frontier:
        children = set(
            Department.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        )
        frontier = children - found
        found |= frontier
    return found


def user_roles(*, user: User) -> frozenset[str]:
    return cached_on_user(
        user,
        "_ssj_roles",
        lambda: frozenset(Membership.objects.filter(user=user).values_list("role", flat=True)),
    )


def department_ids_for(*, user: User, roles: Iterable[str]) -> set[int]:
    """Departments (with their sub-departments) where the user holds one of ``roles``."""
    if not user.is_authenticated:
        return set()
    roots = Membership.objects.filter(user=user, role__in=list(roles)).values_list(
        "department_id", flat=True
    )
    return _descendant_ids(roots)


def readable_department_ids(*, user: User) -> set[int]:
    return department_ids_for(user=user, roles=LIBRARY_READERS)


def writable_department_ids(*, user: User) -> set[int]:
    return department_ids_for(user=user, roles=LIBRARY_WRITERS)


def departments_readable(*, user: User) -> QuerySet[Department]:
    return Department.objects.filter(id__in=readable_department_ids(user=user)).order_by("code")


def departments_writable(*, user: User) -> QuerySet[Department]:
    return Department.objects.filter(id__in=writable_department_ids(user=user)).order_by("code")


def user_has_role(*, user: User, role: str, department: Department | None = None) -> bool:
    if not user.is_authenticated:
        return False
    qs = Membership.objects.filter(user=user, role=role)
    if department is not None:
        qs = qs.filter(department_id__in=[department.id, *[d.id for d in department.ancestors()]])
    return qs.exists()


def role_holders(*, department: Department, roles: Iterable[str]) -> QuerySet[User]:
    """Active users holding one of ``roles`` in ``department`` or a department above it (the
    same rule as ``user_has_role``): who is told when work arrives there (notices)."""
    ids = [department.id, *[d.id for d in department.ancestors()]]
    return User.objects.filter(
        is_active=True,
        memberships__department_id__in=ids,
        memberships__role__in=list(roles),
    ).distinct()


def department_subtree_ids_of(*, department: Department) -> set[int]:
    """The department and all its sub-departments."""
    return _descendant_ids([department.id])
