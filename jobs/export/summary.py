"""The counts of a case file's ``summary.json``: pure functions of the deduplicate stage's counts.

Per category the unique records, thresholds and ratio (:func:`category_summary`), the two bounds of
the count (:func:`bound_summaries`), the headline tier and its basis (:func:`headline_tier`,
:data:`TIER_BASIS_RULE`) and the count statement (:func:`count_statement`). The page that shows
them is :mod:`jobs.export.pages`.

Thresholds and the combination rule: 法释〔2017〕10号 art. 5(1) items 三–六 and art. 5(2) item 三;
half thresholds for insiders, art. 5(1) item 八 (DOMAIN.md §1). The proportional combination
``weighted_total = Σ n_c / threshold_c`` is a common reading, configured in ``configs/categories.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobs.common.config import CategoryRule


def legal_tier(weighted_total: float, serious: float, especially_serious: float) -> str:
    """``below_threshold`` / ``serious`` / ``especially_serious`` for a weighted total."""
    if weighted_total >= especially_serious:
        return "especially_serious"
    if weighted_total >= serious:
        return "serious"
    return "below_threshold"


def category_summary(counts: Mapping[str, int], rules: Sequence[CategoryRule], *, insider: bool,
                     tier_serious: float = 1.0, tier_especially_serious: float = 10.0) -> dict[str, Any]:
    """Per category ``unique_records``, ``threshold`` (情节严重), ``threshold_especially_serious`` and
    ``ratio`` (= unique_records / threshold, 6 decimals); plus ``weighted_total`` and ``tier``.

    Args:
        counts: unique records per category key.
        rules: the categories with their thresholds.
        insider: halve the thresholds (art. 5(1) item 八).
    """
    factor = 0.5 if insider else 1.0
    categories: dict[str, Any] = {}
    total = 0.0
    for rule in rules:
        n = int(counts.get(rule.key, 0))
        threshold = rule.serious * factor
        ratio = n / threshold
        total += ratio
        categories[rule.key] = {
            "unique_records": n,
            "threshold": int(threshold) if float(threshold).is_integer() else threshold,
            "threshold_especially_serious": int(rule.especially_serious * factor) if float(rule.especially_serious * factor).is_integer() else rule.especially_serious * factor,
            "ratio": round(ratio, 6),
            "law": rule.law,
        }
    total = round(total, 6)
    return {"categories": categories, "weighted_total": total, "tier": legal_tier(total, tier_serious, tier_especially_serious)}


#: The art. 11 item 3 rule of one seizure's count, cited by both bounds and the page.
ART11_RULE_SEIZURE = ("法释〔2017〕10号 art. 11 item 3: the records of this seizure (one suspect or one sale) count as seized, "
                      "minus those shown to be untrue or duplicated")


def bound_summaries(counts: Mapping[str, Any], rules: Sequence[CategoryRule], *, insider: bool,
                    tier_serious: float = 1.0, tier_especially_serious: float = 10.0) -> dict[str, Any]:
    """The two bounds of the count of this seizure, each with per-category counts, weighted total and tier.

    Args:
        counts: ``counts.json`` of deduplicate (``bounds`` and ``linkage`` sections).
        rules, insider, tier_serious, tier_especially_serious: as :func:`category_summary`.

    Returns:
        ``upper_bound`` (only identical rows removed) and ``lower_bound`` (same person information
        and probable duplicates removed as well), both without untrue, masked-unidentifiable and bare-phone records;
        ``bare_phone_records`` (contested, own line), ``untrue_records`` (rows, and by reason),
        ``masked_unidentifiable_records`` (rows), ``probable_duplicate_records``,
        ``duplicate_levels`` (:func:`duplicate_levels`), the
        ``linkage`` threshold and how many candidate pairs lie near it, and the art. 11 rule.
    """
    b = counts["bounds"]
    out: dict[str, Any] = {}
    for name, key, rule in (("upper_bound", "upper", "only identical rows removed"),
                            ("lower_bound", "lower", "identical rows, same person information and probable duplicates removed (conservative)")):
        s = category_summary(b[key], rules, insider=insider, tier_serious=tier_serious, tier_especially_serious=tier_especially_serious)
        out[name] = {"unique_records": sum(int(v) for v in b[key].values()), **s, "rule": rule, "art11_rule": ART11_RULE_SEIZURE}
    stats = counts.get("linkage", {}).get("stats", {})
    out.update({
        "bare_phone_records": b["bare_phone_records"],
        "untrue_records": b["untrue_rows"],
        "untrue_by_reason": b["untrue_by_reason"],
        "masked_unidentifiable_records": b["masked_unidentifiable_rows"],
        "probable_duplicate_records": b["probable_duplicates"],
        "duplicate_levels": duplicate_levels(counts),
        "linkage": {k: stats.get(k) for k in ("threshold_match_probability", "threshold_match_weight", "near_threshold_band_weight",
                                               "near_threshold_pairs", "near_threshold_linked", "candidate_pairs", "linked_pairs",
                                               "refused_different_identifiers", "refused_insufficient_evidence", "links_refused_in_clustering")}
                   | {"settings_sha256": counts.get("linkage", {}).get("settings_sha256")},
    })
    return out


#: Why the headline tier is the lower bound (issue 5 decision, DOMAIN.md §1).
TIER_BASIS_RULE = ("lower bound: identical rows, same person information and probable duplicates, untrue and masked-unidentifiable records removed, bare phone "
                   "numbers set apart. 法释〔2017〕10号 art. 11 counts the seized records except those shown to be untrue or "
                   "duplicated, and the SPC commentary (《理解与适用》) asks prosecutors to remove duplicates, its example being "
                   "the same person as name+address, name+phone and name+ID: the probable duplicates. The upper bound "
                   "(identical rows only) is given beside it; when the two tiers differ the tier depends on the probable "
                   "duplicates and each link in duplicates.csv should be checked.")


def headline_tier(bounds: Mapping[str, Any]) -> dict[str, Any]:
    """The headline of ``summary.json``: ``weighted_total`` and ``tier`` of the lower bound,
    ``tier_basis`` (``"lower_bound"``) and its ``tier_basis_rule``, ``tier_upper_bound`` and
    ``tier_depends_on_probable_duplicates`` (bool: the two bounds fall in different tiers).

    Args:
        bounds: :func:`bound_summaries` output.
    """
    lo, up = bounds["lower_bound"], bounds["upper_bound"]
    return {"weighted_total": lo["weighted_total"], "tier": lo["tier"], "tier_basis": "lower_bound",
            "tier_basis_rule": TIER_BASIS_RULE, "tier_upper_bound": up["tier"],
            "weighted_total_upper_bound": up["weighted_total"],
            "tier_depends_on_probable_duplicates": lo["tier"] != up["tier"]}


def duplicate_levels(counts: Mapping[str, Any]) -> dict[str, Any]:
    """The three duplicate levels of ``counts.json`` (rows of counted records removed at each), as
    ``summary.json`` and the ground truth give them (issue 12, "What exact duplicates mean").

    Out: ``identical_rows`` (removed for the upper bound), ``same_person_exact`` and ``probable``
    (removed for the lower bound), ``bare_phone_identical_rows`` / ``bare_phone_same_person_exact``
    (the same levels among bare phone numbers, counted on their own line) and, per category, the
    records a field that failed its check would have raised (``kept_out_of_category``,
    ``kept_out_by_field``: issue 12 defect 1). Bundles written before the levels existed: the
    exact duplicates are all ``same_person_exact``.
    """
    b = counts["bounds"]
    legacy = "identical_rows" not in b
    return {"identical_rows": 0 if legacy else b["identical_rows"],
            "same_person_exact": b["exact_duplicates_of_counted"] if legacy else b["same_person_duplicates"],
            "probable": b["probable_duplicates"],
            "bare_phone_identical_rows": b.get("bare_phone_identical_rows", 0),
            "bare_phone_same_person_exact": b.get("bare_phone_same_person_duplicates", 0),
            "kept_out_of_category": dict(b.get("kept_out_of_category", {})),
            "kept_out_by_field": dict(b.get("kept_out_by_field", {}))}


#: The count statement's line for byte-identical evidence items (issue 13 defect 1).
DUPLICATE_ITEMS_STEP = "duplicate evidence items (same bytes seized twice, read once)"


def duplicate_item_rows(items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The byte-identical copies among the evidence items and the data rows each holds.

    In: the evidence items (``evidence_items.json``: ``path``, ``sha256``, ``status``,
    ``duplicate_of``, ``rows_read``, ``parent_sha256`` for archive members). A copy
    (``status = "duplicate"``) was not read (jobs.intake.job.expand_items): its rows are those of
    the item it repeats, counted once under that item; for an archive, the rows of its members
    (the members of the item read, whose ``parent_sha256`` is the archive's SHA-256), recursively.

    Out: ``{copy path: data rows}``, in item order; ``{}`` when no item was seized twice.
    """
    by_path = {i["path"]: i for i in items}

    def rows_in(item: Mapping[str, Any], seen: frozenset[str]) -> int:
        if item["path"] in seen:  # a cycle cannot come from intake; never loop on a hand-edited list
            return 0
        seen = seen | {item["path"]}
        if item.get("status") == "duplicate":
            return rows_in(by_path[item["duplicate_of"]], seen) if item.get("duplicate_of") in by_path else 0
        members = [m for m in items if item.get("sha256") and m.get("parent_sha256") == item["sha256"]]
        return int(item.get("rows_read") or 0) + sum(rows_in(m, seen) for m in members)

    return {i["path"]: rows_in(i, frozenset()) for i in items if i.get("status") == "duplicate"}


def count_statement(raw_rows: int, quarantined: int, records: int, counts: Mapping[str, Any],
                    rules: Sequence[CategoryRule], items: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """The count statement of DOMAIN.md §1, in its order: raw rows → parse failures → untrue →
    masked → duplicates, level by level → final count per category (both bounds), bare phone
    numbers on their own line. Every step gives ``rows`` and the ``rule`` that produced it; the
    steps add up: records − untrue − masked − identical rows = upper bound + bare phone numbers,
    and upper bound − same-person exact duplicates − probable duplicates = lower bound (issue 12:
    identical rows alone are removed for the upper bound, same person information and probable
    duplicates for the lower bound). The records a field that failed its check kept out of a
    category are a note beside the upper bound (they are counted, in a lower category).

    ``items`` (the evidence items): when an item was seized twice (the same bytes), a line right
    after the raw rows gives the rows of the copies, read once and therefore not in the raw rows,
    with each copy's rows (:func:`duplicate_item_rows`); no line when there is none."""
    b = counts["bounds"]
    lv = duplicate_levels(counts)
    upper, lower = sum(b["upper"].values()), sum(b["lower"].values())
    m = counts.get("method", {})
    bare_rows = b.get("bare_phone_distinct_rows", b["bare_phone_records"])
    steps = [
        {"step": "raw rows read", "rows": raw_rows, "rule": "data rows of every evidence item (headers and blank lines excluded)"},
        *([{"step": DUPLICATE_ITEMS_STEP, "rows": sum(copies.values()), "items": len(copies), "by_reason": copies,
             "rule": "byte-identical evidence items (one SHA-256): each is registered and listed with the item it repeats "
                     "(evidence_items.csv format duplicate_of:<path>) and read once; their rows are not in the raw rows"}]
          if (copies := duplicate_item_rows(items)) else []),
        {"step": "parse failures (quarantined)", "rows": quarantined, "rule": "rows that cannot be read as a record: see quarantine.csv reason_code"},
        {"step": "records", "rows": records, "rule": "raw rows minus parse failures"},
        {"step": "untrue records (excluded)", "rows": b["untrue_rows"], "by_reason": b["untrue_by_reason"],
         "rule": "法释〔2017〕10号 art. 11: records shown to be untrue do not count — " + m.get("untrue", "")},
        {"step": "masked records that identify no one (excluded)", "rows": b["masked_unidentifiable_rows"], "rule": m.get("masked", "")},
        {"step": "identical rows (removed for the upper bound)", "rows": lv["identical_rows"] + lv["bare_phone_identical_rows"],
         "rule": m.get("identical_rows", "") + "; duplicates.csv reason identical_row"},
        {"step": "bare phone numbers (own line, not in tier_5000)", "rows": bare_rows, "rule": m.get("bare_phone", "")},
        {"step": "unique records, upper bound", "rows": upper, "categories": dict(b["upper"]), "rule": "only identical rows removed; " + ART11_RULE_SEIZURE},
        {"step": "records kept out of a category (a field that failed its check)", "rows": sum(lv["kept_out_of_category"].values()),
         "by_reason": lv["kept_out_by_field"], "rule": m.get("categories", "") + "; counted in the upper bound, in a lower category"},
        {"step": "same person information (exact duplicates, removed for the lower bound)", "rows": lv["same_person_exact"],
         "rule": m.get("exact_duplicates", "") + "; duplicates.csv reason exact_duplicate"},
        {"step": "probable duplicates", "rows": b["probable_duplicates"], "rule": m.get("probable_duplicates", "")},
        {"step": "unique records, lower bound", "rows": lower, "categories": dict(b["lower"]),
         "rule": "identical rows, same person information and probable duplicates removed; " + ART11_RULE_SEIZURE},
    ]
    r = counts.get("review")
    if r:  # issue 17: the investigators' decisions, already applied in the lines above (review.csv lists them)
        steps.append({"step": "review decisions applied", "rows": int(r["decisions"]), "pairs": dict(r["pairs"]), "records": dict(r["records"]),
                      "links_removed": int(r["links_removed"]), "links_added": int(r["links_added"]), "stale": len(r["stale"]),
                      "rule": "a link judged different persons removed, same person kept; a record judged untrue excluded "
                              "(review:untrue, counted among the untrue records); a stale decision reported, not applied"})
    return steps
