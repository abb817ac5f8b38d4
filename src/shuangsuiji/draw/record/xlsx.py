"""The 抽查工作记录表 as an xlsx workbook (XlsxWriter)."""

import io

from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.common.xlsx import book_open
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.record.data import TITLE, record_data
from shuangsuiji.imports.tabular import neutralise

# --- xlsx ------------------------------------------------------------------------------------


def record_xlsx(*, draw: Draw) -> bytes:
    """The same record as a workbook: 记录表 (the fields), 抽中对象及检查组 (one row per
    target, one column per team member), 抽取范围 (strata and the excluded list),
    更换与作废 (substitutions, 直接委派, remedy and void draws). Every text cell that a
    spreadsheet would run as a formula (= + - @) is neutralised."""
    data = record_data(draw=draw)
    buf = io.BytesIO()
    book = book_open(buf)
    bold = book.add_format({"bold": True, "bg_color": "#F3EEEE", "border": 1, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    header = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#8A1C1C", "border": 1}
    )
    title_fmt = book.add_format({"bold": True, "font_size": 16})

    def put(sheet, row: int, col: int, value, fmt=None) -> None:
        if isinstance(value, int):
            sheet.write_number(row, col, value, fmt)
        else:
            sheet.write_string(row, col, neutralise("" if value is None else str(value)), fmt)

    def table(sheet, first_row: int, head: list[str], rows: list[list]) -> int:
        for c, h in enumerate(head):
            put(sheet, first_row, c, h, header)
        for r, values in enumerate(rows, start=first_row + 1):
            for c, v in enumerate(values):
                put(sheet, r, c, v, wrap)
        return first_row + len(rows) + 2

    main = book.add_worksheet("记录表")
    main.set_column(0, 0, 24)
    main.set_column(1, 1, 100)
    put(main, 0, 0, TITLE, title_fmt)
    put(main, 1, 0, f"{data.draw.task.code} 第{data.draw.number}次摇号（协议 ssj-draw/1）")
    r = 3
    sections = [
        ("抽查任务", data.task_fields),
        ("摇号经过", data.draw_fields),
        (
            "可验证数据",
            [
                ("名单摘要 C（SHA-256）", data.draw.manifest_sha256),
                ("密钥 K", data.draw.key_hex),
                ("种子文本（原样）", data.draw.seed_text),
                ("种子来源", mask_personal_numbers(data.draw.seed_sources or "")),
                ("见证人（纪检监督人员）", mask_personal_numbers(data.draw.witnesses or "")),
                (
                    "名单规模",
                    f"{data.draw.manifest_lines}行，候选执法检查人员{data.inspectors}名，"
                    f"利害关系回避{data.conflicts}对",
                ),
            ],
        ),
        ("公开验证", [("公开页面", data.url), ("复核方法", data.verify_note)]),
    ]
    for name, fields in sections:
        put(main, r, 0, name, header)
        r += 1
        for k, v in fields:
            put(main, r, 0, k, bold)
            put(main, r, 1, v, wrap)
            r += 1
        r += 1

    width = max([len(row.team) for row in data.rows] + [0])
    sel = book.add_worksheet("抽中对象及检查组")
    sel.freeze_panes(1, 0)
    sel.set_column(0, 0, 6)
    sel.set_column(1, 1, 36)
    sel.set_column(2, 3, 22)
    sel.set_column(4, 4 + width, 26)
    head = (
        ["序号", "检查对象名称", "统一社会信用代码", "层"]
        + ["组长" if i == 0 else f"组员{i}" for i in range(width)]
        + ["说明"]
    )
    rows = []
    for row in data.rows:
        members = [m.text.split(" ", 1)[1] for m in row.team]
        rows.append(
            [
                row.rank,
                row.name,
                row.uscc or row.target_id,
                row.stratum,
                *members,
                *[""] * (width - len(members)),
                row.note,
            ]
        )
    table(sel, 0, head, rows)

    scope = book.add_worksheet("抽取范围")
    scope.set_column(0, 0, 22)
    scope.set_column(1, 1, 40)
    scope.set_column(2, 3, 22)
    nxt = table(
        scope,
        0,
        ["层（名单代码）", "说明", "候选对象数", "抽取数"],
        [[s.name, s.label, s.pool, s.n] for s in data.strata],
    )
    nxt = table(
        scope,
        nxt,
        ["排除理由", "数量"],
        [[reason, count] for reason, count in data.excluded_counts],
    )
    table(
        scope,
        nxt,
        ["排除对象", "对象标识", "排除理由"],
        [[e.get("name", ""), e.get("target_id", ""), e.get("reason", "")] for e in data.excluded],
    )

    other = book.add_worksheet("更换与作废")
    other.set_column(0, 6, 24)
    nxt = table(
        other,
        0,
        [
            "更换顺序",
            "对象标识",
            "检查对象",
            "被更换人员",
            "替补人员",
            "更换理由",
            "审批人",
            "审批时间",
        ],
        [
            [s.seq, s.target, s.entity, s.out, s.inn, s.reason, s.approved_by, s.approved_at]
            for s in data.substitutions
        ],
    )
    nxt = table(
        other, nxt, ["直接委派（非随机）对象", "委派人员", "理由"], [list(d) for d in data.direct]
    )
    nxt = table(
        other,
        nxt,
        ["补充匹配与配合部门人员匹配摇号", "状态", "名单摘要 C", "时间"],
        [[f"第{d.number}次", d.state, d.sha256, d.when] for d in data.remedies],
    )
    table(
        other,
        nxt,
        ["作废的摇号", "名单摘要 C", "作废时间", "作废理由"],
        [[f"第{d.number}次", d.sha256, d.when, d.reason] for d in data.voids],
    )
    book.close()
    return buf.getvalue()
