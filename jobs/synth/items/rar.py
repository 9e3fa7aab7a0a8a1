"""A minimal RAR writer ("store" method only) for synthetic seizures and the intake tests.

RAR has no free writer (WinRAR/rar are proprietary), so the test corpora and the generator write
RAR archives from the published format descriptions, with the store method (no compression):

- RAR 5.0: "RAR 5.0 archive format" (rarlab.com technote): signature ``52 61 72 21 1A 07 01 00``,
  blocks ``CRC32, header size (vint), type, flags, [extra size], [data size], fields, extra, data``;
  main archive header (type 1), file header (type 2, compression info 0 = version 0, store),
  end of archive (type 5). File system redirection extra record (type 5) for links. Optional
  AES-256 encryption (file encryption extra record, type 1: PBKDF2-HMAC-SHA256 with ``2**kdf_log2``
  iterations, key after that count, password check value after 32 more, folded to 8 bytes plus the
  first 4 bytes of its SHA-256; data AES-256-CBC, zero-padded to 16 bytes; CRC32 not tweaked).
- RAR 4.x: "RAR version 4.x - technical information" (technote.txt of unrar 4): marker block
  ``52 61 72 21 1A 07 00``, blocks ``HEAD_CRC (low 16 bits of CRC32), HEAD_TYPE, HEAD_FLAGS,
  HEAD_SIZE``; archive header 0x73, file header 0x74 (``METHOD 0x30`` storing, ``UNP_VER 20``),
  end of archive 0x7B. Names are UTF-8 with flag 0x200 and no NUL (read as UTF-8 by unrar).

Every archive is checked in the tests with readers written by others (libarchive through
libarchive-c, unar's ``lsar``/``unar``), never only with our own reader. Deterministic: a fixed
modification time unless one is given, no random salt unless one is given.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"
RAR4_SIGNATURE = b"Rar!\x1a\x07\x00"
#: 2020-01-01 00:00:00 UTC, the members' default modification time (a fixed value: byte-identical reruns).
FIXED_MTIME = 1577836800


@dataclass(frozen=True)
class RarMember:
    """One member to store.

    Attributes:
        name: the member name, ``/`` separated (written as given: tests use hostile names too).
        data: the member's bytes (for a link: the link target, UTF-8).
        link: ``None`` for a regular file, ``"symlink"`` or ``"hardlink"`` (RAR5 redirection record;
            RAR4 writes a Unix symlink as a file of mode ``S_IFLNK`` whose data is the target).
        directory: a directory entry (no data).
    """

    name: str
    data: bytes = b""
    link: str | None = None
    directory: bool = False


def vint(value: int) -> bytes:
    """RAR5 variable-length integer: 7 bits a byte, low bits first, bit 7 = another byte follows."""
    if value < 0:
        raise ValueError("vint of a negative number")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _block5(header_type: int, fields: bytes, *, extra: bytes = b"", data: bytes | None = None, flags: int = 0) -> bytes:
    if extra:
        flags |= 0x0001
    if data is not None:
        flags |= 0x0002
    body = vint(header_type) + vint(flags)
    if extra:
        body += vint(len(extra))
    if data is not None:
        body += vint(len(data))
    body += fields + extra
    head = vint(len(body)) + body
    return struct.pack("<I", zlib.crc32(head)) + head + (data or b"")


def _record(record_type: int, payload: bytes) -> bytes:
    body = vint(record_type) + payload
    return vint(len(body)) + body


def _rar5_encrypt(data: bytes, password: str, salt: bytes, iv: bytes, kdf_log2: int) -> tuple[bytes, bytes]:
    """(file encryption extra record, encrypted data) per the RAR 5.0 technote (record type 0x01)."""
    from Cryptodome.Cipher import AES  # pycryptodomex (already required by py7zr)

    pw = password.encode("utf-8")
    count = 1 << kdf_log2
    key = hashlib.pbkdf2_hmac("sha256", pw, salt, count)
    check_value = hashlib.pbkdf2_hmac("sha256", pw, salt, count + 32)
    check = bytearray(8)
    for i, b in enumerate(check_value):
        check[i % 8] ^= b
    check_field = bytes(check) + hashlib.sha256(bytes(check)).digest()[:4]
    payload = vint(0) + vint(0x0001) + bytes([kdf_log2]) + salt + iv + check_field
    padded = data + b"\x00" * (-len(data) % 16)
    encrypted = AES.new(key, AES.MODE_CBC, iv).encrypt(padded) if padded else b""
    return _record(0x01, payload), encrypted


def rar5_bytes(members: Iterable[RarMember], *, mtime: int = FIXED_MTIME, password: str | None = None,
               salt: bytes = b"casefile-synth-s", iv: bytes = b"casefile-synth-i", kdf_log2: int = 15) -> bytes:
    """A RAR 5.0 archive of ``members`` stored uncompressed (optionally AES-256 encrypted data).

    Args:
        members: what to store, in order.
        mtime: Unix time written for every member (file flag 0x0002).
        password: when given, every regular file's data is encrypted (headers stay readable,
            as with ``rar -p``, not ``-hp``).
        salt, iv: 16 bytes each (fixed defaults: reruns byte-identical; synthetic data only).
        kdf_log2: PBKDF2 iteration count as a power of two (RAR 5 accepts up to 24).

    Returns:
        The archive's bytes.

    Raises:
        ValueError: a salt or IV not 16 bytes long.
    """
    if len(salt) != 16 or len(iv) != 16:
        raise ValueError("salt and iv must be 16 bytes")
    out = bytearray(RAR5_SIGNATURE)
    out += _block5(1, vint(0))  # main archive header, no archive flags
    for m in members:
        name = m.name.encode("utf-8")
        data = b"" if m.directory else m.data
        extra = b""
        attributes = 0o40755 if m.directory else 0o100644
        if m.link is not None:
            kind = {"symlink": 1, "hardlink": 4}[m.link]
            extra = _record(0x05, vint(kind) + vint(0) + vint(len(m.data)) + m.data)
            attributes = 0o120777 if m.link == "symlink" else 0o100644
            data = b""
        stored = data
        if password is not None and data and m.link is None:
            record, stored = _rar5_encrypt(data, password, salt, iv, kdf_log2)
            extra += record
        file_flags = 0x0002 | (0x0001 if m.directory else 0x0004)
        fields = vint(file_flags) + vint(len(data)) + vint(attributes) + struct.pack("<I", mtime)
        if not m.directory:
            fields += struct.pack("<I", zlib.crc32(data))
        fields += vint(0) + vint(1) + vint(len(name)) + name  # compression 0 = store; host OS 1 = Unix
        # a data area (size 0 for directories and links) on every file header: libarchive requires one
        out += _block5(2, fields, extra=extra, data=stored)
    out += _block5(5, vint(0))
    return bytes(out)


def _dos_time(unix: int) -> int:
    import time

    t = time.gmtime(unix)
    return ((t.tm_year - 1980) << 25) | (t.tm_mon << 21) | (t.tm_mday << 16) | (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)


def _block4(header_type: int, flags: int, fields: bytes, add: bytes = b"") -> bytes:
    size = 7 + len(fields)
    body = struct.pack("<BHH", header_type, flags, size) + fields
    return struct.pack("<H", zlib.crc32(body) & 0xFFFF) + body + add


def rar4_bytes(members: Iterable[RarMember], *, mtime: int = FIXED_MTIME) -> bytes:
    """A RAR 4.x archive of ``members`` stored uncompressed (``METHOD 0x30``), no encryption.

    Links: a ``symlink`` member is a Unix file of mode ``S_IFLNK`` whose data is the target (as
    RAR 3/4 stores them); a hard link has no RAR 4 form and raises ``ValueError``.
    """
    out = bytearray(RAR4_SIGNATURE)
    out += _block4(0x73, 0x0000, b"\x00\x00" + b"\x00\x00\x00\x00")
    for m in members:
        if m.link == "hardlink":
            raise ValueError("RAR 4 has no hard link member")
        name = m.name.encode("utf-8")
        data = b"" if m.directory else m.data
        attributes = 0o40755 if m.directory else (0o120777 if m.link == "symlink" else 0o100644)
        flags = 0x8000 | (0x00E0 if m.directory else 0) | (0x0200 if not name.isascii() else 0)
        fields = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), _dos_time(mtime),
                             20, 0x30, len(name), attributes) + name
        out += _block4(0x74, flags, fields, data)
    out += _block4(0x7B, 0x4000, b"")
    return bytes(out)


def pack_as_rar(part, member: str) -> None:
    """Replace the file ``part`` (a :class:`pathlib.Path`) by a RAR 5 archive (store) holding its
    bytes as the one member ``member``: a generated item delivered in a RAR, as seized data is."""
    part.write_bytes(rar5_bytes([RarMember(member, part.read_bytes())]))
