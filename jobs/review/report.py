"""What the case file says about the review (issue 17): ``review.csv`` and the ``review`` section of ``summary.json``.

- :func:`review_rows`: every decision of the log, in log order, with reviewer and time;
- :func:`review_summary`: how many links and records were reviewed, confirmed, rejected, unsure;
  the samples' estimates of link precision (``same`` / (``same`` + ``different``)) and record
  authenticity (``genuine`` / decided) with a Wilson interval (:func:`jobs.review.sampling.wilson_interval`);
  whether the tier still depends on unreviewed links; the stale decisions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobs.review.decisions import Decision, latest_decisions
from jobs.review.sampling import wilson_interval

#: Columns of ``review.csv``.
REVIEW_COLUMNS: tuple[str, ...] = ("seq", "time", "reviewer", "kind", "target", "decision", "reason", "why", "prev_sha256", "applied")


def review_rows(entries: Sequence[Decision]) -> list[dict[str, Any]]:
    """One row per decision (:data:`REVIEW_COLUMNS`); ``applied`` is ``yes`` for the last decision on its target,
    ``replaced`` for one a later decision replaced."""
    latest = {d.seq for d in latest_decisions(list(entries)).values()}
    return [{"seq": d.seq, "time": d.time, "reviewer": d.reviewer, "kind": d.kind, "target": d.target, "decision": d.decision,
             "reason": d.reason, "why": d.why, "prev_sha256": d.prev_sha256, "applied": "yes" if d.seq in latest else "replaced"} for d in entries]


def _estimate(good: int, bad: int, confidence: float) -> dict[str, Any]:
    n = good + bad
    ci = wilson_interval(good, n, confidence=confidence)
    return {"decided": n, "positive": good, "estimate": round(good / n, 6) if n else None,
            "wilson_low": round(ci[0], 6) if ci else None, "wilson_high": round(ci[1], 6) if ci else None, "confidence": confidence}


def review_summary(entries: Sequence[Decision], applied: Mapping[str, Any] | None, *, unreviewed_gain: float,
                   lower_weighted_total: float, tier_thresholds: tuple[float, float], confidence: float = 0.95,
                   head_sha256: str = "") -> dict[str, Any]:
    """The ``review`` section of ``summary.json``.

    Args:
        entries: the checked decision log. applied: ``counts.json`` ``review`` (:class:`jobs.review.apply.ReviewApplied`).
        unreviewed_gain: how much the lower bound's weighted total would rise if every probable link
            no reviewer confirmed were removed (Σ 1/threshold of each such duplicate's category).
        lower_weighted_total: the lower bound's weighted total after the decisions.
        tier_thresholds: (serious, especially serious) weighted totals.

    Returns:
        ``decisions``, ``pairs`` / ``records`` (reviewed, and per decision), ``link_precision`` and
        ``record_authenticity`` (samples only, Wilson interval), ``tier_depends_on_unreviewed_links``
        (bool: removing the unconfirmed links would cross a tier), ``stale`` and ``log_head_sha256``.
    """
    stale = {(x["kind"], x["target"]) for x in (applied or {}).get("stale", [])}
    latest = [d for d in latest_decisions(list(entries)).values() if (d.kind, d.target) not in stale]  # stale: listed, not counted
    pairs = [d for d in latest if d.kind == "pair"]
    records = [d for d in latest if d.kind == "record"]
    count = lambda ds, v: sum(1 for d in ds if d.decision == v)  # noqa: E731
    sample = lambda ds: [d for d in ds if "sample" in d.why.split(",")]  # noqa: E731
    sp, sr = sample(pairs), sample(records)
    next_tier = next((t for t in tier_thresholds if lower_weighted_total < t), None)
    depends = next_tier is not None and lower_weighted_total + unreviewed_gain >= next_tier - 1e-9
    return {
        "decisions": len(entries),
        "pairs": {"reviewed": len(pairs), "confirmed": count(pairs, "same"), "rejected": count(pairs, "different"), "unsure": count(pairs, "unsure")},
        "records": {"reviewed": len(records), "genuine": count(records, "genuine"), "untrue": count(records, "untrue")},
        "link_precision": _estimate(count(sp, "same"), count(sp, "different"), confidence),
        "record_authenticity": _estimate(count(sr, "genuine"), count(sr, "untrue"), confidence),
        "tier_depends_on_unreviewed_links": depends,
        "unreviewed_links_weight": round(unreviewed_gain, 6),
        "stale": list((applied or {}).get("stale", [])),
        "log_head_sha256": head_sha256,
        "rule": "Wilson (1927) score interval, Newcombe (1998) method 3; samples drawn by Cochran (1977) §4.4",
    }


def write_review_csv(entries: Sequence[Decision], dest) -> int:
    """Write ``review.csv`` (UTF-8 with BOM, CRLF, :data:`REVIEW_COLUMNS`; every cell through
    :func:`jobs.export.cells.neutralize`: a reviewer's reason is typed text). Returns the rows written."""
    import csv
    import io

    from jobs.export.cells import neutralize

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REVIEW_COLUMNS)
    rows = review_rows(entries)
    for r in rows:
        w.writerow([neutralize(str(r[c])) for c in REVIEW_COLUMNS])
    dest.write_bytes("\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8"))
    return len(rows)


def unreviewed_link_gain(links: Sequence[tuple[str, str, str]], entries: Sequence[Decision], thresholds: Mapping[str, float]) -> float:
    """Σ 1/threshold of the category of each probable duplicate whose link no reviewer confirmed (``same``).

    Args:
        links: ``(record_id, linked_record_id, category of record_id)`` of the probable links after the decisions.
    """
    from jobs.review.decisions import pair_target

    confirmed = {d.target for d in latest_decisions(list(entries)).values() if d.kind == "pair" and d.decision == "same"}
    return sum(1.0 / float(thresholds[c]) for a, b, c in links if c in thresholds and pair_target(a, b) not in confirmed)
