"""Helpers of the integration tier: an S3-compatible server on loopback (moto's server, in its own
process, so that the client's memory can be measured apart from the server's) and a TCP proxy that
misbehaves on purpose (drops a connection mid-transfer, answers 503, flips a byte)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

#: Fake credentials of the throw-away test server (moto accepts any); not secrets.
TEST_ACCESS_KEY = "casefile-test"
TEST_SECRET_KEY = "casefile-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class S3Server:
    """moto's S3-compatible server in a child process on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def env(self) -> dict[str, str]:
        """Environment that makes casefile use this server (``CASEFILE_STORAGE=minio``)."""
        return {"CASEFILE_STORAGE": "minio", "CASEFILE_MINIO_ENDPOINT": self.endpoint, "CASEFILE_MINIO_SECURE": "false",
                "MINIO_ACCESS_KEY": TEST_ACCESS_KEY, "MINIO_SECRET_KEY": TEST_SECRET_KEY}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


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

