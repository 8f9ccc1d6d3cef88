"""A hand: one noise vector that writes every digit in one style, and its shareable style code.

A seed names a hand by chance; a captured drawing names one on purpose (``capture``). Either way
the hand is a noise vector, and it means something only to the weights that made it: a style code
carries those weights' fingerprint, and a code made with other weights is refused.

A style code is ``dg1.`` and 94 URL-safe base64 characters: the weights' fingerprint (4 bytes),
the vector as 64 signed bytes (±4σ in steps of 4/127) and a 2-byte checksum that catches typos.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

PREFIX = "dg1."
BOUND = 4.0  # the vector's range, in standard deviations; neatness 0 draws inside it too
STEPS = 127
FINGERPRINT_BYTES = 4
CHECK_BYTES = 2


def spelled(raw: bytes) -> str:
    """A style code's text for its bytes: ``dg1.`` and URL-safe base64 without padding."""
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def fingerprint(generator: nn.Module) -> bytes:
    """Four bytes that name a generator's weights: a hash of its parameters and buffers.

    Computed afresh each time (about 3 ms for the shipped weights), so weights changed after
    loading are never mistaken for the ones a code was made with.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(generator.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.digest()[:FINGERPRINT_BYTES]


def quantize(z: torch.Tensor) -> np.ndarray:
    return (z.clamp(-BOUND, BOUND) / BOUND * STEPS).round().to(torch.int8).numpy()


@dataclass(frozen=True)
class Style:
    """One hand: a noise vector for the weights named by ``weights`` (their fingerprint).

    ``z`` is the vector exactly as its code spells it, so a style and its code write the same digits.
    """

    z: torch.Tensor  # (z_dim,), float32
    weights: bytes

    @classmethod
    def of(cls, z: torch.Tensor, generator: nn.Module) -> Style:
        """The style of ``z`` for ``generator``, rounded to what a style code can spell."""
        return cls(
            torch.from_numpy(quantize(z.detach().cpu().flatten())).float() * BOUND / STEPS, fingerprint(generator)
        )

    @property
    def code(self) -> str:
        payload = self.weights + quantize(self.z).tobytes()
        check = hashlib.blake2b(payload, digest_size=CHECK_BYTES).digest()
        return spelled(payload + check)

    @classmethod
    def from_code(cls, code: object, generator: nn.Module) -> Style:
        """The style a code spells, for ``generator``; ValueError with one sentence if it cannot be used."""
        text = code.strip() if isinstance(code, str) else ""
        if not text.startswith(PREFIX):
            raise ValueError(f"a style code starts with {PREFIX!r}; got {str(code)[:40]!r}")
        try:
            raw = base64.urlsafe_b64decode(text[len(PREFIX) :] + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        z_dim = generator.z_dim
        payload, check = raw[:-CHECK_BYTES], raw[-CHECK_BYTES:]
        if (
            len(raw) != FINGERPRINT_BYTES + z_dim + CHECK_BYTES
            or spelled(raw) != text  # the last character's spare bits: one spelling per code, typos there caught
            or hashlib.blake2b(payload, digest_size=CHECK_BYTES).digest() != check
        ):
            raise ValueError("that style code is damaged or incomplete: copy it again, all of it")
        weights = payload[:FINGERPRINT_BYTES]
        if weights != fingerprint(generator):
            raise ValueError(
                "that style code was made with other weights than the ones writing here; capture the hand again"
            )
        z = np.frombuffer(payload[FINGERPRINT_BYTES:], dtype=np.int8).astype(np.float32) * BOUND / STEPS
        return cls(torch.from_numpy(z.copy()), weights)
