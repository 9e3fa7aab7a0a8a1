"""Cells of exported tables that cannot run as formulas (CSV injection) and that restore exactly.

Seized data comes from the suspects: a value such as ``=HYPERLINK("http://…","x")``, ``@SUM(A1)``,
``+cmd|' /C calc'!A0`` or ``-2+3`` written unchanged into a CSV runs as a formula when a prosecutor
opens the file in Excel, WPS or LibreOffice. The rule here is OWASP's "CSV Injection" recommendation
(https://owasp.org/www-community/attacks/CSV_Injection): a cell whose first character is ``=``,
``+``, ``-``, ``@``, tab (U+0009), carriage return (U+000D) or line feed (U+000A), or the full-width
forms ``＝`` U+FF1D, ``＋`` U+FF0B, ``－`` U+FF0D, ``＠`` U+FF20 (spreadsheet programs with an East
Asian input method treat them as the ASCII signs), gets one leading apostrophe ``'``, which every
spreadsheet program shows as a text prefix.

Reversible: a value that already begins with an apostrophe gets one more, so **every** exported
value that begins with ``'`` carries exactly one added apostrophe and :func:`restore` (drop one
leading ``'`` if present) gives the exact original. A cell that is only a number (ASCII
``[+-]digits[.digits][e[+-]digits]``, e.g. ``-3.5``, ``+8613912345678``) is left unchanged: a
spreadsheet reads it as a number constant, never as a formula, and ``match_weight`` stays numeric.

Used by :func:`jobs.export.bundle.write_csv` (a Spark Column expression: :func:`neutralize_column`)
and :func:`jobs.export.bundle.evidence_items_csv` (:func:`neutralize`); the manifest records, per
file and column, how many cells were changed.
"""

from __future__ import annotations

import contextlib
import csv
import re
import sys
from collections.abc import Iterator

#: First characters that make a spreadsheet cell a formula or a DDE call (OWASP, plus full-width forms).
FORMULA_FIRST_CHARACTERS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
#: The escape character; a value beginning with it is escaped too, so the change is reversible.
ESCAPE = "'"

_DANGER = re.compile("[" + re.escape(FORMULA_FIRST_CHARACTERS + ESCAPE) + "]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)

#: The same two tests as Java regular expressions for Spark's ``rlike`` (``find`` semantics: ``\A``
#: and ``\z`` anchor at the very start and end, where ``$`` would also match before a final newline).
JAVA_DANGER = r"\A['=+\-@\t\r\n\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"
JAVA_NUMBER = r"\A[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z"

#: The rule as the manifest and the reader's guide state it.
RULE = ("OWASP CSV Injection: a text cell beginning with = + - @ tab CR LF (or full-width ＝ ＋ － ＠) or with an "
        "apostrophe gets one leading apostrophe; a cell that is only a number is unchanged. To recover the exact "
        "original value remove one leading apostrophe from any cell that begins with one.")


def needs_escape(value: str | None) -> bool:
    """True when ``value`` would be changed by :func:`neutralize`."""
    return bool(value) and _DANGER.match(value) is not None and _NUMBER.fullmatch(value) is None


def neutralize(value: str | None) -> str | None:
    """``value`` with one leading apostrophe when it could run as a formula or begins with one
    (module rule); ``None`` and every other value unchanged."""
    return ESCAPE + value if needs_escape(value) else value


def restore(value: str | None) -> str | None:
    """The exact original of a value written by :func:`neutralize`: one leading apostrophe removed."""
    if value and value.startswith(ESCAPE):
        return value[1:]
    return value


def danger_condition(column):
    """Spark Column (boolean): the string ``column`` would be changed by :func:`neutralize`
    (NULL for NULL)."""
    return column.rlike(JAVA_DANGER) & ~column.rlike(JAVA_NUMBER)


def neutralize_column(column):
    """Spark Column: :func:`neutralize` of a string ``column`` (NULL stays NULL)."""
    from pyspark.sql import functions as F

    return F.when(danger_condition(column), F.concat(F.lit(ESCAPE), column)).otherwise(column)


@contextlib.contextmanager
def unlimited_csv_fields() -> Iterator[None]:
    """Lift Python's csv field limit (131,072 characters; a seized cell may be longer) for a read of
    our own sealed CSVs, and restore it after: the limit is process-wide, and intake's 16 MiB rule
    (``jobs.intake.formats.delimited.FIELD_LIMIT``) must not depend on what ran before."""
    old = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)
