"""A minimal, deterministic SpreadsheetML (XLSX) writer for the courier item: text cells, several sheets.

The XLSX item is written by :class:`XlsxTextWriter` rather than by openpyxl's write-only mode: on
the project machine openpyxl wrote ~11,000 rows/s (~6,000 with a text number format on every
cell), would have used most of the time budget for 15 % of the rows, and stamps zip entries with
the wall clock (so two runs are not byte-identical). The tests read the XLSX back with openpyxl.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_TIMESTAMP = "2019-12-31T00:00:00Z"  # fixed document properties: no wall clock in evidence
#: Timestamp of every entry of a generated zip (the XLSX parts, the zip item): no wall clock.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class XlsxTextWriter:
    """Stream rows of strings into an XLSX workbook, every cell an inline string with the Text format.

    Sheets are named ``Sheet1``..``SheetN``; each starts with ``header`` and holds at most
    ``rows_per_sheet`` data rows. ``blank()`` writes an empty row element (a fully empty sheet row).
    Output is deterministic: fixed zip timestamps, fixed document properties, fixed entry order.
    """

    _COLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def __init__(self, path: Path, header: tuple[str, ...], *, data_rows: int, rows_per_sheet: int) -> None:
        if len(header) > len(self._COLS):
            raise ValueError("at most 26 columns")
        self._header = header
        self._rows_per_sheet = rows_per_sheet
        self.sheets = max(1, math.ceil(data_rows / rows_per_sheet))
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._write_package_parts()
        self._fh = None
        self._sheet = 0
        self._row = 0
        self._data_in_sheet = 0
        self._buf: list[str] = []

    def _write_package_parts(self) -> None:
        n = self.sheets
        sheet_ct = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        parts = {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                f"{sheet_ct}</Types>"
            ),
            "_rels/.rels": (
                f'<Relationships xmlns="{_NS_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                'metadata/core-properties" Target="docProps/core.xml"/>'
                f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>"
            ),
            "docProps/core.xml": (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                "<dc:creator>casefile synth</dc:creator>"
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{_XLSX_TIMESTAMP}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_XLSX_TIMESTAMP}</dcterms:modified>'
                "</cp:coreProperties>"
            ),
            "docProps/app.xml": (
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                "<Application>casefile synth</Application></Properties>"
            ),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>'
                + "".join(f'<sheet name="Sheet{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, n + 1))
                + "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_NS_PKG_REL}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            # cellXfs 1 = number format 49 ("@", Text): Excel keeps edited IDs/phones as text.
            "xl/styles.xml": (
                f'<styleSheet xmlns="{_NS_MAIN}">'
                '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>"
            ),
        }
        for name, body in parts.items():
            self._zip.writestr(_zipinfo(name), _XML_HEAD + body)

    def _start_sheet(self) -> None:
        self._end_sheet()
        self._sheet += 1
        if self._sheet > self.sheets:
            raise RuntimeError("more rows than planned for the workbook")
        self._fh = self._zip.open(_zipinfo(f"xl/worksheets/sheet{self._sheet}.xml"), "w")
        self._buf.append(f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}"><sheetData>')
        self._row = 0
        self._data_in_sheet = 0
        self._cells(self._header)

    def _end_sheet(self) -> None:
        if self._fh is not None:
            self._buf.append("</sheetData></worksheet>")
            self._flush()
            self._fh.close()
            self._fh = None

    def _flush(self) -> None:
        self._fh.write("".join(self._buf).encode("utf-8"))
        self._buf.clear()

    def _ensure_room(self) -> None:
        if self._fh is None or self._data_in_sheet >= self._rows_per_sheet:
            self._start_sheet()

    def _cells(self, values) -> None:
        self._row += 1
        r = self._row
        out = [f'<row r="{r}">']
        for col, v in zip(self._COLS, values):
            v = v.translate(_XML_ESCAPES)
            space = ' xml:space="preserve"' if v[:1].isspace() or v[-1:].isspace() else ""
            out.append(f'<c r="{col}{r}" s="1" t="inlineStr"><is><t{space}>{v}</t></is></c>')
        out.append("</row>")
        self._buf.append("".join(out))

    def append(self, values: list[str]) -> None:
        self._ensure_room()
        self._cells(values)
        self._data_in_sheet += 1
        if len(self._buf) >= 2000:
            self._flush()

    def blank(self) -> None:
        self._ensure_room()
        self._row += 1
        self._buf.append(f'<row r="{self._row}"/>')

    def close(self) -> None:
        if self._fh is None:
            self._start_sheet()
        self._end_sheet()
        while self._sheet < self.sheets:  # only when fewer rows came than planned
            self._start_sheet()
            self._end_sheet()
        self._zip.close()

