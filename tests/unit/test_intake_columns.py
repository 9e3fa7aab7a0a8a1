"""Header folding, other-person roles, the content fallback of unknown headers (issue 12 defect 5)
and the header decision of a headerless name + address list (issue 13 defect 10).

Expected fields are worked by hand from the headers and values written here (synthetic values);
traditional spellings are the Big5 forms of the configured mainland synonyms."""

from __future__ import annotations

import pickle

import pytest

from jobs.common.config import load_config
from jobs.intake.columns import HeaderMapper, first_row_is_data, header_key
from jobs.intake.formats.delimited import parse_delimited
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
    ("CardNo", None, "unknown header"),                 # the hotel layout's membership card: not card_no
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
