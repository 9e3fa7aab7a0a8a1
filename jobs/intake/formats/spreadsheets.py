"""Spreadsheet items: XLSX workbooks (openpyxl, read-only) and legacy Excel 97-2003 workbooks
(BIFF8, xlrd), every sheet; the locator is the sheet name and the 1-based row number.

Every cell is read as text. Numbers are turned into text without float noise, and a number with
more than 15 significant digits is shown as Excel shows it (``1.10105198506150E+17``): its last
digits were lost in the source and are never guessed (DOMAIN.md §4). The header is decided by
:mod:`jobs.intake.formats.tabular`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from jobs.common.config import WorkbookLimits
from jobs.intake.formats.rows import DEFAULT_OPTIONS, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.tabular import LogicalRow, tabular_rows
from jobs.intake.refusals import UNREADABLE_ITEM, WORKBOOK_COMPRESSION_RATIO, WORKBOOK_TOO_LARGE, ItemRefused


def check_workbook(path: Path, limits: WorkbookLimits) -> None:
    """Refuse an XLSX that would inflate beyond the limits, before openpyxl reads it.

    An XLSX is a zip package (ECMA-376 Part 2): each part's declared uncompressed size is checked
    against ``limits`` (per part, in total, and the ratio to its compressed size); zipfile never
    inflates a part beyond its declared size (a longer stream fails its CRC check and raises), so
    the declared sizes bound the memory openpyxl can be made to use. A shared-strings bomb is a
    few hundred KB of ``sharedStrings.xml`` that inflates a thousand times.

    Raises:
        ItemRefused: ``workbook_too_large``, ``workbook_compression_ratio``, or ``unreadable_item``
            (``BadZipFile``: not a zip, truncated).
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ItemRefused(UNREADABLE_ITEM, type(exc).__name__) from exc
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_part_bytes or total > limits.max_total_bytes:
            raise ItemRefused(WORKBOOK_TOO_LARGE, "declared part sizes")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(1, info.compress_size):
            raise ItemRefused(WORKBOOK_COMPRESSION_RATIO, f"ratio over {limits.max_ratio:g}")


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


def _sheet_events(rows: Iterable[tuple[int, list[object]]], stats: ItemStats) -> Iterator[LogicalRow]:
    for number, values in rows:
        stats.physical_lines += 1
        stats.precision_lost_cells += sum(1 for v in values if _precision_lost(v))
        cells = [cell_text(v) for v in values]
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        raw = "\t".join("" if c is None else c for c in cells)
        yield LogicalRow(number, None, 1, raw, cells)


def parse_xlsx(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of every sheet of an XLSX workbook (locator: sheet name, 1-based row number)."""
    from openpyxl import load_workbook

    stats.format, stats.encoding, stats.encoding_confidence = "xlsx", "ooxml", 1.0
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            stats.sheets.append(sheet.title)
            rows = ((n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1))
            yield from tabular_rows(_sheet_events(rows, stats), stats, sheet.title, options, exact_width=False)
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

            yield from tabular_rows(_sheet_events(rows(), stats), stats, sheet.name, options, exact_width=False)
            book.unload_sheet(index)
    finally:
        book.release_resources()
