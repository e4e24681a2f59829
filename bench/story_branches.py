"""Which branches of one story stage valgrind's predictor misses, instruction by instruction.

`bench.story_instructions` counts each stage's mispredicts; this bench names the branches.
It runs `callgrind --branch-sim=yes --dump-instr=yes` over one parse of the corpus up to
`--stage` (an index into `bench.story_stages.STAGES`; 2, the persona and the machine, by
default) and one up to the stage before, and keeps the difference per instruction of the
compiled code: what the stage adds. The process then copies the code pages that hold the
top branches out of its own memory, and `objdump` disassembles them, so each row shows the
instruction (with the compare or test before it, which names the class bit or state).

valgrind's predictor is simpler than a current core's: a row ranks a branch, and a core
may predict it far better (see bench/README.md, the story sections of 2026-12-02).

    python -m bench.story_branches [--stage 2] [--intents 2000] [--top 20] [--json]

Needs `valgrind` (with its headers), `cc` and `objdump`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._machine import commit, cpu_model
from bench.story_instructions import _CPU, _EVENTS, callgrind_dumps, dumps_in

_PAGE = 4096


def _jit_costs(dump: Path) -> dict[int, list[int]]:
    """Per instruction address of the compiled code (callgrind's object `???`): its
    events. A `calls=` line's next line holds a call's inclusive cost: skipped."""
    costs: dict[int, list[int]] = {}
    events: list[str] = []
    in_jit = skip = False
    for line in dump.read_text().splitlines():
        if skip:
            skip = False
        elif line.startswith("calls="):
            skip = True
        elif line.startswith("ob="):
            in_jit = line == "ob=???"
        elif line.startswith("events:"):
            events = line.split()[1:]
        elif in_jit and line.startswith("0x"):
            fields = line.split()  # address, line, then the events (trailing zeros left out)
            row = costs.setdefault(int(fields[0], 16), [0] * len(_EVENTS))
            for name, value in zip(events, fields[2:], strict=False):
                row[_EVENTS.index(name)] += int(value)
    return costs


def _child(helper: str, intents: int, stage: int, out: str) -> None:
    """Under valgrind: the parse up to the stage before and up to `stage`, each collected
    once; then the stage's own costs per instruction, and the code pages of its top
    branches copied to `out`."""
    import numba

    from bench.story_stages import stage_runner

    numba.set_num_threads(1)
    run_to = stage_runner(intents)
    for last in (stage - 1, stage):
        run_to(last)  # compiled (or loaded) and warm before it is counted
    if not helper:
        return
    collect = ctypes.CDLL(helper)
    for last in (stage - 1, stage):
        collect.collect_on()
        run_to(last)
        collect.collect_off()
    dumps = dumps_in(out)
    before, after = _jit_costs(dumps[-2]), _jit_costs(dumps[-1])
    zero = [0] * len(_EVENTS)
    own = {a: [x - y for x, y in zip(after.get(a, zero), before.get(a, zero), strict=True)]
           for a in set(before) | set(after)}  # fmt: skip
    Path(out, "costs.json").write_text(json.dumps({hex(a): c for a, c in own.items()}))
    for page in sorted({a & ~(_PAGE - 1) for a, c in own.items() if c[2] or c[4]}):
        # a page that holds an executed instruction is mapped: it can be read
        Path(out, f"page-{page:x}.bin").write_bytes(ctypes.string_at(page, _PAGE))


def _disassemble(out: Path) -> dict[int, tuple[str, str]]:
    """Each instruction of the copied pages: (its text, the one before it)."""
    listing: dict[int, tuple[str, str]] = {}
    for page_file in sorted(out.glob("page-*.bin")):
        base = int(page_file.stem.split("-")[1], 16)
        text = subprocess.run(
            ["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel",
             f"--adjust-vma={base:#x}", str(page_file)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        previous = ""
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) < 3 or not parts[0].strip().endswith(":"):
                continue  # a header, or the second line of a long instruction's bytes
            here = " ".join(parts[2].split())
            listing[int(parts[0].strip()[:-1], 16)] = (here, previous)
            previous = here
    return listing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", type=int, default=2, help="an index into STAGES, from 1")
    parser.add_argument("--intents", type=int, default=2000)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child[0], args.intents, args.stage, args.child[1])
        return
    from bench.story_stages import STAGES

    if not 1 <= args.stage < len(STAGES):
        parser.error(f"--stage must be 1 to {len(STAGES) - 1}")
    with tempfile.TemporaryDirectory() as tmp:

        def child(helper: str) -> list[str]:  # (no helper: compile only)
            return [sys.executable, "-m", "bench.story_branches", "--stage", str(args.stage),
                    "--intents", str(args.intents), "--child", helper, tmp]  # fmt: skip

        flags = ["--dump-instr=yes", "--compress-pos=no", "--compress-strings=no"]
        callgrind_dumps(tmp, child, flags)
        costs = {int(a, 16): c for a, c in json.loads(Path(tmp, "costs.json").read_text()).items()}
        listing = _disassemble(Path(tmp))
    n = args.intents
    totals = [sum(c[k] for c in costs.values()) / n for k in range(len(_EVENTS))]
    ranked = sorted(costs, key=lambda a: -(costs[a][2] + costs[a][4]))[: args.top]
    rows = [{"address": hex(a), "executed": round(costs[a][0] / n, 2),
             "cond_mispredicts": round(costs[a][2] / n, 2),
             "indirect_mispredicts": round(costs[a][4] / n, 2),
             "instruction": listing.get(a, ("?", ""))[0],
             "after": listing.get(a, ("?", ""))[1]} for a in ranked]  # fmt: skip
    report = {"name": "story_branches", "stage": STAGES[args.stage], "intents": n,
              "instructions": round(totals[0]), "cond_mispredicts": round(totals[2], 1),
              "indirect_mispredicts": round(totals[4], 1), "top": rows,
              "compiled_for": _CPU["NUMBA_CPU_NAME"], "device": cpu_model(),
              "commit": commit()}  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return
    print(f"{n:,} intents under callgrind, stage '{report['stage']}' ({report['device']}, "
          f"{report['commit']}); per intent: {report['instructions']:,} instructions, "
          f"{report['cond_mispredicts']} conditional and {report['indirect_mispredicts']} "
          "indirect mispredicts. Its top branches:")  # fmt: skip
    print(f"  {'address':>12s} {'executed':>9s} {'cond':>6s} {'indir':>6s}  instruction  (after)")
    for r in rows:
        print(f"  {r['address']:>12s} {r['executed']:9.2f} {r['cond_mispredicts']:6.2f} "
              f"{r['indirect_mispredicts']:6.2f}  {r['instruction']}  ({r['after']})")  # fmt: skip


if __name__ == "__main__":
    main()
