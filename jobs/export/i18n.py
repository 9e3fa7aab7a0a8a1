"""The words of a case file's pages and workbook, in Chinese (default) or English.

Every human-readable text of ``summary.html``, ``validation.html``, ``case_file.xlsx`` and the
reader's guide comes from one reviewed table, ``jobs/export/catalog.yaml``: one entry per key, each
with a ``zh-CN`` and an ``en`` text (a test checks that both are present for every key). Code holds
keys, never sentences. The legal terms follow the law's own wording (法释〔2017〕10号, DOMAIN.md §1).

``report.language`` in ``configs/pipeline.yaml`` (or ``CASEFILE_REPORT_LANGUAGE``) chooses the language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from jobs.common.errors import ConfigError

#: The languages a case file can be written in; the first is the default.
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    text = resources.files("jobs.export").joinpath("catalog.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ConfigError("jobs/export/catalog.yaml must be a mapping")
    return data


class Catalog:
    """The texts of one language.

    Args:
        language: one of :data:`LANGUAGES`.

    Raises:
        ConfigError: an unknown language.
    """

    def __init__(self, language: str = LANGUAGES[0]) -> None:
        if language not in LANGUAGES:
            raise ConfigError(f"report.language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.language = language

    def __call__(self, key: str, default: str | None = None, **values: Any) -> str:
        """The text of ``key`` with ``{name}`` placeholders filled from ``values``; ``default`` (or
        the key itself) when the catalog has no such key, so a new count-statement step or column
        shows under its own name rather than failing the export."""
        entry = _table().get(key)
        text = entry.get(self.language) if isinstance(entry, Mapping) else None
        if text is None:
            text = key if default is None else default
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """True when the catalog has ``key``."""
        return key in _table()

    def column(self, name: str) -> str:
        """The header of a table column: ``column.<name>``, else for a field's columns
        (``<field>_raw``, ``<field>``, ``<field>_status``, ``<field>_reason``, ``level_<field>``) the
        field's name and the kind of column, else the column name itself."""
        if self.has(f"column.{name}"):
            return self(f"column.{name}")
        if name.startswith("level_") and self.has(f"field.{name[6:]}"):
            return self("column.level_") + self(f"field.{name[6:]}")
        for suffix in ("_raw", "_status", "_reason", ""):
            base = name[: len(name) - len(suffix)] if suffix and name.endswith(suffix) else (name if not suffix else None)
            if base and self.has(f"field.{base}"):
                return self(f"field.{base}") + self(f"field_suffix.{suffix or 'value'}")
        return name


def all_keys() -> dict[str, dict[str, str]]:
    """The whole table (for the test that every key has every language)."""
    return dict(_table())
