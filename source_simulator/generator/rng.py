"""Deterministic random streams.

Every random decision draws from a stream named by ``(seed, kind, key...)`` so that the world
does not depend on generation order: the tickets of 2026-03-15 are the same whether or not
the generator also produced 2026-03-14.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
import uuid


def _digest(seed: int, parts: tuple[object, ...]) -> bytes:
    text = "\x1f".join([str(seed), *(str(p) for p in parts)])
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def stream(seed: int, *parts: object) -> random.Random:
    """A ``random.Random`` seeded from the seed and the stream's name."""
    return random.Random(int.from_bytes(_digest(seed, parts), "big"))


def stable_uuid(seed: int, *parts: object) -> str:
    """A version-4-shaped UUID derived from the seed and a name (1C ``Ref_Key``, shift ids)."""
    return str(uuid.UUID(bytes=_digest(seed, parts), version=4))


def data_version(seed: int, *parts: object) -> str:
    """A 1C ``DataVersion``-looking token (base64 of 8 bytes), different for every version."""
    raw = _digest(seed, ("dataversion", *parts))[:8]
    return base64.b64encode(struct.pack(">8s", raw)).decode()


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw (Knuth for small means, rounded normal approximation for large)."""
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    import math

    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
