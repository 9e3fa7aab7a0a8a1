"""Peak memory of every intake parser on inputs of the worst shapes, at several sizes (issue 13:
"parse in bounded memory"; a parser's memory must grow with its largest single value, not with the
file).

Usage::

    .venv/bin/python bench/bench_intake_memory.py --sizes 1,10,50 --out bench/results/intake_memory_2026-12-03.json
    .venv/bin/python bench/bench_intake_memory.py --sizes 1 --cases sql_,csv_   # a subset, by name prefix

Each case writes one synthetic item of about ``size`` MB (the shape is in ``CASES``: one huge
field, many tiny rows, many quarantined rows, deep nesting, one statement of many tuples...) and
runs ``jobs.intake.worker.parse_item_to_parquet`` on it (what one intake Spark task runs) in a
fresh Python process, after a warm-up on a small item of the same format so that first imports
are not counted. Recorded per case and size: the ``tracemalloc`` peak (Python allocations; what
tests/unit/test_intake_fuzz.py bounds), the growth of the process's peak RSS over the warm-up
(``ru_maxrss``: also what Arrow, lxml and SQLite allocate in C), the seconds and the rows. The
ratio ``tracemalloc peak / input bytes`` tells which parsers grow with the file: a parser bounded
by its largest value shows a flat peak on the "many tiny rows" shapes. Only counts are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1_000_000


def _repeat(head: str, line: str, size: int, tail: str = "") -> str:
    return head + line * max(1, (size - len(head) - len(tail)) // len(line)) + tail


def _csv_huge_field(size: int) -> bytes:
    return ('姓名,地址\n张三,"' + "x" * size + '"\n').encode()


def _csv_tiny_rows(size: int) -> bytes:
    return _repeat("姓名,手机号\n", "张三,13912345678\n", size).encode()


def _jsonl_bad_rows(size: int) -> bytes:  # every line quarantined (json_parse_error)
    return _repeat("", "{not json: 13912345678}\n", size).encode()


def _txt_utf16_tiny_rows(size: int) -> bytes:
    return _repeat("姓名\t手机号\n", "张三\t13912345678\n", size // 2).encode("utf-16")


def _jsonl_huge_value(size: int) -> bytes:
    return ('{"姓名": "' + "x" * size + '"}\n').encode()


def _jsonl_tiny_rows(size: int) -> bytes:
    return _repeat("", '{"姓名": "张三", "手机号": "13912345678"}\n', size).encode()


def _jsonl_deep(size: int) -> bytes:  # lines nested 5,000 deep, each quarantined json_too_deep
    line = '{"a":' * 5000 + "1" + "}" * 5000 + "\n"
    return _repeat("", line, size).encode()


def _json_tiny_elements(size: int) -> bytes:
    return _repeat('{"RECORDS": [', '{"姓名": "张三", "手机号": "13912345678"},', size, '{"姓名": "李四"}]}').encode()


def _sql_huge_literal(size: int) -> bytes:
    return ("INSERT INTO `t` VALUES (1,'" + "x" * size + "'),(2,'y');\n").encode()


def _sql_one_line_many_tuples(size: int) -> bytes:  # mysqldump --extended-insert, one huge line
    return _repeat("INSERT INTO `t` (`姓名`,`手机号`) VALUES ", "('张三','13912345678'),", size, "('李四','13912345679');\n").encode()


def _sql_tuple_per_line(size: int) -> bytes:  # Navicat / phpMyAdmin: one statement, a tuple a line
    return _repeat("INSERT INTO `t` (`姓名`,`手机号`) VALUES\n", "('张三','13912345678'),\n", size, "('李四','13912345679');\n").encode()


def _sql_unterminated_quote(size: int) -> bytes:  # a quote left open near the top of one statement
    return _repeat("INSERT INTO `t` (`姓名`,`手机号`) VALUES\n('王五,'13912345670'),\n", "('张三','13912345678'),\n", size,
                   "('李四','13912345679');\n").encode()


def _sql_statement_without_end(size: int) -> bytes:  # lines of a statement that never ends (no ;)
    return _repeat("SET @a = \n", "  1 + 2 +\n", size).encode()


def _xlsx_tiny_rows(size: int) -> bytes:
    import io
    import random

    from openpyxl import Workbook

    rnd = random.Random(1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["姓名", "手机号", "地址"])
    # random digits compress about 2.2x: ~30 bytes of file a row
    for _ in range(max(1, size // 30)):
        ws.append(["张三", str(13900000000 + rnd.randrange(10**8)), str(rnd.randrange(10**9))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xls_tiny_rows(size: int) -> bytes:
    import io

    import xlwt

    book = xlwt.Workbook()
    rows_per_sheet, n = 65_000, max(1, size // 40)  # ~40 bytes a row of three text cells
    for s in range(0, n, rows_per_sheet):
        sheet = book.add_sheet(f"s{s // rows_per_sheet}")
        sheet.write(0, 0, "姓名")
        sheet.write(0, 1, "手机号")
        sheet.write(0, 2, "备注")
        for r in range(1, min(rows_per_sheet, n - s) + 1):
            sheet.write(r, 0, "张三")
            sheet.write(r, 1, str(13900000000 + s + r))
            sheet.write(r, 2, str(s + r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _sqlite(rows) -> bytes:
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp, "x.db")
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE t (姓名 TEXT, 手机号 TEXT)")
        con.executemany("INSERT INTO t VALUES (?, ?)", rows)
        con.commit()
        con.close()
        return db.read_bytes()


def _sqlite_tiny_rows(size: int) -> bytes:
    return _sqlite(("张三", str(13900000000 + i)) for i in range(max(1, size // 30)))


def _sqlite_huge_value(size: int) -> bytes:
    return _sqlite([("张三", "x" * size)])


def _dbf_tiny_rows(size: int) -> bytes:
    import dbf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "x.dbf")
        table = dbf.Table(str(path), "XM C(10); SJH C(11)", codepage="cp936")
        table.open(dbf.READ_WRITE)
        for i in range(max(1, size // 22)):  # 1 flag byte + 21 bytes of fields a record
            table.append(("张三", str(13900000000 + i)))
        table.close()
        return path.read_bytes()


#: name → (file name of the item, generator of ``size`` bytes, largest size in MB it is run at:
#: the format's own limits, or the time it takes to write the input).
CASES = {
    "csv_huge_field": ("a.csv", _csv_huge_field, 50),
    "csv_tiny_rows": ("a.csv", _csv_tiny_rows, 50),
    "txt_utf16_tiny_rows": ("a.txt", _txt_utf16_tiny_rows, 50),
    "jsonl_huge_value": ("a.jsonl", _jsonl_huge_value, 50),
    "jsonl_tiny_rows": ("a.jsonl", _jsonl_tiny_rows, 50),
    "jsonl_quarantined_rows": ("a.jsonl", _jsonl_bad_rows, 50),
    "jsonl_deep_nesting": ("a.jsonl", _jsonl_deep, 50),
    "json_document_tiny_elements": ("a.json", _json_tiny_elements, 50),
    "sql_huge_literal": ("a.sql", _sql_huge_literal, 50),
    "sql_one_line_many_tuples": ("a.sql", _sql_one_line_many_tuples, 50),
    "sql_tuple_per_line": ("a.sql", _sql_tuple_per_line, 50),
    "sql_unterminated_quote": ("a.sql", _sql_unterminated_quote, 50),
    "sql_statement_without_end": ("a.sql", _sql_statement_without_end, 50),
    "xlsx_tiny_rows": ("a.xlsx", _xlsx_tiny_rows, 10),
    "xls_tiny_rows": ("a.xls", _xls_tiny_rows, 10),
    "sqlite_tiny_rows": ("a.db", _sqlite_tiny_rows, 50),
    "sqlite_huge_value": ("a.db", _sqlite_huge_value, 50),
    "dbf_tiny_rows": ("a.dbf", _dbf_tiny_rows, 10),
}

_CHILD = r"""
import hashlib, json, resource, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from jobs.intake.worker import parse_item_to_parquet
SYN = {"name": ["姓名"], "phone": ["手机号"], "address": ["地址"]}
def item_of(path):  # the item's SHA-256 is not the parser's business: any 64 hex digits
    (path.parent / "out").mkdir()
    return {"index": 0, "path": path.name, "local_path": str(path), "sha256": hashlib.sha256(path.name.encode()).hexdigest()}
warm, big = Path(sys.argv[2]), Path(sys.argv[3])
parse_item_to_parquet(item_of(warm), str(warm.parent / "out"), SYN)
item = item_of(big)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
res = parse_item_to_parquet(item, str(big.parent / "out"), SYN)
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tracemalloc_peak_bytes": peak, "maxrss_growth_bytes": (rss1 - rss0) * 1024, "seconds": round(seconds, 2),
                  "status": res.get("status", "read"), "refusal_reason": res.get("refusal_reason"),
                  "rows_read": res["rows_read"], "records": res["records"], "rows_quarantined": res["rows_quarantined"]}))
"""


def measure(name: str, size_mb: float) -> dict:
    file_name, make, _ = CASES[name]
    with tempfile.TemporaryDirectory(prefix="cf_bench_mem_") as tmp:
        (Path(tmp, "w")).mkdir()
        (Path(tmp, "b")).mkdir()
        warm, big = Path(tmp, "w", file_name), Path(tmp, "b", file_name)
        warm.write_bytes(make(2_000))
        big.write_bytes(make(int(size_mb * MB)))
        size = big.stat().st_size
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(warm), str(big)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {"case": name, "size_mb": size_mb, "input_bytes": size, "error": proc.stderr.strip().splitlines()[-1:]}
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"case": name, "size_mb": size_mb, "input_bytes": size, **out,
            "peak_per_input_byte": round(out["tracemalloc_peak_bytes"] / size, 3)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,50", help="MB, comma-separated")
    ap.add_argument("--cases", default="", help="comma-separated name prefixes (default: all)")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    prefixes = [p for p in args.cases.split(",") if p]
    results = []
    for name, (_, _, largest) in CASES.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        for size in sizes:
            if size > largest:
                continue
            t0 = time.perf_counter()
            r = measure(name, size)
            r["wall_seconds_with_generation"] = round(time.perf_counter() - t0, 1)
            results.append(r)
            print(json.dumps(r), flush=True)
            doc = {"bench": "intake_memory", "python": platform.python_version(), "machine": platform.machine(),
                   "cpus": os.cpu_count(), "sizes_mb": sizes, "results": results}
            if args.out:  # after every case: a long run stopped early keeps what it measured
                Path(args.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
