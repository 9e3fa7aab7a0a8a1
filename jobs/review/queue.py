"""The review queue of a seizure, computed from its committed case file (pure Python, small inputs).

Issue 17, three parts, each item tagged with why it is in the queue (``why``):

- ``band``: every probable link whose ``match_weight`` is within ``band`` bits of the threshold weight;
- ``tier``: when the two bounds fall in different tiers, the probable links ordered by how much
  rejecting each would raise the lower bound's weighted total (``1 / threshold`` of the duplicate
  record's category: 法释〔2017〕10号 art. 5(1) item 六, the proportional combination of DOMAIN.md §1),
  then weakest first, as many as it takes to reach the next tier: enough to decide it;
- ``sample``: a seeded random sample of probable links, and of counted records per category
  (authenticity), each of :func:`jobs.review.sampling.cochran_sample_size` for the stated confidence
  and margin. "Random" is a SHA-256 order of ``<seed>:<id>``: the same seed gives the same sample
  on every machine, and the sample does not depend on the order the rows come in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobs.review.decisions import pair_target
from jobs.review.sampling import cochran_sample_size

#: Why an item is in the queue (its ``why`` list): within the band around the threshold / among the
#: links that decide the tier / drawn by the seeded sample (the only ones the estimates use).
WHY: tuple[str, ...] = ("band", "tier", "sample")


@dataclass(frozen=True)
class QueueSettings:
    """How the queue is drawn: ``band`` (bits either side of ``threshold_weight``), ``seed``,
    ``confidence`` and ``margin`` of the samples, and the tier rule (weighted totals)."""

    threshold_weight: float
    band: float
    seed: int = 20170601
    confidence: float = 0.95
    margin: float = 0.05
    tier_serious: float = 1.0
    tier_especially_serious: float = 10.0


@dataclass
class ReviewQueue:
    """``pairs`` and ``records`` (dicts with ``target``, ``why`` and the row's ids and locator) and
    ``plan``: the sample sizes and populations, for the page and ``summary.json``."""

    pairs: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)


def seeded_order(ids: Sequence[str], seed: int) -> list[str]:
    """``ids`` in the order of SHA-256(``<seed>:<id>``): a reproducible random permutation."""
    return sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))


def _tier_floor(total: float, s: QueueSettings) -> float | None:
    """The weighted total of the next tier above ``total`` (None above the top tier)."""
    for t in (s.tier_serious, s.tier_especially_serious):
        if total < t:
            return t
    return None


def build_queue(links: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]], thresholds: Mapping[str, float],
                lower_weighted_total: float, tiers_differ: bool, settings: QueueSettings) -> ReviewQueue:
    """The review queue.

    Args:
        links: rows of ``duplicates.csv`` with ``reason`` ``probable_duplicate``: ``record_id``,
            ``linked_record_id`` (str), ``match_weight`` (float or str). Other reasons are ignored.
        records: rows of ``records.csv``: ``record_id``, ``category``, ``count_status``.
        thresholds: category → 情节严重 threshold (``summary.json`` ``lower_bound.categories.*.threshold``).
        lower_weighted_total: the lower bound's weighted total; tiers_differ: the two bounds fall in
            different tiers (``tier_depends_on_probable_duplicates``).
        settings: :class:`QueueSettings`.

    Returns:
        :class:`ReviewQueue`; pairs in (band, tier, sample) order without repeats, records by category
        then sample order.
    """
    category = {r["record_id"]: r.get("category") for r in records}
    probable = [dict(link, match_weight=float(link["match_weight"])) for link in links if link.get("reason", "probable_duplicate") == "probable_duplicate"]
    by_target: dict[str, dict[str, Any]] = {}
    for link in sorted(probable, key=lambda x: (x["match_weight"], x["record_id"])):
        t = pair_target(link["record_id"], link["linked_record_id"])
        by_target.setdefault(t, {"target": t, "record_id": link["record_id"], "linked_record_id": link["linked_record_id"],
                                 "match_weight": link["match_weight"], "why": []})
    order: list[str] = []

    def add(t: str, why: str) -> None:
        if why not in by_target[t]["why"]:
            by_target[t]["why"].append(why)
        if t not in order:
            order.append(t)

    for t, p in by_target.items():
        if abs(p["match_weight"] - settings.threshold_weight) <= settings.band:
            add(t, "band")
    tier_needed, tier_taken = None, 0
    if tiers_differ:
        goal = _tier_floor(lower_weighted_total, settings)
        if goal is not None:
            tier_needed = round(goal - lower_weighted_total, 9)
            moved = 0.0
            def gain(p):  # noqa: E306 - one line: what rejecting the link adds to the weighted total
                return 1.0 / float(thresholds[category[p["record_id"]]]) if category.get(p["record_id"]) in thresholds else 0.0
            for p in sorted(by_target.values(), key=lambda p: (-gain(p), p["match_weight"], p["target"])):
                if moved >= tier_needed - 1e-9:
                    break
                moved += gain(p)
                tier_taken += 1
                add(p["target"], "tier")
    n_pairs = cochran_sample_size(len(by_target), confidence=settings.confidence, margin=settings.margin)
    for t in seeded_order(list(by_target), settings.seed)[:n_pairs]:
        add(t, "sample")
    counted: dict[str, list[str]] = {}
    for r in records:
        if r.get("count_status") == "counted":
            counted.setdefault(r["category"], []).append(r["record_id"])
    record_items, per_category = [], {}
    for cat in sorted(counted):
        n = cochran_sample_size(len(counted[cat]), confidence=settings.confidence, margin=settings.margin)
        per_category[cat] = {"population": len(counted[cat]), "sample": n}
        record_items += [{"target": rid, "record_id": rid, "category": cat, "why": ["sample"]} for rid in seeded_order(counted[cat], settings.seed)[:n]]
    plan = {"seed": settings.seed, "confidence": settings.confidence, "margin": settings.margin, "band_weight": settings.band,
            "threshold_weight": settings.threshold_weight, "probable_links": len(by_target), "link_sample": n_pairs,
            "band_links": sum(1 for p in by_target.values() if "band" in p["why"]), "tier_links": tier_taken, "tier_gap": tier_needed,
            "record_samples": per_category,
            "rule": "Cochran (1977) §4.4 sample size with finite-population correction; seeded SHA-256 order"}
    return ReviewQueue([by_target[t] for t in order], record_items, plan)
