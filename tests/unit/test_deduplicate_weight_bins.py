"""The match-weight histogram of all candidate pairs (jobs.deduplicate.linkage.scoring.weight_bins), by hand.

Bin k holds k ≤ w < k + 1 bits (floor). The hand-made pairs, their floors worked by hand:

    w:   -3.5  -3.0  -0.000001  0.0  0.999999  1.0  7.25  7.9  12.0  NULL
    k:    -4    -3     -1        0     0        1    7     7    12   (not counted)

so the bins are -4: 1, -3: 1, -1: 1, 0: 2, 1: 1, 7: 2, 12: 1 (9 pairs; bins -2, 2..6, 8..11 empty and
left out). Linked and refused pairs count alike: the histogram is of the candidate pairs, not the links.
"""

from __future__ import annotations

import pytest

from jobs.deduplicate.linkage.scoring import WEIGHT_BIN_BITS, weight_bins
from jobs.export.charts import histogram, weight_bins_of

pytestmark = pytest.mark.spark

PAIRS = [("a", "b", -3.5, False, "insufficient_evidence"), ("a", "c", -3.0, False, None), ("b", "c", -0.000001, False, None),
         ("c", "d", 0.0, False, "different_identifiers"), ("d", "e", 0.999999, False, None), ("e", "f", 1.0, False, None),
         ("f", "g", 7.25, True, None), ("g", "h", 7.9, True, None), ("h", "i", 12.0, True, None), ("i", "j", None, False, None)]


def test_weight_bins_by_hand(spark):
    scored = spark.createDataFrame(PAIRS, "record_id_l string, record_id_r string, match_weight double, linked boolean, guard string")
    bins = weight_bins(scored.repartition(3))  # partitioning must not matter
    assert WEIGHT_BIN_BITS == 1
    assert bins == [(-4, 1), (-3, 1), (-1, 1), (0, 2), (1, 1), (7, 2), (12, 1)]
    assert all(type(k) is int and type(n) is int for k, n in bins)


def test_no_pairs_no_bins(spark):
    scored = spark.createDataFrame([], "record_id_l string, record_id_r string, match_weight double")
    assert weight_bins(scored) == []


def test_histogram_of_summary_bins_marks_the_threshold():
    # summary.json match_weight_histogram as the export stage writes it (bins as [k, pairs] lists).
    summary = {"match_weight_histogram": {"bin_width_bits": 1, "candidate_pairs": 9, "threshold_match_weight": 4.5,
                                          "bins": [[-4, 1], [-3, 1], [-1, 1], [0, 2], [1, 1], [7, 2], [12, 1]]}}
    bins = weight_bins_of(summary)
    assert bins == {-4: 1, -3: 1, -1: 1, 0: 2, 1: 1, 7: 2, 12: 1}
    chart = histogram(bins, threshold=4.5, label="4.5")
    # -4 .. 12: 17 bins, the empty ones drawn as 0; 9 pairs in all.
    assert [b for b, _ in chart["bins"]] == list(range(-4, 13)) and sum(c for _, c in chart["bins"]) == 9
    # Plot from x = 40 to 630: 590 / 17 px a bin; the threshold 4.5 lies 8.5 bins from -4.
    assert chart["lines"][0]["x1"] == round(40 + 8.5 * 590 / 17, 1) == 335.0
    assert weight_bins_of({}) == {}
