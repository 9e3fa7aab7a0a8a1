"""JSON items: JSON Lines (one object per line) and JSON documents (an array of objects, or
Navicat's ``{"RECORDS": [...]}``). Nested objects are flattened to dotted keys; integers are read
exactly and floats kept as written (never through a float).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from jobs.intake.formats.rows import (
    DEFAULT_OPTIONS,
    JSON_NOT_OBJECT,
    JSON_PARSE_ERROR,
    JSON_TOO_DEEP,
    UNDECODABLE,
    ItemStats,
    ParsedRow,
    ParseOptions,
)
from jobs.intake.formats.text import detect_encoding_verbose, escape_bytes, iter_lines


def flatten(obj: dict, prefix: str = "") -> dict[str, str | None]:
    """Nested objects flattened to dotted keys; lists and scalars as JSON/text."""
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, prefix=f"{name}."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, str)):
            out[name] = str(value)
        else:
            out[name] = repr(value)
    return out


def parse_jsonl(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a JSON Lines item: one object per line (integers parsed exactly, floats kept as text)."""
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "jsonl", encoding, confidence
    stats.encoding_detected = detected
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for line in iter_lines(path, encoding, bom):
        stats.physical_lines += 1
        if line.text is None:
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, escape_bytes(line.raw, codec), reason_code=UNDECODABLE)
            continue
        if not line.text.strip():
            stats.blank_lines += 1
            continue
        stats.rows_read += 1
        try:
            obj = json.loads(line.text, parse_float=str)
            mapping = flatten(obj) if isinstance(obj, dict) else None
        except RecursionError:
            # Nested deeper than the interpreter's recursion limit (json and flatten recurse per
            # level): this line only, the rest of the file is read.
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_TOO_DEEP)
            continue
        except ValueError:
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_PARSE_ERROR)
            continue
        if mapping is None:
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_NOT_OBJECT)
            continue
        stats.records += 1
        yield ParsedRow("", line.number, line.offset, line.text, mapping=mapping)


def parse_json_array(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a JSON document: a top-level array of objects, or an object holding one array of
    objects (Navicat's ``{"RECORDS": [...]}``, whose key becomes the sheet); a lone object is one row.

    Locator: the element's 1-based index as ``line_number`` (a document has no row lines).
    """
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "json", encoding, confidence
    stats.encoding_detected = detected
    text = path.read_bytes()[bom:].decode(encoding.replace("-sig", ""), errors="strict")
    stats.physical_lines = text.count("\n") + 1
    data = json.loads(text, parse_float=str)
    sheet = ""
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(o, dict) for o in v)]
        if len(lists) == 1:
            sheet = str(lists[0])
            data = data[lists[0]]
            stats.sheets.append(sheet)
    for index, obj in enumerate(data if isinstance(data, list) else [data], start=1):
        stats.rows_read += 1
        raw = json.dumps(obj, ensure_ascii=False, sort_keys=True)
        if not isinstance(obj, dict):
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, index, None, raw, reason_code=JSON_NOT_OBJECT)
            continue
        stats.records += 1
        yield ParsedRow(sheet, index, None, raw, mapping=flatten(obj))
