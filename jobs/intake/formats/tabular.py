"""The header decision shared by delimited text and spreadsheets.

A parser turns an item into :class:`LogicalRow` objects (the cells of one logical row, or the
reason it was already refused); :func:`tabular_rows` decides the header and emits
:class:`~jobs.intake.formats.rows.ParsedRow` objects (DOMAIN.md §4):

- the header is the first row (within ``header_search_rows``) naming a known column; rows above it
  are quarantined (``junk_before_header``). A first row with no known column name that is data by
  :func:`~jobs.intake.columns.first_row_is_data` (an ID number, card, mobile number, e-mail or 5+
  digit run; or cells shaped like the rows below, as in a headerless name + address list) means
  there is no header: fields are then inferred from content (:mod:`jobs.intake.columns`) and the
  inference recorded; any other first row is the header, mapped by the synonyms and, for unknown
  headers, by content (:meth:`~jobs.intake.columns.HeaderMapper.map_columns`);
- nothing is dropped: a row of another width than the header is quarantined
  (``field_count_mismatch``), a row with no value too (``empty_row``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from jobs.intake.columns import clean_header, first_row_is_data, infer_fields
from jobs.intake.formats.rows import (
    EMPTY_ROW,
    FIELD_COUNT_MISMATCH,
    JUNK_BEFORE_HEADER,
    ItemStats,
    ParsedRow,
    ParseOptions,
)


@dataclass
class LogicalRow:
    """One logical row before the header decision: cells, or a reason it was already refused."""

    number: int
    offset: int | None
    lines: int
    raw: str
    cells: list[str | None] | None
    reason: str | None = None


def _blank(cells: list[str | None]) -> bool:
    return not any(c is not None and str(c).strip() for c in cells)


def tabular_rows(events: Iterator[LogicalRow], stats: ItemStats, sheet: str, options: ParseOptions, *,
                 exact_width: bool) -> Iterator[ParsedRow]:
    """Header decision, inference and row emission shared by delimited text and sheets.

    ``exact_width``: a data row must have exactly the header's width (text); otherwise shorter rows
    are padded with ``None`` (sheets drop trailing empty cells) and only longer rows are refused.
    """
    sample_size = max(options.header_search_rows, options.infer_sample_rows)
    buffered: list[LogicalRow] = []
    for ev in events:
        buffered.append(ev)
        if len(buffered) >= sample_size:
            break
    rows = [ev for ev in buffered if ev.reason is None and ev.cells is not None and not _blank(ev.cells)]
    widths = Counter(len(ev.cells) for ev in rows)
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 0

    header_at: LogicalRow | None = None
    for ev in rows[: options.header_search_rows]:
        if (len(ev.cells) == width or not exact_width) and sum(options.known(c) for c in ev.cells) >= 1:
            header_at = ev
            break
    fields: list[str | None] | None = None
    if header_at is None and rows:
        first = next((ev for ev in rows if len(ev.cells) == width), rows[0])
        following = [ev.cells for ev in rows if ev is not first and len(ev.cells) == len(first.cells)]
        if first_row_is_data(first.cells, following[: options.infer_sample_rows], min_share=options.infer_min_share):
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
    mapper = getattr(options.header_names, "mapper", None)
    if header_at is not None and mapper is not None:
        # Synonyms, then content inference for the unknown headers (jobs.intake.columns).
        after = rows[rows.index(header_at) + 1:]
        names = [clean_header(c or "") for c in header_at.cells]
        sample = [ev.cells for ev in after if len(ev.cells) <= len(names)][: options.infer_sample_rows]
        fields, why = mapper.map_columns(names, sample, min_share=options.infer_min_share)
        stats.column_inference[sheet] = why
    before_header = header_at is not None

    def emit(ev: LogicalRow) -> Iterator[ParsedRow]:
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
