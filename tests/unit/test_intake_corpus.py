"""Acceptance corpus of issue 3: one small generated file per real-world case, and the whole raw
records expected from it, written by hand from the file contents (synthetic values only).

Each case runs the intake path without Spark: archives expanded by ``expand_items``, every item
parsed by ``parse_item_to_parquet`` (the function the Spark tasks run), results joined and the
ledgers checked by ``evidence_item_entries``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import factories
import pytest

from jobs.common.config import ArchiveLimits
from jobs.intake.records import record_id

SYNONYMS = {"name": ["姓名", "name", "xm", "realname"], "id_number": ["身份证号", "sfzh", "idcard"],
            "phone": ["手机号", "sjh", "mobile"], "address": ["地址", "addr"], "bank_card": ["银行卡号"],
            "email": ["email", "邮箱"]}
FIELDS = ("name", "id_number", "phone", "address", "bank_card", "email")
ID_A = "110105198506150313"   # check character 3 (ISO 7064 MOD 11-2, computed by hand)
ID_B = "11010519491231002X"   # GB 11643-1999's own example
CARD = "6222021234567890128"


def run_intake(tmp_path: Path, files: dict[str, bytes], limits: ArchiveLimits | None = None):
    """Register ``files`` as a seizure and run intake on them; return (items by path, raw, quarantine, refusals)."""
    r = factories.run_intake(tmp_path, files, synonyms=SYNONYMS, limits=limits or ArchiveLimits())
    return r.items, r.raw, r.quarantine, r.refusals


def fields_of(raw: list[dict]) -> list[tuple]:
    """Per raw record: (item path, sheet, line, the six canonical values, extra)."""
    return [(r["item_path"], r["sheet"], r["line_number"], *(r[f"{f}_raw"] for f in FIELDS), json.loads(r["extra"])) for r in raw]


def assert_ledgers(items: dict) -> None:
    for path, item in items.items():
        if "line_ledger" in item:
            led = item["line_ledger"]
            assert led["balanced"], (path, led)
            assert item["rows_read"] == item["records"] + item["rows_quarantined"], path


# --------------------------------------------------------------------------- the acceptance list


def test_blank_identifier_cells_leave_other_rows_digit_for_digit(tmp_path):
    data = f"姓名,身份证号,银行卡号\n张三,{ID_A},{CARD}\n李四,,\n".encode("utf-8")
    items, raw, quarantine, _ = run_intake(tmp_path, {"a.csv": data})
    assert fields_of(raw) == [
        ("a.csv", "", 2, "张三", ID_A, None, None, CARD, None, {}),
        ("a.csv", "", 3, "李四", "", None, None, "", None, {}),
    ]
    assert quarantine == []
    item = items["a.csv"]
    assert (item["physical_lines"], item["header_rows"], item["rows_read"], item["records"]) == (3, 1, 2, 2)
    assert_ledgers(items)


def test_gb18030_four_byte_name_detected_as_gb18030(tmp_path):
    # U+20BB7 𠮷 is outside GBK; GB 18030 encodes it in four bytes 95 34 B2 35.
    text = "姓名,手机号\r\n\U00020bb7一,13912345678\r\n王二,13812345678\r\n"
    data = text.encode("gb18030")
    assert b"\x95\x34\xb2\x35" in data
    items, raw, _, _ = run_intake(tmp_path, {"b.csv": data})
    assert [(r[3], r[5]) for r in fields_of(raw)] == [("\U00020bb7一", "13912345678"), ("王二", "13812345678")]
    assert items["b.csv"]["encoding"] == "gb18030"
    assert_ledgers(items)


def test_utf16le_without_bom_from_excel_unicode_text(tmp_path):
    data = "姓名\t手机号\t地址\r\n张三\t13912345678\t北京市朝阳区\r\n李四\t13812345678\t上海市\r\n".encode("utf-16-le")
    items, raw, _, _ = run_intake(tmp_path, {"c.txt": data})
    assert [r[2:9] for r in fields_of(raw)] == [
        (2, "张三", None, "13912345678", "北京市朝阳区", None, None),
        (3, "李四", None, "13812345678", "上海市", None, None),
    ]
    item = items["c.txt"]
    assert (item["encoding"], item["separator"]) == ("utf-16-le", "\t")
    # byte offsets count UTF-16 code units: line 2 starts after the 11 code units of line 1
    assert [r["byte_offset"] for r in raw] == [22, 22 + 2 * len("张三\t13912345678\t北京市朝阳区\r\n")]
    assert_ledgers(items)


def test_gbk_quoted_address_with_line_break_is_one_record(tmp_path):
    data = '姓名,地址,手机号\r\n王五,"广东省深圳市\r\n南山区科技园",13612345678\r\n赵六,北京市,13512345678\r\n'.encode("gbk")
    items, raw, _, _ = run_intake(tmp_path, {"d.csv": data})
    assert [r[2:9] for r in fields_of(raw)] == [
        (2, "王五", None, "13612345678", "广东省深圳市\n南山区科技园", None, None),
        (4, "赵六", None, "13512345678", "北京市", None, None),
    ]
    item = items["d.csv"]
    assert (item["encoding"], item["physical_lines"], item["continuation_lines"]) == ("gb18030", 4, 1)
    assert_ledgers(items)


def test_utf8_bom_and_quoted_first_header(tmp_path):
    data = '\ufeff"姓名","手机号"\r\n张三,13912345678\r\n'.encode("utf-8")
    items, raw, _, _ = run_intake(tmp_path, {"e.csv": data})
    assert items["e.csv"]["headers"] == {"": ["姓名", "手机号"]}
    assert items["e.csv"]["column_mapping"] == {"": {"姓名": "name", "手机号": "phone"}}
    assert [r[3:6] for r in fields_of(raw)] == [("张三", None, "13912345678")]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2019, 4, 12, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


GOOD = "姓名,手机号\n张三,13912345678\n".encode("utf-8")


def test_zip_path_traversal_refused_and_nothing_written_outside(tmp_path):
    data = _zip({"../evil.csv": GOOD, "..\\..\\evil2.csv": GOOD, "/abs/evil3.csv": GOOD, "正常/名单.csv": GOOD})
    items, raw, _, refusals = run_intake(tmp_path, {"seized.zip": data})
    assert fields_of(raw) == [("seized.zip/正常/名单.csv", "", 2, "张三", None, "13912345678", None, None, None, {})]
    assert sorted((r["member_path"], r["refusal_reason"]) for r in refusals) == [
        ("../evil.csv", "path_traversal"), ("..\\..\\evil2.csv", "backslash_in_path"), ("/abs/evil3.csv", "absolute_path")]
    member = items["seized.zip/正常/名单.csv"]
    assert member["parent_sha256"] == hashlib.sha256(data).hexdigest() == items["seized.zip"]["sha256"]
    assert member["sha256"] == hashlib.sha256(GOOD).hexdigest() == raw[0]["item_sha256"]
    assert items["seized.zip"]["format"] == "archive:zip"
    assert items["seized.zip/../evil.csv"]["format"] == "refused:path_traversal"
    # nothing outside the work area: the only files are the evidence and the attempt's outputs
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert all(w.startswith(("evidence/", "attempt/")) for w in written), written
    assert not any("evil" in w for w in written)
    assert not (tmp_path.parent / "evil.csv").exists() and not Path("/abs/evil3.csv").exists()


def test_tar_symlink_out_of_tree_then_file_through_it_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        link = tarfile.TarInfo("data")
        link.type, link.linkname = tarfile.SYMTYPE, "../outside"
        tf.addfile(link)
        for name in ("data/evil.csv", "list.csv"):
            info = tarfile.TarInfo(name)
            info.size = len(GOOD)
            tf.addfile(info, io.BytesIO(GOOD))
        hard = tarfile.TarInfo("hard.csv")
        hard.type, hard.linkname = tarfile.LNKTYPE, "list.csv"
        tf.addfile(hard)
    items, raw, _, refusals = run_intake(tmp_path, {"seized.tar": buf.getvalue()})
    assert [r["item_path"] for r in raw] == ["seized.tar/list.csv"]
    assert [(r["member_path"], r["refusal_reason"]) for r in refusals] == [
        ("data", "link_member"), ("data/evil.csv", "path_through_link"), ("hard.csv", "link_member")]
    assert not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()
    assert all(str(p.relative_to(tmp_path)).startswith(("evidence/", "attempt/")) for p in tmp_path.rglob("*") if p.is_file())


class _GbkName(zipfile.ZipInfo):
    """A zip entry whose name is stored as GBK bytes without the UTF-8 flag (Chinese Windows zip tools)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own name
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def test_zip_member_names_in_gbk_without_utf8_flag(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(_GbkName("客户资料/会员名单.csv", date_time=(2019, 4, 12, 0, 0, 0)), GOOD)
    data = buf.getvalue()
    assert "客户资料/会员名单.csv".encode("gbk") in data and "客户资料".encode("utf-8") not in data
    items, raw, _, _ = run_intake(tmp_path, {"资料.zip": data})
    member = items["资料.zip/客户资料/会员名单.csv"]
    assert (member["member_path"], member["name_encoding"]) == ("客户资料/会员名单.csv", "gb18030")
    assert [r["item_path"] for r in raw] == ["资料.zip/客户资料/会员名单.csv"]


# --------------------------------------------------------------------------- more real-world shapes


@pytest.mark.parametrize("sep", [",", ";", "\t", "|", "----"])
def test_every_separator_and_mixed_line_ends(tmp_path, sep):
    lines = [sep.join(("姓名", "身份证号", "手机号")), sep.join(("张三", ID_A, "13912345678")), sep.join(("李四", ID_B, "13812345678"))]
    data = (lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r\n").encode("utf-8")
    items, raw, _, _ = run_intake(tmp_path, {"f.txt": data})
    assert [r[2:6] for r in fields_of(raw)] == [(2, "张三", ID_A, "13912345678"), (3, "李四", ID_B, "13812345678")]
    assert items["f.txt"]["separator"] == sep
    assert [r["byte_offset"] for r in raw] == [len(lines[0].encode()) + 2, len(lines[0].encode()) + 2 + len(lines[1].encode()) + 1]
    assert_ledgers(items)


def test_runs_of_spaces_without_header_inferred_from_content(tmp_path):
    rows = [("张三", ID_A, "13912345678", "北京市朝阳区建国路88号"), ("李四", ID_B, "13812345678", "上海市黄浦区南京路1号"),
            ("王小五", "440524188001010014", "13712345678", "广东省汕头市")]
    data = "".join(f"{n:<6}{i:<20}{p:<13}{a}\n" for n, i, p, a in rows).encode("utf-8")
    items, raw, _, _ = run_intake(tmp_path, {"g.txt": data})
    assert [r[2:9] for r in fields_of(raw)] == [(k + 1, n, i, p, a, None, None) for k, (n, i, p, a) in enumerate(rows)]
    item = items["g.txt"]
    assert item["separator"] == "spaces" and item["header_rows"] == 0
    assert item["column_mapping"] == {"": {"col_1": "name", "col_2": "id_number", "col_3": "phone", "col_4": "address"}}
    why = item["column_mapping_reasons"][""]
    assert why["col_2"]["rule"] == "18 characters passing ISO 7064 MOD 11-2 (GB 11643-1999)"
    assert (why["col_2"]["matched"], why["col_2"]["non_empty"]) == (3, 3)
    assert_ledgers(items)


def test_headerless_pipe_list_with_card_email_and_unknown_column(tmp_path):
    data = (f"张三|{ID_A}|{CARD}|zs@example.com|VIP\n"
            f"李四|{ID_B}|6212261234567890|ls@example.net|VIP\n").encode("gb18030")
    items, raw, _, _ = run_intake(tmp_path, {"h.txt": data})
    assert fields_of(raw) == [
        ("h.txt", "", 1, "张三", ID_A, None, None, CARD, "zs@example.com", {"col_5": "VIP"}),
        ("h.txt", "", 2, "李四", ID_B, None, None, "6212261234567890", "ls@example.net", {"col_5": "VIP"}),
    ]


def test_header_below_title_lines_and_trailing_junk(tmp_path):
    data = ("客户资料导出\n导出时间 2019-04-12\n\n姓名,手机号,地址\n张三,13912345678,北京市\n"
            "李四,13812345678,上海市\n共计2条\n").encode("utf-8")
    items, raw, quarantine, _ = run_intake(tmp_path, {"i.csv": data})
    assert [r[2:7] for r in fields_of(raw)] == [(5, "张三", None, "13912345678", "北京市"), (6, "李四", None, "13812345678", "上海市")]
    assert [(q["line_number"], q["reason_code"], q["raw_line"]) for q in quarantine] == [
        (1, "junk_before_header", "客户资料导出"), (2, "junk_before_header", "导出时间 2019-04-12"),
        (7, "field_count_mismatch", "共计2条")]
    item = items["i.csv"]
    assert (item["physical_lines"], item["rows_read"], item["records"], item["rows_quarantined"], item["header_rows"], item["blank_lines"]) == (7, 5, 2, 3, 1, 1)
    assert item["header_lines"] == {"": 4}
    assert_ledgers(items)


def test_unbalanced_quote_does_not_swallow_the_file(tmp_path):
    data = '姓名,手机号\n"张三,13912345678\n李四,13812345678\n王五,13712345678\n'.encode("utf-8")
    from jobs.intake.formats.delimited import parse_delimited
    from jobs.intake.formats.rows import ItemStats, ParseOptions

    stats = ItemStats()
    p = tmp_path / "j.csv"
    p.write_bytes(data)
    rows = list(parse_delimited(p, stats, ParseOptions(header_names=frozenset({"姓名", "手机号"}), max_quoted_lines=2)))
    assert [(r.line_number, r.reason_code, r.cells) for r in rows] == [
        (2, "unbalanced_quote", None), (3, None, ["李四", "13812345678"]), (4, None, ["王五", "13712345678"])]
    assert stats.line_ledger()["balanced"]


def test_big5_and_utf16be_bom(tmp_path):
    big5 = "姓名,手機號,地址\n陳大文,13912345678,臺北市中正區重慶南路一段122號\n林美麗,13812345678,新北市板橋區中山路一段161號\n".encode("big5")
    be = "\ufeff姓名\t手机号\n张三\t13912345678\n".encode("utf-16-be")
    items, raw, _, _ = run_intake(tmp_path, {"k.csv": big5, "l.txt": be})
    assert items["k.csv"]["encoding"] == "big5hkscs" and items["l.txt"]["encoding"] == "utf-16-be"
    assert [(r[0], r[3], r[6]) for r in fields_of(raw)] == [
        ("k.csv", "陳大文", "臺北市中正區重慶南路一段122號"), ("k.csv", "林美麗", "新北市板橋區中山路一段161號"), ("l.txt", "张三", None)]
    # 手機號 folds (OpenCC t2s) to the configured synonym 手机号 (issue 12 defect 5)
    assert [r["phone_raw"] for r in raw] == ["13912345678", "13812345678", "13912345678"]
    assert json.loads(raw[0]["extra"]) == {"手機號": "13912345678", "地址": "臺北市中正區重慶南路一段122號"} or raw[0]["address_raw"]


def test_xls_every_sheet_numbers_as_text_and_precision_lost(tmp_path):
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    s1 = book.add_sheet("第1页")
    for c, v in enumerate(["姓名", "手机号", "身份证号"]):
        s1.write(0, c, v)
    s1.write(1, 0, "张三")
    s1.write(1, 1, 13912345678)
    s1.write(1, 2, ID_A)
    s2 = book.add_sheet("第2页")
    for c, v in enumerate(["姓名", "手机号", "身份证号"]):
        s2.write(0, c, v)
    s2.write(2, 0, "李四")
    s2.write(2, 1, "13812345678")
    s2.write(2, 2, float(ID_A))
    buf = io.BytesIO()
    book.save(buf)
    items, raw, _, _ = run_intake(tmp_path, {"m.xls": buf.getvalue()})
    assert [r[1:6] for r in fields_of(raw)] == [
        ("第1页", 2, "张三", ID_A, "13912345678"),
        # 110105198506150313 typed as a number kept 15 significant digits in the source: shown, never guessed
        ("第2页", 3, "李四", "1.10105198506150E+17", "13812345678"),
    ]
    item = items["m.xls"]
    assert (item["format"], item["sheets"], item["precision_lost_cells"], item["blank_lines"]) == ("xls", ["第1页", "第2页"], 1, 1)
    assert_ledgers(items)


def test_json_nested_array_navicat_and_jsonl(tmp_path):
    arr = json.dumps([{"xm": "张三", "info": {"sjh": "13912345678", "addr": {"city": "北京"}}, "tags": ["a"]}, 5], ensure_ascii=False)
    navicat = json.dumps({"RECORDS": [{"realname": "李四", "mobile": 13812345678, "score": 1.50}]}, ensure_ascii=False, indent=1)
    jsonl = '{"xm": "王五", "sfzh": "%s"}\n{bad\n' % ID_B
    items, raw, quarantine, _ = run_intake(tmp_path, {"n.json": arr.encode(), "o.json": navicat.encode(), "p.json": jsonl.encode()})
    assert fields_of(raw) == [
        # info.sjh: the leaf of a dotted path is a phone synonym (issue 12 defect 5)
        ("n.json", "", 1, "张三", None, "13912345678", None, None, None, {"info.addr.city": "北京", "tags": '["a"]'}),
        ("o.json", "RECORDS", 1, "李四", None, "13812345678", None, None, None, {"score": "1.5"}),
        ("p.json", "", 1, "王五", ID_B, None, None, None, None, {}),
    ]
    assert [(q["item_path"], q["line_number"], q["reason_code"]) for q in quarantine] == [
        ("n.json", 2, "json_not_object"), ("p.json", 2, "json_parse_error")]
    assert items["p.json"]["format"] == "jsonl" and items["o.json"]["format"] == "json"


SQL = """-- MySQL dump 10.13  Distrib 5.7.26
/*!40101 SET NAMES utf8mb4 */;

DROP TABLE IF EXISTS `member`;
CREATE TABLE `member` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `realname` varchar(32) DEFAULT NULL,
  `mobile` varchar(11) DEFAULT NULL,
  `remark` text,
  PRIMARY KEY (`id`),
  KEY `idx_mobile` (`mobile`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `member` VALUES (1,'张三','13912345678','it\\'s; \\"ok\\"\\nline'),(2,'李四',NULL,'a,b)c'),(3,'王五','13712345678');
INSERT INTO `member` (`id`,`realname`,`mobile`,`remark`) VALUES
(4,'赵六','13612345678','多行
文本'),
(5,'钱七','13512345678','');
"""


def test_mysql_dump_multi_row_inserts_and_escapes(tmp_path):
    data = SQL.encode("utf-8")
    items, raw, quarantine, _ = run_intake(tmp_path, {"q.sql": data})
    assert fields_of(raw) == [
        ("q.sql", "member", 13, "张三", None, "13912345678", None, None, None, {"id": "1", "remark": "it's; \"ok\"\nline"}),
        ("q.sql", "member", 13, "李四", None, None, None, None, None, {"id": "2", "remark": "a,b)c"}),
        ("q.sql", "member", 14, "赵六", None, "13612345678", None, None, None, {"id": "4", "remark": "多行\n文本"}),
        ("q.sql", "member", 14, "钱七", None, "13512345678", None, None, None, {"id": "5", "remark": ""}),
    ]
    # locator: the INSERT's line + the tuple index (in the record id); byte offset of the tuple's "("
    sha = hashlib.sha256(data).hexdigest()
    assert [r["record_id"] for r in raw] == [record_id(sha, "member", 13, 1), record_id(sha, "member", 13, 2),
                                             record_id(sha, "member", 14, 1), record_id(sha, "member", 14, 2)]
    assert all(data[r["byte_offset"]:r["byte_offset"] + 1] == b"(" for r in raw)
    assert data[raw[3]["byte_offset"]:].startswith("(5,'钱七'".encode())
    assert [(q["line_number"], q["reason_code"], q["raw_line"]) for q in quarantine] == [(13, "sql_value_count", "(3,'王五','13712345678')")]
    item = items["q.sql"]
    assert (item["physical_lines"], item["statement_lines"], item["other_lines"], item["blank_lines"]) == (17, 5, 11, 1)
    assert (item["rows_read"], item["records"], item["rows_quarantined"]) == (5, 4, 1)
    assert_ledgers(items)


def test_gz_and_7z_members(tmp_path):
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        archive.writestr(GOOD, "导出/名单.csv")
    gz = gzip.compress(GOOD, mtime=0)
    items, raw, _, _ = run_intake(tmp_path, {"a.csv.gz": gz, "b.7z": buf.getvalue()})
    # The same bytes in two archives are one item read once (issue 13 defect 1): the 7z member is
    # registered and hashed, and named a duplicate of the gz member, read first in path order.
    assert [(r["item_path"], r["name_raw"], r["phone_raw"]) for r in raw] == [("a.csv.gz/a.csv", "张三", "13912345678")]
    assert items["a.csv.gz"]["format"] == "archive:gz" and items["b.7z"]["format"] == "archive:7z"
    assert items["b.7z/导出/名单.csv"]["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert items["b.7z/导出/名单.csv"]["status"] == "duplicate"
    assert items["b.7z/导出/名单.csv"]["duplicate_of"] == "a.csv.gz/a.csv"


def test_decompression_bomb_refused_by_ratio_and_size(tmp_path):
    zeros = _zip({"zeros.txt": b"0" * (4 << 20), "small.csv": GOOD})
    limits = ArchiveLimits(max_ratio=100, ratio_floor_bytes=1 << 20, max_member_bytes=8 << 20)
    items, raw, _, refusals = run_intake(tmp_path, {"bomb.zip": zeros, "big.gz": gzip.compress(b"1" * (9 << 20), mtime=0)}, limits)
    assert sorted((r["path"], r["refusal_reason"]) for r in refusals) == [
        ("big.gz/big", "compression_ratio"), ("bomb.zip/zeros.txt", "compression_ratio")]
    assert [r["item_path"] for r in raw] == ["bomb.zip/small.csv"]
    assert not any(p.stat().st_size > (1 << 20) for p in tmp_path.joinpath("attempt").rglob("*") if p.is_file())


def test_nested_archive_members_and_ledger(tmp_path):
    inner = _zip({"内层.csv": GOOD})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("pkg/inner.zip")
        info.size = len(inner)
        tf.addfile(info, io.BytesIO(inner))
    items, raw, _, _ = run_intake(tmp_path, {"outer.tar.gz": buf.getvalue()})
    assert [r["item_path"] for r in raw] == ["outer.tar.gz/pkg/inner.zip/内层.csv"]
    assert items["outer.tar.gz/pkg/inner.zip"]["archive_kind"] == "zip"
    assert items["outer.tar.gz/pkg/inner.zip/内层.csv"]["parent_sha256"] == hashlib.sha256(inner).hexdigest()
    assert_ledgers(items)


OTHER = "姓名,手机号\n李四,13912345679\n".encode("utf-8")


def test_members_of_the_same_name_keep_the_first_and_refuse_the_later(tmp_path):
    import py7zr

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", GOOD)
        zf.writestr("a.csv", OTHER)   # zipfile warns, but real archivers write such files too
        zf.writestr("hidden/", OTHER)  # a "directory" that holds bytes
    seven = io.BytesIO()
    with py7zr.SevenZipFile(seven, "w") as archive:
        archive.writestr(GOOD, "a.csv")
        archive.writestr(OTHER, "a.csv")
    items, raw, _, refusals = run_intake(tmp_path, {"dup.zip": buf.getvalue(), "dup.7z": seven.getvalue()})
    # the first member of each name is read with its own bytes and hash; the later one is refused, not merged.
    # dup.zip/a.csv has the bytes of dup.7z/a.csv: a duplicate item, read once (issue 13 defect 1)
    assert [(r["item_path"], r["name_raw"]) for r in raw] == [("dup.7z/a.csv", "张三")]
    assert all(r["item_sha256"] == hashlib.sha256(GOOD).hexdigest() for r in raw)
    assert sorted((r["path"], r["refusal_reason"]) for r in refusals) == [
        ("dup.7z/a.csv", "duplicate_member_name"), ("dup.zip/a.csv", "duplicate_member_name"), ("dup.zip/hidden/", "directory_with_data")]


def test_gzip_of_nul_bytes_is_a_gz_member_not_an_empty_tar(tmp_path):
    data = b"\0" * 1024 + b"tail"
    items, raw, _, refusals = run_intake(tmp_path, {"nul.bin.gz": gzip.compress(data, mtime=0)})
    assert items["nul.bin.gz"]["format"] == "archive:gz"
    assert items["nul.bin.gz/nul.bin"]["sha256"] == hashlib.sha256(data).hexdigest()
    # the member itself (.bin, NUL bytes) is not text: refused, still hashed (issue 13 defect 12)
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [("nul.bin.gz/nul.bin", "unsupported_format")]


def test_classic_mac_line_endings_are_lines(tmp_path):
    items, raw, quarantine, _ = run_intake(tmp_path, {"mac.csv": "姓名,手机号\r张三,13912345678\r李四,13912345679\r".encode("utf-8")})
    assert [(r["line_number"], r["name_raw"], r["phone_raw"]) for r in raw] == [(2, "张三", "13912345678"), (3, "李四", "13912345679")]
    assert not quarantine


# --------------------------------------------------------------------------- issue 13 defects 3, 10, 13, 14 (intake's part)


def test_defect3_a_cell_over_131072_characters_flows_whole_through_intake(tmp_path):
    # Python's csv field limit is 131,072 characters; this address is 200,000 (600,000 bytes of UTF-8).
    address = "北" * 200_000
    items, raw, quarantine, refusals = run_intake(tmp_path, {"long.csv": f"姓名,地址\n张三,{address}\n李四,上海市\n".encode()})
    assert [(r["line_number"], r["name_raw"], len(r["address_raw"] or "")) for r in raw] == [(2, "张三", 200_000), (3, "李四", 3)]
    assert raw[0]["address_raw"] == address and not quarantine and not refusals
    assert_ledgers(items)


def test_defect10_headerless_name_and_address_file_keeps_its_first_row(tmp_path):
    rows = [("张三", "北京市朝阳区建国路88号"), ("李四", "上海市黄浦区南京路1号"), ("王小五", "广东省汕头市金平区")]
    data = "".join(f"{n},{a}\n" for n, a in rows).encode("utf-8")
    items, raw, _, _ = run_intake(tmp_path, {"na.csv": data})
    item = items["na.csv"]
    assert item["header_rows"] == 0
    assert item["column_mapping"] == {"": {"col_1": "name", "col_2": "address"}}
    assert [(r[2], r[3], r[6]) for r in fields_of(raw)] == [(k + 1, n, a) for k, (n, a) in enumerate(rows)]
    assert_ledgers(items)


def test_defect13_same_items_give_byte_identical_intake_outputs(tmp_path):
    files = {"a.csv": f"姓名,身份证号\n张三,{ID_A}\n".encode(), "b.txt": f"李四----{ID_B}\n".encode("gb18030")}
    first = factories.run_intake(tmp_path / "one", files, synonyms=SYNONYMS)
    second = factories.run_intake(tmp_path / "two", files, synonyms=SYNONYMS)
    # Paths differ between the two runs (tmp_path/one, tmp_path/two); nothing of the clock or the place may.
    assert first.entries == second.entries
    for part in ("raw_records", "quarantine"):
        one = sorted((tmp_path / "one" / "attempt" / part).glob("*.parquet"))
        two = sorted((tmp_path / "two" / "attempt" / part).glob("*.parquet"))
        assert [p.name for p in one] == [p.name for p in two] and one
        assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in one] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in two]


def test_defect14_evidence_folder_checked_before_anything_starts(tmp_path):
    import os

    from jobs.cli.exitcodes import NoEvidenceError, NotFoundError
    from jobs.cli.preflight import check_evidence_folder

    with pytest.raises(NotFoundError, match="does not exist"):
        check_evidence_folder(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoEvidenceError, match="is empty"):
        check_evidence_folder(str(tmp_path / "empty"))
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "l.csv").symlink_to(tmp_path / "elsewhere.csv")
    os.mkfifo(tmp_path / "links" / "p.csv")
    with pytest.raises(NoEvidenceError, match="holds no regular file: 2 symbolic link"):
        check_evidence_folder(str(tmp_path / "links"))
