"""Hand-written intents with the fields a person expects from them."""

from __future__ import annotations

import pytest

import kernels


def tech(result):
    return {
        t["canonical"]: (t["category"], t["negated"], t["matched_as"])
        for t in result["enriched_tech"]
    }


def feats(result):
    return {f["name"]: (f["action"], f["negated"]) for f in result["enriched_features"]}


# text, expected: project type, architecture, {tech: negated}, {feature: (action, negated)}
CASES = [
    ("Build a web app with React and Postgres where users can log in and upload files. "
     "No payments.", "web_app", "monolith", {"react": False, "postgresql": False},
     {"file-upload": ("build", False), "authentication": ("build", False),
      "payments": ("build", True)}),
    ("Create a REST API with Express and MongoDB", "api", "monolith",
     {"express": False, "mongodb": False}, {"rest-api": ("build", False), "api": ("build", False)}),
    ("Build a command line tool in Go to sync files", "cli", "monolith", {"go": False}, {}),
    ("Write a CLI for managing dotfiles", "cli", "monolith", {}, {}),
    ("A mobile app for iOS and Android with push notifications", "mobile_app", "monolith", {},
     {"notifications": ("deploy", False), "push-notifications": ("deploy", False)}),
    ("Publish a TypeScript library for date parsing", "library", "monolith",
     {"typescript": False}, {}),
    ("An SDK for the payments API", "library", "monolith", {},
     {"payments": ("build", False), "api": ("build", False)}),
    ("Split the monolith into microservices on Kubernetes with Kafka", "microservice",
     "microservices", {"kubernetes": False, "kafka": False}, {}),
    ("Serverless image resizing on AWS Lambda with S3", "unknown", "serverless",
     {"aws": False, "aws-lambda": False, "aws-s3": False}, {}),
    ("An event-driven order pipeline using RabbitMQ", "unknown", "event_driven",
     {"rabbitmq": False}, {}),
    ("Order processing with Kafka and Postgres", "api", "event_driven",
     {"kafka": False, "postgresql": False}, {}),
    ("A Jamstack blog on Netlify", "unknown", "jamstack", {"netlify": False},
     {"blog": ("build", False)}),
    ("Marketing site with Astro on Vercel", "web_app", "jamstack",
     {"astro": False, "vercel": False}, {}),
    ("Use CQRS and event sourcing for the ledger service", "unknown", "event_driven", {}, {}),
    ("A Django app with a message queue for background jobs", "api", "event_driven",
     {"django": False}, {"message-queue": ("build", False), "background-jobs": ("build", False)}),
    ("Deploy the storefront to Kubernetes", "unknown", "microservices", {"kubernetes": False}, {}),
    ("Admin dashboard in Vue with Firebase", "web_app", "monolith",
     {"vue": False, "firebase": False}, {"admin-panel": ("build", False),
                                         "dashboard": ("build", False)}),
    ("Don't use Redis", "unknown", "monolith", {"redis": True}, {}),
    ("We do not need Docker or Kubernetes", "unknown", "monolith",
     {"docker": True, "kubernetes": True}, {}),
    ("Instead of MySQL, use PostgreSQL", "api", "monolith",
     {"mysql": True, "postgresql": False}, {}),
    ("Rather than Firebase, pick Supabase", "api", "monolith",
     {"firebase": True, "supabase": False}, {}),
    ("Never use Vue. Angular is fine.", "web_app", "monolith",
     {"vue": True, "angular": False}, {}),
    ("Build it without Stripe", "unknown", "monolith", {"stripe": True}, {}),
    ("Skip the chat feature", "unknown", "monolith", {}, {"chat": ("build", True)}),
    ("Exclude analytics", "unknown", "monolith", {}, {"analytics": ("build", True)}),
    ("Disable caching for now", "unknown", "monolith", {}, {"caching": ("build", True)}),
    ("Remove the old cron jobs", "unknown", "monolith", {},
     {"scheduled-tasks": ("remove", True)}),
    ("It shouldn't have metrics", "unknown", "monolith", {}, {"metrics": ("build", True)}),
    ("Can't rely on MongoDB", "unknown", "monolith", {"mongodb": True}, {}),
    ("We won't add billing", "unknown", "monolith", {}, {"billing": ("build", True)}),
    ("It doesn't need SSO; avoid 2FA", "unknown", "monolith", {},
     {"single-sign-on": ("build", True), "two-factor-auth": ("build", True)}),
    ("Migrate the database to Aurora", "unknown", "monolith", {}, {"database": ("migrate", False)}),
    ("Integrate Stripe payments", "unknown", "monolith", {"stripe": False},
     {"payments": ("integrate", False)}),
    ("Configure SSL everywhere", "unknown", "monolith", {}, {"ssl-tls": ("configure", False)}),
    ("Deploy a dashboard to Heroku", "web_app", "monolith", {"heroku": False},
     {"dashboard": ("deploy", False)}),
    ("Refactor the search module", "unknown", "monolith", {}, {"search": ("refactor", False)}),
    ("Test the checkout flow", "unknown", "monolith", {}, {"checkout": ("test", False)}),
    ("As a developer I want a GraphQL API", "unknown", "monolith", {"graphql": False},
     {"graphql-api": ("build", False), "api": ("build", False)}),
    ("Real time updates and user profiles with auth", "unknown", "monolith", {},
     {"authentication": ("build", False), "real-time": ("build", False),
      "user-profiles": ("build", False)}),
    ("Build a SaaS with multi-tenant billing on Rails", "api", "monolith", {"rails": False},
     {"saas": ("build", False), "multi-tenancy": ("build", False), "billing": ("build", False)}),
    ("🚀 Build a chat app 🔥 with websockets", "unknown", "monolith", {"websocket": False},
     {"chat": ("build", False)}),
    ("Создать веб-приложение на React", "web_app", "monolith", {"react": False}, {}),
    ("e2e tests with Playwright and unit tests", "unknown", "monolith", {"playwright": False},
     {"e2e-testing": ("build", False), "unit-testing": ("build", False)}),
    ("No dark mode, but a landing page", "web_app", "monolith", {},
     {"dark-mode": ("build", True), "landing-page": ("build", False)}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "ptype", "arch", "want_tech", "want_feats"), CASES)
def test_intent(text, ptype, arch, want_tech, want_feats):
    r = kernels.parse(text)
    assert (r["project_type"], r["architecture_pattern"]) == (ptype, arch)
    assert {k: v[1] for k, v in tech(r).items()} == want_tech
    got = feats(r)
    for name, expected in want_feats.items():
        assert got[name] == expected, name
    negated = {n for n, (_, neg) in got.items() if neg}
    assert not negated & set(r["features"]), "negated features stay out of the flat list"
    negated_tech = {c for c, v in tech(r).items() if v[1]}
    assert not negated_tech & set(r["tech_stack_hints"])
    assert r["verification"]["well_formed"]


def test_the_readme_example():
    r = kernels.parse("Build a web app with React and Postgres where users can log in and "
                      "upload files. No payments.")  # fmt: skip
    t = tech(r)
    assert t["react"] == ("frontend", False, "react")
    assert t["postgresql"] == ("database", False, "postgres")
    assert feats(r)["authentication"] == ("build", False)
    assert feats(r)["payments"] == ("build", True) and "payments" not in r["features"]
    assert r["project_type"] == "web_app"


@pytest.mark.parametrize("alias", ["postgres", "postgresql", "pg", "Postgres", "PostgreSQL"])
def test_synonyms_resolve_to_one_canonical(alias):
    r = kernels.parse(f"Store data in {alias}")
    assert tech(r) == {"postgresql": ("database", False, alias.lower())}


def test_dependencies_and_priorities():
    r = kernels.parse("Shop with checkout, cart and admin panel")
    edges = [(e["from"], e["to"]) for e in r["dependency_graph"]]
    assert edges == [("admin-panel", "authentication"), ("checkout", "shopping-cart"),
                     ("shopping-cart", "authentication")]  # fmt: skip
    prio = {f["name"]: f["priority"] for f in r["enriched_features"]}
    assert prio == {"checkout": 1, "shopping-cart": 2, "admin-panel": 4}


def test_actors_and_data_flows():
    r = kernels.parse("For customers and guests to book tables via a REST API with webhooks")
    assert r["actors"] == ["customers", "guests", "customers and guests"]
    assert r["data_flows"] == ["api", "rest", "webhook"]
    assert r["confidence"]["actors"] == 0.9


def test_constraints_pass_through_untouched():
    constraints = {"budget": "low", "nested": {"a": [1, 2.5, None]}}
    assert kernels.parse("Build an app", constraints)["constraints"] == constraints
    assert kernels.parse("Build an app")["constraints"] == {}


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u3000"])
def test_empty_and_whitespace_text(text):
    r = kernels.parse(text)
    assert r["actors"] == ["user"]
    assert (r["project_type"], r["architecture_pattern"]) == ("unknown", "monolith")
    assert r["complexity_score"] == 0.0
    assert r["confidence"] == {"overall": 0.13, "actors": 0.3, "features": 0.1, "tech_stack": 0.1}
    assert r["verification"] == {
        "well_formed": False,
        "errors": ["Intent raw text is empty"],
        "warnings": ["No features extracted; intent may be underspecified"],
    }
    assert r["raw"] == text


def test_text_without_spaces_in_another_script_matches_nothing_inside_words():
    r = kernels.parse("用React和Postgres构建一个应用")
    assert r["enriched_tech"] == [] and r["tech_stack_hints"] == []
