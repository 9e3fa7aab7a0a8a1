"""Property-based fuzzing of every intake parser (issue 13, "make it stay fixed").

Inputs (Hypothesis): random bytes, truncations and random splices of valid generated files of every
format, giant fields, deep nesting, lines in mixed encodings, under every file name extension intake
reads. Properties, for each input, through ``parse_item_to_parquet`` (what a Spark task runs):

- no exception leaves the item (an unreadable item is refused with a reason code of
  :mod:`jobs.intake.refusals`, never raised);
- an item that is read has balanced ledgers (``rows_read = records + rows_quarantined`` and the line
  ledger), and its Parquet parts hold exactly ``records`` raw records and ``rows_quarantined`` rows;
- no row is both a record and quarantined (their locators are disjoint);
- bounded memory: the peak of Python allocations while one item is parsed (``tracemalloc``) stays
  under :func:`memory_bound` of its size.

Time: ``CASEFILE_FUZZ_SECONDS`` (3 in ``make test``, 300 in ``make fuzz``); the test prints how
many inputs it tried.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.intake.refusals import ALL_REASONS
from jobs.intake.worker import parse_item_to_parquet

SYNONYMS = {"name": ["姓名", "name"], "id_number": ["身份证号"], "phone": ["手机号"], "address": ["地址"]}
SECONDS = float(os.environ.get("CASEFILE_FUZZ_SECONDS", "3"))
EXTENSIONS = (".csv", ".txt", ".tsv", ".dat", "", ".jsonl", ".json", ".sql", ".xlsx", ".xls", ".bin")


def _seeds() -> list[bytes]:
    """One small valid file per format (synthetic values)."""
    from openpyxl import Workbook

    csv = "姓名,手机号,地址\n张三,13912345678,\"北京市\n海淀区\"\n李四,13912345679,上海市\n"
    wb = Workbook()
    wb.active.append(["姓名", "手机号"])
    wb.active.append(["王五", 13912345670])
    xlsx = io.BytesIO()
    wb.save(xlsx)
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("s")
    for r, row in enumerate([["姓名", "手机号"], ["赵六", "13912345671"]]):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    xls = io.BytesIO()
    book.save(xls)
    return [
        csv.encode("utf-8"), csv.encode("gb18030"), csv.replace(",", "\t").encode("utf-16"),
        "姓名----手机号\n张三----13912345678\n".encode("utf-8"),
        '{"姓名": "张三", "手机号": "13912345678"}\n{"a": {"b": [1, 2.50]}}\n'.encode("utf-8"),
        json.dumps({"RECORDS": [{"姓名": "李四"}, {"姓名": "王五"}]}, ensure_ascii=False).encode("utf-8"),
        ("CREATE TABLE `u` (\n  `name` varchar(9),\n  `phone` char(11)\n);\n"
         "INSERT INTO `u` VALUES ('张三','13912345678'),('李\\'四',NULL);\nINSERT INTO `u` VALUES\n('a','b'),\n('c','d');\n").encode("utf-8"),
        xlsx.getvalue(), xls.getvalue(),
    ]


#: The memory bound per input: ``MEMORY_PER_BYTE`` × the item's size + ``MEMORY_BASE``. Why: every
#: parser streams, so an item's memory is a constant plus a few copies of its largest single value
#: (a field, an SQL tuple, a JSON element), and in a fuzzed input that value can be most of the
#: item. Measured on 2026-12-03 (bench/bench_intake_memory.py, bench/results/intake_memory_2026-12-03.json):
#: the most copies are the delimited parser's, 15.8x for one 10 MB quoted field (the line's bytes,
#: its text, the csv cell, the raw line, the record's value); here, in 60 s of fuzzing (1,430
#: inputs), the largest peak was 6.6 MB for a 262 KB input and the base 4.2 MB for an empty one.
#: The old bound (64x + 32 MiB) had been raised to let one SQL input through (20.8 MB for 131 KB,
#: 159x): a regular expression that pushed a backtracking entry per character of a long table
#: name, fixed in jobs/intake/formats/sql.py and kept below
#: (:func:`test_a_long_quoted_table_name_stays_in_the_bound`). Not seen by tracemalloc: memory
#: allocated in C by Arrow or lxml (the bench records the RSS too).
MEMORY_PER_BYTE = 16
MEMORY_BASE = 8 << 20


def memory_bound(size: int) -> int:
    """The most Python memory (bytes, ``tracemalloc`` peak) one item of ``size`` bytes may take to parse."""
    return MEMORY_PER_BYTE * size + MEMORY_BASE


SEEDS = _seeds()
seed = st.sampled_from(SEEDS)


@st.composite
def hostile(draw) -> bytes:
    kind = draw(st.sampled_from(("random", "truncate", "splice", "giant", "deep", "mixed", "flip")))
    if kind == "random":
        return draw(st.binary(max_size=2048))
    a = draw(seed)
    if kind == "truncate":
        return a[: draw(st.integers(0, len(a)))]
    if kind == "splice":
        b = draw(seed)
        return a[: draw(st.integers(0, len(a)))] + b[draw(st.integers(0, len(b))):]
    if kind == "giant":
        at = draw(st.integers(0, len(a)))
        quote = draw(st.sampled_from(('"', "'", "")))
        return a[:at] + quote.encode() + b"x" * draw(st.integers(1 << 17, 1 << 18)) + a[at:]
    if kind == "deep":
        depth = draw(st.integers(100, 5000))
        return a + b'{"a":' * depth + b"1" + b"}" * draw(st.integers(0, depth)) + b"\n" + b"[" * depth + b"\n"
    if kind == "mixed":
        text = draw(st.text(alphabet="张三李四北京市,\t\"'();\n-0123456789", max_size=200))
        return a + text.encode(draw(st.sampled_from(("gbk", "utf-8", "big5", "utf-16-le"))), errors="ignore")
    data = bytearray(a)
    for _ in range(draw(st.integers(1, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def check_item(tmp: Path, data: bytes, ext: str, n: int, *, measure: bool = True) -> None:
    folder = tmp / f"i{n}"
    folder.mkdir()
    local = folder / f"item{ext}"
    local.write_bytes(data)
    item = {"index": 0, "path": local.name, "local_path": str(local), "sha256": hashlib.sha256(data).hexdigest()}
    tracemalloc.start()
    try:
        out = parse_item_to_parquet(item, str(folder), SYNONYMS)  # the property: no exception
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if not measure:  # the warm-up: the parsers' first imports are not the input's memory
        return
    PEAKS.append((peak, len(data)))
    assert peak <= memory_bound(len(data)), f"{local.name}: {peak:,} bytes at peak for {len(data):,} bytes of input"
    if out.get("status") == "refused":
        assert out["refusal_reason"] in ALL_REASONS and out["rows_read"] == 0
        return
    assert out["rows_read"] == out["records"] + out["rows_quarantined"], out
    assert out["line_ledger"]["balanced"], out["line_ledger"]
    raw = pq.read_table(folder / "raw_records" / "part-00000.parquet").to_pylist()
    quarantine = pq.read_table(folder / "quarantine" / "part-00000.parquet").to_pylist()
    assert (len(raw), len(quarantine)) == (out["records"], out["rows_quarantined"])
    where = {(r["sheet"], r["line_number"], r["byte_offset"]) for r in raw}
    assert not where & {(q["sheet"], q["line_number"], q["byte_offset"]) for q in quarantine}
    assert len({r["record_id"] for r in raw}) == len(raw)


#: ``(tracemalloc peak, input bytes)`` of every input checked in this process (for the printed summary).
PEAKS: list[tuple[int, int]] = []


def test_every_parser_survives_hostile_bytes(tmp_path, capsys):
    tried = {"n": 0}

    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=hostile(), ext=st.sampled_from(EXTENSIONS))
    def one_batch(data: bytes, ext: str) -> None:
        tried["n"] += 1
        check_item(tmp_path, data, ext, tried["n"])

    for i, (data, ext) in enumerate((d, e) for d in SEEDS for e in EXTENSIONS):  # imports outside the budget and the bound
        check_item(tmp_path, data, ext, -1 - i, measure=False)
    stop = time.monotonic() + SECONDS
    batches = 0
    while time.monotonic() < stop or batches == 0:
        one_batch()
        batches += 1
    with capsys.disabled():
        worst = max(PEAKS, key=lambda pb: pb[0] - MEMORY_PER_BYTE * pb[1])
        print(f"\nintake fuzzer: {tried['n']} inputs in {SECONDS:g} s budget, every parser, no failure; "
              f"largest peak {max(p for p, _ in PEAKS):,} bytes, closest to the bound {worst[0]:,} bytes for {worst[1]:,} bytes of input "
              f"(bound {memory_bound(worst[1]):,})")
    assert tried["n"] >= 10


def test_a_long_quoted_table_name_stays_in_the_bound(tmp_path):
    """The fuzzer's 159x input (2026-12-03): a quote and 128 KiB of ``x`` inside the backticks of
    the SQL seed's first ``INSERT INTO `u```. ``(?:[^`]|``)+`` pushed one backtracking entry per
    character of the name (21 MB); the name is now matched a run at a time."""
    sql = next(s for s in SEEDS if s.startswith(b"CREATE TABLE `u`"))
    at = sql.index(b"INSERT INTO `u") + len(b"INSERT INTO `u")
    check_item(tmp_path, sql, ".sql", -1, measure=False)  # the warm-up: first imports are not the input's
    check_item(tmp_path, sql[:at] + b"'" + b"x" * (1 << 17) + sql[at:], ".sql", 1)
