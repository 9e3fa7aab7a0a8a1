"""Export stage: build the case-file bundle, validate it, then publish it (write-audit-publish).

Bundle (``casefiles/<case>/<seizure>/<run>/``): ``records.csv``, ``duplicates.csv``,
``quarantine.csv``, ``evidence_items.csv`` (UTF-8 with BOM, for Excel on zh-CN Windows; no cell
can run as a formula: :mod:`jobs.export.cells`), ``case_file.xlsx`` (:mod:`jobs.export.workbook`),
``summary.json``, ``summary.html`` (with inline SVG charts), ``validation.html``, the reader's guide
(``说明.txt`` or ``README.txt``), ``evidence_register.json`` (the register as this run's intake
sealed it) and ``evidence_folder_refusals.json`` (:func:`jobs.intake.evidence.bundle_custody_files`),
``manifest.json``, ``validation/`` and ``SHA256SUMS``. Pages,
workbook and guide are in ``report.language`` (zh-CN by default, :mod:`jobs.export.i18n`), or in the
language of ``--report-language`` (``casefile run --lang``, the DAG param ``report_language``).
``latest`` moves to the run only after every check passed. The data files (CSVs, summary.json)
depend only on the inputs, code and configuration, never on the run or the clock.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jobs.common import paths
from jobs.common.config import REPORT_LANGUAGES
from jobs.common.custody import HASH_ALGORITHMS, Ledger, canonical_json, code_version, library_versions, write_sha256sums
from jobs.common.errors import LedgerError
from jobs.engine.schemas import QUARANTINE
from jobs.engine.stage import Stage, StageResult, StageRun
from jobs.export.bundle import BOM, csv_ready, evidence_items_csv, publish, record_columns, write_manifest, write_table
from jobs.export.cells import RULE as NEUTRALIZATION_RULE
from jobs.export.charts import page_charts, weight_bins_of
from jobs.export.i18n import Catalog
from jobs.export.pages import render_summary, render_validation
from jobs.export.summary import bound_summaries, category_summary, count_statement, headline_tier
from jobs.export.workbook import validation_rows, write_workbook
from jobs.intake.evidence import REGISTER, bundle_custody_files, run_register_bytes
from jobs.review.custody import applied_decisions, bundle_keys, log_head_sha256, review_manifest_section
from jobs.review.decisions import DecisionLog
from jobs.review.report import review_summary, unreviewed_link_gain, write_review_csv

STAGE = "export"


class ExportStage(Stage):
    """Build the bundle from the committed stages, audit it against their ledgers and suites, publish it."""

    name = STAGE

    @classmethod
    def add_arguments(cls, parser) -> None:
        # ``casefile run --lang`` through the DAG param ``report_language``; empty: ``report.language``.
        parser.add_argument("--report-language", default="", choices=("", *REPORT_LANGUAGES),
                            help="language of pages, workbook and guide (default: report.language of the configuration)")

    def build(self, run: StageRun, *, report_language: str = "") -> StageResult:
        manifests = {s: run.manifest(s) for s in ("intake", "normalize", "deduplicate")}
        # Issue 17: with review decisions the bundle gets its own key; the bundle it reviewed stays as sealed.
        review_entries = applied_decisions(DecisionLog(run.storage, run.ctx.case_id, run.ctx.seizure_id).entries(),
                                           run.read_json("deduplicate", "counts.json").get("review_log"))
        bundle_key, bundle_attempt, bundle_pointer = bundle_keys(run.ctx, review_entries)
        run.storage.delete_prefix("casefiles", bundle_attempt)
        run.storage.delete_prefix("casefiles", bundle_key)  # an unpublished bundle left by a failed attempt
        out = Path(run.storage.spark_path("casefiles", bundle_attempt))
        out.mkdir(parents=True)

        unique = run.read_committed("deduplicate", "unique_records")
        links = run.read_committed("deduplicate", "duplicate_links")
        quarantine = run.read_committed("intake", "quarantine", schema=QUARANTINE)
        items = run.read_json("intake", "evidence_items.json")
        counts = run.read_json("deduplicate", "counts.json")

        n_unique_in = manifests["deduplicate"]["datasets"]["unique_records"]
        scratch = {name: run.storage.spark_path("work", f"{run.attempt}/csv/{name}") for name in ("records", "duplicates", "quarantine")}
        written = {"records.csv": write_table(csv_ready(unique), record_columns(unique.columns), ["item_path", "sheet", "line_number", "record_id"],
                                              out / "records.csv", scratch["records"])}
        link_cols = ["record_id", "survivor_record_id", "reason", "content_key", "item_sha256", "item_path", "sheet", "line_number",
                     "linked_record_id", "match_weight", "match_probability", *sorted(c for c in links.columns if c.startswith("level_"))]
        written["duplicates.csv"] = write_table(links, [c for c in link_cols if c in links.columns], ["item_path", "sheet", "line_number", "record_id"],
                                                out / "duplicates.csv", scratch["duplicates"])
        written["quarantine.csv"] = write_table(quarantine, ["item_sha256", "item_path", "sheet", "line_number", "byte_offset", "stage", "reason_code", "raw_line"],
                                                ["item_path", "sheet", "line_number"], out / "quarantine.csv", scratch["quarantine"])
        n_records, n_dups, n_quar = (written[f].rows for f in ("records.csv", "duplicates.csv", "quarantine.csv"))
        neutralized = {f: w.neutralized for f, w in written.items()}
        neutralized["evidence_items.csv"] = evidence_items_csv(items, out / "evidence_items.csv")

        # Audit: the published files must reproduce every stage's ledger exactly.
        ledger = Ledger(STAGE, records_in=n_unique_in, records_out=n_records).check()
        li, ld = manifests["intake"]["ledger"], manifests["deduplicate"]["ledger"]
        n_probable = int(manifests["deduplicate"]["datasets"].get("probable_duplicates", 0))
        if n_quar != li["quarantined"] or n_dups != ld["duplicates"] + n_probable or ld["records_in"] != li["records_out"]:
            raise LedgerError(f"bundle does not reproduce the stage ledgers: quarantine.csv {n_quar} vs {li['quarantined']}, duplicates.csv {n_dups} vs {ld['duplicates']} + {n_probable}")
        published = run.spark.read.option("header", True).option("multiLine", True).option("escape", '"').csv(str(out / "records.csv"))
        run.audit(published, "casefile_records", expected_rows=n_unique_in, report_to=out / "validation" / "casefile_records.json",
                  row_count_source=None)
        for stage in ("intake", "normalize", "deduplicate"):
            for key in run.storage.list("work", f"{paths.stage_data(run.ctx, stage)}/validation"):
                (out / "validation" / Path(key).name).write_bytes(run.storage.read_bytes("work", key))
        # issue 13: the folder refusals and the register as intake sealed it, covered by manifest.json and SHA256SUMS
        register = run_register_bytes(run.storage, run.ctx)
        bundle_custody_files(run.storage, run.ctx.case_id, run.ctx.seizure_id, out,
                             register=register[0] if register else None, register_sha256=register[1] if register else None)

        legal = run.config.legal
        rules = legal.categories
        exact_view = category_summary(counts["categories"], rules, insider=legal.insider,
                                      tier_serious=legal.tier_serious, tier_especially_serious=legal.tier_especially_serious)
        bounds = bound_summaries(counts, rules, insider=legal.insider, tier_serious=legal.tier_serious,
                                 tier_especially_serious=legal.tier_especially_serious)
        raw_rows = li["records_in"]
        summary = {
            "case_id": run.ctx.case_id,
            "seizure_id": run.ctx.seizure_id,
            "raw_rows": raw_rows,
            "quarantined_rows": li["quarantined"],
            "records": li["records_out"],
            "duplicate_records": ld["duplicates"],
            "unique_records": ld["records_out"],
            "categories": exact_view["categories"],
            **headline_tier(bounds),
            "insider": legal.insider,
            "count_statement": count_statement(raw_rows, li["quarantined"], li["records_out"], counts, rules, items),
            **bounds,
            "field_statuses": counts["field_statuses"],
            "config_digest": run.config.digest(),
        }
        histogram = _weight_histogram(run)
        if histogram is not None:
            summary["match_weight_histogram"] = histogram
        if review_entries:  # issue 17: review.csv and the review section (no decision: the bundle is as before)
            summary["review"] = _review_section(review_entries, counts, links, unique, bounds, legal, run)
            write_review_csv(review_entries, out / "review.csv")
        (out / "summary.json").write_bytes(canonical_json(summary))

        # For people: the workbook, the validation page and the reader's guide, in the report language.
        t = Catalog(report_language or run.config.report_language)
        book = write_workbook(out / "case_file.xlsx", out, summary, items, catalog=t, hash_algorithms=HASH_ALGORITHMS)
        (out / "validation.html").write_text(render_validation(validation_rows(out / "validation"), case_id=run.ctx.case_id,
                                                               seizure_id=run.ctx.seizure_id, catalog=t), encoding="utf-8")
        (out / t("guide.file_name")).write_bytes(BOM + t("guide.text", case_id=run.ctx.case_id, seizure_id=run.ctx.seizure_id)
                                                 .replace("\n", "\r\n").encode("utf-8"))

        manifest_bytes = write_manifest(out, {
            "case_id": run.ctx.case_id, "seizure_id": run.ctx.seizure_id, "run_id": run.ctx.run_id,
            "code_version": code_version(), "config_digest": run.config.digest(), "libraries": library_versions(),
            "evidence_items": [{"path": i["path"], "bytes": i["bytes"], **{a: i[a] for a in HASH_ALGORITHMS if a in i}} for i in items],
            "ledgers": {**{s: m["ledger"] for s, m in manifests.items()}, STAGE: ledger.to_dict()},
            "hash_algorithms": list(HASH_ALGORITHMS),
            **({"evidence_register": {"file": REGISTER, "sha256": register[1]}} if register else {}),
            "csv_neutralization": {"rule": NEUTRALIZATION_RULE, "cells": {f: n for f, n in neutralized.items() if n}},
            "workbook": {"file": "case_file.xlsx", "sheets": book.sheets, "cells_cut_at_32767_characters": book.truncated_cells},
            "report_language": t.language,
            **({"review": review_manifest_section(run.storage, run.ctx, review_entries)} if review_entries else {}),
        })
        all_pairs = "match_weight_histogram" in summary  # else a deduplicate output from before the bins: its links' weights
        charts = page_charts(summary, _per_item(items, unique, links), weight_bins_of(summary) if all_pairs else _link_weight_bins(links), t,
                             all_pairs=all_pairs)
        (out / "summary.html").write_text(render_summary(summary, run_id=run.ctx.run_id, manifest_digest=hashlib.sha256(manifest_bytes).hexdigest(),
                                                         catalog=t, items=items, charts=charts, hash_algorithms=HASH_ALGORITHMS,
                                                         tier_rule=(legal.tier_serious, legal.tier_especially_serious)),
                                          encoding="utf-8")
        write_sha256sums(out)

        publish(run.storage, bundle_attempt, bundle_key, paths.latest_pointer(run.ctx.case_id, run.ctx.seizure_id), bundle_pointer)
        return StageResult(ledger, {"bundle": bundle_key, "summary": {k: summary[k] for k in ("raw_rows", "unique_records", "weighted_total", "tier")}},
                           f"export published {bundle_key}: {n_records} unique records, tier {summary['tier']}")


def _review_section(entries, counts: dict, links, unique, bounds: dict, legal, run) -> dict:
    """``summary.json`` ``review`` (:func:`jobs.review.report.review_summary`); only ids and categories reach the driver."""
    from pyspark.sql import functions as F

    lo = bounds["lower_bound"]
    thresholds = {k: float(v["threshold"]) for k, v in lo["categories"].items()}
    rows = (links.where(F.col("reason") == "probable_duplicate").select("record_id", "linked_record_id")
            .join(unique.select("record_id", "category"), "record_id").collect())
    gain = unreviewed_link_gain([(r["record_id"], r["linked_record_id"], r["category"]) for r in rows], entries, thresholds)
    return review_summary(entries, counts.get("review"), unreviewed_gain=gain, lower_weighted_total=lo["weighted_total"],
                          tier_thresholds=(legal.tier_serious, legal.tier_especially_serious),
                          head_sha256=log_head_sha256(entries))


def _per_item(items: list[dict], unique, links) -> list[dict]:
    """Per evidence item (intake's order): ``path``, ``rows_read``, ``quarantined`` (intake), ``untrue``
    (unique records with ``count_status`` untrue) and ``duplicated`` (rows of ``duplicate_links``),
    for the page's chart. Counts only."""
    from pyspark.sql import functions as F

    untrue = {r["item_path"]: r["n"] for r in unique.where(F.col("count_status") == "untrue").groupBy("item_path").agg(F.count("*").alias("n")).collect()}
    dups = {r["item_path"]: r["n"] for r in links.groupBy("item_path").agg(F.count("*").alias("n")).collect()}
    return [{"path": i["path"], "rows_read": int(i.get("rows_read") or 0), "quarantined": int(i.get("rows_quarantined") or 0),
             "untrue": int(untrue.get(i["path"], 0)), "duplicated": int(dups.get(i["path"], 0))} for i in items if "rows_read" in i]


def _link_weight_bins(links) -> dict[int, int]:
    """Probable-duplicate links per 1-bit bin of ``match_weight`` (``floor``): the histogram of a
    deduplicate output committed before ``match_weight_bins.json`` existed."""
    from pyspark.sql import functions as F

    if "match_weight" not in links.columns:
        return {}
    rows = (links.where(F.col("match_weight").isNotNull()).groupBy(F.floor("match_weight").alias("k"))
            .agg(F.count("*").alias("n")).collect())
    return {int(r["k"]): int(r["n"]) for r in rows}


def _weight_histogram(run) -> dict | None:
    """``summary.json`` ``match_weight_histogram``: deduplicate's ``match_weight_bins.json`` (every
    scored candidate pair per 1-bit bin of ``match_weight``, :func:`jobs.deduplicate.linkage.scoring.weight_bins`);
    ``None`` for a deduplicate output committed before that file existed (:func:`_link_weight_bins` then)."""
    key = f"{paths.stage_data(run.ctx, 'deduplicate')}/match_weight_bins.json"
    if not run.storage.exists("work", key):
        return None
    doc = run.read_json("deduplicate", "match_weight_bins.json")
    return {"bin_width_bits": doc["bin_width_bits"], "candidate_pairs": doc["candidate_pairs"],
            "threshold_match_weight": doc["threshold_match_weight"], "bins": [[int(k), int(n)] for k, n in doc["bins"]]}


if __name__ == "__main__":
    raise SystemExit(ExportStage().main())
