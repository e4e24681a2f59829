"""Where one cpu-backend thread spends its time, by compiled function (Linux `perf`).

    python -m bench.cpu_profile [--intents N] [--seconds S] [--top K] [--json]

numba's machine code has no symbols `perf` can read, so this driver compiles the kernels
afresh (an empty numba cache in a temporary directory: a cached load keeps no function
names; the writer, which compiles in a helper process elsewhere, compiles here too), parses
the corpus on one thread until steady, then has `perf record` sample only the steady loop
(started disabled, enabled through a control FIFO) and writes a perf map
(`/tmp/perf-PID.map`) of every compiled function's address. The report lists the hottest
functions; a name printed twice is the same function compiled twice (the writers' sizing
and writing passes). Needs `perf` and permission to sample (perf_event_paranoid <= 2).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._machine import commit

_MANGLED = re.compile(r"_ZN((?:\d+[A-Za-z_]\w*?)+)B\d+v\d+B.*")


def _pretty(symbol: str) -> str:
    """kernels.scan.tokens.scan from numba's mangled `_ZN7kernels4scan6tokens4scanB3v14B...`."""
    match = _MANGLED.match(symbol)
    if not match:
        return symbol
    parts, rest = [], match.group(1)
    while rest and rest[0].isdigit():
        digits = re.match(r"\d+", rest).group()  # type: ignore[union-attr]
        size = int(digits)
        parts.append(rest[len(digits) : len(digits) + size])
        rest = rest[len(digits) + size :]
    return ".".join(parts)


def _write_perf_map() -> int:
    """Every compiled function of this process, by address, in perf's map format."""
    from numba.core.dispatcher import Dispatcher

    starts = set()
    for obj in gc.get_objects():
        if not isinstance(obj, Dispatcher):
            continue
        for cres in obj.overloads.values():
            library = cres.library
            module = getattr(library, "_final_module", None)
            for fn in module.functions if module is not None else ():
                if not fn.is_declaration:
                    address = library.get_pointer_to_function(fn.name)
                    if address:
                        starts.add((address, _pretty(fn.name)))
    ordered = sorted(starts)
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as out:
        for (address, name), (after, _) in zip(ordered, [*ordered[1:], (0, "")], strict=True):
            size = min(after - address, 1 << 20) if after else 1 << 16
            out.write(f"{address:x} {size:x} {name}\n")
    return len(ordered)


def _steady_loop(intents: int, seconds: float, control: str) -> None:
    """The child under `perf record`: warm up, enable sampling, parse, write the map."""
    import numba

    numba.set_num_threads(1)
    import kernels
    from kernels import _compile_apart
    from kernels.corpus import generate_intents

    _compile_apart.start = lambda dispatcher, args: None  # the writer too, in this process

    texts = generate_intents(intents, seed=1)
    batch = kernels.make_batch(texts, [str(i) for i in range(len(texts))])
    kernels.encode_batch(batch, backend="cpu")  # compiles
    with open(control, "w") as fifo:
        fifo.write("enable\n")
    started, batches = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        kernels.encode_batch(batch, backend="cpu")
        batches += 1
    with open(control, "w") as fifo:
        fifo.write("disable\n")
    took = time.perf_counter() - started
    print(f"{batches * intents / took:,.0f} intents/s on one thread while sampled "
          f"({_write_perf_map()} compiled functions mapped)")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _steady_loop(args.intents, args.seconds, args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        control, data = Path(tmp) / "ctl", Path(tmp) / "perf.data"
        os.mkfifo(control)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba"))
        child = [sys.executable, "-m", "bench.cpu_profile", "--intents", str(args.intents),
                 "--seconds", str(args.seconds), "--child", str(control)]  # fmt: skip
        sampled = subprocess.run(
            ["perf", "record", "-q", "-F", "1999", "-D", "-1", "-o", str(data),
             f"--control=fifo:{control}", *child], env=env, check=True, capture_output=True,
            text=True,
        ).stdout.strip()  # fmt: skip
        report = subprocess.run(
            ["perf", "report", "-i", str(data), "--no-children", "--sort", "symbol",
             "--stdio", "-q"], capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    rows = [line.split(None, 2) for line in report.splitlines() if "%" in line]
    top = [(share, _pretty(symbol.split("  ")[0].strip())) for share, _, symbol in rows]
    if args.json:
        print(json.dumps({"name": "cpu_profile", "sampled": sampled, "commit": commit(),
                          "top": [{"share_pct": float(share.rstrip("%")), "function": name}
                                  for share, name in top[: args.top]]}))  # fmt: skip
        return
    print(sampled)
    print(f"{'share':>7}  function")
    for share, name in top[: args.top]:
        print(f"{share:>7}  {name}")


if __name__ == "__main__":
    main()
