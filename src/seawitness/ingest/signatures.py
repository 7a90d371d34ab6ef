"""Ed25519 verification of a submitted batch: inline for a few entries, on threads for many.

The verification in ``cryptography`` releases the GIL, so a large batch's signatures are
checked on worker threads while the gate's other checks run in the calling thread.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["SignatureChecker"]


class SignatureChecker:
    """Collects (position, key, message, signature) and says which position fails first."""

    THREADED_FROM = 256
    CHUNK = 512

    def __init__(self, n: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self.failures: list[int] = []
        self._pending: list[tuple[int, Ed25519PublicKey, bytes, bytes]] = []
        self._futures: list[Future[list[int]]] = []
        self._pool = (
            ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
            if enabled and n >= self.THREADED_FROM
            else None
        )
        self._keys: dict[bytes, Ed25519PublicKey] = {}

    def add(self, index: int, public_key: bytes, message: bytes, signature: bytes) -> None:
        if not self.enabled:
            return
        k = self._keys.get(public_key)
        if k is None:
            k = self._keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        if self._pool is None:
            if not _verify_one(k, message, signature):
                self.failures.append(index)
            return
        self._pending.append((index, k, message, signature))
        if len(self._pending) >= self.CHUNK:
            self._futures.append(self._pool.submit(_verify_chunk, self._pending))
            self._pending = []

    def first_failure(self, upto: int | None = None) -> int | None:
        """The smallest failing position (below ``upto`` if given), waiting for the workers."""
        if self._pending:
            self.failures += _verify_chunk(self._pending)
            self._pending = []
        for f in self._futures:
            self.failures += f.result()
        self._futures = []
        bad = [i for i in self.failures if upto is None or i < upto]
        return min(bad) if bad else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _verify_one(key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, message)
        return True
    except InvalidSignature:
        return False


def _verify_chunk(items: list[tuple[int, Ed25519PublicKey, bytes, bytes]]) -> list[int]:
    return [i for i, k, m, sig in items if not _verify_one(k, m, sig)]
