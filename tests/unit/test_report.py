"""Legal counting: thresholds of 法释〔2017〕10号 art. 5 and the proportional combination, on
worked examples computed by hand."""

from __future__ import annotations

from jobs.common.config import load_config
from jobs.export.summary import category_summary, legal_tier


def rules():
    return load_config().legal.categories


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


def _counts():
    # Worked example: 1,000 records; 30 untrue rows (20 bad check digit, 10 impossible date); 5
    # masked rows that identify no one; 65 exact duplicates; 100 bare phones; upper bound 60
    # property + 300 ID + 440 other = 800; 50 probable duplicates (all tier_5000) → lower 750.
    return {"bounds": {"upper": {"tier_50": 60, "tier_500": 300, "tier_5000": 440},
                       "lower": {"tier_50": 60, "tier_500": 300, "tier_5000": 390},
                       "bare_phone_records": 100, "bare_phone_rows": 110, "untrue_records": 25, "untrue_rows": 30,
                       "untrue_by_reason": {"id_number:bad_check_digit": 20, "id_number:invalid_birth_date": 10},
                       "masked_unidentifiable_records": 5, "masked_unidentifiable_rows": 5,
                       "exact_duplicates_of_counted": 65, "probable_duplicates": 50},
            "linkage": {"stats": {"threshold_match_probability": 0.99, "near_threshold_pairs": 7}}}


def _level_counts():
    # Worked example with the three levels (issue 12): of the 65 exact duplicates of _counts(), 30
    # are identical rows and 25 same person information among counted records, 5 and 5 among the
    # bare phones (110 rows, 105 different rows, 100 records). The upper bound keeps the 25
    # same-person rows: 60 + 300 + 465 = 825; the lower bound is unchanged (750). 3 records were
    # kept out of tier_50 by a card that failed its check (2 placeholders, 1 too short).
    c = _counts()
    c["bounds"] = {**c["bounds"], "upper": {"tier_50": 60, "tier_500": 300, "tier_5000": 465},
                   "identical_rows": 30, "same_person_duplicates": 25, "bare_phone_distinct_rows": 105,
                   "bare_phone_identical_rows": 5, "bare_phone_same_person_duplicates": 5,
                   "kept_out_of_category": {"tier_50": 3, "tier_500": 0, "tier_5000": 0},
                   "kept_out_by_field": {"bank_card:bad_length": 1, "bank_card:placeholder": 2}}
    return c


def test_count_statement_in_the_order_of_the_domain_rules_and_adds_up():
    from jobs.export.summary import count_statement

    st = count_statement(1010, 10, 1000, _level_counts(), rules())
    assert [s["rows"] for s in st] == [1010, 10, 1000, 30, 5, 35, 105, 825, 3, 25, 50, 750]
    assert [s["step"].split(" ")[0] for s in st] == ["raw", "parse", "records", "untrue", "masked", "identical", "bare", "unique",
                                                   "records", "same", "probable", "unique"]
    # records − untrue − masked − identical rows = upper bound + bare phones: 1000−30−5−35 = 930 = 825 + 105
    assert st[2]["rows"] - st[3]["rows"] - st[4]["rows"] - st[5]["rows"] == st[7]["rows"] + st[6]["rows"]
    # upper − same person − probable = lower: 825 − 25 − 50 = 750
    assert st[7]["rows"] - st[9]["rows"] - st[10]["rows"] == st[11]["rows"]
    assert st[8]["by_reason"] == {"bank_card:bad_length": 1, "bank_card:placeholder": 2}


def test_every_count_statement_step_has_its_words_in_both_languages():
    # A step without a catalog entry is shown in English with its English rule on a zh-CN page: three steps of
    # the three duplicate levels were, found by a fresh-user run of `make run` (2026-12-04). The steps are
    # those count_statement emits, plus the two it adds only for duplicate evidence items and review decisions.
    from jobs.export.i18n import LANGUAGES, all_keys
    from jobs.export.summary import DUPLICATE_ITEMS_STEP, count_statement

    steps = [s["step"] for s in count_statement(1010, 10, 1000, _level_counts(), rules())]
    steps += [DUPLICATE_ITEMS_STEP, "review decisions applied"]
    keys = all_keys()
    missing = [f"{kind}.{step}" for step in steps for kind in ("step", "rule")
               if set(keys.get(f"{kind}.{step}", {})) != set(LANGUAGES)]
    assert missing == []
    # The catalog has no step the code no longer emits (a renamed step left its old words behind).
    assert sorted(k for k in keys if k.startswith("step.") and k[len("step."):] not in steps) == []


def test_duplicate_levels_of_a_bundle_written_before_the_levels():
    from jobs.export.summary import duplicate_levels

    # before issue 12 every exact duplicate was a same-person duplicate (one key, six fields)
    lv = duplicate_levels(_counts())
    assert (lv["identical_rows"], lv["same_person_exact"], lv["probable"]) == (0, 65, 50)
    assert duplicate_levels(_level_counts())["same_person_exact"] == 25


def test_both_bounds_have_weighted_total_and_tier():
    from jobs.export.summary import bound_summaries

    b = bound_summaries(_counts(), rules(), insider=False)
    # upper: 60/50 + 300/500 + 440/5000 = 1.2 + 0.6 + 0.088 = 1.888 → serious
    assert b["upper_bound"]["weighted_total"] == 1.888 and b["upper_bound"]["tier"] == "serious"
    # lower: 1.2 + 0.6 + 390/5000 = 1.878
    assert b["lower_bound"]["weighted_total"] == 1.878 and b["lower_bound"]["unique_records"] == 750
    assert b["bare_phone_records"] == 100 and b["untrue_records"] == 30
    assert b["linkage"]["near_threshold_pairs"] == 7


def test_headline_tier_is_the_lower_bound_and_flags_a_tier_that_depends_on_probable_duplicates():
    from jobs.export.summary import bound_summaries, headline_tier

    h = headline_tier(bound_summaries(_counts(), rules(), insider=False))
    # both bounds are serious (1.878 and 1.888, see above): the headline is the lower bound's
    assert (h["weighted_total"], h["tier"], h["tier_basis"]) == (1.878, "serious", "lower_bound")
    assert h["tier_upper_bound"] == "serious" and h["tier_depends_on_probable_duplicates"] is False
    # 520 lodging records, 40 of them probable duplicates: upper 520/500 = 1.04 serious, lower 480/500 = 0.96 below
    counts = _counts()
    counts["bounds"] = {**counts["bounds"], "upper": {"tier_50": 0, "tier_500": 520, "tier_5000": 0},
                        "lower": {"tier_50": 0, "tier_500": 480, "tier_5000": 0}, "probable_duplicates": 40}
    h = headline_tier(bound_summaries(counts, rules(), insider=False))
    assert (h["weighted_total"], h["tier"]) == (0.96, "below_threshold")
    assert (h["weighted_total_upper_bound"], h["tier_upper_bound"]) == (1.04, "serious")
    assert h["tier_depends_on_probable_duplicates"] is True
