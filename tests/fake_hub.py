"""A Hugging Face hub on 127.0.0.1 for tests: the routes huggingface_hub calls to find and fetch a model.

Why hand-written: the tests run without network and no library serves the
hub's HTTP API locally. This serves exactly what `HfApi.model_info`,
`snapshot_download` (huggingface_hub 2.x) and the pull-request lookup of
pipeline/translate/model.py ask for, with the headers huggingface_hub checks:

    GET  /api/models/{repo}/revision/{rev}  model_info: id, sha, siblings
    GET  /api/models/{repo}/tree/{rev}      list_repo_tree (snapshot_download lists the files)
    GET  /api/models/{repo}/commits/{rev}   list_repo_commits, newest first
    GET  /api/models/{repo}/discussions     get_repo_discussions (type, status and author filters)
    HEAD /{repo}/resolve/{rev}/{file}       X-Repo-Commit, ETag, Content-Length; an LFS file is a 302 to
                                            another host ("the CDN") with X-Linked-Etag and X-Linked-Size
    GET  /{repo}/resolve/{rev}/{file}       the bytes of a git file
    GET  /lfs/{sha256}                      the bytes of an LFS file, served as http://localhost:PORT

`rev` is a branch, a commit or a pull-request ref such as refs%2Fpr%2F1, as
huggingface_hub quotes it. Errors carry `X-Error-Code` (RepoNotFound,
RevisionNotFound, EntryNotFound) as the hub's do. `FakeHub.requests` logs
every (method, path) so tests can assert what was fetched, and
`FakeHub.stall(fragment)` makes matching requests hang: a hub that stops
answering half-way; `FakeHub.reset_once(fragment)` drops the first matching
connection unanswered (a reset, as a broken read sees it).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

CONVERSION_TITLE = "Adding `safetensors` variant of this model"
LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".ot", ".msgpack")
DATE = "2023-03-17T00:00:00.000Z"


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(name: str) -> bool:
    return name.endswith(LFS_SUFFIXES)


@dataclass
class Commit:
    sha: str
    parent: str | None
    title: str
    author: str
    files: dict[str, bytes]


@dataclass
class PullRequest:
    num: int
    title: str
    author: str
    status: str  # open | closed | merged
    head: str


@dataclass
class FakeRepo:
    """A model repository: commits (each a full file tree), refs and pull requests."""

    repo_id: str
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "main", "refs/pr/1" -> commit sha
    pulls: list[PullRequest] = field(default_factory=list)

    def commit(
        self, files: dict[str, bytes], title: str, author: str = "system", *, remove: tuple[str, ...] = (), sha: str | None = None
    ) -> str:
        """A new commit on main: the current tree plus `files`, minus `remove`."""
        return self._commit(self.refs.get("main"), files, title, author, remove, sha, branch="main")

    def pull_request(
        self,
        files: dict[str, bytes],
        base: str,
        author: str,
        title: str = CONVERSION_TITLE,
        status: str = "open",
        sha: str | None = None,
    ) -> int:
        """A pull request whose one commit adds `files` on top of commit `base`; returns its number."""
        num = len(self.pulls) + 1
        head = self._commit(base, files, title, author, (), sha, branch=f"refs/pr/{num}")
        self.pulls.append(PullRequest(num, title, author, status, head))
        return num

    def _commit(
        self,
        parent: str | None,
        files: dict[str, bytes],
        title: str,
        author: str,
        remove: tuple[str, ...],
        sha: str | None,
        branch: str,
    ) -> str:
        tree = {**(self.commits[parent].files if parent else {}), **files}
        for name in remove:
            del tree[name]
        content = json.dumps([parent, title, sorted((n, hashlib.sha256(b).hexdigest()) for n, b in tree.items())])
        sha = sha or hashlib.sha1(content.encode()).hexdigest()
        self.commits[sha] = Commit(sha, parent, title, author, tree)
        self.refs[branch] = sha
        return sha

    def resolve(self, revision: str) -> Commit | None:
        return self.commits.get(self.refs.get(revision, revision))

    def history(self, commit: Commit) -> list[Commit]:
        found = [commit]
        while found[-1].parent is not None:
            found.append(self.commits[found[-1].parent])
        return found


class FakeHub:
    """The server; use as a context manager. `endpoint` is what HF_ENDPOINT or model.hub_endpoint takes."""

    def __init__(self, *repos: FakeRepo):
        self.repos = {repo.repo_id: repo for repo in repos}
        self.requests: list[tuple[str, str]] = []
        self._stalled: list[str] = []
        self._reset: list[str] = []
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def stall(self, fragment: str) -> None:
        """Requests whose path contains `fragment` get no answer until the hub closes.

        Then they get 410, which huggingface_hub does not retry: a call the client gave up
        on ends with its test instead of retrying into later ones (503 would be retried,
        and every retry's refused connection closes huggingface_hub's shared client).
        """
        self._stalled.append(fragment)

    def reset_once(self, fragment: str) -> None:
        """The next request whose path contains `fragment` has its connection reset, unanswered."""
        self._reset.append(fragment)

    def fetched(self, fragment: str) -> list[tuple[str, str]]:
        """The logged requests whose path contains `fragment`."""
        return [r for r in self.requests if fragment in r[1]]


_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/(?P<what>revision|tree|commits)/(?P<rev>[^/]+)$")
_DISCUSSIONS = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/discussions$")
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_LFS = re.compile(r"^/lfs/(?P<sha256>[0-9a-f]{64})$")


def _handler_for(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_HEAD(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            hub.requests.append((self.command, unquote(url.path)))
            if any(fragment in unquote(url.path) for fragment in hub._stalled):
                hub._release.wait(120)
                return self._error(410, "Gone", "the hub closed")  # not retried: a given-up call ends here
            if reset := [fragment for fragment in hub._reset if fragment in unquote(url.path)]:
                hub._reset.remove(reset[0])
                return self._reset_connection()
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if match := _API.match(url.path):
                return self._api(match["repo"], match["what"], unquote(match["rev"]))
            if match := _DISCUSSIONS.match(url.path):
                return self._discussions(match["repo"], query)
            if match := _RESOLVE.match(url.path):
                return self._resolve(match["repo"], unquote(match["rev"]), unquote(match["file"]))
            if match := _LFS.match(url.path):
                return self._lfs(match["sha256"])
            return self._error(404, "NotFound", f"no route for {url.path}")

        def _reset_connection(self) -> None:
            """Close with SO_LINGER 0: the client's read fails with a reset, not an empty answer."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        # -- API ---------------------------------------------------------------
        def _api(self, repo_id: str, what: str, revision: str) -> None:
            repo, commit = self._find(repo_id, revision)
            if commit is None:
                return
            if what == "revision":
                siblings = [{"rfilename": name} for name in sorted(commit.files)]
                return self._json({"id": repo_id, "modelId": repo_id, "sha": commit.sha, "private": False, "siblings": siblings})
            if what == "tree":
                return self._json([_tree_entry(name, data) for name, data in sorted(commit.files.items())])
            history = [
                {"id": c.sha, "authors": [{"user": c.author}], "date": DATE, "title": c.title, "message": ""}
                for c in repo.history(commit)
            ]
            return self._json(history)

        def _discussions(self, repo_id: str, query: dict[str, str]) -> None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound", f"{repo_id} not found")
            kind, status, author = query.get("type", "all"), query.get("status", "all"), query.get("author")
            chosen = [
                p
                for p in sorted(repo.pulls, key=lambda p: -p.num)
                if kind in ("all", "pull_request") and status in ("all", p.status) and author in (None, p.author)
            ]
            discussions = [
                {
                    "num": p.num,
                    "title": p.title,
                    "status": p.status,
                    "author": {"name": p.author},
                    "createdAt": DATE,
                    "isPullRequest": True,
                    "repo": {"name": repo_id, "type": "model"},
                }
                for p in chosen
            ]
            return self._json({"discussions": discussions, "count": len(discussions), "start": 0})

        # -- files ---------------------------------------------------------------
        def _resolve(self, repo_id: str, revision: str, name: str) -> None:
            _, commit = self._find(repo_id, revision)
            if commit is None:
                return
            data = commit.files.get(name)
            if data is None:
                return self._error(404, "EntryNotFound", f"{name} not in {commit.sha}", {"X-Repo-Commit": commit.sha})
            headers = {"X-Repo-Commit": commit.sha}
            if is_lfs(name):
                sha256 = hashlib.sha256(data).hexdigest()
                headers |= {
                    "Location": f"http://localhost:{hub.port}/lfs/{sha256}",
                    "X-Linked-Etag": f'"{sha256}"',
                    "X-Linked-Size": str(len(data)),
                    "ETag": f'"{git_blob_sha1(data)}"',
                }
                return self._send(302, b"", headers)
            return self._send(200, data, headers | {"ETag": f'"{git_blob_sha1(data)}"'})

        def _lfs(self, sha256: str) -> None:
            for repo in hub.repos.values():
                for commit in repo.commits.values():
                    for data in commit.files.values():
                        if hashlib.sha256(data).hexdigest() == sha256:
                            return self._send(200, data, {"ETag": f'"{sha256}"'})
            return self._error(404, "NotFound", "no such LFS object")

        # -- helpers ---------------------------------------------------------------
        def _find(self, repo_id: str, revision: str) -> tuple[FakeRepo | None, Commit | None]:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
                return None, None
            commit = repo.resolve(revision)
            if commit is None:
                self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return repo, commit

        def _json(self, payload: Any) -> None:
            self._send(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

        def _error(self, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> None:
            body = json.dumps({"error": message}).encode()
            headers = {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message}
            self._send(status, body, headers | (extra or {}))

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


def _tree_entry(name: str, data: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}
    if is_lfs(name):
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return entry
