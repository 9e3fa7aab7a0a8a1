"""The per-field comparison level and weight shown for each pair (issue 17): log2(m/u) of the level."""

from __future__ import annotations

import pytest

from jobs.deduplicate.linkage.em import FittedModel
from jobs.review.pairs import level_weight, pair_fields, weight_sum

COMPARISONS = [{"name": "name", "column": "name_key", "levels": ["exact", "masked", "levenshtein:1"]},
               {"name": "id_number", "column": "id_number", "levels": ["exact", "masked"]},
               {"name": "phone", "column": "phone", "levels": ["exact", "masked"]}]
# Hand-made m/u, one value per label of levels + ["else"]; prior 0.1.
M = {"name": [0.8, 0.05, 0.1, 0.05], "id_number": [0.9, 0.05, 0.05], "phone": [0.7, 0.1, 0.2]}
U = {"name": [0.001, 0.0005, 0.0085, 0.99], "id_number": [0.0001, 0.0004, 0.9995], "phone": [0.002, 0.001, 0.997]}


def _model():
    fitted = FittedModel(0.1, M, U, 10, True, 1000, 1000, "em")
    return fitted.to_dict()  # the form counts.json holds: m, u, weights, prior_weight


def test_level_weights_worked_by_hand():
    model = _model()
    # log2(0.8/0.001) = log2(800) = 9.643856; log2(0.05/0.0005) = log2(100) = 6.643856;
    # log2(0.1/0.0085) = log2(11.764706) = 3.556393; log2(0.05/0.99) = -4.307429; null adds nothing.
    assert level_weight(model, COMPARISONS[0], "exact") == pytest.approx(9.643856, abs=1e-6)
    assert level_weight(model, COMPARISONS[0], "masked") == pytest.approx(6.643856, abs=1e-6)
    assert level_weight(model, COMPARISONS[0], "levenshtein:1") == pytest.approx(3.556393, abs=1e-6)
    assert level_weight(model, COMPARISONS[0], "else") == pytest.approx(-4.307429, abs=1e-6)
    assert level_weight(model, COMPARISONS[0], "null") == 0.0
    assert level_weight(model, COMPARISONS[0], "soundex") is None  # a label the model does not know
    # The same numbers as the deduplicate stage's own weights (what score_pairs adds up).
    for c in COMPARISONS:
        for i, label in enumerate([*c["levels"], "else"]):
            assert level_weight(model, c, label) == model["weights"][c["name"]][i]


def test_pair_fields_add_up_to_the_match_weight():
    model = _model()
    link = {"record_id": "a", "linked_record_id": "b", "level_name": "levenshtein:1", "level_id_number": "exact", "level_phone": "null"}
    left = {"record_id": "a", "name": "张三", "name_key": "zhangsan", "id_number": "110101199003071234", "phone": ""}
    right = {"record_id": "b", "name": "张山", "name_key": "zhangshan", "id_number": "110101199003071234", "phone": "13912345678"}
    fields = pair_fields(link, left, right, model, COMPARISONS)
    assert [(f["name"], f["left"], f["right"], f["level"]) for f in fields] == [
        ("name", "张三", "张山", "levenshtein:1"), ("id_number", "110101199003071234", "110101199003071234", "exact"),
        ("phone", "", "13912345678", "null")]
    # prior log2(0.1/0.9) = -3.169925; id exact log2(0.9/0.0001) = log2(9000) = 13.135709; name 3.556393; phone 0:
    # -3.169925 + 3.556393 + 13.135709 = 13.522177
    assert weight_sum(fields, model) == pytest.approx(13.522177, abs=2e-6)
    assert [f["weight"] for f in pair_fields(link, left, right, None, COMPARISONS)] == [None, None, None]


def test_page_shows_level_and_weight_of_each_field(tmp_path):
    from jobs.common.storage.local import LocalStorage
    from jobs.review.decisions import DecisionLog, pair_target
    from jobs.review.queue import ReviewQueue
    from jobs.review.web import create_app

    model = _model()
    link = {"level_name": "exact", "level_id_number": "else", "level_phone": "masked"}
    fields = pair_fields(link, {"name_key": "li"}, {"name_key": "li"}, model, COMPARISONS)
    queue = ReviewQueue(pairs=[{"target": pair_target("a", "b"), "record_id": "a", "linked_record_id": "b", "match_weight": 1.0, "why": ["band"],
                                "fields": fields, "prior_weight": model["prior_weight"], "weight_sum": weight_sum(fields, model)}])
    app = create_app(queue, DecisionLog(LocalStorage(tmp_path), "C1", "S1"), "tok", case_id="C1", seizure_id="S1")
    html = app.test_client().get("/?token=tok").get_data(as_text=True)
    # name exact log2(800) = +9.644; id_number else log2(0.05/0.9995) = -4.321; phone masked log2(0.1/0.001) = +6.644;
    # total -3.170 + 9.644 - 4.321 + 6.644 = 8.797
    # Levels and fields in the page's words (zh-CN): exact 完全一致, else 不一致, masked 遮蔽后一致.
    for shown in ("<td>完全一致</td>", "+9.644", "<td>不一致</td>", "-4.321", "<td>遮蔽后一致</td>", "+6.644", "-3.170", "+8.797", "比较级别",
                  "<td>姓名</td>", "<td>身份证号</td>", "<td>手机号</td>"):
        assert shown in html
