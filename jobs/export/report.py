"""The count summary of a case file (``summary.json``) and its human-readable page (``summary.html``).

Thresholds and the combination rule: 法释〔2017〕10号 art. 5(1) items 三–六 and art. 5(2) item 三;
half thresholds for insiders, art. 5(1) item 八 (DOMAIN.md §1). The proportional combination
``weighted_total = Σ n_c / threshold_c`` is a common reading, configured in ``configs/categories.yaml``.
"""

from __future__ import annotations

import html
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


ART11_RULE_SEIZURE = ("法释〔2017〕10号 art. 11 item 3: the records of this seizure (one suspect or one sale) count as seized, "
                      "minus those shown to be untrue or duplicated")


def bound_summaries(counts: Mapping[str, Any], rules: Sequence[CategoryRule], *, insider: bool,
                    tier_serious: float = 1.0, tier_especially_serious: float = 10.0) -> dict[str, Any]:
    """The two bounds of the count of this seizure, each with per-category counts, weighted total and tier.

    Args:
        counts: ``counts.json`` of deduplicate (``bounds`` and ``linkage`` sections).
        rules, insider, tier_serious, tier_especially_serious: as :func:`category_summary`.

    Returns:
        ``upper_bound`` (only exact duplicates removed) and ``lower_bound`` (exact and probable
        duplicates removed), both without untrue, masked-unidentifiable and bare-phone records;
        ``bare_phone_records`` (contested, own line), ``untrue_records`` (rows, and by reason),
        ``masked_unidentifiable_records`` (rows), ``probable_duplicate_records``, the
        ``linkage`` threshold and how many candidate pairs lie near it, and the art. 11 rule.
    """
    b = counts["bounds"]
    out: dict[str, Any] = {}
    for name, key, rule in (("upper_bound", "upper", "only exact duplicates removed"),
                            ("lower_bound", "lower", "exact and probable duplicates removed (conservative)")):
        s = category_summary(b[key], rules, insider=insider, tier_serious=tier_serious, tier_especially_serious=tier_especially_serious)
        out[name] = {"unique_records": sum(int(v) for v in b[key].values()), **s, "rule": rule, "art11_rule": ART11_RULE_SEIZURE}
    stats = counts.get("linkage", {}).get("stats", {})
    out.update({
        "bare_phone_records": b["bare_phone_records"],
        "untrue_records": b["untrue_rows"],
        "untrue_by_reason": b["untrue_by_reason"],
        "masked_unidentifiable_records": b["masked_unidentifiable_rows"],
        "probable_duplicate_records": b["probable_duplicates"],
        "linkage": {k: stats.get(k) for k in ("threshold_match_probability", "threshold_match_weight", "near_threshold_band_weight",
                                               "near_threshold_pairs", "near_threshold_linked", "candidate_pairs", "linked_pairs",
                                               "refused_different_identifiers", "refused_insufficient_evidence", "links_refused_in_clustering")}
                   | {"settings_sha256": counts.get("linkage", {}).get("settings_sha256")},
    })
    return out


#: Why the headline tier is the lower bound (issue 5 decision, DOMAIN.md §1).
TIER_BASIS_RULE = ("lower bound: exact and probable duplicates, untrue and masked-unidentifiable records removed, bare phone "
                   "numbers set apart. 法释〔2017〕10号 art. 11 counts the seized records except those shown to be untrue or "
                   "duplicated, and the SPC commentary (《理解与适用》) asks prosecutors to remove duplicates, its example being "
                   "the same person as name+address, name+phone and name+ID: the probable duplicates. The upper bound "
                   "(exact duplicates only) is given beside it; when the two tiers differ the tier depends on the probable "
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


def count_statement(raw_rows: int, quarantined: int, records: int, counts: Mapping[str, Any],
                    rules: Sequence[CategoryRule]) -> list[dict[str, Any]]:
    """The count statement of DOMAIN.md §1, in its order: raw rows → parse failures → untrue →
    masked → duplicates → final count per category (both bounds), bare phone numbers on their own
    line. Every step gives ``rows`` and the ``rule`` that produced it; the steps add up:
    records − untrue − masked − exact duplicates = upper bound + bare phone numbers, and
    upper bound − probable duplicates = lower bound."""
    b = counts["bounds"]
    upper, lower = sum(b["upper"].values()), sum(b["lower"].values())
    m = counts.get("method", {})
    return [
        {"step": "raw rows read", "rows": raw_rows, "rule": "data rows of every evidence item (headers and blank lines excluded)"},
        {"step": "parse failures (quarantined)", "rows": quarantined, "rule": "rows that cannot be read as a record: see quarantine.csv reason_code"},
        {"step": "records", "rows": records, "rule": "raw rows minus parse failures"},
        {"step": "untrue records (excluded)", "rows": b["untrue_rows"], "by_reason": b["untrue_by_reason"],
         "rule": "法释〔2017〕10号 art. 11: records shown to be untrue do not count — " + m.get("untrue", "")},
        {"step": "masked records that identify no one (excluded)", "rows": b["masked_unidentifiable_rows"], "rule": m.get("masked", "")},
        {"step": "exact duplicates", "rows": b["exact_duplicates_of_counted"], "rule": m.get("exact_duplicates", "")},
        {"step": "bare phone numbers (own line, not in tier_5000)", "rows": b["bare_phone_records"], "rule": m.get("bare_phone", "")},
        {"step": "unique records, upper bound", "rows": upper, "categories": dict(b["upper"]), "rule": "only exact duplicates removed; " + ART11_RULE_SEIZURE},
        {"step": "probable duplicates", "rows": b["probable_duplicates"], "rule": m.get("probable_duplicates", "")},
        {"step": "unique records, lower bound", "rows": lower, "categories": dict(b["lower"]), "rule": "exact and probable duplicates removed; " + ART11_RULE_SEIZURE},
    ]


def render_html(summary: Mapping[str, Any], *, run_id: str, manifest_digest: str) -> str:
    """A self-contained HTML page of the summary (no scripts, no external resources)."""
    e = html.escape
    rows = []
    for key, c in summary["categories"].items():
        rows.append(f"<tr><td>{e(key)}</td><td>{e(c['law'])}</td><td class=n>{c['unique_records']:,}</td>"
                    f"<td class=n>{c['threshold']:,}</td><td class=n>{c['threshold_especially_serious']:,}</td><td class=n>{c['ratio']:.6f}</td></tr>")
    def detail(step: Mapping[str, Any]) -> str:
        extra = step.get("categories") or step.get("by_reason") or {}
        return (" (" + ", ".join(f"{e(k)}: {v:,}" for k, v in extra.items()) + ")") if extra else ""

    statement = "".join(f"<tr><td>{e(s['step'])}</td><td class=n>{s['rows']:,}</td><td>{e(s['rule'])}{detail(s)}</td></tr>" for s in summary["count_statement"])
    fields = []
    for field, st in summary.get("field_statuses", {}).items():
        status = ", ".join(f"{e(k)}: {v:,}" for k, v in st["status"].items())
        reason = ", ".join(f"{e(k)}: {v:,}" for k, v in st["reason"].items()) or "—"
        fields.append(f"<tr><td>{e(field)}</td><td>{status}</td><td>{reason}</td></tr>")
    tier_names = {"below_threshold": "below the threshold (未达情节严重)", "serious": "serious (情节严重)",
                  "especially_serious": "especially serious (情节特别严重)"}
    tier_text = tier_names[summary["tier"]]
    bounds_html = ""
    if "upper_bound" in summary:
        brow = []
        for name in ("lower_bound", "upper_bound"):
            bd = summary[name]
            cells = "".join(f"<td class=n>{bd['categories'][k]['unique_records']:,}</td>" for k in summary["categories"])
            brow.append(f"<tr><td>{e(name.replace('_', ' '))}</td><td>{e(bd['rule'])}</td>{cells}<td class=n>{bd['weighted_total']:.6f}</td><td>{e(tier_names[bd['tier']])}</td></tr>")
        heads = "".join(f"<th>{e(k)}</th>" for k in summary["categories"])
        lk = summary.get("linkage") or {}
        bounds_html = f"""<h2>Bounds of the count</h2>
<table><tr><th>bound</th><th>rule</th>{heads}<th>weighted total</th><th>tier</th></tr>{''.join(brow)}</table>
<p>Set apart, not in any category: <b>{summary['bare_phone_records']:,}</b> bare phone numbers (a phone and nothing else; contested:
counted by Shanghai 2021, excluded by Fujian 2019 and Anhui 2018); <b>{summary['untrue_records']:,}</b> untrue rows; <b>{summary['masked_unidentifiable_records']:,}</b>
masked rows that identify no one. {e(ART11_RULE_SEIZURE)}.</p>
<p>Probable duplicates: a link needs match probability ≥ <b>{e(str(lk.get('threshold_match_probability')))}</b> (match weight ≥ {e(str(lk.get('threshold_match_weight')))} bits,
Fellegi–Sunter 1969) and the guard rails. Of {int(lk.get('candidate_pairs') or 0):,} candidate pairs, <b>{lk.get('near_threshold_pairs') or 0:,}</b> lie within
±{e(str(lk.get('near_threshold_band_weight')))} bits of the threshold ({lk.get('near_threshold_linked') or 0:,} of them linked): those are the links a different
threshold would change. {lk.get('refused_different_identifiers') or 0:,} pairs were refused because their valid ID numbers differ and
{lk.get('refused_insufficient_evidence') or 0:,} high-scoring pairs for insufficient evidence (a shared phone or address alone). Every link is in
<code>duplicates.csv</code> with its weight, probability and per-field comparison levels.</p>"""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Case file {e(summary['case_id'])} / {e(summary['seizure_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #999;padding:.3em .6em;text-align:left}}.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body>
<h1>Case file {e(summary['case_id'])} — seizure {e(summary['seizure_id'])}</h1>
<p>Run <code>{e(run_id)}</code>; manifest SHA-256 <code>{e(manifest_digest)}</code>. Every number below is reproducible from
<code>records.csv</code>, <code>duplicates.csv</code>, <code>quarantine.csv</code> and <code>evidence_items.csv</code> in this bundle.</p>
<h2>Count statement</h2>
<table><tr><th>step</th><th>rows</th><th>rule</th></tr>{statement}</table>
<h2>Tier</h2>
<p><b>Weighted total</b> Σ unique/threshold of the lower bound = {summary['weighted_total']:.6f} → <b>{e(tier_text)}</b>
(≥ 1 serious, ≥ 10 especially serious; proportional combination per art. 5(1) item 六, a common reading).
Upper bound: {summary.get('weighted_total_upper_bound', summary['weighted_total']):.6f} → {e(tier_names[summary.get('tier_upper_bound', summary['tier'])])}.
{'<b>The two bounds fall in different tiers: the tier depends on the probable duplicates; check each link in duplicates.csv.</b>' if summary.get('tier_depends_on_probable_duplicates') else 'Both bounds fall in the same tier.'}</p>
<p>{e(summary.get('tier_basis_rule', ''))}</p>
{bounds_html}
<h2>Unique records per legal category, after exact deduplication, before exclusions</h2>
<p>Every distinct record of the seizure by its category, untrue, masked and bare-phone records included (the data view;
the bounds above are the counts). Thresholds of 法释〔2017〕10号 art. 5{' (halved: insider, art. 5(1) item 八)' if summary['insider'] else ''}.</p>
<table><tr><th>category</th><th>information</th><th>unique records</th><th>情节严重 threshold</th><th>情节特别严重 threshold</th><th>ratio</th></tr>{''.join(rows)}</table>
<h2>Field statuses of the unique records</h2>
<table><tr><th>field</th><th>status</th><th>reason codes</th></tr>{''.join(fields)}</table>
</body></html>
"""
