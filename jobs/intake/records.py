"""Parsed rows → raw records and quarantine rows (pure functions).

A raw record keeps every source column: canonical fields (``configs/column_synonyms.yaml``, or
inferred from content for a headerless table, see :mod:`jobs.intake.columns`) go to
``<field>_raw``; every other column goes, as text, to the ``extra`` JSON object. ``record_id`` is
the SHA-256 of the locator (item SHA-256, sheet, line, and for SQL tuples the tuple index), so it is
the same in every rerun.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from jobs.common.fields import CANONICAL_FIELDS
from jobs.intake.columns import HeaderMapper
from jobs.intake.formats.rows import ParsedRow


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
    """One quarantined :class:`ParsedRow` → a dict in the ``QUARANTINE`` schema (locator, stage,
    reason code, raw line)."""
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
