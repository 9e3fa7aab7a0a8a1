"""Delimited text items (CSV, TXT, TSV, DAT...): separator choice, quoted fields, rows.

The separator is chosen per file from a sample (:func:`choose_separator`); a field in double quotes
may span several physical lines (at most ``max_quoted_lines``), and a quote left open is
quarantined (``unbalanced_quote``) without losing the lines after it. The header is decided by
:mod:`jobs.intake.formats.tabular`; a row's locator is the line where it starts and that line's
byte offset.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from jobs.intake.formats.rows import (
    DEFAULT_OPTIONS,
    FIELD_TOO_LARGE,
    UNBALANCED_QUOTE,
    UNDECODABLE,
    ItemStats,
    ParsedRow,
    ParseOptions,
)
from jobs.intake.formats.tabular import LogicalRow, tabular_rows
from jobs.intake.formats.text import Line, detect_encoding_verbose, escape_bytes, iter_lines

#: Separators seen in seized text files (DOMAIN.md §4), most specific first. ``SPACES`` stands for
#: a run of spaces (column-aligned exports), tried last.
SPACES = "spaces"
SEPARATORS: tuple[str, ...] = ("----", "\t", "|", ",", ";", SPACES)

# csv refuses fields over 128 KiB by default; a seized row may hold more (process-wide setting).
# A field over this limit is quarantined (``field_too_large``), never the item.
FIELD_LIMIT = 1 << 24
csv.field_size_limit(FIELD_LIMIT)


class _FieldTooLarge(Exception):
    """A quoted field over :data:`FIELD_LIMIT` characters (csv's ``field larger than field limit``)."""


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


def _quoted_row(texts: list[str], sep: str) -> list[str] | None:
    """Cells of a record spanning ``texts`` with quoted fields, or ``None`` while a quote is open."""
    data = [t + "\n" for t in texts]
    # The limit is process-wide and other code (a reader of our own CSVs) may have raised it: set it
    # here, where it decides what is quarantined, so the rule does not depend on what ran before.
    csv.field_size_limit(FIELD_LIMIT)
    try:
        return next(csv.reader(data, delimiter=sep, quotechar='"', strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return None
        if "field larger than field limit" in str(exc):
            raise _FieldTooLarge from exc
    # Other quirks (text after a closing quote): read leniently, as Excel does.
    try:
        return next(csv.reader(data, delimiter=sep, quotechar='"', strict=False))
    except csv.Error as exc:
        raise _FieldTooLarge from exc


def _delimited_events(lines: Iterator[Line], sep: str, codec: str, stats: ItemStats,
                      options: ParseOptions) -> Iterator[LogicalRow]:
    quoting = len(sep) == 1
    pending: deque[Line] = deque()
    open_lines: list[Line] = []

    def refuse_open(reason: str = UNBALANCED_QUOTE) -> Iterator[LogicalRow]:
        # The first line of an unclosed quote (or of a giant field) is quarantined; the others
        # are read again.
        first = open_lines[0]
        rest = open_lines[1:]
        open_lines.clear()
        pending.extendleft(reversed(rest))
        yield LogicalRow(first.number, first.offset, 1, first.text or "", None, reason)

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
            yield LogicalRow(line.number, line.offset, 1, escape_bytes(line.raw, codec), None, UNDECODABLE)
            continue
        text = line.text
        if open_lines:
            open_lines.append(line)
            try:
                cells = _quoted_row([ln.text for ln in open_lines], sep)
            except _FieldTooLarge:
                yield from refuse_open(FIELD_TOO_LARGE)
                continue
            if cells is not None:
                first = open_lines[0]
                raw = "\n".join(ln.text for ln in open_lines)
                n = len(open_lines)
                open_lines.clear()
                yield LogicalRow(first.number, first.offset, n, raw, cells)
            elif len(open_lines) > options.max_quoted_lines:
                yield from refuse_open()
            continue
        if not quoting or '"' not in text:
            yield LogicalRow(line.number, line.offset, 1, text, split_fields(text, sep))
            continue
        try:
            cells = _quoted_row([text], sep)
        except _FieldTooLarge:
            yield LogicalRow(line.number, line.offset, 1, text, None, FIELD_TOO_LARGE)
            continue
        if cells is None:
            open_lines.append(line)
            continue
        yield LogicalRow(line.number, line.offset, 1, text, cells)


def parse_delimited(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a CSV/TXT item (any separator of :data:`SEPARATORS`, quoted fields, mixed line ends).

    The header is found as :mod:`jobs.intake.formats.tabular` says; a row's locator is the line where it starts
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
    yield from tabular_rows(events, stats, "", options, exact_width=True)
