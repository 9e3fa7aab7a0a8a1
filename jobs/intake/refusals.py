"""Reason codes of refused evidence items: the one place they are listed.

A refused item is listed in ``evidence_items.json`` with ``status = "refused"``,
``refusal_reason`` (one code below), ``refusal_detail`` where there is more to say (an exception
class name, a magic-byte type; never a record value) and ``format = refused:<reason>``; it yields
no row (``rows_read = records = rows_quarantined = 0``) and is listed again in the intake
manifest's ``refusals``. Its bytes stay registered and hashed wherever intake got hold of them (an
original in the evidence store, an extracted archive member); a file intake will not even open (a
link, a FIFO) is listed with its path only. Row-level problems are not refusals: they are
quarantined rows with the reason codes of :mod:`jobs.intake.formats.rows`.

A byte-identical item (same SHA-256 as an item earlier in path order) is not refused but read once:
``status = "duplicate"``, ``duplicate_of`` = the path of the item that was read,
``format = duplicate_of:<that path>``, no rows of its own (its rows would have the same record ids).

Evidence folder (``jobs.intake.evidence``):

=========================  ===================================================================
``symlink``                a symbolic link (to a file or to a folder): never followed, it could
                           point outside the seizure or at a file counted twice
``special_file``           a FIFO, socket or device: opening a FIFO blocks, a device is endless
``too_many_items``         beyond ``intake.max_items`` items in the seizure (originals and archive
                           members together)
=========================  ===================================================================

Items (``jobs.intake.worker``):

==============================  ==============================================================
``unsupported_format``          neither the extension nor the bytes name a format intake reads
``binary_content``              the bytes are a binary format (magic bytes: ELF, PE,
                                images, PDF...; ``refusal_detail`` names it) or hold NUL bytes
                                outside UTF-16/32 text: never parsed as text
``unreadable_item``             the parser failed on the item (a corrupt or truncated XLSX, a
                                corrupt XLS, a JSON document that is not JSON);
                                ``refusal_detail`` is the exception class (``BadZipFile``)
``reader_unavailable``          the format's reader is not installed on this machine (an Access
                                file without mdbtools; ``refusal_detail`` names the package)
``workbook_too_large``          an XLSX part, or all parts together, larger than
                                ``intake.workbooks.max_part_bytes`` / ``max_total_bytes``
``workbook_compression_ratio``  an XLSX part that inflates more than ``intake.workbooks.max_ratio``
                                times (a shared-strings bomb)
==============================  ==============================================================

Archive members have the codes of :mod:`jobs.intake.archives` (``path_traversal``,
``compression_ratio``, ``too_many_members``...), listed in :data:`ARCHIVE_REASONS`.
"""

from __future__ import annotations

SYMLINK = "symlink"
SPECIAL_FILE = "special_file"
TOO_MANY_ITEMS = "too_many_items"
UNSUPPORTED_FORMAT = "unsupported_format"
BINARY_CONTENT = "binary_content"
UNREADABLE_ITEM = "unreadable_item"
READER_UNAVAILABLE = "reader_unavailable"
WORKBOOK_TOO_LARGE = "workbook_too_large"
WORKBOOK_COMPRESSION_RATIO = "workbook_compression_ratio"

#: Item refusal codes (this module's tables).
ITEM_REASONS: frozenset[str] = frozenset({SYMLINK, SPECIAL_FILE, TOO_MANY_ITEMS, UNSUPPORTED_FORMAT, BINARY_CONTENT,
                                          UNREADABLE_ITEM, READER_UNAVAILABLE, WORKBOOK_TOO_LARGE, WORKBOOK_COMPRESSION_RATIO})
#: Archive member refusal codes (the table of :mod:`jobs.intake.archives`).
ARCHIVE_REASONS: frozenset[str] = frozenset({
    "path_traversal", "absolute_path", "drive_letter", "backslash_in_path", "invalid_name", "link_member",
    "path_through_link", "special_member", "encrypted_member", "password_missing", "password_wrong", "member_too_large", "archive_too_large",
    "compression_ratio", "too_many_members", "nesting_too_deep", "corrupt_member", "corrupt_archive",
    "directory_with_data", "duplicate_member_name", TOO_MANY_ITEMS})
ALL_REASONS: frozenset[str] = ITEM_REASONS | ARCHIVE_REASONS


class ItemRefused(Exception):
    """Raised by a parser or a check before parsing: the item is refused.

    ``args``: ``(reason code, detail)``; the detail names a type or an exception class, never a value.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in ALL_REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def refused_fields(reason: str, detail: str = "") -> dict:
    """The evidence-item fields of a refusal (merged into the item's entry)."""
    return {"status": "refused", "refusal_reason": reason, **({"refusal_detail": detail} if detail else {}),
            "format": f"refused:{reason}", "rows_read": 0, "records": 0, "rows_quarantined": 0}
