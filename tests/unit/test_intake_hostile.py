"""Issue 13: broken and hostile evidence. One generated file per intake defect (synthetic values),
with the whole expected outcome written by hand from the file's contents.

Runs the intake path without Spark, as tests/unit/test_intake_corpus.py does (``run_intake``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import stat
import tracemalloc
import zipfile
from pathlib import Path

import factories
import pytest

from jobs.common import paths
from jobs.common.errors import EvidenceIntegrityError
from jobs.common.storage import LocalStorage
from jobs.intake.evidence import MANIFEST_KEY, bundle_custody_files, folder_refusals, name_forms, register_evidence, scan_folder, verify_item
from jobs.intake.formats import PARSERS, ItemStats
from jobs.intake.refusals import ALL_REASONS

SYNONYMS = {"name": ["姓名"], "id_number": ["身份证号"], "phone": ["手机号"], "address": ["地址"]}
GOOD = "姓名,手机号\n张三,13912345678\n李四,13912345679\n".encode("utf-8")


def run_intake(tmp_path: Path, files: dict[str, bytes], *, settings: dict | None = None, max_items: int | None = None):
    """Intake of ``files`` (sorted by path, as the register is): (items by path, entries, raw, quarantine, refusals)."""
    r = factories.run_intake(tmp_path, files, synonyms=SYNONYMS, settings=settings, max_items=max_items)
    return r.items, r.entries, r.raw, r.quarantine, r.refusals


def refusal_pairs(refusals):
    return [(r["path"], r["refusal_reason"], r.get("refusal_detail", "")) for r in refusals]


# --------------------------------------------------------------------------- defect 1: identical files


def test_identical_files_are_one_item_read_once(tmp_path):
    files = {"住宿登记_2019.csv": GOOD, "backup/住宿登记_2019 - 副本.csv": GOOD}
    items, entries, raw, quarantine, refusals = run_intake(tmp_path, files)
    sha = hashlib.sha256(GOOD).hexdigest()
    # "backup/..." sorts before "住宿..." (U+0062 < U+4F4F): it is the one read
    assert [(r["item_path"], r["line_number"], r["name_raw"]) for r in raw] == [
        ("backup/住宿登记_2019 - 副本.csv", 2, "张三"), ("backup/住宿登记_2019 - 副本.csv", 3, "李四")]
    assert len({r["record_id"] for r in raw}) == 2
    dup = items["住宿登记_2019.csv"]
    assert (dup["status"], dup["duplicate_of"], dup["sha256"], dup["bytes"]) == ("duplicate", "backup/住宿登记_2019 - 副本.csv", sha, len(GOOD))
    assert (dup["format"], dup["rows_read"], dup["records"]) == ("duplicate_of:backup/住宿登记_2019 - 副本.csv", 0, 0)
    assert items["backup/住宿登记_2019 - 副本.csv"]["records"] == 2
    assert not refusals and not quarantine


def test_identical_archives_are_not_expanded_twice(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("名单.csv", GOOD)
    items, entries, raw, _, _ = run_intake(tmp_path, {"a.zip": buf.getvalue(), "b.zip": buf.getvalue()})
    assert [e["path"] for e in entries] == ["a.zip", "a.zip/名单.csv", "b.zip"]
    assert items["b.zip"]["duplicate_of"] == "a.zip"
    assert [r["item_path"] for r in raw] == ["a.zip/名单.csv"] * 2


def test_count_statement_has_a_line_for_items_seized_twice(tmp_path):
    from jobs.common.config import load_config
    from jobs.export.i18n import Catalog
    from jobs.export.summary import DUPLICATE_ITEMS_STEP, count_statement

    other = "姓名,手机号\n王五,13912345670\n赵六,13912345671\n钱七,13912345672\n".encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("名单.csv", GOOD)    # the same bytes as the two CSVs below
        zf.writestr("其他.csv", other)
    files = {"a.zip": buf.getvalue(), "b.zip": buf.getvalue(), "backup/住宿登记_2019 - 副本.csv": GOOD, "住宿登记_2019.csv": GOOD}
    items, entries, raw, _, _ = run_intake(tmp_path, files)
    # Worked by hand: in path order a.zip comes first and is expanded, so its member 名单.csv is the
    # copy of GOOD that is read (2 rows) and 其他.csv gives 3 rows: 5 raw rows. b.zip repeats a.zip
    # (2 + 3 = 5 rows); the two CSVs repeat a.zip/名单.csv (2 rows each): 3 copies holding 9 rows.
    assert len(raw) == 5
    bounds = {"upper": {}, "lower": {}, "untrue_rows": 0, "untrue_by_reason": {}, "masked_unidentifiable_rows": 0,
              "bare_phone_records": 0, "probable_duplicates": 0, "exact_duplicates_of_counted": 0}
    st = count_statement(5, 0, 5, {"bounds": bounds}, load_config().legal.categories, entries)
    assert [s["step"] for s in st[:3]] == ["raw rows read", DUPLICATE_ITEMS_STEP, "parse failures (quarantined)"]
    assert (st[1]["rows"], st[1]["items"]) == (9, 3)
    assert st[1]["by_reason"] == {"b.zip": 5, "backup/住宿登记_2019 - 副本.csv": 2, "住宿登记_2019.csv": 2}
    # No copy, no line: the statement of a seizure without duplicates is as before.
    assert DUPLICATE_ITEMS_STEP not in [s["step"] for s in count_statement(5, 0, 5, {"bounds": bounds}, load_config().legal.categories, [])]
    # Both languages have the line and its rule (the page and the workbook look both up by the step).
    for language, word in (("zh-CN", "重复的检材"), ("en", "duplicate evidence items")):
        t = Catalog(language)
        assert t.has(f"step.{DUPLICATE_ITEMS_STEP}") and t.has(f"rule.{DUPLICATE_ITEMS_STEP}")
        assert word in t(f"step.{DUPLICATE_ITEMS_STEP}")


# --------------------------------------------------------------------------- defect 2: unreadable items


def test_unreadable_workbooks_are_refused_and_the_rest_proceeds(tmp_path, caplog):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "手机号"])
    wb.active.append(["王五", "13912345670"])
    good = io.BytesIO()
    wb.save(good)
    truncated = good.getvalue()[: len(good.getvalue()) // 2]  # the central directory is gone
    # An OLE2 compound-document signature followed by junk: xlrd's CompDocError
    bad_xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    with caplog.at_level(logging.WARNING, logger="casefile"):
        items, _, raw, quarantine, refusals = run_intake(tmp_path, {"a.xlsx": truncated, "b.xls": bad_xls, "c.csv": GOOD})
    assert refusal_pairs(refusals) == [("a.xlsx", "unreadable_item", "BadZipFile"), ("b.xls", "unreadable_item", "CompDocError")]
    for path, data in (("a.xlsx", truncated), ("b.xls", bad_xls)):
        assert items[path]["sha256"] == hashlib.sha256(data).hexdigest()  # still registered and hashed
        assert items[path]["format"] == "refused:unreadable_item" and items[path]["rows_read"] == 0
        assert any(path in rec.getMessage() and "unreadable_item" in rec.getMessage() for rec in caplog.records)
    assert [r["name_raw"] for r in raw] == ["张三", "李四"] and not quarantine


def test_quoted_field_over_16_mib_is_one_quarantined_line(tmp_path):
    huge = "x" * ((1 << 24) + 1)
    data = f'姓名,地址\n张三,"{huge}"\n李四,北京市\n'.encode("utf-8")
    items, _, raw, quarantine, refusals = run_intake(tmp_path, {"big.csv": data})
    assert not refusals
    assert [(q["line_number"], q["reason_code"], len(q["raw_line"])) for q in quarantine] == [(2, "field_too_large", len(huge) + 5)]
    assert [(r["line_number"], r["name_raw"], r["address_raw"]) for r in raw] == [(3, "李四", "北京市")]
    assert items["big.csv"]["line_ledger"]["balanced"]


# --------------------------------------------------------------------------- defect 4: non-UTF-8 names


def test_gbk_file_name_registered_readable_with_its_bytes_escaped(tmp_path):
    raw_name = "住宿登记.csv".encode("gbk")  # d7a1 cbde b5c7 bcc7 .csv
    src = tmp_path / "src"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), raw_name), "wb") as fh:
        fh.write(GOOD)
    storage = LocalStorage(tmp_path / "home")
    register = register_evidence(storage, "C1", "S1", str(src))
    assert [(e["path"], e["path_bytes_escaped"], e["path_encoding"]) for e in register] == [
        ("住宿登记.csv", "\\xd7\\xa1\\xcb\\xde\\xb5\\xc7\\xbc\\xc7.csv", "gb18030")]
    assert bytes.fromhex(register[0]["path_bytes_escaped"][:-4].replace("\\x", "")) == raw_name[:-4]
    # the register is valid UTF-8 JSON and a second registration finds the same item
    assert register_evidence(storage, "C1", "S1", str(src)) == register


def test_name_forms_of_bytes_no_codec_decodes():
    readable, escaped, codec = name_forms(b"a\xff\\b.csv")
    assert (readable, escaped, codec) == ("a\\xff\\b.csv", "a\\xff\\x5cb.csv", "escaped")


# --------------------------------------------------------------------------- defect 11: the sealed register

REGISTER_KEY = "C1/S1/evidence_register.json"
SEAL_KEY = "C1/S1/evidence_register.seal.json"
EVIL = "姓名,手机号\n张三,13900000000\n".encode("utf-8")


def _registered(tmp_path: Path, files: dict[str, bytes], run_id: str = "R1") -> tuple[LocalStorage, Path]:
    """Register ``files`` under run ``run_id`` and leave its intake committed, as the stage does:
    its manifest records the register's SHA-256 (computed here with hashlib from the file)."""
    src = tmp_path / "src"
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    storage = LocalStorage(tmp_path / "home")
    register_evidence(storage, "C1", "S1", str(src), run_id=run_id)
    digest = hashlib.sha256(storage.read_bytes("work", REGISTER_KEY)).hexdigest()
    ctx = paths.RunContext("C1", "S1", run_id)
    storage.write_bytes("work", paths.stage_marker(ctx, "intake"), json.dumps({"stage": "intake", MANIFEST_KEY: digest}).encode())
    return storage, src


def _edit_original_and_register(storage: LocalStorage, path: str, data: bytes) -> dict:
    """The attack of defect 11: replace an original in the store and its register entry alike."""
    original = Path(storage.spark_path("evidence", f"C1/S1/{path}"))
    original.chmod(stat.S_IRUSR | stat.S_IWUSR)
    original.write_bytes(data)
    register = json.loads(storage.read_bytes("work", REGISTER_KEY))
    entry = next(e for e in register if e["path"] == path)
    entry.update({"bytes": len(data), **{a: hashlib.new(a, data).hexdigest() for a in ("sha256", "md5", "sm3") if a in entry}})
    storage.write_bytes("work", REGISTER_KEY, (json.dumps(register, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8"))
    return entry


def test_register_and_original_edited_together_fail_the_next_read_naming_the_register(tmp_path):
    storage, _ = _registered(tmp_path, {"a.csv": GOOD, "b.csv": GOOD + b"x"})
    entry = _edit_original_and_register(storage, "a.csv", EVIL)
    verify_item(storage, "C1", "S1", entry)  # the per-item check alone cannot see it: the two agree
    with pytest.raises(EvidenceIntegrityError, match=r"evidence register work/C1/S1/evidence_register\.json does not match its seal"):
        register_evidence(storage, "C1", "S1", None, run_id="R2")


def test_register_original_and_seal_edited_fail_on_the_sealing_runs_manifest(tmp_path):
    storage, _ = _registered(tmp_path, {"a.csv": GOOD})
    _edit_original_and_register(storage, "a.csv", EVIL)
    forged = hashlib.sha256(storage.read_bytes("work", REGISTER_KEY)).hexdigest()
    storage.write_bytes("work", SEAL_KEY, json.dumps({"sha256": forged, "previous_sha256": None, "run_id": "R1"}).encode())
    with pytest.raises(EvidenceIntegrityError, match=r"evidence register work/C1/S1/evidence_register\.json does not match "
                                                     r"the intake manifest of run 'R1'"):
        register_evidence(storage, "C1", "S1", None, run_id="R2")


def test_register_without_its_seal_is_not_trusted(tmp_path):
    storage, _ = _registered(tmp_path, {"a.csv": GOOD})
    Path(storage.spark_path("work", SEAL_KEY)).unlink()
    with pytest.raises(EvidenceIntegrityError, match=r"evidence register work/C1/S1/evidence_register\.json has no seal"):
        register_evidence(storage, "C1", "S1", None, run_id="R2")


def test_intact_register_is_read_and_resealed_by_the_next_run(tmp_path):
    storage, src = _registered(tmp_path, {"a.csv": GOOD})
    first = storage.read_bytes("work", REGISTER_KEY)
    assert [e["path"] for e in register_evidence(storage, "C1", "S1", str(src), run_id="R2")] == ["a.csv"]
    assert storage.read_bytes("work", REGISTER_KEY) == first  # nothing new: the same bytes
    seal = json.loads(storage.read_bytes("work", SEAL_KEY))
    assert (seal["sha256"], seal["run_id"]) == (hashlib.sha256(first).hexdigest(), "R2")


def test_kill_between_seal_and_register_write_is_not_taken_for_tampering(tmp_path, monkeypatch):
    storage, src = _registered(tmp_path, {"a.csv": GOOD})
    (src / "b.csv").write_bytes(GOOD + b"b")
    real_write = LocalStorage.write_bytes

    def killed_at_the_register(self, store, key, data):
        if key == REGISTER_KEY:
            raise KeyboardInterrupt("killed")  # stands for the SIGKILL: the seal is written, the register not
        real_write(self, store, key, data)

    monkeypatch.setattr(LocalStorage, "write_bytes", killed_at_the_register)
    with pytest.raises(KeyboardInterrupt):
        register_evidence(storage, "C1", "S1", str(src), run_id="R2")
    monkeypatch.undo()
    assert [e["path"] for e in register_evidence(storage, "C1", "S1", str(src), run_id="R2")] == ["a.csv", "b.csv"]


# --------------------------------------------------------------------------- defect 5: SQL dumps

SQL = """CREATE TABLE `u` (
  `id` int NOT NULL,
  `name` varchar(20),
  PRIMARY KEY (`id`)
);
INSERT INTO `u` VALUES (1,'张三'),(2,'李四);
INSERT INTO `u` VALUES (3,'王五'),(4,'赵六');
INSERT INTO `u` VALUES
(5,'a'),
(6,'b),
(7,'c'),
(8,'d');
"""


def test_sql_unterminated_quote_resumes_at_the_next_statement(tmp_path):
    path = tmp_path / "d.sql"
    path.write_text(SQL, encoding="utf-8")
    stats = ItemStats()
    rows = list(PARSERS["sql"](path, stats))
    assert [(r.line_number, r.sub_index, r.reason_code, r.cells) for r in rows] == [
        (6, 1, None, ["1", "张三"]), (6, 2, "sql_parse_error", None),
        (7, 1, None, ["3", "王五"]), (7, 2, None, ["4", "赵六"]),
        (8, 1, None, ["5", "a"]), (8, 2, "sql_parse_error", None), (8, 3, None, ["7", "c"]), (8, 4, None, ["8", "d"])]
    assert [r.raw_line for r in rows if r.reason_code] == ["(2,'李四);", "(6,'b),"]
    assert (stats.physical_lines, stats.other_lines, stats.statement_lines, stats.rows_read, stats.records) == (12, 5, 7, 8, 6)
    assert stats.line_ledger()["balanced"]


def test_sql_ledger_does_not_balance_when_lines_are_swallowed(tmp_path, monkeypatch):
    import jobs.intake.formats.sql as sql

    path = tmp_path / "d.sql"
    path.write_text("INSERT INTO t VALUES\n(1,'a'),\n(2,'b'),\n(3,'c');\n", encoding="utf-8")
    real = sql.parse_tuples
    calls = []

    def loses_the_rest(text, pos, final=True):  # a parser bug: reads the first tuple, then nothing
        calls.append(pos)
        if len(calls) == 1:
            yield next(real(text, pos, final))

    monkeypatch.setattr(sql, "parse_tuples", loses_the_rest)
    stats = ItemStats()
    list(PARSERS["sql"](path, stats))
    ledger = stats.line_ledger()
    assert (ledger["physical_lines"], ledger["accounted"], ledger["balanced"]) == (4, 2, False)


def test_sql_huge_literal_in_bounded_memory(tmp_path):
    literal = "y" * (8 << 20)
    path = tmp_path / "big.sql"
    path.write_text(f"INSERT INTO t VALUES (1,'{literal}'),(2,'z');\n", encoding="utf-8")
    stats = ItemStats()
    tracemalloc.start()
    try:
        rows = [(r.sub_index, len(r.cells[1])) for r in PARSERS["sql"](path, stats)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == [(1, 8 << 20), (2, 1)]
    # the line, the statement text, the value and its tuple text: a few copies of 8 MiB, not the
    # ~145 copies the backtracking regular expression took (2.9 GB for 20 MB)
    assert peak < 12 * (8 << 20)


def _parse_peak(path: Path) -> tuple[int, int]:
    """``(tracemalloc peak, rows)`` of parsing ``path`` with its format's parser, keeping no row."""
    from jobs.intake.formats import detect_format

    parser = PARSERS[detect_format(path, path.read_bytes()[:8192])]
    list(parser(path, ItemStats()))  # first imports are not the item's memory
    tracemalloc.start()
    try:
        n = sum(1 for _ in parser(path, ItemStats()))
        return tracemalloc.get_traced_memory()[1], n
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name, head, row, tail", [
    # Navicat / phpMyAdmin: one INSERT, one tuple a line (issue 13 defect 5: the statement was held whole)
    ("d.sql", "INSERT INTO `t` (`姓名`,`手机号`) VALUES\n", "('张三','13912345678'),\n", "('李四','13912345679');\n"),
    # Navicat's JSON export (the document was read whole)
    ("d.json", '{"RECORDS": [', '{"姓名": "张三", "手机号": "13912345678"},', '{"姓名": "李四"}]}'),
])
def test_memory_does_not_grow_with_the_statement_or_document(tmp_path, name, head, row, tail):
    small, large = tmp_path / f"s{name}", tmp_path / f"l{name}"
    small.write_text(head + row * 2_000 + tail, encoding="utf-8")
    large.write_text(head + row * 16_000 + tail, encoding="utf-8")
    (peak_small, n_small), (peak_large, n_large) = _parse_peak(small), _parse_peak(large)
    assert (n_small, n_large) == (2_001, 16_001)
    # 14,000 rows more cost less than a tenth of their bytes (before: 26x their bytes for the SQL
    # statement, 3.2x for the JSON document, which were held whole with their rows)
    added = large.stat().st_size - small.stat().st_size
    assert peak_large - peak_small < added / 10, (peak_small, peak_large, added)


# --------------------------------------------------------------------------- defect 6: deep JSON


def test_deeply_nested_json_line_quarantines_that_line_only(tmp_path):
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    data = "\n".join(['{"姓名": "张三"}', deep, '{"姓名": "李四"}']).encode("utf-8") + b"\n"
    items, _, raw, quarantine, refusals = run_intake(tmp_path, {"x.jsonl": data})
    assert [(q["line_number"], q["reason_code"]) for q in quarantine] == [(2, "json_too_deep")]
    assert [(r["line_number"], r["name_raw"]) for r in raw] == [(1, "张三"), (3, "李四")]
    assert not refusals and items["x.jsonl"]["line_ledger"]["balanced"]


# --------------------------------------------------------------------------- defect 7: links, FIFOs


def test_symlinks_and_fifos_are_refused_and_listed(tmp_path):
    src = tmp_path / "src"
    (src / "real").mkdir(parents=True)
    (src / "real" / "a.csv").write_bytes(GOOD)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(GOOD)
    (src / "link.csv").symlink_to(outside)
    (src / "linkdir").symlink_to(src / "real", target_is_directory=True)
    os.mkfifo(src / "pipe.csv")
    files, refusals = scan_folder(src)
    assert [rel for _, rel, _ in files] == ["real/a.csv"]
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [
        ("link.csv", "symlink"), ("linkdir", "symlink"), ("pipe.csv", "special_file")]
    storage = LocalStorage(tmp_path / "home")
    assert [e["path"] for e in register_evidence(storage, "C1", "S1", str(src))] == ["real/a.csv"]  # no block on the FIFO


def _folder_with_a_link_and_a_fifo(tmp_path: Path) -> tuple[LocalStorage, Path]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_bytes(GOOD)
    (src / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    os.mkfifo(src / "pipe.csv")
    storage = LocalStorage(tmp_path / "home")
    register_evidence(storage, "C1", "S1", str(src), run_id="R1")
    return storage, src


# The refusals as the scan lists them (scan_folder's docstring), written by hand.
REFUSED_BY_HAND = [{"path": "link.csv", "refusal_reason": "symlink", "status": "refused"},
                   {"path": "pipe.csv", "refusal_reason": "special_file", "status": "refused"}]


def test_folder_refusals_are_sealed_and_an_edit_is_refused_naming_the_file(tmp_path):
    storage, _ = _folder_with_a_link_and_a_fifo(tmp_path)
    assert folder_refusals(storage, "C1", "S1") == REFUSED_BY_HAND
    key = "C1/S1/evidence_folder_refusals.json"
    sealed = json.loads(storage.read_bytes("work", SEAL_KEY))["folder_refusals_sha256"]
    assert sealed == hashlib.sha256(storage.read_bytes("work", key)).hexdigest()
    # The attack: drop the FIFO from the list, so the evidence list no longer shows it.
    storage.write_bytes("work", key, (json.dumps(REFUSED_BY_HAND[:1], ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode())
    with pytest.raises(EvidenceIntegrityError, match=r"evidence folder refusals work/C1/S1/evidence_folder_refusals\.json "
                                                     r"do not match the seal"):
        folder_refusals(storage, "C1", "S1")


def test_folder_refusals_keep_their_seal_when_a_later_run_scans_no_folder(tmp_path):
    storage, _ = _folder_with_a_link_and_a_fifo(tmp_path)
    register_evidence(storage, "C1", "S1", None, run_id="R2")  # the seizure already in the store
    assert folder_refusals(storage, "C1", "S1") == REFUSED_BY_HAND


def test_folder_refusals_in_the_bundle_are_covered_by_casefile_verify(tmp_path, capsys):
    from jobs.cli import main
    from jobs.common.custody import write_sha256sums
    from jobs.export.bundle import write_manifest

    storage, _ = _folder_with_a_link_and_a_fifo(tmp_path)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "records.csv").write_bytes(b"record_id\nr1\n")
    assert bundle_custody_files(storage, "C1", "S1", bundle) == ["evidence_folder_refusals.json"]
    assert json.loads((bundle / "evidence_folder_refusals.json").read_bytes()) == REFUSED_BY_HAND
    write_manifest(bundle, {"case_id": "C1"})  # as the export stage seals a bundle: manifest, then SHA256SUMS
    write_sha256sums(bundle)
    assert main(["verify", str(bundle)]) == 0
    capsys.readouterr()
    # The same attack on the sealed copy, with SHA256SUMS rewritten to match: the manifest disagrees.
    (bundle / "evidence_folder_refusals.json").write_bytes(b"[]\n")
    write_sha256sums(bundle)
    assert main(["verify", str(bundle)]) == 3
    assert "evidence_folder_refusals.json" in capsys.readouterr().out


def _bundle_with_the_register(tmp_path: Path, files: dict[str, bytes]) -> tuple[Path, list[dict]]:
    """A bundle as export seals it, holding run R1's register copy; its manifest's
    ``evidence_items`` are computed here from the files with hashlib (the independent side)."""
    from jobs.common.custody import write_sha256sums
    from jobs.export.bundle import write_manifest
    from jobs.intake.evidence import run_register_bytes

    storage, _ = _registered(tmp_path, files)
    register = run_register_bytes(storage, paths.RunContext("C1", "S1", "R1"))
    assert register is not None and register[1] == hashlib.sha256(storage.read_bytes("work", REGISTER_KEY)).hexdigest()
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "records.csv").write_bytes(b"record_id\nr1\n")
    assert bundle_custody_files(storage, "C1", "S1", bundle, register=register[0], register_sha256=register[1]) == [
        "evidence_folder_refusals.json", "evidence_register.json"]
    items = [{"path": name, "bytes": len(data), **factories.digests(data)} for name, data in sorted(files.items())]
    if "sm3" in hashlib.algorithms_available:  # as export records it where OpenSSL has SM3
        for item in items:
            item["sm3"] = hashlib.new("sm3", files[item["path"]]).hexdigest()
    manifest = {"case_id": "C1", "evidence_items": items, "evidence_register": {"file": "evidence_register.json", "sha256": register[1]}}
    write_manifest(bundle, manifest)
    write_sha256sums(bundle)
    return bundle, manifest


def _reseal(bundle: Path, manifest: dict) -> None:
    """An attacker's consistent rewrite: manifest.json and SHA256SUMS made to match the edited files."""
    from jobs.common.custody import write_sha256sums
    from jobs.export.bundle import write_manifest

    write_manifest(bundle, manifest)
    write_sha256sums(bundle)


def test_the_register_in_the_bundle_is_checked_by_casefile_verify(tmp_path, capsys):
    from jobs.cli import main

    files = {"a.csv": b"name\nx\n", "sub/b.csv": b"name\ny\n"}
    bundle, manifest = _bundle_with_the_register(tmp_path, files)
    assert [e["path"] for e in json.loads((bundle / "evidence_register.json").read_bytes())] == ["a.csv", "sub/b.csv"]
    assert main(["verify", str(bundle)]) == 0
    capsys.readouterr()
    # 1. The item list loses an original (its rows would vanish from the count), all seals rewritten.
    dropped = {**manifest, "evidence_items": manifest["evidence_items"][:1]}
    _reseal(bundle, dropped)
    assert main(["verify", str(bundle)]) == 3
    assert "evidence_register.json: registered original sub/b.csv is not in manifest.json evidence_items" in capsys.readouterr().out
    # 2. The item list gives an original other bytes than those registered before parsing.
    other = {**manifest, "evidence_items": [manifest["evidence_items"][0], {**manifest["evidence_items"][1], "sha256": "0" * 64}]}
    _reseal(bundle, other)
    assert main(["verify", str(bundle)]) == 3
    assert "registered original sub/b.csv: sha256 differs from manifest.json evidence_items" in capsys.readouterr().out
    # 3. The register copy is edited to match a shortened item list: not the register intake sealed.
    (bundle / "evidence_register.json").write_bytes(json.dumps(json.loads((bundle / "evidence_register.json").read_bytes())[:1]).encode())
    _reseal(bundle, dropped)
    assert main(["verify", str(bundle)]) == 3
    assert "evidence_register.json: FAILED (not the register intake sealed" in capsys.readouterr().out


def test_the_bundle_gets_the_register_of_its_own_run_not_a_later_one(tmp_path):
    from jobs.intake.evidence import run_register_bytes

    storage, src = _registered(tmp_path, {"a.csv": b"name\nx\n"})
    ctx = paths.RunContext("C1", "S1", "R1")
    first = storage.read_bytes("work", REGISTER_KEY)
    storage.write_bytes("work", f"{paths.stage_data(ctx, 'intake')}/evidence_register.json", first)  # intake's copy
    (src / "b.csv").write_bytes(b"name\ny\n")
    register_evidence(storage, "C1", "S1", str(src), run_id="R2")  # a later run registers one more item
    assert storage.read_bytes("work", REGISTER_KEY) != first
    assert run_register_bytes(storage, ctx) == (first, hashlib.sha256(first).hexdigest())
    # A copy that is not what R1's manifest recorded is refused, naming the run.
    storage.write_bytes("work", f"{paths.stage_data(ctx, 'intake')}/evidence_register.json", first + b" ")
    with pytest.raises(EvidenceIntegrityError, match="evidence register of run R1 has sha256"):
        run_register_bytes(storage, ctx)


def test_a_bundle_of_a_seizure_without_a_folder_has_an_empty_refusal_list(tmp_path):
    storage = LocalStorage(tmp_path / "home")
    (tmp_path / "bundle").mkdir()
    bundle_custody_files(storage, "C1", "S1", tmp_path / "bundle")
    assert (tmp_path / "bundle" / "evidence_folder_refusals.json").read_bytes() == b"[]\n"


# --------------------------------------------------------------------------- defect 12: binary content


def test_binary_and_extensionless_files_refused_by_magic_bytes(tmp_path):
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"ls\n13912345678\n" * 50
    db = tmp_path / "db.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (name TEXT, phone TEXT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [("张三", "13912345678")] * 50)
    con.commit()
    con.close()
    nul = b"name,phone\n\x00\x01\x02,13912345678\n"
    items, _, raw, quarantine, refusals = run_intake(tmp_path, {"ls": elf, "member.dat": db.read_bytes(), "nul.txt": nul, "ok.csv": GOOD})
    assert refusal_pairs(refusals) == [("ls", "binary_content", "elf"), ("nul.txt", "binary_content", "nul_bytes")]
    # An SQLite file is read as a database under any name (jobs.intake.formats), never as text lines.
    assert (items["member.dat"]["format"], items["member.dat"]["records"]) == ("sqlite", 50)
    assert {r["item_path"] for r in raw} == {"ok.csv", "member.dat"} and not quarantine


def test_record_with_every_value_missing_is_never_counted(tmp_path):
    jsonl = '{"姓名": "张三"}\n{}\n{"姓名": null, "手机号": "  "}\n'.encode("utf-8")
    sql = "INSERT INTO t (`姓名`, `手机号`) VALUES ('李四','13912345679'),(NULL,NULL);\n".encode("utf-8")
    items, _, raw, quarantine, _ = run_intake(tmp_path, {"a.jsonl": jsonl, "b.sql": sql})
    assert [(r["item_path"], r["name_raw"]) for r in raw] == [("a.jsonl", "张三"), ("b.sql", "李四")]
    assert [(q["item_path"], q["line_number"], q["reason_code"]) for q in quarantine] == [
        ("a.jsonl", 2, "empty_row"), ("a.jsonl", 3, "empty_row"), ("b.sql", 1, "empty_row")]
    assert (items["a.jsonl"]["records"], items["a.jsonl"]["rows_quarantined"]) == (1, 2)
    assert (items["b.sql"]["records"], items["b.sql"]["rows_quarantined"]) == (1, 1)


def test_formula_like_cell_kept_raw(tmp_path):
    data = '姓名,手机号\n"\t=1+1",13912345678\n'.encode("utf-8")
    _, _, raw, _, _ = run_intake(tmp_path, {"f.csv": data})
    assert [r["name_raw"] for r in raw] == ["\t=1+1"]


# --------------------------------------------------------------------------- defect 8: XLSX bomb


def test_shared_strings_bomb_refused_before_openpyxl(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>a</t></si>" * 400_000 + "</sst>")  # 6.8 MB
    bomb = buf.getvalue()
    # 17 * 400,000 + 11 = 6,800,011 bytes inflated from under 34,000 (deflate of a repeated
    # 17-byte string): a ratio over 200, above the 1 MiB floor
    assert len(bomb) < 34_000
    items, _, raw, _, refusals = run_intake(tmp_path, {"bomb.xlsx": bomb})
    assert refusal_pairs(refusals) == [("bomb.xlsx", "workbook_compression_ratio", "ratio over 200")]
    settings = {"workbooks": {"max_part_bytes": 1 << 20}}
    items, _, raw, _, refusals = run_intake(tmp_path / "2", {"bomb.xlsx": bomb}, settings=settings)
    assert refusal_pairs(refusals) == [("bomb.xlsx", "workbook_too_large", "declared part sizes")]
    assert items["bomb.xlsx"]["sha256"] == hashlib.sha256(bomb).hexdigest() and not raw


def test_ordinary_workbook_passes_the_limits(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "手机号"])
    for i in range(3000):
        wb.active.append(["张三", f"139{i:08d}"])
    buf = io.BytesIO()
    wb.save(buf)
    _, _, raw, _, refusals = run_intake(tmp_path, {"a.xlsx": buf.getvalue()})
    assert not refusals and len(raw) == 3000


# --------------------------------------------------------------------------- defect 9: item caps


def test_items_beyond_the_seizure_cap_are_refused(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for i in range(3):
            zf.writestr(f"{i}.csv", GOOD + str(i).encode())
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("x.csv", GOOD + b"x")
    files = {"a.zip": outer.getvalue(), "b.csv": GOOD + b"b"}
    items, entries, raw, _, refusals = run_intake(tmp_path, files, max_items=4)
    # counted as extracted: a.zip (1), its members inner.zip (2) and x.csv (3), then inner.zip's
    # 0.csv (4); the rest are refused, b.csv too (it is registered and hashed all the same)
    assert [(e["path"], e.get("status", "")) for e in entries] == [
        ("a.zip", ""), ("a.zip/inner.zip", "extracted"), ("a.zip/inner.zip/0.csv", "extracted"),
        ("a.zip/inner.zip/1.csv", "refused"), ("a.zip/inner.zip/2.csv", "refused"), ("a.zip/x.csv", "extracted"),
        ("b.csv", "refused")]
    assert {r["refusal_reason"] for r in refusals} == {"too_many_items"}
    assert items["b.csv"]["sha256"] == hashlib.sha256(GOOD + b"b").hexdigest()


def test_members_beyond_the_archive_cap_are_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(4):
            zf.writestr(f"{i}.csv", GOOD + str(i).encode())
    items, entries, _, _, refusals = run_intake(tmp_path, {"a.zip": buf.getvalue()}, settings={"archives": {"max_members": 2}})
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [("a.zip/2.csv", "too_many_members"), ("a.zip/3.csv", "too_many_members")]


def test_every_refusal_reason_is_documented():
    import jobs.intake.refusals as refusals

    doc = refusals.__doc__ + (__import__("jobs.intake.archives", fromlist=["x"]).__doc__ or "")
    assert {r for r in ALL_REASONS if f"``{r}``" not in doc} == set()


def _readme_tables(section: str) -> list[list[tuple[str, ...]]]:
    """The markdown tables of ``section``: each a list of rows (cells stripped), header rows left out."""
    tables, rows = [], []
    for line in section.splitlines() + [""]:
        if line.startswith("|"):
            cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif rows:
            tables.append(rows[1:])  # the first row is the header
            rows = []
    return tables


def test_the_readme_refusal_lists_match_the_codes_and_the_quarantine_suite():
    """README "What intake refuses and why": its item table names exactly the item codes of
    jobs/intake/refusals.py (archive members by reference to jobs/intake/archives.py, whose cap is
    named), its row table exactly the row codes of jobs/intake/formats/rows.py, and those are exactly
    what the quarantine suite (expectations/quarantine.json) lets through."""
    import re

    import jobs.intake.formats.rows as rows
    from jobs.intake.refusals import ARCHIVE_REASONS, ITEM_REASONS

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What intake refuses and why", 1)[1].split("\n### ", 1)[0]
    items_table, rows_table = _readme_tables(section)[:2]

    def codes(table):
        # the codes of the "Reason code" column, not the details in parentheses ("detail: `elf`")
        return {c for row in table for c in re.findall(r"`([a-z][a-z0-9_]+)`", re.sub(r"\([^)]*\)", "", row[1]))}

    assert codes(items_table) - ITEM_REASONS == {"too_many_members"} <= ARCHIVE_REASONS
    assert ITEM_REASONS - codes(items_table) == set()
    assert any("jobs/intake/archives.py" in row[1] for row in items_table)  # the member codes, by reference
    constants = {v for k, v in vars(rows).items() if k.isupper() and isinstance(v, str) and k != "__doc__"}
    assert constants == rows.ROW_REASONS  # a new code cannot be left out of ROW_REASONS
    assert codes(rows_table) == rows.ROW_REASONS
    suite = json.loads((root / "expectations" / "quarantine.json").read_text(encoding="utf-8"))
    allowed = [e["kwargs"]["value_set"] for e in suite["expectations"]
               if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "reason_code"]
    assert [set(a) for a in allowed] == [set(rows.ROW_REASONS)]


# --------------------------------------------------------------------------- defect 13: no wall clock in a bundle's validation report


def test_validation_reports_of_two_runs_have_the_same_bytes_without_the_load_time():
    from jobs.engine.validation import ValidationReport

    def report(load_time: str) -> ValidationReport:
        result = {"success": True, "results": [{"expectation_config": {"type": "expect_column_values_to_not_be_null"}, "success": True}],
                  "meta": {"batch_markers": {"ge_load_time": load_time, "pandas_data_fingerprint": "x"}, "run_id": "R1"}}
        return ValidationReport("quarantine", True, 1, (), result)

    first, second = report("20261203T101500.123456Z").to_json_bytes(), report("20261203T101501.654321Z").to_json_bytes()
    assert first == second
    expected = {"success": True, "results": [{"expectation_config": {"type": "expect_column_values_to_not_be_null"}, "success": True}],
                "meta": {"batch_markers": {"pandas_data_fingerprint": "x"}, "run_id": "R1"}}
    assert json.loads(first) == expected
