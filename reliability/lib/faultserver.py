"""An HTTP/1.1 server on 127.0.0.1 that serves a folder and misbehaves on
purpose, one path at a time, the way failing links, proxies and servers do.

    server = FaultServer(root, uploads)        # starts at once
    server.set("/index.mrci", "status", 503, 120)
    server.set("/mm-main-1-2.delta.mrcb", "reset_after", 1000)
    ...
    server.stop()

Every answer says `Connection: close`. Files are read from disk at each
request, so a test changes what is served by writing the file. PUT stores
the body under `uploads` (the path less its first folder) and answers 201.

Behaviours (the arguments after the name):

    normal                200, or 206 for `Range: bytes=N-`, 416 past the end
    reset                 the connection is reset before any answer
    reset_after N         the normal answer's headers and N body bytes, then a reset
    stall N               headers and N body bytes, then nothing until the client leaves
    status CODE [SECS]    that status with a short body, `Retry-After: SECS` if given
    wrong_length EXTRA    Content-Length says EXTRA more bytes than are sent
    short_length LESS     Content-Length says LESS fewer bytes; that many are sent
    ignore_range          always 200 with the whole file
    store_then_reset      (PUT) the body is stored, then the connection reset
"""

import email.utils
import hashlib
import os
import select
import socket
import socketserver
import struct
import threading
import time
from pathlib import Path


class FaultServer:
    def __init__(self, root, uploads=None, date_offset=0.0):
        self.root = Path(root)
        self.uploads = Path(uploads) if uploads else None
        self.date_offset = date_offset
        self.behaviours = {}
        self.prefixes = {}
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                owner.handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set(self, path, name="normal", *args):
        with self.lock:
            self.behaviours[path] = (name,) + args

    def set_prefix(self, prefix, name="normal", *args):
        """A behaviour for every path that starts with `prefix`, such as
        uploads whose names are random batch ids."""
        with self.lock:
            self.prefixes[prefix] = (name,) + args

    def reset_all(self):
        with self.lock:
            self.behaviours.clear()
            self.prefixes.clear()

    def behaviour(self, path):
        with self.lock:
            if path in self.behaviours:
                return self.behaviours[path]
            for prefix, behaviour in self.prefixes.items():
                if path.startswith(prefix):
                    return behaviour
        return ("normal",)

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def log(self, method=None, path=None):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r["method"] == method)
                    and (path is None or r["path"] == path)]

    # ------------------------------------------------------------ one request

    def handle(self, sock):
        sock.settimeout(30)
        try:
            head, rest = self.read_head(sock)
        except (OSError, ValueError):
            return
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
        path = target.split("?", 1)[0]
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        behaviour = self.behaviour(path)
        record = {"method": method, "path": path, "range": headers.get("range"),
                  "status": None, "bytes": 0, "behaviour": behaviour[0]}
        with self.lock:
            self.requests.append(record)
        try:
            if method == "PUT":
                self.put(sock, path, headers, rest, behaviour, record)
            else:
                self.get(sock, path, headers, behaviour, record, method == "HEAD")
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def read_head(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None, b""
            data += chunk
            if len(data) > 1 << 20:
                raise ValueError("header too large")
        head, _, rest = data.partition(b"\r\n\r\n")
        return head.decode("latin-1"), rest

    def date(self):
        return email.utils.formatdate(time.time() + self.date_offset, usegmt=True)

    @staticmethod
    def reset(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def send_head(self, sock, status, reason, headers):
        lines = [f"HTTP/1.1 {status} {reason}", f"Date: {self.date()}",
                 "Connection: close"] + [f"{k}: {v}" for k, v in headers]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def answer_status(self, sock, record, status, retry_after=None):
        body = f"<html><body>{status}</body></html>\n".encode()
        headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        reason = {404: "Not Found", 416: "Range Not Satisfiable", 500: "Internal Server Error",
                  503: "Service Unavailable"}.get(status, "Error")
        record["status"] = status
        self.send_head(sock, status, reason, headers)
        sock.sendall(body)
        record["bytes"] = len(body)

    def get(self, sock, path, headers, behaviour, record, head_only):
        name = behaviour[0]
        if name == "reset":
            record["status"] = "reset"
            self.reset(sock)
            return
        if name == "status":
            self.answer_status(sock, record, behaviour[1],
                               behaviour[2] if len(behaviour) > 2 else None)
            return
        file = (self.root / path.lstrip("/")).resolve()
        if not str(file).startswith(str(self.root.resolve())) or not file.is_file():
            self.answer_status(sock, record, 404)
            return
        data = file.read_bytes()
        size = len(data)
        start = 0
        status, reason = 200, "OK"
        extra = [("Content-Type", "application/octet-stream"),
                 ("Last-Modified", email.utils.formatdate(file.stat().st_mtime, usegmt=True))]
        wanted = headers.get("range", "")
        if wanted.startswith("bytes=") and name != "ignore_range":
            first = wanted[6:].split("-", 1)[0]
            if first.isdigit():
                start = int(first)
                if start >= size:
                    record["status"] = 416
                    body = b"<html><body>416 Requested Range Not Satisfiable</body></html>\n"
                    self.send_head(sock, 416, "Range Not Satisfiable", [
                        ("Content-Range", f"bytes */{size}"),
                        ("Content-Length", str(len(body)))])
                    sock.sendall(body)
                    return
                status, reason = 206, "Partial Content"
                extra.append(("Content-Range", f"bytes {start}-{size - 1}/{size}"))
        body = data[start:]
        length = len(body)
        if name == "wrong_length":
            length += behaviour[1]
        elif name == "short_length":
            length = max(0, length - behaviour[1])
            body = body[:length]
        record["status"] = status
        self.send_head(sock, status, reason, extra + [("Content-Length", str(length))])
        if head_only:
            return
        if name == "reset_after":
            self.send(sock, body[:behaviour[1]], record)
            self.reset(sock)
            return
        if name == "stall":
            self.send(sock, body[:behaviour[1]], record)
            self.hold(sock)
            return
        self.send(sock, body, record)

    def send(self, sock, body, record):
        view = memoryview(body)
        while view:
            sent = sock.send(view[:65536])
            record["bytes"] += sent
            view = view[sent:]

    def hold(self, sock):
        """Keeps the connection open, sending nothing, until the client
        closes it or the server stops."""
        deadline = time.monotonic() + 300
        while not self.stopping.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                try:
                    if not sock.recv(4096):
                        return
                except OSError:
                    return

    def put(self, sock, path, headers, rest, behaviour, record):
        name = behaviour[0]
        if name == "reset":
            record["status"] = "reset"
            self.reset(sock)
            return
        length = int(headers.get("content-length", "0") or 0)
        body = rest
        while len(body) < length:
            chunk = sock.recv(min(65536, length - len(body)))
            if not chunk:
                return
            body += chunk
        record["sha256"] = hashlib.sha256(body[:length]).hexdigest()
        if name == "status":
            self.answer_status(sock, record, behaviour[1],
                               behaviour[2] if len(behaviour) > 2 else None)
            return
        if self.uploads is None:
            self.answer_status(sock, record, 404)
            return
        relative = path.lstrip("/").split("/", 1)[-1]
        target = (self.uploads / relative).resolve()
        if not str(target).startswith(str(self.uploads.resolve())):
            self.answer_status(sock, record, 404)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(body[:length])
        os.replace(temporary, target)
        if name == "store_then_reset":
            record["status"] = "stored, reset"
            self.reset(sock)
            return
        record["status"] = 201
        self.send_head(sock, 201, "Created", [("Content-Length", "0")])
