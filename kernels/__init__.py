"""Intent parsing: the reference parser and the batch backends that must match it byte for byte."""

from ._api import (
    BACKENDS,
    choose_backend,
    encode_batch,
    encode_result,
    gpu_available,
    parse,
    parse_batch,
    stats,
    text_id,
)
from .batch import Batch, EncodedResults, make_batch
from .lexicon import LEXICON_VERSION

__all__ = [
    "BACKENDS",
    "LEXICON_VERSION",
    "Batch",
    "EncodedResults",
    "choose_backend",
    "encode_batch",
    "encode_result",
    "gpu_available",
    "make_batch",
    "parse",
    "parse_batch",
    "stats",
    "text_id",
]
