"""The review queue as an Excel sheet and its decisions read back (issue 17): round trip, each refusal, the chain."""

from __future__ import annotations

import copy
import hashlib
import zipfile

import openpyxl
import pytest

from jobs.common.storage.local import LocalStorage
from jobs.review.decisions import DecisionLog, pair_target
from jobs.review.queue import ReviewQueue
from jobs.review.sheet import SheetImportError, export_sheet, import_sheet, item_digest
from jobs.review.web import create_app

ID = "110101199003071234"  # 18 digits: Excel would show 1.10101E+17 if it were a number
HOSTILE = '=HYPERLINK("http://evil.example/x","点我")'
#: The tabs of a zh-CN sheet (the default language), by role.
TAB = {"pairs": "疑似重复关联", "records": "抽样记录", "about": "说明"}


def _queue() -> ReviewQueue:
    def fields(left_name, right_name):
        return [{"name": "name", "column": "name_key", "left": left_name, "right": right_name, "level": "exact", "weight": 9.643856},
                {"name": "id_number", "column": "id_number", "left": ID, "right": ID, "level": "exact", "weight": 13.135709}]
    pairs = [{"target": pair_target("a1", "b1"), "record_id": "a1", "linked_record_id": "b1", "match_weight": 19.6, "why": ["band"], "fields": fields("张三", "张三")},
             {"target": pair_target("a2", "b2"), "record_id": "a2", "linked_record_id": "b2", "match_weight": 7.25, "why": ["tier", "sample"],
              "fields": fields(HOSTILE, "'quoted")},
             {"target": pair_target("a3", "b3"), "record_id": "a3", "linked_record_id": "b3", "match_weight": 8.0, "why": ["sample"], "fields": fields("李四", "李四")}]
    records = [{"target": "r1", "record_id": "r1", "category": "tier_500", "why": ["sample"], "item_path": "dump/users.csv", "sheet": "",
                "line_number": "12", "raw_line": HOSTILE + ",110101199003071234"}]
    q = ReviewQueue(pairs, records)
    for item in (*q.pairs, *q.records):
        item["content_sha256"] = item_digest(item)
    return q


def _cols(ws):
    return {c.value: i + 1 for i, c in enumerate(ws[2])}


def _fill(path, rows: dict[tuple[str, int], dict[str, str]]):
    """Decide in the sheet as a reviewer would: type into the decision/reviewer/reason cells, save."""
    wb = openpyxl.load_workbook(path)
    for (sheet, row), values in rows.items():
        ws = wb[TAB[sheet]]
        for key, value in values.items():
            ws.cell(row=row, column=_cols(ws)[key], value=value)
    wb.save(path)


def _log(tmp_path):
    return DecisionLog(LocalStorage(tmp_path / "home"), "C1", "S1")


def test_export_keeps_identifiers_as_text_and_runs_nothing(tmp_path):
    q = _queue()
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert export_sheet(q, a, case_id="C1", seizure_id="S1") == {"pairs": 3, "records": 1}
    export_sheet(q, b, case_id="C1", seizure_id="S1")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()  # same queue, same bytes
    with zipfile.ZipFile(a) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml  # no formula element anywhere
    wb = openpyxl.load_workbook(a)
    ws = wb[TAB["pairs"]]
    col = _cols(ws)
    assert ws.cell(3, col["id_number:left"]).value == ID and ws.cell(3, col["id_number:left"]).data_type == "s"
    assert ws.cell(4, col["name:left"]).value == "'" + HOSTILE  # OWASP: one apostrophe, shown as text
    assert ws.cell(4, col["name:right"]).value == "''quoted"  # reversible: an apostrophe gets one more
    assert ws.cell(3, col["match_weight"]).value == 19.6
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    rec = wb[TAB["records"]]
    assert rec.cell(3, _cols(rec)["raw_line"]).value == "'" + HOSTILE + ",110101199003071234"
    assert rec.cell(3, _cols(rec)["line_number"]).value == 12
    assert ws.cell(1, col["decision"]).value == "判定"  # Chinese headers by default


def test_round_trip_appends_as_the_page_does_and_the_chain_holds(tmp_path):
    q = _queue()
    sheet = tmp_path / "q.xlsx"
    export_sheet(q, sheet, case_id="C1", seizure_id="S1")
    _fill(sheet, {("pairs", 3): {"decision": "不同人", "reviewer": "王警官", "reason": "不同出生地"},
                  ("pairs", 4): {"decision": "same", "reviewer": "王警官"},
                  ("records", 3): {"decision": "不真实"}})
    log = _log(tmp_path)
    res = import_sheet(sheet, q, log, reviewer="李检察官")
    assert (res.rows, res.appended, res.already_in_log, res.undecided) == (4, [1, 2, 3], 0, 1)
    got = [(e.kind, e.target, e.decision, e.reviewer, e.reason, e.why) for e in log.entries()]
    # The same three decisions through the page, into another log.
    page_log = DecisionLog(LocalStorage(tmp_path / "page"), "C1", "S1")
    c = create_app(q, page_log, "tok", case_id="C1", seizure_id="S1").test_client()
    for body in ({"kind": "pair", "target": "a1|b1", "decision": "different", "reviewer": "王警官", "reason": "不同出生地", "why": "band"},
                 {"kind": "pair", "target": "a2|b2", "decision": "same", "reviewer": "王警官", "why": "tier,sample"},
                 {"kind": "record", "target": "r1", "decision": "untrue", "reviewer": "李检察官", "why": "sample"}):
        assert c.post("/decide", json=body, headers={"X-Review-Token": "tok"}).status_code == 200
    assert got == [(e.kind, e.target, e.decision, e.reviewer, e.reason, e.why) for e in page_log.entries()]
    # Chain: each entry names the SHA-256 of the one before; the head the last one.
    entries = log.entries()
    assert entries[0].prev_sha256 == ""
    for before, after in zip(entries, entries[1:]):
        assert after.prev_sha256 == hashlib.sha256(before.to_bytes()).hexdigest()
    # Importing the same sheet again adds nothing.
    again = import_sheet(sheet, q, log, reviewer="李检察官")
    assert (again.appended, again.already_in_log) == ([], 3) and len(log.entries()) == 3


@pytest.mark.parametrize("case, code, row", [
    ("unknown", "unknown_item", ("pairs", 5)),
    ("stale_data", "stale_content", ("pairs", 4)),
    ("stale_cell", "stale_content", ("pairs", 3)),
    ("bad_decision", "bad_decision", ("records", 3)),
    ("formula", "formula_cell", ("pairs", 3)),
    ("no_reviewer", "no_reviewer", ("pairs", 3)),
])
def test_each_refusal_names_the_row_and_appends_nothing(tmp_path, case, code, row):
    q = _queue()
    sheet = tmp_path / "q.xlsx"
    export_sheet(q, sheet, case_id="C1", seizure_id="S1")
    fill = {("pairs", 3): {"decision": "同一人", "reviewer": "王"}, ("pairs", 4): {"decision": "不同人", "reviewer": "王"},
            ("pairs", 5): {"decision": "无法确定", "reviewer": "王"}, ("records", 3): {"decision": "真实", "reviewer": "王"}}
    now = copy.deepcopy(q)
    if case == "unknown":  # the third pair is no longer in the queue (a rerun changed the links)
        now.pairs = now.pairs[:2]
    elif case == "stale_data":  # the second pair's record changed since the export
        now.pairs[1]["fields"][0]["left"] = "王五"
    elif case == "stale_cell":  # the reviewer edited a content cell
        fill[("pairs", 3)]["id_number:right"] = "110101199003071235"
    elif case == "bad_decision":
        fill[("records", 3)]["decision"] = "maybe"
    elif case == "formula":
        fill[("pairs", 3)]["decision"] = '=IF(1,"同一人")'
    elif case == "no_reviewer":
        fill[("pairs", 3)]["reviewer"] = None
    _fill(sheet, fill)
    log = _log(tmp_path)
    with pytest.raises(SheetImportError) as refused:
        import_sheet(sheet, now, log)
    assert [(p["sheet"], p["row"], p["code"]) for p in refused.value.problems] == [(TAB[row[0]], row[1], code)]
    assert f"{TAB[row[0]]} row {row[1]}: {code}" in str(refused.value)
    assert log.entries() == []  # all or nothing


def test_not_a_sheet_refused(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("a,b\n", encoding="utf-8")
    from jobs.common.errors import ConfigError

    with pytest.raises(ConfigError, match="not an .xlsx"):
        import_sheet(bad, _queue(), _log(tmp_path))


def test_a_sorted_sheet_still_reads(tmp_path):
    """A reviewer sorts the pairs so that the hidden key row lands among the data rows: rows are read by target."""
    q = _queue()
    sheet = tmp_path / "q.xlsx"
    export_sheet(q, sheet, case_id="C1", seizure_id="S1")
    wb = openpyxl.load_workbook(sheet)
    ws = wb[TAB["pairs"]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=5)]  # key row + 3 data rows
    cols = {k: i for i, k in enumerate(rows[0])}
    rows[3][cols["decision"]], rows[3][cols["reviewer"]] = "不同人", "王"
    for r, values in zip(range(2, 6), [rows[3], rows[1], rows[0], rows[2]]):  # third pair first, key row third
        for c, v in enumerate(values, start=1):
            ws.cell(r, c, v)
    wb.save(sheet)
    log = _log(tmp_path)
    res = import_sheet(sheet, q, log)
    assert (res.rows, res.appended, res.undecided) == (4, [1], 3)
    assert [(e.target, e.decision) for e in log.entries()] == [("a3|b3", "different")]


def test_other_queue_settings_refused_naming_them(tmp_path):
    from jobs.common.errors import ConfigError

    q = _queue()
    q.plan = {"seed": 7, "band_weight": 2.0, "confidence": 0.95, "margin": 0.05}
    sheet = tmp_path / "q.xlsx"
    export_sheet(q, sheet, case_id="C1", seizure_id="S1")
    _fill(sheet, {("pairs", 3): {"decision": "同一人", "reviewer": "王"}})
    other = copy.deepcopy(q)
    other.plan["seed"] = 8
    log = _log(tmp_path)
    with pytest.raises(ConfigError, match=r"--seed 7 \(now 8\)"):
        import_sheet(sheet, other, log)
    assert log.entries() == []
    assert import_sheet(sheet, q, log).appended == [1]
