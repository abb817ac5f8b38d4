"""One masking rule for every published text (common/masking.py; issue 11 item 2): what a
person types as a mobile or 身份证号, in every spelling, is masked; official numbers,
dates and amounts are not."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from shuangsuiji.common.masking import mask_personal_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13912345678", "139****5678"),
        ("+8613912345678", "139****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("0086-139-1234-5678", "139****5678"),
        ("86 13912345678", "139****5678"),
        ("139 1234 5678", "139****5678"),
        ("137-1234-5678", "137****5678"),
        ("139.1234.5678", "139****5678"),
        ("１３９１２３４５６７８", "139****5678"),
        ("＋８６　１３９１２３４５６７８", "139****5678"),
        ("手机13810005362", "手机138****5362"),
        ("联系人张三13912345678。", "联系人张三139****5678。"),
        ("350881198501011234", "350881********1234"),
        ("35088119850101123X", "350881********123X"),
        ("35088119850101123x", "350881********123x"),
        ("350881 19850101 1234", "350881********1234"),
        ("3508-8119-8501-0112-34", "350881********1234"),
        ("身份证号：３５０８８１１９８５０１０１１２３４", "身份证号：350881********1234"),
        ("350881850101123", "350881*****1123"),  # the old 15-digit form
    ],
)
def test_personal_numbers_are_masked_in_every_spelling(text, masked):
    assert mask_personal_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "91310117MA1G000008",  # 统一社会信用代码
        "91310117000000001X",  # an all-digit credit code: no birth date where an ID has one
        "执法证号13080716005",
        "执法证编号：13080716005",
        "2024-07-15",
        "20240715",
        "2024年7月15日",
        "罚款13,912,345.00元",
        "成交额 13912345678.50 元",
        "松建罚〔2024〕12号",
        "受理编号YY2024091500012",
        "办公电话021-57812345",
        "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2",
    ],
)
def test_official_numbers_dates_amounts_and_seeds_are_left_alone(text):
    assert mask_personal_numbers(text) == text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_access_log_of_ssj_serve_keeps_no_query_string(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SSJ_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    subprocess.run([sys.executable, "-m", "shuangsuiji.cli", "migrate"], env=env, check=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shuangsuiji.cli",
                "serve",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/public/results/?q=13912345678"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("ssj serve did not answer")
        # a forged log line in the path (an encoded newline) and a NUL
        forged = f"http://127.0.0.1:{port}/public/x%0A127.0.0.1%20FAKE%20LINE%00/"
        try:
            urllib.request.urlopen(forged, timeout=5).read()
        except OSError:
            pass  # the page answers 404; the log line is what counts
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert "GET /public/results/ HTTP/1.1" in text and "13912345678" not in text
    assert "\\x0a127.0.0.1 FAKE LINE\\x00" in text
    assert not any(line.startswith("127.0.0.1 FAKE") for line in text.splitlines())
