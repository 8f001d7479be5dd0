"""rag.eval.memory: a process started by a parent whose peak was large reports its own peak, not
the parent's (ru_maxrss alone reported the parent's: the scale bench's query process showed the
ingest's ~3 GB)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.eval.datasets import ROOT
from rag.eval.memory import run_measured

# A parent that touches 600 MB and frees it, then measures two children both ways.
BIG_PARENT = """
import json, subprocess, sys
from rag.eval.memory import run_measured
big = bytearray(600 * 2**20)
for i in range(0, len(big), 4096):
    big[i] = 1
del big
report = "from rag.eval.memory import own_peak_mb; import resource; "
report += "print(own_peak_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
own, naive = map(float, subprocess.run([sys.executable, "-c", report], capture_output=True, text=True).stdout.split())
code, wall, peak, _ = run_measured([sys.executable, "-c", "x = bytearray(150 * 2**20)"], {})
print(json.dumps({"own": own, "naive": naive, "code": code, "wall": wall, "peak": peak}))
"""


def test_a_child_of_a_large_parent_reports_its_own_peak() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BIG_PARENT], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    got = json.loads(out)
    assert got["naive"] > 500  # the parent's 600 MB, which is why the module exists
    assert got["own"] < 150
    # the measured command: its 150 MB, not the parent's 600 MB nor the go-between's
    assert got["code"] == 0 and 0 < got["wall"] < 30
    assert 150 < got["peak"] < 300


def test_a_failing_command_reports_its_exit_code_and_error() -> None:
    code, _, _, stderr = run_measured([sys.executable, "-c", "import sys; sys.exit('no store here')"], {})
    assert code == 1 and "no store here" in stderr


def test_a_command_that_cannot_start_is_one_clear_error() -> None:
    with pytest.raises(RuntimeError, match="could not run /no/such/command"):
        run_measured(["/no/such/command"], {})
