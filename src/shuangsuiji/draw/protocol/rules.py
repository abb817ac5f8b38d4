"""The rules of §2 (manifest format): the patterns, the canonical order of the line kinds,
and :class:`ManifestError`, which names the line and the rule broken."""

import re

VERSION = "ssj-draw/1"

HEADER = b"ssj-draw/1"
ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
NUMBER = re.compile(rb"0|[1-9][0-9]{0,8}")
# Bytes that may appear in a target line besides the single spaces and LFs between them.
ID_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

# Kind of line → (rank in the canonical order, field names, which fields are numbers).
KINDS: dict[bytes, tuple[int, tuple[str, ...], tuple[bool, ...]]] = {
    b"task": (0, ("<code>",), (False,)),
    b"team": (1, ("<k>",), (True,)),
    b"stratum": (2, ("<name>", "<n>"), (False, True)),
    b"target": (3, ("<id>", "<stratum>"), (False, False)),
    b"inspector": (4, ("<id>", "<capacity>"), (False, True)),
    b"conflict": (5, ("<inspector-id>", "<target-id>"), (False, False)),
}
_ORDER = "task、team、stratum、target、inspector、conflict"

# The rules of §2, as named in error messages (清单规则).
RULE_HEADER = "首行必须是 ssj-draw/1"
RULE_BOM = "UTF-8 编码，不带 BOM"
RULE_ASCII = "编号、名称与数字只含 ASCII 字符"
RULE_LF = "只用 LF（\\n）换行，不得用 CRLF"
RULE_FINAL_NEWLINE = "文件以恰好一个换行符结尾"
RULE_BLANK = "不得有空行"
RULE_SPACES = "字段之间恰好一个空格，行首行尾不得有空格"
RULE_KIND = f"行类型只能是 {_ORDER}"
RULE_FIELDS = "每类行的字段个数固定"
RULE_ID = "编号、名称须匹配 [A-Za-z0-9._-]{1,64}"
RULE_NUMBER = "数字为不带前导零的十进制数（0|[1-9][0-9]{0,8}）"
RULE_ORDER = f"行按 {_ORDER} 的顺序排列"
RULE_ONE = "task 行与 team 行各恰好一行"
RULE_SORTED = "同类行按编号升序排列（conflict 按执法人员编号、再按检查对象编号）"
RULE_UNIQUE = "每个编号只出现一次"
RULE_STRATUM = "检查对象的层级必须有对应的 stratum 行"
RULE_N = "stratum 的抽取数 n 不得大于该层级的检查对象数"
RULE_REFERENCE = "conflict 中的执法人员与检查对象必须已在清单中列出"


class ManifestError(ValueError):
    """The manifest breaks a rule of §2; ``line`` is 1-based, ``rule`` names the rule."""

    def __init__(self, line: int, rule: str, detail: str):
        self.line = line
        self.rule = rule
        self.detail = detail
        self.message = f"清单第 {line} 行：{detail}（规则：{rule}）"
        super().__init__(self.message)
