import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import readable_department_ids, writable_department_ids
from shuangsuiji.accounts.services import department_add, user_create
from shuangsuiji.audit.models import Event
from shuangsuiji.cli import main as ssj
from shuangsuiji.common.errors import Conflict, NotFound, ValidationFailed
from shuangsuiji.common.ids import make_id_number
from tests import factories

pytestmark = pytest.mark.django_db


def test_department_add_builds_the_tree_and_audits(capsys):
    assert ssj(["department", "add", "SJJW", "松江区建设和管理委员会"]) == 0
    assert ssj(["department", "add", "SJJW-RQS", "燃气所", "--parent", "SJJW"]) == 0
    child = Department.objects.get(code="SJJW-RQS")
    assert child.parent.code == "SJJW"
    assert Event.objects.filter(action="department.add").count() == 2
    assert "燃气所" in capsys.readouterr().out


def test_department_add_refuses_duplicates_and_unknown_parents(capsys):
    department_add(code="A1", name="甲")
    with pytest.raises(Conflict):
        department_add(code="A1", name="乙")
    with pytest.raises(NotFound):
        department_add(code="B1", name="乙", parent_code="NOPE")
    assert ssj(["department", "add", "B1", "乙", "--parent", "NOPE"]) == 1
    assert "上级部门 NOPE 不存在" in capsys.readouterr().err
    assert Department.objects.count() == 1 and Event.objects.count() == 1


def test_user_create_validates_real_name_fields():
    with pytest.raises(ValidationFailed) as err:
        user_create(
            username="x",
            full_name="张三",
            password="Good-pass-2024!",
            id_number="350881198501011230",
            mobile="12345",
        )
    assert set(err.value.errors) == {"id_number", "mobile"}
    with pytest.raises(ValidationFailed, match="密码"):
        user_create(username="x", full_name="张三", password="123")
    assert not User.objects.exists()


def test_user_create_keeps_numbers_out_of_the_audit_trail():
    idn = make_id_number(factories.rng)
    user_create(
        username="zs",
        full_name="张三",
        password="Good-pass-2024!",
        id_number=idn,
        mobile="13810005362",
    )
    event = Event.objects.get(action="user.create")
    assert idn not in str(event.after) and "13810005362" not in str(event.after)


def test_scope_owner_colleague_outsider(trio):
    child = factories.department("SJJW-RQS", parent=trio["dept"])
    assert writable_department_ids(user=trio["owner"]) == {trio["dept"].id, child.id}
    assert readable_department_ids(user=trio["colleague"]) == {trio["dept"].id, child.id}
    assert writable_department_ids(user=trio["colleague"]) == set()
    assert trio["dept"].id not in readable_department_ids(user=trio["outsider"])


def test_a_system_admin_sees_no_business_data_by_default(db):
    admin = factories.user(superuser=True)
    factories.department("X")
    assert readable_department_ids(user=admin) == set()
    assert Role.DEPT_ADMIN in Role.values
