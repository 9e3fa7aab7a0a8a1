"""The review queue as an Excel sheet, and the decisions read back from it (issue 17).

For reviewers who work in Excel or WPS: :func:`export_sheet` writes the queue as ``.xlsx``, one
sheet for the links (``pairs``), one for the sampled records (``records``) and an ``about`` sheet,
named, headed and filled in the sheet's language (:class:`jobs.review.words.Words`: tabs 疑似重复关联 /
抽样记录 / 说明, field labels 姓名 · 记录一, levels 完全一致, decisions 同一人 in zh-CN);
:func:`import_sheet` reads the filled-in ``decision``, ``reviewer`` and ``reason`` columns back and
appends each decision to the hash-chained log (:class:`jobs.review.decisions.DecisionLog`) exactly
as the page does (same kind, target, decision, reviewer, reason and ``why``).

Written as the case file's workbook is (:mod:`jobs.export.workbook`): XlsxWriter with
``strings_to_numbers``/``strings_to_formulas``/``strings_to_urls`` off, so every identifier is a
text cell (an 18-digit ID number keeps every digit) and nothing is a formula; every text cell from
seized data also goes through :func:`jobs.export.cells.neutralize` (OWASP CSV injection rule: one
leading apostrophe before ``= + - @`` …), so a value copied out of the sheet cannot run either; the
columns are formatted as text (``@``), so what a reviewer types stays text; the document creation
time is fixed, so the same queue gives the same bytes.

Each row carries ``content_sha256`` (:func:`item_digest`): the SHA-256 of what the reviewer saw
(the ids, weights, levels and values of a pair; the category and locator of a record). On import
the queue is computed again from the latest case file; a row is refused when

- ``unknown_item``: its pair or record is not in the queue any more;
- ``stale_content``: its ``content_sha256``, or a content cell, differs from the queue's now (the
  data, the model or the sheet changed since export: the decision was made on other content);
- ``bad_decision``: the decision is not one of the allowed values for its kind (the message names
  the sheet, row and column);
- ``no_reviewer``: neither the row nor ``--reviewer`` names the reviewer;
- ``formula_cell``: a decision, reviewer or reason cell holds a formula;
- ``duplicate_row``: the same pair or record decided twice in the sheet.

Any refused row refuses the whole sheet (nothing is appended; every problem is listed), so a sheet
is applied entirely or not at all. A row whose decision, reviewer and reason equal the latest decision
on its target in the log is counted ``already_in_log`` and not appended again (importing the same
sheet twice adds nothing). A row without a decision is counted ``undecided``. Every data row is one
of: appended, already in the log, undecided, refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.common.errors import ConfigError
from jobs.export.cells import neutralize, restore
from jobs.export.workbook import FIXED_CREATED, MAX_WIDTH, display_width, utf16_cut
from jobs.review.decisions import DECISIONS, DecisionLog, check_decision, latest_decisions
from jobs.review.queue import ReviewQueue
from jobs.review.words import LANGUAGES, Words

#: Largest sheet file read back (bytes): a queue of a few thousand rows is far below it.
MAX_SHEET_BYTES = 64 << 20
#: The sheets by role; their tab names are in the sheet's language (``review.tab_<role>``: 疑似重复关联,
#: 抽样记录, 说明 in zh-CN; pairs, records, about in en). The import finds them under either language's name.
PAIRS, RECORDS, ABOUT = "pairs", "records", "about"
#: The ``about`` sheet's cell holding the queue settings (JSON), and those settings with their option names.
SETTINGS_KEY = "casefile-queue-settings"
SETTING_NAMES = {"seed": "--seed", "band_weight": "--band", "confidence": "--confidence", "margin": "--margin"}
#: Columns a reviewer fills in.
INPUT_COLUMNS = ("decision", "reviewer", "reason")
_PAIR_HEAD = ("target", "record_id", "linked_record_id", "match_weight", "why")
_RECORD_HEAD = ("target", "record_id", "category", "item_path", "sheet", "line_number", "raw_line", "why")


class SheetImportError(ConfigError):
    """The sheet was refused; ``problems`` lists each refused row (sheet, row, reason code, message)."""

    def __init__(self, path: str, problems: list[dict[str, Any]]):
        self.problems = problems
        first = "; ".join(f"{p['sheet']} row {p['row']}: {p['code']}: {p['message']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{path}: {len(problems)} rows refused, nothing imported: {first}{more}")


@dataclass
class ImportResult:
    """What :func:`import_sheet` did: data ``rows`` read, ``appended`` (the new log entries' numbers),
    ``already_in_log``, ``undecided``."""

    rows: int = 0
    appended: list[int] = field(default_factory=list)
    already_in_log: int = 0
    undecided: int = 0


def _content(item: Mapping[str, Any]) -> dict[str, Any]:
    if "linked_record_id" in item:
        return {"kind": "pair", "target": item["target"], "record_id": item["record_id"], "linked_record_id": item["linked_record_id"],
                "match_weight": item["match_weight"],
                "fields": [[f["name"], f["left"], f["right"], f["level"], f["weight"]] for f in item.get("fields") or []]}
    return {"kind": "record", "target": item["target"], "category": item.get("category", ""), "item_path": item.get("item_path", ""),
            "sheet": item.get("sheet", ""), "line_number": str(item.get("line_number", ""))}


def item_digest(item: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of what a reviewer sees of a queue item (module docstring)."""
    return hashlib.sha256(json.dumps(_content(item), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def decision_labels(language: str) -> dict[str, str]:
    """decision code → the word shown in the sheet's drop-down (``same`` → ``同一人``: ``decision.*`` of the catalog)."""
    w = Words(language)
    return {code: w.decision(code) for codes in DECISIONS.values() for code in codes}


def tab_name(role: str, language: str) -> str:
    """The tab name of the sheet ``role`` (:data:`PAIRS`, :data:`RECORDS`, :data:`ABOUT`) in ``language``."""
    return Words(language)(f"tab_{role}")


def _find_tab(sheetnames: list[str], role: str) -> tuple[str, str] | None:
    """``(tab name, language)`` of the sheet ``role`` in a workbook, whichever language it was written in."""
    for language in LANGUAGES:
        name = tab_name(role, language)
        if name in sheetnames:
            return name, language
    return None


def _decision_code(value: str, kind: str) -> str | None:
    """The decision code of a cell: a code (``same``) or its word in any language (``同一人``, ``same person``)."""
    v = value.strip()
    for code in DECISIONS[kind]:
        if v.lower() == code or any(v == decision_labels(lang)[code] for lang in ("zh-CN", "en")):
            return code
    return None


def _pair_columns(queue: ReviewQueue) -> list[str]:
    names = [f["name"] for f in (queue.pairs[0].get("fields") or [])] if queue.pairs else []
    return [*_PAIR_HEAD, *(f"{n}:{part}" for n in names for part in ("left", "right", "level", "weight")), "content_sha256", *INPUT_COLUMNS]


def _record_columns() -> list[str]:
    return [*_RECORD_HEAD, "content_sha256", *INPUT_COLUMNS]


def _pair_row(p: Mapping[str, Any], words: Words) -> dict[str, Any]:
    """A pair's sheet row; a field's comparison level as its word (``exact`` → 完全一致) in ``words``' language."""
    row: dict[str, Any] = {k: p.get(k) for k in _PAIR_HEAD}
    row["why"] = ",".join(p.get("why") or [])
    for f in p.get("fields") or []:
        row.update({f"{f['name']}:left": f["left"], f"{f['name']}:right": f["right"], f"{f['name']}:level": words.level(f["level"]),
                    f"{f['name']}:weight": f["weight"]})
    row["content_sha256"] = item_digest(p)
    return row


def _record_row(r: Mapping[str, Any], words: Words | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {k: r.get(k) for k in _RECORD_HEAD}
    row["why"] = ",".join(r.get("why") or [])
    row["line_number"] = int(r["line_number"]) if str(r.get("line_number") or "").isdigit() else r.get("line_number")
    row["content_sha256"] = item_digest(r)
    return row


def _header_label(column: str, words: Words) -> str:
    """Row 1's header of a column key: ``record_id`` → 记录编号; ``name:left`` → 姓名 · 记录一 (the field's label)."""
    t = words.page()
    name, _, part = column.partition(":")
    if part:
        return f"{words.field(name)} · {t.get(f'col_{part}', part)}"
    return t.get(f"col_{name}", name)


def export_sheet(queue: ReviewQueue, dest: Path, *, case_id: str, seizure_id: str, language: str = "zh-CN") -> dict[str, int]:
    """Write ``queue`` to ``dest`` (``.xlsx``; module docstring). Returns the rows per sheet.

    Text cells: :func:`jobs.export.cells.neutralize` of the value, cut at 32,767 UTF-16 units (Excel's
    cell limit; only a raw line can be that long). Numbers: ``match_weight``, the field weights,
    ``line_number``. Header row 1 in ``language``; row 2 holds the column keys the import reads
    (hidden); the decision column has a drop-down of the allowed words.
    """
    import xlsxwriter

    words = Words(language)
    labels = decision_labels(language)
    wb = xlsxwriter.Workbook(str(dest), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_CREATED, "title": f"review {case_id}/{seizure_id}", "author": "casefile"})
    head = wb.add_format({"bold": True, "bg_color": "#DDDDDD", "text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    entry = wb.add_format({"num_format": "@", "bg_color": "#FFF2CC", "locked": False})
    counts = {}
    for name, columns, rows, kind in ((PAIRS, _pair_columns(queue), [_pair_row(p, words) for p in queue.pairs], "pair"),
                                      (RECORDS, _record_columns(), [_record_row(r) for r in queue.records], "record")):
        ws = wb.add_worksheet(tab_name(name, language))
        for c, col in enumerate(columns):
            header = _header_label(col, words)
            width = max([display_width(header) + 2, *(min(display_width(str(r.get(col) or "")[:MAX_WIDTH * 2]), MAX_WIDTH) + 1 for r in rows[:200])])
            ws.set_column(c, c, min(width, MAX_WIDTH), entry if col in INPUT_COLUMNS else text)
            ws.write_string(0, c, header, head)
            ws.write_string(1, c, col)
        ws.set_row(1, None, None, {"hidden": True})
        ws.freeze_panes(2, 0)
        for i, row in enumerate(rows, start=2):
            for c, col in enumerate(columns):
                v = row.get(col)
                if col in INPUT_COLUMNS or v is None or v == "":
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(i, c, v)
                else:
                    s = neutralize(str(v))
                    ws.write_string(i, c, utf16_cut(s) or s)
        d = columns.index("decision")
        ws.data_validation(2, d, max(2, len(rows) + 1), d, {"validate": "list", "source": [labels[c] for c in DECISIONS[kind]],
                                                            "error_type": "warning"})
        counts[name] = len(rows)
    about = wb.add_worksheet(tab_name(ABOUT, language))
    about.set_column(0, 0, 100)
    for i, line in enumerate(words("sheet_about", case_id=case_id, seizure_id=seizure_id,
                                   pairs="、".join(labels[c] for c in DECISIONS["pair"]),
                                   records="、".join(labels[c] for c in DECISIONS["record"])).splitlines()):
        about.write_string(i, 0, line)
    about.write_string(i + 2, 0, SETTINGS_KEY)
    about.write_string(i + 2, 1, json.dumps(_settings(queue), sort_keys=True))
    wb.close()
    return counts


def _settings(queue: ReviewQueue) -> dict[str, Any]:
    """What decides the queue's membership besides the data: seed, band, confidence, margin (``queue.plan``)."""
    return {k: queue.plan.get(k) for k in SETTING_NAMES}


def _check_settings(path: Path, queue: ReviewQueue) -> None:
    """Refuse a sheet drawn with other queue settings than ``queue`` (its sampled items would be unknown)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        found = _find_tab(wb.sheetnames, ABOUT)
        if found is None:
            return
        cells = next((r for r in wb[found[0]].iter_rows(max_col=2) if r[0].value == SETTINGS_KEY), None)
        if cells is None or len(cells) < 2 or not isinstance(cells[1].value, str):
            return
        try:
            written = json.loads(cells[1].value)
        except ValueError:
            raise ConfigError(f"{path}: sheet {ABOUT!r}: the queue settings cell was changed") from None
    finally:
        wb.close()
    now = _settings(queue)
    if queue.plan and written != now:
        diff = ", ".join(f"{SETTING_NAMES[k]} {written.get(k)} (now {now.get(k)})" for k in SETTING_NAMES if written.get(k) != now.get(k))
        raise ConfigError(f"{path}: the sheet was exported with other queue settings: {diff}; import with the export's settings")


def _cell_text(cell) -> tuple[str, bool]:
    """(text, is_formula) of an openpyxl cell; a number as Python writes it, None as ``""``."""
    v = cell.value
    if v is None:
        return "", False
    if getattr(cell, "data_type", None) == "f":
        return "", True
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v), False


def _sheet_language(path: Path) -> str:
    """The language a review sheet was written in, told by its tab names.

    Raises:
        ConfigError: no links or records tab in either language (not a review sheet).
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        found = _find_tab(wb.sheetnames, PAIRS) or _find_tab(wb.sheetnames, RECORDS)
    finally:
        wb.close()
    if found is None:
        names = " / ".join(f"{tab_name(PAIRS, lang)!r}" for lang in LANGUAGES)
        raise ConfigError(f"{path}: no sheet {names} (not a review sheet written by casefile review export)")
    return found[1]


def _read_rows(path: Path, sheet: str, language: str):
    """``(excel row number, {column key: cell})`` of the data rows of the sheet ``sheet`` (a role) in
    ``language``. The column keys are the row (2 as written, hidden) that holds ``target``,
    ``content_sha256`` and ``decision``; found wherever it is, so a sheet a reviewer sorted with it still reads."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        tab = tab_name(sheet, language)
        if tab not in wb.sheetnames:
            raise ConfigError(f"{path}: no sheet {tab!r} (not a review sheet written by casefile review export)")
        rows = list(enumerate(wb[tab].iter_rows(), start=1))
        key_row = next((n for n, cells in rows if {"target", "content_sha256", "decision"} <= {str(c.value or "") for c in cells}), None)
        if key_row is None:
            raise ConfigError(f"{path}: sheet {sheet!r} has no column key row (target … content_sha256 … decision)")
        keys = [str(c.value or "") for c in rows[key_row - 1][1]]
        for n, cells in rows:
            if n not in (1, key_row):
                yield n, {k: c for k, c in zip(keys, cells) if k}
    finally:
        wb.close()


def import_sheet(path: Path, queue: ReviewQueue, log: DecisionLog, *, reviewer: str = "") -> ImportResult:
    """Read the decisions of a sheet written by :func:`export_sheet` and append them to ``log``
    (module docstring for the checks). ``queue`` is the queue computed now; ``reviewer`` is used for
    rows without one.

    Raises:
        SheetImportError: a row refused (nothing appended; every refused row listed).
        ConfigError: not a readable ``.xlsx`` review sheet, larger than :data:`MAX_SHEET_BYTES`, or
            exported with other queue settings (``--seed``, ``--band``, ``--confidence``, ``--margin``).
        ReviewChainError: the decision log was changed.
    """
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: not a file")
    if path.stat().st_size > MAX_SHEET_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_SHEET_BYTES} bytes: not a review sheet")
    if not zipfile.is_zipfile(path):
        raise ConfigError(f"{path}: not an .xlsx file")
    _check_settings(path, queue)
    language = _sheet_language(path)
    words = Words(language)
    items = {("pair", p["target"]): p for p in queue.pairs} | {("record", r["target"]): r for r in queue.records}
    latest = latest_decisions(log.entries())
    problems: list[dict[str, Any]] = []
    todo: list[tuple[tuple[str, str], str, str, str, str]] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    result = ImportResult()

    def refuse(sheet: str, row: int, code: str, message: str) -> None:
        problems.append({"sheet": tab_name(sheet, language), "row": row, "code": code, "message": message})

    for sheet, kind, make in ((PAIRS, "pair", _pair_row), (RECORDS, "record", _record_row)):
        for n, cells in _read_rows(path, sheet, language):
            values = {k: _cell_text(c) for k, c in cells.items()}
            if not any(v for v, f in values.values()) and not any(f for _, f in values.values()):
                continue  # an empty row at the end
            result.rows += 1
            formulas = [k for k in INPUT_COLUMNS if values.get(k, ("", False))[1]]
            if formulas:
                refuse(sheet, n, "formula_cell", f"column {formulas[0]} holds a formula (type the value)")
                continue
            target = restore(values.get("target", ("", False))[0]) or ""
            key = (kind, target)
            word = values.get("decision", ("", False))[0].strip()
            if key not in items:
                refuse(sheet, n, "unknown_item", f"{kind} {target[:80]!r} is not in the review queue")
                continue
            item = items[key]
            current = make(item, words)
            changed = [k for k, v in current.items() if k in values and k not in ("content_sha256", "raw_line", "why")
                       and not isinstance(v, (int, float)) and restore(values[k][0]) != ("" if v is None else str(v))]
            if values.get("content_sha256", ("", False))[0] != item_digest(item) or changed:
                where = f" (column {changed[0]})" if changed else ""
                refuse(sheet, n, "stale_content", f"the {kind}'s content changed since the sheet was exported{where}: review it again")
                continue
            if not word:
                result.undecided += 1
                continue
            code = _decision_code(word, kind)
            if code is None:
                allowed = "、".join(decision_labels("zh-CN")[c] for c in DECISIONS[kind])
                refuse(sheet, n, "bad_decision", f"column decision: {word[:40]!r} is not one of {allowed} ({', '.join(DECISIONS[kind])})")
                continue
            who = values.get("reviewer", ("", False))[0].strip() or reviewer.strip()
            if not who:
                refuse(sheet, n, "no_reviewer", "column reviewer is empty (or give --reviewer)")
                continue
            if key in seen:
                refuse(sheet, n, "duplicate_row", f"the same {kind} is decided in {seen[key][0]} row {seen[key][1]} too")
                continue
            seen[key] = (tab_name(sheet, language), n)
            reason = values.get("reason", ("", False))[0].strip()
            try:
                check_decision(kind, target, code, who, reason)
            except ConfigError as exc:
                refuse(sheet, n, "bad_value", str(exc))
                continue
            todo.append((key, code, who, reason, ",".join(item.get("why") or [])))
    if problems:
        raise SheetImportError(str(path), problems)
    for key, code, who, reason, why in todo:
        before = latest.get(key)
        if before is not None and (before.decision, before.reviewer, before.reason) == (code, who, reason):
            result.already_in_log += 1
            continue
        result.appended.append(log.append(reviewer=who, kind=key[0], target=key[1], decision=code, reason=reason, why=why).seq)
    return result

