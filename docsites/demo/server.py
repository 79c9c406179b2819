"""A tiny static HTTP server for the demo site (and for tests): loopback only, any free port.

    python -m docsites.demo.server --port 0 --port-file /tmp/port   # prints the URL it serves

Files without an extension are served as HTML, like the article URLs of 范文 sites.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

SITE_DIR = os.path.join(os.path.dirname(__file__), "site")


class SiteHandler(SimpleHTTPRequestHandler):
    def guess_type(self, path):
        if "." not in os.path.basename(path):
            return "text/html; charset=utf-8"
        if path.endswith(".html"):
            return "text/html; charset=utf-8"
        return super().guess_type(path)

    def log_message(self, format, *args):  # quiet: tests and the demo print their own summary
        pass


def make_server(directory: str = SITE_DIR, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = functools.partial(SiteHandler, directory=directory)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(directory: str = SITE_DIR) -> tuple[ThreadingHTTPServer, str]:
    """Start a server on a free loopback port in a daemon thread; returns (server, base URL)."""
    server = make_server(directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", default=SITE_DIR)
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    args = parser.parse_args(argv)
    server = make_server(args.dir, args.port)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(port))
    print(f"serving {args.dir} at http://127.0.0.1:{port}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
