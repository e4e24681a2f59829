"""Word knowledge for the user-story extractor, as plain data.

Every list here is lowercase ASCII. `story_word_classes()` compiles them once into one table,
word -> class bitmask (the `C_*` bits of `kernels.story`); the batch kernels compile the same
table into their hash arrays, so a word changes every backend at once. Verb forms are derived
from the base forms by the regular English rules below plus the irregular table, so a verb is
listed once.
"""

from __future__ import annotations

# Base forms of verbs that user stories and backlog items use. Nouns that are also verbs
# ("report", "list", "schedule") are listed: the extractor decides by position, not by word.
VERBS = """
abort accept access account activate adapt add adjust administer adopt advertise advise affect
aggregate alert allocate allow amend analyse analyze annotate announce answer anonymise
anonymize append apply appoint approve archive arrange arrive ask assemble assess assign assist
attach attempt attend audit authenticate authorise authorize automate avoid award back backup
ban batch bid bill block book bookmark boost borrow browse budget build bulk buy calculate call
cancel cap capture care categorise categorize change charge chat check checkout choose cite
claim clarify classify clean clear click clock clone close cluster co-author collaborate collect
combine comment commit communicate compare compile complete compose compress compute configure
confirm connect consent consolidate consult contact contain continue contribute control convert
copy correct count create crop curate customise customize cut deactivate debug decide declare
decline decrypt dedupe deduplicate define delay delegate delete deliver deny deploy deposit
describe design detect determine develop disable disapprove discard disconnect discover discuss
dismiss display distribute document donate download draft drag draw drill drop duplicate edit
educate email embed enable encrypt end enforce engage enroll enrol ensure enter escalate
estimate evaluate examine exchange exclude execute exit expand expect expire explain explore
export extend extract fail favorite favourite feed fetch file fill filter finalise finalize find
finish fit fix flag focus follow forecast fork format forward freeze fulfil fulfill gather
generate geocode give grade grant group guide handle harvest hear help hide highlight hire hold
host identify ignore implement import improve include increase index indicate inform ingest
initiate input insert inspect install instruct integrate interact invite invoice issue join
justify keep label launch learn leave lend license like limit link list load locate lock
log login logout look lose maintain manage map mark match measure meet mention merge message
migrate miss moderate modify monitor move mute name navigate negotiate nominate note notify
obtain offer onboard open operate opt order organise organize overlay overspend overstay own page
paginate park participate pass pause pay perform permit persist pick pin place plan play plot plug
point populate post preview prescribe present preserve prevent print prioritise prioritize process
procure produce program promote prompt propose protect provide provision publish pull purchase
purge push put qualify quarantine query queue quote rank rate reach read reassign rebook
receive recognise recognize recommend reconcile record recover redeem redesign redirect reduce
refer refine refresh refund register reject relate release reload remain remember remind remove
rename renew reopen reorder repair repeat replace reply report represent reproduce request
require reschedule reserve reset resize resolve respond restart restore restrict resume retake
retain retrieve retry return reuse review revise revoke reward roll rotate route run save scale
scan schedule score scroll search secure see seed select sell send separate serve set settle
share ship shop show shuffle sign simulate skip solve sort specify split sponsor staff stage
start stay stop store stream submit subscribe suggest summarise summarize supply support suspend
swap swipe switch sync synchronise synchronize tag take talk target teach test text thank
throttle tick toggle track trade train transcribe transfer transform translate travel trigger
trust turn type unarchive unblock understand undo uninstall unlock unpublish unsubscribe update
upgrade upload use validate verify version view visit vote wait walk want warn watch water
withdraw work write zoom
""".split()

# (base, past, past participle, -s form when irregular or "") for verbs not following the rules.
IRREGULAR = (
    ("be", "was", "been", "is"), ("have", "had", "had", "has"), ("do", "did", "done", "does"),
    ("go", "went", "gone", "goes"), ("get", "got", "gotten", ""), ("make", "made", "made", ""),
    ("see", "saw", "seen", ""), ("give", "gave", "given", ""), ("take", "took", "taken", ""),
    ("find", "found", "found", ""), ("know", "knew", "known", ""), ("send", "sent", "sent", ""),
    ("build", "built", "built", ""), ("buy", "bought", "bought", ""), ("sell", "sold", "sold", ""),
    ("pay", "paid", "paid", ""), ("keep", "kept", "kept", ""), ("leave", "left", "left", ""),
    ("lose", "lost", "lost", ""), ("hold", "held", "held", ""), ("write", "wrote", "written", ""),
    ("read", "read", "read", ""), ("run", "ran", "run", ""), ("set", "set", "set", ""),
    ("put", "put", "put", ""), ("cut", "cut", "cut", ""), ("choose", "chose", "chosen", ""),
    ("hide", "hid", "hidden", ""), ("freeze", "froze", "frozen", ""), ("feed", "fed", "fed", ""),
    ("meet", "met", "met", ""), ("hear", "heard", "heard", ""), ("lend", "lent", "lent", ""),
    ("draw", "drew", "drawn", ""), ("show", "showed", "shown", ""), ("teach", "taught",
    "taught", ""), ("understand", "understood", "understood", ""), ("withdraw", "withdrew",
    "withdrawn", ""), ("undo", "undid", "undone", "undoes"), ("bid", "bid", "bid", ""),
    ("learn", "learnt", "learned", ""), ("broadcast", "broadcast", "broadcast", ""),
    ("overspend", "overspent", "overspent", ""), ("catch", "caught", "caught", "catches"),
    ("bring", "brought", "brought", ""), ("think", "thought", "thought", ""),
    ("tell", "told", "told", ""), ("let", "let", "let", ""), ("begin", "began", "begun", ""),
    ("break", "broke", "broken", ""), ("forget", "forgot", "forgotten", ""),
    ("spend", "spent", "spent", ""), ("win", "won", "won", ""), ("speak", "spoke", "spoken", ""),
    ("say", "said", "said", ""), ("stand", "stood", "stood", ""), ("feel", "felt", "felt", ""),
    ("rebuild", "rebuilt", "rebuilt", ""),
)  # fmt: skip

# Verbs whose final consonant doubles before -ed / -ing ("plan" -> "planned", "planning").
DOUBLING = frozenset(
    """
ban bid cap chat clip commit control drag drop fit flag log login logout map opt pin plan plot
plug ship shop skip stop submit swap tag tick zip label cancel travel model level signal
""".split()
)

# A verb that takes "in"/"on"/"over"/"through" as its particle ("log in", "check in"). Other
# verbs take only the unambiguous particles (PARTICLES_STRONG): "set up", "roll back".
PHRASAL_WEAK = frozenset(
    """
log sign check clock zoom opt fill plug turn switch dial hand take carry log-in try sign-in
""".split()
)
PARTICLES_STRONG = "up out off down back away".split()
PARTICLES_WEAK = "in on over through".split()

DETERMINERS = """
a an the this these those my our your their his her its all each every some any no several many
multiple few more most both another other such either neither one two three four five six seven
eight nine ten much
""".split()
POSSESSIVES = "my our your their his her its".split()
# Subject pronouns open a clause; object pronouns never name an entity.
SUBJECT_PRONOUNS = """
i we you he she they it someone somebody anyone anybody everyone everybody nobody others
""".split()
OBJECT_PRONOUNS = "me us him them it you one ones something anything everything nothing".split()
# Subject pronouns fused with an auxiliary ("I'd like", "it's").
SUBJECT_AUXILIARIES = "i'd i'm i've we'd we're we've it's that's there's".split()
AUXILIARIES = """
am is are was were be been being do does did have has had will would shall should can could may
might must i'd i'm i've we'd we're we've don't doesn't didn't can't cannot won't wouldn't
shouldn't isn't aren't
""".split()
BE_FORMS = "am is are was were be been being i'm we're isn't aren't".split()
HAVE_FORMS = "have has had i've we've".split()
NEGATIONS = """
not never don't doesn't didn't can't cannot won't wouldn't shouldn't isn't aren't
""".split()
# Verbs of wanting: after a subject they introduce the goal and are not actions themselves.
WANT_CUES = "want wants need needs like wish wishes require requires expect prefer love".split()
PREPOSITIONS = """
of for to with from in on at by via about into onto across between within without under over
through per after before during against as including except among toward towards throughout
upon beyond around behind inside outside near beside since until instead than like
""".split()
# Prepositions after which an -ing word is a verb ("without creating", "by dragging").
GERUND_PREPOSITIONS = "without by before after of while when instead".split()
CONJUNCTIONS = "and or nor but plus".split()
# Words that open a subordinate clause: its actions and entities are not primary.
SUBORDINATORS = """
when where while if because since until unless once whenever wherever who whom whose which that
what how whether why
""".split()
# Adverbs that are not -ly words; they end a noun phrase and never join an action.
ADVERBS = """
online offline later now first again today tomorrow together faster sooner soon early fast here
there anywhere everywhere instead too well also just only still even then always really already
ever often quickly asap immediately remotely automatically manually
""".split()
# Adverbs that do not belong to an action even before its verb ("also export" -> "export").
FOCUS_ADVERBS = "also just only still even then always really first now again already ever".split()
# -ly words that are adjectives or nouns, not adverbs.
NOT_ADVERBS = """
family supply apply reply only early daily weekly monthly yearly nightly hourly quarterly fly rely
july italy ally assembly anomaly bully holy ugly friendly lovely lonely likely silly jelly
""".split()
# Nouns of time: a phrase ending in one is a time adverbial, not an entity ("every night").
TIME_NOUNS = """
second seconds minute minutes hour hours day days night nights week weeks month months year years
time times moment moments morning evening today tomorrow future past
""".split()
# Nouns that only ever appear in adverbial idioms ("in bulk", "side by side", "a way to").
NON_ENTITY_NOUNS = "bulk side way ways lot lots advance general particular sure".split()
# Adjectives that most often modify a noun: a noun phrase of adjectives alone is no entity
# ("the best one"), and an -ing word after one modifies ("nearby charging stations").
ADJECTIVES = """
new old nearby main current previous last next recent public private local remote mobile optional
full single important common basic advanced simple custom default different same whole entire
specific various available relevant personal secure short long large small big high low ready due
visible easy easier hard quick best better good bad free extra additional
""".split()
# Verbs after which an adjective, not an object, follows ("stays friendly", "go live").
LINKING_VERBS = """
stay stays stayed remain remains remained become becomes became seem seems seemed look looks
feel feels sound sounds appear appears go goes went
""".split()
