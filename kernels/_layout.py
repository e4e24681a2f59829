"""Where the batch kernels keep one intent's state between the scan and the write.

Three arrays per intent, each a view the driver hands over (one column per text byte + 1,
which bounds every list below), plus one int64 `meta` row of scalars. Nothing allocates,
so the same stage functions compile for CUDA device code.

- `rec` (int32): the record the writer reads: tech and feature entries, actor, feature
  phrase and sentence spans. It lives until the result is written.
- `marks` (int64): each sentence's lexicon tech and feature ids as 128-bit sets.
- `scr` (int32): the scan's token table, word starts and JSON escapes. Only the scan, the
  rules and the sizing read it, so the CPU reuses one per thread.
"""

# Rows of `rec`.
TECH, TECH_WORD, TECH_NEG = 0, 1, 2
FEAT, FEAT_ACTION, FEAT_NEG, FEAT_CONF, FEAT_PRIO = 3, 4, 5, 6, 7
ACT_S, ACT_E, RF_S, RF_E, SEN_S, SEN_E = 8, 9, 10, 11, 12, 13
REC_ROWS = 14
# Rows of `marks`: bits 0-63 and 64-127 of the tech, then the feature, alphabetical ranks.
MARK_TECH_LO, MARK_TECH_HI, MARK_FEAT_LO, MARK_FEAT_HI = 0, 1, 2, 3
MARK_ROWS = 4
# Rows of `scr`.
TOK_WORD, TOK_FLAGS, WORD_START, WORD_PATTERNS, ESC_POS, ESC_CUM = 0, 1, 2, 3, 4, 5
SCR_ROWS = 6
# Bits of TOK_FLAGS.
ENDS_SENTENCE, ENDS_CLAUSE, NEGATED = 1, 2, 4
# Columns of `meta`.
M_TOK, M_TECH, M_FEAT, M_ACT, M_RF, M_SEN = 0, 1, 2, 3, 4, 5
M_PT, M_ARCH, M_COMPLEXITY, M_EDGES, M_FLOWS, M_LEGACY = 6, 7, 8, 9, 10, 11
M_CONF_OVERALL, M_CONF_ACTORS, M_CONF_FEATURES, M_CONF_TECH = 12, 13, 14, 15
M_WELL_FORMED, M_FLAT_FEATURES, M_OUT_LEN, M_STARTS, M_ESC = 16, 17, 18, 19, 20
META = 21
# Project types and architectures, as indexed in lexicon.PROJECT_TYPES / ARCHITECTURES.
PT_WEB_APP, PT_API, PT_UNKNOWN = 0, 1, 6
ARCH_MONOLITH, ARCH_MICROSERVICES, ARCH_SERVERLESS, ARCH_EVENT, ARCH_JAMSTACK = 0, 1, 2, 3, 4
WINDOW, LOOKBACK = 4, 4
NO = -1
