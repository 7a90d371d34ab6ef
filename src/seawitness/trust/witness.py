"""A witness: checks that the log only ever grows, then cosigns its checkpoints.

Any stakeholder can run one (``seawitness witness``). Each round it

1. fetches the log's newest checkpoint and verifies the log's signature with the log key
   it pinned on first use (c2sp.org/tlog-checkpoint, c2sp.org/signed-note);
2. compares it with the last checkpoint it cosigned: a smaller tree, or the same size
   with another root, is a **fork** — it refuses, keeps both checkpoints as evidence, and
   exits non-zero; a larger tree must come with a valid RFC 9162 consistency proof, which
   the witness computes itself from the log's tiles (c2sp.org/tlog-tiles), so the log
   cannot choose what it shows;
3. stores the new checkpoint in its state *before* cosigning it (so it can never cosign
   two inconsistent checkpoints, even across a crash), cosigns it (c2sp.org/
   tlog-cosignature, ``cosignature/v1``) and delivers the cosignature to the log.

This is *pull* witnessing: the witness needs no open port, and the log needs no list of
witness endpoints. The checks are those of the c2sp.org/tlog-witness ``add-checkpoint``
handler; the only difference is who starts the exchange.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from seawitness.errors import SeawitnessError
from seawitness.tlog.checkpoint import Checkpoint, open_checkpoint
from seawitness.tlog.merkle import ProofError, verify_consistency
from seawitness.tlog.note import (
    CosignatureV1Signer,
    Ed25519Verifier,
    NoteSignature,
    parse_note,
    verifier_from_vkey,
)
from seawitness.tlog.tiles import TileHashReader, tile_path


class WitnessError(SeawitnessError):
    """The round failed; ``fork`` is True when the log was caught misbehaving."""

    def __init__(self, message: str, *, fork: bool = False) -> None:
        super().__init__(message)
        self.fork = fork


@dataclass
class RoundResult:
    origin: str
    old_size: int
    new_size: int
    cosigned: bool
    delivered: bool
    message: str


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Witness:
    """One witness identity watching one log; state lives in ``state_dir``."""

    def __init__(
        self,
        log_url: str,
        signer: CosignatureV1Signer,
        state_dir: Path,
        *,
        log_vkey: str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.log_url = log_url.rstrip("/")
        self.signer = signer
        self.state_dir = state_dir
        self.client = client or httpx.Client(timeout=30.0)
        state_dir.mkdir(parents=True, exist_ok=True)
        pinned = state_dir / "log.vkey"
        if pinned.exists():
            stored = pinned.read_text().strip()
            if log_vkey and log_vkey.strip() != stored:
                raise WitnessError(f"state in {state_dir} is pinned to another log key")
            log_vkey = stored
        if not log_vkey:
            raise WitnessError("the log's verifier key is needed the first time (--log-key)")
        verifier = verifier_from_vkey(log_vkey)
        if not isinstance(verifier, Ed25519Verifier):
            raise WitnessError("the log key must be an Ed25519 signed-note key")
        self.log_verifier = verifier
        if not pinned.exists():
            _atomic_write(pinned, log_vkey.strip() + "\n")

    # -- state ----------------------------------------------------------------------------
    @property
    def _state_file(self) -> Path:
        return self.state_dir / "checkpoint"

    def last_cosigned(self) -> Checkpoint | None:
        if not self._state_file.exists():
            return None
        return Checkpoint.from_text(parse_note(self._state_file.read_text()).text)

    # -- one round ------------------------------------------------------------------------
    def _get(self, path: str) -> bytes:
        r = self.client.get(f"{self.log_url}/{path}")
        if r.status_code != 200:
            raise WitnessError(f"GET {path}: HTTP {r.status_code}")
        return r.content

    def _read_tile(self, level: int, index: int, width: int) -> bytes:
        return self._get(tile_path(level, index, width))

    def round(self) -> RoundResult:
        """Fetch, check, cosign and deliver once."""
        note_text = self._get("checkpoint").decode("utf-8")
        try:
            cp, _ = open_checkpoint(note_text, [self.log_verifier], origin=self.log_verifier.name)
        except ValueError as exc:
            raise WitnessError(f"checkpoint rejected: {exc}") from None
        old = self.last_cosigned()
        old_size = old.size if old else 0
        if old is not None:
            if cp.size < old.size:
                self._evidence(note_text, old)
                raise WitnessError(f"fork: the log shrank from {old.size} to {cp.size}", fork=True)
            if cp.size == old.size and cp.root_hash != old.root_hash:
                self._evidence(note_text, old)
                raise WitnessError(
                    f"fork: two checkpoints of size {cp.size} with different roots", fork=True
                )
            if cp.size > old.size:
                reader = TileHashReader(cp.size, self._read_tile)
                try:
                    proof = reader.consistency_proof(old.size)
                    verify_consistency(old.size, cp.size, old.root_hash, cp.root_hash, proof)
                except (ProofError, ValueError) as exc:
                    self._evidence(note_text, old)
                    raise WitnessError(
                        f"fork: checkpoint {cp.size} is not consistent with "
                        f"cosigned checkpoint {old.size}: {exc}",
                        fork=True,
                    ) from None
        else:  # first sight: check the checkpoint's root against the log's tiles
            reader = TileHashReader(cp.size, self._read_tile)
            if cp.size and reader.root_hash() != cp.root_hash:
                raise WitnessError("the checkpoint's root does not match the log's tiles")
        body = parse_note(note_text).text
        if old is not None and cp.size == old.size:
            cosigned = False
        else:
            _atomic_write(self._state_file, note_text)  # persist before signing
            cosigned = True
        sig = NoteSignature(self.signer.name, self.signer.key_id, self.signer.sign(body.encode()))
        delivered = self._deliver(note_text + sig.line)
        return RoundResult(
            cp.origin,
            old_size,
            cp.size,
            cosigned,
            delivered,
            f"cosigned {cp.origin} at size {cp.size}",
        )

    def _deliver(self, cosigned_note: str) -> bool:
        """Post the cosignature and check that the log now holds it (not only a 200)."""
        r = self.client.post(
            f"{self.log_url}/api/v1/cosignatures", content=cosigned_note.encode("utf-8")
        )
        if r.status_code != 200:
            raise WitnessError(
                f"the log refused the cosignature: HTTP {r.status_code} {r.text[:200]}"
            )
        try:
            reply = r.json()
            held = reply.get("witnesses", reply.get("added", []))
        except (ValueError, AttributeError):
            raise WitnessError(f"the log's answer is not JSON: {r.text[:200]}") from None
        if self.signer.name not in held:
            raise WitnessError(
                f"the log answered 200 but does not hold this witness's cosignature "
                f"({self.signer.name!r} not in {held!r}); is the witness key registered?"
            )
        return True

    def _evidence(self, note_text: str, old: Checkpoint) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        _atomic_write(
            self.state_dir / f"evidence-{stamp}.txt",
            "cosigned earlier:\n"
            + (self._state_file.read_text() if self._state_file.exists() else old.to_text())
            + "\nserved now:\n"
            + note_text,
        )

    def run(self, interval: float, rounds: int | None = None) -> None:
        """Witness every ``interval`` seconds (forever, or ``rounds`` times)."""
        n = 0
        while rounds is None or n < rounds:
            self.round()
            n += 1
            if rounds is None or n < rounds:
                time.sleep(interval)
