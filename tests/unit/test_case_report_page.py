"""case_summary.html in both report languages from a small case summary written by hand (pure Python).

The expected words are the law's (法释〔2017〕10号 art. 5 tiers, art. 11 items 1-3) and, for English, the
page's fixed English names; the numbers are the hand-made summary's.
"""

from __future__ import annotations

import re

import pytest

from jobs.export.i18n import Catalog
from jobs.export.pages import render_case_summary


def _bound(n: int, total: float, tier: str) -> dict:
    return {"distinct_records": n, "obtained_and_sold": 3, "extra_buyer_sales": 2, "art11_count": n + 2, "bare_phone_records": 1,
            "categories": {"tier_50": {"unique_records": 0}, "tier_500": {"unique_records": n}}, "weighted_total": total, "tier": tier}


SUMMARY = {
    "case_id": "HG-2019-0412", "insider": True,
    "seizures": {"A_sale_B": {"suspect": "A", "buyer": "B",
                              "upper_bound": {"categories": {"tier_50": 0, "tier_500": 1234}, "weighted_total": 2.468, "tier": "serious"},
                              "lower_bound": {"categories": {"tier_50": 0, "tier_500": 1200}, "weighted_total": 2.4, "tier": "serious"}}},
    "suspects": {"A": {"seizures": ["A_obtained", "A_sale_B"], "buyers": ["B"], "upper_bound": _bound(5000, 10.004, "especially_serious"),
                       "lower_bound": _bound(400, 0.804, "below_threshold")}},
    "case": {"upper_bound": _bound(5000, 10.004, "especially_serious"), "lower_bound": _bound(400, 0.804, "below_threshold")},
    "overlap": [{"seizure_id": "A_sale_B", "other_seizure_id": "B_seized", "exact_records": 1500, "probable_only_records": 7, "overlap_rows": 1507}],
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_case_page_in_each_language(lang):
    page = render_case_summary(SUMMARY, manifest_digest="ab" * 32, catalog=Catalog(lang))
    assert f'<html lang="{lang}">' in page and "ab" * 32 in page and "1,507" in page and "5,002" in page
    assert "<script" not in page and not re.search(r"\{[a-z_0-9]+\}", page)  # no placeholder left unfilled
    if lang == "zh-CN":
        for text in ("案件汇总报告", "情节特别严重", "情节严重", "未达“情节严重”", "不重复计算", "累计计算", "根据查获的数量直接认定",
                     "内部人员减半", "A，出售给 B", "上限（仅去除完全相同的行）"):
            assert text in page, text
        assert "distinct records" not in page and "Per suspect" not in page
    else:
        for text in ("Case report HG-2019-0412", "especially serious (情节特别严重)", "serious (情节严重)", "below the threshold",
                     "art. 11 item 1", "art. 11 item 2", "art. 11 item 3", "halved: insider", "A, sold to B"):
            assert text in page, text


def test_case_page_default_is_chinese():
    assert '<html lang="zh-CN">' in render_case_summary(SUMMARY, manifest_digest="0" * 64)
