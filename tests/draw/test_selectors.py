"""ids.tsv lookups (manifest id → pk) find exactly the lines asked for, sorted or not."""

from shuangsuiji.draw.selectors import _ids_find


def test_it_finds_the_ids_asked_for_in_a_sorted_file():
    text = "\n" + "".join(f"T{n:05d} {n + 100}\n" for n in range(1000))
    assert _ids_find(text, ["T00999", "T00000", "T00500", "T00500"]) == {
        "T00000": 100,
        "T00500": 600,
        "T00999": 1099,
    }


def test_it_finds_ids_in_an_unsorted_file_and_skips_unknown_ones():
    text = "\nb 2\na 1\nab 3\nc 4"  # no final newline either
    assert _ids_find(text, ["a", "b", "c", "zz", "ab"]) == {"a": 1, "b": 2, "ab": 3, "c": 4}


def test_an_id_never_matches_the_end_of_a_longer_id():
    text = "\nXa 1\na 2\n"
    assert _ids_find(text, ["a"]) == {"a": 2}
