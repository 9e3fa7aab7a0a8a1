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


#: The second party of a record without one (every item but the courier waybills).
NO_PARTY: tuple[str, str, str] = ("", "", "")


def spec_party(sender: tuple[str, str, str]) -> tuple[str, str, str]:
    """Normalized second party (name key, phone, address) of a waybill's sender as written, by the
    same rules as the first party (jobs/normalize/parties.py): a masked value (``*``) is kept as
    cleaned, not repaired (phones.py: "the cleaned input for masked"), so a masked phone gets no ``+86``."""
    name, phone, address = sender
    out_phone = "" if _spec_missing(phone) else (
        _SPACES_DASHES.sub("", phone.translate(FULLWIDTH_TO_ASCII)) if "*" in phone else _spec_phone(phone))
    return ("" if _spec_missing(name) else spec_name(name), out_phone,
            "" if _spec_missing(address) else _spec_address(address))


def record_key_sha256(key: tuple[str, ...]) -> str:
    """SHA-256 (hex) of a record's normalized key joined by U+001F: how ``linkage_truth.csv`` names
    a record without writing its values.

    ``key``: nine fields, the six of ``CANONICAL_FIELDS`` (phone as ``+86…``, what
    :func:`canonical_key` returns) then the second party's ``sender_name_key``, ``sender_phone``,
    ``sender_address`` (:func:`spec_party`; :data:`NO_PARTY` outside the waybills); missing fields
    as ``""``. These are the pipeline's normalized columns of ``records.csv``
    (``jobs.evaluation.linkage_truth.KEY_COLUMNS``, same order). The sender is part of the key
    because two waybills of one receiver from two senders are two records (issue 12, one row traded
    as one unit is one record): a six-field name would give both the same name."""
    return hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()


def bank_card_ok(card: str) -> bool:
    """A card number that passes the shape rules (DOMAIN.md §3): 12–19 ASCII digits, not one digit
    repeated (``0000000000000000`` is a placeholder). Luhn is a flag, not a rule."""
    return card.isascii() and card.isdigit() and 12 <= len(card) <= 19 and len(set(card)) > 1


def id_number_ok(idn: str) -> bool:
    """An 18-character resident ID number with a real birth date and the right check character
    (GB 11643-1999, ISO 7064 MOD 11-2)."""
    import datetime as dt

    if len(idn) != 18 or not idn[:17].isascii() or not idn[:17].isdigit():
        return False
    try:
        dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return False
    return id_check_char(idn[:17]) == idn[17]


#: The passport and permit numbers the generator writes in the ID slot of a hotel row (DOMAIN.md §3):
#: PRC e-passport E + 8 digits or E + letter + 7 digits; a foreign passport letter + 8 digits (ICAO
#: 9303 allows up to 9 characters); 往来港澳通行证 C + 8; 港澳居民来往内地通行证 H/M + 8; 台湾居民来往大陆通行证
#: 8 digits. The 18-digit residence permits and permanent-residence cards pass :func:`id_number_ok`.
_OTHER_DOCUMENT = re.compile(r"E[A-HJ-NP-Z]\d{7}|[A-Z]\d{8}|\d{8}")


def other_document_ok(number: str) -> bool:
    """A passport or permit number of a shape in :data:`_OTHER_DOCUMENT` (issue 12 defect 2): its own
    document, never an invalid resident ID number; ``document_number`` is a ``tier_500`` field."""
    return bool(_OTHER_DOCUMENT.fullmatch(number))


def category(record: tuple[str, ...]) -> str:
    """Legal category of a record (DOMAIN.md §1, configs/categories.yaml): card > ID number or
    document number > other.

    A field raises the category only when it passes its check (issue 12 defect 1): a placeholder,
    short or non-digit card does not make a record ``tier_50``, an invalid ID number not ``tier_500``.
    """
    if record[BANK_CARD] and bank_card_ok(record[BANK_CARD]):
        return "tier_50"
    if record[ID_NUMBER] and (id_number_ok(record[ID_NUMBER]) or other_document_ok(record[ID_NUMBER])):
        return "tier_500"
    return "tier_5000"


#: Count tags of a record (:func:`count_tag`): its category's position when counted, then these.
CATEGORY_KEYS: tuple[str, ...] = ("tier_50", "tier_500", "tier_5000")
TAG_BARE_PHONE, TAG_UNTRUE = 3, 4


def count_tag(key: tuple[str, ...]) -> int:
    """How a normalized key (``spec_key`` / ``canonical_key``) is counted: 0–2 the position of its
    category in :data:`CATEGORY_KEYS` (counted), :data:`TAG_BARE_PHONE` (a phone and nothing else,
    counted on its own line) or :data:`TAG_UNTRUE` (an invalid ID number: excluded, 法释〔2017〕10号
    art. 11). The generator writes no masked identifying field, so no record is masked-unidentifiable."""
    if key[ID_NUMBER] and not id_number_ok(key[ID_NUMBER]) and not other_document_ok(key[ID_NUMBER]):
        return TAG_UNTRUE
    if key[PHONE] and not any(key[i] for i in (NAME, ID_NUMBER, ADDRESS, BANK_CARD, EMAIL)):
        return TAG_BARE_PHONE
    return CATEGORY_KEYS.index(category(key))


def row_digest(key: tuple[str, ...], extras: dict[str, str]) -> bytes:
    """8-byte BLAKE2b digest of a written row's information: its normalized six-field ``key`` and
    its other columns (header → value as written; empty values and the row identifier columns left
    out by the caller). Two rows are identical rows (issue 12) exactly when their digests are equal."""
    rest = "\x1e".join(f"{h}\x1d{v.strip()}" for h, v in sorted(extras.items()) if v.strip())
    return hashlib.blake2b(("\x1f".join(key) + "\x1c" + rest).encode("utf-8"), digest_size=8).digest()


def key8(record: tuple[str, ...], extra_key: str = "") -> bytes:
    """8-byte BLAKE2b digest of a base record's normalized key (the uniqueness and per-person checks).

    ``extra_key``: the unmapped content of a record none of whose six fields holds a value (its
    row is its only identity, issue 12 defect 3), or the second party of a waybill whose receiver
    already has a record (same receiver, another sender: another record, issue 12 defect 4);
    ``""`` otherwise."""
    text = "\x1f".join(canonical_key(record)) + (("\x1c" + extra_key) if extra_key else "")
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
