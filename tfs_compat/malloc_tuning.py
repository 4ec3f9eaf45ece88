"""Keep multi-megabyte request bodies out of mmap (glibc only).

glibc's malloc serves an allocation above M_MMAP_THRESHOLD with a fresh mmap and unmaps it on free
(mallopt(3)). A REST body of 256 rows × 784 floats is about 4 MB, and the HTTP front copies it a few
times (socket chunks, their join, the parser's buffer): every copy is a fresh mapping whose ~1,000
pages fault in one by one, then unmapped. Measured on the compatible server, reading such a body
took 5.5 ms this way and 2.6 ms with the threshold raised. TF Serving's C++ server reuses libevent's
buffers and never pays this. The threshold moves to 32 MiB, the largest value mallopt(3) documents
for 64-bit, and the trim threshold is raised with it so that freed body-sized chunks stay in the
heap for the next request instead of going back to the kernel. Other C libraries (musl, macOS)
have no mallopt: nothing changes.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: 4 MiB * sizeof(long)
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD_MAX


def keep_large_bodies_in_the_heap() -> bool:
    """True if glibc took both settings."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
