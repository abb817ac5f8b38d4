"""摇号独立验证脚本 ssj-draw/1：python3 verify_draw.py 清单文件 种子文件
Prints the result text of the protocol (docs/draw-protocol.md). Python 3 standard library only."""
import hashlib
import sys
import unicodedata

manifest = open(sys.argv[1], "rb").read()
seed = open(sys.argv[2], "rb").read().decode("utf-8")  # the seed text exactly as published
lines = manifest.decode("ascii").split("\n")
if lines[0] != "ssj-draw/1" or lines[-1] != "":
    sys.exit("不是 ssj-draw/1 清单：首行必须是 ssj-draw/1，文件以换行结尾")
rows = [line.split(" ") for line in lines[1:-1]]
k = [int(r[1]) for r in rows if r[0] == "team"][0]  # inspectors per target
strata = [(r[1], int(r[2])) for r in rows if r[0] == "stratum"]
targets = [(r[1], r[2]) for r in rows if r[0] == "target"]
capacity = {r[1]: int(r[2]) for r in rows if r[0] == "inspector"}  # keeps manifest order
conflicts = {(r[1], r[2]) for r in rows if r[0] == "conflict"}
C = hashlib.sha256(manifest).digest()
K = hashlib.sha256(C + unicodedata.normalize("NFC", seed).encode("utf-8")).digest()
def score(label):
    return hashlib.sha256(K + label.encode("utf-8")).digest()
out = ["ssj-draw-result/1", "manifest " + C.hex(), "key " + K.hex()]
selected = []
for name, n in strata:  # the n smallest scores of each stratum
    selected += sorted((score("target:" + t), t, s) for t, s in targets if s == name)[:n]
selected.sort()  # selection order: by score
out += [f"selected {t} {s} {d.hex()}" for d, t, s in selected]
load = dict.fromkeys(capacity, 0)
for _, t, _ in selected if k > 0 else []:
    E = [i for i in capacity if (i, t) not in conflicts and load[i] < capacity[i]]
    if len(E) < k:
        out.append("unstaffed " + t)
        continue
    team = [E.pop(int.from_bytes(score(f"assign:{t}:{j}"), "big") % len(E)) for j in range(k)]
    for i in team:
        load[i] += 1
    out.append(f"team {t} {' '.join(team)}")
sys.stdout.buffer.write(("\n".join(out) + "\n").encode("ascii"))
