"""Benchmark ``case_file.xlsx`` (jobs.export.workbook.write_workbook): seconds and peak memory as JSON.

Usage::

    .venv/bin/python bench/bench_workbook.py --records 200000 --out bench/results/workbook_200k.json

A bundle folder is made first (not timed): ``records.csv`` with the real column layout of
``records.csv`` (:func:`jobs.export.bundle.record_columns`) and synthetic values (random 18-digit ID
numbers, 11-digit phones, 19-digit cards, names and addresses from small pools; about 40 of 52 cells
filled, as in the reference seizure), a ``duplicates.csv`` of a tenth of the rows, a small
``quarantine.csv``. The timed part is :func:`write_workbook` as the export stage calls it. Peak
memory is the process's maximum resident set (``ru_maxrss``) after the write, against before it:
the constant-memory writer should keep it flat as the rows grow. Only counts are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
PLACES = ["北京市朝阳区建国路", "上海市浦东新区世纪大道", "广东省深圳市南山区科技园", "浙江省杭州市西湖区文三路"]


def make_bundle(folder: Path, records: int, seed: int) -> None:
    from jobs.common.fields import FIELDS, LOCATOR_COLUMNS
    from jobs.export.bundle import BOM, record_columns

    rng = random.Random(seed)
    cols = ["record_id"]
    for spec in FIELDS:
        cols += spec.record_columns()
    cols += ["category", "cluster_size", "count_status", "exclusion_reason", "probable_survivor_record_id", "lower_category",
             *LOCATOR_COLUMNS, "extra"]
    cols = record_columns(cols)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "records.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(BOM.decode("utf-8"))
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for i in range(records):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            idn = f"{rng.randrange(110000, 659000)}{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(0, 10000):04d}"
            phone = f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}"
            addr = rng.choice(PLACES) + f"{rng.randrange(1, 999)}号"
            card = f"62{rng.randrange(0, 10**17):017d}"
            values = {"record_id": f"{rng.getrandbits(128):032x}", "name_raw": name, "name": name, "name_status": "valid", "name_key": name,
                      "id_number_raw": idn, "id_number": idn, "id_number_status": "valid", "id_birth_date": idn[6:14], "id_sex": "M",
                      "id_region_code": idn[:6], "id_region_status": "known", "phone_raw": phone, "phone": phone, "phone_status": "valid",
                      "phone_kind": "mobile", "address_raw": addr, "address": addr, "address_status": "valid", "address_province": addr[:3],
                      "address_city": addr[3:6], "address_district": addr[6:9], "address_remainder": addr[9:], "bank_card_raw": card,
                      "bank_card": card, "bank_card_status": "valid", "bank_card_luhn": "pass", "category": "tier_500", "cluster_size": "1",
                      "count_status": "counted", "item_sha256": "ab" * 32, "item_path": "住宿登记.csv", "sheet": "", "line_number": str(i + 2),
                      "byte_offset": str(i * 180)}
            w.writerow([values.get(c, "") for c in cols])
    with open(folder / "duplicates.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["record_id", "survivor_record_id", "reason", "item_path", "line_number", "match_weight"])
        for i in range(records // 10):
            w.writerow([f"{i:032x}", f"{i + 1:032x}", "probable_duplicate", "住宿登记.csv", str(i + 2), f"{rng.uniform(-5, 30):.6f}"])
    with open(folder / "quarantine.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["item_path", "line_number", "reason_code", "raw_line"])
        for i in range(100):
            w.writerow(["住宿登记.csv", str(i), "too_few_fields", "x,y"])
    (folder / "validation").mkdir(exist_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="bench/results/workbook_200k.json")
    ap.add_argument("--label", default="", help="what is measured (e.g. the commit), copied into the result")
    args = ap.parse_args()

    from jobs.export.i18n import Catalog
    from jobs.export.workbook import write_workbook

    folder = Path(tempfile.mkdtemp(prefix="cf_bench_workbook_"))
    try:
        t0 = time.perf_counter()
        make_bundle(folder, args.records, args.seed)
        gen_seconds = time.perf_counter() - t0
        summary = {"case_id": "BENCH-0001", "seizure_id": "S01", "count_statement": [{"step": "records", "rows": args.records, "rule": ""}]}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t1, c1 = time.perf_counter(), time.process_time()
        stats = write_workbook(folder / "case_file.xlsx", folder, summary, [{"path": "住宿登记.csv", "bytes": 1}],
                               catalog=Catalog(), hash_algorithms=("sha256",))
        seconds, cpu_seconds = time.perf_counter() - t1, time.process_time() - c1
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(folder / "records.csv", encoding="utf-8") as fh:
            cells = sum(1 for _ in fh)  # lines, as a size check
        result = {
            "benchmark": "case_file.xlsx (jobs.export.workbook.write_workbook)",
            "label": args.label,
            "records": args.records,
            "record_sheets": [n for n in stats.sheets if n.startswith("去重后记录")],
            "rows_per_sheet": stats.sheets,
            "records_csv_bytes": (folder / "records.csv").stat().st_size,
            "records_csv_lines": cells,
            "workbook_bytes": (folder / "case_file.xlsx").stat().st_size,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_seconds, 2),
            "cpu_microseconds_per_record": round(cpu_seconds / args.records * 1e6, 1),
            "records_per_second": round(args.records / seconds),
            "peak_rss_mib_before": round(rss_before / 1024, 1),
            "peak_rss_mib_after": round(rss_after / 1024, 1),
            "generator_seconds": round(gen_seconds, 2),
            "cpus": os.cpu_count(),
            "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "note": "timed: read records/duplicates/quarantine CSV + write every sheet + close (zip); one Python process, "
                    "one core; machine shared with other work, so wall-clock times vary: compare cpu_seconds",
        }
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({k: result[k] for k in ("records", "seconds", "cpu_seconds", "records_per_second", "peak_rss_mib_before", "peak_rss_mib_after")}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
