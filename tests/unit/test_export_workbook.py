"""case_file.xlsx, the catalog and the pages of a bundle (pure Python: no Spark).

The workbook is read back with openpyxl (an independent reader of ECMA-376); the identifiers are
the standard's and DOMAIN.md's examples; the hostile cells are the corpus of test_export_cells.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest

from jobs.export.bundle import BOM
from jobs.export.cells import neutralize
from jobs.export.i18n import LANGUAGES, Catalog, all_keys
from tests.unit.test_export_cells import HOSTILE

IDENTIFIERS = ["110105198506150313", "6222021234567890128", "+8613912345678", "0105551234"]

SUMMARY = {
    "case_id": "HG-2019-0412", "seizure_id": "S01", "insider": False, "tier": "serious", "weighted_total": 1.2,
    "tier_upper_bound": "especially_serious", "weighted_total_upper_bound": 10.5, "tier_depends_on_probable_duplicates": True,
    "count_statement": [{"step": "raw rows read", "rows": 10, "rule": "x"}, {"step": "a new level", "rows": 3, "rule": "new rule"},
                        {"step": "unique records, lower bound", "rows": 5, "categories": {"tier_50": 5}, "rule": "y"}],
    "categories": {"tier_50": {"unique_records": 5, "threshold": 50, "threshold_especially_serious": 500, "ratio": 0.1, "law": "x"}},
    "lower_bound": {"unique_records": 5, "weighted_total": 1.2, "tier": "serious",
                    "categories": {"tier_50": {"unique_records": 60, "threshold": 50}}},
    "upper_bound": {"unique_records": 7, "weighted_total": 10.5, "tier": "especially_serious",
                    "categories": {"tier_50": {"unique_records": 525, "threshold": 50}}},
    "bare_phone_records": 1, "untrue_records": 2, "masked_unidentifiable_records": 0,
    "linkage": {"threshold_match_weight": 6.6, "threshold_match_probability": 0.99}, "field_statuses": {}, "config_digest": "c" * 64,
}


def _xstring(value):
    """Decode the ``_xHHHH_`` escapes of ECMA-376 Part 1 §22.9.2.19 (ST_Xstring), as Excel does
    when it reads a cell (XlsxWriter writes control characters that way; openpyxl leaves them)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value) if isinstance(value, str) else value


def _csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)  # as Spark's writer: a lone CR is quoted too
    w.writerow(header)
    w.writerows([[neutralize(v) for v in r] for r in rows])
    path.write_bytes(BOM + buf.getvalue().encode("utf-8"))


@pytest.fixture
def bundle(tmp_path):
    hostile = list(HOSTILE)
    records = [[f"r{i:03d}", IDENTIFIERS[i % 4], hostile[i % len(hostile)], str(i + 1)] for i in range(40)]
    _csv(tmp_path / "records.csv", ["record_id", "id_number", "name_raw", "line_number"], records)
    _csv(tmp_path / "duplicates.csv", ["record_id", "survivor_record_id", "match_weight"], [["r1", "r0", "-2.5"], ["r2", "r0", "7.25"]])
    _csv(tmp_path / "quarantine.csv", ["item_path", "line_number", "raw_line"], [["=evil.csv", "3", "@SUM(A1)" + "x" * 40_000]])
    (tmp_path / "validation").mkdir()
    (tmp_path / "validation" / "records.json").write_text(json.dumps({"meta": {"batch_markers": {"ge_load_time": "20260101T000000Z"}}, "results": [
        {"success": True, "expectation_config": {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "record_id"}},
         "result": {"element_count": 40, "unexpected_count": 0}}]}))
    items = [{"path": "=HYPERLINK(\"x\").csv", "bytes": 12, "sha256": "a" * 64, "md5": "b" * 32, "rows_read": 41, "rows_quarantined": 1}]
    return tmp_path, records, items


def _write(folder, items, name="case_file.xlsx", language="zh-CN"):
    from jobs.export.workbook import write_workbook

    return write_workbook(folder / name, folder, SUMMARY, items, catalog=Catalog(language), hash_algorithms=("sha256", "md5", "sm3"))


def test_workbook_text_cells_no_formulas_counts_and_same_bytes(bundle):
    import openpyxl

    folder, records, items = bundle
    stats = _write(folder, items)
    _write(folder, items, name="again.xlsx")
    assert hashlib.sha256((folder / "case_file.xlsx").read_bytes()).hexdigest() == hashlib.sha256((folder / "again.xlsx").read_bytes()).hexdigest()

    wb = openpyxl.load_workbook(folder / "case_file.xlsx")  # full mode: cell data types are read
    assert wb.sheetnames == ["说明", "数据统计说明", "检材清单", "去重后记录", "重复记录", "隔离行", "数据校验"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    rec = wb["去重后记录"]
    rows = list(rec.iter_rows(values_only=True))
    assert rows[0] == ("记录编号", "身份证号（规范化值）", "姓名（原始值）", "行号")
    assert len(rows) - 1 == len(records) == stats.sheets["去重后记录"]
    # every identifier digit for digit as a text cell; hostile values restored to their exact original
    for (rid, ident, name, line), cells in zip(records, rec.iter_rows(min_row=2), strict=True):
        assert cells[0].value == rid
        assert cells[1].data_type == "s" and cells[1].value == ident
        assert _xstring(cells[2].value) == (name or None)
        assert cells[3].value == int(line)
    assert {c.value for c in rec["B"][1:]} == set(IDENTIFIERS)
    # a numeric column stays numeric (a negative weight is a number, not a neutralized text)
    assert [c.value for c in wb["重复记录"]["C"][1:]] == [-2.5, 7.25]
    q = wb["隔离行"]
    assert q["A2"].value == "=evil.csv" and q["A2"].data_type == "s"
    assert len(q["C2"].value) == 32_767 and stats.truncated_cells == 1
    assert wb["检材清单"]["A2"].value == items[0]["path"]
    assert wb["数据校验"]["D2"].value == "通过"
    statement = [r[0] for r in wb["数据统计说明"].iter_rows(min_row=2, values_only=True)]
    assert statement[:3] == ["读取的原始数据行", "a new level", "去重后记录数（下限）"]


def test_records_split_at_excel_rows(bundle, monkeypatch):
    import openpyxl

    from jobs.export import workbook

    folder, records, items = bundle
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 16)  # 15 data rows per sheet: 40 records → 15 + 15 + 10
    stats = _write(folder, items, language="en")
    wb = openpyxl.load_workbook(folder / "case_file.xlsx", read_only=True)
    parts = [n for n in wb.sheetnames if n.startswith("Unique records")]
    assert parts == ["Unique records", "Unique records (2)", "Unique records (3)"]
    got = [r for n in parts for r in list(wb[n].iter_rows(min_row=2, values_only=True))]
    assert len(got) == len(records) == stats.record_rows("Unique records")
    assert [r[0] for r in got] == [r[0] for r in records]


def test_catalog_every_key_has_every_language():
    for key, entry in all_keys().items():
        assert set(entry) == set(LANGUAGES), key
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), key


def test_catalog_names_every_field_of_the_registry():
    # The field-status chart and the workbook headers label each field of jobs/common/fields.py by
    # its catalog entry; a field without one showed its code name (birth_date, qq, uscc) on a zh-CN page.
    from jobs.common.fields import CANONICAL_FIELDS

    keys = all_keys()
    assert [f for f in CANONICAL_FIELDS if f"field.{f}" not in keys] == []


def test_catalog_unknown_language_and_missing_key():
    from jobs.common.errors import ConfigError

    with pytest.raises(ConfigError):
        Catalog("fr")
    assert Catalog("en")("step.no such step", default="no such step") == "no such step"


@pytest.mark.parametrize("language, words", [("zh-CN", ["数据统计说明", "情节严重", "情节特别严重", "检材清单"]),
                                             ("en", ["Count statement", "serious (情节严重)", "especially serious (情节特别严重)"])])
def test_summary_page_language_tiers_svg_no_script(language, words):
    from jobs.export.charts import bin_values, page_charts
    from jobs.export.pages import render_summary

    t = Catalog(language)
    items = [{"path": "<script>alert(1)</script>.csv", "bytes": 1, "sha256": "a" * 64, "rows_read": 10, "rows_quarantined": 1}]
    charts = page_charts(SUMMARY, [{"path": items[0]["path"], "rows_read": 10, "quarantined": 1, "untrue": 2, "duplicated": 3}],
                         bin_values([-2.5, 7.25, 7.5]), t)
    page = render_summary(SUMMARY, run_id="r", manifest_digest="d" * 64, catalog=t, items=items, charts=charts)
    assert f'<html lang="{language}">' in page
    for w in words:
        assert w in page
    assert page.count("<svg") == 3
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"(src|href)=\"https?:", page)


def test_histogram_bins_by_hand():
    from jobs.export.charts import bin_values, histogram

    assert bin_values([-2.5, 7.25, 7.5, 9.0]) == {-3: 1, 7: 2, 9: 1}
    h = histogram({7: 2, 9: 1}, threshold=6.6)
    assert h["bins"] == [(6, 0), (7, 2), (8, 0), (9, 1)]


#: Cells that take every branch of the sheet-XML writer: the hostile corpus, XML metacharacters,
#: control characters and a literal ``_xHHHH_`` (ST_Xstring), leading/trailing ASCII and Unicode
#: whitespace (U+3000, the ideographic space of Chinese text), a character above U+FFFF, the
#: non-characters U+FFFE/U+FFFF, and a cell over Excel's 32,767 UTF-16 units that ends in astral characters.
WRITER_CORPUS = [
    *(v for v in HOSTILE if v),
    "a<b>&c", 'say "x"', "a\x00b\x07c\x1fd", "literal _x0041_ and _X00ff_", " lead", "trail ", "\u3000全角空格", "张三\u3000",
    "𠀀𠀁 astral", "x\ufffey\uffff", "line\nbreak", "cr\rhere", "a" * 32_760 + "𠀀" * 10, "é" * 40_000,
]


def test_row_writer_gives_xlsxwriters_own_bytes():
    """The data rows the workbook splices in are byte for byte what XlsxWriter 3.3.1 itself writes in
    ``constant_memory`` mode (``write_string`` for text, ``write_number`` for numbers): the
    independent computation is the library."""
    import zipfile

    import xlsxwriter

    from jobs.export.workbook import WorkbookStats, row_xml

    rows = [[v, "12.5", "-3", 7, 2.25, "not a number", "nan", ""] for v in WRITER_CORPUS]
    numeric = [False, True, True, False, False, True, True, False]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "in_memory": False})
    ws = wb.add_worksheet("s")
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            elif v == "":
                continue
            elif numeric[c] and v not in ("not a number", "nan"):
                ws.write_number(r, c, float(v))
            else:
                ws.write_string(r, c, v)
    wb.close()
    xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode("utf-8")
    theirs = xml[xml.index("<sheetData>") + len("<sheetData>"): xml.index("</sheetData>")]
    stats = WorkbookStats()
    ours = "".join(row_xml(r, row, list("ABCDEFGH"), numeric, stats) for r, row in enumerate(rows, start=2))
    assert ours == theirs
    assert stats.truncated_cells == 2  # the two cells over 32,767 UTF-16 units


def test_rich_string_shaped_value_stays_text(tmp_path):
    """A seized value shaped like XlsxWriter's rich string (``<r>…</r>``) carrying a ``<f>`` element:
    XlsxWriter's constant_memory ``write_string`` copies it unescaped, which makes a live formula
    (checked with XlsxWriter 3.3.1); the workbook must keep it as the exact text."""
    import openpyxl

    evil = '<r><t>a</t></r></is><f>HYPERLINK("http://x.example","x")</f><is><r><t>b</t></r>'
    _csv(tmp_path / "records.csv", ["record_id", "name_raw"], [["r1", evil]])
    _csv(tmp_path / "duplicates.csv", ["record_id"], [])
    _csv(tmp_path / "quarantine.csv", ["item_path", "raw_line"], [[evil, evil]])
    (tmp_path / "validation").mkdir()
    _write(tmp_path, [{"path": evil, "bytes": 1}])
    wb = openpyxl.load_workbook(tmp_path / "case_file.xlsx")
    for ws, ref in ((wb["去重后记录"], "B2"), (wb["隔离行"], "A2"), (wb["隔离行"], "B2"), (wb["检材清单"], "A2")):
        assert ws[ref].data_type == "s" and ws[ref].value == evil, (ws.title, ref)
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
