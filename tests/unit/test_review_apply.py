"""Review decisions applied in the deduplicate stage (issue 17): a decision on a link or record that no
longer exists is reported as stale, with its entry number, never dropped silently; the others apply.

The records are hand-made: ``a`` and ``b`` share a valid resident ID number (GB 11643-1999 check
character correct, see tests/unit/test_deduplicate_probable.py), so they are one probable link
(``sufficient_alone: [id_number]``, configs/linkage.yaml); ``e`` repeats ``c`` exactly, so it is an
exact duplicate and not a unique record; ``a`` and ``c`` share no blocking key, so they are no
candidate pair.
"""

from __future__ import annotations

import pytest

from jobs.common.storage.local import LocalStorage
from jobs.review.apply import UNTRUE_REASON, apply_review
from jobs.review.decisions import DecisionLog, pair_target
from jobs.review.report import review_summary
from tests.unit.test_deduplicate_probable import linkage, run

pytestmark = pytest.mark.spark

ROWS = [
    ("a", 1, "陈思远", "510107199203080217", "13912345678", "四川省成都市武侯区玉林北路1号", None, None),
    ("b", 2, "陈思远", "510107199203080217", "13987654321", None, None, None),
    ("c", 3, "李四", None, "13700001111", "广东省广州市天河区体育西路101号", None, None),
    ("e", 4, "李四", None, "13700001111", "广东省广州市天河区体育西路101号", None, None),
]


def test_stale_decisions_are_reported_and_the_others_applied(spark, tmp_path):
    unique, links, result, keys = run(spark, ROWS)
    assert sorted(r.record_id for r in unique.collect()) == ["a", "b", "c"]  # e: an exact duplicate of c
    assert [(r.record_id, r.linked_record_id) for r in links.where("reason = 'probable_duplicate'").collect()] in ([("b", "a")], [("a", "b")])
    log = DecisionLog(LocalStorage(tmp_path), "C1", "S1")
    t = "2026-12-04T08:00:00Z"
    log.append(reviewer="王", kind="pair", target=pair_target("a", "b"), decision="different", why="band", time=t)   # 1 applies
    log.append(reviewer="王", kind="record", target="c", decision="untrue", why="sample", time=t)                  # 2 applies
    log.append(reviewer="王", kind="record", target="e", decision="untrue", why="sample", time=t)                  # 3 stale: not unique
    log.append(reviewer="王", kind="record", target="gone", decision="genuine", why="sample", time=t)              # 4 stale: no record
    log.append(reviewer="王", kind="pair", target=pair_target("a", "c"), decision="same", why="band", time=t)     # 5 stale: no candidate
    log.append(reviewer="王", kind="pair", target=pair_target("x", "y"), decision="same", why="sample", time=t)   # 6 stale: no records
    entries = log.entries()
    settings, _ = linkage()
    unique2, links2, applied = apply_review(unique, links, result, settings, keys, entries)

    assert applied.stale == [
        {"entry": 3, "kind": "record", "target": "e", "decision": "untrue", "why": "record_not_found"},
        {"entry": 4, "kind": "record", "target": "gone", "decision": "genuine", "why": "record_not_found"},
        {"entry": 5, "kind": "pair", "target": "a|c", "decision": "same", "why": "not_a_candidate_pair"},
        {"entry": 6, "kind": "pair", "target": "x|y", "decision": "same", "why": "not_a_candidate_pair"},
    ]
    # Every decision is accounted for: applied or stale, none dropped.
    assert applied.decisions == 6 and sum(applied.pairs.values()) + sum(applied.records.values()) + len(applied.stale) == 6
    assert (applied.pairs, applied.records, applied.links_removed, applied.links_added) == ({"different": 1}, {"untrue": 1}, 1, 0)
    # The applied ones did what they say: the link is gone, c is untrue with the review's reason and reviewer.
    assert links2.where("reason = 'probable_duplicate'").count() == 0
    by_id = {r.record_id: r for r in unique2.collect()}
    assert (by_id["c"].count_status, by_id["c"].exclusion_reason, by_id["c"].reviewed_by) == ("untrue", UNTRUE_REASON, "王")
    assert by_id["a"].count_status == by_id["b"].count_status == "counted" and by_id["a"].reviewed_by is None
    # The report lists the stale decisions and does not count them.
    s = review_summary(entries, applied.to_dict(), unreviewed_gain=0.0, lower_weighted_total=0.0, tier_thresholds=(1.0, 10.0))
    assert [x["entry"] for x in s["stale"]] == [3, 4, 5, 6]
    assert s["pairs"] == {"reviewed": 1, "confirmed": 0, "rejected": 1, "unsure": 0}
    assert s["records"] == {"reviewed": 1, "genuine": 0, "untrue": 1}
