"""Trust: who may sign what, for whom and when; key files; the witness.

* :mod:`~seawitness.trust.registry` holds the rules every entry must satisfy about its
  signer (pure code, no database): the submission gate and the offline audit both apply
  them, so the rule exists once.
* :mod:`~seawitness.trust.keyring` reads and writes Ed25519 key files.
* :mod:`~seawitness.trust.witness` is the witness that checks a log's consistency and
  cosigns its checkpoints.
"""

__all__ = ["keyring", "registry", "witness"]
