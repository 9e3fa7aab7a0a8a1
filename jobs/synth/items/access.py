"""A minimal Jet 4 (Access 2000-2003 ``.mdb``) writer for synthetic seizures and the intake tests.

No Access writer can be installed here (Jackcess is not in Debian and Maven is not reachable;
nothing on PyPI or npm writes one), so, as for RAR (:mod:`jobs.synth.items.rar`), the generator
writes the file itself from the published description of the format: mdbtools' ``HACKING.md``
("the Microsoft MDB file format for Jet3 and Jet4"), read together with what libmdb's source
(``src/libmdb/file.c``, ``table.c``, ``catalog.c``, ``data.c``, ``map.c``, ``write.c``) actually
checks. Every database is checked in the tests with readers written by others (mdbtools'
``mdb-tables``/``mdb-schema``/``mdb-count``/``mdb-export`` and ``access-parser``), never only with
our own reader.

What is written, and where each fact comes from (HACKING = mdbtools' HACKING.md):

- Pages of 4096 bytes (HACKING "Pages": 4K for Jet4); the first byte of a page is its type
  (0x00 database definition, 0x01 data, 0x02 table definition).
- Page 0, the database definition page: ``00 01 00 00``, ``Standard Jet DB\\0`` at offset 4, the Jet
  version at 0x14 (``0x01`` = Jet 4, HACKING "Database Definition Page"); bytes 0x18 to 0x97 (128
  bytes in Jet4) masked with RC4 under the key ``0x6b39dac7`` (``C7 DA 39 6B``, file.c
  ``mdb_handle_from_stream``). Under the mask: the database key at 0x3E is 0 (file.c: a non-zero key
  RC4-encrypts every other page), no password, no creation date, the sort order 0x409 ("General")
  at 0x6E.
- Page 1: a data page holding the usage maps (HACKING "Page Usage Maps"): row 0 the global map of
  the allocated pages, then each table's map of its data pages and its (empty) map of pages with
  free space. Every map is of type 0: ``00``, the first page it covers (4 bytes), one bit a page,
  low bit first (map.c ``mdb_map_find_next0`` is how the reader walks a table's pages).
- Page 2: the table definition of ``MSysObjects``, the catalogue (HACKING "Terminology": "always at
  page 2"), with the columns libmdb binds by name (catalog.c ``mdb_read_catalog``: ``Id``, ``Name``,
  ``Type``, ``Flags``, ``LvProp``) and ``ParentId``. One catalogue row a table: ``Id`` = the page of
  its table definition, ``Type`` = 1 (table), ``Flags`` = 0 for a user table and ``0x80000000``
  for MSysObjects itself (HACKING: a system table has 0x80000000 or 0x00000002 in its flags;
  table.c ``mdb_is_user_table``). Its data pages are written last, once the tables' pages are known.
- A table definition page (HACKING "TDEF Pages", the Jet4 table definition block of 55 bytes after
  the 8-byte page header, and 25 bytes a column): number of rows, ``0x4e`` user / ``0x53`` system
  table, the number of variable and of all columns, no index, the usage maps as page/row pointers
  (page << 8 | row); then one column entry a column (type, column number, its number among the
  variable columns, flags 0x01 fixed + 0x02 nullable, offset among the fixed columns, length in
  bytes), then the names, 16-bit length + UCS-2. Offsets as libmdb's ``MdbJet4Constants`` (file.c).
- Data pages (HACKING "Data Pages", Jet4: ``01 01``, free space, the page of the table definition,
  4 unknown bytes, number of rows, then one 2-byte offset a row); rows are stored from the end of
  the page towards its start, the first row ending at the end of the page.
- A row (HACKING "Jet4 Row Definition", write.c ``mdb_crack_row``): number of columns (2 bytes), the
  fixed columns at their offsets, the non-null variable columns in order; then, from the lowest
  address: the offset of the end of the data (``eod``), the variable columns' offsets in reverse
  order, their number, and the null mask (one bit a column by column number, low bit first, 1 =
  not null). NULL is a clear bit; an empty text is a set bit with no bytes, so the two stay apart.
- TEXT (type 0x0A) in UCS-2 little endian, uncompressed (HACKING "Text Data Type": compressed text
  starts ``FF FE``; ours never does), at most 255 characters. MEMO (type 0x0C, HACKING "Memo Field
  Definition"): a 12-byte field (length with the flags in its high byte, an LVAL page/row pointer,
  4 bytes 0) followed by the text inline (flag 0x80) when it is at most :data:`MEMO_INLINE_BYTES`;
  longer, on LVAL pages (HACKING "LVAL Pages": a data page with ``LVAL`` in place of the table
  page): one LVAL row (flag 0x40) when it fits a page, else a chain of rows each starting with the
  page/row pointer of the next (flags 0).
- LONGINT (0x04, 4 bytes) and INT (0x03, 2 bytes), little endian, only in the catalogue.

Not written: indexes, properties (``LvProp`` is NULL), Jet 3, ACE, compressed text, page splits.
Limits, each a ``ValueError``: a row or table definition larger than a page, a text longer than its
column, a character outside the Basic Multilingual Plane (UCS-2 has none), more usage maps than fit
page 1 (about 30,000 pages a table, far beyond a synthetic item). Deterministic: no date, no key,
no random byte; every unused byte is 0.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = 4096
JET4 = 0x01
#: RC4 key of page 0's masked part (file.c: ``{ 0xC7, 0xDA, 0x39, 0x6B }``) and its extent in Jet4.
HEADER_MASK_KEY = bytes((0xC7, 0xDA, 0x39, 0x6B))
HEADER_MASKED = (0x18, 128)
GENERAL_SORT_ORDER = 0x0409
TEXT, MEMO, OLE, LONGINT, INT = 0x0A, 0x0C, 0x0B, 0x04, 0x03
FIXED_SIZES = {LONGINT: 4, INT: 2}
#: Memo text up to this many bytes (UCS-2) is stored inside the row (a choice: both readers read
#: inline, single-LVAL and chained memos alike).
MEMO_INLINE_BYTES = 64
MEMO_MAX_CHARS = 65_535  # the Access user interface's limit for a memo
USER_TABLE, SYSTEM_TABLE = 0x4E, 0x53
SYSTEM_FLAGS = 0x80000000
TABLES_CONTAINER = 0x0F000001  # ParentId of a table's catalogue row (the "Tables" container)
_DATA_HEADER = 14  # Jet4 data page: type, 1, free space (2), table page (4), unknown (4), rows (2)
_MAX_ROWS_PER_PAGE = 255  # a page/row pointer has one byte for the row
_LVAL_CHUNK = PAGE_SIZE - _DATA_HEADER - 2 - 4  # HACKING: 4096 - (14 + 2 + 4) = 4076 bytes a chained row


@dataclass(frozen=True)
class AccessColumn:
    """A column of a table.

    Attributes:
        name: the column name (UCS-2 in the file).
        kind: ``"text"`` (TEXT, at most ``length`` characters) or ``"memo"`` (MEMO, long text).
        length: characters of a TEXT column, 1 to 255.
    """

    name: str
    kind: str = "text"
    length: int = 255


@dataclass(frozen=True)
class AccessTable:
    """A table: its name, its columns in order and its rows (one value a column: ``str`` or ``None``
    for NULL), written in the order given, which is mdb-export's order."""

    name: str
    columns: Sequence[AccessColumn]
    rows: Sequence[Sequence[str | None]]


@dataclass(frozen=True)
class _Column:
    name: str
    type: int
    length: int  # bytes (0 for MEMO/OLE)
    number: int
    var_index: int  # among the variable columns, -1 for a fixed one
    fixed_offset: int

    @property
    def fixed(self) -> bool:
        return self.var_index < 0


def ucs2(value: str) -> bytes:
    """``value`` as Jet4 stores text: UCS-2 little endian (HACKING "Text Data Type").

    Raises:
        ValueError: a character outside the Basic Multilingual Plane (not in UCS-2).
    """
    if any(ord(c) > 0xFFFF for c in value):
        raise ValueError("text outside the Basic Multilingual Plane cannot be stored as UCS-2")
    return value.encode("utf-16-le")


def _layout(columns: Iterable[tuple[str, int, int]]) -> list[_Column]:
    """Column numbers, variable-column numbers and fixed offsets for ``(name, type, length)``."""
    out, var_index, fixed_offset = [], 0, 0
    for number, (name, type_, length) in enumerate(columns):
        if type_ in FIXED_SIZES:
            out.append(_Column(name, type_, FIXED_SIZES[type_], number, -1, fixed_offset))
            fixed_offset += FIXED_SIZES[type_]
        else:
            out.append(_Column(name, type_, length, number, var_index, 0))
            var_index += 1
    return out


class _Pages:
    """The file's pages, allocated in order (page 0 first)."""

    def __init__(self) -> None:
        self.pages: list[bytes | None] = []

    def alloc(self) -> int:
        self.pages.append(None)
        return len(self.pages) - 1

    def put(self, number: int, data: bytes) -> None:
        if len(data) != PAGE_SIZE:
            raise AssertionError("a page is 4096 bytes")
        self.pages[number] = data


def _row_page(owner: bytes, rows: Sequence[bytes]) -> bytes:
    """A Jet4 data (or LVAL) page holding ``rows``, the first ending at the end of the page."""
    page = bytearray(PAGE_SIZE)
    end, offsets = PAGE_SIZE, []
    for row in rows:
        end -= len(row)
        page[end:end + len(row)] = row
        offsets.append(end)
    header = struct.pack("<BBH4sIH", 0x01, 0x01, end - _DATA_HEADER - 2 * len(rows), owner, 0, len(rows))
    header += b"".join(struct.pack("<H", o) for o in offsets)
    if len(header) > end:
        raise AssertionError("rows overflow the page")
    page[:len(header)] = header
    return bytes(page)


def _fits(rows: Sequence[bytes], row: bytes) -> bool:
    used = _DATA_HEADER + sum(2 + len(r) for r in rows)
    return len(rows) < _MAX_ROWS_PER_PAGE and used + 2 + len(row) <= PAGE_SIZE


class _LongValues:
    """LVAL pages of one table: memo text too long for its row (HACKING "LVAL Pages")."""

    def __init__(self, pages: _Pages) -> None:
        self.pages = pages
        self.current: int | None = None
        self.rows: list[bytes] = []

    def _flush(self) -> None:
        if self.current is not None:
            self.pages.put(self.current, _row_page(b"LVAL", self.rows))
        self.current, self.rows = None, []

    def add(self, data: bytes) -> bytes:
        """The 12-byte memo field pointing at ``data`` stored on LVAL pages."""
        if _DATA_HEADER + 2 + len(data) <= PAGE_SIZE:  # one LVAL row (type 1)
            if self.current is None or not _fits(self.rows, data):
                self._flush()
                self.current = self.pages.alloc()
            self.rows.append(data)
            return struct.pack("<III", len(data) | 0x40000000, self.current << 8 | len(self.rows) - 1, 0)
        chunks = [data[i:i + _LVAL_CHUNK] for i in range(0, len(data), _LVAL_CHUNK)]
        numbers = [self.pages.alloc() for _ in chunks]  # one page a chained row (type 2)
        for k, (number, chunk) in enumerate(zip(numbers, chunks)):
            following = numbers[k + 1] << 8 if k + 1 < len(numbers) else 0
            self.pages.put(number, _row_page(b"LVAL", [struct.pack("<I", following) + chunk]))
        return struct.pack("<III", len(data), numbers[0] << 8, 0)

    def close(self) -> None:
        self._flush()


def _encode_row(columns: Sequence[_Column], values: Sequence[str | int | None], long_values: _LongValues | None) -> bytes:
    """One Jet4 row (HACKING "Jet4 Row Definition"; the layout write.c's ``mdb_crack_row`` reads)."""
    if len(values) != len(columns):
        raise ValueError("a row needs one value a column")
    fixed = bytearray(sum(c.length for c in columns if c.fixed))
    variable: list[bytes] = []
    null_mask = bytearray((len(columns) + 7) // 8)
    for col, value in zip(columns, values):
        if value is not None:
            null_mask[col.number // 8] |= 1 << (col.number % 8)
        if col.fixed:
            if value is not None:
                fixed[col.fixed_offset:col.fixed_offset + col.length] = int(value).to_bytes(col.length, "little", signed=True)
            continue
        if value is None:
            variable.append(b"")
            continue
        data = ucs2(str(value))
        if col.type == TEXT:
            if len(data) > col.length:
                raise ValueError(f"text longer than column {col.name!r} allows")
        elif col.type == MEMO:
            if len(data) > 2 * MEMO_MAX_CHARS:
                raise ValueError("memo longer than 65,535 characters")
            if not data:
                pass  # an empty memo: no bytes at all, as an empty text (no 12-byte field of length 0)
            elif len(data) <= MEMO_INLINE_BYTES or long_values is None:
                data = struct.pack("<III", len(data) | 0x80000000, 0, 0) + data
            else:
                data = long_values.add(data)
        variable.append(data)
    body = bytearray(struct.pack("<H", len(columns)) + fixed)
    offsets = []
    for data in variable:
        offsets.append(len(body))
        body += data
    trailer = struct.pack("<H", len(body)) + b"".join(struct.pack("<H", o) for o in reversed(offsets))
    return bytes(body + trailer + struct.pack("<H", len(offsets)) + null_mask)


def _usage_map(pages: Iterable[int], first: int, last: int) -> bytes:
    """A type 0 usage map of ``pages`` covering ``first``..``last`` (HACKING "Page Usage Maps")."""
    bitmap = bytearray((last - first) // 8 + 1)
    for p in pages:
        bitmap[(p - first) // 8] |= 1 << ((p - first) % 8)
    return struct.pack("<BI", 0, first) + bytes(bitmap)


def _table_definition(columns: Sequence[_Column], rows: int, table_type: int, used_map: int, free_map: int) -> bytes:
    """A Jet4 table definition page (HACKING "TDEF Pages"; offsets as file.c's MdbJet4Constants)."""
    n_var = sum(1 for c in columns if not c.fixed)
    block = struct.pack("<IIIIB3sI8sBHHHIIII", 0, 0, rows, 0, 0, b"", 0, b"", table_type, len(columns), n_var, len(columns),
                        0, 0, used_map, free_map)
    for c in columns:
        flags = 0x03 if c.fixed else 0x02  # fixed length / can be null
        sort_order = GENERAL_SORT_ORDER if c.type in (TEXT, MEMO) else 0
        block += struct.pack("<BIHHHHHBBIHH", c.type, 0, c.number, max(c.var_index, 0), c.number, sort_order, 0, flags, 0, 0,
                             c.fixed_offset, c.length)
    for c in columns:
        name = ucs2(c.name)
        block += struct.pack("<H", len(name)) + name
    used = 8 + len(block)
    if used > PAGE_SIZE:
        raise ValueError("table definition larger than a page")
    block = struct.pack("<I", used) + block[4:]  # tdef_len: the bytes of the definition (neither reader uses it)
    header = struct.pack("<BBHI", 0x02, 0x01, PAGE_SIZE - used - 8, 0)  # free space minus 8, no next page
    return header + block + bytes(PAGE_SIZE - used)


def _header_page() -> bytes:
    """Page 0 (HACKING "Database Definition Page"), its 128 masked bytes RC4-masked as file.c unmasks them."""
    from Cryptodome.Cipher import ARC4  # pycryptodomex (already required by py7zr)

    page = bytearray(PAGE_SIZE)
    page[0:20] = b"\x00\x01\x00\x00Standard Jet DB\x00"
    page[0x14:0x18] = struct.pack("<I", JET4)
    page[0x6E:0x72] = struct.pack("<I", GENERAL_SORT_ORDER)  # database key at 0x3E stays 0: pages not encrypted
    start, length = HEADER_MASKED
    page[start:start + length] = ARC4.new(HEADER_MASK_KEY).encrypt(bytes(page[start:start + length]))
    return bytes(page)


_CATALOG_COLUMNS = _layout((("Id", LONGINT, 4), ("ParentId", LONGINT, 4), ("Name", TEXT, 2 * 128), ("Type", INT, 2),
                            ("Flags", LONGINT, 4), ("LvProp", OLE, 0)))


def _data_pages(pages: _Pages, owner: int, rows: Iterable[bytes]) -> list[int]:
    """Pack ``rows`` in order onto new data pages of the table at page ``owner``; their numbers."""
    numbers: list[int] = []
    current: list[bytes] = []
    owner_bytes = struct.pack("<I", owner)

    def flush() -> None:
        numbers.append(pages.alloc())
        pages.put(numbers[-1], _row_page(owner_bytes, current))

    for row in rows:
        if _DATA_HEADER + 2 + len(row) > PAGE_SIZE:
            raise ValueError("row larger than a page")
        if not _fits(current, row):
            flush()
            current = []
        current.append(row)
    if current:
        flush()
    return numbers


def mdb_bytes(tables: Sequence[AccessTable]) -> bytes:
    """A Jet 4 database holding ``tables`` (see the module docstring for the layout and its sources).

    Raises:
        ValueError: an unknown column kind, a TEXT length outside 1..255, a value too long, a
            character outside UCS-2, a row or table definition larger than a page, two tables of
            one name (Access compares names case-insensitively), too many usage maps for page 1.
    """
    if len({t.name.casefold() for t in tables}) != len(tables) or any(t.name.casefold() == "msysobjects" for t in tables):
        raise ValueError("table names must be distinct and not MSysObjects")
    pages = _Pages()
    for _ in range(3):  # header, usage maps, MSysObjects' definition
        pages.alloc()
    pages.put(0, _header_page())
    maps: list[bytes] = [b""]  # row 0: the global map, filled in last
    catalog: list[tuple[int, str, int]] = []  # (definition page, name, flags)
    catalog_map_row = len(maps)
    maps += [b"", b""]  # MSysObjects' maps, filled in last
    for table in tables:
        specs = []
        for c in table.columns:
            if c.kind == "text":
                if not 1 <= c.length <= 255:
                    raise ValueError("a TEXT column holds 1 to 255 characters")
                specs.append((c.name, TEXT, 2 * c.length))
            elif c.kind == "memo":
                specs.append((c.name, MEMO, 0))
            else:
                raise ValueError(f"unknown column kind {c.kind!r}")
        columns = _layout(specs)
        tdef = pages.alloc()
        long_values = _LongValues(pages)
        data = _data_pages(pages, tdef, (_encode_row(columns, row, long_values) for row in table.rows))
        long_values.close()
        used_row = len(maps)
        maps += [_usage_map(data, data[0] if data else tdef, data[-1] if data else tdef), _usage_map((), tdef, tdef)]
        pages.put(tdef, _table_definition(columns, len(table.rows), USER_TABLE, 1 << 8 | used_row, 1 << 8 | used_row + 1))
        catalog.append((tdef, table.name, 0))
    catalog_rows = [_encode_row(_CATALOG_COLUMNS, (2, TABLES_CONTAINER, "MSysObjects", 1, SYSTEM_FLAGS - (1 << 32), None), None)]
    catalog_rows += [_encode_row(_CATALOG_COLUMNS, (tdef, TABLES_CONTAINER, name, 1, flags, None), None)
                     for tdef, name, flags in catalog]
    catalog_data = _data_pages(pages, 2, catalog_rows)
    maps[catalog_map_row] = _usage_map(catalog_data, catalog_data[0], catalog_data[-1])
    maps[catalog_map_row + 1] = _usage_map((), 2, 2)
    pages.put(2, _table_definition(_CATALOG_COLUMNS, len(catalog_rows), SYSTEM_TABLE, 1 << 8 | catalog_map_row,
                                   1 << 8 | catalog_map_row + 1))
    maps[0] = _usage_map(range(len(pages.pages)), 0, len(pages.pages) - 1)
    if not all(_fits(maps[:k], m) for k, m in enumerate(maps)):
        raise ValueError("usage maps do not fit page 1")
    pages.put(1, _row_page(bytes(4), maps))
    if any(p is None for p in pages.pages):
        raise AssertionError("a page was allocated and not written")
    return b"".join(p for p in pages.pages if p is not None)


def write_mdb(path: Path, tables: Sequence[AccessTable]) -> None:
    """Write :func:`mdb_bytes` of ``tables`` to ``path``."""
    Path(path).write_bytes(mdb_bytes(tables))


__all__ = ["AccessColumn", "AccessTable", "mdb_bytes", "ucs2", "write_mdb"]
