"""The fixed keys and messages the writer puts in every result.

A key is a pair: its string id (msgpack writes the table's copy) and its JSON bytes
`"name":` as a constant tuple, which the compiled writer stores as immediates.
"""

from __future__ import annotations

import json

from ..lexicon import LEXICON_VERSION
from ..tables.build import FIXED


def _key(name: str) -> tuple[int, tuple[int, ...]]:
    return FIXED[name], tuple(json.dumps(name).encode() + b":")


K_V, K_ID, K_ACTORS, K_FEATURES = _key("v"), _key("id"), _key("actors"), _key("features")
K_FLOWS, K_HINTS = _key("data_flows"), _key("tech_stack_hints")
K_CONSTRAINTS, K_RAW, K_EFEATURES = _key("constraints"), _key("raw"), _key("enriched_features")
K_NAME, K_ACTION, K_NEGATED = _key("name"), _key("action"), _key("negated")
K_PRIORITY, K_CONFIDENCE, K_ETECH = _key("priority"), _key("confidence"), _key("enriched_tech")
K_CANONICAL, K_MATCHED, K_CATEGORY = _key("canonical"), _key("matched_as"), _key("category")
K_PTYPE, K_ARCH = _key("project_type"), _key("architecture_pattern")
K_COMPLEXITY, K_OVERALL = _key("complexity_score"), _key("overall")
K_ACTORS_C, K_FEATURES_C, K_TECH_STACK = K_ACTORS, K_FEATURES, _key("tech_stack")
K_DEPS, K_FROM, K_TO, K_REASON = _key("dependency_graph"), _key("from"), _key("to"), _key("reason")
K_SENTENCES, K_TEXT, K_INDEX = _key("sentences"), _key("text"), _key("index")
K_FFOUND, K_TFOUND = _key("features_found"), _key("tech_found")
K_VERIFICATION, K_WELL = _key("verification"), _key("well_formed")
K_ERRORS, K_WARNINGS = _key("errors"), _key("warnings")
K_PARSER, K_BACKEND, K_LEXICON = _key("parser"), _key("backend"), _key("lexicon")
K_STORY, K_PERSONA, K_ACTIONS = _key("story"), _key("persona"), _key("actions")
K_ENTITIES, K_BENEFIT, K_PRIMARY = _key("entities"), _key("benefit"), _key("primary")

# Values (string ids): written from the table in either format.
S_ERR_EMPTY = FIXED["Intent raw text is empty"]
S_WARN_NONE = FIXED["No features extracted; intent may be underspecified"]
S_LEXICON_VERSION, S_USER = FIXED[LEXICON_VERSION], FIXED["user"]
