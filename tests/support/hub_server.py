"""An in-process server speaking the Hugging Face hub's file-download protocol, on 127.0.0.1.

Written from the hub's documented behaviour (and huggingface_hub's client code that reads it):
`GET /api/models/{repo}[/revision/{rev}]` lists the files (`siblings`; with `?blobs=true`, what
`HfApi.model_info(files_metadata=True)` asks, each with `size`, `blobId` and, for LFS files,
`lfs: {sha256, size, pointerSize}`), `HEAD/GET /{repo}/resolve/{revision}/{file}` with
`X-Repo-Commit`, `ETag`/`X-Linked-Etag` (the sha256 of LFS files), `X-Linked-Size`, byte-range
requests for resuming, and errors as 401/404 with an `X-Error-Code` header
(`GatedRepo`, `RepoNotFound`, `EntryNotFound`).

A file may be served as an LFS file (the default: ETag and X-Linked-Etag are its sha256), as a
plain git file (a strong ETag that is not a sha256, no X-Linked-Etag) or behind a weak ETag
(`W/"..."`); its content may change between attempts (`changes_after_cut`). `Range` with
`If-Range` is answered as RFC 9110 says: 206 only when the If-Range entity tag is strong and
equals the current one, else 200 with the whole file (`ignore_if_range` plays an old server that
honours the range alone).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Hub:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    cut_after: int | None = None  # close the connection after this many bytes, once
    pace: float = 0.0  # seconds between 64 KiB pieces of a file (a slow link)
    etag_override: dict[tuple[str, str], str] = field(default_factory=dict)
    size_override: dict[tuple[str, str], int] = field(default_factory=dict)
    etag_style: dict[tuple[str, str], str] = field(default_factory=dict)  # "lfs" (default), "git", "weak"
    changes_after_cut: dict[tuple[str, str], bytes] = field(default_factory=dict)  # new content, once cut
    ignore_if_range: bool = False
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range)
    if_ranges: list[str | None] = field(default_factory=list)  # the If-Range of each ranged GET
    url: str = ""

    def add(self, repo: str, filename: str, data: bytes) -> str:
        self.files[(repo, filename)] = data
        return hashlib.sha256(data).hexdigest()


def _etags(hub: Hub, key: tuple[str, str], data: bytes) -> tuple[str, str | None]:
    """The file's ETag header and X-Linked-Etag (None for a file that is not in LFS)."""
    style = hub.etag_style.get(key, "lfs")
    if style == "lfs":
        etag = hub.etag_override.get(key, hashlib.sha256(data).hexdigest())
        return f'"{etag}"', f'"{etag}"'
    oid = _tree_entry("", data)["oid"]
    return (f'W/"{oid}"' if style == "weak" else f'"{oid}"'), None


def _range_applies(hub: Hub, if_range: str | None, etag: str) -> bool:
    """RFC 9110 13.1.5: a range is served only if If-Range is absent or a strong match."""
    if if_range is None or hub.ignore_if_range:
        return True
    return not if_range.startswith("W/") and not etag.startswith("W/") and if_range == etag


def _tree_entry(name: str, data: bytes) -> dict[str, object]:
    """A file as the hub's tree endpoint lists it (oid: git's blob hash)."""
    oid = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's id, not security
    return {"type": "file", "oid": oid, "size": len(data), "path": name}


def _sibling(hub: Hub, key: tuple[str, str], blobs: bool) -> dict[str, object]:
    """A file as `/api/models/{repo}` lists it; with `blobs=true`, its size, git blob id and
    (LFS files only) the LFS sha256 and size, as huggingface_hub's RepoSibling reads them."""
    entry: dict[str, object] = {"rfilename": key[1]}
    if not blobs:
        return entry
    data = hub.files[key]
    size = hub.size_override.get(key, len(data))
    _, linked = _etags(hub, key, data)
    if linked is None:  # a plain git file: its size, no LFS metadata
        return {**entry, "size": size, "blobId": _tree_entry("", data)["oid"]}
    pointer = 134  # an LFS pointer file's size: what the git blob holds instead of the content
    lfs = {"sha256": linked.strip('"'), "size": size, "pointerSize": pointer}
    return {**entry, "size": size, "blobId": hashlib.sha1(linked.encode()).hexdigest(), "lfs": lfs}  # noqa: S324


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _api(self, path: str) -> bool:
            """The model-info and file-tree endpoints (what snapshot downloads ask first)."""
            info = re.match(r"^/api/models/([^/]+/[^/]+)(?:/revision/[^/]+)?$", path)
            tree = re.match(r"^/api/models/([^/]+/[^/]+)/tree/[^/]+(?:/.*)?$", path)
            if not info and not tree:
                return False
            repo = (info or tree).group(1)  # type: ignore[union-attr]
            names = sorted(f for r, f in hub.files if r == repo)
            if not names:
                self._error(404, "RepoNotFound", "Repository not found")
                return True
            if info:
                blobs = "blobs=true" in self.path.partition("?")[2].lower()
                siblings = [_sibling(hub, (repo, n), blobs) for n in names]
                body: object = {"id": repo, "modelId": repo, "sha": COMMIT, "private": False, "siblings": siblings}
            else:
                body = [_tree_entry(n, hub.files[(repo, n)]) for n in names]
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            return True

        def _serve(self) -> None:
            hub.requests.append((self.command, self.path, self.headers.get("Range")))
            if self._api(self.path.split("?")[0]):
                return None
            match = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", self.path.split("?")[0])
            if not match:
                return self._error(404, "RepoNotFound", "not found")
            repo, _rev, filename = match.groups()
            if repo in hub.gated and "authorization" not in {k.lower() for k in self.headers}:
                return self._error(401, "GatedRepo", f"Access to model {repo} is restricted")
            if not any(r == repo for r, _ in hub.files):
                return self._error(404, "RepoNotFound", "Repository not found")
            data = hub.files.get((repo, filename))
            if data is None:
                return self._error(404, "EntryNotFound", "Entry not found")
            etag, linked = _etags(hub, (repo, filename), data)
            start = 0
            ranged = self.headers.get("Range")
            if ranged and self.command == "GET":
                hub.if_ranges.append(self.headers.get("If-Range"))
            if ranged and not _range_applies(hub, self.headers.get("If-Range"), etag):
                ranged = None  # changed (or a weak validator): the whole file, 200
            if ranged:
                start = int(re.match(r"bytes=(\d+)-", ranged).group(1))  # type: ignore[union-attr]
            body = data[start:]
            self.send_response(206 if ranged else 200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", etag)
            if linked is not None:
                self.send_header("X-Linked-Etag", linked)
            if linked is not None:  # only LFS files carry their size in a header of its own
                self.send_header("X-Linked-Size", str(hub.size_override.get((repo, filename), len(data))))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            if ranged:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if self.command == "HEAD":
                return None
            if hub.cut_after is not None and len(body) > hub.cut_after:
                self.wfile.write(body[: hub.cut_after])
                self.wfile.flush()
                hub.cut_after = None
                if (repo, filename) in hub.changes_after_cut:  # the file is replaced upstream meanwhile
                    hub.files[(repo, filename)] = hub.changes_after_cut.pop((repo, filename))
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if hub.pace:
                for at in range(0, len(body), 64 * 1024):
                    self.wfile.write(body[at : at + 64 * 1024])
                    self.wfile.flush()
                    time.sleep(hub.pace)
                return None
            self.wfile.write(body)
            return None

        do_GET = _serve
        do_HEAD = _serve

    return Handler


@contextmanager
def running_hub() -> Iterator[Hub]:
    hub = Hub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # cut connections are on purpose
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the loop to look again: a short poll keeps each test's teardown short
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def hub_for_downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """A running hub that the Hugging Face source talks to (HF_ENDPOINT, no Xet, no token),
    serving files in 32 KiB blocks so progress and interruption have something to act on."""
    with running_hub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.setattr("chi_llm.adapters.models.hf_source.CHUNK", 32 * 1024)
        yield hub
