"""``case_file.xlsx``: the bundle's tables as one Excel workbook that keeps every digit and runs nothing.

The people who open a case file use Excel or WPS on Windows. From a CSV, Excel turns an 18-digit ID
number into ``1.10105E+17`` and drops the ``+`` of ``+8613912345678`` and the ``0`` of
``0105551234``; it also stops at 1,048,576 rows. This workbook:

- writes every value with ``write_string`` (a text cell: ``t="inlineStr"``), except the columns of
  :data:`NUMERIC_COLUMNS` (line numbers, counts, weights), which are numbers when they parse as one;
  nothing is ever written as a formula (``write()`` and its type guessing are never used, and the
  workbook options turn string-to-formula/number/URL conversion off);
- reads the bundle's CSVs (the same bytes the seal covers), restoring each neutralized cell to its
  exact original (:func:`jobs.export.cells.restore`): in a text cell ``=1+1`` is only text;
- splits the unique records over further sheets at Excel's 1,048,576 rows (ECMA-376 / Excel
  specifications and limits: 1,048,576 rows, 32,767 characters per cell); a longer cell is cut to
  32,767 characters and counted (the full value stays in the CSV);
- streams: XlsxWriter ``constant_memory`` keeps one row in memory, so 4,000,000 records do not need
  to fit; the CSVs are read one row at a time (no field-size limit: issue 13 defect 3);
- is deterministic: a fixed document creation time (XlsxWriter then writes fixed ZIP timestamps),
  so a rerun gives the same SHA-256.

Headers are in the report language (:mod:`jobs.export.i18n`); the "About" sheet maps each header
back to its CSV column.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.export.cells import restore, unlimited_csv_fields
from jobs.export.i18n import Catalog

#: Excel's rows per worksheet (header included) and characters per cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767
#: The document creation time written into ``docProps/core.xml``: fixed, so the bytes depend only
#: on the data (a rerun gives the same SHA-256).
FIXED_CREATED = dt.datetime(2000, 1, 1, 0, 0, 0)
#: Columns written as numbers when the value is one (never identifiers: those stay text).
NUMERIC_COLUMNS = frozenset({
    "line_number", "byte_offset", "cluster_size", "match_weight", "match_probability", "bytes", "encoding_confidence",
    "rows_read", "records", "rows_quarantined", "header_rows", "blank_lines", "physical_lines", "continuation_lines"})
#: Rows looked at to size the columns.
WIDTH_SAMPLE_ROWS = 200
MAX_WIDTH = 60


@dataclass
class WorkbookStats:
    """What :func:`write_workbook` wrote: data rows per sheet and cells cut at 32,767 characters."""

    sheets: dict[str, int] = field(default_factory=dict)
    truncated_cells: int = 0

    def record_rows(self, prefix: str) -> int:
        return sum(n for name, n in self.sheets.items() if name.startswith(prefix))


def display_width(text: str) -> int:
    """Width in Excel character units: East Asian wide and full-width characters count two (UAX #11)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)



def read_csv(path: Path) -> Iterator[list[str]]:
    """Rows of a bundle CSV (UTF-8 with BOM), header first, each cell restored to its original value."""
    with unlimited_csv_fields(), open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            yield [restore(c) for c in row]


class _Sheets:
    """A workbook being written: formats, one sheet at a time, row splitting and stats."""

    def __init__(self, dest: Path, catalog: Catalog) -> None:
        import xlsxwriter

        self.t = catalog
        self.wb = xlsxwriter.Workbook(str(dest), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
            "tmpdir": str(dest.parent)})
        self.wb.set_properties({"created": FIXED_CREATED, "title": "case file", "author": "casefile"})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDDDDD", "text_wrap": True, "valign": "top"})
        self.stats = WorkbookStats()

    def table(self, name: str, header: Sequence[str], rows: Iterator[Sequence[Any]], *, columns: Sequence[str] | None = None,
              split: bool = False) -> None:
        """Write one table (header row frozen, widths from the first rows); with ``split`` continue on
        ``name (2)``, ``name (3)``… at :data:`EXCEL_MAX_ROWS`. ``columns`` are the CSV column names
        (which decide numeric cells); ``header`` what the sheet shows."""
        columns = list(columns or header)
        numeric = [c in NUMERIC_COLUMNS for c in columns]
        sample: list[Sequence[Any]] = []
        for row in rows:
            sample.append(row)
            if len(sample) >= WIDTH_SAMPLE_ROWS:
                break
        widths = [display_width(str(h)) + 2 for h in header]
        for row in sample:
            for i, v in enumerate(row[: len(widths)]):
                widths[i] = max(widths[i], min(display_width(str(v)[:MAX_WIDTH * 2]), MAX_WIDTH) + 1)
        part, ws, r = 0, None, EXCEL_MAX_ROWS
        for row in _chain(sample, rows):
            if r >= EXCEL_MAX_ROWS:
                if ws is not None and not split:
                    raise ValueError(f"sheet {name} holds more than {EXCEL_MAX_ROWS - 1} rows")
                part += 1
                title = name if part == 1 else f"{name} ({part})"
                ws = self._new_sheet(title, header, widths)
                r = 1
            for c, v in enumerate(row):
                self._cell(ws, r, c, v, numeric[c] if c < len(numeric) else False)
            self.stats.sheets[ws.name] += 1
            r += 1
        if ws is None:
            self._new_sheet(name, header, widths)

    def _new_sheet(self, title: str, header: Sequence[str], widths: Sequence[int]):
        ws = self.wb.add_worksheet(title)
        for i, w in enumerate(widths):
            ws.set_column(i, i, min(w, MAX_WIDTH))
        ws.freeze_panes(1, 0)
        for c, h in enumerate(header):
            ws.write_string(0, c, str(h), self.head)
        self.stats.sheets[title] = 0
        return ws

    def _cell(self, ws, r: int, c: int, v: Any, numeric: bool) -> None:
        if v is None or v == "":
            return
        if isinstance(v, bool):
            v = str(v).lower()
        if isinstance(v, (int, float)):
            ws.write_number(r, c, v)
            return
        if numeric:
            try:
                ws.write_number(r, c, float(v))
                return
            except ValueError:
                pass
        if len(v) > EXCEL_MAX_CHARS:
            self.stats.truncated_cells += 1
            v = v[:EXCEL_MAX_CHARS]
        ws.write_string(r, c, v)

    def close(self) -> WorkbookStats:
        self.wb.close()
        return self.stats


def _chain(first: Sequence, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _csv_table(sheets: _Sheets, name: str, path: Path, *, split: bool = False) -> list[str]:
    rows = read_csv(path)
    columns = next(rows)
    sheets.table(name, [sheets.t.column(c) for c in columns], rows, columns=columns, split=split)
    return columns


def validation_rows(folder: Path) -> list[dict[str, Any]]:
    """One row per expectation of every GX result in ``folder`` (``validation/*.json``, sorted by
    name): ``suite`` (the file's stem), ``expectation``, ``column``, ``success``, ``element_count``,
    ``unexpected_count``. Wall-clock values (``meta.batch_markers.ge_load_time``) are left out."""
    out: list[dict[str, Any]] = []
    for p in sorted(folder.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        for r in data.get("results", []):
            cfg, res = r.get("expectation_config", {}), r.get("result", {}) or {}
            kwargs = cfg.get("kwargs", {})
            out.append({"suite": p.stem, "expectation": cfg.get("type", ""),
                        "column": kwargs.get("column") or ", ".join(kwargs.get("column_list", []) or []),
                        "success": bool(r.get("success")), "element_count": res.get("element_count"),
                        "unexpected_count": res.get("unexpected_count")})
    return out


def write_workbook(dest: Path, folder: Path, summary: Mapping[str, Any], items: Sequence[Mapping[str, Any]], *,
                   catalog: Catalog, hash_algorithms: Sequence[str]) -> WorkbookStats:
    """Write ``case_file.xlsx`` from a bundle folder being built.

    Args:
        dest: the workbook file.
        folder: the bundle folder holding ``records.csv``, ``duplicates.csv``, ``quarantine.csv`` and
            ``validation/*.json`` (read, never changed).
        summary: the bundle's ``summary.json`` (``count_statement``, bounds, tiers).
        items: intake's evidence items (``path``, ``bytes``, hashes, parse statistics).
        catalog: the report language.
        hash_algorithms: the hash columns of the evidence sheet, in order.

    Returns:
        Data rows per sheet and the number of cells cut at 32,767 characters.

    Raises:
        OSError: the folder cannot be read or the workbook written.
    """
    t = catalog
    sheets = _Sheets(dest, t)

    about: list[list[Any]] = [[line] for line in t("workbook.about_lines").splitlines()]
    about += [[], [t("workbook.columns")]]
    seen: set[str] = set()
    for name in ("records.csv", "duplicates.csv", "quarantine.csv"):
        for c in next(read_csv(folder / name)):
            if c not in seen:
                seen.add(c)
                about.append([t.column(c), c])
    sheets.table(t("sheet.about"), [t("page.title", case_id=summary["case_id"], seizure_id=summary["seizure_id"]), ""], iter(about))

    statement: list[list[Any]] = []
    for step in summary.get("count_statement", []):
        key = step["step"]
        extra = step.get("categories") or step.get("by_reason") or {}
        detail = "; ".join(f"{t('category.' + k, default=k)}: {v:,}" for k, v in extra.items())
        statement.append([t(f"step.{key}", default=key), step["rows"], t(f"rule.{key}", default=step.get("rule", "")), detail])
    for bound in ("lower_bound", "upper_bound"):
        if bound in summary:
            b = summary[bound]
            statement.append([t(f"page.{bound}"), b["unique_records"], f"{t('page.weighted_total')} {b['weighted_total']:.6f}",
                              t(f"tier.{b['tier']}")])
    sheets.table(t("sheet.count_statement"), [t("page.step"), t("page.rows"), t("page.rule"), t("page.category")], iter(statement),
                 columns=["step", "records", "rule", "detail"])

    ev_cols = ["path", "bytes", *hash_algorithms, "format", "encoding", "rows_read", "records", "rows_quarantined"]
    ev_cols = [c for c in ev_cols if any(c in i for i in items) or c == "path"]
    ev_rows = (["|".join(i[c]) if isinstance(i.get(c), list) else i.get(c) for c in ev_cols] for i in items)
    sheets.table(t("sheet.evidence"), [t.column(c) for c in ev_cols], ev_rows, columns=ev_cols)

    _csv_table(sheets, t("sheet.records"), folder / "records.csv", split=True)
    _csv_table(sheets, t("sheet.duplicates"), folder / "duplicates.csv", split=True)
    _csv_table(sheets, t("sheet.quarantine"), folder / "quarantine.csv", split=True)

    val_cols = ["suite", "expectation", "column", "success", "element_count", "unexpected_count"]
    val = ([r["suite"], r["expectation"], r["column"], t("validation.passed") if r["success"] else t("validation.failed"),
            r["element_count"], r["unexpected_count"]] for r in validation_rows(folder / "validation"))
    sheets.table(t("sheet.validation"), [t(f"validation.{k}") for k in ("suite", "expectation", "column", "result", "elements", "unexpected")],
                 val, columns=val_cols)
    return sheets.close()
