"""The long bad-input fuzz: hostile requests to every route, in process, checked against
the rule of tests/test_fuzz.py (never a 5xx; a refused request changes nothing).

    python bench/fuzz.py [--cases 10000] [--database-url URL] [--seed N] [--write]

Cases are spread evenly over the routes (POST routes get three shares, GET one). Each
route starts from a freshly seeded world, so what one route's cases changed does not
narrow the next one's reach. `--write` puts the figures into docs/RELIABILITY.md
under "Fuzz".
"""

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests import fuzz_input, fuzz_world  # noqa: E402
from tests.stripe_standin import start_standin  # noqa: E402

DOC = ROOT / "docs" / "RELIABILITY.md"


def make_app(database_url: str, stripe_url: str, schema: str | None = None):
    options = {"pool_pre_ping": True}
    if schema:
        options["connect_args"] = {"options": f"-c search_path={schema}"}
    app = fuzz_world.stripe_app((database_url, options), stripe_url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def shares(routes, total: int) -> dict[str, int]:
    weights = {route.name: 3 if route.method == "POST" else 1 for route in routes}
    unit = total / sum(weights.values())
    return {name: max(1, round(weight * unit + 0.4999)) for name, weight in weights.items()}


def fuzz_route(world, route, seen: Counter, examples: int, run_seed: int):
    """The route's hypothesis test, bound to this world (hypothesis refuses defaults)."""

    @seed(run_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=fuzz_input.cases(world, route))
    def one(case):
        seen[fuzz_input.check(world, route, case)] += 1

    return one


def run(app, total: int, run_seed: int) -> tuple[dict, list[str], float]:
    routes = fuzz_input.routes(app)
    plan = shares(routes, total)
    statuses: dict[str, Counter] = {}
    failures: list[str] = []
    started = time.perf_counter()
    for route in routes:
        fuzz_world.empty_all(app)
        world = fuzz_world.build(app)
        seen = statuses.setdefault(route.name, Counter())

        try:
            fuzz_route(world, route, seen, plan[route.name], run_seed)()
        except Exception as problem:  # noqa: BLE001 - record it and go on to the next route
            failures.append(f"{route.name}: {problem}".splitlines()[0][:500])
            print("FAIL", failures[-1], flush=True)
        print(f"{route.name:60} {sum(seen.values()):6} {dict(sorted(seen.items()))}", flush=True)
    fuzz_world.empty_all(app)
    return statuses, failures, time.perf_counter() - started


def report(statuses, failures, seconds, args, db_name) -> str:
    cases = sum(sum(c.values()) for c in statuses.values())
    by_class = Counter()
    for counter in statuses.values():
        for status, n in counter.items():
            by_class[f"{status // 100}xx"] += n
    lines = [
        f"## Fuzz: {db_name}",
        "",
        "Hostile requests to every route of the app, in process (Flask test client), built",
        "by hypothesis: every field of every form at once with any JSON type (numbers,",
        "booleans, null, lists, objects), JSON that is not an object, nested up to 50,000",
        "deep, with lone surrogates and control characters in keys and strings; numbers out",
        "of range, NUL, CR/LF and other header-breaking characters (in `next` among others),",
        "1,000-character timezones and names, bodies just under and over the 64 KB limit,",
        "right-to-left marks, emoji, missing and extra fields, fields sent twice, wrong",
        "methods, missing or wrong CSRF tokens, private and loopback push endpoints, other",
        "cafés' ids and made-up codes, sent as each kind of visitor. The rule: never a 5xx;",
        "a refused request (4xx) leaves every table's row count, the tabs' and shops'",
        "versions and every row of the settings, menu, staff, card and push subscription",
        "tables as they were; a deeply nested body is a 400 and a 100 KB one a 413.",
        "",
        f"    python bench/fuzz.py --cases {args.cases} --seed {args.seed}"
        + (" --database-url <postgresql url>" if db_name != "SQLite" else "")
        + " --write",
        "",
        f"- Database: {db_name}; Python {platform.python_version()}",
        f"- Cases run: **{cases:,}** over {len(statuses)} routes in {seconds:.0f} s",
        f"- Answers: {', '.join(f'{k} {v:,}' for k, v in sorted(by_class.items()))}",
        f"- Failures: **{len(failures)}**"
        + ("" if failures else " (no 5xx, no change on refusal)"),
    ]
    lines += [f"  - {failure}" for failure in failures]
    lines += [
        "",
        "The suite runs a short slice of the same cases on every run",
        "(`tests/test_fuzz.py`, derandomised) and the authorisation matrix",
        "(`tests/test_authorisation_matrix.py`: every route × anonymous, the tab's phone,",
        "another phone, staff, owner, another café's staff and owner).",
        "",
        "| Route | Cases | Answers |",
        "| --- | ---: | --- |",
    ]
    for name, counter in statuses.items():
        answers = ", ".join(f"{status}×{n}" for status, n in sorted(counter.items()))
        lines.append(f"| `{name}` | {sum(counter.values())} | {answers} |")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace this database's `## Fuzz: …` section of docs/RELIABILITY.md (or the
    single `## Fuzz` section of earlier runs), leaving the others alone."""
    existing = DOC.read_text() if DOC.exists() else "# Reliability\n"
    header = text.split("\n", 1)[0] + "\n"
    start = existing.find(header)
    if start == -1:
        start = existing.find("## Fuzz\n")
    if start == -1:
        DOC.write_text(existing.rstrip("\n") + "\n\n" + text)
        return
    end = existing.find("\n## ", start + 1)
    rest = existing[end + 1 :] if end != -1 else ""
    DOC.write_text(existing[:start] + text + ("\n" + rest if rest else ""))


@contextmanager
def scratch_schema(database_url: str | None):
    """On PostgreSQL, a schema of the run's own (the fuzz empties every table it
    has), dropped at the end; SQLite gets a scratch file instead."""
    if not database_url:
        yield None
        return
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    schema = f"tabby_fuzz_{os.getpid()}"
    admin = create_engine(normalise_database_url(database_url))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a scratch SQLite file)")
    parser.add_argument("--write", action="store_true", help="update docs/RELIABILITY.md")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    standin, server = start_standin()
    with tempfile.TemporaryDirectory() as scratch, scratch_schema(args.database_url) as schema:
        url = args.database_url or f"sqlite:///{scratch}/fuzz.db"
        from config import normalise_database_url

        app = make_app(normalise_database_url(url), standin.url, schema)
        statuses, failures, seconds = run(app, args.cases, args.seed)
        with app.app_context():
            from extensions import db

            db.engine.dispose()
    server.shutdown()
    db_name = "PostgreSQL" if args.database_url else "SQLite"
    text = report(statuses, failures, seconds, args, db_name)
    print(text)
    if args.write:
        write_section(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
