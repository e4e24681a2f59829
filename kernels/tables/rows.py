"""Row numbers of the packed lexicon tables (see `_tables.pack_tables`).

The batch kernels take the lexicon as four 2-D arrays, one per element type, one table per
row: `tb[BLOB][ROW, i]`. A handful of arrays compiles far faster than a tuple of dozens.
"""

U8, I32, I64, U64 = 0, 1, 2, 3  # blob positions in the tables tuple

# rows of blob U8
R_STR_DATA = 0
R_LIT_DATA = 1
R_CHAR_CLASS = 2
R_JSON_DATA = 3
R_MP_DATA = 4

# rows of blob I32
R_SLOT_WORD = 0
R_W_STR = 1
R_W_TECH = 2
R_W_FEAT_KEY = 3
R_W_FEAT_NAME = 4
R_W_VERB = 5
R_W_NEG = 6
R_W_PAIR_FIRST = 7
R_W_PAIR_SECOND = 8
R_W_FLOW = 9
R_W_LEGACY = 10
R_PHRASE_FEAT = 11
R_TECH_STR = 12
R_TECH_CAT_STR = 13
R_TECH_CAT = 14
R_TECH_FLAGS = 15
R_TECH_SORTED = 16
R_FEAT_STR = 17
R_FEAT_FLAGS = 18
R_FEAT_SORTED = 19
R_DEP_FROM = 20
R_DEP_TO_STR = 21
R_DEP_TO_FEAT = 22
R_DEP_REASON_STR = 23
R_FLOW_STR = 24
R_LEGACY_STR = 25
R_LEGACY_TECH = 26
R_PT_KW_TYPE = 27
R_ARCH_KW_TYPE = 28
R_PAIR_CONTRASTIVE_MASK = 29
R_ACTION_STR = 30
R_PT_STR = 31
R_ARCH_STR = 32
R_FIXED_STR = 33
R_W_PATTERNS = 34
R_TECH_RANK = 35
R_FEAT_RANK = 36

# rows of blob I64
R_STR_OFF = 0
R_LIT_OFF = 1
R_W_KW_SINGLE = 2
R_W_KW_FIRST = 3
R_W_KW_SECOND = 4
R_PHRASE_KEY = 5
R_PT_KW_MASK = 6
R_ARCH_KW_MASK = 7
R_LENGTHS = 8
R_JSON_OFF = 9
R_MP_OFF = 10
R_W_STORY = 11
R_RULE_WORDS = 12

# rows of blob U64
R_SLOT_KEY = 0
R_MILLI_BITS = 1

BLOBS = (
    ("str_data", "lit_data", "char_class", "json_data", "mp_data"),
    (
        "slot_word",
        "w_str",
        "w_tech",
        "w_feat_key",
        "w_feat_name",
        "w_verb",
        "w_neg",
        "w_pair_first",
        "w_pair_second",
        "w_flow",
        "w_legacy",
        "phrase_feat",
        "tech_str",
        "tech_cat_str",
        "tech_cat",
        "tech_flags",
        "tech_sorted",
        "feat_str",
        "feat_flags",
        "feat_sorted",
        "dep_from",
        "dep_to_str",
        "dep_to_feat",
        "dep_reason_str",
        "flow_str",
        "legacy_str",
        "legacy_tech",
        "pt_kw_type",
        "arch_kw_type",
        "pair_contrastive_mask",
        "action_str",
        "pt_str",
        "arch_str",
        "fixed_str",
        "w_patterns",
        "tech_rank",
        "feat_rank",
    ),
    (
        "str_off",
        "lit_off",
        "w_kw_single",
        "w_kw_first",
        "w_kw_second",
        "phrase_key",
        "pt_kw_mask",
        "arch_kw_mask",
        "lengths",
        "json_off",
        "mp_off",
        "w_story",
        "rule_words",
    ),
    ("slot_key", "milli_bits"),
)

# positions in the I64 row R_LENGTHS: table length of row R in blob B is at 64 * B + R
N_STR_DATA = 0
N_LIT_DATA = 1
N_CHAR_CLASS = 2
N_SLOT_WORD = 64
N_W_STR = 65
N_W_TECH = 66
N_W_FEAT_KEY = 67
N_W_FEAT_NAME = 68
N_W_VERB = 69
N_W_NEG = 70
N_W_PAIR_FIRST = 71
N_W_PAIR_SECOND = 72
N_W_FLOW = 73
N_W_LEGACY = 74
N_PHRASE_FEAT = 75
N_TECH_STR = 76
N_TECH_CAT_STR = 77
N_TECH_CAT = 78
N_TECH_FLAGS = 79
N_TECH_SORTED = 80
N_FEAT_STR = 81
N_FEAT_FLAGS = 82
N_FEAT_SORTED = 83
N_DEP_FROM = 84
N_DEP_TO_STR = 85
N_DEP_TO_FEAT = 86
N_DEP_REASON_STR = 87
N_FLOW_STR = 88
N_LEGACY_STR = 89
N_LEGACY_TECH = 90
N_PT_KW_TYPE = 91
N_ARCH_KW_TYPE = 92
N_PAIR_CONTRASTIVE_MASK = 93
N_ACTION_STR = 94
N_PT_STR = 95
N_ARCH_STR = 96
N_FIXED_STR = 97
N_STR_OFF = 128
N_LIT_OFF = 129
N_W_KW_SINGLE = 130
N_W_KW_FIRST = 131
N_W_KW_SECOND = 132
N_PHRASE_KEY = 133
N_PT_KW_MASK = 134
N_ARCH_KW_MASK = 135
N_SLOT_KEY = 192
N_MILLI_BITS = 193
