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

import functools
import re
import unicodedata
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


def infer_fields(rows: Iterable[Sequence[str | None]], width: int, *, min_share: float = IntakeSettings.infer_min_share,
                 exclude: frozenset[str] = frozenset()) -> tuple[list[str | None], dict[str, dict[str, Any]]]:
    """Infer canonical fields of a headerless table from a sample of its rows.

    Args:
        rows: sampled data rows (cells as text; ``None`` or ``""`` is empty).
        width: number of columns (``col_1`` .. ``col_<width>``).
        min_share: least share of a column's non-empty values that must match a rule.
        exclude: fields not to give (taken by a header, or rules not used under a header); a
            column whose best-matching field is excluded gets no field.

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
    why: dict[str, dict[str, Any]] = {}
    for i in range(width):
        if not counts[i] or not non_empty[i]:
            continue
        kind, matched = max(counts[i].items(), key=lambda kv: (kv[1], kv[0]))
        share = matched / non_empty[i]
        if kind in exclude:
            why[f"col_{i + 1}"] = {"field": None, "rule": f"{kind}: not inferred here (taken by a header, or a weak rule)",
                                   "matched": matched, "non_empty": non_empty[i], "share": round(share, 4)}
        elif share >= min_share:
            candidates.append((-share, i, kind, matched))
    fields: list[str | None] = [None] * width
    taken: set[str] = set()
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


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc  # the BYVoid binding pinned in pyproject.toml (same one normalize uses)

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """A header cell folded for matching (the spelling fold; both the synonyms and the headers go
    through it, so matching stays symmetric):

    1. :func:`clean_header` (BOM, quotes, surrounding whitespace);
    2. Unicode NFKC (full-width ``ＩＤ`` and ``（主）`` become ``ID`` and ``(主)``; UAX #15);
    3. ``casefold`` (``EMail`` = ``email``);
    4. OpenCC ``t2s`` (a Big5 source's ``證件號碼`` = ``证件号码``): a header is a label, never a
       name, so the one-to-many hazards of :mod:`jobs.normalize.names` do not apply here;
    5. white space removed (``手机 号码`` = ``手机号码``). ``_`` and ``-`` are kept: removing them
       made the hotel layout's ``CardNo`` (a membership card) the bank-card synonym ``card_no``.

    Brackets, trailing digits and dotted JSON paths are kept here; :meth:`HeaderMapper.resolve`
    removes them, one step at a time, only after checking they name no other person.
    """
    s = unicodedata.normalize("NFKC", clean_header(text)).casefold()
    s = _t2s().convert(s)
    return _SEPARATORS_RE.sub("", s)


#: A bracketed part of a header after NFKC (ASCII brackets) or in CJK brackets NFKC keeps.
_BRACKET_RE = re.compile(r"[(\[{【〔〈《<][^)\]}】〕〉》>]*[)\]}】〕〉》>]")
_TRAILING_DIGITS_RE = re.compile(r"(?<=\D)\d+$")
_SEPARATORS_RE = re.compile(r"\s+")

#: Header words that name a person other than the record's subject: a column whose folded header
#: contains one of them is never mapped by a stripped spelling nor inferred from content (its phone
#: is not the subject's phone). Matched after :func:`header_key`, so traditional spellings
#: (緊急聯絡人) are covered. Extended by ``_other_person_roles`` in configs/column_synonyms.yaml.
OTHER_PERSON_MARKERS: tuple[str, ...] = (
    "紧急联系人", "紧急联络人", "紧急", "担保人", "保证人", "介绍人", "推荐人", "配偶", "父亲", "母亲",
    "父母", "家长", "监护人", "亲属", "emergency", "guardian", "spouse", "parent", "father", "mother",
    "referrer", "guarantor",
)

#: Words a header cell holds and a name or address value does not (a first row holding one is a
#: header even when it is shaped like the data: ``联系人,所在城市``).
HEADER_WORDS: tuple[str, ...] = (
    "姓名", "名称", "名字", "地址", "住址", "城市", "省份", "电话", "手机", "号码", "信息", "类型", "日期",
    "时间", "编号", "序号", "备注", "性别", "民族", "单位",
)


def _stripped_variants(key: str) -> list[tuple[str, str]]:
    """``(variant, step)`` pairs of a folded header, in the fixed order tried by
    :meth:`HeaderMapper.resolve`: brackets removed, then trailing digits, then the leaf of a dotted
    JSON path (``member.zjhm``) with the same two steps."""
    out: list[tuple[str, str]] = []

    def add(k: str, step: str) -> None:
        if k and k != key and all(k != v for v, _ in out):
            out.append((k, step))

    no_brackets = _BRACKET_RE.sub("", key)
    add(no_brackets, "brackets removed")
    add(_TRAILING_DIGITS_RE.sub("", no_brackets), "brackets and trailing digits removed"
        if no_brackets != key else "trailing digits removed")
    if "." in key:
        leaf = key.rsplit(".", 1)[1]
        add(leaf, "leaf of a dotted path")
        leaf_bare = _TRAILING_DIGITS_RE.sub("", _BRACKET_RE.sub("", leaf))
        add(leaf_bare, "leaf of a dotted path, brackets and trailing digits removed")
    return out


class KnownHeaders(frozenset):
    """The folded synonyms (a ``frozenset``, as :class:`~jobs.intake.formats.rows.ParseOptions`
    expects) whose ``in`` also accepts a folded header that :meth:`HeaderMapper.resolve` maps
    through a stripped spelling (``手机号码(主)``), and which carries its :attr:`mapper` (the
    tabular parser uses it for the content fallback of unknown headers)."""

    mapper: HeaderMapper

    def __new__(cls, mapper: HeaderMapper) -> KnownHeaders:
        self = super().__new__(cls, mapper._lookup)
        self.mapper = mapper
        return self

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.mapper.lookup_folded(key)[0] is not None

    def __reduce__(self):  # picklable for Spark tasks: rebuilt from the mapper
        return (KnownHeaders, (self.mapper,))


class HeaderMapper:
    """Maps source headers to canonical fields through the synonyms table.

    Args:
        synonyms: canonical field → accepted header spellings (matched after :func:`header_key`).
            A key ``<field>/<block>`` adds spellings to ``<field>`` (a separate block of the shared
            table); ``_other_person_roles`` adds to :data:`OTHER_PERSON_MARKERS`;
            ``_not_a_field`` names columns of known layouts that hold no canonical field (kept in
            ``extra``, never inferred from content: the hotel layout's ``CardNo``); other keys are
            ignored.

    Raises:
        ValueError: two fields claim the same folded spelling (the mapping would depend on the
            order of the table).
    """

    def __init__(self, synonyms: Mapping[str, Iterable[str]]) -> None:
        self._lookup: dict[str, str] = {}
        markers = list(OTHER_PERSON_MARKERS)
        self._not_a_field: frozenset[str] = frozenset(header_key(str(n)) for n in synonyms.get("_not_a_field", ()))
        for key, names in synonyms.items():
            if key == "_other_person_roles":
                markers += [header_key(n) for n in names]
                continue
            field_ = key.split("/", 1)[0]
            if field_ not in CANONICAL_FIELDS:
                continue
            for name in [field_, *names]:
                folded = header_key(str(name))
                other = self._lookup.setdefault(folded, field_)
                if other != field_:
                    raise ValueError(f"column_synonyms: {name!r} folds to {folded!r}, claimed by {other!r} and {field_!r}")
        self._markers = tuple(dict.fromkeys(m for m in markers if m))

    @property
    def names(self) -> KnownHeaders:
        """Every known header spelling, folded (for header-line detection)."""
        return KnownHeaders(self)

    def lookup_folded(self, key: str) -> tuple[str | None, str]:
        """Field and reason for a header already folded by :func:`header_key`.

        Order (deterministic): the folded spelling itself; a column configured as holding no
        field (``_not_a_field``) or a header naming another person (:data:`OTHER_PERSON_MARKERS`)
        stops here, unmapped; then the stripped spellings of :func:`_stripped_variants` in their
        fixed order.
        """
        field_ = self._lookup.get(key)
        if field_ is not None:
            return field_, "header synonym (configs/column_synonyms.yaml)"
        if key in self._not_a_field:
            return None, "holds no canonical field (configs/column_synonyms.yaml _not_a_field): kept in extra, never inferred from content"
        marker = next((m for m in self._markers if m in key), None)
        if marker is not None:
            return None, f"names another person ({marker}): kept in extra, never inferred from content"
        for variant, step in _stripped_variants(key):
            field_ = self._lookup.get(variant)
            if field_ is not None:
                return field_, f"header synonym after folding: {step} (configs/column_synonyms.yaml)"
        return None, "unknown header"

    def resolve(self, header: str) -> tuple[str | None, str]:
        """Field (or ``None``) and the reason for one source header; see :meth:`lookup_folded`."""
        return self.lookup_folded(header_key(header))

    def other_person(self, header: str) -> bool:
        """True when the header names a person other than the record's subject."""
        key = header_key(header)
        return key not in self._lookup and any(m in key for m in self._markers)

    def map_header(self, header: list[str]) -> list[str | None]:
        """Canonical field per column, or ``None`` (kept in ``extra``). A field is taken once: a
        second column with a synonym of the same field goes to ``extra``."""
        return [f for f, _ in self.map_header_why(header)]

    def map_header_why(self, header: list[str]) -> list[tuple[str | None, str]]:
        """:meth:`map_header` with the reason per column."""
        taken: set[str] = set()
        out: list[tuple[str | None, str]] = []
        for name in header:
            field_, how = self.resolve(name)
            if field_ is not None and field_ in taken:
                out.append((None, "synonym of a field already taken by an earlier column"))
            elif field_ is not None:
                taken.add(field_)
                out.append((field_, how))
            else:
                out.append((None, how))
        return out

    def map_columns(self, header: list[str], sample: Iterable[Sequence[str | None]], *,
                    min_share: float = IntakeSettings.infer_min_share) -> tuple[list[str | None], dict[str, dict[str, Any]]]:
        """Fields of a table with a header: the synonyms first (:meth:`map_header_why`), then, for
        each column whose header is unknown, content inference on the sampled rows
        (:func:`infer_fields`), limited to the fields no header took and to :data:`STRONG_FIELDS`
        (an ID number passing its check, a UnionPay card, a mobile number, an e-mail address). The
        weak name and address rules are not used under a header: ``民族`` values (汉族) are shaped
        like names and ``开户行`` values (…市分行) like addresses. A column naming another person is
        never inferred.

        Args:
            header: the cleaned header cells.
            sample: sampled data rows (cells as text, header-aligned).
            min_share: least share of a column's non-empty values matching the rule.

        Returns:
            ``(fields, why)``: ``fields[i]`` is the field of column ``i`` or ``None``; ``why`` maps
            each column label (the header, ``<header>#<n>`` when repeated) to ``{"field": field or
            "extra", "how": reason}``, plus the inference counts (``rule``, ``matched``,
            ``non_empty``, ``share``) for a column decided or refused by content.
        """
        resolved = self.map_header_why(header)
        fields = [f for f, _ in resolved]
        unknown = [i for i, (f, how) in enumerate(resolved) if f is None and how == "unknown header"]
        inferred: dict[int, tuple[str | None, dict[str, Any]]] = {}
        if unknown:
            rows = [[row[i] if i < len(row) else None for i in unknown] for row in sample]
            exclude = frozenset(f for f in fields if f is not None) | (frozenset(RULES) - STRONG_FIELDS)
            got, why = infer_fields(rows, len(unknown), min_share=min_share, exclude=exclude)
            for j, i in enumerate(unknown):
                inferred[i] = (got[j], why[f"col_{j + 1}"])
        out: dict[str, dict[str, Any]] = {}
        for i, (name, (field_, how)) in enumerate(zip(header, resolved)):
            label = name if name not in out else f"{name}#{i + 1}"
            if i in inferred:
                got_field, w = inferred[i]
                fields[i] = got_field
                how = ("unknown header; inferred from content" if got_field
                       else "unknown header; no content rule applied (kept in extra)")
                out[label] = {**w, "field": got_field or "extra", "how": how}
            else:
                out[label] = {"field": field_ or "extra", "how": how}
        return fields, out


def first_row_is_data(first: Sequence[str | None], following: Sequence[Sequence[str | None]], *,
                      min_share: float = IntakeSettings.infer_min_share) -> bool:
    """Whether the first row of a table with no known header is data (no header line at all).

    True when :func:`looks_like_data` (an ID number, card, mobile, e-mail or 5+ digit run), or when
    the row is shaped like the rows below it: the columns below take at least one field by content
    (:func:`infer_fields` on ``following``), the first row's cell matches that field in every such
    column, and no cell holds a header word (:data:`HEADER_WORDS`). A headerless ``姓名,地址``
    list (张三,北京市朝阳区…) is thus data, while ``联系人,所在城市`` above the same rows is a
    header (issue 13 defect 10: the first row of such a file was lost to the header).

    Args:
        first: the first non-blank row of the table's common width.
        following: the sampled rows after it.
        min_share: as for :func:`infer_fields`.
    """
    if looks_like_data(first):
        return True
    if not following:
        return False
    if any(cell is not None and any(w in header_key(cell) for w in HEADER_WORDS) for cell in first):
        return False
    fields, _ = infer_fields(following, len(first), min_share=min_share)
    decided = [(i, f) for i, f in enumerate(fields) if f is not None]
    return bool(decided) and all(classify_value(first[i]) == f for i, f in decided)


def column_mapping(stats: ItemStats, mapper: HeaderMapper) -> dict[str, dict[str, dict[str, Any]]]:
    """How each column of each sheet was mapped and why (recorded in ``evidence_items``).

    Returns:
        ``{sheet: {column: {"field": canonical field or "extra", "how": reason, ...inference
        counts}}}``. ``how`` is one of: ``header synonym (configs/column_synonyms.yaml)``; ``header
        synonym after folding: <step> (...)`` (brackets removed, trailing digits removed, leaf of a
        dotted path); ``synonym of a field already taken by an earlier column``; ``names another
        person (<marker>): ...``; ``holds no canonical field (...)``; ``unknown header; inferred from content`` / ``unknown header; no
        content rule applied (kept in extra)`` (with ``rule``, ``matched``, ``non_empty``,
        ``share``); ``unknown header`` (JSON and SQL columns: no content sample); ``inferred from
        content`` (a table with no header line).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for sheet, header in stats.headers.items():
        why = stats.column_inference.get(sheet)
        cols: dict[str, dict[str, Any]] = {}
        if why is not None:
            for label, w in why.items():
                cols[label] = {**w, "field": w.get("field") or "extra", "how": w.get("how", "inferred from content")}
        else:
            for i, (name, (target, how)) in enumerate(zip(header, mapper.map_header_why(header))):
                label = name if name not in cols else f"{name}#{i + 1}"
                cols[label] = {"field": target or "extra", "how": how if target or how != "unknown header"
                               else "unknown header (kept in extra)"}
        out[sheet] = cols
    return out
