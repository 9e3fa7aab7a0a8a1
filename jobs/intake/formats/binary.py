"""Binary content in an item that would otherwise be read as text (DOMAIN.md §5: seized data is
hostile; an executable or a database file read as lines gives invented "records").

Detection is by content, never by the name: the magic bytes of known binary formats (the
``filetype`` library's signature table: ELF, PE, Mach-O, SQLite, images, PDF, archives...), then
NUL bytes, which no 8-bit or multi-byte Chinese text encoding uses (GB18030, Big5, UTF-8: a NUL
byte is only ever U+0000), except UTF-16/32, recognised by a BOM or by NUL bytes in alternate
positions (the same rule as :func:`jobs.intake.formats.text.detect_encoding`).
"""

from __future__ import annotations

import codecs

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def binary_kind(head: bytes) -> str | None:
    """The binary type of an item whose first bytes are ``head`` (at least the first 4 KiB), or
    ``None`` when it may be text.

    Returns:
        the ``filetype`` extension of the format (``elf``, ``sqlite``, ``exe``, ``png``...), or
        ``nul_bytes`` for NUL bytes in what is not UTF-16/32 text.
    """
    import filetype

    kind = filetype.guess(head)
    if kind is not None:
        return kind.extension
    if b"\x00" not in head:
        return None
    if head.startswith(_WIDE_BOMS):
        return None
    sample = head[:65536]
    even = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if (odd > 0.2 and even < 0.05) or (even > 0.2 and odd < 0.05):
        return None  # UTF-16 without BOM (the NUL pattern of ASCII/CJK code units)
    if len(sample) >= 8 and (sample[2::4].count(0) + sample[3::4].count(0)) / max(1, len(sample[2::4]) + len(sample[3::4])) > 0.9:
        return None  # UTF-32-LE without BOM
    return "nul_bytes"
