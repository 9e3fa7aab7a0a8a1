"""SQLite database files (Python's ``sqlite3``), every ordinary table; the locator is the table
name and the row's 1-based position in rowid order.

The file is hostile (DOMAIN.md §5), so nothing in it is executed:

- opened read-only and immutable (``file:…?mode=ro&immutable=1``: no journal, no WAL, no lock,
  the file is never written; SQLite "URI filenames"), ``PRAGMA query_only`` and
  ``PRAGMA trusted_schema = OFF`` (no function from the schema runs);
- an authorizer (``Connection.set_authorizer``) allows only ``SELECT``, reading columns, the
  function ``count`` and ``PRAGMA table_list`` / ``table_xinfo``; everything else is denied (``ATTACH``, writes, ``load_extension``, ``PRAGMA``
  after set-up), and extensions are never enabled;
- only entries that ``PRAGMA table_list`` calls ``table`` (not ``sqlite_*``) are read, in name
  order: views are never selected (a view runs the file's SQL), triggers never fire (nothing is
  written), virtual tables (which call a module) and their shadow tables (the module's storage, e.g.
  an FTS index) are not read; each is listed in the item's ``column_inference`` with why it was
  skipped, so nothing in the file goes unmentioned; so is a virtual generated column (``hidden = 2``
  in ``table_xinfo``: computed from the schema's expression on every read, not stored in the file),
  under ``<table>.<column>``. A stored generated column is read (its values are in the file).

Cells as text (DOMAIN.md §5): INTEGER values as their decimal digits (SQLite integers are exact
64-bit), TEXT as stored (decoded strictly as UTF-8; a row with invalid bytes is quarantined
``undecodable``), REAL through :func:`jobs.intake.formats.spreadsheets.cell_text` (an integer-valued
REAL of 16+ digits is shown as ``1.10105198506150E+17`` and counted in ``precision_lost_cells``: its
last digits were lost in the source), BLOB as ``X'<hex>'``, NULL as missing. A numeric-typed ID
column keeps what the file has: an integer has no leading zero to keep.

Ledger: one header line per table plus one line per row, ``physical_lines = rows_read +
header_rows + blank_lines``; each table's row count is checked against ``SELECT count(*)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from jobs.intake.formats.rows import DEFAULT_OPTIONS, UNDECODABLE, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.spreadsheets import cell_text
from jobs.intake.formats.tabular import LogicalRow, tabular_rows

SQLITE_MAGIC = b"SQLite format 3\x00"


_SKIPPED = {
    "view": "view (runs the file's own SQL): not read",
    "trigger": "trigger (the file's own SQL): never fired, nothing is written",
    "virtual": "virtual table (calls a module): not read",
    "shadow": "shadow table of a virtual table (the module's own storage): not read",
}


class _Text(bytes):
    """A TEXT value's bytes (``text_factory`` is applied to TEXT only; a BLOB stays ``bytes``)."""


def _authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "count":
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in ("table_list", "table_xinfo"):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value: object) -> tuple[str | None, bool, bool]:
    """(text, precision lost, undecodable) of one SQLite value (bytes for TEXT and BLOB)."""
    if value is None:
        return None, False, False
    if isinstance(value, int):
        return str(value), False, False
    if isinstance(value, float):
        return cell_text(value), value.is_integer() and abs(value) >= 1e15, False
    raise TypeError(type(value).__name__)  # sqlite3 returns only None, int, float, text, bytes


def open_readonly(path: Path) -> sqlite3.Connection:
    """A connection that can only read ``path`` (see the module docstring).

    Raises:
        sqlite3.DatabaseError: not an SQLite database, or a damaged one.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.set_authorizer(_authorizer)
    return conn


def parse_sqlite(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of every ordinary table of an SQLite database (see the module docstring).

    Raises:
        sqlite3.DatabaseError: not a database, damaged, or a table whose row count differs from
            ``count(*)`` (the item is then refused ``unreadable_item`` by the worker).
    """
    stats.format, stats.encoding, stats.encoding_confidence = "sqlite", "utf-8", 1.0
    conn = open_readonly(path)
    try:
        # TEXT as bytes, decoded strictly below (the default decoder fails the whole query on one
        # bad value); a BLOB stays bytes and is never taken for text.
        conn.text_factory = _Text
        # What each entry is, as SQLite itself tells it (PRAGMA table_list, SQLite 3.37+: table,
        # view, virtual, shadow); filtered here, not in SQL (the authorizer allows no LIKE).
        kinds = {bytes(n).decode("utf-8", "backslashreplace"): bytes(t).decode("ascii", "replace")
                 for _, n, t, *_ in conn.execute("PRAGMA main.table_list")}
        for (raw_name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            kinds.setdefault(bytes(raw_name).decode("utf-8", "backslashreplace"), "trigger")
        tables = []
        for name in sorted(kinds):
            kind = kinds[name]
            if kind == "table" and not name.startswith("sqlite_"):
                tables.append(name)
            elif kind in _SKIPPED:
                stats.column_inference[name] = {"skipped": _SKIPPED[kind]}
        for name in tables:
            raw_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
            raw_sql = bytes(raw_sql[0]) if raw_sql and raw_sql[0] is not None else b""
            table = _quote_ident(name)
            expected = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            stats.sheets.append(name)
            without_rowid = b"WITHOUT ROWID" in raw_sql.upper()
            columns = []
            for _, col, *_, hidden in conn.execute(f"PRAGMA main.table_xinfo({table})"):
                col = bytes(col).decode("utf-8", "backslashreplace")
                if hidden == 2:
                    stats.column_inference[f"{name}.{col}"] = {"skipped": "virtual generated column (computed, not stored): not read"}
                else:
                    columns.append(_quote_ident(col))
            cursor = conn.execute(f"SELECT {', '.join(columns) or 'NULL'} FROM {table}" + ("" if without_rowid else " ORDER BY rowid"))
            header = [d[0] for d in cursor.description]

            def events(cursor=cursor, header=header) -> Iterator[LogicalRow]:
                stats.physical_lines += 1
                yield LogicalRow(0, None, 1, "\t".join(header), list(header))
                for number, values in enumerate(cursor, start=1):
                    stats.physical_lines += 1
                    cells: list[str | None] = []
                    reason = None
                    for v in values:
                        if isinstance(v, _Text):
                            try:
                                cells.append(bytes(v).decode("utf-8"))
                            except UnicodeDecodeError:
                                cells.append(bytes(v).decode("utf-8", "backslashreplace"))
                                reason = UNDECODABLE
                            continue
                        if isinstance(v, bytes):
                            cells.append("X'" + v.hex().upper() + "'")
                            continue
                        text, lost, _ = _cell(v)
                        stats.precision_lost_cells += lost
                        cells.append(text)
                    raw = "\t".join("" if c is None else c for c in cells)
                    yield LogicalRow(number, None, 1, raw, None if reason else cells, reason)

            before = stats.rows_read + stats.blank_lines
            yield from tabular_rows(events(), stats, name, options, exact_width=False)
            if stats.rows_read + stats.blank_lines - before != expected:
                raise sqlite3.DatabaseError(f"table {name!r}: rows read differ from count(*)")
    finally:
        conn.close()
