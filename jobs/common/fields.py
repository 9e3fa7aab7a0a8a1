"""The field registry: one table of the personal-information fields casefile reads, cleans and counts.

Each :class:`FieldSpec` names a canonical field and the columns it has in every dataset: intake maps
source headers onto ``<field>_raw`` (``configs/column_synonyms.yaml``); normalize adds ``<field>``
(the normalized value, NULL when missing), ``<field>_status`` (one of the field's statuses),
``<field>_reason`` (a reason code or NULL) and the field's derived columns; deduplicate puts the
field's key column into the content key at the field's position. The raw-record schema, the
record columns of ``records.csv``, the content key, the normalizers that normalize applies and the
status lists of the ``records`` suite are all built from, or checked against, :data:`FIELDS`
(``tests/unit/test_fields.py``). Adding a field is one entry here plus its normalizer.

Which fields raise a record's legal category is law, not code: ``configs/categories.yaml``
(法释〔2017〕10号 art. 5), checked against this registry by the same test.

Light module: standard library only (the Airflow side and the generator may import it).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Field statuses: the value as read is already canonical / was cleaned into canonical form / is
#: present but cannot be a true value / is partly hidden (``138****1234``) / is absent or a
#: placeholder for "no value". ``ambiguous`` (addresses only): a district name shared by several
#: places with no evidence in the record to pick one (朝阳区: 北京市 or 吉林省长春市).
FIELD_STATUSES: tuple[str, ...] = ("valid", "repaired", "invalid", "masked", "missing", "ambiguous")

#: Statuses under which a value is usable as evidence of identity (links, keys, categories).
GOOD_STATUSES: tuple[str, ...] = ("valid", "repaired")

_COMMON_STATUSES: tuple[str, ...] = ("valid", "repaired", "invalid", "masked", "missing")


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field and its columns.

    Attributes:
        name: the canonical field name (``id_number``); also the normalized value's column.
        derived: columns normalize derives from the field, in their ``records.csv`` order.
        statuses: the values ``<name>_status`` may take.
        key_column: the column that stands for the field in the content key (``name`` → ``name_key``).
        in_content_key: False for a field that carries no information of its own beyond other
            fields (``document_type``: a function of the type column and the number's shape).
    """

    name: str
    derived: tuple[str, ...] = ()
    statuses: tuple[str, ...] = _COMMON_STATUSES
    key_column: str = ""
    in_content_key: bool = True

    @property
    def raw_column(self) -> str:
        return f"{self.name}_raw"

    @property
    def status_column(self) -> str:
        return f"{self.name}_status"

    @property
    def reason_column(self) -> str:
        return f"{self.name}_reason"

    @property
    def content_column(self) -> str:
        """The column in the content key: ``key_column`` if set, else the normalized value."""
        return self.key_column or self.name

    def record_columns(self) -> tuple[str, ...]:
        """The field's columns in a normalized record: raw, value, status, reason, derived."""
        return (self.raw_column, self.name, self.status_column, self.reason_column, *self.derived)


#: The fields, in the order they appear in every output and in the content key.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", derived=("name_key",), key_column="name_key"),
    FieldSpec("id_number", derived=("id_birth_date", "id_sex", "id_region_code", "id_region_status", "id_review")),
    FieldSpec("phone", derived=("phone_kind",)),
    FieldSpec("address", statuses=(*_COMMON_STATUSES, "ambiguous"),
              derived=("address_province", "address_city", "address_district", "address_division_code",
                       "address_remainder", "address_candidates", "address_division_source")),
    FieldSpec("bank_card", derived=("bank_card_luhn",)),
    FieldSpec("email"),
    # Identity documents other than the resident ID card (issue 12, jobs/normalize/documents.py): the
    # type column (CtfTp, 证件类型) and the number of a passport or permit (from its own column, or
    # from the ID column when the type or the number's shape says it is not a resident ID).
    FieldSpec("document_type", derived=("document_type_source",), in_content_key=False),
    FieldSpec("document_number", derived=("document_number_source",)),
    # A birthday column (jobs/normalize/dates.py), checked against the ID number's birth date. In the
    # content key only when it adds information: NULL in ``birth_date_key`` when it equals the
    # ID number's birth date.
    FieldSpec("birth_date", derived=("birth_date_source_format", "birth_date_review", "birth_date_key"),
              key_column="birth_date_key"),
    # The second party of a two-party row (courier waybills: 寄件人 / 寄件人电话 / 寄件地址); the first
    # party (收件人 ...) is the record's name / phone / address. See jobs/normalize/parties.py.
    FieldSpec("sender_name", derived=("sender_name_key",), key_column="sender_name_key"),
    FieldSpec("sender_phone", derived=("sender_phone_kind",)),
    FieldSpec("sender_address"),
    # Other identifiers (jobs/normalize/identifiers.py).
    FieldSpec("uscc", derived=("uscc_personal",)),
    FieldSpec("licence_plate"),
    FieldSpec("qq"),
)

#: Canonical field names, in :data:`FIELDS` order.
CANONICAL_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)

#: Normalized columns that make up a record's information, in content-key order.
CONTENT_KEY_COLUMNS: tuple[str, ...] = tuple(f.content_column for f in FIELDS if f.in_content_key)

#: The locator of a raw record as published: which evidence item, which sheet (``""`` when the
#: format has no sheets), which line or row (1-based) and, for text files, the byte offset.
LOCATOR_COLUMNS: tuple[str, ...] = ("item_sha256", "item_path", "sheet", "line_number", "byte_offset")

#: Locator columns in the order used to pick the earliest record of a cluster.
LOCATOR_ORDER: tuple[str, ...] = ("item_path", "sheet", "line_number")


def field(name: str) -> FieldSpec:
    """The registry entry of ``name``.

    Raises:
        KeyError: ``name`` is not a canonical field.
    """
    for spec in FIELDS:
        if spec.name == name:
            return spec
    raise KeyError(f"not a canonical field: {name!r}")
