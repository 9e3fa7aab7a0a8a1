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
:mod:`.sql`, :mod:`.sqlite`, :mod:`.dbf`, :mod:`.access` (the formats).

Database files are told by their bytes, not their name (an application's SQLite database is often
called ``.dat`` or ``.db``; their magic bytes hold a NUL, so no text file starts with them): an SQLite
file (``SQLite format 3\0``, SQLite file format §1.3) is read as SQLite and an Access file
(``Standard Jet DB\0`` / ``Standard ACE DB\0`` at offset 4) as Access under any name; a ``.dbf``
(no magic of its own, dBASE's first byte is a version number) is read by its extension only.
"""

from __future__ import annotations

# Imported under another name: ``json`` in this namespace becomes the ``.json`` submodule as soon as
# that submodule is imported below.
import json as _json
from pathlib import Path

from jobs.intake.formats.access import ACCESS_MAGICS, parse_access
from jobs.intake.formats.dbf import parse_dbf
from jobs.intake.formats.delimited import parse_delimited
from jobs.intake.formats.json import parse_json_array, parse_jsonl
from jobs.intake.formats.rows import DEFAULT_OPTIONS, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.spreadsheets import parse_xls, parse_xlsx
from jobs.intake.formats.sql import parse_sql
from jobs.intake.formats.sqlite import SQLITE_MAGIC, parse_sqlite

__all__ = ["DEFAULT_OPTIONS", "PARSERS", "ItemStats", "ParseOptions", "ParsedRow", "detect_format"]


TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".dat", ".text", ".log", ""}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
XLS_EXTENSIONS = {".xls"}
JSONL_EXTENSIONS = {".jsonl", ".ndjson"}
JSON_EXTENSIONS = {".json"}
SQL_EXTENSIONS = {".sql"}
DBF_EXTENSIONS = {".dbf"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_format(path: Path, head: bytes, name: str | None = None) -> str:
    """``delimited``, ``xlsx``, ``xls``, ``jsonl``, ``json``, ``sql``, ``sqlite``, ``access``,
    ``dbf`` or ``unsupported``: database magic bytes first (any name), then the extension of
    ``name`` (default: the file's own name), then the bytes."""
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head[4:20] in ACCESS_MAGICS:
        return "access"
    ext = Path(name or path.name).suffix.lower()
    if ext in DBF_EXTENSIONS:
        return "dbf"
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
           "json": parse_json_array, "sql": parse_sql, "sqlite": parse_sqlite, "dbf": parse_dbf,
           "access": parse_access}
