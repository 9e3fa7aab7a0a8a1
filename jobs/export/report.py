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


def render_html(summary: Mapping[str, Any], *, run_id: str, manifest_digest: str) -> str:
    """A self-contained HTML page of the summary (no scripts, no external resources)."""
    e = html.escape
    rows = []
    for key, c in summary["categories"].items():
        rows.append(f"<tr><td>{e(key)}</td><td>{e(c['law'])}</td><td class=n>{c['unique_records']:,}</td>"
                    f"<td class=n>{c['threshold']:,}</td><td class=n>{c['threshold_especially_serious']:,}</td><td class=n>{c['ratio']:.6f}</td></tr>")
    statement = "".join(f"<tr><td>{e(s['step'])}</td><td class=n>{s['rows']:,}</td><td>{e(s['rule'])}</td></tr>" for s in summary["count_statement"])
    fields = []
    for field, st in summary.get("field_statuses", {}).items():
        status = ", ".join(f"{e(k)}: {v:,}" for k, v in st["status"].items())
        reason = ", ".join(f"{e(k)}: {v:,}" for k, v in st["reason"].items()) or "—"
        fields.append(f"<tr><td>{e(field)}</td><td>{status}</td><td>{reason}</td></tr>")
    tier_text = {"below_threshold": "below the threshold (未达情节严重)", "serious": "serious (情节严重)",
                 "especially_serious": "especially serious (情节特别严重)"}[summary["tier"]]
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
<h2>Unique records per legal category</h2>
<p>Thresholds of 法释〔2017〕10号 art. 5{' (halved: insider, art. 5(1) item 八)' if summary['insider'] else ''}.</p>
<table><tr><th>category</th><th>information</th><th>unique records</th><th>情节严重 threshold</th><th>情节特别严重 threshold</th><th>ratio</th></tr>{''.join(rows)}</table>
<p><b>Weighted total</b> Σ unique/threshold = {summary['weighted_total']:.6f} → <b>{e(tier_text)}</b>
(≥ 1 serious, ≥ 10 especially serious; proportional combination per art. 5(1) item 六, a common reading).</p>
<h2>Field statuses of the unique records</h2>
<table><tr><th>field</th><th>status</th><th>reason codes</th></tr>{''.join(fields)}</table>
</body></html>
"""
