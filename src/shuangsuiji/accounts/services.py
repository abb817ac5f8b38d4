"""Writes for departments, users, roles and API tokens. Each one is audited."""

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from shuangsuiji.accounts.choices import DepartmentKind, Role
from shuangsuiji.accounts.models import ApiToken, Department, Membership, User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.common.ids import id_number_error, mobile_error, normalize_code

_CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def department_add(
    *,
    code: str,
    name: str,
    parent_code: str | None = None,
    kind: str = DepartmentKind.COMMISSION,
    region: str = "",
    actor=None,
) -> Department:
    code, name = code.strip(), name.strip()
    if not code or len(code) > 32 or set(code) - _CODE_CHARS:
        raise ValidationFailed(
            "部门代码只能由字母、数字、点、下划线和短横线组成，最长32位", field="code"
        )
    if not name:
        raise ValidationFailed("部门名称不能为空", field="name")
    if kind not in DepartmentKind.values:
        raise ValidationFailed(f"部门类型无效：{kind}", field="kind")
    with transaction.atomic():
        parent = None
        if parent_code:
            parent = Department.objects.filter(code=parent_code).first()
            if parent is None:
                raise NotFound(f"上级部门 {parent_code} 不存在", field="parent")
        if Department.objects.filter(code=code).exists():
            raise Conflict(f"部门代码 {code} 已存在", field="code")
        dept = Department.objects.create(
            code=code, name=name, parent=parent, kind=kind, region=region
        )
        event_record(
            actor=actor,
            action="department.add",
            obj=dept,
            department=dept,
            after={"code": code, "name": name, "parent": parent_code, "kind": kind},
        )
    return dept


def _clean_person(*, id_number: str, mobile: str) -> tuple[str, str]:
    id_number, mobile = normalize_code(id_number), normalize_code(mobile)
    errors: dict[str, list[str]] = {}
    if id_number and (err := id_number_error(id_number)):
        errors["id_number"] = [err]
    if mobile and (err := mobile_error(mobile)):
        errors["mobile"] = [err]
    if errors:
        raise ValidationFailed(
            "；".join(m for msgs in errors.values() for m in msgs), errors=errors
        )
    return id_number, mobile


def user_create(
    *,
    username: str,
    full_name: str,
    password: str,
    id_number: str = "",
    mobile: str = "",
    is_superuser: bool = False,
    actor=None,
) -> User:
    username, full_name = username.strip(), full_name.strip()
    if not username:
        raise ValidationFailed("登录名不能为空", field="username")
    if not full_name:
        raise ValidationFailed("姓名不能为空（实名账号）", field="full_name")
    id_number, mobile = _clean_person(id_number=id_number, mobile=mobile)
    user = User(
        username=username,
        full_name=full_name,
        id_number=id_number,
        mobile=mobile,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "密码不符合要求：" + "；".join(exc.messages), field="password"
        ) from exc
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(f"登录名 {username} 已被使用", field="username")
        user.save()
        # The audit trail must never carry the full numbers (they are private).
        event_record(
            actor=actor,
            action="user.create",
            obj=user,
            after={"username": username, "full_name": full_name, "is_superuser": is_superuser},
        )
    return user


def membership_grant(*, user: User, department: Department, role: str, actor=None) -> Membership:
    if role not in Role.values:
        raise ValidationFailed(f"角色无效：{role}", field="role")
    with transaction.atomic():
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, department=department, role=role)
        except IntegrityError as exc:
            raise Conflict("该用户在此部门已有此角色") from exc
        event_record(
            actor=actor,
            action="membership.grant",
            obj=membership,
            department=department,
            after={"user": user.username, "department": department.code, "role": role},
        )
    return membership


def api_token_create(*, user: User, name: str, actor=None) -> tuple[ApiToken, str]:
    """Returns the token row and the secret; the secret is shown once and never stored."""
    if not name.strip():
        raise ValidationFailed("请填写令牌用途", field="name")
    secret = "ssj_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip(), digest=hashlib.sha256(secret.encode()).hexdigest()
        )
        event_record(
            actor=actor or user, action="api_token.create", obj=token, after={"name": token.name}
        )
    return token, secret
