"""Parsers of evidence items: format and encoding detection, rows with locators, quarantine.

Pure Python, one evidence item at a time, streaming (an item is never held in memory whole except
JSON documents). Each parser yields :class:`ParsedRow` objects in file order; the caller maps
headers and writes Parquet. Rules (DOMAIN.md §4–5):

- decode strictly (never ``errors="ignore"``), detect the encoding per file, never per line;
  GB2312/GBK detections are read as GB18030, their superset; Big5 as Big5-HKSCS;
- read every cell as text; numbers from spreadsheets are turned into text without float noise, and a
  number with more than 15 significant digits is shown as Excel shows it (``1.10105198506150E+17``):
  its last digits were lost in the source and are never guessed;
- the header is the first row (within ``header_search_rows``) naming a known column; rows above it
  are quarantined (``junk_before_header``). A first row holding an ID number, card, mobile number,
  e-mail or 5+ digit run and no known column name means there is no header: fields are then inferred
  from content (:mod:`jobs.intake.columns`) and the inference recorded;
- nothing is dropped: a row that cannot be used is quarantined with a reason code.

Reason codes (``quarantine.reason_code``):

========================  ==================================================================
``field_count_mismatch``  the row has another number of fields than the header
``undecodable``           the line's bytes are not valid in the file's encoding (kept as
                          ``\\xNN`` escapes in ``raw_line``)
``unbalanced_quote``      a quoted field is not closed within ``max_quoted_lines`` lines; the
                          line is quarantined and reading resumes on the next line
``junk_before_header``    a line above the header line (title, export note)
``json_parse_error``      a JSON Lines line that is not JSON
``json_not_object``       a JSON value that is not an object
``sql_value_count``       an SQL tuple with another number of values than the table's columns
``sql_parse_error``       an INSERT statement (from the failing tuple on) that cannot be parsed
``unsupported_format``    an item of a format intake does not read (whole item, one row)
``unreadable_item``       an item whose container is broken (whole item, one row)
========================  ==================================================================

Ledger (``ItemStats.line_ledger``), exact per item: for text items ``physical_lines = rows_read +
header_rows + blank_lines + continuation_lines``; for sheets the same with sheet rows; for SQL dumps
``physical_lines = statement_lines + other_lines + blank_lines`` and ``rows_read`` counts tuples; for
JSON documents ``rows_read`` counts array elements. Always ``rows_read = records + rows_quarantined``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jobs.intake.columns import infer_fields, looks_like_data

SAMPLE_BYTES = 4 << 20
#: Separators seen in seized text files (DOMAIN.md §4), most specific first. ``SPACES`` stands for
#: a run of spaces (column-aligned exports), tried last.
SPACES = "spaces"
SEPARATORS: tuple[str, ...] = ("----", "\t", "|", ",", ";", SPACES)
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".dat", ".text", ".log", ""}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
XLS_EXTENSIONS = {".xls"}
JSONL_EXTENSIONS = {".jsonl", ".ndjson"}
JSON_EXTENSIONS = {".json"}
SQL_EXTENSIONS = {".sql"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Reason codes of rows that cannot be used (quarantine.csv).
FIELD_COUNT_MISMATCH = "field_count_mismatch"
EMPTY_ROW = "empty_row"
UNDECODABLE = "undecodable"
UNBALANCED_QUOTE = "unbalanced_quote"
JUNK_BEFORE_HEADER = "junk_before_header"
JSON_PARSE_ERROR = "json_parse_error"
JSON_NOT_OBJECT = "json_not_object"
SQL_VALUE_COUNT = "sql_value_count"
SQL_PARSE_ERROR = "sql_parse_error"
UNSUPPORTED_FORMAT = "unsupported_format"
UNREADABLE_ITEM = "unreadable_item"

csv.field_size_limit(1 << 24)


@dataclass(frozen=True)
class ParseOptions:
    """How tabular items are read (``configs/pipeline.yaml`` ``intake``).

    Attributes:
        header_names: known column names, already folded by :func:`header_key` (the synonyms).
        header_search_rows: rows searched from the top for the header line.
        max_quoted_lines: physical lines one quoted field may span before it is called unbalanced.
        infer_sample_rows: rows sampled to infer the fields of a headerless table.
        infer_min_share: least share of a column's values that must match a content rule.
    """

    header_names: frozenset[str] = frozenset()
    header_search_rows: int = 50
    max_quoted_lines: int = 50
    infer_sample_rows: int = 1000
    infer_min_share: float = 0.8

    def known(self, cell: str | None) -> bool:
        return cell is not None and header_key(cell) in self.header_names


DEFAULT_OPTIONS = ParseOptions()


def header_key(text: str) -> str:
    """A header cell folded for matching: no BOM, quotes, surrounding whitespace; lower case."""
    return text.replace("\ufeff", "").strip().strip('"').strip().lower()


@dataclass
class ParsedRow:
    """One data row, or one quarantined row, of an evidence item.

    ``cells`` holds the header-aligned values (delimited text, sheets, SQL tuples) or ``None`` when
    ``mapping`` is given (JSON objects: source key → value). ``fields``, when set, gives each
    column's canonical field decided by the parser (headerless tables: inferred from content), and
    replaces the synonyms lookup. ``sub_index`` is the 1-based tuple index inside a multi-row SQL
    ``INSERT`` (the locator is then: sheet = table, line = line of the INSERT, tuple index).
    """

    sheet: str
    line_number: int
    byte_offset: int | None
    raw_line: str
    cells: list[str | None] | None = None
    mapping: dict[str, str | None] | None = None
    header: list[str] | None = None
    reason_code: str | None = None
    fields: list[str | None] | None = None
    sub_index: int | None = None


@dataclass
class ItemStats:
    """What intake saw in one evidence item; ``rows_read == records + rows_quarantined``."""

    format: str = "unknown"
    encoding: str = ""
    encoding_confidence: float = 0.0
    encoding_detected: str = ""
    separator: str = ""
    physical_lines: int = 0
    header_rows: int = 0
    blank_lines: int = 0
    continuation_lines: int = 0
    statement_lines: int = 0
    other_lines: int = 0
    rows_read: int = 0
    records: int = 0
    rows_quarantined: int = 0
    precision_lost_cells: int = 0
    sheets: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    header_lines: dict[str, int] = field(default_factory=dict)
    column_inference: dict[str, dict] = field(default_factory=dict)

    def line_ledger(self) -> dict:
        """The item's line ledger: the rule applied, both sides, and whether they are equal."""
        if self.format == "sql":
            rule = "physical_lines = statement_lines + other_lines + blank_lines"
            rhs = self.statement_lines + self.other_lines + self.blank_lines
        elif self.format == "json":
            rule = "rows_read = array elements (a JSON document has no line rows)"
            return {"rule": rule, "physical_lines": self.physical_lines, "accounted": None,
                    "balanced": self.rows_read == self.records + self.rows_quarantined}
        elif self.format in ("unsupported", "unknown", "archive"):
            return {"rule": "not parsed", "physical_lines": 0, "accounted": 0, "balanced": True}
        else:
            rule = "physical_lines = rows_read + header_rows + blank_lines + continuation_lines"
            rhs = self.rows_read + self.header_rows + self.blank_lines + self.continuation_lines
        return {"rule": rule, "physical_lines": self.physical_lines, "accounted": rhs,
                "balanced": rhs == self.physical_lines and self.rows_read == self.records + self.rows_quarantined}


# --------------------------------------------------------------------------- format and encoding


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
            json.loads(first.decode("utf-8"))
            return "jsonl"
        except (ValueError, UnicodeDecodeError):
            return "json"
    if ext in SQL_EXTENSIONS:
        return "sql"
    if ext in TEXT_EXTENSIONS:
        return "delimited"
    return "unsupported"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# charset-normalizer names → the codec casefile decodes with (supersets first: DOMAIN.md §5).
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "hz": "gb18030", "gb18030": "gb18030",
             "big5": "big5hkscs", "cp950": "big5hkscs", "big5hkscs": "big5hkscs", "ascii": "utf-8", "utf_8": "utf-8"}
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def detect_encoding(path: Path) -> tuple[str, float, int]:
    """Detect the text encoding of a whole file (never per line: DOMAIN.md §5).

    Order: a byte-order mark; strict UTF-8 over the whole file; UTF-16 without BOM (NUL bytes in
    alternate positions); then charset-normalizer on a sample of up to 4 MiB cut at a line end, its
    Chinese answers widened to GB18030 / Big5-HKSCS. If the detector names a codec that cannot
    decode the sample, or a non-Chinese code page while GB18030 decodes the sample into Chinese
    characters (short GBK samples are routinely called KOI8-R or a Korean page), the Chinese codec
    that decodes the sample strictly is taken instead, with confidence halved.

    Returns:
        ``(codec name, confidence 0..1, BOM length in bytes)``. The detector's own answer is
        available from :func:`detect_encoding_verbose`.
    """
    name, confidence, bom, _ = detect_encoding_verbose(path)
    return name, confidence, bom


def detect_encoding_verbose(path: Path) -> tuple[str, float, int, str]:
    """:func:`detect_encoding` plus the name the detection step itself gave (``bom``, ``utf-8``,
    ``utf-16 nul pattern`` or charset-normalizer's answer)."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, 1.0, len(bom), f"bom:{name}"
    if _is_utf8(path):
        return "utf-8", 1.0, 0, "utf-8 (strict decode of the whole file)"
    sample = head[:65536]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.2 and even_nul < 0.05:
            return "utf-16-le", round(min(1.0, odd_nul * 2), 3), 0, "utf-16-le (NUL pattern)"
        if even_nul > 0.2 and odd_nul < 0.05:
            return "utf-16-be", round(min(1.0, even_nul * 2), 3), 0, "utf-16-be (NUL pattern)"
    # A UTF-8 file with a few corrupt lines is still UTF-8: its bad lines are quarantined.
    lines = [ln for ln in head.split(b"\n")[:-1] if any(b > 0x7F for b in ln)]
    if lines:
        share = sum(_decodes(ln, "utf-8") for ln in lines) / len(lines)
        if share >= 0.5:  # GBK/Big5 lines with Chinese characters almost never form valid UTF-8
            return "utf-8", round(share, 3), 0, f"utf-8 ({share:.1%} of non-ASCII sample lines decode)"
    from charset_normalizer import from_bytes

    # Cut the sample at a line end so a multi-byte character is never split.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 and len(head) == SAMPLE_BYTES else head
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp950", "utf_16", "cp1252"]).best()
    detected = best.encoding if best is not None else "none"
    if best is None:
        name, confidence = "gb18030", 0.0
    else:
        name = _SUPERSET.get(best.encoding.lower().replace("-", "_"), _SUPERSET.get(best.encoding.lower(), best.encoding))
        confidence = round(max(0.0, 1.0 - float(best.chaos)), 3)
    if not _decodes(sample, name) or (name not in ("gb18030", "big5hkscs") and _decodes(sample, "gb18030")
                                      and _CJK_RE.search(sample.decode("gb18030"))):
        for fallback in ("gb18030", "big5hkscs"):
            if _decodes(sample, fallback):
                return fallback, round(confidence / 2, 3), 0, f"{detected} (overruled: {fallback} decodes the sample)"
    return name, confidence, 0, f"charset-normalizer:{detected}"


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- physical lines


@dataclass
class Line:
    number: int
    offset: int
    text: str | None  # None: undecodable
    raw: bytes


def _escape_bytes(raw: bytes, codec: str) -> str:
    """Undecodable bytes kept intact as text: decodable runs as text, the rest as ``\\xNN``."""
    return raw.decode(codec, errors="backslashreplace").rstrip("\r\n")


def iter_lines(path: Path, encoding: str, bom_length: int) -> Iterator[Line]:
    """Physical lines with 1-based numbers and byte offsets, decoded strictly one by one.

    ``\\r\\n`` and ``\\n`` both end a line (a file may mix them); in a file whose first MiB has
    ``\\r`` but no ``\\n`` (classic Mac OS "CSV (Macintosh)" exports) a lone ``\\r`` ends a line.
    For UTF-16/32 a line ends at an aligned ``\\n`` code unit; each line is decoded on its own, so
    one bad line is quarantined without losing the rest.
    """
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding.startswith(("utf-16", "utf-32")):
        yield from _iter_wide_lines(path, codec, bom_length)
        return
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        fh.seek(0)
        cr_only = b"\r" in head and b"\n" not in head
        offset = 0
        number = 0
        for raw in (_cr_lines(fh) if cr_only else fh):
            number += 1
            body = raw[bom_length:] if number == 1 else raw
            try:
                text = body.decode(codec, errors="strict").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError:
                text = None
            yield Line(number, offset, text, raw)
            offset += len(raw)


def _cr_lines(fh) -> Iterator[bytes]:
    """Lines of a binary file ended by a lone ``\\r`` (each with its ``\\r``), read 1 MiB at a time.
    Safe for UTF-8 and GB18030: neither uses byte 0x0D inside a multi-byte character."""
    rest = b""
    while chunk := fh.read(1 << 20):
        *lines, rest = (rest + chunk).split(b"\r")
        for line in lines:
            yield line + b"\r"
    if rest:
        yield rest


def _iter_wide_lines(path: Path, codec: str, bom_length: int) -> Iterator[Line]:
    unit = 4 if codec.startswith("utf-32") else 2
    newline = "\n".encode(codec)
    data = path.read_bytes()
    pos = bom_length
    number = 0
    while pos < len(data):
        end = data.find(newline, pos)
        while end != -1 and (end - bom_length) % unit:
            end = data.find(newline, end + 1)
        stop = len(data) if end == -1 else end + unit
        raw = data[pos:stop]
        number += 1
        try:
            text = raw.decode(codec, errors="strict").rstrip("\n").rstrip("\r")
        except UnicodeDecodeError:
            text = None
        yield Line(number, pos, text, raw)
        pos = stop


_SPACE_RUN = re.compile(r"[ \u3000]+")


def split_fields(text: str, sep: str) -> list[str]:
    """Split an unquoted line on ``sep`` (``SPACES``: runs of spaces, the line stripped first)."""
    if sep == SPACES:
        return _SPACE_RUN.split(text.strip(" \u3000"))
    return text.split(sep)


def choose_separator(lines: list[str]) -> str:
    """The separator whose count is the same, and non-zero, on most of the sample lines.

    Ties go to the longer separator; a run of spaces is taken only when no other separator is as
    consistent (a space also occurs inside addresses).
    """
    best, best_score = ",", -1.0
    for sep in SEPARATORS:
        if sep == SPACES:
            counts = [len(split_fields(line, sep)) - 1 for line in lines if line.strip()]
        else:
            counts = [line.count(sep) for line in lines if line.strip()]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode == 0:
            continue
        score = counts.count(mode) / len(counts) + (0.001 * len(sep) if sep != SPACES else -0.01)
        if score > best_score:
            best, best_score = sep, score
    return best


# --------------------------------------------------------------------------- tabular rows (shared)


@dataclass
class _Logical:
    """One logical row before the header decision: cells, or a reason it was already refused."""

    number: int
    offset: int | None
    lines: int
    raw: str
    cells: list[str | None] | None
    reason: str | None = None


def _blank(cells: list[str | None]) -> bool:
    return not any(c is not None and str(c).strip() for c in cells)


def _tabular(events: Iterator[_Logical], stats: ItemStats, sheet: str, options: ParseOptions, *,
             exact_width: bool) -> Iterator[ParsedRow]:
    """Header decision, inference and row emission shared by delimited text and sheets.

    ``exact_width``: a data row must have exactly the header's width (text); otherwise shorter rows
    are padded with ``None`` (sheets drop trailing empty cells) and only longer rows are refused.
    """
    sample_size = max(options.header_search_rows, options.infer_sample_rows)
    buffered: list[_Logical] = []
    for ev in events:
        buffered.append(ev)
        if len(buffered) >= sample_size:
            break
    rows = [ev for ev in buffered if ev.reason is None and ev.cells is not None and not _blank(ev.cells)]
    widths = Counter(len(ev.cells) for ev in rows)
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 0

    header_at: _Logical | None = None
    for ev in rows[: options.header_search_rows]:
        if (len(ev.cells) == width or not exact_width) and sum(options.known(c) for c in ev.cells) >= 1:
            header_at = ev
            break
    fields: list[str | None] | None = None
    if header_at is None and rows:
        first = next((ev for ev in rows if len(ev.cells) == width), rows[0])
        if looks_like_data(first.cells):
            # No header: columns col_1..col_n, fields inferred from content.
            if not exact_width:
                width = max(len(ev.cells) for ev in rows)
            sample = [ev.cells for ev in rows if len(ev.cells) <= width][: options.infer_sample_rows]
            fields, why = infer_fields(sample, width, min_share=options.infer_min_share)
            stats.column_inference[sheet] = why
            stats.headers[sheet] = [f"col_{i + 1}" for i in range(width)]
            stats.header_lines[sheet] = 0
        else:
            header_at = first if exact_width else rows[0]
    header: list[str] | None = stats.headers.get(sheet) if fields is not None else None
    before_header = header_at is not None

    def emit(ev: _Logical) -> Iterator[ParsedRow]:
        nonlocal header, before_header
        stats.continuation_lines += ev.lines - 1
        if ev.reason is not None:
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, reason_code=ev.reason)
            return
        cells = ev.cells or []
        # A blank line is empty or white space only (text), a row with no value (sheets). A text
        # line of separators only ("--------", ",,,") is not blank: it is read as a row and
        # refused below (wrong width, or ``empty_row``).
        if (not ev.raw.strip()) if exact_width else _blank(cells):
            stats.blank_lines += 1
            return
        if before_header and _blank(cells):
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, reason_code=JUNK_BEFORE_HEADER)
            return
        if before_header:
            if ev is header_at:
                header = [clean_header(c or "") for c in cells]
                stats.header_rows += 1
                stats.headers[sheet] = header
                stats.header_lines[sheet] = ev.number
                before_header = False
                return
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, reason_code=JUNK_BEFORE_HEADER)
            return
        stats.rows_read += 1
        n = len(header or ())
        if len(cells) != n and (exact_width or len(cells) > n):
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, reason_code=FIELD_COUNT_MISMATCH)
            return
        if _blank(cells):
            stats.rows_quarantined += 1
            yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, reason_code=EMPTY_ROW)
            return
        if len(cells) < n:
            cells = cells + [None] * (n - len(cells))
        stats.records += 1
        yield ParsedRow(sheet, ev.number, ev.offset, ev.raw, cells=list(cells), header=header, fields=fields)

    for ev in buffered:
        yield from emit(ev)
    for ev in events:
        yield from emit(ev)


# --------------------------------------------------------------------------- delimited text


def _quoted_row(texts: list[str], sep: str) -> list[str] | None:
    """Cells of a record spanning ``texts`` with quoted fields, or ``None`` while a quote is open."""
    data = [t + "\n" for t in texts]
    try:
        return next(csv.reader(data, delimiter=sep, quotechar='"', strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return None
    # Other quirks (text after a closing quote): read leniently, as Excel does.
    return next(csv.reader(data, delimiter=sep, quotechar='"', strict=False))


def _delimited_events(lines: Iterator[Line], sep: str, codec: str, stats: ItemStats,
                      options: ParseOptions) -> Iterator[_Logical]:
    quoting = len(sep) == 1
    pending: deque[Line] = deque()
    open_lines: list[Line] = []

    def refuse_open() -> Iterator[_Logical]:
        # The first line of an unclosed quote is quarantined; the others are read again.
        first = open_lines[0]
        rest = open_lines[1:]
        open_lines.clear()
        pending.extendleft(reversed(rest))
        yield _Logical(first.number, first.offset, 1, first.text or "", None, UNBALANCED_QUOTE)

    def source() -> Iterator[Line | None]:
        for line in lines:
            stats.physical_lines += 1
            yield line

    it = source()
    while True:
        line = pending.popleft() if pending else next(it, None)
        if line is None:
            if open_lines:
                yield from refuse_open()
                continue
            break
        if line.text is None:
            if open_lines:
                pending.appendleft(line)
                yield from refuse_open()
                continue
            yield _Logical(line.number, line.offset, 1, _escape_bytes(line.raw, codec), None, UNDECODABLE)
            continue
        text = line.text
        if open_lines:
            open_lines.append(line)
            cells = _quoted_row([ln.text for ln in open_lines], sep)
            if cells is not None:
                first = open_lines[0]
                raw = "\n".join(ln.text for ln in open_lines)
                n = len(open_lines)
                open_lines.clear()
                yield _Logical(first.number, first.offset, n, raw, cells)
            elif len(open_lines) > options.max_quoted_lines:
                yield from refuse_open()
            continue
        if not quoting or '"' not in text:
            yield _Logical(line.number, line.offset, 1, text, split_fields(text, sep))
            continue
        cells = _quoted_row([text], sep)
        if cells is None:
            open_lines.append(line)
            continue
        yield _Logical(line.number, line.offset, 1, text, cells)


def parse_delimited(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a CSV/TXT item (any separator of :data:`SEPARATORS`, quoted fields, mixed line ends).

    The header is found as the module docstring says; a row's locator is the line where it starts
    and that line's byte offset.
    """
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "delimited", encoding, confidence
    stats.encoding_detected = detected
    codec = "utf-8" if encoding == "utf-8-sig" else encoding

    sample: list[str] = []
    for line in iter_lines(path, encoding, bom):
        if line.text is not None and line.text.strip():
            sample.append(line.text)
        if len(sample) >= 200:
            break
    sep = choose_separator(sample)
    stats.separator = sep
    events = _delimited_events(iter_lines(path, encoding, bom), sep, codec, stats, options)
    yield from _tabular(events, stats, "", options, exact_width=True)


def clean_header(cell: str) -> str:
    """A header cell without BOM, surrounding quotes and whitespace."""
    return cell.replace("\ufeff", "").strip().strip('"').strip()


# --------------------------------------------------------------------------- spreadsheets


def cell_text(value: object) -> str | None:
    """A spreadsheet cell as text, digit for digit (no float noise, no exponent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits (IEEE double): a longer number typed as a number has
        # already lost its last digits in the source. Show it as Excel does (1.10105198506150E+17)
        # so normalization flags it as precision lost; never invent the missing digits.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if value.is_integer():
            return format(value, ".14E")
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _precision_lost(value: object) -> bool:
    return isinstance(value, float) and value.is_integer() and abs(value) >= 1e15


def _sheet_events(rows: Iterable[tuple[int, list[object]]], stats: ItemStats) -> Iterator[_Logical]:
    for number, values in rows:
        stats.physical_lines += 1
        stats.precision_lost_cells += sum(1 for v in values if _precision_lost(v))
        cells = [cell_text(v) for v in values]
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        raw = "\t".join("" if c is None else c for c in cells)
        yield _Logical(number, None, 1, raw, cells)


def parse_xlsx(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of every sheet of an XLSX workbook (locator: sheet name, 1-based row number)."""
    from openpyxl import load_workbook

    stats.format, stats.encoding, stats.encoding_confidence = "xlsx", "ooxml", 1.0
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            stats.sheets.append(sheet.title)
            rows = ((n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1))
            yield from _tabular(_sheet_events(rows, stats), stats, sheet.title, options, exact_width=False)
    finally:
        workbook.close()


def parse_xls(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of every sheet of a legacy Excel 97-2003 workbook (BIFF8, read with xlrd).

    Text cells stay text; number cells go through :func:`cell_text` (15 significant digits, never
    guessed); date cells become ISO dates; error cells their Excel text (``#N/A``).
    """
    import xlrd

    stats.format, stats.encoding, stats.encoding_confidence = "xls", "biff", 1.0
    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        stats.encoding = f"biff:{book.encoding}" if getattr(book, "encoding", None) else "biff"
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            stats.sheets.append(sheet.name)

            def rows(sheet=sheet) -> Iterator[tuple[int, list[object]]]:
                for r in range(sheet.nrows):
                    out: list[object] = []
                    for cell in sheet.row(r):
                        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                            out.append(None)
                        elif cell.ctype == xlrd.XL_CELL_DATE:
                            try:
                                out.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                                out.append(cell.value)
                        elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                            out.append(bool(cell.value))
                        elif cell.ctype == xlrd.XL_CELL_ERROR:
                            out.append(xlrd.error_text_from_code.get(cell.value, "#ERR"))
                        else:
                            out.append(cell.value)
                    yield r + 1, out

            yield from _tabular(_sheet_events(rows(), stats), stats, sheet.name, options, exact_width=False)
            book.unload_sheet(index)
    finally:
        book.release_resources()


# --------------------------------------------------------------------------- JSON


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
            yield ParsedRow("", line.number, line.offset, _escape_bytes(line.raw, codec), reason_code=UNDECODABLE)
            continue
        if not line.text.strip():
            stats.blank_lines += 1
            continue
        stats.rows_read += 1
        try:
            obj = json.loads(line.text, parse_float=str)
        except ValueError:
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_PARSE_ERROR)
            continue
        if not isinstance(obj, dict):
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_NOT_OBJECT)
            continue
        stats.records += 1
        yield ParsedRow("", line.number, line.offset, line.text, mapping=flatten(obj))


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


def parse_sql(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a MySQL dump, without a database (see :mod:`jobs.intake.sqldump`)."""
    from jobs.intake.sqldump import parse_sql_dump

    yield from parse_sql_dump(path, stats, options)


PARSERS = {"delimited": parse_delimited, "xlsx": parse_xlsx, "xls": parse_xls, "jsonl": parse_jsonl,
           "json": parse_json_array, "sql": parse_sql}
