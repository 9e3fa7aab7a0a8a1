"""The per-item intake worker, run inside a Spark task: parse one evidence item
(:mod:`jobs.intake.formats`), map its columns (:mod:`jobs.intake.columns`) and write its raw records
and quarantine rows (:mod:`jobs.intake.records`) as Parquet parts with pyarrow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jobs.common.config import IntakeSettings
from jobs.common.fields import CANONICAL_FIELDS
from jobs.intake.columns import HeaderMapper, column_mapping
from jobs.intake.formats import PARSERS, detect_format
from jobs.intake.formats.binary import binary_kind
from jobs.intake.formats.rows import EMPTY_ROW, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.spreadsheets import check_workbook
from jobs.intake.records import to_quarantine, to_raw_record
from jobs.intake.refusals import BINARY_CONTENT, UNREADABLE_ITEM, UNSUPPORTED_FORMAT, ItemRefused, refused_fields

log = logging.getLogger("casefile")

#: Formats read as text: the bytes are checked for a binary format first.
TEXT_FORMATS = frozenset({"delimited", "jsonl", "json", "sql"})

#: Rows (raw records, and quarantine rows apart) buffered before they are written to the item's
#: Parquet parts, and the most characters of raw lines a buffer may hold before it is written
#: anyway. Why: a buffered row is a dict of Python strings, about 2 KB for a tiny seized row, so
#: 50,000 rows took about 100 MB whatever the item's size; and a buffer of long rows is bounded by
#: its characters, so the worker's memory is a constant plus the largest row, never the item
#: (bench/results/intake_memory_2026-12-03.json).
BATCH_ROWS = 5_000
BATCH_CHARS = 8 << 20


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
        access=intake.access,
    )


def _all_missing(row: ParsedRow) -> bool:
    """True when every value of the row is missing (``None`` or white space only): such a row is
    never a record (issue 13 defect 12), whatever the parser made of the line."""
    values = list(row.mapping.values()) if row.mapping is not None else (row.cells or [])
    return not any(v is not None and str(v).strip() for v in values)


def check_item(local: Path, fmt: str, head: bytes, settings: IntakeSettings) -> None:
    """Checks before any parser touches the item.

    Raises:
        ItemRefused: ``unsupported_format``; ``binary_content`` (a text format whose bytes are a
            binary format, see :mod:`jobs.intake.formats.binary`); the workbook limits
            (:func:`jobs.intake.formats.spreadsheets.check_workbook`).
    """
    if fmt == "unsupported":
        raise ItemRefused(UNSUPPORTED_FORMAT, (binary_kind(head) or "") if head else "empty")
    if fmt in TEXT_FORMATS:
        kind = binary_kind(head)
        if kind is not None:
            raise ItemRefused(BINARY_CONTENT, kind)
    if fmt == "xlsx":
        check_workbook(local, settings.workbooks)


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
    chars = {"raw": 0, "q": 0}  # characters of raw lines buffered in each batch
    writer = pq.ParquetWriter(raw_dir / part, raw_schema, compression="zstd")
    q_writer = pq.ParquetWriter(q_dir / part, q_schema, compression="zstd")

    def flush() -> None:
        if raw_batch:
            writer.write_table(pa.Table.from_pylist(raw_batch, schema=raw_schema))
            raw_batch.clear()
        chars["raw"] = 0

    def flush_quarantine() -> None:
        if q_batch:
            q_writer.write_table(pa.Table.from_pylist(q_batch, schema=q_schema))
            q_batch.clear()
        chars["q"] = 0

    def quarantine(row: ParsedRow) -> None:
        q_batch.append(to_quarantine(row, item))
        chars["q"] += len(row.raw_line)
        if len(q_batch) >= BATCH_ROWS or chars["q"] >= BATCH_CHARS:
            flush_quarantine()

    refusal: ItemRefused | None = None
    try:
        with open(local, "rb") as fh:
            head = fh.read(8192)
        fmt = detect_format(local, head, item.get("name"))
        try:
            check_item(local, fmt, head, IntakeSettings.from_dict(settings))
            for row in PARSERS[fmt](local, stats, options):
                if row.reason_code:
                    quarantine(row)
                elif _all_missing(row):
                    # A parser's "record" with no value at all (a JSON {}, an SQL tuple of NULLs).
                    stats.records -= 1
                    stats.rows_quarantined += 1
                    row.reason_code = EMPTY_ROW
                    quarantine(row)
                else:
                    raw_batch.append(to_raw_record(row, item, mapper, cache))
                    chars["raw"] += len(row.raw_line)
                    if len(raw_batch) >= BATCH_ROWS or chars["raw"] >= BATCH_CHARS:
                        flush()
        except ItemRefused as exc:
            refusal = exc
        except Exception as exc:  # noqa: BLE001 - any parser failure refuses this item only
            # A broken container (BadZipFile, CompDocError), a JSON document that is not JSON, or a
            # parser bug met by hostile bytes: nothing of a half-read item is used, the item is
            # refused with the exception's class name (never its message: it may quote a value).
            refusal = ItemRefused(UNREADABLE_ITEM, type(exc).__name__)
        if refusal is not None:
            # Nothing of a half-read item is used: both parts start again, empty.
            raw_batch.clear()
            q_batch.clear()
            writer.close()
            q_writer.close()
            writer = pq.ParquetWriter(raw_dir / part, raw_schema, compression="zstd")
            q_writer = pq.ParquetWriter(q_dir / part, q_schema, compression="zstd")
        flush()
        flush_quarantine()
    finally:
        writer.close()
        q_writer.close()
    if refusal is not None:
        log.warning("item %s refused: %s %s", item["path"], refusal.reason, refusal.detail)
        fmt_seen = stats.format
        stats = ItemStats(format=fmt_seen)
        out = {"path": item["path"], "index": item["index"], **asdict(stats), "column_mapping": {}, "column_mapping_reasons": {},
               "line_ledger": {"rule": "item refused: no row read", "physical_lines": None, "accounted": None, "balanced": True},
               **refused_fields(refusal.reason, refusal.detail)}
        out["format_detected"] = fmt_seen
        return out
    ledger = stats.line_ledger()
    reasons = column_mapping(stats, mapper)
    simple = {sheet: {col: why["field"] for col, why in cols.items()} for sheet, cols in reasons.items()}
    return {"path": item["path"], "index": item["index"], **asdict(stats),
            "column_mapping": simple, "column_mapping_reasons": reasons, "line_ledger": ledger}
