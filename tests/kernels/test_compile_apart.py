"""`kernels._compile_apart`, on a small cached function in real processes: the helper's code
lands in numba's disk cache and the caller loads it rather than compiling; a warm cache
starts no helper; a failing helper leaves the compile to the caller; processes on one cache
take turns; a helper nobody wants is stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
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


def probe_env(tmp_path: Path) -> dict[str, str]:
    """A fresh numba cache in tmp_path, and the probe module and this repository importable."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}  # fmt: skip


def run_caller(tmp_path: Path, module: str = PROBE_MODULE) -> tuple:
    """Run CALLER in a fresh process on tmp_path's numba cache; what it printed, and stderr."""
    (tmp_path / "apart_probe.py").write_text(textwrap.dedent(module))
    env = probe_env(tmp_path)
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


TAKING_TURNS = """
import sys
import time
import numpy as np
from kernels import _compile_apart
import apart_probe

time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # both start at the same moment
with _compile_apart.one_at_a_time(sys.argv[1]):
    apart_probe.scaled_sum(np.arange(5.0), 2.0)
    time.sleep(1.0)  # hold the lock: the other process arrives while this one has it
stats = apart_probe.scaled_sum.stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


def test_processes_on_one_cache_take_turns(tmp_path):
    (tmp_path / "apart_probe.py").write_text(textwrap.dedent(PROBE_MODULE))
    env = probe_env(tmp_path)
    at = str(time.time() + 5)  # after both have imported numba
    both = [subprocess.Popen([sys.executable, "-c", TAKING_TURNS, str(tmp_path / "cache"), at],
                             env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
            for _ in range(2)]  # fmt: skip
    counts = []
    for process in both:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-2000:]
        counts.append(tuple(int(x) for x in out.split()))
    # one compiled (a miss), the other waited and loaded what it cached (a hit)
    assert sorted(counts) == [(0, 1), (1, 0)], counts


def test_a_helper_that_is_not_wanted_is_stopped(tmp_path):
    (tmp_path / "apart_probe.py").write_text(textwrap.dedent(PROBE_MODULE))
    stopping = """
import numpy as np
from kernels import _compile_apart
import apart_probe

helper = _compile_apart.start(apart_probe.scaled_sum, (np.arange(5.0), 2.0))
_compile_apart.stop(helper)
print(helper.process.returncode, helper.errors.closed)
"""
    env = probe_env(tmp_path)
    run = subprocess.run([sys.executable, "-c", stopping], env=env, capture_output=True,
                         timeout=300, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    code, closed = run.stdout.decode().split()
    assert int(code) == -9 and closed == "True"  # killed before it could finish its compile
