"""``ssj draw verify``: prints the result text exactly; a bad manifest exits non-zero."""

from shuangsuiji.cli import main

from .conftest import VECTOR_NAMES, VECTORS


def test_verify_with_a_seed_file_prints_the_result_exactly(capsysbinary):
    for name in VECTOR_NAMES:
        code = main(
            [
                "draw",
                "verify",
                str(VECTORS / f"{name}.manifest"),
                "--seed-file",
                str(VECTORS / f"{name}.seed"),
            ]
        )
        out, err = capsysbinary.readouterr()
        assert (code, out, err) == (0, (VECTORS / f"{name}.result").read_bytes(), b"")


def test_verify_with_the_seed_text_on_the_command_line(capsys):
    seed = (VECTORS / "v2-match.seed").read_bytes().decode("utf-8")
    assert main(["draw", "verify", str(VECTORS / "v2-match.manifest"), "--seed", seed]) == 0
    assert capsys.readouterr().out == (VECTORS / "v2-match.result").read_text(encoding="ascii")


def test_a_non_canonical_manifest_exits_2_with_a_chinese_error(tmp_path, capsys):
    lines = (VECTORS / "v1-basic.manifest").read_bytes().split(b"\n")
    lines[5], lines[6] = lines[6], lines[5]  # two targets out of order
    (tmp_path / "m").write_bytes(b"\n".join(lines))
    assert main(["draw", "verify", str(tmp_path / "m"), "--seed", "1 2 3"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "清单第 7 行" in err and "升序" in err


def test_a_crlf_manifest_is_rejected(tmp_path, capsys):
    data = (VECTORS / "v1-basic.manifest").read_bytes().replace(b"\n", b"\r\n")
    (tmp_path / "m").write_bytes(data)
    assert main(["draw", "verify", str(tmp_path / "m"), "--seed", "x"]) == 2
    assert "CRLF" in capsys.readouterr().err


def test_a_missing_file_exits_non_zero(tmp_path, capsys):
    assert main(["draw", "verify", str(tmp_path / "nope"), "--seed", "x"]) == 2
    assert "无法读取" in capsys.readouterr().err
