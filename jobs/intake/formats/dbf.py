"""dBASE / FoxPro / Visual FoxPro ``.dbf`` tables (dbfread); the locator is the table (file) name,
the record's 1-based number in the file and its byte offset.

Cells as text, digit for digit (DOMAIN.md §5): dbfread is asked for the raw field bytes
(``raw=True``), so the fields a DBF stores as text keep exactly what the file has:

- ``C`` (character): decoded strictly with the table's declared code page (the language driver
  byte, offset 29 of the header, mapped by dbfread: ``0x7A`` = cp936/GBK, ``0x78`` = Big5...); a
  table that declares none (``0x00``) is read as GB18030 (Chinese Windows "ANSI", a superset of
  GBK). A record with bytes invalid in that code page is quarantined ``undecodable``;
- ``N``/``F`` (numeric, stored as ASCII digits), ``D`` (``YYYYMMDD``), ``L``: the stored text,
  blanks stripped, so an 18-digit ID in a numeric field keeps all its digits and ``0``-prefixed
  numbers keep their zeros as far as the file has them (dBASE right-aligns numbers with blanks:
  a numeric field cannot hold a leading zero unless the writer put one);
- binary types (``I`` Visual FoxPro 32-bit integer, ``B`` double, ``Y`` currency, ``T`` datetime,
  parsed by dbfread's field parser and written as text (``I`` exact; ``Y`` a decimal);
- ``M``/``G`` memo fields are not read (``None``; in raw mode dbfread does not open the
  ``.fpt``/``.dbt`` file, which is a separate evidence item anyway): the table's entry in
  ``column_inference`` says so. A known gap.

Deleted records (flag ``*``) are rows of the file too: they are quarantined ``dbf_deleted_record``
(visible, never counted). Ledger: one header line plus one line per record (deleted included),
``physical_lines = rows_read + header_rows + blank_lines``, checked against the record count in the
header.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jobs.intake.formats.rows import DBF_DELETED_RECORD, DEFAULT_OPTIONS, UNDECODABLE, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.tabular import LogicalRow, tabular_rows

_TEXT_TYPES = frozenset("NFDL")
_UNDECLARED_CODEPAGE = "gb18030"


def dbf_codepage(path: Path) -> tuple[str, bool]:
    """The table's code page: ``(python codec, declared)`` from the language driver byte."""
    from dbfread.codepages import guess_encoding

    with open(path, "rb") as fh:
        head = fh.read(32)
    ldid = head[29] if len(head) > 29 else 0
    if ldid == 0:
        return _UNDECLARED_CODEPAGE, False
    try:
        return guess_encoding(ldid), True
    except LookupError:
        return _UNDECLARED_CODEPAGE, False


def parse_dbf(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Records of one DBF table (see the module docstring).

    Raises:
        ValueError: the header's record count or lengths do not fit the file's size (a truncated
            table, a hostile header), or differ from the records read; dbfread's errors for a file that is not a DBF (the worker refuses the item
            ``unreadable_item`` with the exception's class).
    """
    from dbfread import DBF
    from dbfread.field_parser import FieldParser

    codec, declared = dbf_codepage(path)
    stats.format, stats.encoding = "dbf", codec
    stats.encoding_confidence = 1.0 if declared else 0.0
    stats.encoding_detected = "declared" if declared else "undeclared: GB18030 assumed"
    table = DBF(str(path), encoding=codec, raw=True, load=False, ignore_missing_memofile=True,
                char_decode_errors="strict")
    parser = FieldParser(table)
    name = Path(path).stem
    stats.sheets.append(name)
    fields = list(table.fields)
    header = [f.name for f in fields]
    if any(f.type in "MGP" for f in fields):
        stats.column_inference[name] = {"memo": "memo fields not read (None)"}
    header_len, record_len = table.header.headerlen, table.header.recordlen
    # The header's counts are checked against the file's size before any record is read: a hostile
    # header (record length 0, 4 billion records) must not make the reader loop (dBASE structure:
    # header, then numrecords fixed-length records, then an optional 0x1A end byte).
    size = Path(path).stat().st_size
    if record_len < 1 or header_len < 33 or header_len + table.header.numrecords * record_len > size:
        raise ValueError("header's record count or lengths do not fit the file")

    def cell(field, data: bytes) -> str | None:
        if field.type == "C":
            text = data.decode(codec).rstrip(" \x00")
            return text if text else None
        if field.type in _TEXT_TYPES:
            text = data.decode("ascii", "backslashreplace").strip(" \x00")
            return text if text and text != "?" else None
        if field.type in "MGP":
            return None
        value = parser.parse(field, data)
        return None if value is None or value == "" else str(value)

    def events() -> Iterator[LogicalRow]:
        stats.physical_lines += 1
        yield LogicalRow(0, None, 1, "\t".join(header), list(header))
        # dbfread reads live and deleted records in two passes, each in file order: merged back into
        # one file order by the records' own deleted flags.
        order = _record_flags(path, header_len, record_len, table.header.numrecords)
        live, dead = iter(table.records), iter(table.deleted)
        for number, deleted in enumerate(order, start=1):
            record = next(dead if deleted else live, None)
            if record is None:
                raise ValueError("fewer records than their flags (a truncated table)")
            stats.physical_lines += 1
            offset = header_len + (number - 1) * record_len
            reason = DBF_DELETED_RECORD if deleted else None
            cells: list[str | None] = []
            for f in fields:
                data = record[f.name]
                try:
                    cells.append(cell(f, data if isinstance(data, bytes) else b""))
                except UnicodeDecodeError:
                    cells.append(data.decode(codec, "backslashreplace"))
                    reason = reason or UNDECODABLE
            raw = "\t".join("" if c is None else c for c in cells)
            yield LogicalRow(number, offset, 1, raw, None if reason else cells, reason)

    before = stats.rows_read + stats.blank_lines
    yield from tabular_rows(events(), stats, name, options, exact_width=False)
    if stats.rows_read + stats.blank_lines - before != table.header.numrecords:
        raise ValueError("records read differ from the header's record count")


def _record_flags(path: Path, header_len: int, record_len: int, count: int) -> list[bool]:
    """Each record's deleted flag (its first byte is ``*``), in file order (dBASE file structure)."""
    flags: list[bool] = []
    with open(path, "rb") as fh:
        for i in range(count):
            fh.seek(header_len + i * record_len)
            flag = fh.read(1)
            if not flag:
                break
            flags.append(flag == b"*")
    return flags
