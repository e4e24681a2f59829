"""Each package's public surface is pinned, so changes to it are deliberate."""

import kernels
import ringbuffer
import schemas
import worker


def test_schemas_api():
    assert sorted(schemas.__all__) == sorted([
        "DEFAULT_MAX_TEXT_BYTES", "DOCUMENTS", "FORMATS", "JSON", "MSGPACK", "SCHEMA_VERSION",
        "BrokerUnavailable", "DeadLetter", "GrumpError", "IntentRequest", "InvalidRecord",
        "ParseFailed", "content_type_of", "decode", "decode_request", "derived_id", "encode",
        "sniff", "validate_request",
    ])  # fmt: skip


def test_kernels_api():
    assert sorted(kernels.__all__) == sorted([
        "BACKENDS", "LEXICON_VERSION", "Batch", "EncodedResults", "choose_backend",
        "encode_batch", "encode_result", "gpu_available", "make_batch", "parse", "parse_batch",
        "stats", "text_id",
    ])  # fmt: skip


def test_worker_api():
    assert sorted(worker.__all__) == ["WorkerConfig", "build_config", "run_worker"]


def test_every_name_in_all_exists():
    for package in (schemas, kernels, ringbuffer, worker):
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"
