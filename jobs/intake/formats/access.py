"""Microsoft Access databases (``.mdb`` Jet 3/4, ``.accdb`` ACE), read by mdbtools' command-line
tools (Debian ``mdbtools``: ``mdb-tables``, ``mdb-count``, ``mdb-export``); every user table, the
locator is the table name and the row's 1-based position in mdb-export's order (the table's data
pages in file order).

There is no Python Access reader that is kept up (``access-parser`` 0.0.6 is a one-person parser
without releases since 2025-01), so the tools do the reading, and since the file is hostile
(DOMAIN.md §5) each runs as a child process that can do little harm:

- ``RLIMIT_AS`` (address space), ``RLIMIT_CPU``, ``RLIMIT_FSIZE = 0`` (it cannot write a file),
  ``RLIMIT_NOFILE``, ``RLIMIT_CORE = 0``, an empty environment but ``LC_ALL=C.UTF-8`` and
  ``MDB_JET3_CHARSET``, standard input closed, a wall-clock timeout after which it is killed, and
  at most so many bytes of output (the address space, CPU, timeout and output limits are
  ``intake.access`` of configs/pipeline.yaml, :class:`jobs.common.config.AccessLimits`);
- its standard error is discarded (it may quote bytes of the file, which must not reach a log);
- a tool that fails, is killed or times out refuses the item ``unreadable_item`` with the tool and
  what happened (``mdb-export: timeout``); the tools missing refuse it ``reader_unavailable``
  (``refusal_detail = "mdbtools"``), never a silent skip.

Cells as text (DOMAIN.md §5): mdb-export's CSV (text quoted, quotes doubled), read with Python's
``csv``; TEXT/MEMO as stored (Jet 4 and ACE store Unicode; a Jet 3 / Access 97 file is in the
writer's Windows code page, which its database definition page declares: bytes 0x18–0x95 of page 0
are RC4-masked with the key ``0x6b39dac7`` and hold the code page as a 16-bit little-endian number
at offset 0x3C (the layout mdbtools' HACKING file and other Jet readers document); it is passed to
mdbtools as ``MDB_JET3_CHARSET``; none declared or one Python has no codec for: ``CP936``, GBK,
Chinese Windows); numbers as mdbtools prints them; dates as ``%Y-%m-%d`` and
date-times as ``%Y-%m-%d %H:%M:%S``; binary (OLE) fields as hex. An empty field is missing (mdb-export
writes NULL and an empty text alike).

Ledger: one header line per table plus one line per row, ``physical_lines = rows_read +
header_rows + blank_lines``; each table's rows are checked against ``mdb-count``.

No writer of Access files exists in the registries this project uses (no Jackcess in Debian, no
Python writer on PyPI); the tests' databases come from the generator's own Jet 4 writer
(:mod:`jobs.synth.items.access`), itself checked with mdbtools and ``access-parser``.
"""

from __future__ import annotations

import csv
import functools
import io
import resource
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from jobs.common.config import AccessLimits
from jobs.intake.formats.rows import DEFAULT_OPTIONS, ItemStats, ParsedRow, ParseOptions
from jobs.intake.formats.tabular import LogicalRow, tabular_rows
from jobs.intake.refusals import READER_UNAVAILABLE, UNREADABLE_ITEM, ItemRefused

#: Bytes 4–19 of an Access file: Jet (``.mdb``) or ACE (``.accdb``) (the Jet file header).
ACCESS_MAGICS = frozenset({b"Standard Jet DB\x00", b"Standard ACE DB\x00"})
TOOLS = ("mdb-tables", "mdb-count", "mdb-export")
#: Jet 3 text of a file that declares no code page (Chinese Windows).
JET3_CHARSET = "CP936"
_JET_MASK_KEY = (0x6B39DAC7).to_bytes(4, "little")
_JET3_MASKED = (0x18, 126)  # start and length of the masked part of a Jet 3 database definition page
_CODE_PAGE_OFFSET = 0x3C


def jet3_code_page(head: bytes) -> tuple[str, bool] | None:
    """``(iconv charset, declared)`` of a Jet 3 file from its first bytes (at least 0x96), or
    ``None`` for Jet 4 / ACE (version byte at 0x14 not 0: text stored as Unicode)."""
    import codecs

    from Cryptodome.Cipher import ARC4

    if len(head) < 0x14 + 1 or head[0x14] != 0:
        return None
    start, length = _JET3_MASKED
    page = head[:start] + ARC4.new(_JET_MASK_KEY).decrypt(head[start:start + length])
    code = int.from_bytes(page[_CODE_PAGE_OFFSET:_CODE_PAGE_OFFSET + 2], "little") if len(page) >= 0x3E else 0
    try:
        codecs.lookup(f"cp{code}")
    except LookupError:
        return JET3_CHARSET, False
    return (f"CP{code}", True) if code else (JET3_CHARSET, False)


def _limit_child(limits: AccessLimits) -> None:  # pragma: no cover - runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _Capped(io.RawIOBase):
    """A pipe read through a byte count: more than ``cap`` bytes refuse the item."""

    def __init__(self, pipe, cap: int, tool: str) -> None:
        self._pipe, self._left, self._tool = pipe, cap, tool

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._pipe.read1(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise ItemRefused(UNREADABLE_ITEM, f"{self._tool}: output too large")
        buffer[:len(data)] = data
        return len(data)


def _run(args: list[str], limits: AccessLimits, charset: str = JET3_CHARSET) -> Iterator[str]:
    """The tool's standard output, line by line (UTF-8, newlines kept), under ``limits``.

    Raises:
        ItemRefused: ``unreadable_item`` when the tool exits non-zero, is killed, times out or
            prints more than ``limits.max_output_bytes``.
    """
    tool = args[0]
    env = {"LC_ALL": "C.UTF-8", "MDB_JET3_CHARSET": charset}
    proc = subprocess.Popen([shutil.which(tool) or tool, *args[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, preexec_fn=functools.partial(_limit_child, limits),
                            close_fds=True)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(limits.timeout_seconds, kill)
    timer.start()
    try:
        assert proc.stdout is not None
        counted = io.BufferedReader(_Capped(proc.stdout, limits.max_output_bytes, tool))
        # newline="" keeps a CR or LF inside a quoted field for the csv reader.
        yield from io.TextIOWrapper(counted, encoding="utf-8", errors="strict", newline="")
        code = proc.wait()
    except UnicodeDecodeError:
        proc.kill()
        proc.wait()
        raise ItemRefused(UNREADABLE_ITEM, f"{tool}: output not UTF-8") from None
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if timed_out.is_set():
        raise ItemRefused(UNREADABLE_ITEM, f"{tool}: timeout")
    if code < 0:
        raise ItemRefused(UNREADABLE_ITEM, f"{tool}: signal {-code}")
    if code:
        raise ItemRefused(UNREADABLE_ITEM, f"{tool}: exit {code}")


def access_tables(path: Path, limits: AccessLimits = DEFAULT_OPTIONS.access, charset: str = JET3_CHARSET) -> list[str]:
    """The user tables of the database, in mdb-tables' order (its catalogue's order)."""
    return [line.rstrip("\r\n") for line in _run(["mdb-tables", "-1", str(path)], limits, charset) if line.strip()]


def parse_access(path: Path, stats: ItemStats, options: ParseOptions = DEFAULT_OPTIONS) -> Iterator[ParsedRow]:
    """Rows of every user table of an Access database (see the module docstring), each tool run
    under ``options.access``.

    Raises:
        ItemRefused: ``reader_unavailable`` (mdbtools not installed), ``unreadable_item`` (a tool
            failed, was killed, timed out or printed too much; a table whose rows differ from ``mdb-count``).
    """
    with open(path, "rb") as fh:
        jet3 = jet3_code_page(fh.read(0x100))
    charset = jet3[0] if jet3 else JET3_CHARSET
    stats.format = "access"
    if jet3 is None:
        stats.encoding, stats.encoding_confidence, stats.encoding_detected = "utf-16-le", 1.0, "Jet 4 / ACE: Unicode"
    else:
        stats.encoding, stats.encoding_confidence = charset.lower(), 1.0 if jet3[1] else 0.0
        stats.encoding_detected = "Jet 3: declared" if jet3[1] else f"Jet 3: undeclared, {JET3_CHARSET} assumed"
    if any(shutil.which(t) is None for t in TOOLS):
        raise ItemRefused(READER_UNAVAILABLE, "mdbtools")
    for name in access_tables(path, options.access, charset):
        expected_text = "".join(_run(["mdb-count", str(path), name], options.access, charset)).strip()
        if not expected_text.isdigit():
            raise ItemRefused(UNREADABLE_ITEM, "mdb-count: not a number")
        expected = int(expected_text)
        stats.sheets.append(name)
        lines = _run(["mdb-export", "-b", "hex", "-D", "%Y-%m-%d", "-T", "%Y-%m-%d %H:%M:%S", str(path), name], options.access,
                     charset)

        def events(lines=lines) -> Iterator[LogicalRow]:
            reader = csv.reader(lines, strict=True)
            header = next(reader, None)
            if header is None:
                raise ItemRefused(UNREADABLE_ITEM, "mdb-export: no header")
            stats.physical_lines += 1
            yield LogicalRow(0, None, 1, "\t".join(header), list(header))
            for number, values in enumerate(reader, start=1):
                stats.physical_lines += 1
                cells = [v if v != "" else None for v in values]
                yield LogicalRow(number, None, 1, "\t".join(values), cells)

        before = stats.rows_read + stats.blank_lines
        yield from tabular_rows(events(), stats, name, options, exact_width=False)
        if stats.rows_read + stats.blank_lines - before != expected:
            raise ItemRefused(UNREADABLE_ITEM, "rows read differ from mdb-count")


__all__ = ["ACCESS_MAGICS", "access_tables", "jet3_code_page", "parse_access"]
