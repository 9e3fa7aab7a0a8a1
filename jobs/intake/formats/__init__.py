"""Parsers of evidence items: format detection and one parser per format, each yielding rows with
their locators and quarantining what cannot be used.

Pure Python, one evidence item at a time, streaming (an item is never held in memory whole except
JSON documents). Each parser (``PARSERS[format](path, stats, options)``) yields
:class:`~jobs.intake.formats.rows.ParsedRow` objects in file order and fills the item's
:class:`~jobs.intake.formats.rows.ItemStats`; the caller (:mod:`jobs.intake.worker`) maps headers
and writes Parquet. Rules (DOMAIN.md §4–5):

- decode strictly, detect the encoding per file, never per line (:mod:`.text`);
- read every cell as text, numbers from spreadsheets without float noise and never with guessed
  digits (:mod:`.spreadsheets`);
- the header is the first row naming a known column, else fields are inferred from content
  (:mod:`.tabular`, :mod:`jobs.intake.columns`);
- nothing is dropped: a row that cannot be used is quarantined with a reason code
  (:mod:`.rows`, which also states the line ledger).

Modules: :mod:`.rows` (what a parser yields and counts), :mod:`.text` (encodings, physical lines),
:mod:`.tabular` (the header decision), :mod:`.delimited`, :mod:`.spreadsheets`, :mod:`.json`,
:mod:`.sql` (the formats).
"""

from __future__ import annotations

# Imported under another name: ``json`` in this namespace becomes the ``.json`` submodule as soon as
# that submodule is imported below.
import json as _json
from pathlib import Path

from jobs.intake.formats.delimited import parse_delimited
from jobs.intake.formats.json import parse_json_array, parse_jsonl
from jobs.intake.formats.rows import DEFAULT_OPTIONS, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.spreadsheets import parse_xls, parse_xlsx
from jobs.intake.formats.sql import parse_sql

__all__ = ["DEFAULT_OPTIONS", "PARSERS", "ItemStats", "ParseOptions", "ParsedRow", "detect_format"]


TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".dat", ".text", ".log", ""}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
XLS_EXTENSIONS = {".xls"}
JSONL_EXTENSIONS = {".jsonl", ".ndjson"}
JSON_EXTENSIONS = {".json"}
SQL_EXTENSIONS = {".sql"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_format(path: Path, head: bytes, name: str | None = None) -> str:
    """``delimited``, ``xlsx``, ``xls``, ``jsonl``, ``json``, ``sql`` or ``unsupported``, from the
    extension of ``name`` (default: the file's own name), then the bytes."""
    ext = Path(name or path.name).suffix.lower()
    if ext in XLSX_EXTENSIONS or head.startswith(b"PK\x03\x04") and ext not in TEXT_EXTENSIONS:
        return "xlsx" if head.startswith(b"PK\x03\x04") else "unsupported"
    if ext in XLS_EXTENSIONS or head.startswith(_OLE2_MAGIC):
        return "xls" if head.startswith(_OLE2_MAGIC) else "unsupported"
    if ext in JSONL_EXTENSIONS:
        return "jsonl"
    if ext in JSON_EXTENSIONS:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"["):
            return "json"
        # One object per line is JSON Lines; an object spread over lines is one JSON document.
        first = stripped.split(b"\n", 1)[0].strip()
        try:
            _json.loads(first.decode("utf-8"))
            return "jsonl"
        except (ValueError, UnicodeDecodeError):
            return "json"
    if ext in SQL_EXTENSIONS:
        return "sql"
    if ext in TEXT_EXTENSIONS:
        return "delimited"
    return "unsupported"


PARSERS = {"delimited": parse_delimited, "xlsx": parse_xlsx, "xls": parse_xls, "jsonl": parse_jsonl,
           "json": parse_json_array, "sql": parse_sql}
