"""Legal counting: thresholds of 法释〔2017〕10号 art. 5 and the proportional combination, on
worked examples computed by hand."""

from __future__ import annotations

from jobs.common.config import load_config
from jobs.export.report import category_summary, legal_tier


def rules():
    return load_config().categories


def test_thresholds_come_from_the_interpretation():
    got = {r.key: (r.serious, r.especially_serious) for r in rules()}
    assert got == {"tier_50": (50, 500), "tier_500": (500, 5000), "tier_5000": (5000, 50000)}


def test_mixed_categories_combine_proportionally():
    # 30/50 + 300/500 + 2000/5000 = 0.6 + 0.6 + 0.4 = 1.6 → serious
    s = category_summary({"tier_50": 30, "tier_500": 300, "tier_5000": 2000}, rules(), insider=False)
    assert s["weighted_total"] == 1.6
    assert s["tier"] == "serious"
    assert s["categories"]["tier_50"]["ratio"] == 0.6


def test_below_and_especially_serious():
    assert category_summary({"tier_50": 49}, rules(), insider=False)["tier"] == "below_threshold"
    # 5,000 lodging records = 10 × the serious threshold of 500 → especially serious
    assert category_summary({"tier_500": 5000}, rules(), insider=False)["tier"] == "especially_serious"


def test_insiders_are_judged_at_half_the_thresholds():
    # art. 5(1) item 八: 25 property records by an insider reach 25/25 = 1 → serious
    s = category_summary({"tier_50": 25}, rules(), insider=True)
    assert s["categories"]["tier_50"]["threshold"] == 25
    assert s["tier"] == "serious"


def test_legal_tier_boundaries():
    assert legal_tier(0.999999, 1, 10) == "below_threshold"
    assert legal_tier(1.0, 1, 10) == "serious"
    assert legal_tier(10.0, 1, 10) == "especially_serious"
