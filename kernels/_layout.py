"""Where the batch kernels keep one intent's working set.

`ws` is an int32 array of ROWS rows and at least n + 1 columns (n = the text's byte length,
which bounds every list below); `meta` is an int64 row of per-intent scalars. Stages run in
pipeline order and each reads what earlier stages wrote. Nothing allocates, so the same
stage functions compile for CUDA device code.
"""

# Rows of `ws`.
TOK_CS, TOK_CE, TOK_WORD, TOK_FLAGS = 0, 1, 2, 3
TECH, TECH_WORD, TECH_NEG = 4, 5, 6
FEAT, FEAT_ACTION, FEAT_NEG, FEAT_CONF, FEAT_PRIO = 7, 8, 9, 10, 11
ACT_S, ACT_E, RF_S, RF_E, SEN_S, SEN_E = 12, 13, 14, 15, 16, 17
ROWS = 18
# Bits of TOK_FLAGS.
ENDS_SENTENCE, ENDS_CLAUSE, NEGATED = 1, 2, 4
# Columns of `meta`.
M_TOK, M_TECH, M_FEAT, M_ACT, M_RF, M_SEN = 0, 1, 2, 3, 4, 5
M_PT, M_ARCH, M_COMPLEXITY, M_EDGES, M_FLOWS, M_LEGACY = 6, 7, 8, 9, 10, 11
M_CONF_OVERALL, M_CONF_ACTORS, M_CONF_FEATURES, M_CONF_TECH = 12, 13, 14, 15
M_WELL_FORMED, M_FLAT_FEATURES, M_OUT_LEN = 16, 17, 18
META = 19
# Project types and architectures, as indexed in lexicon.PROJECT_TYPES / ARCHITECTURES.
PT_WEB_APP, PT_API, PT_UNKNOWN = 0, 1, 6
ARCH_MONOLITH, ARCH_MICROSERVICES, ARCH_SERVERLESS, ARCH_EVENT, ARCH_JAMSTACK = 0, 1, 2, 3, 4
WINDOW, LOOKBACK = 4, 4
NO = -1
