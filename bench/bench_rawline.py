"""CPU and memory of reading sampled records' raw lines again (``jobs.review.rawline.raw_lines``, what
``casefile review`` does at start-up) on a large CSV and a large XLSX item (issue 17: "raw-line parsing
cost on very large files not measured").

Usage::

    nice -n 10 .venv/bin/python bench/bench_rawline.py --csv-rows 1000000 --xlsx-rows 1000000 \\
        --out bench/results/rawline_2026-12-04.json
    # A/B: the same inputs, the code of another tree (a checkout of the commit before a change)
    nice -n 10 .venv/bin/python bench/bench_rawline.py --root /tmp/rawline-a --data /tmp/rawline-data --label A ...

The items are synthetic (hotel-dump columns, generated identifiers; nothing seized), written once
into ``--data`` and registered into a local-folder store there (not measured). Each measured run is a
fresh Python process (``--root`` on ``sys.path``, so the same script measures any tree) that calls
``raw_lines`` for ``--sample`` records of the item at seeded random lines, the item's last line always
among them (so the whole item is parsed: the review's worst case; intake's sample is Cochran's, about
385 per category). Recorded per run: CPU seconds (user + sys of the process and its children,
``getrusage``; the machine is shared, so wall time is recorded but not compared), wall seconds, the
peak RSS during the call (``VmHWM`` after resetting it through ``/proc/self/clear_refs`` once the
imports are done: the imports alone peak higher than the call, so ``ru_maxrss`` would hide it) and
its growth over the RSS before the call, and whether every wanted
record's raw line was found and equals the line written (checked against the generator's own lines).
Only counts are printed, never a value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["Name", "CtfTp", "CtfId", "Gender", "Birthday", "Address", "Mobile", "EMail", "Version"]
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999 check character weights


def _id_number(rnd: random.Random) -> str:
    body = f"110105{rnd.randrange(1950, 2000)}{rnd.randrange(1, 13):02d}{rnd.randrange(1, 29):02d}{rnd.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W)) % 11]


def _rows(n: int, seed: int):
    rnd = random.Random(seed)
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
    for i in range(n):
        ident = _id_number(rnd)
        yield [rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given), "ID", ident, "M" if int(ident[16]) % 2 else "F",
               ident[6:14], f"北京市朝阳区建国路{rnd.randrange(1, 999)}号{rnd.randrange(1, 30)}楼", f"139{rnd.randrange(10**8):08d}",
               f"user{i}@example.com", "2013-1-1"]


def make_csv(path: Path, n: int, seed: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER) + "\r\n")
        for row in _rows(n, seed):
            f.write(",".join(row) + "\r\n")


def make_xlsx(path: Path, n: int, seed: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(_rows(n, seed), start=1):
        ws.write_row(r, 0, row)
    wb.close()


def prepare(data: Path, csv_rows: int, xlsx_rows: int, seed: int) -> dict:
    """Write and register the items once (idempotent): ``data/src/*``, the store under ``data/home``."""
    from jobs.common.storage.local import LocalStorage
    from jobs.intake.evidence import register_evidence

    src = data / "src"
    done = data / "prepared.json"
    if done.exists():
        return json.loads(done.read_text())
    src.mkdir(parents=True, exist_ok=True)
    items = {}
    if csv_rows:
        make_csv(src / "hotel.csv", csv_rows, seed)
        items["hotel.csv"] = {"format": "csv", "rows": csv_rows, "sheet": ""}
    if xlsx_rows:
        make_xlsx(src / "hotel.xlsx", xlsx_rows, seed)
        items["hotel.xlsx"] = {"format": "xlsx", "rows": xlsx_rows, "sheet": "Sheet1"}
    register_evidence(LocalStorage(data / "home"), "BENCH", "S1", str(src))
    for name, meta in items.items():
        b = (src / name).read_bytes()
        meta.update(bytes=len(b), sha256=hashlib.sha256(b).hexdigest())
    done.write_text(json.dumps(items, indent=1))
    return items


# The measured child: imports the tree given by --root, reads the raw lines, reports rusage.
CHILD = r"""
import json, resource, sys, time, hashlib
root, data, name, meta, lines_wanted = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
sys.path.insert(0, root)
from jobs.common.config import load_config
from jobs.common.storage.local import LocalStorage
from jobs.intake.records import record_id
from jobs.review.rawline import raw_lines
storage = LocalStorage(data + "/home")
synonyms = load_config().synonyms
records = [{"record_id": record_id(meta["sha256"], meta["sheet"], n, None), "item_sha256": meta["sha256"], "item_path": name,
            "sheet": meta["sheet"], "line_number": str(n)} for n in lines_wanted]
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # Linux: reset the peak RSS (VmHWM) to the current RSS, so the peak below is the call's own
rss0 = status("VmRSS")
c0 = resource.getrusage(resource.RUSAGE_SELF); k0 = resource.getrusage(resource.RUSAGE_CHILDREN); w0 = time.monotonic()
got = raw_lines(storage, "BENCH", "S1", records, synonyms)
w1 = time.monotonic(); c1 = resource.getrusage(resource.RUSAGE_SELF); k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
rss1 = status("VmHWM")
found = [got.get(r["record_id"]) for r in records]
print(json.dumps({"cpu_seconds": round((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
                                      + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime), 2),
                  "wall_seconds": round(w1 - w0, 2), "peak_rss_mib": round(rss1 / 1024, 1), "rss_growth_mib": round((rss1 - rss0) / 1024, 1),
                  "rss_before_mib": round(rss0 / 1024, 1), "peak_rss_imports_mib": round(rss_imports / 1024, 1),
                  "found": sum(1 for x in found if x is not None),
                  "lines_sha256": hashlib.sha256("\n".join(x or "" for x in found).encode()).hexdigest()}))
"""


def expected_lines(data: Path, name: str, meta: dict, wanted: list[int]) -> str:
    """SHA-256 of the wanted lines as the generator wrote them (independent of the parser): the CSV's
    physical lines; an XLSX row's cells joined as intake's spreadsheet raw line joins them (tab)."""
    if meta["format"] == "csv":
        want = set(wanted)
        got = {}
        with open(data / "src" / name, encoding="utf-8", newline="") as f:
            for n, line in enumerate(f, start=1):
                if n in want:
                    got[n] = line.rstrip("\r\n")
        return hashlib.sha256("\n".join(got[n] for n in wanted).encode()).hexdigest()
    want = set(wanted)
    rows = {i + 2: "\t".join(r) for i, r in enumerate(_rows(meta["rows"], SEED)) if i + 2 in want}
    return hashlib.sha256("\n".join(rows[n] for n in wanted).encode()).hexdigest()


SEED = 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=200_000)
    ap.add_argument("--sample", type=int, default=385, help="records read per item (Cochran 95 %% ± 5 %%, large population: 385)")
    ap.add_argument("--data", default="", help="where the items and their store are kept (reused when prepared)")
    ap.add_argument("--root", default=str(ROOT), help="the tree whose jobs/ is measured")
    ap.add_argument("--label", default="", help="name of this tree in the results (A/B)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=("csv", "xlsx"), default=None, help="measure one item only")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    data = Path(args.data or tempfile.mkdtemp(prefix="cf_bench_rawline_"))
    items = prepare(data, args.csv_rows, args.xlsx_rows, SEED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFILE_")}
    results = []
    for name, meta in sorted(items.items()):
        if args.only and meta["format"] != args.only:
            continue
        rnd = random.Random(SEED)
        last = meta["rows"] + 1  # line 1 is the header
        wanted = sorted({*rnd.sample(range(2, last + 1), min(args.sample, meta["rows"]) - 1), last})
        expect = expected_lines(data, name, meta, wanted)
        for rep in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, args.root, str(data), name, json.dumps(meta), json.dumps(wanted)],
                                 capture_output=True, text=True, env=env, cwd=args.root)
            if out.returncode:
                print(out.stderr[-3000:], file=sys.stderr)
                return 1
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r.update(item=name, format=meta["format"], rows=meta["rows"], bytes=meta["bytes"], wanted=len(wanted), repeat=rep,
                     lines_match_generator=r.pop("lines_sha256") == expect,
                     cpu_seconds_per_million_rows=round(r["cpu_seconds"] * 1_000_000 / meta["rows"], 2))
            results.append(r)
            print(f"{args.label or 'run'} {name}: {meta['rows']} rows, {r['found']}/{len(wanted)} found, match {r['lines_match_generator']}, "
                  f"{r['cpu_seconds']} CPU-s ({r['cpu_seconds_per_million_rows']} per 1M rows), peak RSS {r['peak_rss_mib']} MiB", flush=True)
    doc = {"bench": "rawline", "label": args.label, "root": args.root, "python": platform.python_version(), "cpus": os.cpu_count(),
           "sample": args.sample, "results": results}
    if args.out:
        path = Path(args.out)
        old = json.loads(path.read_text()) if path.exists() else {}
        runs = [*old.get("runs", []), doc]
        path.write_text(json.dumps({**{k: v for k, v in old.items() if k != "runs"}, "runs": runs}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
