"""Export stage: build the case-file bundle, validate it, then publish it (write-audit-publish).

Bundle (``casefiles/<case>/<seizure>/<run>/``): ``records.csv``, ``duplicates.csv``,
``quarantine.csv``, ``evidence_items.csv`` (UTF-8 with BOM, for Excel on zh-CN Windows),
``summary.json``, ``summary.html``, ``manifest.json``, ``validation/`` and ``SHA256SUMS``.
``latest`` moves to the run only after every check passed. The data files (CSVs, summary.json)
depend only on the inputs, code and configuration, never on the run or the clock.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from jobs.common import paths
from jobs.common.config import REPO_ROOT
from jobs.common.custody import HASH_ALGORITHMS, Ledger, canonical_json, hash_file
from jobs.common.errors import LedgerError
from jobs.engine.schemas import CANONICAL_FIELDS, QUARANTINE
from jobs.engine.stage import Stage, StageResult, StageRun
from jobs.export.report import bound_summaries, category_summary, count_statement, headline_tier, render_html

STAGE = "export"
BOM = "\ufeff".encode("utf-8")
LOCATOR = ["item_sha256", "item_path", "sheet", "line_number", "byte_offset"]


def record_columns(available: Sequence[str]) -> list[str]:
    """Columns of ``records.csv`` in a fixed order: id, per field (raw, value, status, reason and
    derived values), category, cluster size, locator."""
    cols = ["record_id"]
    derived = {"name": ["name_key"], "id_number": ["id_birth_date", "id_sex", "id_region_code", "id_region_status", "id_review"],
               "phone": ["phone_kind"], "bank_card": ["bank_card_luhn"],
               "address": ["address_province", "address_city", "address_district", "address_division_code",
                           "address_remainder", "address_candidates", "address_division_source"]}
    for f in CANONICAL_FIELDS:
        cols += [f"{f}_raw", f, f"{f}_status", f"{f}_reason", *derived.get(f, [])]
    cols += ["category", "cluster_size", "count_status", "exclusion_reason", "probable_survivor_record_id", "lower_category", *LOCATOR, "extra"]
    return [c for c in cols if c in available]


def csv_ready(df):
    """Array columns (e.g. ``address_candidates``) as ``|``-joined text: CSV holds scalars only."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType

    for f in df.schema.fields:
        if isinstance(f.dataType, ArrayType):
            df = df.withColumn(f.name, F.array_join(F.col(f.name), "|"))
    return df


def write_csv(sr: StageRun, df, columns: Sequence[str], order: Sequence[str], dest: Path, scratch: str) -> int:
    """Write ``df[columns]`` sorted by ``order`` to ``dest`` as one RFC 4180 CSV with BOM and header.

    Spark writes the sorted partitions; they are concatenated in partition order, so the bytes
    depend only on the data. Returns the number of data rows.
    """
    location = sr.storage.spark_path("work", scratch)
    (df.select(*columns).orderBy(*order).write.mode("overwrite")
       .option("header", False).option("quote", '"').option("escape", '"').option("escapeQuotes", True)
       .option("ignoreLeadingWhiteSpace", False).option("ignoreTrailingWhiteSpace", False)
       .option("nullValue", "").option("emptyValue", '""').option("lineSep", "\n").option("encoding", "UTF-8")
       .csv(location))
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(columns)
    parts = sorted(Path(location).glob("part-*.csv"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(dest, "wb") as out:
        out.write(BOM + head.getvalue().encode("utf-8"))
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out)
    # Count data rows by reading the file back as CSV (a quoted field may hold a line break).
    with open(dest, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for _ in reader:
            rows += 1
    return rows


def evidence_items_csv(items: list[dict], dest: Path) -> None:
    cols = ["path", "bytes", *HASH_ALGORITHMS, "format", "encoding", "encoding_confidence", "separator", "sheets",
            "rows_read", "records", "rows_quarantined", "header_rows", "blank_lines", "physical_lines", "continuation_lines"]
    cols = [c for c in cols if any(c in i for i in items) or c in ("path",)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for item in items:
        w.writerow(["|".join(item[c]) if isinstance(item.get(c), list) else item.get(c, "") for c in cols])
    dest.write_bytes(BOM + buf.getvalue().encode("utf-8"))


def code_version() -> str:
    import importlib.metadata as md

    version = md.version("casefile")
    head = REPO_ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (REPO_ROOT / ".git" / ref[5:]).read_text().strip()
        return f"{version}+g{ref[:12]}"
    except OSError:
        return version


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    names = ["pyspark", "great-expectations", "apache-airflow", "apache-airflow-providers-apache-spark", "opencc", "phonenumbers", "python-stdnum", "openpyxl", "charset-normalizer", "pyarrow"]
    out = {}
    for n in names:
        try:
            out[n] = md.version(n)
        except md.PackageNotFoundError:
            pass
    return out


class ExportStage(Stage):
    """Build the bundle from the committed stages, audit it against their ledgers and suites, publish it."""

    name = STAGE

    def build(self, run: StageRun) -> StageResult:
        manifests = {s: run.manifest(s) for s in ("intake", "normalize", "deduplicate")}
        bundle_key = paths.casefile_prefix(run.ctx)
        bundle_attempt = paths.casefile_attempt(run.ctx)
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
        n_records = write_csv(run, csv_ready(unique), record_columns(unique.columns), ["item_path", "sheet", "line_number", "record_id"], out / "records.csv", f"{run.attempt}/csv/records")
        link_cols = ["record_id", "survivor_record_id", "reason", "content_key", "item_sha256", "item_path", "sheet", "line_number",
                     "linked_record_id", "match_weight", "match_probability", *sorted(c for c in links.columns if c.startswith("level_"))]
        n_dups = write_csv(run, links, [c for c in link_cols if c in links.columns],
                           ["item_path", "sheet", "line_number", "record_id"], out / "duplicates.csv", f"{run.attempt}/csv/duplicates")
        n_quar = write_csv(run, quarantine, ["item_sha256", "item_path", "sheet", "line_number", "byte_offset", "stage", "reason_code", "raw_line"],
                           ["item_path", "sheet", "line_number"], out / "quarantine.csv", f"{run.attempt}/csv/quarantine")
        evidence_items_csv(items, out / "evidence_items.csv")

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
            "count_statement": count_statement(raw_rows, li["quarantined"], li["records_out"], counts, rules),
            **bounds,
            "field_statuses": counts["field_statuses"],
            "config_digest": run.config.digest(),
        }
        (out / "summary.json").write_bytes(canonical_json(summary))

        files = sorted(p for p in out.rglob("*") if p.is_file())
        manifest = {
            "case_id": run.ctx.case_id, "seizure_id": run.ctx.seizure_id, "run_id": run.ctx.run_id,
            "code_version": code_version(), "config_digest": run.config.digest(), "libraries": library_versions(),
            "evidence_items": [{"path": i["path"], "bytes": i["bytes"], **{a: i[a] for a in HASH_ALGORITHMS if a in i}} for i in items],
            "ledgers": {**{s: m["ledger"] for s, m in manifests.items()}, STAGE: ledger.to_dict()},
            "files": {p.relative_to(out).as_posix(): hash_file(p) for p in files},
            "hash_algorithms": list(HASH_ALGORITHMS),
        }
        manifest_bytes = canonical_json(manifest)
        (out / "manifest.json").write_bytes(manifest_bytes)
        import hashlib

        (out / "summary.html").write_text(render_html(summary, run_id=run.ctx.run_id, manifest_digest=hashlib.sha256(manifest_bytes).hexdigest()), encoding="utf-8")
        sums = []
        for p in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = p.relative_to(out).as_posix()
            sums.append(f"{hash_file(p)['sha256']}  {rel}\n")
        (out / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")

        run.storage.move_prefix("casefiles", bundle_attempt, bundle_key)
        run.storage.write_bytes("casefiles", paths.latest_pointer(run.ctx.case_id, run.ctx.seizure_id), (run.ctx.run_key + "\n").encode())
        return StageResult(ledger, {"bundle": bundle_key, "summary": {k: summary[k] for k in ("raw_rows", "unique_records", "weighted_total", "tier")}},
                           f"export published {bundle_key}: {n_records} unique records, tier {summary['tier']}")


if __name__ == "__main__":
    raise SystemExit(ExportStage().main())
