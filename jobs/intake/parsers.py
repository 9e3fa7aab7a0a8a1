"""Parsers of evidence items: format and encoding detection, rows with locators, quarantine.

Pure Python, one evidence item at a time, streaming (an item is never held in memory whole except
legacy JSON arrays). Each parser yields :class:`ParsedRow` objects in file order; the caller maps
headers and writes Parquet. Rules (DOMAIN.md §4–5):

- decode strictly (never ``errors="ignore"``), detect the encoding per file, never per line;
  GB2312/GBK detections are read as GB18030, their superset;
- read every cell as text; numbers from spreadsheets are turned into text without float noise;
- a row whose field count differs from its header's is quarantined (``field_count_mismatch``),
  an undecodable line is quarantined (``undecodable``) with its bytes escaped, not dropped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_BYTES = 4 << 20
SEPARATORS: tuple[str, ...] = ("----", "\t", "|", ",", ";")
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".dat", ".text", ".log"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
JSONL_EXTENSIONS = {".jsonl", ".ndjson"}
JSON_EXTENSIONS = {".json"}

# Reason codes of rows that cannot be used (quarantine.csv).
FIELD_COUNT_MISMATCH = "field_count_mismatch"
UNDECODABLE = "undecodable"
JSON_PARSE_ERROR = "json_parse_error"
JSON_NOT_OBJECT = "json_not_object"
UNSUPPORTED_FORMAT = "unsupported_format"
UNREADABLE_ITEM = "unreadable_item"

csv.field_size_limit(1 << 24)


@dataclass
class ParsedRow:
    """One data row, or one quarantined row, of an evidence item.

    ``cells`` holds the header-aligned values (delimited text, sheets) or ``None`` when
    ``mapping`` is given (JSON objects: source key → value).
    """

    sheet: str
    line_number: int
    byte_offset: int | None
    raw_line: str
    cells: list[str | None] | None = None
    mapping: dict[str, str | None] | None = None
    header: list[str] | None = None
    reason_code: str | None = None


@dataclass
class ItemStats:
    """What intake saw in one evidence item; ``rows_read == records + rows_quarantined``."""

    format: str = "unknown"
    encoding: str = ""
    encoding_confidence: float = 0.0
    separator: str = ""
    physical_lines: int = 0
    header_rows: int = 0
    blank_lines: int = 0
    continuation_lines: int = 0
    rows_read: int = 0
    records: int = 0
    rows_quarantined: int = 0
    sheets: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)


# --------------------------------------------------------------------------- format and encoding


def detect_format(path: Path, head: bytes) -> str:
    """``delimited``, ``xlsx``, ``jsonl``, ``json`` or ``unsupported``, from the extension, then the bytes."""
    ext = path.suffix.lower()
    if ext in XLSX_EXTENSIONS or head.startswith(b"PK\x03\x04") and ext not in TEXT_EXTENSIONS:
        return "xlsx" if head.startswith(b"PK\x03\x04") else "unsupported"
    if ext in JSONL_EXTENSIONS:
        return "jsonl"
    if ext in JSON_EXTENSIONS:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return "json" if stripped.startswith(b"[") else "jsonl"
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


def detect_encoding(path: Path) -> tuple[str, float, int]:
    """Detect the text encoding of a whole file.

    Order: a byte-order mark; strict UTF-8 over the whole file; UTF-16 without BOM (NUL bytes in
    alternate positions); then charset-normalizer on a large sample, its Chinese answers widened
    to GB18030 / Big5-HKSCS.

    Returns:
        ``(codec name, confidence 0..1, BOM length in bytes)``.
    """
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, 1.0, len(bom)
    if _is_utf8(path):
        return "utf-8", 1.0, 0
    sample = head[:65536]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.2 and even_nul < 0.05:
            return "utf-16-le", round(odd_nul, 3), 0
        if even_nul > 0.2 and odd_nul < 0.05:
            return "utf-16-be", round(even_nul, 3), 0
    from charset_normalizer import from_bytes

    # Cut the sample at a line end so a multi-byte character is never split.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 else head
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp950", "utf_16", "cp1252"]).best()
    if best is None:
        return "gb18030", 0.0, 0
    name = _SUPERSET.get(best.encoding.lower().replace("-", "_"), _SUPERSET.get(best.encoding.lower(), best.encoding))
    return name, round(max(0.0, 1.0 - float(best.chaos)), 3), 0


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


def iter_lines(path: Path, encoding: str, bom_length: int) -> Iterator[Line]:
    """Physical lines with 1-based numbers and byte offsets, decoded strictly one by one.

    ``\\r\\n`` and ``\\n`` both end a line. For UTF-16/32 the file is decoded whole first (a line
    end is not one byte there) and offsets are computed from the encoded length.
    """
    if encoding.startswith(("utf-16", "utf-32")):
        data = path.read_bytes()[bom_length:]
        text = data.decode(encoding.replace("-sig", ""), errors="strict")
        unit = 2 if encoding.startswith("utf-16") else 4
        offset = bom_length
        for number, line in enumerate(text.split("\n"), start=1):
            size = len(line.encode(encoding)) + unit
            if line or offset - bom_length < len(data):
                yield Line(number, offset, line.rstrip("\r"), b"")
            offset += size
        return
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    with open(path, "rb") as fh:
        offset = 0
        number = 0
        for raw in fh:
            number += 1
            body = raw[bom_length:] if number == 1 else raw
            try:
                text = body.decode(codec, errors="strict").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError:
                text = None
            yield Line(number, offset, text, raw)
            offset += len(raw)


def choose_separator(lines: list[str]) -> str:
    """The separator whose count is the same, and non-zero, on most of the sample lines."""
    best, best_score = ",", -1.0
    for sep in SEPARATORS:
        counts = [line.count(sep) for line in lines if line.strip()]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode == 0:
            continue
        score = counts.count(mode) / len(counts) + (0.001 * len(sep))
        if score > best_score:
            best, best_score = sep, score
    return best


# --------------------------------------------------------------------------- delimited text


def parse_delimited(path: Path, stats: ItemStats) -> Iterator[ParsedRow]:
    """Rows of a CSV/TXT item. The first non-blank line is the header."""
    encoding, confidence, bom = detect_encoding(path)
    stats.format, stats.encoding, stats.encoding_confidence = "delimited", encoding, confidence

    sample: list[str] = []
    for line in iter_lines(path, encoding, bom):
        if line.text is not None and line.text.strip():
            sample.append(line.text)
        if len(sample) >= 200:
            break
    sep = choose_separator(sample)
    stats.separator = sep

    pending: list[Line] = []
    consumed: list[Line] = []

    def feed() -> Iterator[str]:
        for line in iter_lines(path, encoding, bom):
            stats.physical_lines += 1
            if line.text is None:
                pending.append(line)
                continue
            consumed.append(line)
            yield line.text + "\n"

    if len(sep) == 1:
        reader: Iterator[list[str]] = csv.reader(feed(), delimiter=sep, quotechar='"', strict=False)
    else:
        reader = (text.rstrip("\n").split(sep) for text in feed())

    header: list[str] | None = None
    for cells in reader:
        lines = consumed[:]
        consumed.clear()
        while pending:
            bad = pending.pop(0)
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow("", bad.number, bad.offset, bad.raw.decode(encoding if not encoding.endswith("-sig") else "utf-8", errors="backslashreplace").rstrip("\r\n"), reason_code=UNDECODABLE)
        first = lines[0]
        stats.continuation_lines += len(lines) - 1
        raw_line = "\n".join(line.text or "" for line in lines)
        if not any(c.strip() for c in cells):
            stats.blank_lines += len(lines)
            continue
        if header is None:
            header = [clean_header(c) for c in cells]
            stats.header_rows += 1
            stats.headers[""] = header
            continue
        stats.rows_read += 1
        if len(cells) != len(header):
            stats.rows_quarantined += 1
            yield ParsedRow("", first.number, first.offset, raw_line, reason_code=FIELD_COUNT_MISMATCH)
            continue
        stats.records += 1
        yield ParsedRow("", first.number, first.offset, raw_line, cells=list(cells), header=header)
    while pending:
        bad = pending.pop(0)
        stats.rows_read += 1
        stats.rows_quarantined += 1
        yield ParsedRow("", bad.number, bad.offset, bad.raw.decode("latin-1").rstrip("\r\n"), reason_code=UNDECODABLE)


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


def parse_xlsx(path: Path, stats: ItemStats) -> Iterator[ParsedRow]:
    """Rows of every sheet of an XLSX workbook; the first non-empty row of a sheet is its header."""
    from openpyxl import load_workbook

    stats.format, stats.encoding, stats.encoding_confidence = "xlsx", "ooxml", 1.0
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            stats.sheets.append(sheet.title)
            header: list[str] | None = None
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                while cells and (cells[-1] is None or cells[-1] == ""):
                    cells.pop()
                stats.physical_lines += 1
                if not any(c is not None and str(c).strip() for c in cells):
                    stats.blank_lines += 1
                    continue
                if header is None:
                    header = [clean_header(c or "") for c in cells]
                    stats.header_rows += 1
                    stats.headers[sheet.title] = header
                    continue
                stats.rows_read += 1
                raw_line = "\t".join("" if c is None else c for c in cells)
                if len(cells) > len(header):
                    stats.rows_quarantined += 1
                    yield ParsedRow(sheet.title, number, None, raw_line, reason_code=FIELD_COUNT_MISMATCH)
                    continue
                cells += [None] * (len(header) - len(cells))
                stats.records += 1
                yield ParsedRow(sheet.title, number, None, raw_line, cells=cells, header=header)
    finally:
        workbook.close()


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


def parse_jsonl(path: Path, stats: ItemStats) -> Iterator[ParsedRow]:
    """Rows of a JSON Lines item: one object per line (integers parsed exactly, floats kept as text)."""
    encoding, confidence, bom = detect_encoding(path)
    stats.format, stats.encoding, stats.encoding_confidence = "jsonl", encoding, confidence
    for line in iter_lines(path, encoding, bom):
        stats.physical_lines += 1
        if line.text is None:
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.raw.decode("latin-1").rstrip("\r\n"), reason_code=UNDECODABLE)
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


def parse_json_array(path: Path, stats: ItemStats) -> Iterator[ParsedRow]:
    """Rows of a JSON array item; the row number is the element's 1-based index."""
    encoding, confidence, bom = detect_encoding(path)
    stats.format, stats.encoding, stats.encoding_confidence = "json", encoding, confidence
    text = path.read_bytes()[bom:].decode(encoding.replace("-sig", ""), errors="strict")
    stats.physical_lines = text.count("\n") + 1
    data = json.loads(text, parse_float=str)
    for index, obj in enumerate(data if isinstance(data, list) else [data], start=1):
        stats.rows_read += 1
        raw = json.dumps(obj, ensure_ascii=False, sort_keys=True)
        if not isinstance(obj, dict):
            stats.rows_quarantined += 1
            yield ParsedRow("", index, None, raw, reason_code=JSON_NOT_OBJECT)
            continue
        stats.records += 1
        yield ParsedRow("", index, None, raw, mapping=flatten(obj))


PARSERS = {"delimited": parse_delimited, "xlsx": parse_xlsx, "jsonl": parse_jsonl, "json": parse_json_array}
