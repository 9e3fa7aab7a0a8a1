"""Intake parsers on tiny generated files (synthetic values only). Expected values are written by
hand from the file contents, not produced by the parser."""

from __future__ import annotations

import hashlib
import json

from jobs.intake.columns import HeaderMapper
from jobs.intake.formats.delimited import choose_separator, parse_delimited
from jobs.intake.formats.json import parse_jsonl
from jobs.intake.formats.rows import ItemStats
from jobs.intake.formats.spreadsheets import cell_text, parse_xlsx
from jobs.intake.formats.text import detect_encoding
from jobs.intake.records import record_id
from jobs.intake.worker import parse_item_to_parquet

SYNONYMS = {"name": ["姓名", "name", "xm"], "id_number": ["身份证号", "sfzh"], "phone": ["手机号", "sjh", "mobile"],
            "address": ["地址"], "bank_card": ["银行卡号"], "email": ["email"]}


def rows_of(parser, path):
    stats = ItemStats()
    rows = list(parser(path, stats))
    return rows, stats


def test_utf8_bom_quoted_first_header(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("\ufeff\"姓名\",手机号\r\n张三,13912345678\r\n".encode("utf-8"))
    rows, stats = rows_of(parse_delimited, p)
    assert stats.encoding == "utf-8-sig"
    assert stats.headers[""] == ["姓名", "手机号"]
    assert [(r.line_number, r.cells) for r in rows] == [(2, ["张三", "13912345678"])]


def test_blank_identifier_cells_keep_other_rows_as_text(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("姓名,身份证号,银行卡号\n张三,110105198506150313,6222021234567890128\n李四,,\n", encoding="utf-8")
    rows, stats = rows_of(parse_delimited, p)
    assert [r.cells for r in rows] == [["张三", "110105198506150313", "6222021234567890128"], ["李四", "", ""]]
    assert (stats.rows_read, stats.records, stats.rows_quarantined, stats.header_rows) == (2, 2, 0, 1)


def test_gbk_quoted_field_with_line_break_is_one_record(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes('姓名,地址,手机号\n王五,"广东省深圳市\n南山区科技园",13612345678\n赵六,北京市,13512345678\n'.encode("gbk"))
    rows, stats = rows_of(parse_delimited, p)
    assert stats.encoding == "gb18030"
    assert [(r.line_number, r.cells) for r in rows] == [
        (2, ["王五", "广东省深圳市\n南山区科技园", "13612345678"]),
        (4, ["赵六", "北京市", "13512345678"]),
    ]
    assert stats.continuation_lines == 1
    assert stats.physical_lines == 4


def test_gb18030_four_byte_character_decoded_exactly(tmp_path):
    # U+20BB7 (𠮷) is outside GBK; GB18030 encodes it in four bytes.
    name = "\U00020bb7野家"
    text = "姓名----手机号\n" + "\n".join(f"{name}{i}----1391234{i:04d}" for i in range(40)) + "\n"
    data = text.encode("gb18030")
    # GB 18030 maps U+10000.. linearly from 0x90308130: offset 0x10BB7 = 68535 →
    # 0x90+68535//12600, 0x30+(5535//1260), 0x81+(495//10), 0x30+5 = 95 34 B2 35.
    assert "\U00020bb7".encode("gb18030") == b"\x95\x34\xb2\x35"
    p = tmp_path / "d.txt"
    p.write_bytes(data)
    rows, stats = rows_of(parse_delimited, p)
    assert stats.encoding == "gb18030" and stats.separator == "----"
    assert rows[0].cells == [f"{name}0", "13912340000"]
    assert stats.records == 40


def test_utf16le_without_bom_tab_separated(tmp_path):
    p = tmp_path / "e.txt"
    p.write_bytes("姓名\t手机号\r\n张三\t13912345678\r\n李四\t13812345678\r\n".encode("utf-16-le"))
    rows, stats = rows_of(parse_delimited, p)
    assert stats.encoding == "utf-16-le"
    assert [r.cells for r in rows] == [["张三", "13912345678"], ["李四", "13812345678"]]


def test_malformed_and_blank_lines_accounted(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("姓名,手机号,地址\n张三,13912345678,北京\n\n   \n以下为第2批数据\n李四,13812345678,广州,天河\n王五,13712345678,上海\n", encoding="utf-8")
    rows, stats = rows_of(parse_delimited, p)
    good = [r.line_number for r in rows if r.reason_code is None]
    bad = [(r.line_number, r.reason_code, r.raw_line) for r in rows if r.reason_code]
    assert good == [2, 7]
    assert bad == [(5, "field_count_mismatch", "以下为第2批数据"), (6, "field_count_mismatch", "李四,13812345678,广州,天河")]
    assert (stats.rows_read, stats.records, stats.rows_quarantined, stats.blank_lines, stats.header_rows) == (4, 2, 2, 2, 1)
    assert stats.physical_lines == stats.rows_read + stats.blank_lines + stats.header_rows + stats.continuation_lines


def test_undecodable_line_is_quarantined_not_dropped(tmp_path):
    p = tmp_path / "g.txt"
    good = "姓名|手机号\n张三|13912345678\n".encode("utf-8")
    p.write_bytes(good + b"\xff\xfe\xfa|13812345678\n" + "李四|13712345678\n".encode("utf-8"))
    enc, confidence, _ = detect_encoding(p)
    rows, stats = rows_of(parse_delimited, p)
    assert stats.rows_read == stats.records + stats.rows_quarantined
    assert stats.rows_read == 3
    # Three of four non-ASCII lines are UTF-8: the file is UTF-8 with one corrupt line, which is
    # quarantined with its bytes; the detection must not claim full confidence.
    assert (enc, confidence) == ("utf-8", 0.75)
    assert [(r.line_number, r.reason_code, r.raw_line) for r in rows if r.reason_code] == [
        (3, "undecodable", "\\xff\\xfe\\xfa|13812345678")]


def test_jsonl_objects_and_errors(tmp_path):
    p = tmp_path / "h.jsonl"
    p.write_text('{"xm": "张三", "sjh": 13912345678, "info": {"tag": "贷款"}}\n{bad\n[1, 2]\n\n', encoding="utf-8")
    rows, stats = rows_of(parse_jsonl, p)
    assert rows[0].mapping == {"xm": "张三", "sjh": "13912345678", "info.tag": "贷款"}
    assert [(r.line_number, r.reason_code) for r in rows[1:]] == [(2, "json_parse_error"), (3, "json_not_object")]
    assert (stats.rows_read, stats.records, stats.rows_quarantined, stats.blank_lines) == (3, 1, 2, 1)


def test_xlsx_every_sheet_cells_as_text(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "第1页"
    ws.append(["姓名", "手机号", "身份证号"])
    ws.append(["张三", 13912345678, "110105198506150313"])
    ws2 = wb.create_sheet("第2页")
    ws2.append(["姓名", "手机号", "身份证号"])
    ws2.append([])
    ws2.append(["李四", "13812345678", 110105198506150313.0])
    p = tmp_path / "i.xlsx"
    wb.save(p)
    rows, stats = rows_of(parse_xlsx, p)
    assert stats.sheets == ["第1页", "第2页"]
    assert [(r.sheet, r.line_number, r.cells) for r in rows] == [
        ("第1页", 2, ["张三", "13912345678", "110105198506150313"]),
        # a number with more than 15 significant digits lost precision in Excel: shown, not guessed
        ("第2页", 3, ["李四", "13812345678", "1.10105198506150E+17"]),
    ]
    assert stats.blank_lines == 1


def test_cell_text_never_goes_through_float_noise():
    assert cell_text(13912345678) == "13912345678"
    assert cell_text(13912345678.0) == "13912345678"
    assert cell_text(None) is None


def test_choose_separator():
    assert choose_separator(["a----b----c", "d----e----f"]) == "----"
    assert choose_separator(["a|b|c", "d|e|f"]) == "|"
    assert choose_separator(["a\tb", "c\td"]) == "\t"


def test_header_mapper_keeps_unknown_columns_and_takes_a_field_once():
    m = HeaderMapper(SYNONYMS)
    assert m.map_header(["姓名", "Mobile", "备注", "手机号"]) == ["name", "phone", None, None]


def test_record_id_is_sha256_of_locator():
    expected = hashlib.sha256(("ab" * 32 + "\x1fSheet1\x1f7").encode()).hexdigest()
    assert record_id("ab" * 32, "Sheet1", 7) == expected


def test_parse_item_to_parquet_balances_and_keeps_extra(tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "j.csv"
    src.write_text("姓名,手机号,备注\n张三,13912345678,VIP\n坏行\n", encoding="utf-8")
    item = {"index": 3, "path": "j.csv", "local_path": str(src), "sha256": "0" * 64}
    stats = parse_item_to_parquet(item, str(tmp_path / "out"), SYNONYMS)
    raw = pq.read_table(tmp_path / "out" / "raw_records" / "part-00003.parquet").to_pylist()
    quarantine = pq.read_table(tmp_path / "out" / "quarantine" / "part-00003.parquet").to_pylist()
    assert stats["rows_read"] == 2 and stats["records"] == 1 and stats["rows_quarantined"] == 1
    assert raw[0]["name_raw"] == "张三" and raw[0]["phone_raw"] == "13912345678" and raw[0]["id_number_raw"] is None
    assert json.loads(raw[0]["extra"]) == {"备注": "VIP"}
    assert (raw[0]["line_number"], raw[0]["byte_offset"]) == (2, len("姓名,手机号,备注\n".encode()))
    assert quarantine[0]["reason_code"] == "field_count_mismatch" and quarantine[0]["line_number"] == 3
    assert stats["column_mapping"] == {"": {"姓名": "name", "手机号": "phone", "备注": "extra"}}


def test_separator_only_lines_are_rows_not_blank_lines(tmp_path):
    p = tmp_path / "k.txt"
    p.write_text("姓名----手机号\n张三----13912345678\n--------------------\n----\n  \n", encoding="gb18030")
    rows, stats = rows_of(parse_delimited, p)
    # 20 dashes = 6 empty cells (wrong count); "----" = 2 empty cells (right count, no data)
    assert [(r.line_number, r.reason_code) for r in rows] == [(2, None), (3, "field_count_mismatch"), (4, "empty_row")]
    assert (stats.rows_read, stats.records, stats.rows_quarantined, stats.blank_lines) == (3, 1, 2, 1)


def test_every_reason_code_is_allowed_by_the_quarantine_suite():
    import re
    from pathlib import Path

    import jobs.intake.formats.rows as rows

    source = Path(rows.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'^[A-Z_]+ = "([a-z_]+)"$', source, flags=re.M)) - {"spaces"}
    suite = json.loads((Path(__file__).resolve().parents[2] / "expectations" / "quarantine.json").read_text(encoding="utf-8"))
    allowed = next(e["kwargs"]["value_set"] for e in suite["expectations"] if e["kwargs"].get("column") == "reason_code" and "value_set" in e["kwargs"])
    assert codes <= set(allowed), f"reason codes missing from expectations/quarantine.json: {sorted(codes - set(allowed))}"
