"""Header folding, other-person roles, the content fallback of unknown headers (issue 12 defect 5)
and the header decision of a headerless name + address list (issue 13 defect 10).

Expected fields are worked by hand from the headers and values written here (synthetic values);
traditional spellings are the Big5 forms of the configured mainland synonyms."""

from __future__ import annotations

import json
import pickle

import pytest

from jobs.common.config import load_config
from jobs.intake.columns import HeaderMapper, column_mapping, first_row_is_data, header_key
from jobs.intake.formats.delimited import parse_delimited
from jobs.intake.formats.json import parse_jsonl
from jobs.intake.formats.rows import ItemStats
from jobs.intake.worker import parse_options

ID_A = "11010519491231002X"  # GB 11643-1999's own example
ID_B = "440524188001010014"  # GB 11643-1999's own example


@pytest.fixture(scope="module")
def synonyms():
    return {k: list(v) for k, v in load_config().synonyms.items()}


@pytest.fixture(scope="module")
def mapper(synonyms):
    return HeaderMapper(synonyms)


@pytest.mark.parametrize(("header", "field", "how"), [
    ("證件號碼", "id_number", "header synonym"),          # Big5 → 证件号码
    ("聯絡電話", "phone", "header synonym"),              # 联络电话 (traditional block)
    ("電子信箱", "email", "header synonym"),              # 电子信箱 (traditional block)
    ("身分證字號", "id_number", "header synonym"),        # Taiwan term
    ("ＭＯＢＩＬＥ", "phone", "header synonym"),          # full width (NFKC) and case
    ("手机 号码", "phone", "header synonym"),             # white space
    ("Mobile_Phone", "phone", "header synonym"),
    ("CardNo", None, "holds no canonical field"),       # the hotel layout's own card number: not card_no
    ("手机号码（主）", "phone", "brackets removed"),      # full-width brackets (NFKC → ASCII)
    ("手机号码【主】", "phone", "brackets removed"),      # CJK brackets NFKC keeps
    ("身份证号2", "id_number", "trailing digits removed"),
    ("member.zjhm", "id_number", "leaf of a dotted path"),   # nested JSON {"member": {"zjhm": ...}}
    ("member.sjh(1)", "phone", "leaf of a dotted path, brackets and trailing digits removed"),
])
def test_folded_headers_map(mapper, header, field, how):
    got, why = mapper.resolve(header)
    assert got == field
    assert how in why


def test_zjhm_is_a_synonym_so_the_json_case_is_real(synonyms):
    # The nested-key case only proves something if the leaf itself is configured.
    assert "zjhm" in [s for k, v in synonyms.items() if k.split("/")[0] == "id_number" for s in v]


@pytest.mark.parametrize("header", ["紧急联系人电话", "緊急聯絡人電話", "手机号码(紧急联系人)", "担保人身份证号",
                                    "emergency.phone", "家长手机"])
def test_other_person_headers_stay_unmapped(mapper, header):
    got, why = mapper.resolve(header)
    assert got is None and why.startswith("names another person")


def test_unknown_header_stays_unknown(mapper):
    assert mapper.resolve("备注") == (None, "unknown header")


def test_no_two_fields_fold_onto_one_spelling(synonyms):
    HeaderMapper(synonyms)  # raises ValueError on a collision
    with pytest.raises(ValueError, match="claimed by"):
        HeaderMapper({"phone": ["手機"], "name": ["手机"]})


def test_known_headers_recognise_stripped_spellings_and_pickle(mapper):
    names = mapper.names
    assert header_key("手机号码（主）") in names and header_key("證件號碼") in names
    assert header_key("紧急联系人电话") not in names and header_key("备注") not in names
    assert header_key("手机号码（主）") in pickle.loads(pickle.dumps(names))


def test_map_columns_infers_strong_fields_for_unknown_headers_only(mapper):
    header = ["客户", "号", "紧急联系人电话", "民族", "开户行", "备用手机", "身份证号"]
    rows = [["张三", "13912345678", "13812345678", "汉族", "中国工商银行北京市分行", "13712345678", ID_A],
            ["李四", "13612345678", "13512345678", "回族", "中国银行上海市分行", "13412345678", ID_B]]
    fields, why = mapper.map_columns(header, rows)
    # 客户: name-shaped values, but the weak name rule is not used under a header; 号: mobiles →
    # phone (leftmost of the two unknown phone columns with an equal share); 紧急联系人电话: another
    # person, never inferred; 民族/开户行: weak rules; 备用手机: phone already taken by 号.
    assert fields == [None, "phone", None, None, None, None, "id_number"]
    assert why["号"]["how"] == "unknown header; inferred from content"
    assert (why["号"]["matched"], why["号"]["non_empty"]) == (2, 2)
    assert why["紧急联系人电话"]["field"] == "extra" and why["紧急联系人电话"]["how"].startswith("names another person")
    assert why["客户"]["how"] == "unknown header; no content rule applied (kept in extra)"
    assert why["备用手机"]["field"] == "extra"
    assert why["身份证号"]["how"] == "header synonym (configs/column_synonyms.yaml)"


def test_repeated_synonym_goes_to_extra(mapper):
    assert mapper.map_header(["手机号1", "手机号2", "手機號碼（主）"]) == ["phone", None, None]


def test_big5_file_with_traditional_headers_end_to_end(tmp_path, synonyms):
    p = tmp_path / "big5.csv"
    p.write_bytes(("姓名,證件號碼,聯絡電話,電子信箱,緊急聯絡人電話\n"
                   f"陳大文,{ID_A},13912345678,dw@example.com,13812345678\n").encode("big5"))
    stats = ItemStats()
    rows = list(parse_delimited(p, stats, parse_options(synonyms)))
    assert rows[0].fields == ["name", "id_number", "phone", "email", None]
    assert stats.column_inference[""]["緊急聯絡人電話"]["field"] == "extra"


@pytest.mark.parametrize(("first", "expected"), [
    (["张三", "北京市朝阳区建国路88号"], True),       # shaped like the rows below: data
    (["联系人", "所在城市"], False),                 # header words: a header
    (["客户", "位置"], False),                       # 位置 is not address-shaped: a header
    (["张三", "13912345678"], True),                 # a mobile number: data (as before)
])
def test_first_row_is_data(first, expected):
    following = [["李四", "上海市黄浦区南京路1号"], ["王小五", "广东省汕头市金平区"], ["赵六", "四川省成都市武侯区"]]
    assert first_row_is_data(first, following) is expected


def test_headerless_name_address_file_keeps_its_first_row(tmp_path, synonyms):
    p = tmp_path / "na.txt"
    p.write_text("张三,北京市朝阳区建国路88号\n李四,上海市黄浦区南京路1号\n王小五,广东省汕头市金平区\n", encoding="utf-8")
    stats = ItemStats()
    rows = list(parse_delimited(p, stats, parse_options(synonyms)))
    assert [(r.line_number, r.cells, r.fields) for r in rows] == [
        (1, ["张三", "北京市朝阳区建国路88号"], ["name", "address"]),
        (2, ["李四", "上海市黄浦区南京路1号"], ["name", "address"]),
        (3, ["王小五", "广东省汕头市金平区"], ["name", "address"]),
    ]
    assert (stats.header_rows, stats.records) == (0, 3)


# --------------------------------------------------------------------------- the generator's header shapes (issue 12 defect 5)
# The headers of jobs/synth/items/headers.py, each mapped as a reader of Chinese maps it: 證件號碼 is
# the traditional 证件号码; 聯絡電話 / 電子信箱 the Taiwan words for contact phone and e-mail;
# 身份证号2 an ID number column numbered 2; 手机号码（主） the main mobile; ＥＭＡＩＬ and 住　址 e-mail and
# address in full-width letters / with an ideographic space; 紧急联系人电话 an emergency contact's
# phone (another person); member.xm … contact.dz the nested JSON keys (xm 姓名, zjhm 证件号码, sjh
# 手机号, dz 地址).

def _raw(row, mapper):
    from jobs.intake.records import to_raw_record

    rec = to_raw_record(row, {"sha256": "0" * 64, "path": "x"}, mapper, {})
    return {k[:-4]: v for k, v in rec.items() if k.endswith("_raw") and v is not None}, json.loads(rec["extra"])


def _read_one_row(path, data, synonyms, mapper):
    """Write ``data`` to ``path``, parse its one data row: ``(mapped fields, extra, column mapping)``."""
    path.write_bytes(data)
    stats = ItemStats()
    [row] = list(parse_delimited(path, stats, parse_options(synonyms)))
    fields, extra = _raw(row, mapper)
    return fields, extra, column_mapping(stats, mapper)[""]


def test_big5_member_list_headers_map_end_to_end(tmp_path, synonyms, mapper):
    fields, extra, why = _read_one_row(tmp_path / "會員資料.csv", ("姓名,證件號碼,聯絡電話,電子信箱\r\n"
                                       f"陳大文,{ID_A},13912345678,dw@example.com\r\n").encode("big5"), synonyms, mapper)
    assert fields == {"name": "陳大文", "id_number": ID_A, "phone": "13912345678", "email": "dw@example.com"}
    assert extra == {}
    assert {c: w["field"] for c, w in why.items()} == {
        "姓名": "name", "證件號碼": "id_number", "聯絡電話": "phone", "電子信箱": "email"}


def test_bracket_role_number_fullwidth_headers_map_and_the_emergency_phone_stays_in_extra(tmp_path, synonyms, mapper):
    fields, extra, why = _read_one_row(tmp_path / "客户登记表.csv", ("\ufeff姓名,身份证号2,手机号码（主）,紧急联系人电话,ＥＭＡＩＬ,住\u3000址\r\n"
                                       f"张三,{ID_B},13912345678,13812345678,zs@example.org,北京市朝阳区建国路88号\r\n").encode("utf-8"),
                                       synonyms, mapper)
    assert fields == {"name": "张三", "id_number": ID_B, "phone": "13912345678", "email": "zs@example.org",
                      "address": "北京市朝阳区建国路88号"}
    assert extra == {"紧急联系人电话": "13812345678"}  # another person's mobile: never the subject's phone
    assert why["紧急联系人电话"] == {"field": "extra", "how": "names another person (紧急联系人): kept in extra, never inferred from content"}
    assert why["身份证号2"]["how"] == "header synonym after folding: trailing digits removed (configs/column_synonyms.yaml)"
    assert why["手机号码（主）"]["how"] == "header synonym after folding: brackets removed (configs/column_synonyms.yaml)"
    assert why["ＥＭＡＩＬ"]["how"] == why["住\u3000址"]["how"] == "header synonym (configs/column_synonyms.yaml)"


def test_nested_json_keys_map_by_their_leaf_and_the_timestamp_stays_in_extra(tmp_path, synonyms, mapper):
    p = tmp_path / "会员接口.jsonl"
    p.write_text('{"member": {"xm": "李四", "zjhm": "%s"}, "contact": {"sjh": "13612345678", "dz": "上海市黄浦区南京路1号"},'
                 ' "ts": "2019-04-12 08:00:00"}\n' % ID_A, encoding="utf-8")
    [row] = list(parse_jsonl(p, ItemStats(), parse_options(synonyms)))
    fields, extra = _raw(row, mapper)
    assert fields == {"name": "李四", "id_number": ID_A, "phone": "13612345678", "address": "上海市黄浦区南京路1号"}
    assert extra == {"ts": "2019-04-12 08:00:00"}
    assert mapper.resolve("member.zjhm") == ("id_number", "header synonym after folding: leaf of a dotted path (configs/column_synonyms.yaml)")


# --------------------------------------------------------------------------- CardNo of the 33-column hotel layout (issue 12)

HOTEL_HEADER = ["Name", "CardNo", "Descriot", "CtfTp", "CtfId", "Gender", "Birthday", "Address", "Zip", "Dirty",
                "District1", "District2", "District3", "District4", "District5", "District6", "FirstNm", "LastNm",
                "Duty", "Mobile", "Tel", "Fax", "EMail", "Nation", "Taste", "Education", "Company", "CTel",
                "CAddress", "CZip", "Family", "Version", "id"]
UNIONPAY_SHAPED = ["6212345678901234", "6222021234567890123"]  # 16 and 19 digits from 62: the content rule's shape


def _hotel_rows(card_column: int):
    rows = []
    for card, idn, mobile in zip(UNIONPAY_SHAPED, (ID_A, ID_B), ("13912345678", "13612345678")):
        row = [""] * len(HOTEL_HEADER)
        row[0], row[card_column], row[3], row[4], row[19] = "张三", card, "ID", idn, mobile
        rows.append(row)
    return rows


def test_hotel_cardno_with_unionpay_shaped_values_is_never_a_bank_card(mapper):
    fields, why = mapper.map_columns(HOTEL_HEADER, _hotel_rows(1))
    assert "bank_card" not in fields and fields[1] is None
    assert why["CardNo"] == {"field": "extra", "how": "holds no canonical field (configs/column_synonyms.yaml _not_a_field): "
                                                      "kept in extra, never inferred from content"}
    # the control: the same values under a header nobody configured are inferred as bank cards
    # (2 of 2 values match 62 + 14-17 digits), so the CardNo entry is what keeps them out
    fields, why = mapper.map_columns(HOTEL_HEADER[:1] + ["卡"] + HOTEL_HEADER[2:], _hotel_rows(1))
    assert fields[1] == "bank_card" and (why["卡"]["matched"], why["卡"]["non_empty"]) == (2, 2)
    # the guest's company phone (CTel) is not the subject's phone either
    assert mapper.resolve("CTel")[0] is None and mapper.resolve("ctel")[1].startswith("holds no canonical field")
