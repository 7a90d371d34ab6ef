"""Where a published log is read from: a directory or an HTTP(S) prefix.

A mirror is plain files at the c2sp.org/tlog-tiles paths ("Checkpoint", "Merkle Tree",
"Log Entries") plus a few text files beside them (see :mod:`seawitness.mirror.publish`),
so reading one needs only "give me the bytes at this relative path". Both sources answer
:meth:`MirrorSource.read`, raising :class:`MissingFileError` for a path that is not
there, so the audit can name the missing file.

Entry bundles may be served with ``Content-Encoding: gzip`` (tlog-tiles recommends it);
httpx undoes that transparently.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Protocol

import httpx

from seawitness.errors import RemoteError

__all__ = [
    "DirectorySource",
    "HttpSource",
    "MirrorSource",
    "MissingFileError",
    "SourceError",
    "open_source",
    "read_ahead",
]


class SourceError(RemoteError):
    """A mirror file could not be read (I/O or HTTP error other than "not found")."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}", where=path)
        self.path = path
        self.reason = reason


class MissingFileError(SourceError):
    """A file the mirror should hold is not there."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "missing from the mirror")


class MirrorSource(Protocol):
    """Anything that can read a mirror file by its path relative to the log prefix."""

    @property
    def location(self) -> str:
        """The directory or URL, for messages."""
        ...

    def read(self, path: str) -> bytes:
        """Return the bytes at ``path``; raise :class:`MissingFileError` if absent."""
        ...

    def close(self) -> None:
        """Release any connection held by the source."""
        ...


def _check_relative(path: str) -> str:
    """Refuse absolute paths and ``..``: every mirror path is a plain relative path."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(part in ("..", ".") for part in parts):
        raise SourceError(path, "not a relative mirror path")
    return path


class DirectorySource:
    """A mirror on the local file system (a published directory, a USB stick, ...)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        """The directory, for messages."""
        return str(self.root)

    def read(self, path: str) -> bytes:
        """Return the file's bytes; :class:`MissingFileError` if it does not exist."""
        target = self.root / _check_relative(path)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise MissingFileError(path) from None
        except OSError as exc:
            raise SourceError(path, exc.strerror or str(exc)) from None

    def close(self) -> None:
        """Nothing to release."""


class HttpSource:
    """A mirror served over HTTP(S): ``GET <base URL>/<path>``; 404 means missing."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"Accept-Encoding": "gzip", "User-Agent": "seawitness-audit"},
        )

    @property
    def location(self) -> str:
        """The base URL, for messages."""
        return self.base_url

    def read(self, path: str) -> bytes:
        """Fetch one file; :class:`MissingFileError` on 404 or 410."""
        url = self.base_url + _check_relative(path)
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise SourceError(path, f"cannot fetch {url}: {exc}") from None
        if response.status_code in (404, 410):
            raise MissingFileError(path)
        if response.status_code != 200:
            raise SourceError(path, f"HTTP {response.status_code} from {url}")
        return response.content

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def open_source(source: str | Path) -> DirectorySource | HttpSource:
    """Open a mirror given as a directory path or an ``http://`` / ``https://`` URL."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        return HttpSource(text)
    root = Path(source)
    if not root.is_dir():
        raise SourceError(text, "not a directory or an http(s) URL")
    return DirectorySource(root)


def read_ahead(
    source: MirrorSource, paths: Iterable[str], *, window: int = 8
) -> Iterator[tuple[str, bytes | SourceError]]:
    """Read ``paths`` in order, keeping up to ``window`` reads in flight on threads.

    Yields ``(path, data)``, or ``(path, error)`` when that file could not be read, so
    the caller decides what a missing file means. Over HTTP this hides the round trips;
    on a local disk it costs nothing.
    """

    def read(path: str) -> bytes | SourceError:
        try:
            return source.read(path)
        except SourceError as exc:
            return exc

    pending: deque[tuple[str, Future[bytes | SourceError]]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, window // 2)) as pool:
        for path in paths:
            pending.append((path, pool.submit(read, path)))
            if len(pending) >= window:
                done_path, future = pending.popleft()
                yield done_path, future.result()
        while pending:
            done_path, future = pending.popleft()
            yield done_path, future.result()
