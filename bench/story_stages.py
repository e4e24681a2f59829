"""Where the user story's cost goes on one cpu thread: its stages added one at a time.

`bench.cpu_passes --no-story` prices the whole story; this bench splits that price. Each
round parses the corpus up to a stage (the scan without the story tokens, then with them,
then the persona and the state machine, then the dedupe, then the story block's size,
then the block written) and keeps the best of `--rounds` rounds of the thread's own CPU
time per stage; a stage's cost is its difference from the one before. The G-Rump rules are
left out: they do not feed the story.

    python -m bench.story_stages [--intents 10000] [--rounds 25] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numba
import numpy as np
from numba import njit

from bench._machine import commit, cpu_model
from kernels import cpu
from kernels._jit import jit
from kernels._layout import (
    M_ESC,
    M_STORY_ACT,
    M_STORY_ENT,
    M_STORY_TOK,
    META,
    SCR_ROWS,
    STORY_ACT_E,
    STORY_ACT_S,
    STORY_ENT_E,
    STORY_ENT_S,
)  # fmt: skip
from kernels.batch import make_batch
from kernels.corpus import generate_intents
from kernels.cpu import intent_source, record_views
from kernels.rules.story import dedupe, find_persona, reset, run
from kernels.scan.tokens import scan
from kernels.tables import packed_tables
from kernels.tables.rows import R_CHAR_CLASS
from kernels.write.story import put_story
from kernels.write.wire import FMT_JSON

STAGES = ("scan", "story tokens", "persona and machine", "dedupe", "block size", "block written")
_BLOCK_ROOM = 1 << 16  # bytes for one intent's story block, written at 0 again and again


@njit(nogil=True)
def _stages(arrays, n, label, tb, rec, marks, meta, last, out):
    """Intents [0, n) up to stage `last`; returns the story blocks' total size."""
    toff = arrays[1]
    longest = 0
    for i in range(n):
        longest = max(longest, toff[i + 1] - toff[i])
    scr = np.empty((SCR_ROWS, longest + 1), np.int32)  # as `cpu._parse` makes it
    return _intents(arrays, n, label, tb, rec, marks, meta, last, out, scr)


@jit
def _intents(arrays, n, label, tb, rec, marks, meta, last, out, scr):
    # without reference counting: `intent_source` and `record_views` hold no reference
    toff, cc, total = arrays[1], tb[0][R_CHAR_CLASS], 0
    for i in range(n):
        src = intent_source(arrays, i, label)
        r, m = record_views(rec, marks, toff, 0, i, src[1])
        t, g = src[0], meta[i]
        found = scan(t, src[1], cc, tb, r, m, scr, last >= 1)
        g[M_ESC], g[M_STORY_TOK] = found[2], found[6]
        if last >= 2:
            first, end = find_persona(scr, g, found[6])
            reset(g, end + 1 if first >= 0 else 0, first < 0)
            run(t, scr, r, g)
        if last >= 3:
            g[M_STORY_ACT] = dedupe(t, r, STORY_ACT_S, STORY_ACT_E, g[M_STORY_ACT])
            g[M_STORY_ENT] = dedupe(t, r, STORY_ENT_S, STORY_ENT_E, g[M_STORY_ENT])
        if last >= 4:
            size = put_story(out, 0, False, src, r, g, tb, FMT_JSON, scr)
            total += size
            if last >= 5 and size <= len(out):
                put_story(out, 0, True, src, r, g, tb, FMT_JSON, scr)
    return total


def stage_runner(n: int) -> Callable[[int], int]:
    """A function that parses the corpus's first n intents up to a stage (an index into
    STAGES) and returns the story blocks' total size."""
    batch = make_batch(generate_intents(n, seed=1), [str(i) for i in range(n)], None, "json")
    arrays = (batch.texts, batch.text_offsets, batch.ids, batch.id_offsets,
              batch.constraints, batch.constraint_offsets)  # fmt: skip
    label = np.frombuffer(b"cpu", np.uint8).copy()
    tb = packed_tables()
    meta = np.zeros((n, META), np.int64)
    rec, marks = cpu._buffers.take(int(batch.text_offsets[n] - batch.text_offsets[0]), n)
    out = np.empty(_BLOCK_ROOM, np.uint8)
    return lambda last: int(_stages(arrays, n, label, tb, rec, marks, meta, last, out))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    n = args.intents
    run_to = stage_runner(n)
    best = [float("inf")] * len(STAGES)
    total = 0
    for last in range(len(STAGES)):  # compiles (or loads) once
        total = run_to(last)
    for _ in range(args.rounds):
        for last in range(len(STAGES)):  # interleaved, so a busy moment hits every stage
            started = time.thread_time()
            run_to(last)
            best[last] = min(best[last], time.thread_time() - started)
    us = [1e6 * s / n for s in best]
    costs = [us[0]] + [b - a for a, b in zip(us, us[1:], strict=False)]
    row = {"name": "story_stages", "intents": n, "rounds": args.rounds,
           "stage_us": dict(zip(STAGES, (round(c, 3) for c in costs), strict=True)),
           "story_us": round(us[-1] - us[0], 3), "block_bytes": round(total / n),
           "device": cpu_model(), "commit": commit()}  # fmt: skip
    if args.json:
        print(json.dumps(row))
        return
    print(
        f"{n:,} intents, best of {args.rounds} rounds of thread CPU time ({row['device']}, "
        f"{row['commit']}); µs per intent, each stage's cost beyond the one before:"
    )
    for name, cost in zip(STAGES, costs, strict=True):
        print(f"  {name:22s} {cost:6.2f}")
    print(f"  the story in all       {us[-1] - us[0]:6.2f} (its block {row['block_bytes']} bytes)")


if __name__ == "__main__":
    main()
