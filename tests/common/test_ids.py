import datetime as dt
import random

import pytest

from shuangsuiji.common.ids import (
    id_number_error,
    make_id_number,
    make_uscc,
    mobile_error,
    normalize_code,
    uscc_error,
)
from shuangsuiji.common.masking import mask_id_number, mask_mobile, mask_personal_numbers


@pytest.mark.parametrize("first", ["1", "5", "9", "A", "N", "Y"])
def test_valid_credit_codes_pass_whatever_their_first_character(first):
    code = make_uscc(random.Random(first), first=first)
    assert uscc_error(code) is None


def test_a_wrong_check_digit_is_reported_with_the_right_one():
    code = make_uscc(random.Random(1))
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert "校验位错误" in uscc_error(wrong)
    assert code[17] in uscc_error(wrong)


@pytest.mark.parametrize(
    "bad,reason",
    [
        ("91310117", "18位"),
        ("I1310117MA1G8XYZ0A", "不允许的字符"),
        ("Z13101174QJGHRWHJX", "不允许"),
    ],
)
def test_malformed_credit_codes_say_why(bad, reason):
    assert reason in uscc_error(bad)


def test_the_shared_vector_codes_are_valid():
    assert uscc_error("913101174QJGHRWHJX") is None


def test_full_width_input_is_normalised():
    assert normalize_code("９１３１０１１７４ＱＪＧＨＲＷＨＪＸ ") == "913101174QJGHRWHJX"


def test_id_numbers_check_date_and_digit():
    good = make_id_number(random.Random(3))
    assert id_number_error(good) is None
    assert "校验位" in id_number_error(good[:17] + ("0" if good[17] != "0" else "1"))
    assert "出生日期无效" in id_number_error("350881" + "19850230" + "123" + "4")
    future = "350881" + (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d") + "1234"
    assert "合理范围" in id_number_error(future)


def test_mobile_numbers():
    assert mobile_error("13110895362") is None
    assert mobile_error("1311089536") and mobile_error("23110895362")


def test_masks():
    assert mask_id_number("350881198501011234") == "350881********1234"
    assert mask_mobile("13810005362") == "138****5362"
    assert (
        mask_personal_numbers("手机13810005362 身份证350881198501011234")
        == "手机138****5362 身份证350881********1234"
    )
