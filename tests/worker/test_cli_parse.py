"""The `grump` command line, run as a real process."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import msgpack
import orjson

from schemas import DOCUMENTS


def grump(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *args], input=stdin, capture_output=True, timeout=60
    )


def test_parse_text_prints_one_valid_result():
    run = grump("parse", "Build a web app with React and Postgres. No payments.",
                "--constraints", '{"budget": "low"}')  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = orjson.loads(run.stdout)
    jsonschema.validate(result, DOCUMENTS["result"])
    assert result["constraints"] == {"budget": "low"}
    assert result["project_type"] == "web_app"
    assert result["story"] == {"persona": None, "actions": [{"text": "Build", "primary": True}],
                               "entities": [{"text": "web app", "primary": True},
                                            {"text": "React", "primary": False},
                                            {"text": "Postgres", "primary": False}],
                               "benefit": None}  # fmt: skip


def test_parse_shows_the_story_block_on_every_backend():
    text = "As a UI designer, I want to redesign the Resources page, so that it fits."
    story = {"persona": "UI designer",
             "actions": [{"text": "redesign", "primary": True}, {"text": "fits", "primary": False}],
             "entities": [{"text": "Resources page", "primary": True}],
             "benefit": "it fits"}  # fmt: skip
    for backend in ("reference", "cpu"):
        run = grump("parse", text, "--backend", backend)
        assert run.returncode == 0, run.stderr
        result = orjson.loads(run.stdout)
        jsonschema.validate(result, DOCUMENTS["result"])
        assert result["story"] == story


def test_parse_jsonl_reports_bad_lines_and_keeps_going():
    lines = b'{"id": "a", "text": "Create a CLI"}\n{oops\n{"text": ""}\n\n{"text": "No redis"}\n'
    run = grump("parse", "--jsonl", "-", stdin=lines)
    assert run.returncode == 0
    out = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, None, "line-5"]
    assert out[1]["error"]["code"] == "malformed_json" and out[1]["error"]["line"] == 2
    assert out[2]["error"]["code"] == "text_empty"


def test_parse_jsonl_fails_only_when_every_line_fails():
    run = grump("parse", "--jsonl", "-", stdin=b"nope\n[1]\n")
    assert run.returncode == 1
    assert len(run.stdout.splitlines()) == 2


def test_parse_msgpack_output():
    run = grump("parse", "Deploy to Kubernetes", "--format", "msgpack")
    result = msgpack.unpackb(run.stdout)
    assert result["architecture_pattern"] == "microservices"


def test_parse_rejects_empty_text_and_missing_input():
    assert grump("parse", "   ").returncode == 2
    assert grump("parse").returncode == 2


def test_schema_command_prints_each_document():
    for name in ("request", "result", "dlq"):
        run = grump("schema", name)
        assert run.returncode == 0
        assert orjson.loads(run.stdout) == orjson.loads(orjson.dumps(DOCUMENTS[name]))


def test_version_and_help():
    assert grump("--version").stdout.startswith(b"grump-stream ")
    for args in (["--help"], ["parse", "--help"], ["schema", "--help"]):
        assert grump(*args).returncode == 0
