"""``summary.html`` of the reference bundle in a real headless browser (Debian's Chromium), zh-CN and en.

Reuses the session ``reference_run`` (no new DAG run). The English page is the same bundle rendered
again by :func:`jobs.export.rerender.render_bundle_summary`; that the zh-CN re-rendering equals the
bundle's own ``summary.html`` byte for byte is checked first, so the English page shows the same numbers.

The expected tier is worked out here from the weighted totals by the rule of 法释〔2017〕10号 art. 5
(≥ 1 × the 情节严重 thresholds: 情节严重; ≥ 10 ×: 情节特别严重, art. 5(2) item 3), not taken from the page.
What the page asks of the network is read from Chromium's NetLog; a control page with one image and one
script from the network shows that the check sees requests.
"""

from __future__ import annotations

import json

import browser
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(browser.chromium_path() is None, reason="Chromium not installed (make system-deps installs it)")]

#: The law's words for the tiers (法释〔2017〕10号 art. 5) and the page's English names.
TIER_ZH = {0: "未达", 1: "情节严重", 2: "情节特别严重"}
TIER_EN = {0: "below the threshold", 1: "serious (情节严重)", 2: "especially serious (情节特别严重)"}


def _tier(weighted_total: float) -> int:
    return 2 if weighted_total >= 10 else 1 if weighted_total >= 1 else 0


def test_network_check_sees_a_page_request(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<html><body><img src="http://127.0.0.1:9/x.png"><script src="http://127.0.0.1:9/a.js"></script></body></html>',
                    encoding="utf-8")
    dom = browser.dump_dom(page, netlog=tmp_path / "net.json")
    assert browser.parse(dom).tags.get("script") == 1
    assert sorted(browser.page_requests(tmp_path / "net.json")) == ["http://127.0.0.1:9/a.js", "http://127.0.0.1:9/x.png"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_summary_page_in_chromium(reference_run, tmp_path, lang):
    from jobs.export.rerender import render_bundle_summary

    bundle = reference_run["bundle"]
    summary = json.loads((bundle / "summary.json").read_text(encoding="utf-8"))
    if lang == "zh-CN":
        assert render_bundle_summary(bundle, "zh-CN") == (bundle / "summary.html").read_text(encoding="utf-8")
    page = tmp_path / f"summary-{lang}.html"
    page.write_text(render_bundle_summary(bundle, lang), encoding="utf-8")

    dom = browser.dump_dom(page, netlog=tmp_path / "net.json")
    parsed = browser.parse(dom)
    text = parsed.text
    lower, upper = _tier(summary["lower_bound"]["weighted_total"]), _tier(summary["upper_bound"]["weighted_total"])
    if lang == "zh-CN":
        assert '<html lang="zh-CN">' in dom
        assert "数据统计说明" in text
        assert TIER_ZH[lower] in text and TIER_ZH[upper] in text
        # Both tiers of the law are named (the tier rule), whichever the case falls in.
        assert "≥ 1 为情节严重" in text and "≥ 10 为情节特别严重" in text
    else:
        assert '<html lang="en">' in dom
        assert "Count statement" in text
        assert TIER_EN[lower] in text and TIER_EN[upper] in text
        assert "≥ 1 serious" in text and "≥ 10 especially serious" in text
    # The counts of the count statement's first rows, as the bundle's ledgers give them.
    assert f"{summary['raw_rows']:,}" in text and f"{summary['quarantined_rows']:,}" in text and f"{summary['records']:,}" in text
    # The charts are inline SVG drawn by the browser (categories, evidence items, field statuses, weights).
    assert parsed.tags.get("svg", 0) >= 4 and parsed.tags.get("rect", 0) > 10
    # Nothing runs and nothing is fetched: no script element, no request from the page.
    assert "script" not in parsed.tags and "iframe" not in parsed.tags
    assert browser.page_requests(tmp_path / "net.json") == []

    browser.screenshot(page, tmp_path / f"summary-{lang}.png")
    assert (tmp_path / f"summary-{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
