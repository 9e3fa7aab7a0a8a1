"""The storage interface every stage uses: :class:`Storage`, and the names of the stores.

Stores are ``evidence`` (originals, write-once), ``work`` (stage outputs) and ``casefiles``
(published bundles); keys are ``/``-separated and behave like paths in a folder tree
(``list``/``delete_prefix``/``move_prefix`` act on a key and everything below ``key/``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

STORES: tuple[str, ...] = ("evidence", "work", "casefiles")


class Storage(ABC):
    """The storage interface every stage uses."""

    @abstractmethod
    def spark_path(self, store: str, key: str) -> str:
        """A location Spark can read or write for ``key`` (a local path or an s3a:// URI)."""

    @abstractmethod
    def exists(self, store: str, key: str) -> bool:
        """Whether ``key`` is an object, or a prefix with objects below it."""

    @abstractmethod
    def read_bytes(self, store: str, key: str) -> bytes:
        """The bytes of a small object.

        Raises:
            FileNotFoundError: no such object.
        """

    @abstractmethod
    def write_bytes(self, store: str, key: str, data: bytes) -> None:
        """Write an object atomically (readers see the old or the new object, never a part)."""

    @abstractmethod
    def put_file(self, store: str, key: str, src: Path, *, write_once: bool = False) -> None:
        """Upload a file. ``write_once``: the object becomes read-only and may never be replaced.

        Raises:
            EvidenceIntegrityError: ``write_once`` and the object already exists.
        """

    @abstractmethod
    def get_file(self, store: str, key: str, dest: Path) -> None:
        """Download an object to ``dest`` (replaced atomically).

        Raises:
            FileNotFoundError: no such object.
            TransferIntegrityError: the downloaded bytes do not have the object's recorded hash.
        """

    @abstractmethod
    def list(self, store: str, prefix: str) -> list[str]:
        """Keys below ``prefix`` (recursive), sorted."""

    @abstractmethod
    def delete_prefix(self, store: str, prefix: str) -> None:
        """Delete the object ``prefix`` and every object below ``prefix/``."""

    @abstractmethod
    def move_prefix(self, store: str, src: str, dest: str) -> None:
        """Move every object below ``src`` to ``dest`` (``dest`` must not exist).

        Raises:
            ConfigError: ``dest`` already exists.
        """

    def close(self) -> None:  # noqa: B027 - optional hook: only a staged store has something to release
        """Release local resources (scratch folders). The default does nothing."""
