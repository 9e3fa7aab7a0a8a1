"""Text evidence items as bytes become text: encoding detection and physical lines.

Rules (DOMAIN.md §5): decode strictly (never ``errors="ignore"``); detect the encoding per file,
never per line; GB2312/GBK detections are read as GB18030, their superset; Big5 as Big5-HKSCS.
Each physical line is decoded on its own, so a line that does not decode is kept as bytes (its
``text`` is ``None``; :func:`escape_bytes` shows it in ``raw_line``) and the rest of the file is
still read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 4 << 20


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# charset-normalizer names → the codec casefile decodes with (supersets first: DOMAIN.md §5).
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "hz": "gb18030", "gb18030": "gb18030",
             "big5": "big5hkscs", "cp950": "big5hkscs", "big5hkscs": "big5hkscs", "ascii": "utf-8", "utf_8": "utf-8"}
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def detect_encoding(path: Path) -> tuple[str, float, int]:
    """Detect the text encoding of a whole file (never per line: DOMAIN.md §5).

    Order: a byte-order mark; strict UTF-8 over the whole file; UTF-16 without BOM (NUL bytes in
    alternate positions); then charset-normalizer on a sample of up to 4 MiB cut at a line end, its
    Chinese answers widened to GB18030 / Big5-HKSCS. If the detector names a codec that cannot
    decode the sample, or a non-Chinese code page while GB18030 decodes the sample into Chinese
    characters (short GBK samples are routinely called KOI8-R or a Korean page), the Chinese codec
    that decodes the sample strictly is taken instead, with confidence halved.

    Returns:
        ``(codec name, confidence 0..1, BOM length in bytes)``. The detector's own answer is
        available from :func:`detect_encoding_verbose`.
    """
    name, confidence, bom, _ = detect_encoding_verbose(path)
    return name, confidence, bom


def detect_encoding_verbose(path: Path) -> tuple[str, float, int, str]:
    """:func:`detect_encoding` plus the name the detection step itself gave (``bom``, ``utf-8``,
    ``utf-16 nul pattern`` or charset-normalizer's answer)."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, 1.0, len(bom), f"bom:{name}"
    if _is_utf8(path):
        return "utf-8", 1.0, 0, "utf-8 (strict decode of the whole file)"
    sample = head[:65536]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.2 and even_nul < 0.05:
            return "utf-16-le", round(min(1.0, odd_nul * 2), 3), 0, "utf-16-le (NUL pattern)"
        if even_nul > 0.2 and odd_nul < 0.05:
            return "utf-16-be", round(min(1.0, even_nul * 2), 3), 0, "utf-16-be (NUL pattern)"
    # A UTF-8 file with a few corrupt lines is still UTF-8: its bad lines are quarantined.
    lines = [ln for ln in head.split(b"\n")[:-1] if any(b > 0x7F for b in ln)]
    if lines:
        share = sum(_decodes(ln, "utf-8") for ln in lines) / len(lines)
        if share >= 0.5:  # GBK/Big5 lines with Chinese characters almost never form valid UTF-8
            return "utf-8", round(share, 3), 0, f"utf-8 ({share:.1%} of non-ASCII sample lines decode)"
    from charset_normalizer import from_bytes

    # Cut the sample at a line end so a multi-byte character is never split.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 and len(head) == SAMPLE_BYTES else head
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp950", "utf_16", "cp1252"]).best()
    detected = best.encoding if best is not None else "none"
    if best is None:
        name, confidence = "gb18030", 0.0
    else:
        name = _SUPERSET.get(best.encoding.lower().replace("-", "_"), _SUPERSET.get(best.encoding.lower(), best.encoding))
        confidence = round(max(0.0, 1.0 - float(best.chaos)), 3)
    if not _decodes(sample, name) or (name not in ("gb18030", "big5hkscs") and _decodes(sample, "gb18030")
                                      and _CJK_RE.search(sample.decode("gb18030"))):
        for fallback in ("gb18030", "big5hkscs"):
            if _decodes(sample, fallback):
                return fallback, round(confidence / 2, 3), 0, f"{detected} (overruled: {fallback} decodes the sample)"
    return name, confidence, 0, f"charset-normalizer:{detected}"


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Line:
    """One physical line: 1-based number, byte offset of its first byte, text (``None``:
    undecodable) and the raw bytes with their line end."""

    number: int
    offset: int
    text: str | None  # None: undecodable
    raw: bytes


def escape_bytes(raw: bytes, codec: str) -> str:
    """Undecodable bytes kept intact as text: decodable runs as text, the rest as ``\\xNN``."""
    return raw.decode(codec, errors="backslashreplace").rstrip("\r\n")


def iter_lines(path: Path, encoding: str, bom_length: int) -> Iterator[Line]:
    """Physical lines with 1-based numbers and byte offsets, decoded strictly one by one.

    ``\\r\\n`` and ``\\n`` both end a line (a file may mix them); in a file whose first MiB has
    ``\\r`` but no ``\\n`` (classic Mac OS "CSV (Macintosh)" exports) a lone ``\\r`` ends a line.
    For UTF-16/32 a line ends at an aligned ``\\n`` code unit; each line is decoded on its own, so
    one bad line is quarantined without losing the rest.
    """
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding.startswith(("utf-16", "utf-32")):
        yield from _iter_wide_lines(path, codec, bom_length)
        return
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        fh.seek(0)
        cr_only = b"\r" in head and b"\n" not in head
        offset = 0
        number = 0
        for raw in (_cr_lines(fh) if cr_only else fh):
            number += 1
            body = raw[bom_length:] if number == 1 else raw
            try:
                text = body.decode(codec, errors="strict").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError:
                text = None
            yield Line(number, offset, text, raw)
            offset += len(raw)


def _cr_lines(fh) -> Iterator[bytes]:
    """Lines of a binary file ended by a lone ``\\r`` (each with its ``\\r``), read 1 MiB at a time.
    Safe for UTF-8 and GB18030: neither uses byte 0x0D inside a multi-byte character."""
    rest = b""
    while chunk := fh.read(1 << 20):
        *lines, rest = (rest + chunk).split(b"\r")
        for line in lines:
            yield line + b"\r"
    if rest:
        yield rest


def _iter_wide_lines(path: Path, codec: str, bom_length: int) -> Iterator[Line]:
    """UTF-16/32 lines, read 1 MiB at a time (memory: the longest line, not the file)."""
    unit = 4 if codec.startswith("utf-32") else 2
    newline = "\n".encode(codec)
    number = 0
    with open(path, "rb") as fh:
        fh.seek(bom_length)
        pos = bom_length  # file offset of buf[0]
        buf = b""
        eof = False
        while buf or not eof:
            end = buf.find(newline)
            while end != -1 and end % unit:  # buf starts on a code unit: only aligned \n end a line
                end = buf.find(newline, end + 1)
            if end == -1 and not eof:
                chunk = fh.read(1 << 20)
                if chunk:
                    buf += chunk
                else:
                    eof = True
                continue
            stop = len(buf) if end == -1 else end + unit
            raw, buf = buf[:stop], buf[stop:]
            number += 1
            try:
                text = raw.decode(codec, errors="strict").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError:
                text = None
            yield Line(number, pos, text, raw)
            pos += stop
