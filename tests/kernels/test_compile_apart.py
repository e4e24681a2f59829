"""A cold compile split over two processes: the helper's code lands in numba's disk cache and
the caller loads it rather than compiling; a warm cache starts no helper."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE_MODULE = """
from numba import njit


@njit(cache=True)
def scaled_sum(values, factor):
    total = 0.0
    for v in values:
        total += v * factor
    return total
"""

CALLER = """
import numpy as np
from kernels import _compile_apart
import apart_probe

values = np.arange(5.0)
helper = _compile_apart.start(apart_probe.scaled_sum, (values, 2.0))
compiled_apart = _compile_apart.finish(helper)
result = apart_probe.scaled_sum(values, 2.0)
stats = apart_probe.scaled_sum.stats
print(helper is not None, compiled_apart, result,
      sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


def run_caller(tmp_path: Path, module: str = PROBE_MODULE) -> tuple:
    """Run CALLER in a fresh process on tmp_path's numba cache; what it printed, and stderr."""
    (tmp_path / "apart_probe.py").write_text(textwrap.dedent(module))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}  # fmt: skip
    run = subprocess.run([sys.executable, "-c", CALLER], env=env, capture_output=True,
                         timeout=300, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    started, compiled, result, hits, misses = run.stdout.decode().split()
    return (started, compiled, float(result), int(hits), int(misses)), run.stderr.decode()


def test_helper_compiles_into_the_cache_and_the_caller_loads_it(tmp_path):
    # the helper compiled it; the caller loaded it: a cache hit, no compile here
    assert run_caller(tmp_path)[0] == ("True", "True", 20.0, 1, 0)
    # warm now: no helper, and the function still loads from the cache
    assert run_caller(tmp_path)[0] == ("False", "False", 20.0, 1, 0)


def test_a_failing_helper_leaves_the_compile_to_the_caller(tmp_path):
    refuses_the_helper = (
        "import sys\n"
        "if sys.argv[0].endswith('_compile_apart.py'):\n"
        "    raise ImportError('not in the helper')\n"
    ) + PROBE_MODULE
    printed, stderr = run_caller(tmp_path, refuses_the_helper)
    assert printed == ("True", "False", 20.0, 0, 1)  # compiled here, as without a helper
    assert "compile helper failed" in stderr and "not in the helper" in stderr
