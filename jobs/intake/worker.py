"""The per-item intake worker, run inside a Spark task: parse one evidence item
(:mod:`jobs.intake.formats`), map its columns (:mod:`jobs.intake.columns`) and write its raw records
and quarantine rows (:mod:`jobs.intake.records`) as Parquet parts with pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jobs.common.config import IntakeSettings
from jobs.common.fields import CANONICAL_FIELDS
from jobs.intake.columns import HeaderMapper, column_mapping
from jobs.intake.formats import PARSERS, detect_format
from jobs.intake.formats.rows import UNREADABLE_ITEM, UNSUPPORTED_FORMAT, ItemStats, ParsedRow, ParseOptions
from jobs.intake.records import to_quarantine, to_raw_record

#: Raw records buffered before they are written to the item's Parquet part.
BATCH_ROWS = 50_000


def _arrow_schemas():
    import pyarrow as pa

    locator = [("item_sha256", pa.string()), ("item_path", pa.string()), ("sheet", pa.string()),
               ("line_number", pa.int64()), ("byte_offset", pa.int64())]
    raw = pa.schema([("record_id", pa.string()), *locator, *[(f"{f}_raw", pa.string()) for f in CANONICAL_FIELDS], ("extra", pa.string())])
    quarantine = pa.schema([*locator, ("stage", pa.string()), ("reason_code", pa.string()), ("raw_line", pa.string())])
    return raw, quarantine


def write_empty_parts(out_dir: str) -> None:
    """Empty ``raw_records`` and ``quarantine`` parts (a seizure with no parsable item)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw_schema, q_schema = _arrow_schemas()
    for name, schema in (("raw_records", raw_schema), ("quarantine", q_schema)):
        Path(out_dir, name).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([], schema=schema), Path(out_dir, name, "part-empty.parquet"))


def parse_options(synonyms: Mapping[str, Iterable[str]], settings: Mapping[str, Any] | None = None) -> ParseOptions:
    """Parser options from the synonyms table and the ``intake`` settings (configs/pipeline.yaml)."""
    intake = IntakeSettings.from_dict(settings)  # the one set of defaults, and the same validation
    return ParseOptions(
        header_names=HeaderMapper(synonyms).names,
        header_search_rows=intake.header_search_rows,
        max_quoted_lines=intake.max_quoted_lines,
        infer_sample_rows=intake.infer_sample_rows,
        infer_min_share=intake.infer_min_share,
    )


def parse_item_to_parquet(item: Mapping[str, Any], out_dir: str, synonyms: Mapping[str, Iterable[str]],
                          settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parse one evidence item and write ``raw_records/part-<index>.parquet`` and
    ``quarantine/part-<index>.parquet`` under ``out_dir``. Runs inside a Spark task.

    Args:
        item: ``{"index": int, "path": str (inside the seizure; archive members
            ``<archive path>/<member path>``), "local_path": str, "sha256": str}``, optionally
            ``"name"`` (the file name whose extension decides the format, for extracted members).
        out_dir: the stage's attempt folder.
        synonyms: the column synonyms table.
        settings: the ``intake`` section of configs/pipeline.yaml (parser options).

    Returns:
        The item's :class:`ItemStats` as a dict, plus ``path``, ``column_mapping`` (sheet → column →
        field or ``extra``), ``column_mapping_reasons`` (the same with how and why, see
        :func:`column_mapping`) and ``line_ledger`` (see :meth:`ItemStats.line_ledger`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw_schema, q_schema = _arrow_schemas()
    local = Path(item["local_path"])
    stats = ItemStats()
    mapper = HeaderMapper(synonyms)
    options = parse_options(synonyms, settings)
    cache: dict = {}
    part = f"part-{item['index']:05d}.parquet"
    raw_dir, q_dir = Path(out_dir, "raw_records"), Path(out_dir, "quarantine")
    raw_dir.mkdir(parents=True, exist_ok=True)
    q_dir.mkdir(parents=True, exist_ok=True)
    raw_batch: list[dict] = []
    q_batch: list[dict] = []
    writer = pq.ParquetWriter(raw_dir / part, raw_schema, compression="zstd")

    def flush() -> None:
        if raw_batch:
            writer.write_table(pa.Table.from_pylist(raw_batch, schema=raw_schema))
            raw_batch.clear()

    try:
        with open(local, "rb") as fh:
            head = fh.read(4096)
        fmt = detect_format(local, head, item.get("name"))
        if fmt == "unsupported":
            stats.format = "unsupported"
            stats.rows_read = stats.rows_quarantined = 1
            q_batch.append(to_quarantine(ParsedRow("", 0, 0, "", reason_code=UNSUPPORTED_FORMAT), item))
        else:
            try:
                for row in PARSERS[fmt](local, stats, options):
                    if row.reason_code:
                        q_batch.append(to_quarantine(row, item))
                    else:
                        raw_batch.append(to_raw_record(row, item, mapper, cache))
                        if len(raw_batch) >= BATCH_ROWS:
                            flush()
            except (ValueError, OSError, KeyError, EOFError, IndexError, AssertionError, RecursionError) as exc:
                # A broken container, a bad JSON document. Nothing of a half-read item is used: the
                # whole item goes to quarantine as one row (reason unreadable_item, exception name).
                raw_batch.clear()
                q_batch.clear()
                fmt_seen = stats.format
                stats = ItemStats(format=fmt_seen)
                stats.rows_read = stats.rows_quarantined = 1
                q_batch.append(to_quarantine(ParsedRow("", 0, 0, type(exc).__name__, reason_code=UNREADABLE_ITEM), item))
                writer.close()
                writer = pq.ParquetWriter(raw_dir / part, raw_schema, compression="zstd")
        flush()
    finally:
        writer.close()
    pq.write_table(pa.Table.from_pylist(q_batch, schema=q_schema), q_dir / part, compression="zstd")
    ledger = stats.line_ledger()
    if stats.rows_read == 1 and stats.rows_quarantined == 1 and q_batch and q_batch[0]["reason_code"] in (UNREADABLE_ITEM, UNSUPPORTED_FORMAT):
        ledger = {"rule": "whole item quarantined as one row", "physical_lines": None, "accounted": None, "balanced": True}
    reasons = column_mapping(stats, mapper)
    simple = {sheet: {col: why["field"] for col, why in cols.items()} for sheet, cols in reasons.items()}
    return {"path": item["path"], "index": item["index"], **asdict(stats),
            "column_mapping": simple, "column_mapping_reasons": reasons, "line_ledger": ledger}
