"""``casefile run --ground-truth``: the comparison covers the duplicate levels and both bounds (issue 12)."""

from __future__ import annotations

from jobs.evaluation.acceptance import compare_ground_truth

CATS = ("tier_50", "tier_500", "tier_5000")


def _summary(upper, lower, levels):
    return {"raw_rows": 10, "quarantined_rows": 1, "records": 9, "duplicate_records": 2, "unique_records": 7,
            "categories": {c: {"unique_records": n} for c, n in zip(CATS, (1, 3, 3))},
            "upper_bound": {"categories": {c: {"unique_records": n} for c, n in zip(CATS, upper)}},
            "lower_bound": {"categories": {c: {"unique_records": n} for c, n in zip(CATS, lower)}},
            "duplicate_levels": levels}


TRUTH = {"raw_rows": 10, "quarantined_rows": 1, "records": 9, "duplicate_records": 2, "unique_records": 7,
         "categories": {c: {"unique_records": n} for c, n in zip(CATS, (1, 3, 3))},
         "bounds": {"upper": dict(zip(CATS, (1, 3, 4))), "lower": dict(zip(CATS, (1, 2, 3)))},
         "duplicate_levels": {"identical_rows": 1, "same_person_exact": 1, "probable": 1,
                              "kept_out_of_category": {"tier_50": 1, "tier_500": 0, "tier_5000": 0}}}
LEVELS = {"identical_rows": 1, "same_person_exact": 1, "probable": 1, "bare_phone_identical_rows": 0,
          "kept_out_of_category": {"tier_50": 1, "tier_500": 0, "tier_5000": 0}}


def test_equal_levels_and_bounds_pass():
    said: list[str] = []
    assert compare_ground_truth(_summary((1, 3, 4), (1, 2, 3), LEVELS), TRUTH, said.append) == 0
    assert said == ["casefile: every count matches the generator's ground_truth.json"]


def test_a_level_or_a_bound_that_differs_fails_and_is_named():
    said: list[str] = []
    levels = {**LEVELS, "identical_rows": 2}
    assert compare_ground_truth(_summary((1, 3, 4), (1, 3, 3), levels), TRUTH, said.append) == 2
    assert "duplicate level identical_rows: case file 2 vs ground truth 1" in said[0]
    assert "lower_bound tier_500: case file 3 vs ground truth 2" in said[0]


def test_a_case_file_without_the_levels_does_not_match_a_truth_that_has_them():
    said: list[str] = []
    summary = _summary((1, 3, 4), (1, 2, 3), LEVELS)
    del summary["duplicate_levels"]
    assert compare_ground_truth(summary, TRUTH, said.append) == 2
    assert "duplicate level probable: case file None vs ground truth 1" in said[0]
