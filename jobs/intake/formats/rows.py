"""What every intake parser yields and counts: :class:`ParsedRow`, :class:`ItemStats` (with the
item's line ledger), :class:`ParseOptions`, and the quarantine reason codes.

Reason codes (``quarantine.reason_code``):

========================  ==================================================================
``field_count_mismatch``  the row has another number of fields than the header
``empty_row``             the row has the header's width but no value (a line of
                          separators only)
``undecodable``           the line's bytes are not valid in the file's encoding (kept as
                          ``\\xNN`` escapes in ``raw_line``)
``unbalanced_quote``      a quoted field is not closed within ``max_quoted_lines`` lines; the
                          line is quarantined and reading resumes on the next line
``junk_before_header``    a line above the header line (title, export note)
``json_parse_error``      a JSON Lines line that is not JSON
``json_not_object``       a JSON value that is not an object
``sql_value_count``       an SQL tuple with another number of values than the table's columns
``json_too_deep``         a JSON Lines line nested deeper than the parser's recursion limit
                          (that line only)
``field_too_large``       a quoted field larger than the CSV reader's field limit (16 MiB);
                          the line is quarantined and reading resumes on the next line
``sql_parse_error``       an INSERT statement (from the failing tuple to the next tuple line,
                          or to the end of the statement) that cannot be parsed
``dbf_deleted_record``    a DBF record flagged deleted (``*``): still in the file, shown, never
                          counted (dBASE marks records deleted until the table is packed)
========================  ==================================================================

A whole item that cannot be read is not a quarantined row but a refused item: see
:mod:`jobs.intake.refusals`.

Ledger (``ItemStats.line_ledger``), exact per item: for text items ``physical_lines = rows_read +
header_rows + blank_lines + continuation_lines``; for sheets the same with sheet rows; for SQL dumps
``physical_lines = statement_lines + other_lines + blank_lines`` and ``rows_read`` counts tuples; for
JSON documents ``rows_read`` counts array elements. Always ``rows_read = records + rows_quarantined``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobs.common.config import AccessLimits, IntakeSettings
from jobs.intake.columns import header_key

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
JSON_TOO_DEEP = "json_too_deep"
FIELD_TOO_LARGE = "field_too_large"
DBF_DELETED_RECORD = "dbf_deleted_record"

#: Every row reason code above: what ``quarantine.reason_code`` may hold (the value set of
#: expectations/quarantine.json and the README's row table, checked by
#: tests/unit/test_intake_hostile.py::test_the_readme_refusal_lists_match_the_codes_and_the_quarantine_suite).
ROW_REASONS: frozenset[str] = frozenset({
    FIELD_COUNT_MISMATCH, EMPTY_ROW, UNDECODABLE, UNBALANCED_QUOTE, JUNK_BEFORE_HEADER, JSON_PARSE_ERROR, JSON_NOT_OBJECT,
    SQL_VALUE_COUNT, SQL_PARSE_ERROR, JSON_TOO_DEEP, FIELD_TOO_LARGE, DBF_DELETED_RECORD})


@dataclass(frozen=True)
class ParseOptions:
    """How tabular items are read (``configs/pipeline.yaml`` ``intake``).

    Attributes:
        header_names: known column names, already folded by :func:`header_key` (the synonyms).
        header_search_rows: rows searched from the top for the header line.
        max_quoted_lines: physical lines one quoted field may span before it is called unbalanced.
        infer_sample_rows: rows sampled to infer the fields of a headerless table.
        infer_min_share: least share of a column's values that must match a content rule.
        access: the limits of each mdbtools run (Access databases).
    """

    # One default per setting: the field defaults of jobs.common.config.IntakeSettings.
    header_names: frozenset[str] = frozenset()
    header_search_rows: int = IntakeSettings.header_search_rows
    max_quoted_lines: int = IntakeSettings.max_quoted_lines
    infer_sample_rows: int = IntakeSettings.infer_sample_rows
    infer_min_share: float = IntakeSettings.infer_min_share
    access: AccessLimits = AccessLimits()

    def known(self, cell: str | None) -> bool:
        return cell is not None and header_key(cell) in self.header_names


DEFAULT_OPTIONS = ParseOptions()


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
