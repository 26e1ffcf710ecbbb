"""One seed → independent, named random streams.

Randomness is derived from (seed, purpose, index) instead of drawn from one running generator,
so that step 700 of a training run, or sample 123,456 of a synthesis, gets the same numbers
however the work was split, batched, interrupted or resumed.
"""

from __future__ import annotations

import hashlib

import torch


def derive_seed(seed: int, *keys: object) -> int:
    """A 63-bit seed from the root seed and any keys (strings, ints), stable across runs and machines."""
    text = "/".join([str(int(seed))] + [str(k) for k in keys])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def torch_generator(seed: int, *keys: object) -> torch.Generator:
    """A torch.Generator seeded from (seed, *keys): each random choice has its own stream."""
    g = torch.Generator()
    g.manual_seed(derive_seed(seed, *keys))
    return g
