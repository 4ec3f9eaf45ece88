"""Which int8 dot-product instructions this CPU has: they decide how much faster int8 runs."""

# --8<-- [start:int8-dot]
import platform
from pathlib import Path

# One instruction multiplies and adds groups of int8 values: VNNI and AMX on x86,
# dotprod (listed as asimddp) and i8mm on ARM. Linux lists them in /proc/cpuinfo.
INT8_DOT = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm")
cpuinfo = Path("/proc/cpuinfo")
flags = set()
for line in (cpuinfo.read_text() if cpuinfo.exists() else "").splitlines():
    if line.startswith(("flags", "Features")):
        flags.update(line.split(":", 1)[1].split())
found = [flag for flag in INT8_DOT if flag in flags]
print(f"{platform.machine()}, int8 dot-product instructions: {', '.join(found) or 'none'}")
# --8<-- [end:int8-dot]
