"""A loopback HTTP origin serving one generated file, for the download benchmark.

``python -m bench.fileserver PATH SIZE`` writes SIZE pseudo-random bytes to PATH (unless a file of
that size is already there), serves it as ``/file.bin`` on 127.0.0.1 with ``sendfile`` so the
server spends almost no CPU, prints ``PORT=<n>`` then ``ready``, and runs until SIGTERM.
The mock's media origin only serves what the mock generated, hence this helper.
"""

from __future__ import annotations

import http.server
import os
import random
import signal
import socketserver
import sys
import threading
from typing import Any

CHUNK = 1 << 20


def make_file(path: str, size: int) -> None:
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    rng = random.Random(size)
    with open(path + ".part", "wb") as out:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            out.write(rng.randbytes(n))
            left -= n
    os.replace(path + ".part", path)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    path_on_disk = ""

    def do_GET(self) -> None:
        if self.path != "/file.bin":
            self.send_error(404)
            return
        size = os.path.getsize(self.path_on_disk)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(self.path_on_disk, "rb") as f:
            self.connection.sendfile(f)

    def log_message(self, format: str, *args: Any) -> None:
        return


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str]) -> int:
    path, size = argv[1], int(argv[2])
    make_file(path, size)
    Handler.path_on_disk = path
    server = Server(("127.0.0.1", 0), Handler)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    print(f"PORT={server.server_address[1]}", flush=True)
    print("ready", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
