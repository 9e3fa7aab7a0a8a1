"""The normalization contract the pipeline implements, restated as an oracle, and the record key digests.

What a record is and when two rows are the same record: six canonical fields
(``jobs.common.fields.CANONICAL_FIELDS``), each normalized by its rule below (``spec_name``,
``_spec_id_number``, ``_spec_phone``, ...); two rows are exact duplicates when all six normalized
values are equal (missing equals only missing). The generator checks every row it writes against
:func:`spec_key` and names records in ``linkage_truth.csv`` by :func:`record_key_sha256`; the
evaluation hashes the pipeline's ``records.csv`` the same way. Also here: the positions of the
fields in a record tuple, the legal category of a record, and the 8-byte digest of the uniqueness
check (:func:`key8`).
"""

from __future__ import annotations

import functools
import hashlib
import re

from jobs.synth.identifiers import id_check_char

# Positions of the canonical fields in a record tuple (jobs.common.fields.CANONICAL_FIELDS order).
NAME, ID_NUMBER, PHONE, ADDRESS, BANK_CARD, EMAIL = range(6)

#: Placeholders written for a missing hotel Mobile/EMail (DOMAIN.md §5 list, the pipeline reads them as missing).
PLACEHOLDERS: tuple[str, ...] = ("NULL", "\\N", "-", "无")
#: Name characters the pipeline protects from t2s (configs/pipeline.yaml normalize.name_protected_chars);
#: a name containing one after s2t could not be matched back, so such names are not varied or pooled.
T2S_PROTECTED = frozenset("於乾昇陞氾麴逕")  # = jobs.normalize.names.NAME_KEPT_CHARS (tested)

FULLWIDTH_TO_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
TO_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES_DASHES = re.compile(r"[\s\-]+")
WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=None)
def converter(config: str):
    """The OpenCC converter of ``config`` (``"t2s"`` or ``"s2t"``), built once per process."""
    import opencc  # the BYVoid binding (pyproject pins opencc, not opencc-python-reimplemented)

    return opencc.OpenCC(config)


def _spec_missing(value: str) -> bool:
    return value.strip() in ("",) + PLACEHOLDERS


def spec_name(value: str) -> str:
    v = _CJK_GAP.sub("", value.translate(FULLWIDTH_TO_ASCII)).strip()
    return converter("t2s").convert(v)


def _spec_id_number(value: str) -> str:
    v = _SPACES_DASHES.sub("", value.translate(FULLWIDTH_TO_ASCII)).upper()
    if len(v) == 15 and v.isdigit():
        body = v[:6] + "19" + v[6:]
        v = body + id_check_char(body)
    return v


def _spec_phone(value: str) -> str:
    v = _SPACES_DASHES.sub("", value.translate(FULLWIDTH_TO_ASCII))
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    elif v.startswith("86") and len(v) == 13:
        v = v[2:]
    return "+86" + v


def _spec_address(value: str) -> str:
    return WHITESPACE.sub("", value.translate(FULLWIDTH_TO_ASCII))


def _spec_bank_card(value: str) -> str:
    return WHITESPACE.sub("", value)


def _spec_email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}"


_SPEC = (spec_name, _spec_id_number, _spec_phone, _spec_address, _spec_bank_card, _spec_email)


def spec_key(rendered: tuple[str, ...]) -> tuple[str, ...]:
    """Normalized six-field key of a row as written (the contract the pipeline implements)."""
    return tuple("" if _spec_missing(v) else f(v) for f, v in zip(_SPEC, rendered))


def canonical_key(record: tuple[str, ...]) -> tuple[str, ...]:
    """Normalized key of a base record (already canonical except the ``+86`` of the phone)."""
    return record[:PHONE] + (("+86" + record[PHONE]) if record[PHONE] else "",) + record[PHONE + 1:]


def record_key_sha256(key: tuple[str, ...]) -> str:
    """SHA-256 (hex) of a normalized six-field key joined by U+001F: how ``linkage_truth.csv`` names
    a record without writing its values. ``key`` is in ``CANONICAL_FIELDS`` order, phone as ``+86…``,
    missing fields as ``""`` (what :func:`canonical_key` returns and what the pipeline's normalized
    ``name``, ``id_number``, ``phone``, ``address``, ``bank_card`` and ``email`` columns hold)."""
    return hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()


def category(record: tuple[str, ...]) -> str:
    """Legal category of a record (DOMAIN.md §1, configs/categories.yaml): card > ID number > other."""
    if record[BANK_CARD]:
        return "tier_50"
    if record[ID_NUMBER]:
        return "tier_500"
    return "tier_5000"


def key8(record: tuple[str, ...]) -> bytes:
    """8-byte BLAKE2b digest of a base record's normalized key (the uniqueness and per-person checks)."""
    return hashlib.blake2b("\x1f".join(canonical_key(record)).encode("utf-8"), digest_size=8).digest()
