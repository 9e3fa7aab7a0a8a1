"""Inline SVG charts for the case file's page: drawn here as plain data, rendered by the template.

No script and no network: each chart is a dict of rectangles, lines and labels (numbers and
catalog texts only, never a record value) that ``templates/_charts.html.j2`` turns into ``<svg>``
with autoescape on, so nothing from the seized data can reach the page as markup. Geometry is
computed in Python, so the page's bytes depend only on the counts.

Charts (issue 15): unique records per category for both bounds against the 情节严重 threshold;
rows read / quarantined / untrue / duplicated per evidence item; the field statuses of the unique
records (one stacked bar per field); the histogram of the match weights of all candidate pairs
(linked or not) with the threshold marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from jobs.common.fields import FIELD_STATUSES

#: Colours (ColorBrewer "Set2", colour-blind safe).
COLOURS = ("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854")
WIDTH = 640
BAR = 18
GAP = 8
LABEL_W = 220


def _scale(maximum: float, span: float) -> float:
    return span / maximum if maximum > 0 else 0.0


def grouped_bars(groups: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], *,
                 markers: Sequence[float | None] = (), marker_label: str = "") -> dict[str, Any]:
    """Horizontal grouped bars: one group per label, one bar per series, an optional vertical marker
    per group (the threshold).

    Args:
        groups: (label, values per series).
        series: the series' names (the legend).
        markers: per group a value to mark with a line (``None``: no marker).
        marker_label: the legend text of the marker.

    Returns:
        ``{"width", "height", "rects": [{x, y, w, h, fill, title}], "lines": [...], "texts": [...]}``.
    """
    top = 24
    maximum = max([v for _, vs in groups for v in vs] + [m for m in markers if m is not None] + [1])
    span = WIDTH - LABEL_W - 70
    k = _scale(maximum, span)
    rects, lines, texts = [], [], []
    for i, name in enumerate(series):
        x = LABEL_W + i * 120
        rects.append({"x": x, "y": 4, "w": 12, "h": 12, "fill": COLOURS[i % len(COLOURS)], "title": name})
        texts.append({"x": x + 16, "y": 14, "text": name, "anchor": "start"})
    if marker_label:
        x = LABEL_W + len(series) * 120
        lines.append({"x1": x, "y1": 4, "x2": x, "y2": 16, "stroke": "#d62728"})
        texts.append({"x": x + 6, "y": 14, "text": marker_label, "anchor": "start"})
    y = top
    for g, (label, values) in enumerate(groups):
        h_group = len(values) * BAR
        texts.append({"x": LABEL_W - 6, "y": y + h_group / 2 + 4, "text": label, "anchor": "end"})
        for i, v in enumerate(values):
            w = round(v * k, 1)
            rects.append({"x": LABEL_W, "y": y + i * BAR, "w": w, "h": BAR - 3, "fill": COLOURS[i % len(COLOURS)],
                          "title": f"{label} — {series[i]}: {v:,}"})
            texts.append({"x": LABEL_W + w + 4, "y": y + i * BAR + BAR - 6, "text": f"{v:,}", "anchor": "start"})
        m = markers[g] if g < len(markers) else None
        if m is not None:
            x = LABEL_W + round(m * k, 1)
            lines.append({"x1": x, "y1": y - 2, "x2": x, "y2": y + h_group, "stroke": "#d62728"})
        y += h_group + GAP
    return {"width": WIDTH, "height": y + 4, "rects": rects, "lines": lines, "texts": texts}


#: A colour per field status (jobs.common.fields.FIELD_STATUSES): usable values green/blue, doubtful
#: yellow/purple, unusable red, absent grey, so a field's bar reads at a glance.
STATUS_COLOURS = {"valid": "#66c2a5", "repaired": "#8da0cb", "ambiguous": "#ffd92f", "masked": "#e78ac3", "invalid": "#fc8d62",
                  "missing": "#b3b3b3"}


def stacked_bars(groups: Sequence[tuple[str, Mapping[str, int]]], series: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Horizontal stacked bars: one bar per group, one segment per series, lengths proportional to the
    counts (the longest bar spans the plot width), the group's total written after its bar.

    Args:
        groups: (label, ``{series key: count}``); a key not in ``series`` is not drawn.
        series: (key, legend name) in stacking order.

    Returns:
        As :func:`grouped_bars`; each segment's ``title`` holds its exact count.
    """
    top = 24
    present = [(k, name) for k, name in series if any(counts.get(k) for _, counts in groups)]
    maximum = max([sum(int(counts.get(k) or 0) for k, _ in present) for _, counts in groups] + [1])
    k_scale = _scale(maximum, WIDTH - LABEL_W - 70)
    rects, texts = [], []
    for i, (key, name) in enumerate(present):
        x = LABEL_W - 150 + i * 90
        rects.append({"x": x, "y": 4, "w": 12, "h": 12, "fill": STATUS_COLOURS.get(key, COLOURS[i % len(COLOURS)]), "title": name})
        texts.append({"x": x + 16, "y": 14, "text": name, "anchor": "start"})
    y = top
    for label, counts in groups:
        x = float(LABEL_W)
        texts.append({"x": LABEL_W - 6, "y": y + BAR - 6, "text": label, "anchor": "end"})
        for i, (key, name) in enumerate(present):
            n = int(counts.get(key) or 0)
            if n:
                w = round(n * k_scale, 1)
                rects.append({"x": round(x, 1), "y": y, "w": w, "h": BAR - 3, "fill": STATUS_COLOURS.get(key, COLOURS[i % len(COLOURS)]),
                              "title": f"{label} — {name}: {n:,}"})
                x += w
        total = sum(int(counts.get(k) or 0) for k, _ in present)
        texts.append({"x": round(x + 4, 1), "y": y + BAR - 6, "text": f"{total:,}", "anchor": "start"})
        y += BAR + GAP
    return {"width": WIDTH, "height": y + 4, "rects": rects, "lines": [], "texts": texts}


def bin_values(values: Sequence[float], bin_width: float = 1.0) -> dict[int, int]:
    """Counts per bin index ``k`` of ``[k·w, (k+1)·w)``."""
    out: dict[int, int] = {}
    for v in values:
        k = math.floor(v / bin_width)
        out[k] = out.get(k, 0) + 1
    return out


def weight_bins_of(summary: Mapping[str, Any]) -> dict[int, int]:
    """Bin index → candidate pairs from ``summary.json`` ``match_weight_histogram`` (``bins``:
    ``[[k, pairs]]``, every scored candidate pair of the deduplicate stage per 1-bit bin); ``{}``
    when the summary has none (a bundle made before the deduplicate stage wrote the bins)."""
    return {int(k): int(n) for k, n in (summary.get("match_weight_histogram") or {}).get("bins", [])}


def histogram(bins: Mapping[int, int], *, threshold: float | None, bin_width: float = 1.0, label: str = "") -> dict[str, Any] | None:
    """Vertical histogram of bin counts (bin index ``k`` covers ``[k·w, (k+1)·w)``; empty bins between
    are drawn as zero), with a red line at ``threshold``; ``None`` when there are no values.

    Returns:
        As :func:`grouped_bars`, plus ``bins``: ``[(low, count)]``.
    """
    if not bins:
        return None
    keys = list(bins) + ([math.floor(threshold / bin_width)] if threshold is not None else [])
    lo, hi = min(keys), max(keys)
    counts = {k: int(bins.get(k, 0)) for k in range(lo, hi + 1)}
    height, left, bottom = 200, 40, 30
    n = len(counts)
    bw = (WIDTH - left - 10) / n
    k = _scale(max(counts.values()), height - 20)
    rects, texts, lines = [], [], []
    for i, (b, c) in enumerate(sorted(counts.items())):
        h = round(c * k, 1)
        x = round(left + i * bw, 1)
        rects.append({"x": x, "y": round(height - h, 1), "w": round(max(bw - 1, 1), 1), "h": h, "fill": COLOURS[2],
                      "title": f"[{b * bin_width:g}, {(b + 1) * bin_width:g}): {c:,}"})
        if n <= 40 or i % max(1, n // 20) == 0:
            texts.append({"x": round(x + bw / 2, 1), "y": height + 14, "text": f"{b * bin_width:g}", "anchor": "middle"})
    texts.append({"x": left, "y": 12, "text": f"{max(counts.values()):,}", "anchor": "end"})
    if threshold is not None:
        x = round(left + (threshold / bin_width - lo) * bw, 1)
        lines.append({"x1": x, "y1": 0, "x2": x, "y2": height, "stroke": "#d62728"})
        texts.append({"x": x + 4, "y": 12, "text": label, "anchor": "start"})
    return {"width": WIDTH, "height": height + bottom, "rects": rects, "lines": lines, "texts": texts,
            "bins": [(b * bin_width, c) for b, c in sorted(counts.items())]}


def page_charts(summary: Mapping[str, Any], per_item: Sequence[Mapping[str, Any]], weight_bins: Mapping[int, int], t, *,
                all_pairs: bool = True) -> dict[str, Any]:
    """The charts of ``summary.html``.

    Args:
        summary: ``summary.json``.
        per_item: per evidence item ``path``, ``rows_read``, ``quarantined``, ``untrue``, ``duplicated``.
        weight_bins: bin index → candidate pairs: the match weights (bits) of every candidate pair the
            deduplicate stage scored, per 1-bit bin (:func:`weight_bins_of`; bundles made before that
            have only their probable-duplicate links' weights, :func:`bin_values`).
        t: the :class:`jobs.export.i18n.Catalog`.
        all_pairs: ``weight_bins`` hold every candidate pair (``False``: only the links of an older
            bundle); sets ``weights_all_pairs``, which picks the histogram's caption.
    """
    charts: dict[str, Any] = {}
    if "lower_bound" in summary:
        cats = list(summary["lower_bound"]["categories"])
        groups = [(t(f"category_short.{c}", default=c), [summary["upper_bound"]["categories"][c]["unique_records"],
                                                                summary["lower_bound"]["categories"][c]["unique_records"]])
                  for c in cats]
        markers = [summary["lower_bound"]["categories"][c]["threshold"] for c in cats]
        charts["categories"] = grouped_bars(groups, [t("chart.upper"), t("chart.lower")],
                                            markers=markers, marker_label=t("page.legend_threshold"))
    if per_item:
        charts["items"] = grouped_bars([(str(i["path"])[-28:], [i["rows_read"], i["quarantined"], i["untrue"], i["duplicated"]]) for i in per_item],
                                       [t("page.legend_read"), t("page.legend_quarantined"), t("page.legend_untrue"), t("page.legend_duplicated")])
    if summary.get("field_statuses"):
        statuses = list(FIELD_STATUSES) + sorted({k for st in summary["field_statuses"].values() for k in st["status"]} - set(FIELD_STATUSES))
        charts["statuses"] = stacked_bars([(t(f"field.{f}", default=f), st["status"]) for f, st in summary["field_statuses"].items()],
                                          [(k, t(f"status.{k}", default=k)) for k in statuses])
    threshold = (summary.get("linkage") or {}).get("threshold_match_weight")
    charts["weights"] = histogram(weight_bins, threshold=threshold, label=f"{threshold:g}" if threshold is not None else "")
    charts["weights_all_pairs"] = all_pairs
    return charts
