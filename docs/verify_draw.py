"""摇号独立验证脚本 ssj-draw/1。只用 Python 3 标准库，请对照 docs/draw-protocol.md 阅读。
用法：python3 verify_draw.py 清单文件 种子文件 [公布的result.txt]
先逐条检查清单（协议第 2 节）：不合规就用一行中文指出第几行、违反哪条规则，退出码 2（与
ssj draw verify 相同）；合规就按第 4 节复算并输出结果文本。给出第三个参数时，先核对公布的
结果文本，再按第 4 节“更换”依次重放其末尾的 substitute 行，输出更换后的 team 行；不符时退出码 1。"""
import hashlib
import re
import sys
import unicodedata


def need(ok, no, rule, file="清单", code=2):  # 规则不满足：说明第几行、哪条规则，然后结束
    if not ok:
        print(f"错误：{file}第 {no} 行：{rule}", file=sys.stderr)
        sys.exit(code)


ID, NUM = "[A-Za-z0-9._-]{1,64}", "0|[1-9][0-9]{0,8}"  # 编号与名称；不带前导零的数字
KINDS = {"task": [ID], "team": [NUM], "stratum": [ID, NUM], "target": [ID, ID],
         "inspector": [ID, NUM], "conflict": [ID, ID]}  # 各类行的字段，按规定的先后顺序
manifest = open(sys.argv[1], "rb").read()
seed = open(sys.argv[2], "rb").read()  # 种子文本原样，须为 UTF-8
need(seed.decode("utf-8", "replace").encode() == seed, 1, "种子文件必须是 UTF-8 文本", "种子文件")
lines = manifest.split(b"\n")
need(not manifest.startswith(b"\xef\xbb\xbf"), 1, "文件不得以 BOM 开头")
need(lines[0] == b"ssj-draw/1", 1, "首行必须是 ssj-draw/1（只用 LF 换行）")
tail = lines.pop()  # 最后一个换行之后的内容，应当为空
rows = {kind: {} for kind in KINDS}  # 每类行：编号 → 最后一个字段（字典保持清单中的顺序）
last_kind, last_key = "task", ""
for no, raw in enumerate(lines[1:], start=2):
    need(b"\r" not in raw and raw.isascii(), no, "只用 LF 换行（不得有 CR），只含 ASCII 字符")
    kind, *fields = raw.decode().split(" ")
    need(kind in KINDS, no, "行类型只能是 task、team、stratum、target、inspector、conflict（不得有空行）")
    need(len(fields) == len(KINDS[kind]), no, f"{kind} 行有 {len(KINDS[kind])} 个字段，以一个空格分隔，行尾无空格")
    need(all(map(re.fullmatch, KINDS[kind], fields)), no, f"编号须匹配 {ID}，数字须匹配 {NUM}")
    need((no == 2) == (kind == "task") and (no == 3) == (kind == "team"), no, "task 行恰好一行（第 2 行），team 行恰好一行（第 3 行）")
    need(list(KINDS).index(kind) >= list(KINDS).index(last_kind), no, "行按 task、team、stratum、target、inspector、conflict 排列")
    key = tuple(fields) if kind == "conflict" else fields[0]  # 排序依据：编号；conflict 按（人员, 对象）
    need(kind != last_kind or key > last_key, no, "编号不得重复" if key == last_key else "同类行须按编号升序排列")
    need(kind != "target" or fields[1] in rows["stratum"], no, "检查对象的层级必须有 stratum 行")
    need(kind != "conflict" or fields[0] in rows["inspector"] and fields[1] in rows["target"], no, "回避关系中的人员和对象必须已列出")
    rows[kind][key] = int(fields[-1]) if KINDS[kind][-1] == NUM else fields[-1]  # 数字转成整数
    last_kind, last_key = kind, key
need(tail == b"", len(lines) + 1, "文件必须以一个换行符结尾")
need(len(lines) >= 3, len(lines) + 1, "缺少 task 行或 team 行")
k = int(lines[2][5:])  # 第 3 行 team <k>：每个检查对象配几名执法人员
strata, targets, capacity, conflicts = rows["stratum"], rows["target"], rows["inspector"], rows["conflict"]
for no, (name, n) in enumerate(strata.items(), start=4):  # stratum 行从第 4 行开始
    need(n <= list(targets.values()).count(name), no, f"层级 {name} 要抽的个数超过了它的检查对象数")
# ---- 以下按第 4 节计算 ----
C = hashlib.sha256(manifest).digest()
K = hashlib.sha256(C + unicodedata.normalize("NFC", seed.decode()).encode("utf-8")).digest()


def score(label):  # 分值，作为大端序整数比较
    return hashlib.sha256(K + label.encode("utf-8")).digest()


def candidates(t, away=()):  # E：按清单顺序，与 t 无回避、未达上限、且不在 away 中的人员
    return [i for i in capacity if i not in away and (i, t) not in conflicts and load[i] < capacity[i]]


def take(E, t, m):  # 从 E 中取出第 x mod len(E) 位（从 0 数起），x = 分值("assign:t:m")
    return E.pop(int.from_bytes(score(f"assign:{t}:{m}"), "big") % len(E))


out = ["ssj-draw-result/1", "manifest " + C.hex(), "key " + K.hex()]
selected = []
for name, n in strata.items():  # 每个层级取分值最小的 n 个
    selected += sorted((score("target:" + t), t, s) for t, s in targets.items() if s == name)[:n]
selected.sort()  # 抽中顺序：按分值
out += [f"selected {t} {s} {d.hex()}" for d, t, s in selected]
load, teams = dict.fromkeys(capacity, 0), {}
for _, t, _ in selected if k > 0 else []:
    E = candidates(t)
    teams[t] = [take(E, t, j) for j in range(k)] if len(E) >= k else []  # 第一人是组长；不足 k 人则未配齐
    for i in teams[t]:
        load[i] += 1
    out.append(f"team {t} {' '.join(teams[t])}" if teams[t] else "unstaffed " + t)
text = "\n".join(out) + "\n"
if len(sys.argv) < 4:
    sys.stdout.buffer.write(text.encode("ascii"))
else:  # ---- 核对公布的 result.txt，依次重放其中的更换 ----
    where = sys.argv[3] + " "  # 出错时说明是哪个文件
    published = open(sys.argv[3], "rb").read().decode("ascii", "replace")
    need(published.startswith(text), 1, "开头的结果文本与复算结果不一致", where, 1)
    rest = published[len(text):].split("\n")  # 结果文本之后：substitute <对象> <换下> <换上>
    need(rest.pop() == "", published.count("\n") + 1, "文件必须以换行符结尾", where, 1)
    replaced = {t: [] for t in teams}  # 每个对象上被换下过的人
    for no, line in enumerate(rest, start=len(out) + 1):
        sub = re.fullmatch(f"substitute ({ID}) ({ID}) ({ID})", line)
        need(sub and sub[2] in teams.get(sub[1], []), no, "不是本次结果中某个检查组的一次更换", where, 1)
        t, leaving, joining = sub.groups()
        E = candidates(t, teams[t] + replaced[t])  # m = k + 此前对 t 的更换次数
        expected = take(E, t, k + len(replaced[t])) if E else "（无人可换）"
        need(joining == expected, no, f"按协议应换上 {expected}", where, 1)
        teams[t] = [i for i in teams[t] if i != leaving] + [joining]  # 替补排到末尾，组长是第一人
        load[leaving], load[joining] = load[leaving] - 1, load[joining] + 1
        replaced[t].append(leaving)
    sys.stdout.buffer.write("".join(f"team {t} {' '.join(teams[t])}\n" for t in teams if teams[t]).encode("ascii"))
