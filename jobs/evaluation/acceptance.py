"""Acceptance of a run on a generated seizure: the published bundle against the generator's truth.

:func:`compare_ground_truth` compares the bundle's ``summary.json`` with ``ground_truth.json``;
:func:`compare_linkage_truth` scores the probable duplicates of ``records.csv`` against
``linkage_truth.csv`` and checks them against :data:`PROBABLE_PRECISION` and
:data:`PROBABLE_RECALL`. Used by ``casefile run|rerun --ground-truth``; both print their verdict
(counts and rates only, never record values) through ``say`` (the console by default) and
return the command's exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

#: Issue 5 acceptance on generated seizures: the injected probable duplicates are found with
#: pairwise precision >= 0.99 and recall >= 0.95.
PROBABLE_PRECISION, PROBABLE_RECALL = 0.99, 0.95


def compare_linkage_truth(records_csv: Path, linkage_truth: Path, say: Callable[[str], object] = print) -> int:
    """Score the bundle's probable duplicates against the generator's ``linkage_truth.csv``.

    Pairwise precision, recall and F1 come from
    :func:`jobs.evaluation.linkage_truth.evaluate_probable_duplicates`.

    Returns:
        0 when precision >= :data:`PROBABLE_PRECISION` and recall >= :data:`PROBABLE_RECALL`;
        2 when they are not met, or when records of ``linkage_truth.csv`` are missing from
        ``records.csv`` (nothing scored).
    """
    from jobs.evaluation.linkage_truth import evaluate_probable_duplicates

    m = evaluate_probable_duplicates(records_csv, linkage_truth)
    if m["unmatched_truth_records"]:
        say(f"casefile: {m['unmatched_truth_records']:,} of {m['truth_records']:,} records of linkage_truth.csv are not in "
              f"records.csv (the generator's and the pipeline's normalization disagree): probable duplicates NOT scored")
        return 2
    kinds = ", ".join(f"{k} {v['found']}/{v['records']}" for k, v in m["by_kind"].items())
    say(f"casefile: probable duplicates vs the generator's linkage_truth.csv: precision {m['pairwise_precision']:.4f}, "
          f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f} ({m['true_positive_pairs']:,} of "
          f"{m['predicted_pairs']:,} predicted pairs true, {m['true_pairs']:,} true pairs; found by kind: {kinds})")
    if m["pairwise_precision"] < PROBABLE_PRECISION or m["pairwise_recall"] < PROBABLE_RECALL:
        say(f"casefile: probable duplicates do NOT meet precision >= {PROBABLE_PRECISION} and recall >= {PROBABLE_RECALL}")
        return 2
    return 0


def compare_ground_truth(summary: dict, truth: dict, say: Callable[[str], object] = print) -> int:
    """Compare the bundle's ``summary.json`` with the generator's ``ground_truth.json``.

    Compared: ``raw_rows``, ``quarantined_rows``, ``records``, ``duplicate_records``,
    ``unique_records`` and each category's ``unique_records``; when the truth has them (issue 12),
    every duplicate level (``duplicate_levels``: identical rows, same-person exact, probable, the
    two exact levels among bare phone numbers, records kept out of each category) and each
    category of both bounds (``bounds.upper`` / ``bounds.lower`` against ``upper_bound`` /
    ``lower_bound``). A truth level the case file lacks is a difference.

    Returns:
        0 when every count matches, 2 otherwise (the differing counts are printed).
    """
    keys = ["raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records"]
    diffs = [f"{k}: case file {summary[k]} vs ground truth {truth[k]}" for k in keys if summary[k] != truth[k]]
    for cat, c in truth["categories"].items():
        if summary["categories"][cat]["unique_records"] != c["unique_records"]:
            diffs.append(f"{cat}: case file {summary['categories'][cat]['unique_records']} vs ground truth {c['unique_records']}")
    levels = summary.get("duplicate_levels") or {}
    for k, v in (truth.get("duplicate_levels") or {}).items():
        if levels.get(k) != v:
            diffs.append(f"duplicate level {k}: case file {levels.get(k)} vs ground truth {v}")
    for bound, name in (("upper", "upper_bound"), ("lower", "lower_bound")):
        for cat, v in ((truth.get("bounds") or {}).get(bound) or {}).items():
            got = ((summary.get(name) or {}).get("categories") or {}).get(cat, {}).get("unique_records")
            if got != v:
                diffs.append(f"{name} {cat}: case file {got} vs ground truth {v}")
    if diffs:
        say("casefile: the case file does NOT match the generator's ground truth:\n  " + "\n  ".join(diffs))
        return 2
    say("casefile: every count matches the generator's ground_truth.json")
    return 0
