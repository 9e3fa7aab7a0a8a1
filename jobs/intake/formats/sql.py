"""MySQL dumps (``mysqldump``, Navicat, phpMyAdmin exports) read without restoring a database.

What is read:

- ``CREATE TABLE `t` (...)`` names the columns of ``t`` (key and constraint lines are skipped);
- ``INSERT [IGNORE] INTO `t` [(`c1`, `c2`)] VALUES (...),(...);`` and ``REPLACE INTO``: every
  tuple is one row; the column list of the statement wins over the table's; a table with neither
  gets ``col_1..col_n`` and fields inferred from content (:mod:`jobs.intake.columns`);
- string literals in single or double quotes with MySQL's backslash escapes (``\\0 \\' \\" \\b \\n
  \\r \\t \\Z \\\\``; ``\\%`` and ``\\_`` keep their backslash; any other ``\\x`` is ``x``) and doubled
  quotes (MySQL 8.0 reference, "String Literals"); ``NULL`` is a missing value; numbers and other
  bare words are kept as written (never through a float); ``_binary``/``_utf8mb4`` introducers are
  dropped;
- everything else (comments, ``SET``, ``LOCK TABLES``, ``DROP``...) is counted as other lines.

Locator of an SQL row: ``sheet`` = table name, ``line_number`` = the line where its ``INSERT``
statement starts, ``sub_index`` = the tuple's 1-based index inside that statement (part of the
record id), ``byte_offset`` = the byte offset of the tuple's opening parenthesis in the file.

Ledger: ``physical_lines = statement_lines (lines of INSERT statements) + other_lines +
blank_lines``; ``rows_read`` = tuples read = records + quarantined.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jobs.intake.columns import infer_fields
from jobs.intake.formats.rows import (
    DEFAULT_OPTIONS,
    SQL_PARSE_ERROR,
    SQL_VALUE_COUNT,
    UNDECODABLE,
    ItemStats,
    ParsedRow,
    ParseOptions,
)
from jobs.intake.formats.text import Line, detect_encoding_verbose, escape_bytes, iter_lines

# The next quote or backslash inside a literal: a linear scan (a regular expression over the whole
# literal, ``'((?:[^'\\]|\\.|'')*)'``, took 2.9 GB for a 20 MB literal: issue 13 defect 5).
_STOP = {"'": re.compile(r"['\\]"), '"': re.compile(r'["\\]')}
_SCAN = re.compile(r"['\"`;]")
_ESCAPES = {"0": "\x00", "'": "'", '"': '"', "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
            "\\": "\\", "%": "\\%", "_": "\\_"}
_ESCAPE_RE = re.compile(r"\\(.)", re.S)
# A name in backticks is matched a run of characters at a time, possessively: ``(?:[^`]|``)+``
# pushed one backtracking entry per character, 21 MB of regular-expression stack for a 131 KB name
# (the fuzzer's 159x input, docs/worklog/2026-12-03b/hostile4.md); a plain ``[^`]+`` would
# backtrack exponentially on a name that is not closed.
_IDENT = r"(?:`(?:[^`]++|``)+`|\"[^\"]+\"|[A-Za-z_$][\w$]*)"
_INSERT_RE = re.compile(
    rf"^\s*(?:INSERT|REPLACE)(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\s+(?:INTO\s+)?"
    rf"((?:{_IDENT}\s*\.\s*)?{_IDENT})\s*(\([^)]*\))?\s*VALUES?\s*", re.I | re.S)
_CREATE_RE = re.compile(rf"^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:{_IDENT}\s*\.\s*)?{_IDENT})\s*\(", re.I | re.S)
_COLUMN_RE = re.compile(rf"\s*({_IDENT})")
_NOT_COLUMNS = {"primary", "key", "unique", "index", "constraint", "fulltext", "spatial", "foreign", "check"}
_BARE = re.compile(r"[^,)\s]+")
_STATEMENT_START = re.compile(r"(?:INSERT|REPLACE|CREATE|DROP|LOCK|UNLOCK|SET|ALTER|USE|DELIMITER)\s|/\*!|-- ", re.I)
_INTRODUCER = re.compile(r"_(?:binary|utf8mb4|utf8|latin1|gbk|gb18030)\s*(?=['\"])", re.I)


def string_end(text: str, pos: int) -> int | None:
    """End (index after the closing quote) of the string literal opening at ``text[pos]``, or
    ``None`` when it is not closed in ``text``. Backslash escapes and doubled quotes are skipped
    (MySQL 8.0 "String Literals"); memory is constant, time linear in the literal's length."""
    quote = text[pos]
    stop = _STOP[quote]
    i = pos + 1
    n = len(text)
    while True:
        m = stop.search(text, i)
        if m is None:
            return None
        j = m.start()
        if text[j] == "\\":
            i = j + 2
            if i > n:
                return None
            continue
        if j + 1 < n and text[j + 1] == quote:
            i = j + 2  # a doubled quote stands for one quote
            continue
        return j + 1


def _ident(text: str) -> str:
    text = text.strip()
    if "." in text and not text.startswith(("`", '"')) or re.match(rf"{_IDENT}\s*\.\s*{_IDENT}$", text):
        text = re.split(r"\s*\.\s*(?=[`\"A-Za-z_$])", text)[-1]
    if text[:1] == "`":
        return text[1:-1].replace("``", "`")
    if text[:1] == '"':
        return text[1:-1]
    return text


def unescape(body: str, quote: str) -> str:
    """A MySQL string literal's body with its escapes resolved (MySQL 8.0 "String Literals")."""
    if "\\" in body:
        body = _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)
    return body.replace(quote * 2, quote)


def _split_top_level(body: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch in "'\"":
            end = string_end(body, i)
            i = end if end is not None else len(body)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def create_table_columns(statement: str) -> tuple[str, list[str]] | None:
    """``(table, columns)`` of a ``CREATE TABLE`` statement, or ``None``."""
    m = _CREATE_RE.match(statement)
    if not m:
        return None
    body = statement[m.end():]
    end = body.rfind(")")
    columns = []
    for part in _split_top_level(body[:end] if end >= 0 else body):
        c = _COLUMN_RE.match(part)
        if not c:
            continue
        word = c.group(1)
        if not word.startswith(("`", '"')) and word.lower() in _NOT_COLUMNS:
            continue
        columns.append(_ident(word))
    return _ident(m.group(1)), columns


class _SyntaxError(Exception):
    pass


class _Incomplete(Exception):
    """The text ends inside a tuple (``parse_tuples(final=False)``): the statement's next lines are needed."""


def parse_tuples(text: str, pos: int, final: bool = True) -> Iterator[tuple[int, int, list[str | None]]]:
    """Tuples of an INSERT's VALUES list from ``pos``: ``(start, end, values)`` per tuple.

    ``final=False``: ``text`` is the statement so far, so running out of text inside a tuple is not
    an error but :class:`_Incomplete`.

    Raises:
        _SyntaxError: with the position where the list stops making sense.
        _Incomplete: ``final=False`` and the text ends inside a tuple, with the tuple's start.
    """
    n = len(text)

    def short(start: int) -> Exception:
        return _SyntaxError(start) if final else _Incomplete(start)

    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == ";":
            return
        if text[pos] != "(":
            raise _SyntaxError(pos)
        start = pos
        pos += 1
        values: list[str | None] = []
        while True:
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            if pos >= n:
                raise short(start)
            ch = text[pos]
            if ch == "_" and (m := _INTRODUCER.match(text, pos)):
                pos = m.end()
                ch = text[pos]
            if ch in "'\"":
                end = string_end(text, pos)
                if end is None:
                    raise short(start)
                values.append(unescape(text[pos + 1:end - 1], ch))
                pos = end
            elif ch == ")" and not values:
                pos += 1
                break
            else:
                m = _BARE.match(text, pos)
                if not m:
                    raise _SyntaxError(start)
                word = m.group(0)
                values.append(None if word.upper() == "NULL" else word)
                pos = m.end()
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            if pos < n and text[pos] == ",":
                pos += 1
                continue
            if pos < n and text[pos] == ")":
                pos += 1
                break
            raise short(start) if pos >= n else _SyntaxError(start)
        yield start, pos, values


@dataclass
class _WindowLine:
    """A line of an open INSERT statement still held: its text starts at ``start`` (a position in
    the statement's text, the lines joined by ``\\n``); ``col``/``byte`` cache the last offset walk."""

    line: Line
    start: int
    covered: bool = False
    col: int = 0
    byte: int = -1


#: Least growth (characters) of an open INSERT's held lines before its tuples are tried again
#: although no line closed a tuple; doubled after each try, so a long literal is scanned a bounded
#: number of times.
_RETRY_CHARS = 1 << 16


class _InsertReader:
    """One INSERT statement read tuple by tuple as its lines arrive (issue 13 defect 5, "parse in
    bounded memory"): only the lines from the first tuple not yet read are held, so memory is bounded
    by the longest line or tuple (or quarantined fragment), never by the statement. The rows, their
    locators and the line ledger are those of reading the whole statement at once (the rules in
    :func:`parse_sql_dump`)."""

    def __init__(self, lines: list[Line], head_end: int, table: str, columns: list[str] | None,
                 ctx: dict) -> None:
        self.ctx, self.table, self.columns = ctx, table, columns
        self.fields = ctx["inferred"].get(table)
        self.first = lines[0]
        self.window: list[_WindowLine] = []
        self.starts: list[int] = []
        self.size = 0
        self.next_start = 0
        self.pos = head_end  # the next character no tuple has read
        self.bad_at: int | None = None  # start of a quarantined fragment still open
        self.index = 0
        self.sample: list[tuple] = []  # rows held until a headerless table's fields are inferred
        for line in lines:
            self._append(line)
        for wl in self.window:  # the statement's head (up to VALUES)
            if wl.start <= max(0, head_end - 1):
                wl.covered = True
        self.next_try = 0
        if columns is not None:
            self._columns_known()

    def _append(self, line: Line) -> None:
        self.window.append(_WindowLine(line, self.next_start))
        self.starts.append(self.next_start)
        self.next_start += len(line.text) + 1
        self.size += len(line.text) + 1

    def add(self, line: Line, ready: bool) -> Iterator[ParsedRow]:
        """Take the statement's next line; ``ready``: no string literal is open at its end."""
        self._append(line)
        if self.bad_at is not None and line.text.startswith("("):
            # The open fragment ends at the next line that opens a tuple (one tuple per line).
            yield from self._row(self.bad_at, self.window[-1].start - 1, None)
            self.bad_at = None
            self.pos = self.window[-1].start
        if (ready and ")" in line.text and self.bad_at is None) or self.size >= self.next_try:
            yield from self._read(final=False)

    def finish(self) -> Iterator[ParsedRow]:
        """The statement has ended: read what is left, quarantine what does not parse."""
        yield from self._read(final=True)
        for wl in self.window:
            self._close_line(wl)
        self.window.clear()
        if self.columns is None:
            self._decide_columns()
        yield from self._flush_sample()

    def _read(self, final: bool) -> Iterator[ParsedRow]:
        if not self.window:
            return
        base = self.window[0].start
        text = "\n".join(wl.line.text for wl in self.window)
        if self.bad_at is None:
            while True:
                try:
                    for start, end, values in parse_tuples(text, self.pos - base, final):
                        self.pos = base + end
                        yield from self._row(base + start, base + end, values)
                    if final:
                        self.pos = base + len(text)
                    break
                except _Incomplete:
                    break
                except _SyntaxError as exc:
                    # Quarantine from the failing tuple to the next line that opens a tuple (one
                    # tuple per line: Navicat, phpMyAdmin), else to the end of the statement; then
                    # read on.
                    bad_at = exc.args[0]
                    nxt = text.find("\n(", bad_at + 1)
                    if nxt >= 0:
                        yield from self._row(base + bad_at, base + nxt, None)
                        self.pos = base + nxt + 1
                        continue
                    self.bad_at = base + bad_at
                    break
        if final and self.bad_at is not None:
            yield from self._row(self.bad_at, base + len(text), None)
            self.bad_at = None
            self.pos = base + len(text)
        del text
        # Lines no later row can reach are done: their ledger line is final, they are let go.
        keep = self.pos if self.bad_at is None else min(self.pos, self.bad_at)
        drop = 0
        while drop + 1 < len(self.window) and self.window[drop + 1].start <= keep:
            drop += 1
        for wl in self.window[:drop]:
            self._close_line(wl)
            self.size -= len(wl.line.text) + 1
        del self.window[:drop], self.starts[:drop]
        self.next_try = max(2 * self.size, _RETRY_CHARS)

    def _close_line(self, wl: _WindowLine) -> None:
        # Line ledger: a line of the statement is accounted for when a row (tuple or quarantined
        # fragment) covers it, or it is the statement's head (up to VALUES) or holds only white
        # space, commas, ``;`` or ``)``; nothing else counts, so lines a parser bug skipped leave
        # the ledger unbalanced instead of vanishing (issue 13 defect 5).
        if wl.covered or not wl.line.text.strip(" \t\r,;)"):
            self.ctx["stats"].statement_lines += 1

    def _offset(self, pos: int) -> int:
        wl = self.window[bisect.bisect_right(self.starts, pos) - 1]
        col = pos - wl.start
        if wl.byte < 0 or col < wl.col:
            wl.col, wl.byte = 0, wl.line.offset + (self.ctx["bom"] if wl.line.number == 1 else 0)
        wl.byte += len(wl.line.text[wl.col:col].encode(self.ctx["codec"]))
        wl.col = col
        return wl.byte

    def _row(self, start: int, end: int, values: list[str | None] | None) -> Iterator[ParsedRow]:
        first = bisect.bisect_right(self.starts, start) - 1
        last = bisect.bisect_right(self.starts, max(start, end - 1)) - 1
        for wl in self.window[first:last + 1]:
            wl.covered = True
        through = bisect.bisect_right(self.starts, end) - 1  # a fragment may end in an empty line
        text = "\n".join(wl.line.text for wl in self.window[first:through + 1])
        raw = text[start - self.window[first].start:end - self.window[first].start]
        del text
        self.index += 1
        self.sample.append((self.index, self._offset(start), raw, values))
        if self.columns is None:
            width_rows = sum(1 for *_, v in self.sample if v is not None)
            if width_rows < self.ctx["options"].infer_sample_rows:
                return
            self._decide_columns()
        yield from self._flush_sample()

    def _decide_columns(self) -> None:
        ctx = self.ctx
        width = max((len(v) for *_, v in self.sample if v is not None), default=0)
        self.columns = [f"col_{i + 1}" for i in range(width)]
        fields, why = infer_fields([v for *_, v in self.sample if v is not None and len(v) == width],
                                   width, min_share=ctx["options"].infer_min_share)
        ctx["tables"][self.table] = self.columns
        ctx["inferred"][self.table] = self.fields = fields
        ctx["stats"].column_inference[self.table] = why
        self._columns_known()

    def _columns_known(self) -> None:
        stats = self.ctx["stats"]
        stats.headers.setdefault(self.table, list(self.columns))
        stats.header_lines.setdefault(self.table, 0)

    def _flush_sample(self) -> Iterator[ParsedRow]:
        stats, columns = self.ctx["stats"], self.columns
        rows, self.sample = self.sample, []
        for idx, offset, raw, values in rows:
            stats.rows_read += 1
            if values is None:
                stats.rows_quarantined += 1
                yield ParsedRow(self.table, self.first.number, offset, raw, reason_code=SQL_PARSE_ERROR, sub_index=idx)
            elif len(values) != len(columns):
                stats.rows_quarantined += 1
                yield ParsedRow(self.table, self.first.number, offset, raw, reason_code=SQL_VALUE_COUNT, sub_index=idx)
            else:
                stats.records += 1
                yield ParsedRow(self.table, self.first.number, offset, raw, cells=values, header=columns,
                                fields=self.fields, sub_index=idx)


def line_end_state(text: str, quote: str | None) -> tuple[str | None, bool]:
    """(open quote at the end of the line ``text``, given the quote open at its start; whether a
    ``;`` outside strings ends it)."""
    pos, ended = 0, False
    if quote is not None:
        end = string_end(quote + text, 0)
        if end is None:
            return quote, False
        pos = end - 1
        quote = None
    while True:
        m = _SCAN.search(text, pos)
        if m is None:
            return None, ended and not text[pos:].strip()
        ch = m.group(0)
        if ch == ";":
            ended = True
            pos = m.end()
            continue
        ended = False
        if ch == "`":
            close = text.find("`", m.end())
            if close < 0:
                return None, False
            pos = close + 1
            continue
        end = string_end(text, m.start())
        if end is None:
            return ch, False
        pos = end


#: A statement head that may still become an INSERT or CREATE TABLE once its next lines are read,
#: and the most characters such a head may hold before it is counted as other lines.
_MAYBE_ROWS = re.compile(r"\s*(?:INSERT|REPLACE|CREATE)\b", re.I)
_HEAD_CHARS = 1 << 16


def parse_sql_dump(path: Path, stats: ItemStats, options: ParseOptions) -> Iterator[ParsedRow]:
    """Rows of a MySQL dump; see the module docstring for what is read and the locator.

    Streaming: an INSERT's tuples are read as its lines arrive (:class:`_InsertReader`); the lines of
    any other statement are counted, not kept (a CREATE TABLE's are, to read its columns).
    """
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "sql", encoding, confidence
    stats.encoding_detected = detected
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    ctx = {"stats": stats, "options": options, "codec": codec, "bom": bom, "tables": {}, "inferred": {}}
    tables: dict[str, list[str]] = ctx["tables"]

    kind: str | None = None  # the open statement: None, "head" (not known yet), "create", "insert", "other"
    head: list[Line] = []  # its lines while it is a head or a CREATE TABLE
    reader: _InsertReader | None = None
    quote: str | None = None  # open string quote carried across lines

    def classify() -> None:
        nonlocal kind, head, reader
        text = "\n".join(ln.text for ln in head)
        if _CREATE_RE.match(text):
            kind = "create"
        elif m := _INSERT_RE.match(text):
            table = _ident(m.group(1))
            if table not in stats.sheets:
                stats.sheets.append(table)
            columns = [_ident(c) for c in _split_top_level(m.group(2)[1:-1])] if m.group(2) else tables.get(table)
            kind, reader = "insert", _InsertReader(head, m.end(), table, columns, ctx)
            head = []
        elif not _MAYBE_ROWS.match(text) or len(text) > _HEAD_CHARS:
            kind = "other"
            stats.other_lines += len(head)
            head = []

    def close() -> Iterator[ParsedRow]:
        nonlocal kind, head, reader
        if kind == "insert":
            yield from reader.finish()
        elif kind == "create":
            table, columns = create_table_columns("\n".join(ln.text for ln in head))
            tables[table] = columns
            stats.other_lines += len(head)
        elif kind == "head":
            stats.other_lines += len(head)
        kind, head, reader = None, [], None

    for line in iter_lines(path, encoding, bom):
        stats.physical_lines += 1
        if line.text is None:
            if kind is not None:
                # A bad line inside a statement: the statement so far is read, the line quarantined.
                yield from close()
                quote = None
            stats.rows_read += 1
            stats.rows_quarantined += 1
            stats.statement_lines += 1
            yield ParsedRow("", line.number, line.offset, escape_bytes(line.raw, codec), reason_code=UNDECODABLE)
            continue
        text = line.text
        if kind is None:
            stripped = text.strip()
            if not stripped:
                stats.blank_lines += 1
                continue
            if stripped.startswith(("--", "#")) or (stripped.startswith("/*") and stripped.rstrip(";").endswith("*/")):
                stats.other_lines += 1
                continue
        elif _STATEMENT_START.match(text):
            # A line that starts a statement while one is still open (an unterminated quote, a
            # missing ``;``): the open statement is read as it stands and this one starts afresh.
            # mysqldump, Navicat and phpMyAdmin write a line break inside a literal as ``\n``, so
            # such a line is never inside a real string.
            yield from close()
            quote = None
        quote, ended = line_end_state(text, quote)
        if kind is None:
            kind = "head"
        if kind == "insert":
            yield from reader.add(line, ready=quote is None)
        elif kind == "other":
            stats.other_lines += 1
        else:
            head.append(line)
            if kind == "head":
                classify()
        if ended:
            yield from close()
    if kind is not None:
        yield from close()


def parse_sql(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a MySQL dump, without a database (see the module docstring)."""
    yield from parse_sql_dump(path, stats, options)
