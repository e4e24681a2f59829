"""Intent parsing: the reference parser and the batch backends that must match it byte for byte."""

from ._api import BACKENDS, encode_result, parse, parse_batch, stats, text_id
from .lexicon import LEXICON_VERSION

__all__ = [
    "BACKENDS",
    "LEXICON_VERSION",
    "encode_result",
    "parse",
    "parse_batch",
    "stats",
    "text_id",
]
