"""Static publishing, offline audit and record proofs.

Entry points:

* :func:`seawitness.mirror.publish.publish` writes the log as a static
  c2sp.org/tlog-tiles mirror (checkpoint, hash tiles, entry bundles, keys, policy);
* :func:`seawitness.mirror.audit.audit` re-verifies a mirror (directory or URL) with no
  database: signatures, the key registry, ordering, every tile, the root, and
  consistency with the previous audit;
* :func:`seawitness.mirror.proof.build_proof` and
  :func:`seawitness.mirror.proof.verify_proof` make and check a self-contained proof that
  one record is in the log (RFC 9162 inclusion proof + cosigned checkpoint).
"""

from seawitness.mirror.audit import AuditFailure, AuditReport, audit, default_state_dir
from seawitness.mirror.proof import (
    PROOF_FORMAT,
    ProofCheck,
    ProofReport,
    RecordProofError,
    build_proof,
    verify_proof,
)
from seawitness.mirror.publish import PublishError, PublishReport, publish
from seawitness.mirror.source import MissingFileError, SourceError, open_source

__all__ = [
    "PROOF_FORMAT",
    "AuditFailure",
    "AuditReport",
    "MissingFileError",
    "ProofCheck",
    "RecordProofError",
    "ProofReport",
    "PublishError",
    "PublishReport",
    "SourceError",
    "audit",
    "build_proof",
    "default_state_dir",
    "open_source",
    "publish",
    "verify_proof",
]
