"""Vectorised character-shingle MinHash, bit-for-bit the same as datasketch's.

datasketch hashes every shingle with a Python call (~1 ms for a 2,000-character text); here the
shingles of a whole text are hashed at once with a rolling polynomial over code points in numpy, and
the permutations are datasketch's own ``affine32`` scheme (MurmurHash3 finaliser, then a*h+b mod 2^32),
so `signature(text)` equals ``MinHash(num_perm, seed, hashfunc=shingle_hash32, scheme="affine32")``
updated with the same shingles (tests/test_dedup.py checks it), and a `LeanMinHash` can be made from it.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import LeanMinHash

# datasketch itself is imported only where a datasketch object is asked for (`lean_minhash`):
# importing it pulls in scipy, 1.4 s of start-up for every process that dedups (the CLI, the
# crawl's writer), and nothing on the hot path needs it.

# Rolling-hash base and the odd multiplier that folds the 64-bit shingle hash to 32 bits.
_BASE = np.uint64(0x100000001B3)
_FOLD = np.uint64(0x9E3779B97F4A7C15)
_MASK64 = (1 << 64) - 1
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_BAND_MASK = (1 << 47) - 1  # band keys fit SQLite's 6-byte integers
_BAND_MIX = np.uint64(0xFF51AFD7ED558CCD)


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def shingle_hashes64(text: str, n: int) -> np.ndarray:
    """64-bit hash of every character n-gram of `text` (one per position, repeats kept).
    A text shorter than n is one shingle."""
    cp = code_points(text)
    if cp.size == 0:
        return np.empty(0, np.uint64)
    m = max(cp.size - n + 1, 1)
    h = np.zeros(m, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(min(n, cp.size)):
            h = h * _BASE + cp[k:k + m]
    return h


def fold32(h64: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((h64 * _FOLD) >> np.uint64(32)).astype(np.uint32)


def shingle_hash32(shingle: str) -> int:
    """The per-shingle hash `shingle_hashes64`+`fold32` compute, one shingle at a time; give it to
    datasketch as `hashfunc` to get the same signatures the slow way."""
    h = 0
    for ch in shingle:
        h = (h * int(_BASE) + ord(ch)) & _MASK64
    return ((h * int(_FOLD)) & _MASK64) >> 32


def shingles(text: str, n: int) -> list[str]:
    if len(text) < n:
        return [text] if text else []
    return [text[i:i + n] for i in range(len(text) - n + 1)]


@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations (`MinHash(num_perm, seed, scheme="affine32").permutations`,
    drawn the way datasketch 2.x draws them; tests/test_dedup.py checks they are the same): an odd
    multiplier and an offset per permutation, from numpy's RandomState(seed)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


# Shingles per block of `signature`: its buffer is num_perm x this (4 MiB at 128 permutations), so a
# 3-million-character page costs that and not num_perm x 3 million (1.4 GiB). A text of fewer
# shingles takes one block, as before; the minimum over blocks is the minimum over all, bit for bit.
SIGNATURE_BLOCK = 8192


def signature(hv32: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signature (uint32[num_perm]) of the shingles hashed to `hv32`."""
    a, b = permutations(num_perm, seed)
    if hv32.size == 0:
        return np.full(num_perm, 0xFFFFFFFF, np.uint32)
    # One preallocated buffer: numpy temporaries cost more than the arithmetic here.
    buf = np.empty((num_perm, min(hv32.size, SIGNATURE_BLOCK)), np.uint32)
    sig = None
    for start in range(0, hv32.size, SIGNATURE_BLOCK):
        hv = _fmix32(hv32[start:start + SIGNATURE_BLOCK])
        out = buf[:, :hv.size]
        np.multiply(a[:, None], hv[None, :], out=out)
        np.add(out, b[:, None], out=out)
        block = out.min(axis=1)
        sig = block if sig is None else np.minimum(sig, block, out=sig)
    assert sig is not None  # hv32 is not empty: the loop ran
    return sig


def lean_minhash(sig: np.ndarray, seed: int) -> LeanMinHash:
    """The signature as a datasketch LeanMinHash (for datasketch's own LSH classes)."""
    from datasketch import LeanMinHash
    return LeanMinHash(seed=seed, hashvalues=sig, scheme="affine32")


def band_keys(sig: np.ndarray, bands: int, rows: int, salt: int) -> list[int]:
    """One integer key per LSH band of `sig` (rows r*b.. consecutive values); `salt` keeps band
    families apart so all of them can share one SQLite index."""
    m = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
    with np.errstate(over="ignore"):
        h = (np.arange(bands, dtype=np.uint64) + np.uint64(salt * 1024 + 1)) * _BAND_MIX
        for j in range(rows):
            h = (h ^ m[:, j]) * _BAND_MIX
            h ^= h >> np.uint64(29)
    return [int(x) & _BAND_MASK for x in h]
