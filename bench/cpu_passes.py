"""One cpu-backend thread's two passes, timed apart: the parse (scan, rules, story and the
result's size) and the write, in CPU-µs per intent.

`bench.kernels` times whole batches by the wall clock, which on a shared box moves by a
fifth from run to run. This bench takes the best of many rounds of the thread's own CPU
time for each pass, so two trees can be compared on a busy machine: run it in each
checkout, alternating. The digest of the output bytes shows that both wrote the same;
`--no-story` parses without the user story (an empty block is written), to price it.

    python -m bench.cpu_passes [--intents 10000] [--format json] [--rounds 25] [--no-story] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

import numba
import numpy as np

from bench._machine import commit, cpu_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--format", choices=("json", "msgpack"), default="json")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--no-story", action="store_true", help="parse without the story")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    from kernels import cpu
    from kernels._layout import M_OUT_LEN, META, PARSE_NO_STORY
    from kernels.batch import make_batch, parse_format
    from kernels.corpus import generate_intents
    from kernels.tables import packed_tables

    n = args.intents
    batch = make_batch(generate_intents(n, seed=1), [str(i) for i in range(n)], None, args.format)
    cpu.encode_batch(batch)  # compiles (or loads) the kernels
    arrays = (batch.texts, batch.text_offsets, batch.ids, batch.id_offsets,
              batch.constraints, batch.constraint_offsets)  # fmt: skip
    label = np.frombuffer(b"cpu", np.uint8).copy()
    tb, fmt = packed_tables(), cpu._FORMATS[args.format]
    meta = np.zeros((n, META), np.int64)
    offsets = np.zeros(n + 1, np.int64)
    rec, marks = cpu._buffers.take(int(batch.text_offsets[n] - batch.text_offsets[0]), n)
    parse_fmt = parse_format(fmt) | (PARSE_NO_STORY if args.no_story else 0)
    parse_s, write_s = [], []
    for _ in range(args.rounds):
        started = time.thread_time()
        cpu._parse(arrays, 0, 0, n, label, tb, parse_fmt, rec, marks, meta)
        parse_s.append(time.thread_time() - started)
        np.cumsum(meta[:, M_OUT_LEN], out=offsets[1:])
        out = np.empty(int(offsets[-1]), np.uint8)
        started = time.thread_time()
        cpu._write(arrays, 0, 0, n, label, tb, fmt, rec, marks, meta, out, offsets)
        write_s.append(time.thread_time() - started)
    digest = hashlib.blake2b(out.tobytes(), digest_size=6).hexdigest()
    parse_us, write_us = 1e6 * min(parse_s) / n, 1e6 * min(write_s) / n
    row = {"name": "cpu_passes", "intents": n, "format": args.format, "rounds": args.rounds,
           "story": not args.no_story,
           "parse_us": round(parse_us, 2), "write_us": round(write_us, 2),
           "total_us": round(parse_us + write_us, 2), "result_bytes": round(offsets[-1] / n),
           "digest": digest, "device": cpu_model(), "commit": commit()}  # fmt: skip
    if args.json:
        print(json.dumps(row))
        return
    print(f"{args.format}, {n:,} intents, best of {args.rounds} rounds of thread CPU time "
          f"({row['device']}, {row['commit']}):\n  parse (scan, rules, story, size) "
          f"{parse_us:.2f} µs/intent\n  write {write_us:.2f} µs/intent\n  total "
          f"{parse_us + write_us:.2f} µs/intent ({1e6 / (parse_us + write_us):,.0f} intents "
          f"per CPU-second); {row['result_bytes']} bytes per result, digest {digest}")  # fmt: skip


if __name__ == "__main__":
    main()
