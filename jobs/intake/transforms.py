"""Intake transforms: parsed rows → raw records and quarantine rows (pure functions), and the
per-item worker that writes them as Parquet.

A raw record keeps every source column: canonical fields (``configs/column_synonyms.yaml``, or
inferred from content for a headerless table, see :mod:`jobs.intake.columns`) go to
``<field>_raw``; every other column goes, as text, to the ``extra`` JSON object. ``record_id`` is
the SHA-256 of the locator (item SHA-256, sheet, line, and for SQL tuples the tuple index), so it is
the same in every rerun.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jobs.engine.schemas import CANONICAL_FIELDS
from jobs.intake.parsers import (
    PARSERS,
    UNREADABLE_ITEM,
    UNSUPPORTED_FORMAT,
    ItemStats,
    ParsedRow,
    ParseOptions,
    detect_format,
    header_key,
)

BATCH_ROWS = 50_000


_key = header_key


class HeaderMapper:
    """Maps source headers to canonical fields through the synonyms table.

    Args:
        synonyms: canonical field → accepted header spellings (matched case-insensitively).
    """

    def __init__(self, synonyms: Mapping[str, Iterable[str]]) -> None:
        self._lookup: dict[str, str] = {}
        for field_, names in synonyms.items():
            if field_ not in CANONICAL_FIELDS:
                continue
            for name in [field_, *names]:
                self._lookup.setdefault(_key(name), field_)

    @property
    def names(self) -> frozenset[str]:
        """Every known header spelling, folded (for header-line detection)."""
        return frozenset(self._lookup)

    def map_header(self, header: list[str]) -> list[str | None]:
        """Canonical field per column, or ``None`` (kept in ``extra``). A field is taken once: a
        second column with a synonym of the same field goes to ``extra``."""
        taken: set[str] = set()
        out: list[str | None] = []
        for name in header:
            field_ = self._lookup.get(_key(name))
            if field_ is not None and field_ not in taken:
                taken.add(field_)
                out.append(field_)
            else:
                out.append(None)
        return out


def record_id(item_sha256: str, sheet: str, line_number: int, sub_index: int | None = None) -> str:
    """Deterministic record id: SHA-256 of ``item_sha256 \\x1f sheet \\x1f line_number``, with
    ``\\x1f sub_index`` appended for the tuples of a multi-row SQL ``INSERT`` (one line, many rows)."""
    key = f"{item_sha256}\x1f{sheet}\x1f{line_number}"
    if sub_index is not None:
        key += f"\x1f{sub_index}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def to_raw_record(row: ParsedRow, item: Mapping[str, Any], mapper: HeaderMapper, cache: dict) -> dict[str, Any]:
    """One :class:`ParsedRow` with cells or a mapping → a dict in the ``RAW_RECORD`` schema."""
    out: dict[str, Any] = {f"{f}_raw": None for f in CANONICAL_FIELDS}
    extra: dict[str, Any] = {}
    if row.mapping is not None:
        keys = list(row.mapping)
        values = list(row.mapping.values())
    else:
        keys = row.header or []
        values = row.cells or []
    if row.fields is not None:
        targets = row.fields
    else:
        cache_key = tuple(keys)
        targets = cache.get(cache_key)
        if targets is None:
            targets = cache[cache_key] = mapper.map_header(list(keys))
    for name, target, value in zip(keys, targets, values):
        if target is not None:
            out[f"{target}_raw"] = value
        else:
            label = name or f"col_{len(extra) + 1}"
            while label in extra:
                label += "#"
            extra[label] = value
    out.update(
        record_id=record_id(item["sha256"], row.sheet, row.line_number, row.sub_index),
        item_sha256=item["sha256"],
        item_path=item["path"],
        sheet=row.sheet,
        line_number=row.line_number,
        byte_offset=row.byte_offset,
        extra=json.dumps(extra, ensure_ascii=False, sort_keys=True),
    )
    return out


def to_quarantine(row: ParsedRow, item: Mapping[str, Any], stage: str = "intake") -> dict[str, Any]:
    return {
        "item_sha256": item["sha256"],
        "item_path": item["path"],
        "sheet": row.sheet,
        "line_number": row.line_number,
        "byte_offset": row.byte_offset,
        "stage": stage,
        "reason_code": row.reason_code,
        "raw_line": row.raw_line,
    }


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
    settings = settings or {}
    return ParseOptions(
        header_names=HeaderMapper(synonyms).names,
        header_search_rows=int(settings.get("header_search_rows", 50)),
        max_quoted_lines=int(settings.get("max_quoted_lines", 50)),
        infer_sample_rows=int(settings.get("infer_sample_rows", 1000)),
        infer_min_share=float(settings.get("infer_min_share", 0.8)),
    )


def column_mapping(stats: ItemStats, mapper: HeaderMapper) -> dict[str, dict[str, dict[str, Any]]]:
    """How each column of each sheet was mapped and why (recorded in ``evidence_items``).

    Returns:
        ``{sheet: {column: {"field": canonical field or "extra", "how": "header synonym" |
        "inferred from content" | "unknown header (kept in extra)" | ..., ...inference counts}}}``.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for sheet, header in stats.headers.items():
        why = stats.column_inference.get(sheet)
        cols: dict[str, dict[str, Any]] = {}
        if why is not None:
            for name in header:
                w = why.get(name, {})
                cols[name] = {"field": w.get("field") or "extra", "how": "inferred from content", **w}
        else:
            for name, target in zip(header, mapper.map_header(header)):
                label = name if name not in cols else f"{name}#{len(cols) + 1}"
                if target is not None:
                    cols[label] = {"field": target, "how": "header synonym (configs/column_synonyms.yaml)"}
                elif mapper.names and _key(name) in mapper.names:
                    cols[label] = {"field": "extra", "how": "synonym of a field already taken by an earlier column"}
                else:
                    cols[label] = {"field": "extra", "how": "unknown header (kept in extra)"}
        out[sheet] = cols
    return out


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
