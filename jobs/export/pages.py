"""The human-readable pages of a case file and of a case report, from Jinja2 templates.

``templates/_base.html.j2`` holds the page frame and the one stylesheet; ``summary.html.j2`` is a
seizure's ``summary.html`` (export stage, with the inline SVG charts of ``_charts.html.j2``),
``validation.html.j2`` its ``validation.html``, ``case_summary.html.j2`` the case report's
``case_summary.html`` (:mod:`jobs.case_report.job`). The pages are self-contained: no scripts, no
external resources. Every text of the seizure pages comes from the catalog
(:mod:`jobs.export.i18n`, zh-CN by default, English on request). Autoescape is on for every template: a value is escaped by the template engine,
never by a hand-built string. The pages show counts, rules and hashes, never record values.

Not named ``html.py``: ``spark-submit jobs/export/job.py`` puts ``jobs/export/`` first on
``sys.path``, where a module ``html`` would shadow the standard library's (which Jinja2 and
``html.parser`` import).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jobs.export.i18n import Catalog
from jobs.export.summary import ART11_RULE_SEIZURE

#: How a tier is named on a page (法释〔2017〕10号 art. 5: 情节严重 / 情节特别严重).
TIER_NAMES: dict[str, str] = {"below_threshold": "below the threshold (未达情节严重)", "serious": "serious (情节严重)",
                              "especially_serious": "especially serious (情节特别严重)"}


def thousands(value: Any) -> str:
    """``1234567`` → ``1,234,567`` (Python's ``,`` format)."""
    return f"{value:,}"


def fixed6(value: Any) -> str:
    """A number with six decimals (``0.006800``): weighted totals and ratios."""
    return f"{value:.6f}"


def percent(value: Any, digits: int = 2) -> str:
    """A proportion as a percentage (``0.25527`` → ``25.53 %``; ``digits`` decimals): the review's estimates
    and intervals, to the 4 decimals a published interval is quoted with (Newcombe 1998)."""
    return f"{100 * float(value):.{digits}f} %"


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment: templates of ``jobs/export/templates`` (loaded through the package, so
    they are found in an installed package and in a zip), autoescape on, undefined values an error."""
    env = Environment(loader=PackageLoader("jobs.export", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
                      undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["thousands"] = thousands
    env.filters["fixed6"] = fixed6
    env.globals["percent"] = percent
    env.globals["tier_names"] = TIER_NAMES
    env.globals["lang"] = "zh-CN"
    return env


def render_summary(summary: Mapping[str, Any], *, run_id: str, manifest_digest: str, catalog: Catalog | None = None,
                   items: Sequence[Mapping[str, Any]] = (), charts: Mapping[str, Any] | None = None,
                   hash_algorithms: Sequence[str] = ("sha256", "md5", "sm3"),
                   tier_rule: tuple[float, float] = (1.0, 10.0)) -> str:
    """``summary.html`` of a seizure's bundle, in the catalog's language (default zh-CN).

    Args:
        summary: the bundle's ``summary.json`` (export stage).
        run_id: the Airflow run id of the bundle.
        manifest_digest: SHA-256 (hex) of the bundle's ``manifest.json``.
        catalog: the texts (:mod:`jobs.export.i18n`); zh-CN when ``None``.
        items: the evidence items (``path``, ``bytes``, hashes, parse statistics).
        charts: :func:`jobs.export.charts.page_charts` output (inline SVG; none when ``None``).
        hash_algorithms: the hash columns of the evidence list.
        tier_rule: weighted totals of 情节严重 and 情节特别严重 (``categories.yaml`` ``tier_rule``).
    """
    t = catalog or Catalog()
    hashes = [a for a in hash_algorithms if any(a in i for i in items)]
    cols = [c for c in ("path", "bytes", *hashes, "format", "rows_read", "records", "rows_quarantined") if any(c in i for i in items) or c == "path"]
    return environment().get_template("summary.html.j2").render(
        s=summary, run_id=run_id, manifest_digest=manifest_digest, art11_rule=ART11_RULE_SEIZURE, t=t, lang=t.language,
        items=[{k: ("|".join(v) if isinstance(v, list) else v) for k, v in i.items()} for i in items], evidence_columns=cols,
        hash_columns=hashes, charts=charts or {}, tier_rule=[f"{x:g}" for x in tier_rule])


def render_validation(rows: Sequence[Mapping[str, Any]], *, case_id: str, seizure_id: str, catalog: Catalog | None = None) -> str:
    """``validation.html``: the Great Expectations results as a table, one row per expectation.

    Args:
        rows: :func:`jobs.export.workbook.validation_rows` (suite, expectation, column, success,
            element_count, unexpected_count).
        case_id, seizure_id: the bundle's case and seizure.
        catalog: the texts; zh-CN when ``None``.
    """
    t = catalog or Catalog()
    return environment().get_template("validation.html.j2").render(rows=rows, case_id=case_id, seizure_id=seizure_id, t=t, lang=t.language)


def render_case_summary(summary: Mapping[str, Any], *, manifest_digest: str, catalog: Catalog | None = None,
                        art11_items: Sequence[str] | None = None) -> str:
    """``case_summary.html`` of a case report, in the catalog's language (default zh-CN).

    Args:
        summary: the report's ``case_summary.json``.
        manifest_digest: SHA-256 (hex) of the report's ``manifest.json``.
        catalog: the texts (:mod:`jobs.export.i18n`); zh-CN when ``None``.
        art11_items: the texts of 法释〔2017〕10号 art. 11 items 1, 2 and 3 the page cites; ``None``:
            the catalog's ``case.art11_item1``–``3`` (the law's own wording in zh-CN).
    """
    t = catalog or Catalog()
    item1, item2, item3 = art11_items or (t("case.art11_item1"), t("case.art11_item2"), t("case.art11_item3"))
    categories = list(next(iter(summary["case"].values()))["categories"])
    return environment().get_template("case_summary.html.j2").render(
        s=summary, manifest_digest=manifest_digest, cats=categories, item1=item1, item2=item2, item3=item3, t=t, lang=t.language)
