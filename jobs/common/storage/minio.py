"""The S3 backend: every store is a bucket on an S3-compatible server with object lock (the
deployment's is SeaweedFS, docs/decisions/object-store.md), reached with the ``minio`` SDK.

Large objects go up and down as multipart streams (16 MiB parts: a 65 MiB original is 5 parts);
transient errors are retried with exponential back-off and jitter (tenacity, ``MinioStorage._retry``);
every transfer is checked against a hash (an upload against the server's ETag, a download against
the SHA-256 recorded in the object's metadata) and a mismatch raises
:class:`~jobs.common.errors.TransferIntegrityError` naming the object.

Credentials come only from the environment: ``MINIO_ACCESS_KEY``/``MINIO_SECRET_KEY``, or the
Airflow connection ``casefile_minio`` given as ``AIRFLOW_CONN_CASEFILE_MINIO`` (JSON or URI). They
are never logged, written to a file, or part of the configuration.

The ``minio`` SDK is imported inside the functions that use it: the DAG files import the storage
package at parse time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import io
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from jobs.common.config import Config
from jobs.common.errors import ConfigError, EvidenceIntegrityError, StorageError, TransferIntegrityError
from jobs.common.storage.base import STORES, Storage

if TYPE_CHECKING:  # the minio SDK is imported lazily: the DAG files import this module at parse time
    from minio import Minio

log = logging.getLogger("casefile")

CHUNK = 1 << 20
#: Multipart part size (bytes). S3 allows 5 MiB .. 5 GiB; 16 MiB keeps memory per transfer small.
DEFAULT_PART_SIZE = 16 << 20
#: S3 ``CopyObject`` limit; larger objects are moved with a multipart copy (``compose_object``).
MAX_COPY_SIZE = 5 << 30
#: User metadata key holding the SHA-256 of an object's bytes (set by every casefile upload).
SHA256_META = "x-amz-meta-casefile-sha256"
_ETAG = re.compile(r"^[0-9a-f]{32}(-\d+)?$")
T = TypeVar("T")


# --------------------------------------------------------------------------- hashing


def file_digests(path: Path, part_size: int) -> dict[str, Any]:
    """SHA-256, MD5 and the S3 ETag an upload of ``path`` in parts of ``part_size`` must get.

    The ETag of a single-part object is its MD5; of a multipart object, the MD5 of the
    concatenated binary MD5s of its parts, ``-`` and the part count (the S3 and MinIO rule).

    Returns:
        ``{"bytes": int, "sha256": hex, "md5": hex, "etag": str}``.
    """
    sha, md5 = hashlib.sha256(), hashlib.md5()
    part_md5s: list[bytes] = []
    size = 0
    with open(path, "rb") as fh:
        while True:
            part = hashlib.md5()
            got = 0
            while got < part_size and (chunk := fh.read(min(CHUNK, part_size - got))):
                got += len(chunk)
                part.update(chunk)
                sha.update(chunk)
                md5.update(chunk)
            if got == 0 and part_md5s:
                break
            part_md5s.append(part.digest())
            size += got
            if got < part_size:
                break
    if len(part_md5s) <= 1:
        etag = md5.hexdigest()
    else:
        etag = f"{hashlib.md5(b''.join(part_md5s)).hexdigest()}-{len(part_md5s)}"
    return {"bytes": size, "sha256": sha.hexdigest(), "md5": md5.hexdigest(), "etag": etag}


# --------------------------------------------------------------------------- credentials


def minio_credentials(env: dict[str, str] | None = None) -> dict[str, str]:
    """Credentials (and, from a connection, the endpoint) of the object store, from the environment.

    ``MINIO_ACCESS_KEY`` and ``MINIO_SECRET_KEY`` win; else the Airflow connection ``casefile_minio``
    as the environment variable ``AIRFLOW_CONN_CASEFILE_MINIO`` (Airflow's JSON form with ``login``,
    ``password``, ``host``, ``port``, ``schema`` = ``https`` for TLS, or its URI form).

    Returns:
        ``{"access_key", "secret_key"}`` plus ``endpoint`` and ``secure`` when a connection gave them.

    Raises:
        ConfigError: no credentials are set (the message names the variables, never a value).
    """
    env = dict(os.environ if env is None else env)
    if env.get("MINIO_ACCESS_KEY") and env.get("MINIO_SECRET_KEY"):
        return {"access_key": env["MINIO_ACCESS_KEY"], "secret_key": env["MINIO_SECRET_KEY"]}
    raw = env.get("AIRFLOW_CONN_CASEFILE_MINIO", "").strip()
    if raw:
        if raw.startswith("{"):
            conn = json.loads(raw)
            login, password, host, port = conn.get("login"), conn.get("password"), conn.get("host"), conn.get("port")
            extra = conn.get("extra") or {}
            if isinstance(extra, str):
                extra = json.loads(extra) if extra.strip() else {}
            scheme = conn.get("schema") or extra.get("scheme", "")
        else:
            parts = urlsplit(raw)
            login, password, host, port = unquote(parts.username or ""), unquote(parts.password or ""), parts.hostname, parts.port
            scheme = parts.path.lstrip("/")
        if login and password:
            out = {"access_key": login, "secret_key": password}
            if host:
                out["endpoint"] = f"{host}:{port}" if port else str(host)
                out["secure"] = "true" if str(scheme or "").lower() == "https" else "false"
            return out
    raise ConfigError("object-store credentials missing: set MINIO_ACCESS_KEY and MINIO_SECRET_KEY, "
                      "or the Airflow connection casefile_minio (AIRFLOW_CONN_CASEFILE_MINIO)")


# --------------------------------------------------------------------------- MinIO


def _is_transient(exc: BaseException) -> bool:
    """Connection resets, timeouts, truncated bodies and 5xx/SlowDown answers are worth retrying."""
    from minio.error import InvalidResponseError, S3Error, ServerError
    from urllib3.exceptions import HTTPError as Urllib3Error

    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, S3Error):
        return exc.code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized")
    if isinstance(exc, InvalidResponseError):
        return getattr(exc, "_code", 0) >= 500
    return isinstance(exc, (Urllib3Error, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout))


def _not_found(exc: BaseException) -> bool:
    from minio.error import S3Error

    return isinstance(exc, S3Error) and exc.code in ("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound")


class MinioStorage(Storage):
    """Stores are buckets on MinIO (or any S3-compatible server), through the ``minio`` SDK.

    Args:
        endpoint: ``host:port`` of the S3 API.
        access_key: access key (from the environment, see :func:`minio_credentials`).
        secret_key: secret key (idem).
        secure: use TLS.
        buckets: bucket name of each store (``evidence``, ``work``, ``casefiles``).
        part_size: multipart part size in bytes (5 MiB .. 5 GiB).
        retries: attempts of one operation before :class:`StorageError` is raised.
        backoff: first back-off delay in seconds; doubled after every failed attempt (max 30 s).
        retention_days: object-lock retention of evidence objects in days (0: none). Applied only
            when the evidence bucket has object lock enabled.
        retention_mode: ``COMPLIANCE`` (no one can delete or overwrite during retention) or
            ``GOVERNANCE``.
        region: the S3 region to sign for (``None``: ask the server).

    Raises:
        ConfigError: a bucket name is missing or the part size is out of range.
    """

    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, secure: bool = False,
                 buckets: dict[str, str] | None = None, part_size: int = DEFAULT_PART_SIZE, retries: int = 6,
                 backoff: float = 0.5, retention_days: int = 0, retention_mode: str = "COMPLIANCE",
                 region: str | None = None) -> None:
        import urllib3
        from minio import Minio

        self.buckets = dict(buckets or {s: s for s in STORES})
        missing = [s for s in STORES if not self.buckets.get(s)]
        if missing:
            raise ConfigError(f"bucket name missing for store(s) {missing}")
        if not (5 << 20) <= part_size <= (5 << 30):
            raise ConfigError(f"multipart part size must be 5 MiB .. 5 GiB, not {part_size}")
        self.endpoint = endpoint
        self.part_size = part_size
        self.retries = max(1, retries)
        self.backoff = backoff
        self.retention_days = retention_days
        self.retention_mode = retention_mode.upper()
        # The SDK's own urllib3 retry covers failed connects and 5xx answers to one request; _retry
        # (tenacity) covers what escapes it (a body cut off mid-stream, SlowDown, exhausted retries).
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=120), maxsize=8,
            retries=urllib3.Retry(total=3, connect=3, read=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                                  allowed_methods=None, raise_on_status=False),
        )
        self.client: Minio = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                                   region=region, http_client=http)
        self._lock_enabled: bool | None = None
        #: How the back-off waits (tests may count the waits instead of sleeping them).
        self._sleep: Callable[[float], None] = time.sleep

    # ---- plumbing

    def _bucket(self, store: str) -> str:
        if store not in STORES:
            raise ConfigError(f"unknown store {store!r}")
        return self.buckets[store]

    def _retry(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying transient failures (:func:`_is_transient`) with exponential back-off.

        The policy is tenacity's: at most :attr:`retries` attempts, waits of :attr:`backoff` × 2ⁿ
        seconds capped at 30 s, plus a random jitter of up to :attr:`backoff` / 4 (AWS's advice for SlowDown: back off
        exponentially, with jitter, so that many clients do not retry in step). A non-transient
        error (an access denial, a missing bucket) is raised at once.

        Raises:
            StorageError: still failing after :attr:`retries` attempts (names ``what``; the last
                error is its ``__cause__``).
        """
        import tenacity

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("storage: %s: %s, retry %d/%d in %.1fs", what, type(exc).__name__, state.attempt_number,
                        self.retries - 1, state.next_action.sleep if state.next_action else 0.0)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retries),
            wait=tenacity.wait_exponential(multiplier=self.backoff, min=self.backoff, max=30.0)
            + tenacity.wait_random(0, self.backoff / 4),
            retry=tenacity.retry_if_exception(_is_transient),
            before_sleep=before_sleep, reraise=False, sleep=self._sleep)
        try:
            return retrying(fn)
        except tenacity.RetryError as err:
            exc = err.last_attempt.exception()
            raise StorageError(f"{what}: failed after {self.retries} attempts ({type(exc).__name__})") from exc

    def _stat(self, store: str, key: str):
        """The object's stat, or ``None`` when there is no such object."""
        from minio.error import S3Error

        def op():
            try:
                return self.client.stat_object(self._bucket(store), key)
            except S3Error as exc:
                if _not_found(exc):
                    return None
                raise
        return self._retry(f"stat {store}/{key}", op)

    def _objects(self, store: str, prefix: str) -> list[tuple[str, int]]:
        """``(key, size)`` of every object below ``prefix/`` (or in the bucket when ``prefix`` is empty)."""
        below = f"{prefix.rstrip('/')}/" if prefix else ""
        return self._retry(f"list {store}/{below}", lambda: [
            (o.object_name, int(o.size or 0))
            for o in self.client.list_objects(self._bucket(store), prefix=below or None, recursive=True)
            if not o.is_dir
        ])

    def object_lock_enabled(self) -> bool:
        """Whether the evidence bucket has S3 object lock (so retention can be set on originals)."""
        if self._lock_enabled is None:
            from minio.error import S3Error

            try:
                config = self._retry("object-lock config of evidence", lambda: self.client.get_object_lock_config(self._bucket("evidence")))
                self._lock_enabled = config is not None
            except S3Error:
                self._lock_enabled = False
        return self._lock_enabled

    def ensure_buckets(self, *, object_lock: bool = True) -> dict[str, bool]:
        """Create missing buckets; the evidence bucket with object lock where the server supports it,
        and with a default retention rule (:meth:`ensure_default_retention`).

        Returns:
            ``{store: object lock enabled}``.
        """
        from minio.error import S3Error

        out = {}
        for store in STORES:
            bucket = self._bucket(store)
            lock = object_lock and store == "evidence"
            if not self._retry(f"bucket {bucket}", lambda b=bucket: self.client.bucket_exists(b)):
                try:
                    self._retry(f"make bucket {bucket}", lambda b=bucket, lk=lock: self.client.make_bucket(b, object_lock=lk))
                except S3Error as exc:
                    if not lock:
                        raise
                    log.warning("storage: server refused object lock on bucket %s (%s): creating it without", bucket, exc.code)
                    self._retry(f"make bucket {bucket}", lambda b=bucket: self.client.make_bucket(b))
            out[store] = False
        self._lock_enabled = None
        out["evidence"] = self.object_lock_enabled()
        if out["evidence"]:
            self.ensure_default_retention()
        return out

    def ensure_default_retention(self) -> tuple[str, int, str] | None:
        """Give the evidence bucket a default object-lock retention rule of :attr:`retention_mode`
        for :attr:`retention_days` days, when it has none (S3 PutObjectLockConfiguration).

        Our own upload sets the same retention on each original (:meth:`put_file`); the bucket rule
        covers what another S3 client puts there (an operator's upload, the READY markers), which
        would otherwise not be retained at all. A rule already on the bucket is left as it is (an
        operator's decision; a warning is logged when it differs): a bucket rule applies only to
        objects written after it, so changing it never shortens a retained original.

        Returns:
            the bucket's rule as ``(mode, duration, unit)`` after the call, or ``None`` (no object
            lock, or ``retention_days`` is 0 and the bucket has no rule).
        """
        from minio.objectlockconfig import COMPLIANCE, DAYS, GOVERNANCE, ObjectLockConfig

        if self.retention_days <= 0 or not self.object_lock_enabled():
            return None
        bucket = self._bucket("evidence")
        current = self._retry("object-lock config of evidence", lambda: self.client.get_object_lock_config(bucket))
        wanted = ObjectLockConfig(COMPLIANCE if self.retention_mode == "COMPLIANCE" else GOVERNANCE, self.retention_days, DAYS)
        if current.mode is None:
            self._retry("default retention of evidence", lambda: self.client.set_object_lock_config(bucket, wanted))
            current = self._retry("object-lock config of evidence", lambda: self.client.get_object_lock_config(bucket))
        elif (current.mode, current.duration, current.duration_unit) != (wanted.mode, wanted.duration, wanted.duration_unit):
            log.warning("storage: evidence bucket %s keeps its default retention %s %s %s (configured: %s %s days)",
                        bucket, current.mode, current.duration, current.duration_unit, wanted.mode, wanted.duration)
        return (current.mode, current.duration, current.duration_unit) if current.mode else None

    # ---- the interface

    def spark_path(self, store: str, key: str) -> str:
        """``s3a://<bucket>/<key>``: only usable by a Spark with the S3A connector (see StagedStorage)."""
        return f"s3a://{self._bucket(store)}/{key}"

    def exists(self, store: str, key: str) -> bool:
        if key and self._stat(store, key) is not None:
            return True
        below = f"{key.rstrip('/')}/" if key else None

        def op() -> bool:
            for obj in self.client.list_objects(self._bucket(store), prefix=below, recursive=True):
                if not obj.is_dir:
                    return True
            return False
        return self._retry(f"list {store}/{below or ''}", op)

    def read_bytes(self, store: str, key: str) -> bytes:
        buf = io.BytesIO()
        self._download(store, key, buf)
        return buf.getvalue()

    def write_bytes(self, store: str, key: str, data: bytes) -> None:
        sha = hashlib.sha256(data).hexdigest()
        md5 = hashlib.md5(data).hexdigest()

        def op():
            return self.client.put_object(self._bucket(store), key, io.BytesIO(data), len(data),
                                          metadata={SHA256_META: sha})
        result = self._retry(f"put {store}/{key}", op)
        self._check_etag(store, key, result.etag, md5, len(data))

    def put_file(self, store: str, key: str, src: Path, *, write_once: bool = False) -> None:
        from minio.retention import COMPLIANCE, GOVERNANCE, Retention

        src = Path(src)
        if write_once and self._stat(store, key) is not None:
            raise EvidenceIntegrityError(f"write-once object already exists: {store}/{key}")
        digest = file_digests(src, self.part_size)
        retention = None
        if write_once and self.retention_days > 0 and store == "evidence" and self.object_lock_enabled():
            until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=self.retention_days)
            retention = Retention(COMPLIANCE if self.retention_mode == "COMPLIANCE" else GOVERNANCE, until)

        def op():
            # One part in flight at a time: the SDK's parallel mode reads ahead without bound.
            return self.client.fput_object(self._bucket(store), key, str(src), metadata={SHA256_META: digest["sha256"]},
                                           part_size=self.part_size, num_parallel_uploads=1)
        result = self._retry(f"upload {store}/{key}", op)
        self._check_etag(store, key, result.etag, digest["etag"], digest["bytes"])
        if retention is not None:
            # Set right after the upload (PutObjectRetention carries its own Content-MD5, which the
            # SDK cannot add to the parts of a multipart upload). The bucket is versioned, so even in
            # that instant an overwrite could not replace this version. The bucket's default rule
            # (ensure_default_retention) may already have retained it from the server's clock: a
            # COMPLIANCE date cannot be moved earlier, so ours is set only when it is later by more
            # than clock skew, or when the version has no retention of that mode.
            bucket = self._bucket(store)
            have = self._retry(f"retention of {store}/{key}", lambda: self.client.get_object_retention(
                bucket, key, version_id=result.version_id))
            if (have is None or have.mode != retention.mode
                    or have.retain_until_date < retention.retain_until_date - dt.timedelta(minutes=10)):
                self._retry(f"retention {store}/{key}", lambda: self.client.set_object_retention(
                    bucket, key, retention, version_id=result.version_id))
        log.info("storage: uploaded %s/%s (%d bytes, sha256 %s)", store, key, digest["bytes"], digest["sha256"][:16])

    def _check_etag(self, store: str, key: str, etag: str | None, expected: str, size: int) -> None:
        """Compare the ETag the server computed with the one the bytes sent must give.

        Raises:
            TransferIntegrityError: they differ (the server stored other bytes than were sent).
        """
        etag = (etag or "").strip('"').lower()
        if _ETAG.match(etag):
            if etag != expected:
                raise TransferIntegrityError(f"upload of {store}/{key} is corrupt: server ETag {etag}, the bytes sent give {expected}")
            return
        # Encrypted objects have ETags that are not content hashes: check the size instead.
        st = self._stat(store, key)
        if st is None or int(st.size or 0) != size:
            raise TransferIntegrityError(f"upload of {store}/{key} is corrupt: server has {getattr(st, 'size', None)} bytes, {size} were sent")

    def _download(self, store: str, key: str, out) -> dict[str, Any]:
        """Stream an object into the binary file ``out``, resuming after a dropped connection, and
        verify the bytes against the object's recorded SHA-256 (or its single-part ETag).

        Raises:
            FileNotFoundError: no such object.
            TransferIntegrityError: the bytes received do not have the recorded hash.
        """
        st = self._stat(store, key)
        if st is None:
            raise FileNotFoundError(f"no such object: {store}/{key}")
        size = int(st.size or 0)
        etag = (st.etag or "").strip('"').lower()
        recorded = (st.metadata or {}).get(SHA256_META) if st.metadata is not None else None
        sha, md5 = hashlib.sha256(), hashlib.md5()
        state = {"done": 0}

        def op():
            if state["done"] >= size and size > 0:
                return
            headers = {"If-Match": f'"{etag}"'} if etag else None  # resume only the same object version
            resp = self.client.get_object(self._bucket(store), key, offset=state["done"], request_headers=headers)
            try:
                for chunk in resp.stream(CHUNK):
                    out.write(chunk)
                    sha.update(chunk)
                    md5.update(chunk)
                    state["done"] += len(chunk)
            finally:
                resp.close()
                resp.release_conn()
            if state["done"] < size:
                raise http.client.IncompleteRead(b"", size - state["done"])
        self._retry(f"download {store}/{key}", op)
        got = sha.hexdigest()
        if state["done"] != size:
            raise TransferIntegrityError(f"download of {store}/{key} is corrupt: {state['done']} bytes received, the object has {size}")
        if recorded:
            if got != recorded.lower():
                raise TransferIntegrityError(f"download of {store}/{key} is corrupt: sha256 {got}, recorded {recorded}")
        elif _ETAG.match(etag) and "-" not in etag and md5.hexdigest() != etag:
            raise TransferIntegrityError(f"download of {store}/{key} is corrupt: md5 {md5.hexdigest()}, ETag {etag}")
        return {"bytes": size, "sha256": got}

    def get_file(self, store: str, key: str, dest: Path) -> None:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                self._download(store, key, fh)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def list(self, store: str, prefix: str) -> list[str]:
        keys = [k for k, _ in self._objects(store, prefix)]
        if not keys and prefix and self._stat(store, prefix) is not None:
            return [prefix]
        return sorted(keys)

    def delete_prefix(self, store: str, prefix: str) -> None:
        from minio.deleteobjects import DeleteObject

        keys = self.list(store, prefix)
        if not keys:
            return

        def op():
            errors = list(self.client.remove_objects(self._bucket(store), [DeleteObject(k) for k in keys]))
            if errors:
                raise StorageError(f"delete {store}/{prefix}: {len(errors)} objects not deleted (first: {errors[0].name}: {errors[0].code})")
        self._retry(f"delete {store}/{prefix}", op)

    def move_prefix(self, store: str, src: str, dest: str) -> None:
        from minio.commonconfig import ComposeSource, CopySource

        if self.exists(store, dest):
            raise ConfigError(f"destination exists: {store}/{dest}")
        objects = self._objects(store, src)
        if not objects and self._stat(store, src) is not None:
            objects = [(src, int(self._stat(store, src).size or 0))]
        bucket = self._bucket(store)
        for key, size in objects:
            target = dest + key[len(src):]
            if size <= MAX_COPY_SIZE:
                self._retry(f"copy {store}/{key}", lambda k=key, t=target: self.client.copy_object(bucket, t, CopySource(bucket, k)))
            else:
                self._retry(f"copy {store}/{key}", lambda k=key, t=target: self.client.compose_object(bucket, t, [ComposeSource(bucket, k)]))
        self.delete_prefix(store, src)


def minio_storage(config: Config) -> MinioStorage:
    """The :class:`MinioStorage` the configuration and environment describe.

    Environment: ``MINIO_ACCESS_KEY``/``MINIO_SECRET_KEY`` (or ``AIRFLOW_CONN_CASEFILE_MINIO``),
    ``CASEFILE_MINIO_ENDPOINT`` (else the connection's host), ``CASEFILE_MINIO_SECURE``,
    ``CASEFILE_MINIO_PART_SIZE_MB`` (default 16), ``CASEFILE_EVIDENCE_RETENTION_DAYS`` (default
    3650; 0 = none), ``CASEFILE_EVIDENCE_RETENTION_MODE`` (COMPLIANCE or GOVERNANCE).

    Raises:
        ConfigError: no endpoint or no credentials.
    """
    creds = minio_credentials()
    endpoint = config.minio_endpoint or creds.get("endpoint")
    if not endpoint:
        raise ConfigError("CASEFILE_STORAGE=minio needs CASEFILE_MINIO_ENDPOINT (host:port) or a host in the casefile_minio connection")
    secure = config.minio_secure or creds.get("secure") == "true"
    env = os.environ
    try:
        part = int(env.get("CASEFILE_MINIO_PART_SIZE_MB", "16")) << 20
        days = int(env.get("CASEFILE_EVIDENCE_RETENTION_DAYS", "3650"))
    except ValueError as exc:
        raise ConfigError("CASEFILE_MINIO_PART_SIZE_MB and CASEFILE_EVIDENCE_RETENTION_DAYS must be integers") from exc
    return MinioStorage(endpoint, creds["access_key"], creds["secret_key"], secure=secure, buckets=config.buckets,
                        part_size=part, retention_days=days,
                        retention_mode=env.get("CASEFILE_EVIDENCE_RETENTION_MODE", "COMPLIANCE"))
