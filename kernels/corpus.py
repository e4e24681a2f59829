"""Deterministic corpus of software "intents" for tests and benchmarks.

Sentences are rendered from templates with `random.Random(seed)` into a fixed pool once per
seed; intents are then assembled from the pool with numpy-drawn indices, which is what
makes hundreds of thousands of intents per second possible in pure Python.
"""

from __future__ import annotations

import functools
import itertools
import random
import string
from collections.abc import Iterator

import numpy as np

KINDS = [
    "web app", "REST API", "CLI tool", "mobile app", "library", "SDK", "microservices backend",
    "serverless API", "event-driven pipeline", "jamstack site", "single page app",
    "GraphQL API", "desktop app", "browser extension", "chat bot", "static site",
]  # fmt: skip
FRONTENDS = ["react", "React", "vue", "Vue 3", "svelte", "SvelteKit", "nextjs", "Next.js",
             "angular", "solid", "remix", "nuxt", "htmx"]  # fmt: skip
BACKENDS = ["node", "Node.js", "express", "fastapi", "FastAPI", "django", "rails", "flask",
            "spring boot", "nestjs", "go", "gin", "rust", "axum", "phoenix", "laravel"]  # fmt: skip
DATABASES = ["postgres", "postgresql", "PostgreSQL", "pg", "mongodb", "MongoDB", "redis", "mysql",
             "MySQL", "sqlite", "dynamodb", "DynamoDB", "cockroachdb", "supabase",
             "firebase", "elasticsearch", "cassandra"]  # fmt: skip
QUEUES = ["kafka", "Kafka", "rabbitmq", "RabbitMQ", "sqs", "nats", "redis streams", "pubsub"]
INFRA = ["docker", "Docker", "kubernetes", "k8s", "terraform", "helm", "docker compose", "nginx"]
CLOUDS = ["aws", "AWS", "lambda", "aws lambda", "vercel", "Vercel", "netlify", "gcp",
          "azure", "fly.io", "cloudflare workers", "heroku", "render"]  # fmt: skip
PAYMENTS = ["stripe", "Stripe", "paypal", "braintree", "adyen"]
LANGUAGES = ["typescript", "TypeScript", "python", "Python", "go", "Go", "rust", "Rust",
             "java", "kotlin", "ruby", "elixir", "javascript", "c#"]  # fmt: skip
FEATURES = [
    "login", "sign up", "2fa", "two-factor auth", "sso", "SSO", "rbac", "role based access",
    "a dashboard", "an admin panel", "real time updates", "chat", "notifications",
    "push notifications", "email notifications", "payments", "billing", "subscriptions",
    "a shopping cart", "checkout", "search", "full text search", "file upload", "csv export",
    "pdf export", "analytics", "audit logs", "dark mode", "i18n", "webhooks", "rate limiting",
    "caching", "offline mode", "comments", "image resizing", "a public api", "oauth",
    "password reset", "multi-tenancy", "scheduled jobs", "graphql subscriptions",
]  # fmt: skip
DOMAINS = ["todo list", "inventory", "recipe sharing", "fitness tracking", "invoicing", "blog",
           "marketplace", "CRM", "helpdesk", "booking", "learning platform", "IoT telemetry",
           "event ticketing", "expense tracking", "real estate listings", "food delivery",
           "job board", "podcast hosting", "clinic scheduling", "newsletter"]  # fmt: skip
ACTORS = ["as an admin", "As an admin", "as a customer", "for customers", "for our sales team",
          "as a developer", "for internal staff", "as a store owner", "for teachers",
          "as the ops team"]  # fmt: skip
USERS = ["users", "Users", "customers", "admins", "guests", "team members", "vendors", "students"]
ABILITY = ["can", "should be able to", "must be able to", "need to", "want to"]
ACTIONS = [
    "upload files", "export reports to csv", "chat in real time", "reset their password",
    "invite teammates", "search products", "pay with {pay}", "subscribe to plans",
    "see a dashboard of {feature}", "get push notifications", "log in with google",
    "manage roles", "download invoices as pdf", "comment on posts", "book a slot",
    "track orders", "switch to dark mode", "change the language",
]  # fmt: skip
NEGATIONS = [
    "no payments", "no {feature}", "don't use {db}", "do not use {infra}", "without {infra}",
    "without {feature}", "instead of {db}", "use {db} instead of {db2}", "rather than firebase",
    "rather than {cloud}", "avoid {infra}", "avoid {db}", "not needed: {feature}",
    "skip {feature} for now", "no need for {feature}", "we don't want {queue}",
    "never {pay}", "no {lang}",
]  # fmt: skip

SENTENCE_TEMPLATES = [
    "Build a {kind} for {domain}",
    "I want a {domain} {kind} using {front} and {back}",
    "Create a {lang} {kind} with {db}",
    "{actor}, I need {feature} and {feature2}",
    "{users} {ability} {action}",
    "Use {db} for storage and {db2} for caching",
    "Deploy on {cloud} with {infra}",
    "{neg}",
    "Please {neg} and {neg2}",
    "Frontend in {front}, backend in {back}",
    "we need {feature}, {feature2} and {feature3}",
    "Add {feature} {actor}",
    "{actor} I want {feature}",
    "It should support {feature} and {feature2}",
    "Make a {kind} in {lang} that talks to {db}",
    "Events go through {queue} into {db}",
    "{front} frontend, {back} api, {db} database, hosted on {cloud}",
    "Payments via {pay}, {neg}",
    "Must have {feature}; nice to have {feature2}",
    "The {kind} should be written in {lang}",
    "{users} {ability} {action} and {action2}",
    "Host it on {cloud}, {neg}",
    "Set up CI, {infra} and {feature}",
    "A {domain} {kind} where {users} {ability} {action}",
    "Keep it simple: {kind}, {db}, {neg}",
    "MVP: {feature}, {feature2}",
    "Later we might add {feature}",
    "I'd like {front} with {lang} and {feature}",
    "Store sessions in {db} and queue jobs with {queue}",
    "Authentication with {feature}, {neg}",
    "Real time {domain} with {queue} and {front}",
    "{kind} for {domain}, {actor}",
    "Microservices on {infra} talking over {queue}",
    "Serverless on {cloud} with {db}",
    "Target {cloud}; {neg}; {neg2}",
    "Expose a {kind} for partners with {feature}",
]
SEPARATORS = [". ", "; ", "! ", "\n", ". \n", ".\r\n", ", and "]
ENDINGS = ["", ".", "!", ".", "."]

_POOL_SIZE = 16_384
_CHUNK = 4_096
_MAX_SENTENCES = 6
_SLOTS = {
    "kind": KINDS, "domain": DOMAINS, "front": FRONTENDS, "back": BACKENDS, "db": DATABASES,
    "db2": DATABASES, "queue": QUEUES, "infra": INFRA, "cloud": CLOUDS, "pay": PAYMENTS,
    "lang": LANGUAGES, "feature": FEATURES, "feature2": FEATURES, "feature3": FEATURES,
    "actor": ACTORS, "users": USERS, "ability": ABILITY,
}  # fmt: skip
_NESTED = {"action": ACTIONS, "action2": ACTIONS, "neg": NEGATIONS, "neg2": NEGATIONS}


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _render(template: str, rng: random.Random) -> str:
    values = {name: rng.choice(_SLOTS[name]) for name in _fields(template) if name in _SLOTS}
    for name in _fields(template):
        if name in _NESTED:
            inner = rng.choice(_NESTED[name])
            values[name] = inner.format(**{f: rng.choice(_SLOTS[f]) for f in _fields(inner)})
    sentence = template.format(**values)
    if rng.random() < 0.85:  # people mostly, not always, capitalise
        sentence = sentence[0].upper() + sentence[1:]
    return sentence


@functools.lru_cache(maxsize=8)
def _sentence_pool(seed: int) -> tuple[list[str], np.ndarray, int]:
    rng = random.Random(seed)
    pool = [_render(rng.choice(SENTENCE_TEMPLATES), rng) for _ in range(_POOL_SIZE)]
    lengths = np.fromiter((len(s.encode()) for s in pool), dtype=np.int64, count=len(pool))
    return pool, lengths, rng.getrandbits(64)


def iter_intents(seed: int = 0) -> Iterator[str]:
    """Endless deterministic stream; `generate_intents(n, seed)` is its first n items."""
    pool, lengths, numpy_seed = _sentence_pool(seed)
    draws = np.random.default_rng(numpy_seed)
    while True:
        yield from _chunk(pool, lengths, draws)


def _chunk(pool: list[str], lengths: np.ndarray, draws: np.random.Generator) -> list[str]:
    picks = draws.integers(0, len(pool), size=(_CHUNK, _MAX_SENTENCES))
    seps = draws.integers(0, len(SEPARATORS), size=_CHUNK)
    endings = draws.integers(0, len(ENDINGS), size=_CHUNK)
    targets = draws.integers(100, 330, size=_CHUNK)
    running = np.cumsum(lengths[picks] + 2, axis=1)
    # Take sentences until the target is reached, one fewer if that would overshoot 400 bytes.
    counts = np.minimum((running < targets[:, None]).sum(axis=1) + 1, _MAX_SENTENCES)
    overshoot = running[np.arange(_CHUNK), counts - 1] > 400
    counts = np.where(overshoot & (counts > 1), counts - 1, counts)
    out = []
    for row, count, sep, end in zip(
        picks.tolist(), counts.tolist(), seps.tolist(), endings.tolist(), strict=True
    ):
        out.append(SEPARATORS[sep].join([pool[i] for i in row[:count]]) + ENDINGS[end])
    return out


def generate_intents(n: int, seed: int = 0) -> list[str]:
    return list(itertools.islice(iter_intents(seed), n))


def adversarial_intents() -> list[str]:
    """Inputs a parser must survive; every one is valid UTF-8 (no lone surrogates)."""
    return [
        "",
        "   \t\n  ",
        ("Build a web app with react and postgres, no payments. " * 1300)[: 64 * 1024],
        "!!!???...;;;,,,---***///",
        "构建一个带登录的网站。 تطبيق ويب مع تسجيل الدخول. "
        "Веб-приложение на django. Εφαρμογή με redis.",
        "Build a 🚀 app with react ⚛️ and stripe 💳, no 🐳 docker 👨‍👩‍👧‍👦",
        "Build a web app\x00with\x00postgres\x00",
        "Build a REST API\r\nwith fastapi\r\nno redis\r\n",
        "Use " + "x" * 10_000 + " for storage",
        "Build an API. " + " ".join(f"no feature{i}" for i in range(1_000)),
        "Build\u00a0a\u2003web\u3000app with\u00a0postgres",
        "Bui\u0301ld a we\u0308b app with re\u0327act",
        "İSTANBUL web app with \u212a8s and kafka",
        "don't don't don't use redis instead of instead of mysql",
        "\ufeffBuild a CLI with go",
        "a" * 401,
    ]
