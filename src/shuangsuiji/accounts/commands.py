"""``ssj department add`` and ``ssj user add``."""

import argparse
import getpass
import os


def _department_add(args: argparse.Namespace) -> int:
    from shuangsuiji.accounts.services import department_add

    dept = department_add(
        code=args.code, name=args.name, parent_code=args.parent, kind=args.kind, actor="命令行"
    )
    print(
        f"已添加部门 {dept.code} {dept.name}"
        + (f"（上级：{dept.parent.name}）" if dept.parent else "")
    )
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from shuangsuiji.accounts.models import Department
    from shuangsuiji.accounts.services import membership_grant, user_create
    from shuangsuiji.common.errors import NotFound

    password = args.password or os.environ.get("SSJ_NEW_USER_PASSWORD") or getpass.getpass("密码：")
    from django.db import transaction

    with transaction.atomic():
        user = user_create(
            username=args.username,
            full_name=args.name,
            password=password,
            id_number=args.id_number or "",
            mobile=args.mobile or "",
            is_superuser=args.superuser,
            actor="命令行",
        )
        for spec in args.role or []:
            code, _, role = spec.partition(":")
            dept = Department.objects.filter(code=code).first()
            if dept is None:
                raise NotFound(f"部门 {code} 不存在")
            membership_grant(user=user, department=dept, role=role, actor="命令行")
    print(f"已创建账号 {user.username}（{user.full_name}）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    dep = sub.add_parser("department", help="部门管理").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = dep.add_parser("add", help="添加部门")
    p.add_argument("code", metavar="CODE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--parent", metavar="CODE", help="上级部门代码")
    p.add_argument(
        "--kind", default="commission", choices=["commission", "section", "center", "other"]
    )
    p.set_defaults(handler=_department_add)

    usr = sub.add_parser("user", help="账号管理").add_subparsers(
        dest="sub", metavar="子命令", required=True
    )
    p = usr.add_parser("add", help="添加实名账号")
    p.add_argument("username")
    p.add_argument("--name", required=True, help="姓名")
    p.add_argument("--id-number", help="身份证号")
    p.add_argument("--mobile", help="手机号码")
    p.add_argument("--password", help="密码（不填则提示输入，或取 SSJ_NEW_USER_PASSWORD）")
    p.add_argument("--superuser", action="store_true", help="系统管理员")
    p.add_argument(
        "--role",
        action="append",
        metavar="DEPT:ROLE",
        help="部门代码:角色，如 SJJW:dept_admin；可重复",
    )
    p.set_defaults(handler=_user_add)
