"""Where the batch kernels keep one intent's state between the scan and the write.

Three arrays per intent, each a view the driver hands over (one column per text byte + 1,
which bounds every list below), plus one int64 `meta` row of scalars. Nothing allocates,
so the same stage functions compile for CUDA device code.

- `rec` (int32): the record the writer reads: tech and feature entries, actor, feature
  phrase and sentence spans. It lives until the result is written.
- `marks` (int64): each sentence's lexicon tech and feature ids as 128-bit sets.
- `scr` (int32): the scan's token table, word starts and JSON escapes, and the user-story
  tokens (span, class bits, following gap). Only the scan, the rules and the sizing read it,
  so the CPU reuses one per thread.

The user story keeps its actions and entities in `rec` (end * 2 + primary), persona and
benefit spans and counts in `meta`, and its state machine's registers in `meta` too: a
dozen scalars per intent, so nothing allocates on any backend.
"""

# Rows of `rec`.
TECH, TECH_WORD, TECH_NEG = 0, 1, 2
FEAT, FEAT_ACTION, FEAT_NEG, FEAT_CONF, FEAT_PRIO = 3, 4, 5, 6, 7
ACT_S, ACT_E, RF_S, RF_E, SEN_S, SEN_E = 8, 9, 10, 11, 12, 13
STORY_ACT_S, STORY_ACT_E, STORY_ENT_S, STORY_ENT_E = 14, 15, 16, 17
REC_ROWS = 18
# Rows of `marks`: bits 0-63 and 64-127 of the tech, then the feature, alphabetical ranks.
MARK_TECH_LO, MARK_TECH_HI, MARK_FEAT_LO, MARK_FEAT_HI = 0, 1, 2, 3
MARK_ROWS = 4
# Rows of `scr`.
TOK_WORD, TOK_FLAGS, WORD_START, WORD_PATTERNS, ESC_POS, ESC_CUM = 0, 1, 2, 3, 4, 5
STK_S, STK_E, STK_LO, STK_HI = 6, 7, 8, 9  # story tokens: span, class bits 0-31, 32+ | gap before
SCR_ROWS = 10
# Bits of TOK_FLAGS.
ENDS_SENTENCE, ENDS_CLAUSE, NEGATED = 1, 2, 4
# Columns of `meta`.
M_TOK, M_TECH, M_FEAT, M_ACT, M_RF, M_SEN = 0, 1, 2, 3, 4, 5
M_PT, M_ARCH, M_COMPLEXITY, M_EDGES, M_FLOWS, M_LEGACY = 6, 7, 8, 9, 10, 11
M_CONF_OVERALL, M_CONF_ACTORS, M_CONF_FEATURES, M_CONF_TECH = 12, 13, 14, 15
M_WELL_FORMED, M_FLAT_FEATURES, M_OUT_LEN, M_STARTS, M_ESC = 16, 17, 18, 19, 20
# the user story: token count, persona and benefit byte spans (NO: none), list lengths
M_STORY_TOK, M_PERSONA_S, M_PERSONA_E, M_BENEFIT_S, M_BENEFIT_E = 21, 22, 23, 24, 25
M_STORY_ACT, M_STORY_ENT = 26, 27
STORY_META_END = M_STORY_ENT + 1  # M_STORY_TOK up to here: the story's results
# registers of the story state machine (see kernels/_story_machine.py for their meaning)
G_STATE, G_PRIMARY, G_IMP_OK, G_REDO, G_NEXT, G_COMMA, G_START = 28, 29, 30, 31, 32, 33, 34
G_NP_START, G_NP_END, G_NP_ROLE, G_NP_WORDS, G_NP_NEG, G_NP_PRIMARY = 35, 36, 37, 38, 39, 40
G_NP_DET, G_LAST_ROLE, G_PREP_GERUND, G_ADV_START, G_PASSIVE = 41, 42, 43, 44, 45
G_AFTER_ADV, G_HAD_PARTICLE, G_WANT_INF, G_PEND_ENT, G_PEND_VERB = 46, 47, 48, 49, 50
G_BEN_START, G_BEN_END = 51, 52  # token indices
META = 53
# Project types and architectures, as indexed in lexicon.PROJECT_TYPES / ARCHITECTURES.
PT_WEB_APP, PT_API, PT_UNKNOWN = 0, 1, 6
ARCH_MONOLITH, ARCH_MICROSERVICES, ARCH_SERVERLESS, ARCH_EVENT, ARCH_JAMSTACK = 0, 1, 2, 3, 4
WINDOW, LOOKBACK = 4, 4
NO = -1
# A bit the drivers may set on `fmt` for the parse only: skip the user story (an empty
# block is written). bench/kernels.py's `--story-cost` uses it to time what the story costs.
PARSE_NO_STORY = 1 << 8
# Another: cut the story tokens in a pass of their own in `story_one`, not in the scan (the
# GPU, where a launch of one wave runs the story beside the rules, not after them).
PARSE_STORY_APART = 1 << 9
PARSE_FLAGS = PARSE_NO_STORY | PARSE_STORY_APART
