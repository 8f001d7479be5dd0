"""Peak resident memory of one process, its own and not its parent's.

`getrusage(...).ru_maxrss` is not that on Linux: at exec the kernel keeps the replaced memory's
high-water mark, which for a child started from Python is the parent's peak. A query process
started by `rag bench --scale` after the ingest reported the ingest's ~3 GB as its own (~1.05 GB
measured by VmHWM at 200k chunks). VmHWM, the high-water mark of the process's present memory,
starts afresh at exec."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

# Run by a small Python between the caller and the command: the command inherits this one's
# ~10 MB high-water mark, not the caller's. It reports (exit code, wall s, peak KiB) on stdout.
_MEASURE = (
    "import os, subprocess, sys, time; t = time.perf_counter(); "
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); _, status, usage = os.wait4(p.pid, 0); "
    "print(os.waitstatus_to_exitcode(status), time.perf_counter() - t, usage.ru_maxrss)"
)


def own_peak_mb() -> float:
    """This process's peak resident MB (VmHWM; ru_maxrss where /proc is absent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def run_measured(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Run a command (its stdout dropped): (exit code, wall seconds, its own peak MB, stderr)."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:  # the go-between itself failed (e.g. no such command)
        raise RuntimeError(f"could not run {args[0]}: {proc.stderr[-2000:]}")
    code, wall, peak_kib = proc.stdout.split()
    return int(code), float(wall), int(peak_kib) / 1024, proc.stderr
