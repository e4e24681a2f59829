"""The lexicon compiled into flat arrays, once, for the batch kernels (CPU and GPU alike).

Every string a result can hold (names, aliases, categories, reasons …) lives in one byte
arena, referred to by id. Every word the parser looks up lives in one open-addressing hash
table keyed by FNV-1a 64 of its bytes; a hit is confirmed by comparing bytes, so hash
collisions can never change a result. A word's entry carries all its roles (tech alias,
feature key, verb, negation cue, classifier keyword part, legacy keyword, user-story word
classes).
"""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

import msgpack
import numpy as np
import orjson

from .. import lexicon as lx
from .. import reference as ref
from .._story_tokens import WORD_CLASSES

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
NO = -1
CAT_OTHER, CAT_FRONTEND, CAT_BACKEND, CAT_DATABASE = 0, 1, 2, 3

# Bits of a tech canonical's `tech_flags`.
TF_LAMBDA, TF_BROKER, TF_K8S, TF_STATIC_HOST = 1, 2, 4, 8
# Bits of a feature's `feat_flags`: substring markers the classifiers look for.
FF_UI, FF_WEB, FF_EVENT = 1, 2, 4

Tables = namedtuple(
    "Tables",
    [
        "str_data", "str_off",                      # string arena
        "json_data", "json_off", "mp_data", "mp_off",  # the same strings, encoded
        "slot_key", "slot_word",                    # hash table: slot -> word id
        "w_str", "w_tech", "w_feat_key", "w_feat_name", "w_verb", "w_neg",
        "w_pair_first", "w_pair_second", "w_kw_single", "w_kw_first", "w_kw_second",
        "w_flow", "w_legacy", "w_patterns",
        "phrase_key", "phrase_feat",                # bigram table: (w1, w2) -> feature
        "tech_str", "tech_cat_str", "tech_cat", "tech_flags", "tech_sorted",
        "tech_rank", "feat_str", "feat_flags", "feat_sorted", "feat_rank",
        "dep_from", "dep_to_str", "dep_to_feat", "dep_reason_str",
        "flow_str", "legacy_str", "legacy_tech",
        "pt_kw_mask", "pt_kw_type", "arch_kw_mask", "arch_kw_type", "pair_contrastive_mask",
        "lit_data", "lit_off",
        "action_str", "pt_str", "arch_str", "fixed_str",
        "char_class", "milli_bits",
        "w_story", "rule_words",
    ],
)  # fmt: skip

# Fixed strings the encoder writes, by position in this tuple.
FIXED_STRINGS = (
    "v", "id", "actors", "features", "data_flows", "tech_stack_hints", "constraints", "raw",
    "enriched_features", "name", "action", "negated", "priority", "confidence",
    "enriched_tech", "canonical", "matched_as", "category", "project_type",
    "architecture_pattern", "complexity_score", "overall", "tech_stack",
    "dependency_graph", "from", "to", "reason", "sentences", "text", "index",
    "features_found", "tech_found", "verification", "well_formed", "errors", "warnings",
    "Intent raw text is empty", "No features extracted; intent may be underspecified",
    "parser", "backend", "lexicon", lx.LEXICON_VERSION, "user",
    "story", "persona", "actions", "entities", "benefit", "primary",
)  # fmt: skip
FIXED = {s: i for i, s in enumerate(FIXED_STRINGS)}

CHAR_SPACE, CHAR_ALNUM = 1, 2

# Literal words of the legacy regexes, matched by the kernels' hand-written scanners.
LITERALS = (
    "as", "for", "to", "that", "and", "task", "management", "e", "commerce",
    # alternations are matched as contiguous id ranges: keep each group together, in order
    "user", "admin", "developer", "customer", "manager", "guest",
    "actor", "stakeholder",
    "build", "create", "support", "allow", "enable", "include", "add", "have",
    "with", "featuring",
    "auth", "api", "dashboard", "saas", "booking",
)  # fmt: skip
LIT = {s: i for i, s in enumerate(LITERALS)}

# The words a legacy pattern can begin with, by pattern id (the order `rules.extracts` tries
# them in); the scan records a word start only where its word run is one of these.
PATTERN_WORDS = (
    ("as",),
    ("user", "admin", "developer", "customer", "manager", "guest",
     "users", "admins", "developers", "customers", "managers", "guests"),
    ("actor", "stakeholder", "actors", "stakeholders"),
    ("for",),
    ("build", "create", "support", "allow", "enable", "include", "add", "have"),
    ("with", "featuring"),
    ("task", "auth", "api", "dashboard", "e", "ecommerce", "saas", "booking"),
)  # fmt: skip


def fnv1a(data: bytes) -> int:
    """FNV-1a 64 of bytes, as the kernels compute it."""
    h = int(FNV_OFFSET)
    for b in data:
        h = ((h ^ b) * int(FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
    return h


def pair_key(w1: int, w2: int) -> int:
    """Key of a two-word phrase in the bigram table."""
    return (w1 << 20) | w2


class _Strings:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, s: str) -> int:
        return self.ids.setdefault(s, len(self.ids))

    def arrays(self, encode=str.encode) -> tuple[np.ndarray, np.ndarray]:
        encoded = [encode(s) for s in self.ids]
        off = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=off[1:])
        return np.frombuffer(b"".join(encoded), np.uint8).copy(), off


class _Words:
    FIELDS = ("tech", "feat_key", "feat_name", "verb", "neg", "pair_first", "pair_second",
              "kw_single", "kw_first", "kw_second", "flow", "legacy", "patterns",
              "story")  # fmt: skip
    MASKS = ("pair_first", "pair_second", "kw_single", "kw_first", "kw_second", "patterns",
             "story")  # fmt: skip
    WIDE = ("kw_single", "kw_first", "kw_second", "story")  # int64 columns

    def __init__(self, strings: _Strings) -> None:
        self.strings = strings
        self.index: dict[str, int] = {}
        self.cols: dict[str, list[int]] = {f: [] for f in self.FIELDS}

    def word(self, w: str) -> int:
        if w not in self.index:
            self.index[w] = len(self.index)
            self.strings.id(w)
            for f in self.FIELDS:
                self.cols[f].append(0 if f in self.MASKS or f == "neg" else NO)
        return self.index[w]

    def set(self, w: str, field: str, value: int) -> None:
        i = self.word(w)
        if field in self.MASKS:
            self.cols[field][i] |= value
        elif self.cols[field][i] == NO or field == "neg":
            self.cols[field][i] = value


def _feature_names() -> list[str]:
    names: dict[str, None] = {}
    for canonical, _ in lx.FEATURES + lx.PHRASES:
        names.setdefault(canonical)
    return list(names)


def _classifier_phrases() -> tuple[list[tuple[str, str]], list[str]]:
    """(group, phrase) pairs: project-type groups first, then architecture groups."""
    phrases = [(g, p) for g, ps in lx.PROJECT_TYPE_KEYWORDS for p in ps]
    phrases += [("arch:" + g, p) for g, ps in lx.ARCHITECTURE_KEYWORDS for p in ps]
    groups = [g for g, _ in lx.PROJECT_TYPE_KEYWORDS] + [
        "arch:" + g for g, _ in lx.ARCHITECTURE_KEYWORDS
    ]
    return phrases, groups


def _hash_table(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    size = 1 << max(4, (4 * len(words)).bit_length())
    keys = np.zeros(size, np.uint64)
    vals = np.full(size, NO, np.int32)
    for wid, w in enumerate(words):
        h = fnv1a(w.encode())
        slot = h & (size - 1)
        while vals[slot] != NO:
            slot = (slot + 1) & (size - 1)
        keys[slot], vals[slot] = h, wid
    return keys, vals


def _phrase_table(words: _Words, feat_index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    entries = []
    for canonical, phrases in lx.PHRASES:
        for p in phrases:
            first, second = p.split(" ")
            entries.append((pair_key(words.word(first), words.word(second)), feat_index[canonical]))
    size = 1 << max(4, (4 * len(entries)).bit_length())
    keys = np.full(size, NO, np.int64)
    vals = np.full(size, NO, np.int32)
    for key, feat in entries:
        slot = (key * 0x9E3779B1) & (size - 1)
        while keys[slot] != NO:
            slot = (slot + 1) & (size - 1)
        keys[slot], vals[slot] = key, feat
    return keys, vals


def _register_words(words: _Words, feat_index: dict[str, int]) -> None:
    for t, (canonical, _, aliases) in enumerate(lx.TECH):
        for alias in (canonical, *aliases):
            words.set(alias, "tech", t)
    for canonical, keys in lx.FEATURES:
        for key in keys:
            words.set(key, "feat_key", feat_index[canonical])
    for name, idx in feat_index.items():
        words.set(name, "feat_name", idx)
    for a, (_, verbs) in enumerate(lx.VERB_ACTIONS):
        for v in verbs:
            words.set(v, "verb", a)
    for cue in lx.NEGATION_CUES:
        words.set(cue, "neg", 1)
    for j, (first, second) in enumerate(lx.NEGATION_PAIRS):
        words.set(first, "pair_first", 1 << j)
        words.set(second, "pair_second", 1 << j)
    for bit, (_, phrase) in enumerate(_classifier_phrases()[0]):
        parts = phrase.split(" ")
        last = "kw_single" if len(parts) == 1 else "kw_second"
        if len(parts) == 2:
            words.set(parts[0], "kw_first", 1 << bit)
        words.set(parts[-1], last, 1 << bit)
        words.set(parts[-1] + "s", last, 1 << bit)
    for pattern, starts in enumerate(PATTERN_WORDS):
        for w in starts:
            words.set(w, "patterns", 1 << pattern)
    for field, keywords in (("flow", lx.DATA_FLOW_KEYWORDS), ("legacy", lx.LEGACY_TECH_KEYWORDS)):
        for j, kw in enumerate(keywords):
            words.set(kw, field, j)
            words.set(kw + "s", field, j)


def _group_masks(groups: list[str], phrases: list[tuple[str, str]]) -> np.ndarray:
    masks = np.zeros(len(groups), np.int64)
    for k, (group, _) in enumerate(phrases):
        masks[groups.index(group)] |= 1 << k
    return masks


def _tech_arrays(strings: _Strings) -> dict[str, np.ndarray]:
    cat_code = {"frontend": CAT_FRONTEND, "backend": CAT_BACKEND, "database": CAT_DATABASE}
    names = [c for c, _, _ in lx.TECH]
    flags = [
        (TF_LAMBDA if c == "aws-lambda" else 0)
        | (TF_BROKER if c in lx.EVENT_BROKERS else 0)
        | (TF_K8S if c == "kubernetes" else 0)
        | (TF_STATIC_HOST if c in lx.STATIC_HOSTS else 0)
        for c in names
    ]
    return {
        "tech_str": np.array([strings.id(c) for c in names], np.int32),
        "tech_cat_str": np.array([strings.id(cat) for _, cat, _ in lx.TECH], np.int32),
        "tech_cat": np.array([cat_code.get(cat, CAT_OTHER) for _, cat, _ in lx.TECH], np.int32),
        "tech_flags": np.array(flags, np.int32),
        "tech_sorted": _sorted_ids(names),
        "tech_rank": np.argsort(_sorted_ids(names)).astype(np.int32),
    }


def _feature_arrays(strings: _Strings, names: list[str]) -> dict[str, np.ndarray]:
    def flags(n: str) -> int:
        return (
            (FF_UI if any(m in n for m in lx.UI_FEATURE_MARKERS) else 0)
            | (FF_WEB if any(m in n for m in lx.WEB_FEATURE_MARKERS) else 0)
            | (FF_EVENT if any(m in n for m in lx.EVENT_FEATURE_MARKERS) else 0)
        )

    return {
        "feat_str": np.array([strings.id(n) for n in names], np.int32),
        "feat_flags": np.array([flags(n) for n in names], np.int32),
        "feat_sorted": _sorted_ids(names),
        "feat_rank": np.argsort(_sorted_ids(names)).astype(np.int32),
    }


def _sorted_ids(names: list[str]) -> np.ndarray:
    """Ids in alphabetical order of their names."""
    return np.array(sorted(range(len(names)), key=names.__getitem__), np.int32)


def _dependency_arrays(strings: _Strings, feat_index: dict[str, int]) -> dict[str, np.ndarray]:
    rules = sorted(lx.DEPENDENCY_RULES, key=lambda r: (r[0], r[1]))
    return {
        "dep_from": np.array([feat_index[f] for f, _, _ in rules], np.int32),
        "dep_to_str": np.array([strings.id(t) for _, t, _ in rules], np.int32),
        "dep_to_feat": np.array([feat_index.get(t, NO) for _, t, _ in rules], np.int32),
        "dep_reason_str": np.array([strings.id(r) for _, _, r in rules], np.int32),
    }


def _keyword_arrays(strings: _Strings) -> dict[str, np.ndarray]:
    tech_names = {c: t for t, (c, _, _) in enumerate(lx.TECH)}
    alias_tech = {a: tech_names[c] for a, (c, _) in ref.TECH_BY_ALIAS.items()}
    return {
        "flow_str": np.array([strings.id(k) for k in lx.DATA_FLOW_KEYWORDS], np.int32),
        "legacy_str": np.array([strings.id(k) for k in lx.LEGACY_TECH_KEYWORDS], np.int32),
        "legacy_tech": np.array([alias_tech.get(k, NO) for k in lx.LEGACY_TECH_KEYWORDS], np.int32),
    }


def _register_story_words(words: _Words) -> int:
    """Add the user story's word classes (`kernels._story_tokens.WORD_CLASSES`) to the
    lexicon, after every rules word: a word run's one probe then serves both. Returns the
    count of rules words; the ids from there on are the story's alone, and the scan hands
    the rules NO for them."""
    rule_words = len(words.index)
    for w in sorted(WORD_CLASSES):
        words.set(w, "story", WORD_CLASSES[w])
    return rule_words


def _char_classes() -> np.ndarray:
    """One byte per code point: CHAR_SPACE for str.isspace, CHAR_ALNUM for str.isalnum."""
    classes = np.zeros(0x110000, np.uint8)
    for cp in range(0x110000):
        c = chr(cp)
        if c.isspace():
            classes[cp] = CHAR_SPACE
        elif c.isalnum():
            classes[cp] = CHAR_ALNUM
    return classes


@lru_cache(maxsize=1)
def build_tables() -> Tables:
    """Compile the lexicon into arrays (once per process)."""
    strings = _Strings()
    for s in FIXED_STRINGS:
        strings.id(s)
    feat_names = _feature_names()
    feat_index = {n: i for i, n in enumerate(feat_names)}
    words = _Words(strings)
    _register_words(words, feat_index)
    phrase_key, phrase_feat = _phrase_table(words, feat_index)
    rule_words = _register_story_words(words)
    phrases, groups = _classifier_phrases()
    masks = _group_masks(groups, phrases)
    n_pt = len(lx.PROJECT_TYPE_KEYWORDS)
    word_list = list(words.index)
    if not all(w.isascii() for w in word_list):  # `scan.words.spells_bytes` compares bytes
        raise ValueError("lexicon words must be ASCII")
    slot_key, slot_word = _hash_table(word_list)
    arrays = {
        "slot_key": slot_key,
        "slot_word": slot_word,
        "w_str": np.array([strings.id(w) for w in word_list], np.int32),
        **{"w_" + f: np.array(words.cols[f], np.int64 if f in _Words.WIDE else np.int32)
           for f in _Words.FIELDS},
        "rule_words": np.array([rule_words], np.int64),
        "phrase_key": phrase_key,
        "phrase_feat": phrase_feat,
        **_tech_arrays(strings),
        **_feature_arrays(strings, feat_names),
        **_dependency_arrays(strings, feat_index),
        **_keyword_arrays(strings),
        "pt_kw_mask": masks[:n_pt],
        "pt_kw_type": np.array(
            [lx.PROJECT_TYPES.index(g) for g, _ in lx.PROJECT_TYPE_KEYWORDS], np.int32),
        "arch_kw_mask": masks[n_pt:],
        "arch_kw_type": np.array(
            [lx.ARCHITECTURES.index(g) for g, _ in lx.ARCHITECTURE_KEYWORDS], np.int32),
        "pair_contrastive_mask": np.array(
            [sum(1 << j for j, p in enumerate(lx.NEGATION_PAIRS)
                 if p in lx.CONTRASTIVE_NEGATION_PAIRS)], np.int32),
        "action_str": np.array([strings.id(a) for a in lx.ACTIONS], np.int32),
        "pt_str": np.array([strings.id(p) for p in lx.PROJECT_TYPES], np.int32),
        "arch_str": np.array([strings.id(a) for a in lx.ARCHITECTURES], np.int32),
        "fixed_str": np.arange(len(FIXED_STRINGS), dtype=np.int32),
        "char_class": _char_classes(),
        "milli_bits": np.arange(1001, dtype=np.float64).__truediv__(1000).view(np.uint64),
    }  # fmt: skip
    arrays["str_data"], arrays["str_off"] = strings.arrays()
    arrays["json_data"], arrays["json_off"] = strings.arrays(orjson.dumps)
    arrays["mp_data"], arrays["mp_off"] = strings.arrays(msgpack.packb)
    lits = _Strings()
    for lit in LITERALS:
        lits.id(lit)
    arrays["lit_data"], arrays["lit_off"] = lits.arrays()
    return Tables(**arrays)


def pack_tables(tables: Tables) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tables as four 2-D arrays (u8, i32, i64, u64), one table per row (see `_rows`)."""
    from .rows import BLOBS

    dtypes = (np.uint8, np.int32, np.int64, np.uint64)
    lengths = np.zeros(64 * len(BLOBS), np.int64)  # length of blob b's row r at 64 * b + r
    for b, names in enumerate(BLOBS):
        for r, name in enumerate(names):
            if name != "lengths":
                lengths[64 * b + r] = len(getattr(tables, name))
    blobs = []
    for names, dtype in zip(BLOBS, dtypes, strict=True):
        rows = [lengths if n == "lengths" else getattr(tables, n) for n in names]
        blob = np.zeros((len(names), max(len(r) for r in rows)), dtype)
        for row, values in enumerate(rows):
            blob[row, : len(values)] = values
        blobs.append(blob)
    return tuple(blobs)  # type: ignore[return-value]


@lru_cache(maxsize=1)
def packed_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return pack_tables(build_tables())
