"""Small factories for tests: each makes one valid object with sensible defaults."""

import itertools
import random

from django.db import transaction

from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.common.ids import make_id_number, make_uscc
from shuangsuiji.registry.models import Entity, Inspector

_seq = itertools.count(1)
rng = random.Random(20241)

PASSWORD = "Ssj-test-密码-2024"


def department(
    code: str | None = None, *, name: str | None = None, parent: Department | None = None
) -> Department:
    n = next(_seq)
    return Department.objects.create(
        code=code or f"D{n}", name=name or f"测试部门{n}", parent=parent
    )


def user(
    *,
    department: Department | None = None,
    role: str | None = None,
    username: str | None = None,
    superuser: bool = False,
    **extra,
) -> User:
    n = next(_seq)
    u = User(
        username=username or f"user{n}",
        full_name=extra.pop("full_name", f"测试用户{n}"),
        id_number=extra.pop("id_number", make_id_number(rng)),
        mobile=extra.pop("mobile", "13812345678"),
        is_superuser=superuser,
        is_staff=superuser,
        **extra,
    )
    u.set_password(PASSWORD)
    u.save()
    if department is not None and role is not None:
        Membership.objects.create(user=u, department=department, role=role)
    return u


def uscc() -> str:
    return make_uscc(rng)


def entity(*, department: Department, **fields) -> Entity:
    code = fields.pop("uscc", None) or uscc()
    n = next(_seq)
    with transaction.atomic():
        return Entity.objects.create(
            department=department,
            key=fields.pop("key", code),
            uscc=code,
            name=fields.pop("name", f"测试企业{n}有限公司"),
            **fields,
        )


def inspector(*, department: Department, **fields) -> Inspector:
    n = next(_seq)
    return Inspector.objects.create(
        department=department,
        cert_no=fields.pop("cert_no", f"1308{n:07d}"),
        name=fields.pop("name", f"检查员{n}"),
        **fields,
    )
