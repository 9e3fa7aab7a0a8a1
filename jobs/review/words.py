"""The words of the review page and the review sheet, in Chinese (default) or English.

One catalog for every text a person reads: ``jobs/export/catalog.yaml`` (:mod:`jobs.export.i18n`),
where the review's own words are the ``review.*`` keys, a reviewer's decisions the ``decision.*``
keys (codes of :data:`jobs.review.decisions.DECISIONS`) and the comparison levels of a link's fields
the ``level.*`` keys (kinds of :data:`jobs.common.linkage.LEVEL_KINDS` and
:data:`jobs.common.linkage.IMPLICIT_LEVELS`). Field labels are the case file's own ``field.*`` entries,
so the page, the sheet and ``case_file.xlsx`` name a field alike (``name`` → 姓名).
``tests/unit/test_review_words.py`` checks every field, decision and level the code can emit against
those registries, in both languages.
"""

from __future__ import annotations

from typing import Any

from jobs.common.errors import ConfigError
from jobs.common.linkage import level_kind
from jobs.export.i18n import LANGUAGES, Catalog

__all__ = ["LANGUAGES", "Words"]


class Words:
    """The review's texts in one language.

    Args:
        language: one of :data:`jobs.export.i18n.LANGUAGES` (``zh-CN`` default, ``en``).

    Raises:
        ConfigError: an unknown language.
    """

    def __init__(self, language: str = LANGUAGES[0]) -> None:
        self._catalog = Catalog(language)
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``review.<key>`` with ``{name}`` placeholders filled from ``values``.

        Raises:
            ConfigError: the catalog has no ``review.<key>`` (a missing word is a bug, not a fallback).
        """
        if not self._catalog.has(f"review.{key}"):
            raise ConfigError(f"jobs/export/catalog.yaml has no review.{key}")
        return self._catalog(f"review.{key}", **values)

    def page(self) -> dict[str, str]:
        """Every ``review.*`` text without its prefix (placeholders unfilled), for the page template."""
        from jobs.export.i18n import all_keys

        return {k[len("review."):]: self._catalog(k) for k in all_keys() if k.startswith("review.")}

    def field(self, name: str) -> str:
        """The label of a canonical field (``field.<name>``: ``id_number`` → 身份证号); the name itself
        for a compared column that is no canonical field (a FEBRL column)."""
        return self._catalog(f"field.{name}", default=name)

    def decision(self, code: str) -> str:
        """The word of a decision code (``same`` → 同一人); ``""`` for no decision."""
        return self._catalog(f"decision.{code}", default=code) if code else ""

    def level(self, label: str) -> str:
        """The word of a comparison level label (``exact`` → 完全一致, ``levenshtein:3`` → 相差不超过 3 个字符);
        ``""`` for no label; the label itself for a kind the catalog does not know."""
        if not label:
            return ""
        kind, arg = level_kind(label)
        if not self._catalog.has(f"level.{kind}"):
            return label
        return self._catalog(f"level.{kind}", k=arg) if arg else self._catalog(f"level.{kind}")

    def why(self, code: str) -> str:
        """The word of a reason an item is in the queue (:data:`jobs.review.queue.WHY`: ``sample`` → 随机抽样)."""
        return self._catalog(f"review.why_{code}", default=code)

    def category(self, key: str) -> str:
        """The short name of a legal category (``category_short.tier_500`` → 五百条类)."""
        return self._catalog(f"category_short.{key}", default=key) if key else ""
