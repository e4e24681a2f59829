"""String ids of the fixed keys and messages the writer puts in every result."""

from __future__ import annotations

from ..lexicon import LEXICON_VERSION
from ..tables.build import FIXED

K = {name: FIXED[name] for name in FIXED}
K_V, K_ID, K_ACTORS, K_FEATURES, K_FLOWS, K_HINTS = (
    K["v"],
    K["id"],
    K["actors"],
    K["features"],
    K["data_flows"],
    K["tech_stack_hints"],
)
K_CONSTRAINTS, K_RAW, K_EFEATURES, K_NAME, K_ACTION, K_NEGATED = (
    K["constraints"],
    K["raw"],
    K["enriched_features"],
    K["name"],
    K["action"],
    K["negated"],
)
K_PRIORITY, K_CONFIDENCE, K_ETECH, K_CANONICAL, K_MATCHED, K_CATEGORY = (
    K["priority"],
    K["confidence"],
    K["enriched_tech"],
    K["canonical"],
    K["matched_as"],
    K["category"],
)
K_PTYPE, K_ARCH, K_COMPLEXITY, K_OVERALL, K_ACTORS_C, K_FEATURES_C, K_TECH_STACK = (
    K["project_type"],
    K["architecture_pattern"],
    K["complexity_score"],
    K["overall"],
    K["actors"],
    K["features"],
    K["tech_stack"],
)
K_DEPS, K_FROM, K_TO, K_REASON, K_SENTENCES, K_TEXT, K_INDEX = (
    K["dependency_graph"],
    K["from"],
    K["to"],
    K["reason"],
    K["sentences"],
    K["text"],
    K["index"],
)
K_FFOUND, K_TFOUND, K_VERIFICATION, K_WELL, K_ERRORS, K_WARNINGS = (
    K["features_found"],
    K["tech_found"],
    K["verification"],
    K["well_formed"],
    K["errors"],
    K["warnings"],
)
K_ERR_EMPTY = K["Intent raw text is empty"]
K_WARN_NONE = K["No features extracted; intent may be underspecified"]
K_PARSER, K_BACKEND, K_LEXICON, K_LEXICON_VERSION, K_USER = (
    K["parser"],
    K["backend"],
    K["lexicon"],
    K[LEXICON_VERSION],
    K["user"],
)
K_STORY = K["story"]
