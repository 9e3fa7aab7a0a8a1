"""Columns of tabular evidence: header cells, header detection, the mapping of source headers to
canonical fields (:class:`HeaderMapper`, through ``configs/column_synonyms.yaml``) and, where there
is no header, fields inferred from content; :func:`column_mapping` records how each column was
mapped and why.

Header cells are matched folded (:func:`header_key`: no BOM, quotes or surrounding whitespace;
lower case), so ``"Name "`` and ``name`` are the same column name.

Seized files often have no header line (a TXT of ``姓名----身份证号----手机号`` values), or a
header below a title line (``客户资料导出 2019-04-12``). Intake then decides the columns from the
values themselves, with rules that each cite their source, and records in the manifest for every
column which rule decided it, how many sampled values matched and how many were non-empty.

Content rules (checked in this order; a value matches the first rule that fits):

=============  ==========================================================  ==========================
field          rule                                                        source
=============  ==========================================================  ==========================
``id_number``  18 characters ``\\d{17}[\\dX]`` whose check character is      GB 11643-1999, ISO 7064
               right (ISO 7064 MOD 11-2, weights 7 9 10 5 8 4 2 1 6 3 ...)  MOD 11-2 (DOMAIN.md §3)
``bank_card``  16-19 digits starting ``62``                                UnionPay IIN (DOMAIN.md §3)
``phone``      ``1[3-9]\\d{9}``                                             MIIT numbering (DOMAIN.md §3)
``email``      contains ``@``                                              RFC 5322 addr-spec
``address``    contains one of 省 市 区 县 路 号                            GB/T 2260 division names,
                                                                           street numbering
``name``       2-4 CJK characters                                          common reading (DOMAIN.md §4)
=============  ==========================================================  ==========================

A column takes the field that the largest share of its non-empty sampled values matched, if that
share is at least ``min_share`` (``configs/pipeline.yaml`` ``intake.infer_min_share``); a field is
given to one column only (the one with the highest share, then the leftmost). Other columns are
kept, as text, in ``extra`` under ``col_<n>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jobs.common.config import IntakeSettings
from jobs.common.fields import CANONICAL_FIELDS

if TYPE_CHECKING:  # the parsers import this module: no run-time import back
    from jobs.intake.formats.rows import ItemStats

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"\d{17}[\dXx]")
_CARD_RE = re.compile(r"62\d{14,17}")
_PHONE_RE = re.compile(r"1[3-9]\d{9}")
_NAME_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]{2,4}")
_ADDRESS_CHARS = frozenset("省市区县路号")
_DIGITS_RE = re.compile(r"\d{5,}")

#: Field → (the rule as recorded in the manifest).
RULES: dict[str, str] = {
    "id_number": "18 characters passing ISO 7064 MOD 11-2 (GB 11643-1999)",
    "bank_card": "16-19 digits starting 62 (UnionPay IIN)",
    "phone": "11 digits 1[3-9]xxxxxxxxx (MIIT mobile numbering)",
    "email": "contains @",
    "address": "contains 省/市/区/县/路/号",
    "name": "2-4 CJK characters",
}
#: Fields a header row can never hold as a value: a row with one of them is data, not a header.
STRONG_FIELDS = frozenset({"id_number", "bank_card", "phone", "email"})


def id_check_ok(value: str) -> bool:
    """True when ``value`` is 18 characters with a correct ISO 7064 MOD 11-2 check character
    (GB 11643-1999)."""
    if not _ID_RE.fullmatch(value):
        return False
    total = sum(int(c) * w for c, w in zip(value, _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == value[17].upper()


def classify_value(value: str | None) -> str | None:
    """The canonical field a single value looks like, by the content rules above, or ``None``."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    if len(v) == 18 and id_check_ok(v):
        return "id_number"
    if v.isdigit():
        if _CARD_RE.fullmatch(v):
            return "bank_card"
        if _PHONE_RE.fullmatch(v):
            return "phone"
        return None
    if "@" in v:
        return "email"
    if not _ADDRESS_CHARS.isdisjoint(v):
        return "address"
    if _NAME_RE.fullmatch(v):
        return "name"
    return None


def looks_like_data(cells: Sequence[str | None]) -> bool:
    """True when a row holds a value no header would hold: an ID number, bank card, mobile number,
    e-mail address, or a run of 5+ digits."""
    for cell in cells:
        if cell is None:
            continue
        kind = classify_value(cell)
        if kind in STRONG_FIELDS or _DIGITS_RE.search(cell.strip()):
            return True
    return False


def infer_fields(rows: Iterable[Sequence[str | None]], width: int, *, min_share: float = IntakeSettings.infer_min_share
                 ) -> tuple[list[str | None], dict[str, dict[str, Any]]]:
    """Infer canonical fields of a headerless table from a sample of its rows.

    Args:
        rows: sampled data rows (cells as text; ``None`` or ``""`` is empty).
        width: number of columns (``col_1`` .. ``col_<width>``).
        min_share: least share of a column's non-empty values that must match a rule.

    Returns:
        ``(fields, why)``: ``fields[i]`` is the canonical field of column ``i`` or ``None``; ``why``
        maps ``col_<i+1>`` to ``{"field", "rule", "matched", "non_empty", "share"}`` (``field`` and
        ``rule`` are ``None`` when no rule reached ``min_share`` or the field went to another column).
    """
    counts = [dict[str, int]() for _ in range(width)]
    non_empty = [0] * width
    for row in rows:
        for i, cell in enumerate(row[:width]):
            if cell is None or not cell.strip():
                continue
            non_empty[i] += 1
            kind = classify_value(cell)
            if kind is not None:
                counts[i][kind] = counts[i].get(kind, 0) + 1
    candidates: list[tuple[float, int, str, int]] = []
    for i in range(width):
        if not counts[i] or not non_empty[i]:
            continue
        kind, matched = max(counts[i].items(), key=lambda kv: (kv[1], kv[0]))
        share = matched / non_empty[i]
        if share >= min_share:
            candidates.append((-share, i, kind, matched))
    fields: list[str | None] = [None] * width
    taken: set[str] = set()
    why: dict[str, dict[str, Any]] = {}
    for neg_share, i, kind, matched in sorted(candidates):
        if kind in taken:
            why[f"col_{i + 1}"] = {"field": None, "rule": f"{kind} already taken by a column with a higher share",
                                   "matched": matched, "non_empty": non_empty[i], "share": round(-neg_share, 4)}
            continue
        taken.add(kind)
        fields[i] = kind
        why[f"col_{i + 1}"] = {"field": kind, "rule": RULES[kind], "matched": matched,
                               "non_empty": non_empty[i], "share": round(-neg_share, 4)}
    for i in range(width):
        key = f"col_{i + 1}"
        if key not in why:
            best = max(counts[i].items(), key=lambda kv: (kv[1], kv[0])) if counts[i] else (None, 0)
            why[key] = {"field": None, "rule": f"no rule reached {min_share:.0%} of non-empty values",
                        "matched": best[1], "non_empty": non_empty[i],
                        "share": round(best[1] / non_empty[i], 4) if non_empty[i] else 0.0}
    return fields, dict(sorted(why.items(), key=lambda kv: int(kv[0][4:])))


def clean_header(cell: str) -> str:
    """A header cell without BOM, surrounding quotes and whitespace."""
    return cell.replace("\ufeff", "").strip().strip('"').strip()


def header_key(text: str) -> str:
    """A header cell folded for matching: :func:`clean_header`, then lower case."""
    return clean_header(text).lower()


class HeaderMapper:
    """Maps source headers to canonical fields through the synonyms table.

    Args:
        synonyms: canonical field → accepted header spellings (matched case-insensitively).
    """

    def __init__(self, synonyms: Mapping[str, Iterable[str]]) -> None:
        self._lookup: dict[str, str] = {}
        for field_, names in synonyms.items():
            if field_ not in CANONICAL_FIELDS:
                continue
            for name in [field_, *names]:
                self._lookup.setdefault(header_key(name), field_)

    @property
    def names(self) -> frozenset[str]:
        """Every known header spelling, folded (for header-line detection)."""
        return frozenset(self._lookup)

    def map_header(self, header: list[str]) -> list[str | None]:
        """Canonical field per column, or ``None`` (kept in ``extra``). A field is taken once: a
        second column with a synonym of the same field goes to ``extra``."""
        taken: set[str] = set()
        out: list[str | None] = []
        for name in header:
            field_ = self._lookup.get(header_key(name))
            if field_ is not None and field_ not in taken:
                taken.add(field_)
                out.append(field_)
            else:
                out.append(None)
        return out


def column_mapping(stats: ItemStats, mapper: HeaderMapper) -> dict[str, dict[str, dict[str, Any]]]:
    """How each column of each sheet was mapped and why (recorded in ``evidence_items``).

    Returns:
        ``{sheet: {column: {"field": canonical field or "extra", "how": "header synonym" |
        "inferred from content" | "unknown header (kept in extra)" | ..., ...inference counts}}}``.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for sheet, header in stats.headers.items():
        why = stats.column_inference.get(sheet)
        cols: dict[str, dict[str, Any]] = {}
        if why is not None:
            for name in header:
                w = why.get(name, {})
                cols[name] = {"field": w.get("field") or "extra", "how": "inferred from content", **w}
        else:
            for name, target in zip(header, mapper.map_header(header)):
                label = name if name not in cols else f"{name}#{len(cols) + 1}"
                if target is not None:
                    cols[label] = {"field": target, "how": "header synonym (configs/column_synonyms.yaml)"}
                elif mapper.names and header_key(name) in mapper.names:
                    cols[label] = {"field": "extra", "how": "synonym of a field already taken by an earlier column"}
                else:
                    cols[label] = {"field": "extra", "how": "unknown header (kept in extra)"}
        out[sheet] = cols
    return out
