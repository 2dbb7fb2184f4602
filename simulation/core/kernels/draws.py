"""Hashed uniform draws of many people in one compiled pass; a generator's raw output as floats.

:meth:`simulation.core.random_streams.RandomStreams.uniform` hashes each person's index with a
stream offset (the lowbias32 finaliser) and keeps the top 24 bits; numpy did it in eight passes
with temporaries. The same integer operations here, once per person (:func:`~simulation.core.
kernels.common.uniform`, which the journey walk uses too): the same floats, bit for bit.
:func:`floats_from_raw` turns a PCG64 generator's raw 64-bit outputs into the float32 uniforms
``Generator.random`` would have made of them, in one pass.
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


_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT32 = np.float32(2.0**-24)


@numba.njit(**JIT)
def floats_from_raw(raw: NDArray[np.uint64], out: NDArray[np.float32]) -> NDArray[np.float32]:
    """The float32 uniforms ``Generator.random`` makes of PCG64 outputs ``raw``, into ``out``.

    Each 64-bit output gives two values, its low 32-bit word first: the word's top 24 bits x
    2**-24 (exact in float32). ``out`` holds 2 x ``raw.size`` values; returned.
    """
    for k in range(raw.size):
        x = raw[k]
        out[2 * k] = np.float32((x & _LOW32) >> np.uint64(8)) * _TO_UNIT32
        out[2 * k + 1] = np.float32(x >> np.uint64(40)) * _TO_UNIT32
    return out


def warm_up() -> None:
    """Compile (or load from the cache) the kernel for the index types the engine passes."""
    offsets = np.zeros(1, dtype=np.uint32)
    floats_from_raw(np.zeros(1, dtype=np.uint64), np.zeros(2, dtype=np.float32))
    for dtype in (np.int64, np.int32):
        uniforms(offsets, np.zeros(1, dtype=dtype))


__all__ = ["floats_from_raw", "uniforms", "uniforms_kernel", "warm_up"]
