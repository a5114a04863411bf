"""A local HTTP server on 127.0.0.1 that misbehaves on purpose (for the download fault tests).

Each route serves fixed bytes and may announce a wrong ``Content-Length``, cut the
connection after some bytes, answer with an error status for its first requests, omit the
length, or dribble the body slowly. The server runs in a thread for the length of one
``with`` block and refuses more than ``max_requests`` requests (so a retry loop cannot spin).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Route:
    """What one path serves. ``cut_at``: bytes sent before the connection drops (None: all)."""

    body: bytes
    length: int | None = -1  # -1: the true length; None: no Content-Length header
    cut_at: int | None = None
    fail_first: int = 0  # answer 500 to the first N requests
    cut_first: int | None = None  # cut only the first N requests (then serve in full)
    delay_s: float = 0.0  # pause halfway through the body
    hits: int = 0


@dataclasses.dataclass
class FaultServer:
    url: str
    routes: dict[str, Route]
    log: list[str]

    def add(self, path: str, body: bytes, **behaviour) -> str:
        """Serve ``body`` at ``/path`` with the given misbehaviour; return its URL."""
        self.routes["/" + path] = Route(body, **behaviour)
        return f"{self.url}/{path}"


@contextmanager
def fault_server(max_requests: int = 200) -> Iterator[FaultServer]:
    routes: dict[str, Route] = {}
    log: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                log.append(self.path)
                route = routes.get(self.path)
                count = len(log)
                if route is not None:
                    route.hits += 1
            if route is None or count > max_requests:
                self.send_error(404 if route is None else 429)
                return
            if route.hits <= route.fail_first:
                self.send_error(500, "injected failure")
                return
            self.send_response(200)
            length = len(route.body) if route.length == -1 else route.length
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            cut = route.cut_at if route.cut_first is None or route.hits <= route.cut_first else None
            body = route.body if cut is None else route.body[:cut]
            half = len(body) // 2
            try:
                self.wfile.write(body[:half])
                self.wfile.flush()
                time.sleep(route.delay_s)
                self.wfile.write(body[half:])
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield FaultServer(f"http://127.0.0.1:{httpd.server_address[1]}", routes, log)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_bytes(members: dict[str, bytes], compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], links: dict[str, tuple[str, bytes]] | None = None) -> bytes:
    """A tar.gz of ``members``; ``links`` maps a member name to (kind, target): kind 'sym' or 'hard'."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
        for name, (kind, target) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
            info.linkname = target.decode()
            bundle.addfile(info)
    return buffer.getvalue()


def zip_symlink_bytes(name: str, target: str) -> bytes:
    """A zip whose member ``name`` is a Unix symlink to ``target``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        info = zipfile.ZipInfo(name)
        info.external_attr = 0o120777 << 16
        bundle.writestr(info, target)
    return buffer.getvalue()
