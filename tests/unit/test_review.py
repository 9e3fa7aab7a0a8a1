"""Review and sampling (issue 17): sample sizes, Wilson interval, decision-log chain, queue selection."""

from __future__ import annotations

import json

import pytest

from jobs.common.storage.local import LocalStorage
from jobs.review.decisions import DecisionLog, ReviewChainError, pair_target
from jobs.review.queue import QueueSettings, build_queue
from jobs.review.report import review_summary
from jobs.review.sampling import cochran_sample_size, wilson_interval


@pytest.mark.parametrize(("n", "k", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17: 857-872, Table II, method 3 (Wilson score, no continuity correction).
    (263, 81, 0.2553, 0.3662), (148, 15, 0.0624, 0.1605), (20, 0, 0.0, 0.1611), (29, 1, 0.0061, 0.1718)])
def test_wilson_interval_matches_newcombe_worked_examples(n, k, low, high):
    lo, hi = wilson_interval(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


@pytest.mark.parametrize(("population", "expected"), [
    # Krejcie & Morgan (1970), "Determining sample size for research activities", Table 1 (95 %, ± 5 %, p = 0.5),
    # values where their rounding and Cochran's rounding up agree; an infinite population: 1.96² · 0.25 / 0.05² = 384.16 → 385.
    (100, 80), (1000, 278), (10000, 370), (10**9, 385), (10, 10), (0, 0)])
def test_cochran_sample_size_95_5(population, expected):
    assert cochran_sample_size(population) == expected


def _log(tmp_path):
    storage = LocalStorage(tmp_path)
    return storage, DecisionLog(storage, "C1", "S1")


def test_chain_detects_an_edited_entry_naming_it(tmp_path):
    storage, log = _log(tmp_path)
    for i, d in enumerate(("same", "different", "unsure")):
        log.append(reviewer="王警官", kind="pair", target=pair_target(f"a{i}", f"b{i}"), decision=d, time="2026-12-02T08:00:00Z")
    assert [e.decision for e in log.entries()] == ["same", "different", "unsure"]
    key = "C1/S1/review/decisions/00000002.json"
    path = tmp_path / "work" / key
    path.chmod(0o644)
    doc = json.loads(path.read_bytes())
    doc["decision"] = "same"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReviewChainError, match="entry 2 was changed"):
        log.entries()


def test_chain_detects_a_deleted_entry_naming_it(tmp_path):
    storage, log = _log(tmp_path)
    for i in range(3):
        log.append(reviewer="李", kind="record", target=f"r{i}", decision="genuine", time="2026-12-02T08:00:00Z")
    (tmp_path / "work" / "C1/S1/review/decisions/00000002.json").unlink()
    with pytest.raises(ReviewChainError, match="entry 2 of 3 is missing"):
        log.entries()


def test_chain_detects_the_last_entry_deleted(tmp_path):
    storage, log = _log(tmp_path)
    for i in range(2):
        log.append(reviewer="李", kind="record", target=f"r{i}", decision="genuine", time="2026-12-02T08:00:00Z")
    (tmp_path / "work" / "C1/S1/review/decisions/00000002.json").unlink()
    with pytest.raises(ReviewChainError, match="entry 2 of 2 is missing"):
        log.entries()


def test_queue_selection_on_a_hand_made_candidate_set():
    # Threshold weight 5.0, band ± 1: links L1 (4.5) and L2 (5.9) are in the band, L3 (9) and L4 (12) are not.
    links = [{"record_id": "d1", "linked_record_id": "s1", "match_weight": 4.5}, {"record_id": "d2", "linked_record_id": "s2", "match_weight": "5.9"},
             {"record_id": "d3", "linked_record_id": "s3", "match_weight": 9.0}, {"record_id": "d4", "linked_record_id": "s4", "match_weight": 12.0},
             {"record_id": "x", "linked_record_id": "y", "match_weight": None, "reason": "exact_duplicate"}]
    records = [{"record_id": r, "category": c, "count_status": "counted"} for r, c in
               (("d1", "tier_5000"), ("d2", "tier_5000"), ("d3", "tier_50"), ("d4", "tier_500"), ("s1", "tier_5000"))]
    thresholds = {"tier_50": 50, "tier_500": 500, "tier_5000": 5000}
    # Lower bound 0.99, upper bound over 1: rejecting d3 (tier_50) adds 1/50 = 0.02 ≥ the 0.01 gap; one link decides the tier.
    q = build_queue(links, records, thresholds, 0.99, True, QueueSettings(threshold_weight=5.0, band=1.0, margin=0.05))
    why = {p["target"]: p["why"] for p in q.pairs}
    assert why[pair_target("d1", "s1")][0] == "band" and why[pair_target("d2", "s2")][0] == "band"
    assert "tier" in why[pair_target("d3", "s3")] and "tier" not in why[pair_target("d4", "s4")]
    assert q.plan["tier_links"] == 1 and q.plan["band_links"] == 2
    # 4 probable links: Cochran's n for N = 4 is 4 (n0 = 384.1 ≫ N); the exact link is not a probable link.
    assert q.plan["link_sample"] == 4 and len(q.pairs) == 4
    assert q.plan["record_samples"]["tier_5000"] == {"population": 3, "sample": 3}
    # The same seed gives the same order; the queue does not depend on the input order.
    q2 = build_queue(list(reversed(links)), list(reversed(records)), thresholds, 0.99, True, QueueSettings(threshold_weight=5.0, band=1.0))
    assert [p["target"] for p in q2.pairs] == [p["target"] for p in q.pairs] and q2.records == q.records


def test_review_summary_counts_and_stale_decision_reported(tmp_path):
    storage, log = _log(tmp_path)
    for i, d in enumerate(["same"] * 9 + ["different"]):
        log.append(reviewer="王", kind="pair", target=pair_target(f"a{i}", f"b{i}"), decision=d, why="sample", time="2026-12-02T08:00:00Z")
    log.append(reviewer="王", kind="record", target="gone", decision="untrue", time="2026-12-02T08:01:00Z")
    applied = {"stale": [{"entry": 11, "kind": "record", "target": "gone", "decision": "untrue", "why": "record_not_found"}]}
    s = review_summary(log.entries(), applied, unreviewed_gain=0.5, lower_weighted_total=0.8, tier_thresholds=(1.0, 10.0))
    assert s["pairs"] == {"reviewed": 10, "confirmed": 9, "rejected": 1, "unsure": 0}
    # 9 of 10: Wilson 95 % (hand computation with z = 1.959964): 0.5958 to 0.9821.
    assert (round(s["link_precision"]["wilson_low"], 4), round(s["link_precision"]["wilson_high"], 4)) == (0.5958, 0.9821)
    assert s["records"] == {"reviewed": 0, "genuine": 0, "untrue": 0}  # the stale decision is listed, not counted
    assert s["stale"][0]["entry"] == 11 and s["tier_depends_on_unreviewed_links"] is True


@pytest.mark.parametrize("language, words", [
    ("zh-CN", ["人工复核", "关联准确率", "记录真实率", "情节认定仍取决于未经复核确认的疑似重复关联", "1 条决定已失效", "记录已不存在"]),
    ("en", ["Review", "link precision", "record authenticity", "The tier still depends on probable links", "1 decisions are stale",
            "record not found"])])
def test_summary_page_shows_the_review_section(language, words):
    """summary.html's 人工复核 section from review_summary of a hand-made log: 81 of 263 sampled records genuine is
    Newcombe's (1998) worked example (Statistics in Medicine 17: 857, Table II): Wilson 95 % 0.2553 to 0.3662."""
    from jobs.export.i18n import Catalog
    from jobs.export.pages import render_summary
    from jobs.review.decisions import Decision
    from tests.unit.test_export_workbook import SUMMARY

    entries, seq = [], 0

    def add(kind, target, decision, why):
        nonlocal seq
        seq += 1
        entries.append(Decision(seq, "2026-12-04T08:00:00Z", "王", kind, target, decision, "", "", why))

    for i in range(263):
        add("record", f"r{i:03d}", "genuine" if i < 81 else "untrue", "sample")
    add("pair", pair_target("a1", "b1"), "same", "band")  # not a random sample: counted, not in the estimate
    add("pair", pair_target("a2", "b2"), "different", "tier,sample")
    add("pair", pair_target("a3", "b3"), "unsure", "sample")
    add("record", "gone", "untrue", "sample")
    stale = [{"entry": seq, "kind": "record", "target": "gone", "decision": "untrue", "why": "record_not_found"}]
    review = review_summary(entries, {"stale": stale}, unreviewed_gain=0.25, lower_weighted_total=0.9, tier_thresholds=(1.0, 10.0),
                            head_sha256="e" * 64)
    assert review["records"] == {"reviewed": 263, "genuine": 81, "untrue": 182}
    assert review["pairs"] == {"reviewed": 3, "confirmed": 1, "rejected": 1, "unsure": 1}
    page = render_summary({**SUMMARY, "review": review}, run_id="r", manifest_digest="d" * 64, catalog=Catalog(language))
    section = page[page.index('<h2 id=review>'):]
    for w in words:
        assert w in section, w
    # 81/263 = 0.307985 (hand division); Newcombe's interval to 4 decimals, as percentages.
    assert "30.80 %" in section and "25.53 % – 36.62 %" in section
    # Links: one sampled link decided (different): 0 of 1, Wilson 95 % = (0, z²/(1+z²)) = (0, 0.7935) by hand.
    assert "0.00 % – 79.35 %" in section
    assert "<td class=n>263</td><td class=n>81</td><td class=n>182</td>" in section  # records reviewed / genuine / untrue
    assert "e" * 64 in section and "<code>gone</code>" in section
    assert "<h2 id=review>" not in render_summary(SUMMARY, run_id="r", manifest_digest="d" * 64)  # no decision: no section
