"""The suite's fixtures, one plugin module per concern (tests/fixtures/); plain
helpers are in tests/helpers.py."""

pytest_plugins = [
    "tests.fixtures.core",
    "tests.fixtures.browser",
    "tests.fixtures.stripe",
    "tests.fixtures.push",
    "tests.fixtures.screens",
    "tests.fixtures.money",
    "tests.fixtures.menu",
]
