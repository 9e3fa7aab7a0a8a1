"""Tests of the synthetic seizure generator (jobs.synth).

The expected values come from the files themselves, re-read here with the standard library,
openpyxl and xlrd (plus OpenCC for the traditional → simplified step of the name rule), and from the
standards: GB 11643-1999's worked example for the ID check character, ISO/IEC 7812-1 for Luhn,
DOMAIN.md §3 for mobile segments. Nothing is recomputed with the generator's own helpers.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

from jobs.synth import generate_seizure

RECORDS = 2_000
SEED = 20190412

HOTEL = "住宿登记_2019.csv"
BANK = "四要素_40万.txt"
COURIER = "快递面单.xlsx"
EXCHANGE = "交换数据.jsonl"
ZIP = "会员数据.zip"
ZIP_MEMBER = "会员数据/注册用户.csv"
XLS = "学生家长名单.xls"
SQL = "商城会员.sql"
TXT = "三要素.txt"
BIG5 = "會員資料.csv"          # issue 12 defect 5: the header shapes
FULLWIDTH = "客户登记表.csv"
NESTED = "会员接口.jsonl"
FILES = (HOTEL, BANK, COURIER, EXCHANGE, ZIP, XLS, SQL, TXT, BIG5, FULLWIDTH, NESTED)
#: Ground-truth item paths: the zip's CSV member is an item of its own (intake's member path).
ITEM_PATHS = (HOTEL, BANK, COURIER, EXCHANGE, f"{ZIP}/{ZIP_MEMBER}", XLS, SQL, TXT, BIG5, FULLWIDTH, NESTED)

HOTEL_HEADER = [
    "Name", "CardNo", "Descriot", "CtfTp", "CtfId", "Gender", "Birthday", "Address", "Zip", "Dirty",
    "District1", "District2", "District3", "District4", "District5", "District6", "FirstNm", "LastNm",
    "Duty", "Mobile", "Tel", "Fax", "EMail", "Nation", "Taste", "Education", "Company", "CTel",
    "CAddress", "CZip", "Family", "Version", "id",
]
BANK_HEADER_LINE = "姓名----身份证号----手机号----银行卡号"
COURIER_HEADER = ("运单号", "寄件人", "寄件人电话", "寄件地址", "收件人", "收件人电话", "收件地址", "物品", "时间")

# Header → canonical field, as the pipeline maps them (the brief of the generator).
FIELDS = ("name", "id_number", "phone", "address", "bank_card", "email")
HOTEL_MAP = {"Name": "name", "CtfId": "id_number", "Mobile": "phone", "Address": "address", "EMail": "email"}
BANK_MAP = {"姓名": "name", "身份证号": "id_number", "手机号": "phone", "银行卡号": "bank_card"}
COURIER_MAP = {"收件人": "name", "收件人电话": "phone", "收件地址": "address"}
EXCHANGE_MAP = {"name": "name", "xm": "name", "mobile": "phone", "phone": "phone", "sjh": "phone",
                "sfzh": "id_number", "id_card": "id_number", "yhkh": "bank_card", "bank_card": "bank_card",
                "dz": "address", "address": "address"}
ZIP_MAP = {"姓名": "name", "手机号": "phone", "邮箱": "email", "地址": "address"}
XLS_MAP = {"姓名": "name", "身份证号": "id_number", "手机号": "phone", "住址": "address"}
SQL_MAP = {"realname": "name", "idcard": "id_number", "mobile": "phone", "email": "email", "addr": "address"}
TXT_MAP = {0: "name", 1: "id_number", 2: "phone"}  # no header: the content rules decide
# The header shapes (issue 12 defect 5), as a reader of Chinese sees them: 證件號碼 is 证件号码, 聯絡電話
# the Taiwan word for a contact phone, 電子信箱 for e-mail; 身份证号2 the ID number, 手机号码（主） the
# main mobile, ＥＭＡＩＬ and 住　址 (ideographic space) e-mail and address; 紧急联系人电话 is an emergency
# contact's phone (another person: not the subject's phone, so not mapped); nested JSON keys by path.
BIG5_HEADER = ["姓名", "證件號碼", "聯絡電話", "電子信箱"]
BIG5_MAP = {"姓名": "name", "證件號碼": "id_number", "聯絡電話": "phone", "電子信箱": "email"}
FULLWIDTH_HEADER = ["姓名", "身份证号2", "手机号码（主）", "紧急联系人电话", "ＥＭＡＩＬ", "住\u3000址"]
FULLWIDTH_MAP = {"姓名": "name", "身份证号2": "id_number", "手机号码（主）": "phone", "ＥＭＡＩＬ": "email", "住\u3000址": "address"}
NESTED_MAP = {"member.xm": "name", "member.zjhm": "id_number", "contact.sjh": "phone", "contact.dz": "address"}
PLACEHOLDERS = {"", "-", "NULL", "\\N", "无", "不详", "nan"}  # DOMAIN.md §5


# --------------------------------------------------------------------------- independent checkers


def mod11_2_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 by its recursive (pure system) definition, not by a weight table."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    p = 0
    for ch in number[:17]:
        p = (p + int(ch)) * 2 % 11
    check = (12 - p) % 11
    return number[17] == ("X" if check == 10 else str(check))


def upgrade_15(number: str) -> str:
    body = number[:6] + "19" + number[6:]
    for c in "0123456789X":
        if mod11_2_ok(body + c):
            return body + c
    raise AssertionError("no check character")


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    for i in range(len(digits) - 2, -1, -2):
        digits[i] = digits[i] * 2 - 9 if digits[i] > 4 else digits[i] * 2
    return sum(digits) % 10 == 0


def real_date(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


# MIIT mobile segments (DOMAIN.md §3), 3-digit network codes.
SEGMENTS = {str(p) for p in [*range(130, 140), *range(145, 154), *range(155, 160), 162, 165, 166, 167,
                             *range(170, 174), *range(175, 179), *range(180, 190), *range(190, 194),
                             *range(195, 200)]}


def _opencc_t2s():
    import opencc

    return opencc.OpenCC("t2s")


T2S = _opencc_t2s()


def norm(field: str, value) -> str:
    """The normalization rules of the brief, written independently (NFKC for full-width)."""
    if value is None:
        return ""
    v = str(value)
    if v.strip() in PLACEHOLDERS:
        return ""
    if field == "name":
        v = unicodedata.normalize("NFKC", v)
        v = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", v).strip()
        return T2S.convert(v)
    if field == "id_number":
        v = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", v)).upper()
        return upgrade_15(v) if re.fullmatch(r"\d{15}", v) else v
    if field == "phone":
        v = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", v))
        for prefix in ("+86", "0086"):
            if v.startswith(prefix):
                v = v[len(prefix):]
                break
        else:
            if len(v) == 13 and v.startswith("86"):
                v = v[2:]
        return "+86" + v
    if field == "address":
        return "".join(unicodedata.normalize("NFKC", v).split())
    if field == "bank_card":
        return v.replace(" ", "")
    local, _, domain = v.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


# --------------------------------------------------------------------------- reading the files back


def read_items(evidence: Path) -> dict:
    """Per item: raw_rows, quarantined_rows, header_rows, blank_lines, and the good rows as dicts."""
    out = {}

    text = (evidence / HOTEL).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == HOTEL_HEADER
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 1, "blank_lines": 0, "good": []}
    for row in rows[1:]:
        if len(row) <= 1 and (not row or not row[0].strip()):
            item["blank_lines"] += 1
            continue
        item["raw_rows"] += 1
        if len(row) != len(HOTEL_HEADER):
            item["quarantined_rows"] += 1
        else:
            item["good"].append(dict(zip(HOTEL_HEADER, row)))
    out[HOTEL] = item

    lines = (evidence / BANK).read_bytes().decode("gb18030").split("\r\n")
    assert lines[0] == BANK_HEADER_LINE and lines[-1] == ""
    header = lines[0].split("----")
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 1, "blank_lines": 0, "good": []}
    for line in lines[1:-1]:
        if not line.strip():
            item["blank_lines"] += 1
            continue
        item["raw_rows"] += 1
        fields = line.split("----")
        if len(fields) != len(header):
            item["quarantined_rows"] += 1
        else:
            item["good"].append(dict(zip(header, fields)))
    out[BANK] = item

    book = openpyxl.load_workbook(evidence / COURIER, read_only=True)
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0, "good": [], "sheet_rows": []}
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0] == COURIER_HEADER
        item["header_rows"] += 1
        data = 0
        for row in rows[1:]:
            if all(v is None or not str(v).strip() for v in row):
                item["blank_lines"] += 1
                continue
            assert all(isinstance(v, str) for v in row), "every XLSX cell is text"
            item["raw_rows"] += 1
            data += 1
            item["good"].append(dict(zip(COURIER_HEADER, row)))
        item["sheet_rows"].append(data)
    book.close()
    out[COURIER] = item

    lines = (evidence / EXCHANGE).read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0, "good": []}
    for line in lines[:-1]:
        if not line.strip():
            item["blank_lines"] += 1
            continue
        item["raw_rows"] += 1
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            item["good"].append(obj)
        else:
            item["quarantined_rows"] += 1
    out[EXCHANGE] = item

    # zip: the member name is GBK bytes without the UTF-8 flag; CP437 is what zipfile assumes
    with zipfile.ZipFile(evidence / ZIP) as zf:
        [info] = zf.infolist()
        assert not info.flag_bits & 0x800
        assert info.filename.encode("cp437").decode("gbk") == ZIP_MEMBER
        lines = zf.read(info).decode("gb18030").split("\r\n")
    assert lines[0] == "注册用户导出 2019-04-12" and lines[1] == "姓名,手机号,邮箱,地址" and lines[-1] == ""
    item = {"raw_rows": 1, "quarantined_rows": 1, "header_rows": 1, "blank_lines": 0, "good": []}  # the title line
    for line in lines[2:-1]:
        if not line.strip():
            item["blank_lines"] += 1
            continue
        item["raw_rows"] += 1
        item["good"].append(dict(zip(("姓名", "手机号", "邮箱", "地址"), line.split(","))))
    out[f"{ZIP}/{ZIP_MEMBER}"] = item

    import xlrd

    book = xlrd.open_workbook(str(evidence / XLS))
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0, "good": [], "number_cells": 0}
    for sh in book.sheets():
        header = [c.value for c in sh.row(0)]
        assert header == ["姓名", "身份证号", "手机号", "住址", "班级"]
        item["header_rows"] += 1
        for r in range(1, sh.nrows):
            cells = sh.row(r)
            if all(c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) for c in cells):
                item["blank_lines"] += 1
                continue
            item["raw_rows"] += 1
            row = {}
            for h, c in zip(header, cells):
                if c.ctype == xlrd.XL_CELL_NUMBER:
                    item["number_cells"] += 1
                    assert c.value.is_integer() and c.value < 1e15  # exact in a double
                    row[h] = str(int(c.value))
                else:
                    row[h] = c.value
            item["good"].append(row)
    out[XLS] = item

    text = (evidence / SQL).read_bytes().decode("utf-8")
    columns = re.findall(r"^  `(\w+)` ", text, re.M)
    assert columns == ["id", "username", "realname", "idcard", "mobile", "email", "addr", "remark"]
    token = re.compile(r"'((?:[^'\\]|\\.)*)'|(NULL)|(\d+)|([(),;])")
    unescape = {"n": "\n", "\\": "\\", "'": "'"}
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0, "good": []}
    for line in text.split("\n"):
        if not line.startswith("INSERT INTO `member` VALUES "):
            continue
        values: list = []
        for m in token.finditer(line, len("INSERT INTO `member` VALUES ")):
            if m.group(1) is not None:
                values.append(re.sub(r"\\(.)", lambda e: unescape[e.group(1)], m.group(1)))
            elif m.group(2):
                values.append(None)
            elif m.group(3):
                values.append(m.group(3))
            elif m.group(4) == ")":
                item["raw_rows"] += 1
                if len(values) != len(columns):
                    item["quarantined_rows"] += 1
                else:
                    item["good"].append(dict(zip(columns, values)))
                values = []
    out[SQL] = item

    data = (evidence / TXT).read_bytes().decode("utf-8")
    assert "\r\n" in data and "\n" in data.replace("\r\n", "")  # mixed line ends
    item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0, "good": []}
    for line in data.replace("\r\n", "\n").split("\n")[:-1]:
        if not line.strip():
            item["blank_lines"] += 1
            continue
        item["raw_rows"] += 1
        cells = line.split("\t")
        if len(cells) != 3:
            item["quarantined_rows"] += 1
        else:
            item["good"].append(dict(enumerate(cells)))
    out[TXT] = item

    for path, header, codec in ((BIG5, BIG5_HEADER, "big5"), (FULLWIDTH, FULLWIDTH_HEADER, "utf-8-sig")):
        rows = list(csv.reader(io.StringIO((evidence / path).read_bytes().decode(codec), newline="")))  # strict decode
        assert rows[0] == header
        item = {"raw_rows": 0, "quarantined_rows": 0, "header_rows": 1, "blank_lines": 0, "good": []}
        for row in rows[1:]:
            assert len(row) == len(header)
            item["raw_rows"] += 1
            item["good"].append(dict(zip(header, row)))
        out[path] = item

    def flat(obj, prefix=""):
        return {k: v for key, value in obj.items()
                for k, v in (flat(value, f"{prefix}{key}.").items() if isinstance(value, dict) else [(prefix + key, value)])}

    lines = (evidence / NESTED).read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""
    item = {"raw_rows": len(lines) - 1, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0,
            "good": [flat(json.loads(line)) for line in lines[:-1]], "objects": [json.loads(line) for line in lines[:-1]]}
    out[NESTED] = item
    return out


#: (item path, header → field) of every item, for the readers' good rows.
ITEM_MAPS = ((HOTEL, HOTEL_MAP), (BANK, BANK_MAP), (COURIER, COURIER_MAP), (EXCHANGE, EXCHANGE_MAP),
             (f"{ZIP}/{ZIP_MEMBER}", ZIP_MAP), (XLS, XLS_MAP), (SQL, SQL_MAP), (TXT, TXT_MAP),
             (BIG5, BIG5_MAP), (FULLWIDTH, FULLWIDTH_MAP), (NESTED, NESTED_MAP))


def canonical_rows(items: dict):
    """(item, {field: raw value}) for every good row, through the header → field mappings."""
    for path, mapping in ITEM_MAPS:
        for row in items[path]["good"]:
            yield path, {mapping[k]: v for k, v in row.items() if k in mapping}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def seizure(tmp_path_factory):
    out = tmp_path_factory.mktemp("seizure")
    truth = generate_seizure(out, records=RECORDS, seed=SEED)
    return out, truth


@pytest.fixture(scope="module")
def items(seizure):
    return read_items(seizure[0] / "evidence")


def _digests(out: Path) -> dict[str, str]:
    files = [out / "evidence" / f for f in FILES] + [out / "ground_truth.json", out / "linkage_truth.csv"]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


# --------------------------------------------------------------------------- tests


def test_mod11_2_checker_on_the_standards_examples():
    assert mod11_2_ok("11010519491231002X")
    assert mod11_2_ok("440524188001010014")
    assert not mod11_2_ok("110105194912310021")
    assert upgrade_15("110105491231002") == "11010519491231002X"


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(seizure, tmp_path):
    out, _ = seizure
    generate_seizure(tmp_path / "again", records=RECORDS, seed=SEED)
    generate_seizure(tmp_path / "other", records=RECORDS, seed=SEED + 1)
    first = _digests(out)
    assert _digests(tmp_path / "again") == first
    other = _digests(tmp_path / "other")
    assert all(other[f] != first[f] for f in FILES)
    assert sorted(p.name for p in (out / "evidence").iterdir()) == sorted(FILES)  # no .part files left


def test_files_decode_strictly_and_use_the_declared_layout(seizure):
    evidence = seizure[0] / "evidence"
    hotel = (evidence / HOTEL).read_bytes()
    assert hotel.startswith(b"\xef\xbb\xbf")
    assert hotel.decode("utf-8-sig").split("\r\n", 1)[0] == ",".join(HOTEL_HEADER)
    # CRLF line ends: the only bare LFs are the line breaks inside quoted fields.
    assert hotel.count(b"\r") == hotel.count(b"\r\n")
    assert hotel.count(b"\n") - hotel.count(b"\r\n") == seizure[1]["injected"]["csv_quoted_line_break"] > 0
    bank = (evidence / BANK).read_bytes()
    assert not bank.startswith(b"\xef\xbb\xbf")
    assert bank.decode("gb18030").startswith(BANK_HEADER_LINE + "\r\n")
    with pytest.raises(UnicodeDecodeError):
        bank.decode("utf-8")  # really GB18030, not UTF-8
    assert bank.count(b"\n") == bank.count(b"\r\n")
    exchange = (evidence / EXCHANGE).read_bytes()
    assert b"\r" not in exchange and not exchange.startswith(b"\xef\xbb\xbf")
    exchange.decode("utf-8")
    book = openpyxl.load_workbook(evidence / COURIER)  # full mode: styles are loaded
    assert len(book.worksheets) >= 2
    for ws in book.worksheets:
        assert tuple(c.value for c in ws[1]) == COURIER_HEADER
        for row in ws.iter_rows(min_row=2, max_row=50):
            for cell in row:
                assert cell.value is None or (cell.data_type == "s" and cell.number_format == "@")


def test_independent_recount_matches_every_item(seizure, items):
    truth = seizure[1]
    assert [i["path"] for i in truth["items"]] == list(ITEM_PATHS)
    for expected in truth["items"]:
        got = items[expected["path"]]
        for key in ("raw_rows", "quarantined_rows", "header_rows", "blank_lines"):
            assert got[key] == expected[key], (expected["path"], key)
    assert all(0 < n <= 100_000 for n in items[COURIER]["sheet_rows"])
    assert sum(i["raw_rows"] for i in truth["items"]) == truth["raw_rows"]
    assert sum(i["quarantined_rows"] for i in truth["items"]) == truth["quarantined_rows"]
    # every malformed kind is present in each file that can hold it
    assert all(items[p]["quarantined_rows"] > 0 for p in (HOTEL, BANK, EXCHANGE, f"{ZIP}/{ZIP_MEMBER}", SQL, TXT))
    assert items[XLS]["number_cells"] > 0 and items[XLS]["header_rows"] >= 2


def test_ground_truth_file_and_totals(seizure):
    out, truth = seizure
    text = (out / "ground_truth.json").read_text(encoding="utf-8")
    assert json.loads(text) == truth
    assert text == json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert set(truth) == {"seed", "records_requested", "raw_rows", "quarantined_rows", "records",
                          "duplicate_records", "unique_records", "probable_duplicate_records", "persons",
                          "categories", "items", "injected", "duplicate_levels", "bounds"}
    assert truth["seed"] == SEED and truth["records_requested"] == RECORDS
    assert truth["records"] == truth["raw_rows"] - truth["quarantined_rows"] == RECORDS
    assert truth["duplicate_records"] == truth["records"] - truth["unique_records"] > 0
    assert sum(c["unique_records"] for c in truth["categories"].values()) == truth["unique_records"]
    inj = truth["injected"]
    assert inj["duplicate_within_file"] + inj["duplicate_cross_file"] + inj["identical_row_other_id"] == truth["duplicate_records"]
    assert sum(v for k, v in inj.items() if k.startswith("malformed_")) == truth["quarantined_rows"]
    assert inj["blank_lines"] == sum(i["blank_lines"] for i in truth["items"])
    assert all(v > 0 for k, v in inj.items() if k.startswith("variant_")), inj


NO_PARTY = ("", "", "")


def norm_party(name, phone, address) -> tuple[str, str, str]:
    """A waybill sender normalized by the first party's rules; a masked value (``*``) is kept as
    written less separators, never given ``+86`` (DOMAIN.md §5: masked is not repaired)."""
    def masked_or(field, v):
        if v is not None and "*" in str(v):
            return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", str(v)))
        return norm(field, v)
    return masked_or("name", name), masked_or("phone", phone), norm("address", address)


def _row_information(items, *, with_party: bool = False):
    """(six-field key, unmapped columns) of every good row: the extras are the other columns with a
    value, the row identifier ``id`` left out (issue 12, configs/linkage.yaml row_identifier_columns).
    ``with_party``: also the row's normalized second party (a waybill's sender, ``NO_PARTY`` elsewhere)."""
    for path, mapping in ITEM_MAPS:
        for row in items[path]["good"]:
            fields = {mapping[k]: v for k, v in row.items() if k in mapping}
            key = tuple(norm(f, fields.get(f)) for f in FIELDS)
            extras = tuple(sorted((str(k), str(v).strip()) for k, v in row.items()
                                  if k not in mapping and k != "id" and v is not None and str(v).strip()))
            if with_party:
                party = norm_party(row["寄件人"], row["寄件人电话"], row["寄件地址"]) if path == COURIER else NO_PARTY
                yield key, extras, party
            else:
                yield key, extras


def _record_key(key, extras, party=NO_PARTY):
    """A record's identity: its six fields and its second party (issue 12 defect 4: same receiver,
    another sender is another record), or its unmapped columns when it has no field (defect 3)."""
    return key + party if any(key) else key + extras


def _other_document(number) -> bool:
    # DOMAIN.md §3: passport E + 8 digits or E + letter + 7; 往来港澳通行证 C + 8; 港澳居民来往内地通行证
    # H/M + 8; 台湾居民来往大陆通行证 8 digits; a foreign passport (ICAO 9303) letter + 8 digits as the
    # generator writes it. Such a number is its own document (tier_500), never an untrue ID (issue 12).
    return bool(number) and re.fullmatch(r"E[A-Z]\d{7}|[A-Z]\d{8}|\d{8}", number) is not None


def _category(key) -> str:
    # issue 12 defect 1: a field raises the category only when it passes its check (DOMAIN.md §3:
    # a card is 12-19 digits, not one digit repeated; an ID has a real date and its check character)
    d = dict(zip(FIELDS, key))
    card, idn = d["bank_card"], d["id_number"]
    if card and re.fullmatch(r"\d{12,19}", card) and len(set(card)) > 1:
        return "tier_50"
    if idn and ((mod11_2_ok(idn) and real_date(idn[6:14])) or _other_document(idn)):
        return "tier_500"
    return "tier_5000"


def _tag(key) -> str:
    """category when counted, ``bare`` (a phone and nothing else) or ``untrue`` (an invalid ID)."""
    d = dict(zip(FIELDS, key))
    if d["id_number"] and not (mod11_2_ok(d["id_number"]) and real_date(d["id_number"][6:14])) and not _other_document(d["id_number"]):
        return "untrue"
    if d["phone"] and not any(d[f] for f in FIELDS if f != "phone"):
        return "bare"
    return _category(key)


def test_independent_dedup_matches_unique_records_and_categories(seizure, items):
    truth = seizure[1]
    keys: set[tuple[str, ...]] = set()
    records = 0
    for key, extras, party in _row_information(items, with_party=True):
        records += 1
        keys.add(_record_key(key, extras, party))
    assert records == truth["records"]
    assert len(keys) == truth["unique_records"]
    assert records - len(keys) == truth["duplicate_records"]
    categories = {"tier_50": 0, "tier_500": 0, "tier_5000": 0}
    for key in keys:
        categories[_category(key[:6])] += 1
    assert {k: {"unique_records": v} for k, v in categories.items()} == truth["categories"]


def test_independent_recount_of_the_duplicate_levels_and_both_bounds(seizure, items):
    # Issue 12: identical rows (every column equal but the row identifier id) are removed for the
    # upper bound; same person information and probable duplicates for the lower bound.
    out, truth = seizure
    rows = {"tier_50": 0, "tier_500": 0, "tier_5000": 0, "bare": 0, "untrue": 0}
    distinct: dict[tuple, str] = {}
    records: dict[tuple, str] = {}
    for key, extras, party in _row_information(items, with_party=True):
        tag = _tag(key)
        rows[tag] += 1
        distinct[key + (None,) + extras] = tag
        records[_record_key(key, extras, party)] = tag
    count = lambda d, t: sum(1 for v in d.values() if v == t)  # noqa: E731
    counted = ("tier_50", "tier_500", "tier_5000")
    by_sha = {_key_digest(k[:9]): t for k, t in records.items() if any(k[:6])}
    probable = [line.split(",")[0] for line in (out / "linkage_truth.csv").read_text(encoding="utf-8").splitlines()[1:]]
    probable_tags = [by_sha[h] for h in probable]
    lv = truth["duplicate_levels"]
    assert lv["identical_rows"] == sum(rows[t] - count(distinct, t) for t in counted) > 0
    assert lv["same_person_exact"] == sum(count(distinct, t) - count(records, t) for t in counted) > 0
    assert lv["probable"] == sum(1 for t in probable_tags if t in counted) > 0
    assert lv["bare_phone_identical_rows"] == rows["bare"] - count(distinct, "bare")
    assert lv["bare_phone_same_person_exact"] == count(distinct, "bare") - count(records, "bare")
    assert truth["bounds"]["upper"] == {t: count(distinct, t) for t in counted}
    assert truth["bounds"]["lower"] == {t: count(records, t) - probable_tags.count(t) for t in counted}
    # every bad card the bank plan injected keeps a counted record out of tier_50 (its ID is valid)
    inj = truth["injected"]
    bad_cards = inj["bank_card_placeholder"] + inj["bank_card_bad_length"] + inj["bank_card_bad_format"]
    assert lv["kept_out_of_category"] == {"tier_50": bad_cards, "tier_500": 0, "tier_5000": 0} and bad_cards >= 3
    # the unmapped-only tuples are records of their own; the repeated tuples are identical rows
    assert sum(1 for k in records if not any(k[:6])) == inj["unmapped_only_row"] >= 1
    assert inj["identical_row_other_id"] >= 1


def test_identifiers_follow_their_standards(seizure, items):
    inj = seizure[1]["injected"]
    bad_check = bad_date = valid = 0
    phones = cards = 0
    bad_cards = {"placeholder": 0, "format": 0, "length": 0}
    for _, row in canonical_rows(items):
        idn = norm("id_number", row.get("id_number"))
        if idn and re.fullmatch(r"[A-Z][0-9A-Z]{7,14}|[0-9]{8}", idn):
            continue  # a passport or permit in the hotel CtfId (issue 12): checked by its own format
        if idn:
            assert re.fullmatch(r"\d{17}[\dX]", idn), "IDs are 18 characters after cleaning"
            if not mod11_2_ok(idn):
                bad_check += 1
            elif not real_date(idn[6:14]):
                bad_date += 1
            else:
                valid += 1
                assert dt.date(1950, 1, 1) <= dt.date.fromisoformat(
                    f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}") <= dt.date(2005, 12, 31)
        phone = norm("phone", row.get("phone"))
        if phone:
            phones += 1
            assert re.fullmatch(r"\+86\d{11}", phone) and phone[3:6] in SEGMENTS, phone
            assert phone[3:] not in {"13800138000", "11111111111", "12345678901"}
        card = norm("bank_card", row.get("bank_card"))
        if card:
            cards += 1
            if card == "0" * 16:
                bad_cards["placeholder"] += 1
            elif not card.isdigit():
                bad_cards["format"] += 1
            elif len(card) < 12:
                bad_cards["length"] += 1
            else:
                assert card.startswith("62") and len(card) in (16, 19) and luhn_ok(card), card
    # Invalid IDs are injected once each: every other ID passes the independent checks.
    assert bad_check == inj["invalid_id_check_digit"] > 0
    assert bad_date == inj["invalid_id_impossible_date"] > 0
    assert valid > 0 and phones > 0 and cards > 0
    # issue 12 defect 1: the bank plan's cards that fail their shape check, each injected once
    assert bad_cards == {"placeholder": inj["bank_card_placeholder"], "format": inj["bank_card_bad_format"],
                         "length": inj["bank_card_bad_length"]}


def test_hotel_dump_looks_like_the_known_dump(items):
    rows = items[HOTEL]["good"]
    # issue 12: 3-5 % of the guests show a passport or permit, with its CtfTp label or code
    from jobs.synth.items.hotel import DOCUMENT_CTFTP

    assert {r["CtfTp"] for r in rows} <= {"ID"} | {v for values in DOCUMENT_CTFTP.values() for v in values}
    other = [r for r in rows if not re.fullmatch(r"[0-9]{17}[0-9X]|[0-9]{15}", r["CtfId"]) and r["CtfId"]
             and r["CtfId"][0] in "ABCDEGHKMPRSX"] + [r for r in rows if r["CtfId"][:6] in ("810000",)]
    assert 0.01 * len(rows) < len(other) < 0.06 * len(rows)
    with_id = [r for r in rows if re.fullmatch(r"[0-9]{17}[0-9X]", r["CtfId"])]
    assert all(r["Gender"] == ("M" if int(r["CtfId"][16]) % 2 else "F") for r in with_id)
    assert all(r["Birthday"] == r["CtfId"][6:14] for r in with_id)
    assert any(r["Mobile"].strip() in PLACEHOLDERS - {""} for r in rows)
    assert all(r["EMail"].split("@")[-1].strip().lower() in ("example.com", "example.net", "example.org")
               for r in rows if "@" in r["EMail"])


def test_exchange_item_mixes_phone_lists_and_copies_under_other_keys(items):
    objs = items[EXCHANGE]["good"]
    assert any(set(o) <= {"name", "mobile", "tag"} and "tag" in o for o in objs)
    assert any("xm" in o or "sfzh" in o for o in objs)
    assert any("id_card" in o or "bank_card" in o for o in objs)
    assert all(isinstance(v, str) for o in objs for v in o.values())


def test_too_few_records_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_seizure(tmp_path, records=999, seed=1)


# --------------------------------------------------------------------------- probable duplicates (issue 5)


def _key_digest(key: tuple[str, ...]) -> str:
    """The generator's documented record name: SHA-256 of the normalized key (six fields, then the
    sender's name key, phone, address) joined by U+001F."""
    return hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()


def _one_substitution(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def test_linkage_truth_names_real_records_and_each_kind_differs_as_documented(seizure, items):
    out, truth = seizure
    keys = {}
    for key, _, party in _row_information(items, with_party=True):
        keys[_key_digest(key + party)] = dict(zip(FIELDS, key))
    with open(out / "linkage_truth.csv", encoding="utf-8", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert lines and set(lines[0]) == {"record_key_sha256", "person_key_sha256", "source_key_sha256", "kind"}
    person = {}
    kinds = collections.Counter()
    for line in lines:
        rec, src = keys[line["record_key_sha256"]], keys[line["source_key_sha256"]]
        assert line["person_key_sha256"] in keys and line["person_key_sha256"] not in {other["record_key_sha256"] for other in lines}
        # the source's person is the record's person (chains resolve to the first record)
        person[line["record_key_sha256"]] = line["person_key_sha256"]
        assert person.get(line["source_key_sha256"], line["source_key_sha256"]) == line["person_key_sha256"]
        kind = line["kind"]
        kinds[kind] += 1
        changed = [f for f in FIELDS if rec[f] != src[f]]
        emptied = [f for f in changed if not rec[f] and src[f]]
        if kind == "probable_name_typo":
            assert changed == ["name"] and _one_substitution(rec["name"], src["name"])
        elif kind == "probable_field_missing":
            assert changed == emptied and len(emptied) == 1 and emptied != ["name"]
        elif kind == "probable_address_typo":
            assert changed == ["address"] and _one_substitution(rec["address"], src["address"])
            assert rec["address"].endswith("室") and re.fullmatch(r"\d", next(x for x, y in zip(rec["address"], src["address"]) if x != y))
        elif kind == "probable_typo_and_missing":
            assert _one_substitution(rec["name"], src["name"]) and len(emptied) == 1 and set(changed) == {"name", *emptied}
        else:
            assert kind == "same_person_other_field_set"
            assert rec == {**dict.fromkeys(FIELDS, ""), "name": src["name"], "phone": src["phone"]}
        # what stays lets the pair be linked: the name and an identifier, or an exact name and the address
        assert rec["name"] and (any(rec[f] and rec[f] == src[f] for f in ("id_number", "phone", "bank_card", "email"))
                                or (rec["name"] == src["name"] and rec["address"] and rec["address"] == src["address"]))
    inj = truth["injected"]
    assert dict(kinds) == {k: inj[k] for k in kinds} and all(kinds[k] > 0 for k in
        ("probable_name_typo", "probable_field_missing", "probable_address_typo", "probable_typo_and_missing"))
    assert truth["probable_duplicate_records"] == len(lines) == len(person)
    assert truth["persons"] == truth["unique_records"] - len(lines)


def test_a_retyped_waybill_repeats_its_senders(seizure, items):
    # One row traded twice and retyped (a probable duplicate) keeps the second party: the courier
    # rows named by linkage_truth.csv carry the sender of their person's first waybill (issue 12).
    party_of: dict[str, tuple] = {}
    for key, _, party in _row_information(items, with_party=True):
        if party != NO_PARTY:
            party_of[_key_digest(key + party)] = party
    with open(seizure[0] / "linkage_truth.csv", encoding="utf-8", newline="") as fh:
        pairs = [(line["record_key_sha256"], line["person_key_sha256"]) for line in csv.DictReader(fh)]
    both = [(r, p) for r, p in pairs if r in party_of and p in party_of]
    assert both  # the seizure has retyped waybills
    assert all(party_of[r] == party_of[p] for r, p in both)


def test_same_receiver_with_another_sender_is_another_record(seizure, items):
    # issue 12 defect 4: a receiver's second waybill from another sender is another row traded, so
    # another record; both sender phones are unmasked valid mobiles (the pipeline's sender_phone
    # guard needs them) and the pair is never a probable duplicate in linkage_truth.csv.
    out, truth = seizure
    parties: dict[tuple, set] = collections.defaultdict(set)
    for key, _, party in _row_information(items, with_party=True):
        if party != NO_PARTY:
            parties[key].add(party)
    shared = {k: v for k, v in parties.items() if len(v) > 1}
    assert len(shared) == truth["injected"]["waybill_same_receiver_other_sender"] >= 1
    for senders in shared.values():
        assert len(senders) == 2
        phones = [p for _, p, _ in senders]
        assert all(re.fullmatch(r"\+86\d{11}", p) and p[3:6] in SEGMENTS for p in phones) and phones[0] != phones[1]
    with open(out / "linkage_truth.csv", encoding="utf-8", newline="") as fh:
        truth_pairs = {(line["record_key_sha256"], line["person_key_sha256"]) for line in csv.DictReader(fh)}
    for key, senders in shared.items():
        a, b = (_key_digest(key + p) for p in sorted(senders))
        assert (a, b) not in truth_pairs and (b, a) not in truth_pairs


def test_record_names_include_the_second_party_worked_by_hand():
    # The documented name: SHA-256 over the nine values joined by U+001F (jobs.synth.contract).
    from jobs.synth.contract import record_key_sha256, spec_party

    # masked name and phone kept as written less the space; the address loses its spaces (DOMAIN.md §5)
    assert spec_party(("王*", "139 ****5678", "上海市 黄浦区 南京东路2号")) == ("王*", "139****5678", "上海市黄浦区南京东路2号")
    assert spec_party(("李四", "+86 138-0000-1111", "")) == ("李四", "+8613800001111", "")
    receiver = ("张三", "", "+8613912345678", "北京市朝阳区建国路1号", "", "")
    first = receiver + ("李四", "+8613800001111", "上海市黄浦区南京东路2号")
    other = receiver + ("王五", "+8613700002222", "上海市黄浦区南京东路2号")
    text = "张三\x1f\x1f+8613912345678\x1f北京市朝阳区建国路1号\x1f\x1f\x1f李四\x1f+8613800001111\x1f上海市黄浦区南京东路2号"
    assert record_key_sha256(first) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert record_key_sha256(first) != record_key_sha256(other)


# --------------------------------------------------------------------------- header shapes (issue 12 defect 5)


def test_header_shapes_of_defect_5_each_hold_records(seizure, items):
    evidence = seizure[0] / "evidence"
    truth = seizure[1]
    # strict Big5 (a simplified-only character would not encode): some names are written in their
    # traditional form (t2s changes them), the others are the same in both scripts
    big5 = items[BIG5]["good"]
    assert big5 and (evidence / BIG5).read_bytes().decode("big5").startswith(",".join(BIG5_HEADER) + "\r\n")
    traditional = [r["姓名"] for r in big5 if T2S.convert(r["姓名"]) != r["姓名"]]
    assert 0 < len(traditional) < len(big5)
    # its duplicates are exact repeats only: rows with one normalized key are the same cells
    by_key = collections.defaultdict(set)
    for row in big5:
        by_key[tuple(norm(f, row.get(h)) for h, f in BIG5_MAP.items())].add(tuple(row.values()))
    assert all(len(v) == 1 for v in by_key.values()) and len(by_key) < len(big5)
    # the emergency contact is another person's valid mobile, never the row's own phone, and a
    # row repeating a record repeats its contact (a function of the record)
    full = items[FULLWIDTH]["good"]
    contacts = collections.defaultdict(set)
    for row in full:
        contact, own = row["紧急联系人电话"], norm("phone", row["手机号码（主）"])
        assert re.fullmatch(r"\d{11}", contact) and contact[:3] in SEGMENTS and "+86" + contact != own
        contacts[tuple(norm(f, row.get(h)) for h, f in FULLWIDTH_MAP.items())].add(contact)
    assert full and all(len(v) == 1 for v in contacts.values()) and len(contacts) < len(full)
    # nested objects: the person's fields only under member / contact, a timestamp beside them
    objs = items[NESTED]["objects"]
    assert objs and all(set(o) == {"member", "contact", "ts"} and set(o["member"]) <= {"xm", "zjhm"}
                        and set(o["contact"]) <= {"sjh", "dz"} for o in objs)
    assert {i["path"]: i["raw_rows"] for i in truth["items"]}[NESTED] == len(objs)


def test_the_make_run_default_size_generates(tmp_path):
    # `make run` generates RECORDS records with SEED (Makefile); at 200,000 a receiver could be drawn
    # twice for its other-sender waybill, and the second draw wrote the same two-party record again,
    # so the generator's own check (no two base records with one key) refused the README's command.
    make = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    records = int(re.search(r"^RECORDS \?= (\d+)$", make, re.M).group(1))
    seed = int(re.search(r"^SEED \?= (\d+)$", make, re.M).group(1))
    flags = re.search(r"^SYNTH_FLAGS \?= (.*)$", make, re.M).group(1).split()  # the containers, e.g. --rar --access
    truth = generate_seizure(tmp_path, records=records, seed=seed, **{f.removeprefix("--"): True for f in flags})
    assert truth["records"] == records
