"""The parser's lexicon as plain data tables.

Every table here is a fact about the G-Rump intent compiler's vocabulary (see
`kernels/README.md` for where we deliberately differ). The reference parser reads these
tables directly; the batch kernels compile the same tables into arrays once at import, so
changing a word here changes every backend at once. Bump `LEXICON_VERSION` with any change:
it travels in every result so consumers can tell parses from different vocabularies apart.
"""

from __future__ import annotations

LEXICON_VERSION = "grump-lexicon-1"

TECH_CATEGORIES = (
    "frontend", "backend", "database", "dev_ops", "language", "framework", "tool", "cloud",
)  # fmt: skip

# (canonical, category, other aliases). The canonical itself is always an alias too.
# Aliases holding '.', '#' or '/' can never equal a token (tokens drop those characters);
# they are kept for fidelity, and the stripped spelling is listed beside them.
TECH: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("postgresql", "database", ("pg", "postgres")),
    ("mongodb", "database", ("mongo",)),
    ("mysql", "database", ()),
    ("mariadb", "database", ()),
    ("sqlite", "database", ("sqlite3",)),
    ("redis", "database", ()),
    ("memcached", "database", ()),
    ("dynamodb", "database", ("dynamo",)),
    ("cassandra", "database", ()),
    ("couchdb", "database", ()),
    ("neo4j", "database", ()),
    ("elasticsearch", "database", ("elastic",)),
    ("supabase", "database", ()),
    ("firebase", "database", ("firestore",)),
    ("cockroachdb", "database", ()),
    ("planetscale", "database", ()),
    ("neon", "database", ()),
    ("turso", "database", ()),
    ("react", "frontend", ("reactjs", "react.js")),
    ("vue", "frontend", ("vuejs", "vue.js")),
    ("svelte", "frontend", ()),
    ("sveltekit", "frontend", ()),
    ("angular", "frontend", ("angularjs",)),
    ("nextjs", "frontend", ("next.js", "next")),
    ("nuxt", "frontend", ("nuxtjs", "nuxt.js")),
    ("gatsby", "frontend", ()),
    ("remix", "frontend", ()),
    ("solidjs", "frontend", ("solid",)),
    ("preact", "frontend", ()),
    ("astro", "frontend", ()),
    ("htmx", "frontend", ()),
    ("tailwindcss", "frontend", ("tailwind",)),
    ("bootstrap", "frontend", ()),
    ("material-ui", "frontend", ("mui",)),
    ("chakra-ui", "frontend", ("chakra",)),
    ("express", "backend", ("expressjs", "express.js")),
    ("fastify", "backend", ()),
    ("koa", "backend", ()),
    ("hapi", "backend", ()),
    ("nestjs", "backend", ("nest",)),
    ("django", "backend", ()),
    ("flask", "backend", ()),
    ("fastapi", "backend", ()),
    ("rails", "backend", ()),
    ("spring", "backend", ()),
    ("spring-boot", "backend", ("springboot",)),
    ("laravel", "backend", ()),
    ("phoenix", "backend", ()),
    ("gin", "backend", ()),
    ("fiber", "backend", ()),
    ("actix", "backend", ()),
    ("axum", "backend", ()),
    ("rocket", "backend", ()),
    ("nodejs", "backend", ("node", "node.js")),
    ("deno", "backend", ()),
    ("bun", "backend", ()),
    ("prisma", "tool", ()),
    ("drizzle", "tool", ()),
    ("graphql", "tool", ()),
    ("grpc", "tool", ()),
    ("trpc", "tool", ()),
    ("webpack", "tool", ()),
    ("vite", "tool", ()),
    ("esbuild", "tool", ()),
    ("turbopack", "tool", ()),
    ("storybook", "tool", ()),
    ("jest", "tool", ()),
    ("vitest", "tool", ()),
    ("playwright", "tool", ()),
    ("cypress", "tool", ()),
    ("stripe", "tool", ()),
    ("auth0", "tool", ()),
    ("clerk", "tool", ()),
    ("oauth", "tool", ()),
    ("jwt", "tool", ()),
    ("kafka", "tool", ()),
    ("rabbitmq", "tool", ()),
    ("celery", "tool", ()),
    ("socket.io", "tool", ("socketio",)),
    ("websocket", "tool", ("websockets",)),
    ("javascript", "language", ("js",)),
    ("typescript", "language", ("ts",)),
    ("python", "language", ("py",)),
    ("rust", "language", ()),
    ("go", "language", ("golang",)),
    ("java", "language", ()),
    ("kotlin", "language", ()),
    ("ruby", "language", ()),
    ("php", "language", ()),
    ("swift", "language", ()),
    ("csharp", "language", ("c#",)),
    ("elixir", "language", ()),
    ("scala", "language", ()),
    ("dart", "language", ()),
    ("docker", "dev_ops", ()),
    ("kubernetes", "dev_ops", ("k8s", "kube")),
    ("terraform", "dev_ops", ()),
    ("ansible", "dev_ops", ()),
    ("jenkins", "dev_ops", ()),
    ("github-actions", "dev_ops", ()),
    ("ci-cd", "dev_ops", ("ci/cd", "cicd")),
    ("nginx", "dev_ops", ()),
    ("caddy", "dev_ops", ()),
    ("aws", "cloud", ()),
    ("gcp", "cloud", ()),
    ("azure", "cloud", ()),
    ("vercel", "cloud", ()),
    ("netlify", "cloud", ()),
    ("heroku", "cloud", ()),
    ("fly.io", "cloud", ("flyio", "fly")),
    ("railway", "cloud", ()),
    ("cloudflare", "cloud", ()),
    ("digitalocean", "cloud", ()),
    ("aws-s3", "cloud", ("s3",)),
    ("aws-lambda", "cloud", ("lambda",)),
    ("aws-sqs", "cloud", ("sqs",)),
    ("aws-sns", "cloud", ("sns",)),
)

# Single-token feature keys: canonical <- tokens (the canonical is a key only where listed).
FEATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authentication", ("auth", "authentication", "login", "signin", "sign-in")),
    ("registration", ("signup", "sign-up", "register", "registration")),
    ("single-sign-on", ("sso",)),
    ("oauth-authentication", ("oauth",)),
    ("two-factor-auth", ("2fa",)),
    ("multi-factor-auth", ("mfa",)),
    ("role-based-access", ("rbac",)),
    ("authorization", ("permissions", "authorization")),
    ("access-control", ("acl",)),
    ("crud-operations", ("crud",)),
    ("database", ("database", "db")),
    ("data-modeling", ("schema",)),
    ("database-migrations", ("migration",)),
    ("orm", ("orm",)),
    ("api", ("api",)),
    ("rest-api", ("rest", "restful")),
    ("graphql-api", ("graphql",)),
    ("grpc-api", ("grpc",)),
    ("webhooks", ("webhook", "webhooks")),
    ("rate-limiting", ("throttle",)),
    ("dashboard", ("dashboard",)),
    ("admin-panel", ("admin",)),
    ("responsive-design", ("responsive",)),
    ("theming", ("theme",)),
    ("internationalization", ("i18n", "internationalization", "localization", "l10n")),
    ("real-time", ("real-time", "realtime")),
    ("chat", ("chat",)),
    ("messaging", ("messaging",)),
    ("notifications", ("notifications",)),
    ("e-commerce", ("e-commerce", "ecommerce")),
    ("shopping-cart", ("cart",)),
    ("checkout", ("checkout",)),
    ("payments", ("payment", "payments")),
    ("billing", ("billing",)),
    ("subscriptions", ("subscription", "subscriptions")),
    ("pricing", ("pricing",)),
    ("content-management", ("cms",)),
    ("blog", ("blog",)),
    ("search", ("search",)),
    ("file-upload", ("upload",)),
    ("media-management", ("media",)),
    ("ci-cd", ("cicd",)),
    ("deployment", ("deployment",)),
    ("monitoring", ("monitoring",)),
    ("logging", ("logging",)),
    ("analytics", ("analytics",)),
    ("metrics", ("metrics",)),
    ("caching", ("caching", "cache")),
    ("message-queue", ("queue",)),
    ("scheduled-tasks", ("cron", "scheduler")),
    ("testing", ("testing",)),
    ("e2e-testing", ("e2e",)),
    ("encryption", ("encryption",)),
    ("ssl-tls", ("ssl", "tls", "https")),
    ("cors", ("cors",)),
    ("csrf-protection", ("csrf",)),
    ("xss-protection", ("xss",)),
    ("email", ("email", "smtp")),
    ("pdf-generation", ("pdf",)),
    ("data-export", ("export",)),
    ("data-import", ("import",)),
    ("csv-support", ("csv",)),
    ("multi-tenancy", ("multi-tenant", "multitenancy")),
    ("saas", ("saas",)),
    ("booking-system", ("booking",)),
    ("kanban-board", ("kanban",)),
    ("calendar", ("calendar",)),
    ("maps-integration", ("map",)),
    ("geolocation", ("geolocation",)),
    ("user-profiles", ("profile",)),
    ("settings-panel", ("settings",)),
    ("onboarding", ("onboarding",)),
    ("setup-wizard", ("wizard",)),
)

# Two-token phrases ("first second"): canonical <- phrases.
PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authentication", ("log in", "sign in")),
    ("registration", ("sign up",)),
    ("logout", ("log out", "sign out")),
    ("role-based-access", ("role based",)),
    ("access-control", ("access control",)),
    ("rate-limiting", ("rate limit", "rate limiting")),
    ("real-time", ("real time", "live update", "live updates")),
    ("push-notifications", ("push notification", "push notifications")),
    ("shopping-cart", ("shopping cart",)),
    ("admin-panel", ("admin panel", "admin dashboard")),
    ("landing-page", ("landing page",)),
    ("dark-mode", ("dark mode",)),
    ("file-upload", ("file upload",)),
    ("image-upload", ("image upload",)),
    ("full-text-search", ("full text", "text search")),
    ("message-queue", ("message queue",)),
    ("job-queue", ("job queue",)),
    ("background-jobs", ("background job", "background jobs")),
    ("unit-testing", ("unit test", "unit tests")),
    ("e2e-testing", ("end to",)),
    ("audit-logging", ("audit log", "audit logs")),
    ("data-modeling", ("data model",)),
    ("rest-api", ("rest api",)),
    ("password-reset", ("password reset", "forgot password")),
    ("single-sign-on", ("single sign",)),
    ("two-factor-auth", ("two factor",)),
    ("multi-tenancy", ("multi tenant",)),
    ("task-management", ("task management",)),
    ("project-management", ("project management",)),
    ("user-profiles", ("user profile", "user profiles")),
    ("social-login", ("social login",)),
)

NEGATION_CUES = (
    "don't", "dont", "doesn't", "doesnt", "not", "no", "never", "without", "avoid", "skip",
    "exclude", "remove", "drop", "disable", "won't", "wont", "shouldn't", "shouldnt", "can't",
    "cant", "cannot",
)  # fmt: skip
# Two-token cues; the cue sits on the second token.
NEGATION_PAIRS = (
    ("do", "not"), ("does", "not"), ("will", "not"), ("should", "not"),
    ("instead", "of"), ("rather", "than"),
)  # fmt: skip
# Of those, the contrastive ones: their scope ends at the end of the clause (a comma).
CONTRASTIVE_NEGATION_PAIRS = (("instead", "of"), ("rather", "than"))
NEGATION_WINDOW_TOKENS = 4

VERB_ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("build", ("build", "create", "make", "develop", "implement", "add", "design", "setup",
               "construct", "generate", "write", "scaffold")),
    ("migrate", ("migrate", "convert", "port", "move", "transfer", "upgrade", "switch",
                 "transition")),
    ("remove", ("remove", "delete", "drop", "eliminate", "deprecate", "strip")),
    ("integrate", ("integrate", "connect", "hook", "link", "plug", "sync", "wire")),
    ("configure", ("configure", "config", "customize", "adjust", "tune", "optimize", "tweak")),
    ("deploy", ("deploy", "ship", "release", "publish", "launch", "push", "host")),
    ("refactor", ("refactor", "restructure", "reorganize", "clean", "simplify", "modernize")),
    ("test", ("test", "verify", "validate", "check", "audit", "benchmark")),
)  # fmt: skip
DEFAULT_ACTION = "build"
VERB_LOOKBACK_TOKENS = 4

# (from, to, reason): an edge exists when `from` is a non-negated feature.
DEPENDENCY_RULES: tuple[tuple[str, str, str], ...] = (
    ("role-based-access", "authentication", "RBAC requires authentication"),
    ("access-control", "authentication", "access control requires authentication"),
    ("admin-panel", "authentication", "admin panel requires authentication"),
    ("two-factor-auth", "authentication", "2FA requires base authentication"),
    ("multi-factor-auth", "authentication", "MFA requires base authentication"),
    ("single-sign-on", "authentication", "SSO requires base authentication"),
    ("oauth-authentication", "authentication", "OAuth requires base authentication"),
    ("social-login", "authentication", "social login requires authentication"),
    ("password-reset", "authentication", "password reset requires authentication"),
    ("user-profiles", "authentication", "user profiles require authentication"),
    ("subscriptions", "payments", "subscriptions require payment processing"),
    ("billing", "payments", "billing requires payment processing"),
    ("checkout", "shopping-cart", "checkout requires shopping cart"),
    ("shopping-cart", "authentication", "shopping cart requires authentication"),
    ("e-commerce", "payments", "e-commerce requires payments"),
    ("e-commerce", "authentication", "e-commerce requires authentication"),
    ("push-notifications", "notifications", "push notifications extend notifications"),
    ("audit-logging", "authentication", "audit logging requires authentication"),
    ("data-export", "authentication", "data export requires authentication"),
    ("settings-panel", "authentication", "settings require authentication"),
    ("onboarding", "authentication", "onboarding requires authentication"),
    ("real-time", "websocket", "real-time features typically use websockets"),
    ("chat", "real-time", "chat requires real-time capabilities"),
    ("chat", "authentication", "chat requires authentication"),
    ("messaging", "authentication", "messaging requires authentication"),
    ("full-text-search", "database", "full-text search requires a database"),
    ("database-migrations", "database", "migrations require a database"),
    ("orm", "database", "ORM requires a database"),
    ("caching", "database", "caching typically supplements a database"),
    ("ci-cd", "testing", "CI/CD should include testing"),
)

# Legacy flat-list scans over the ASCII-lowercased text, in output order.
DATA_FLOW_KEYWORDS = (
    "api", "rest", "graphql", "websocket", "real-time", "sync", "async", "request", "response",
    "webhook", "queue", "event", "stream",
)  # fmt: skip
LEGACY_TECH_KEYWORDS = (
    "vue", "react", "svelte", "node", "express", "python", "fastapi", "go", "postgres",
    "postgresql", "mongodb", "redis", "sqlite", "docker", "kubernetes", "aws", "vercel",
    "netlify", "typescript", "javascript", "rust", "java", "ruby", "rails", "nextjs", "nuxt",
    "angular", "tailwind", "prisma", "supabase",
)  # fmt: skip

# Classifier keywords: token phrases; the last word may carry a plural "s".
PROJECT_TYPE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("microservice", ("microservice", "micro-service")),
    ("cli", ("cli", "command line", "command-line")),
    ("mobile_app", ("mobile", "ios", "android", "react native", "flutter")),
    ("library", ("library", "libraries", "package", "sdk")),
)
UI_FEATURE_MARKERS = ("dashboard", "landing", "ui")
WEB_FEATURE_MARKERS = ("dashboard", "landing", "e-commerce", "ui", "page")

ARCHITECTURE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("microservices", ("microservice", "micro-service")),
    ("serverless", ("serverless", "lambda", "cloud function")),
    ("event_driven", ("event driven", "event-driven", "event sourcing", "cqrs")),
    ("jamstack", ("jamstack", "jam stack")),
)
EVENT_FEATURE_MARKERS = ("message-queue", "event")
STATIC_HOSTS = ("vercel", "netlify", "cloudflare")
EVENT_BROKERS = ("kafka", "rabbitmq")

PROJECT_TYPES = ("web_app", "api", "cli", "mobile_app", "library", "microservice", "unknown")
ARCHITECTURES = ("monolith", "microservices", "serverless", "event_driven", "jamstack", "unknown")
ACTIONS = tuple(action for action, _ in VERB_ACTIONS)

# Sentence terminators: a sentence ends after each of these bytes.
SENTENCE_TERMINATORS = ".!?;\n"
