"""The review's words (issue 17): every field, decision and comparison level the code can emit has a word
in both languages, checked against the registries (not against the catalog itself); the page and the sheet
show the Chinese words for a hand-made pair."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from jobs.common.fields import CANONICAL_FIELDS
from jobs.common.linkage import IMPLICIT_LEVELS, LEVEL_KINDS, LEVEL_KINDS_WITH_ARGUMENT, level_kind
from jobs.common.storage.local import LocalStorage
from jobs.export.i18n import LANGUAGES, all_keys
from jobs.review.decisions import DECISIONS, DecisionLog, pair_target
from jobs.review.queue import WHY, ReviewQueue
from jobs.review.sheet import export_sheet, import_sheet, item_digest
from jobs.review.web import create_app
from jobs.review.words import Words

REPO = Path(__file__).resolve().parents[2]


def _has_every_language(key: str) -> bool:
    entry = all_keys().get(key)
    return isinstance(entry, dict) and all(isinstance(entry.get(lang), str) and entry[lang].strip() for lang in LANGUAGES)


@pytest.mark.parametrize("name", CANONICAL_FIELDS)
def test_every_registry_field_has_a_label_in_both_languages(name):
    assert _has_every_language(f"field.{name}"), name
    assert Words("zh-CN").field(name) != name  # a Chinese label, not the code name


@pytest.mark.parametrize("code", [c for codes in DECISIONS.values() for c in codes])
def test_every_decision_has_a_word_in_both_languages(code):
    assert _has_every_language(f"decision.{code}"), code
    assert Words("zh-CN").decision(code) != Words("en").decision(code)


@pytest.mark.parametrize("kind", [*LEVEL_KINDS, *IMPLICIT_LEVELS])
def test_every_level_kind_has_a_word_in_both_languages(kind):
    assert _has_every_language(f"level.{kind}"), kind
    label = f"{kind}:4" if kind in LEVEL_KINDS_WITH_ARGUMENT else kind
    for lang in LANGUAGES:
        word = Words(lang).level(label)
        assert word and "{" not in word and (lang != "zh-CN" or word != label)
        assert ("4" in word) == (kind in LEVEL_KINDS_WITH_ARGUMENT)  # the argument is in the word


@pytest.mark.parametrize("code", WHY)
def test_every_queue_reason_has_a_word_in_both_languages(code):
    assert _has_every_language(f"review.why_{code}"), code
    assert Words("zh-CN").why(code) != code


def test_every_level_the_configs_use_is_a_registered_kind():
    """The configurations are where the levels a run emits come from (configs/linkage.yaml, configs/febrl.yaml)."""
    levels = set()

    def walk(node):
        if isinstance(node, dict):
            if "levels" in node and isinstance(node["levels"], list):
                levels.update(str(x) for x in node["levels"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for name in ("linkage.yaml", "febrl.yaml"):
        walk(yaml.safe_load((REPO / "configs" / name).read_text(encoding="utf-8")))
    assert levels and {level_kind(x)[0] for x in levels} <= set(LEVEL_KINDS)


def test_every_page_word_has_both_languages_and_the_old_catalog_is_gone():
    keys = [k for k in all_keys() if k.startswith("review.")]
    assert {"title", "keys", "sheet_about", "tab_pairs", "tab_records", "tab_about"} <= {k[len("review."):] for k in keys}
    assert all(_has_every_language(k) for k in keys)
    assert not (REPO / "jobs" / "review" / "catalog.yaml").exists()


def _queue() -> ReviewQueue:
    fields = [{"name": "name", "column": "name_key", "left": "张三", "right": "张三", "level": "exact", "weight": 9.643856},
              {"name": "id_number", "column": "id_number", "left": "110101199003071234", "right": "110101199003071234", "level": "exact",
               "weight": 13.135709},
              {"name": "address", "column": "address", "left": "北京市东城区", "right": "北京市东城", "level": "levenshtein:3", "weight": 2.5},
              {"name": "phone", "column": "phone", "left": "", "right": "13912345678", "level": "null", "weight": 0.0}]
    q = ReviewQueue([{"target": pair_target("a1", "b1"), "record_id": "a1", "linked_record_id": "b1", "match_weight": 22.0, "why": ["band"],
                      "fields": fields, "prior_weight": None, "weight_sum": None}],
                    [{"target": "r1", "record_id": "r1", "category": "tier_500", "why": ["sample"], "item_path": "x.csv", "sheet": "",
                      "line_number": "3", "raw_line": "张三,110101199003071234"}])
    for item in (*q.pairs, *q.records):
        item["content_sha256"] = item_digest(item)
    return q


def test_page_shows_chinese_field_labels_levels_and_decisions(tmp_path):
    q = _queue()
    log = DecisionLog(LocalStorage(tmp_path), "C1", "S1")
    log.append(reviewer="王", kind="pair", target="a1|b1", decision="same")
    html = create_app(q, log, "tok", case_id="C1", seizure_id="S1").test_client().get("/?token=tok").get_data(as_text=True)
    for shown in ("<td>姓名</td>", "<td>身份证号</td>", "<td>地址</td>", "<td>手机号</td>", "<td>完全一致</td>",
                  "<td>相差不超过 3 个字符（编辑距离）</td>", "<td>一方缺失（不计权重）</td>", '<span class="state">同一人</span>', "五百条类",
                  "入选原因 接近阈值"):
        assert shown in html, shown
    assert "<td>name</td>" not in html and "<td>id_number</td>" not in html and "<td>exact</td>" not in html
    en = create_app(q, log, "tok", case_id="C1", seizure_id="S1", language="en").test_client().get("/?token=tok").get_data(as_text=True)
    for shown in ("<td>ID number</td>", "<td>edit distance ≤ 3</td>", '<span class="state">same person</span>'):
        assert shown in en, shown


def test_sheet_has_chinese_tabs_headers_and_levels_and_reads_back(tmp_path):
    q = _queue()
    path = tmp_path / "q.xlsx"
    export_sheet(q, path, case_id="C1", seizure_id="S1")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["疑似重复关联", "抽样记录", "说明"]
    ws = wb["疑似重复关联"]
    keys = {c.value: i + 1 for i, c in enumerate(ws[2])}
    assert ws.cell(1, keys["name:left"]).value == "姓名 · 记录一"
    assert ws.cell(1, keys["id_number:level"]).value == "身份证号 · 级别"
    assert ws.cell(3, keys["address:level"]).value == "相差不超过 3 个字符（编辑距离）"
    assert ws.cell(3, keys["phone:level"]).value == "一方缺失（不计权重）"
    ws.cell(3, keys["decision"], "同一人")
    ws.cell(3, keys["reviewer"], "王")
    wb.save(path)
    log = DecisionLog(LocalStorage(tmp_path / "home"), "C1", "S1")
    res = import_sheet(path, q, log)  # the level words are content, not edits: the row is not stale
    assert res.appended == [1] and [(e.target, e.decision) for e in log.entries()] == [("a1|b1", "same")]
    en = tmp_path / "en.xlsx"
    export_sheet(q, en, case_id="C1", seizure_id="S1", language="en")
    wb = openpyxl.load_workbook(en)
    assert wb.sheetnames == ["pairs", "records", "about"]
    ws = wb["pairs"]
    keys = {c.value: i + 1 for i, c in enumerate(ws[2])}
    assert ws.cell(1, keys["name:left"]).value == "name · record 1" and ws.cell(3, keys["address:level"]).value == "edit distance ≤ 3"
    ws.cell(3, keys["decision"], "different persons")
    ws.cell(3, keys["reviewer"], "Wang")
    wb.save(en)
    assert import_sheet(en, q, log).appended == [2] and log.entries()[-1].decision == "different"
