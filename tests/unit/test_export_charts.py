"""The field-status chart of summary.html (jobs/export/charts.py), geometry worked by hand (pure Python).

Plot: labels end at x = 220 (LABEL_W), bars span 640 - 220 - 70 = 350 px for the longest total.
name: valid 75 + missing 25 = 100 → 262.5 px + 87.5 px; phone: valid 40 + invalid 10 = 50 → 140 px + 35 px.
"""

from __future__ import annotations

from jobs.export.charts import STATUS_COLOURS, page_charts, stacked_bars
from jobs.export.i18n import Catalog


def test_stacked_bars_by_hand():
    c = stacked_bars([("name", {"valid": 75, "missing": 25}), ("phone", {"valid": 40, "invalid": 10})],
                     [("valid", "valid"), ("repaired", "repaired"), ("invalid", "invalid"), ("missing", "missing")])
    segments = [(r["x"], r["w"], r["fill"]) for r in c["rects"] if " — " in r["title"]]
    assert segments == [(220.0, 262.5, STATUS_COLOURS["valid"]), (482.5, 87.5, STATUS_COLOURS["missing"]),
                        (220.0, 140.0, STATUS_COLOURS["valid"]), (360.0, 35.0, STATUS_COLOURS["invalid"])]
    legend = [r["title"] for r in c["rects"] if " — " not in r["title"]]
    assert legend == ["valid", "invalid", "missing"]  # repaired occurs nowhere: no legend entry
    totals = [x["text"] for x in c["texts"] if x["text"] in ("100", "50")]
    assert totals == ["100", "50"]
    # Two bars of 18 px with 8 px gaps below a 24 px legend: 24 + 2 × 26 + 4.
    assert c["height"] == 80 and c["lines"] == []


def test_page_has_status_chart_in_the_catalog_language():
    summary = {"field_statuses": {"name": {"status": {"valid": 3, "masked": 1}, "reason": {}}}}
    c = page_charts(summary, [], {}, Catalog("zh-CN"))["statuses"]
    titles = [r["title"] for r in c["rects"]]
    assert "姓名 — 有效: 3" in titles and "姓名 — 经遮蔽: 1" in titles
    assert "name — masked: 1" in [r["title"] for r in page_charts(summary, [], {}, Catalog("en"))["statuses"]["rects"]]
