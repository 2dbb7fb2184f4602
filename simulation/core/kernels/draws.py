"""Hashed uniform draws of many people in one compiled pass.

:meth:`simulation.core.random_streams.RandomStreams.uniform` hashes each person's index with a
stream offset (the lowbias32 finaliser) and keeps the top 24 bits; numpy did it in eight passes
with temporaries. The same integer operations here, once per person (:func:`~simulation.core.
kernels.common.uniform`, which the journey walk uses too): the same floats, bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.common import JIT, uniform


@numba.njit(**JIT)
def uniforms_kernel(offsets: NDArray[np.uint32], person: NDArray[np.integer],
                    out: NDArray[np.float32]) -> None:
    """``out[r, i]``: the uniform of ``person[i]`` at stream offset ``offsets[r]`` (exact in float32)."""
    for r in range(offsets.size):
        offset = np.uint64(offsets[r])
        for i in range(person.size):
            out[r, i] = uniform(offset, np.int64(person[i]))


def uniforms(offsets: NDArray[np.uint32], person: NDArray[np.integer]) -> NDArray[np.float32]:
    """(len(offsets), len(person)) hashed uniforms in [0, 1), float32 (24-bit resolution).

    Parameters
    ----------
    offsets:
        Stream offsets (one per kind, week and step of a draw).
    person:
        (M,) person indices (their low 32 bits are hashed).
    """
    out = np.empty((offsets.size, person.size), dtype=np.float32)
    uniforms_kernel(offsets, person, out)
    return out


def warm_up() -> None:
    """Compile (or load from the cache) the kernel for the index types the engine passes."""
    offsets = np.zeros(1, dtype=np.uint32)
    for dtype in (np.int64, np.int32):
        uniforms(offsets, np.zeros(1, dtype=dtype))


__all__ = ["uniforms", "uniforms_kernel", "warm_up"]
