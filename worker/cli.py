"""The `grump` command line: one parser, one sub-command per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

import orjson

_EXIT_ALL_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `grump` command line and return its exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except BrokenPipeError:  # `grump ... | head` is a normal way to stop reading
        return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grump", description="Compile natural-language software intents into structured plans."
    )
    parser.add_argument("--version", action="version", version=f"grump-stream {_version()}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    _add_parse(commands)
    _add_schema(commands)
    _add_worker(commands)
    from ._demo import add_demo_command
    from ._tools import add_tool_commands

    add_tool_commands(commands)
    add_demo_command(commands)
    return parser


def _add_worker(commands: Any) -> None:
    from ._config import add_worker_arguments

    p = commands.add_parser(
        "worker",
        help="run the stream worker",
        description="Consume intent requests, parse them in batches, produce results. "
        "Every flag can also be set by the GRUMP_* environment variable shown; flags win.",
    )
    add_worker_arguments(p)
    p.set_defaults(handler=_run_worker)


def _run_worker(args: argparse.Namespace) -> int:
    from ._app import run_worker_main
    from ._config import build_config

    try:
        config = build_config(args)
    except ValueError as error:
        print(f"grump worker: {error}", file=sys.stderr)
        return 2
    return run_worker_main(config)


def _add_parse(commands: Any) -> None:
    p = commands.add_parser(
        "parse",
        help="parse intents and print results",
        description="Parse one TEXT, or JSON request lines with --jsonl.",
    )
    p.add_argument("text", nargs="?", help="the intent to parse")
    p.add_argument("--jsonl", metavar="FILE", help="read request lines from FILE ('-' for stdin)")
    p.add_argument("--constraints", metavar="JSON", help="constraints object for TEXT")
    p.add_argument("--format", choices=("json", "msgpack"), default="json",
                   help="output encoding (msgpack: objects back to back)")  # fmt: skip
    p.add_argument("--pretty", action="store_true", help="indent JSON output")
    p.add_argument("--max-text-bytes", type=int, default=None,
                   help="largest accepted text in bytes (default 65536)")  # fmt: skip
    p.add_argument("--backend", choices=("reference", "cpu", "gpu", "auto"), default="reference",
                   help="parser backend; all give the same bytes (default: reference)")  # fmt: skip
    p.set_defaults(handler=_run_parse)


def _add_schema(commands: Any) -> None:
    p = commands.add_parser(
        "schema", help="print a JSON Schema", description="Print the JSON Schema document NAME."
    )
    p.add_argument("name", choices=("request", "result", "dlq"))
    p.set_defaults(handler=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    from schemas import DOCUMENTS

    sys.stdout.buffer.write(orjson.dumps(DOCUMENTS[args.name], option=orjson.OPT_INDENT_2))
    sys.stdout.buffer.write(b"\n")
    return 0


def _run_parse(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.jsonl is None):
        print("grump parse: give either TEXT or --jsonl FILE", file=sys.stderr)
        return 2
    if args.text is not None:
        return _parse_text(args)
    stream = sys.stdin.buffer if args.jsonl == "-" else open(args.jsonl, "rb")  # noqa: SIM115
    with stream:
        return _parse_lines(args, stream, sys.stdout.buffer)


def _parse_text(args: argparse.Namespace) -> int:
    import kernels

    constraints = None
    if args.constraints is not None:
        try:
            constraints = orjson.loads(args.constraints)
        except orjson.JSONDecodeError as exc:
            print(f"grump parse: --constraints is not JSON ({exc})", file=sys.stderr)
            return 2
    if not args.text.strip():
        print("grump parse: TEXT is empty", file=sys.stderr)
        return 2
    for encoded in _encode([(args.text, constraints, kernels.text_id(args.text))], args):
        _write(sys.stdout.buffer, encoded, args)
    return 0


def _parse_lines(args: argparse.Namespace, lines: Iterable[bytes], out: IO[bytes]) -> int:
    from schemas import DEFAULT_MAX_TEXT_BYTES, InvalidRecord, decode_request

    max_bytes = args.max_text_bytes or DEFAULT_MAX_TEXT_BYTES
    requests: list[tuple[str, Any, str]] = []
    errors: dict[int, bytes] = {}  # position among the output lines -> error line
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            req = decode_request(line.rstrip(b"\r\n"), "application/json", max_bytes)
        except InvalidRecord as exc:
            error = {"error": {"line": number, "code": exc.code, "message": exc.message}}
            errors[len(requests) + len(errors)] = orjson.dumps(error) + b"\n"
            continue
        requests.append((req.text, req.constraints, req.id or f"line-{number}"))
    results = iter(_encode(requests, args)) if requests else iter(())
    for position in range(len(requests) + len(errors)):
        if position in errors:
            out.write(errors[position])
        else:
            _write(out, next(results), args)
    return _EXIT_ALL_FAILED if errors and not requests else 0


def _encode(requests: list[tuple[str, Any, str]], args: argparse.Namespace) -> list[bytes]:
    """Encoded results of (text, constraints, id) requests, parsed as one batch."""
    import kernels

    texts, constraints, ids = (list(column) for column in zip(*requests, strict=True))
    batch = kernels.make_batch(texts, ids, constraints, args.format)
    return kernels.encode_batch(batch, backend=args.backend).to_list()


def _write(out: IO[bytes], encoded: bytes, args: argparse.Namespace) -> None:
    if args.format == "json" and args.pretty:
        out.write(orjson.dumps(orjson.loads(encoded), option=orjson.OPT_INDENT_2) + b"\n")
    elif args.format == "json":
        out.write(encoded + b"\n")
    else:
        out.write(encoded)


def _version() -> str:
    try:
        return version("grump-stream")
    except PackageNotFoundError:
        return "0+unknown"


if __name__ == "__main__":
    sys.exit(main())
