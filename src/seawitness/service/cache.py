"""Answers cached per tree size: the log only grows, so a value computed at size ``n``
stays right until a new leaf arrives, and the key changes by itself when one does."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["SizeCache"]

T = TypeVar("T")


class SizeCache:
    """Values computed at one tree size; a new leaf makes them all stale at once.

    Concurrent requests for the same missing value wait for one computation instead of
    each starting their own (the first page view after start-up or after an import).
    """

    def __init__(self) -> None:
        self._size = -1
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def _reset(self, size: int) -> None:
        if size != self._size:
            self._size, self._values, self._locks = size, {}, {}

    def peek(self, size: int, key: Any) -> Any | None:
        """The value if it is already computed for this size, else None."""
        with self._lock:
            self._reset(size)
            return self._values.get(key)

    def get(self, size: int, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            self._reset(size)
            if key in self._values:
                return self._values[key]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if size == self._size and key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                if size == self._size:
                    self._values[key] = value
        return value
