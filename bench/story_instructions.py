"""The user story's stages counted in instructions and branch mispredicts, under valgrind.

`bench.story_stages` times the stages; on a shared machine its figures swing. This bench
counts them instead: it runs itself under `valgrind --tool=callgrind --branch-sim=yes` with
collection off, and switches collection on only around one parse of the corpus up to each
stage, through a small C helper built here with `cc` (callgrind's client requests are
machine instructions Python cannot issue). Last, it counts the whole cpu parse
(`kernels.encode_batch`, one thread) without the story and with it: the story's share in
instructions, the figure `bench.kernels --story-cost` times. The counts repeat exactly from
run to run, so two trees compare in one run each.

valgrind runs no AVX-512, and numba's cache is keyed by the CPU it compiles for, so the
kernels are compiled for a fixed CPU (`haswell`, AVX2) in a cache of their own, outside
valgrind first (under it, a compile takes ten times as long). A run takes about three
minutes, almost all of it Python and numba starting under valgrind.

    python -m bench.story_instructions [--intents 2000] [--json]

Needs `valgrind` (with its headers) and `cc`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench._machine import commit, cpu_model

_HELPER = """#include <valgrind/callgrind.h>
void collect_on(void) { CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void collect_off(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS; }
"""
# What numba compiles for, in this run and under valgrind alike (see the module doc)
_CPU = {
    "NUMBA_CPU_NAME": "haswell",
    "NUMBA_CPU_FEATURES": "+avx,+avx2,+bmi,+bmi2,+fma,+lzcnt,+popcnt,+sse4.2,+cmov,+f16c,+movbe",
}
_EVENTS = ("Ir", "Bc", "Bcm", "Bi", "Bim")


def _child(helper: str, intents: int) -> None:
    """Under valgrind: each stage parsed once untimed, then once with collection on; then
    the whole cpu parse (`kernels.encode_batch`, as `bench.kernels` times it) without the
    story and with it, the same way."""
    import numba

    import kernels
    from bench.kernels import set_story
    from bench.story_stages import STAGES, stage_runner
    from kernels.corpus import generate_intents

    numba.set_num_threads(1)
    run_to = stage_runner(intents)
    texts = generate_intents(intents, seed=1)
    batch = kernels.make_batch(texts, [str(i) for i in range(intents)])
    if not helper:  # only compiling
        run_to(len(STAGES) - 1)
        kernels.encode_batch(batch, backend="cpu")
        return
    collect = ctypes.CDLL(helper)
    for last in range(len(STAGES)):
        run_to(last)
        collect.collect_on()
        run_to(last)
        collect.collect_off()
    for on in (False, True):
        set_story(on)
        kernels.encode_batch(batch, backend="cpu")
        collect.collect_on()
        kernels.encode_batch(batch, backend="cpu")
        collect.collect_off()


def _counts(dump: Path) -> dict[str, int]:
    for line in dump.read_text().splitlines():
        if line.startswith("summary:"):
            return dict(zip(_EVENTS, (int(x) for x in line.split()[1:]), strict=False))
    raise RuntimeError(f"no summary in {dump}")


def callgrind_dumps(tmp: str, child: Callable[[str], list[str]], flags: list[str]) -> list[Path]:
    """The dumps, in order, of the command `child(helper)` run under callgrind (with branch
    simulation and `flags`, collection off until the helper turns it on) in the folder tmp.
    The collection helper is built there first, and `child("")` compiles the kernels
    natively: under valgrind the compile takes ten times as long."""
    root = Path(__file__).resolve().parent.parent
    helper, source = os.path.join(tmp, "collect.so"), os.path.join(tmp, "collect.c")
    Path(source).write_text(_HELPER)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", helper, source], check=True)
    cache = os.path.join(tempfile.gettempdir(), "grump-stream-valgrind-numba")
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **_CPU, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": path}
    subprocess.run(child(""), check=True, env=env, cwd=root)
    out = os.path.join(tmp, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--branch-sim=yes",
                    *flags, f"--callgrind-out-file={out}", *child(helper)],
                   check=True, env=env, cwd=root, capture_output=True)  # fmt: skip
    return dumps_in(tmp)


def dumps_in(folder: str) -> list[Path]:
    """callgrind's dumps in folder, in the order they were made."""
    return sorted(Path(folder).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child, args.intents)
        return
    from bench.story_stages import STAGES

    def child(helper: str) -> list[str]:  # (no helper: compile only, on a few intents)
        return [sys.executable, "-m", "bench.story_instructions", "--child", helper,
                "--intents", str(args.intents if helper else 10)]  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        totals = [_counts(d) for d in callgrind_dumps(tmp, child, [])]
    if len(totals) != len(STAGES) + 2:
        raise RuntimeError(f"{len(totals)} callgrind dumps for {len(STAGES)} stages and 2 parses")
    n = args.intents
    per = [{e: t[e] / n for e in _EVENTS} for t in totals]
    bare, full = per[-2]["Ir"], per[-1]["Ir"]
    per = per[:-2]
    stages = {}
    for name, now, before in zip(STAGES, per, [dict.fromkeys(_EVENTS, 0.0), *per], strict=False):
        grew = {e: now[e] - before[e] for e in _EVENTS}
        stages[name] = {"instructions": round(grew["Ir"]),
                        "cond_mispredicts": round(grew["Bcm"], 1) + 0.0,  # no "-0.0"
                        "indirect_mispredicts": round(grew["Bim"], 1) + 0.0}  # fmt: skip
    story = {e: per[-1][e] - per[0][e] for e in _EVENTS}
    row = {"name": "story_instructions", "intents": n, "stages": stages,
           "story_instructions": round(story["Ir"]),
           "story_mispredicts": round(story["Bcm"] + story["Bim"], 1),
           "parse_instructions": round(full), "no_story_parse_instructions": round(bare),
           "story_share_pct": round(100 * (1 - bare / full), 1),
           "compiled_for": _CPU["NUMBA_CPU_NAME"], "device": cpu_model(),
           "commit": commit()}  # fmt: skip
    if args.json:
        print(json.dumps(row))
        return
    print(f"{n:,} intents under callgrind, kernels compiled for {row['compiled_for']} "
          f"({row['device']}, {row['commit']}); per intent, each stage beyond the one "
          "before:")  # fmt: skip
    print(f"  {'stage':22s} {'instructions':>12s} {'cond mispred':>13s} {'indirect mispred':>17s}")
    for name, s in stages.items():
        print(f"  {name:22s} {s['instructions']:12,d} {s['cond_mispredicts']:13.1f} "
              f"{s['indirect_mispredicts']:17.1f}")  # fmt: skip
    print(f"  the story in all       {row['story_instructions']:12,d} "
          f"(mispredicts {row['story_mispredicts']})")  # fmt: skip
    print(f"The whole cpu parse (encode_batch): {row['parse_instructions']:,} instructions per "
          f"intent, {row['no_story_parse_instructions']:,} without the story: the story's "
          f"share {row['story_share_pct']} %")  # fmt: skip


if __name__ == "__main__":
    main()
