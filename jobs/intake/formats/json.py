"""JSON items: JSON Lines (one object per line) and JSON documents (an array of objects, or
Navicat's ``{"RECORDS": [...]}``). Nested objects are flattened to dotted keys; integers are read
exactly and floats kept as written (never through a float).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from jobs.intake.formats.rows import (
    DEFAULT_OPTIONS,
    JSON_NOT_OBJECT,
    JSON_PARSE_ERROR,
    JSON_TOO_DEEP,
    UNDECODABLE,
    ItemStats,
    ParsedRow,
    ParseOptions,
)
from jobs.intake.formats.text import detect_encoding_verbose, escape_bytes, iter_lines


def flatten(obj: dict, prefix: str = "") -> dict[str, str | None]:
    """Nested objects flattened to dotted keys; lists and scalars as JSON/text."""
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, prefix=f"{name}."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, str)):
            out[name] = str(value)
        else:
            out[name] = repr(value)
    return out


def parse_jsonl(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a JSON Lines item: one object per line (integers parsed exactly, floats kept as text)."""
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "jsonl", encoding, confidence
    stats.encoding_detected = detected
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for line in iter_lines(path, encoding, bom):
        stats.physical_lines += 1
        if line.text is None:
            stats.rows_read += 1
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, escape_bytes(line.raw, codec), reason_code=UNDECODABLE)
            continue
        if not line.text.strip():
            stats.blank_lines += 1
            continue
        stats.rows_read += 1
        try:
            obj = json.loads(line.text, parse_float=str)
            mapping = flatten(obj) if isinstance(obj, dict) else None
        except RecursionError:
            # Nested deeper than the interpreter's recursion limit (json and flatten recurse per
            # level): this line only, the rest of the file is read.
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_TOO_DEEP)
            continue
        except ValueError:
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_PARSE_ERROR)
            continue
        if mapping is None:
            stats.rows_quarantined += 1
            yield ParsedRow("", line.number, line.offset, line.text, reason_code=JSON_NOT_OBJECT)
            continue
        stats.records += 1
        yield ParsedRow("", line.number, line.offset, line.text, mapping=mapping)


class _Stream:
    """A JSON document's text read 1 MiB at a time (strict decoding), each top-level value decoded
    alone with :meth:`json.JSONDecoder.raw_decode`: memory is the largest array element plus a
    chunk, never the document (issue 13, "parse in bounded memory")."""

    CHUNK = 1 << 20

    def __init__(self, path: Path, codec: str, bom: int) -> None:
        import codecs

        self.fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.fh.seek(bom)
        self.decoder = codecs.getincrementaldecoder(codec)("strict")
        self.json = json.JSONDecoder(parse_float=str)
        self.buf, self.pos, self.eof, self.newlines = "", 0, False, 0

    def close(self) -> None:
        self.fh.close()

    def _more(self) -> bool:
        if self.eof:
            return False
        # at least as much as is held: a value longer than a chunk is re-decoded a logarithmic
        # number of times, not once per chunk
        data = self.fh.read(max(self.CHUNK, len(self.buf) - self.pos))
        text = self.decoder.decode(data, final=not data)
        self.eof = not data
        self.newlines += text.count("\n")
        self.buf = self.buf[self.pos:] + text
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space, ``""`` at the end."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise ValueError(f"JSON document: {ch!r} expected")
        self.pos += 1

    def value(self):
        """The next JSON value. A value cut by the buffer's end is read again with more text, so
        the buffer grows to the largest single value, never to the document."""
        self.peek()
        while True:
            try:
                obj, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Cut by the buffer's end (an unterminated string, or an error at the very end):
                # read on; an error well inside the buffer is the document's own.
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 16
                if cut and self._more():
                    continue
                raise
            if (not self.eof and self.buf[self.pos] not in '"[{'  # a number (floats come back as str) or literal
                    and (end == len(self.buf) or self.buf[end] not in " \t\r\n,]}")):
                self._more()  # a number cut by the buffer's end ("25." of "25.5") goes on in the next chunk
                continue
            self.pos = end
            return obj

    def elements(self) -> Iterator:
        """The elements of the array that starts here, one by one."""
        if self._opens("[", "]"):
            return
        while True:
            yield self.value()
            if self._closes("]"):
                return

    def members(self) -> Iterator[tuple[str, bool]]:
        """The keys of the object that starts here, each followed by its value read by the caller:
        ``(key, value is an array)``."""
        if self._opens("{", "}"):
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise ValueError("JSON document: a key must be a string")
            self.expect(":")
            yield key, self.peek() == "["
            if self._closes("}"):
                return

    def _opens(self, start: str, close: str) -> bool:
        """Read the opening ``start`` of an array or object; ``True`` when it is empty (closed at once)."""
        self.expect(start)
        if self.peek() == close:
            self.pos += 1
            return True
        return False

    def _closes(self, close: str) -> bool:
        """After an element or member: ``True`` at ``close``, ``False`` after a comma."""
        ch = self.peek()
        self.pos += 1
        if ch == close:
            return True
        if ch != ",":
            raise ValueError(f"JSON document: ',' or {close!r} expected")
        return False

    def finish(self) -> int:
        """Check that nothing but white space follows; the document's physical lines."""
        if self.peek() != "":
            raise ValueError("JSON document: extra data after the top-level value")
        return self.newlines + 1


def _rows_list_key(path: Path, codec: str, bom: int) -> tuple[bool, tuple[str, int] | None]:
    """First pass over a document: ``(top level is an array, (key, occurrence) of the one member of
    a top-level object whose value is a non-empty array of objects — Navicat's RECORDS — or
    None)``. Nothing is kept."""
    stream = _Stream(path, codec, bom)
    try:
        if stream.peek() == "[":
            for _ in stream.elements():
                pass
            stream.finish()
            return True, None
        if stream.peek() != "{":
            stream.value()
            stream.finish()
            return False, None
        lists: dict[str, tuple[bool, int]] = {}  # key → (its last value is rows, which array it is)
        arrays: dict[str, int] = {}
        for key, is_array in stream.members():
            if is_array:
                arrays[key] = arrays.get(key, 0) + 1
                n = 0
                every = True
                for element in stream.elements():
                    n += 1
                    every = every and isinstance(element, dict)
                lists[key] = (bool(n) and every, arrays[key])
            else:
                stream.value()
                lists[key] = (False, 0)  # the last value of a key wins, as in json.loads
        stream.finish()
    finally:
        stream.close()
    keys = [(k, occ) for k, (ok, occ) in lists.items() if ok]
    return False, keys[0] if len(keys) == 1 else None


def parse_json_array(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of a JSON document: a top-level array of objects, or an object holding one array of
    objects (Navicat's ``{"RECORDS": [...]}``, whose key becomes the sheet); a lone object is one row.

    Read as a stream, one array element at a time (:class:`_Stream`): a first pass checks the
    whole document and finds the rows' array, the second yields them; a document that is not JSON
    raises ``ValueError`` before any row is yielded (the item is refused ``unreadable_item``).

    Locator: the element's 1-based index as ``line_number`` (a document has no row lines).
    """
    encoding, confidence, bom, detected = detect_encoding_verbose(path)
    stats.format, stats.encoding, stats.encoding_confidence = "json", encoding, confidence
    stats.encoding_detected = detected
    codec = encoding.replace("-sig", "")
    is_array, key = _rows_list_key(path, codec, bom)
    stream = _Stream(path, codec, bom)
    try:
        sheet = ""
        if is_array:
            objects: Iterator = stream.elements()
        elif key is not None:
            sheet = str(key[0])
            stats.sheets.append(sheet)
            objects = _member_elements(stream, *key)
        else:
            objects = iter([stream.value()])
        for index, obj in enumerate(objects, start=1):
            stats.rows_read += 1
            raw = json.dumps(obj, ensure_ascii=False, sort_keys=True)
            if not isinstance(obj, dict):
                stats.rows_quarantined += 1
                yield ParsedRow(sheet, index, None, raw, reason_code=JSON_NOT_OBJECT)
                continue
            stats.records += 1
            yield ParsedRow(sheet, index, None, raw, mapping=flatten(obj))
        for _ in objects:  # the rest of the document (after the rows' array), for the line count
            pass
        while stream._more():
            pass
        stats.physical_lines = stream.newlines + 1
    finally:
        stream.close()


def _member_elements(stream: _Stream, key: str, occurrence: int) -> Iterator:
    """The elements of the ``occurrence``-th array under ``key`` of the object that starts here
    (the last one: the value json.loads keeps); every other value is read and let go."""
    seen = 0
    for k, is_array in stream.members():
        if is_array:
            seen += k == key
            elements = stream.elements()
            if k == key and seen == occurrence:
                yield from elements
            else:
                for _ in elements:
                    pass
        else:
            stream.value()
