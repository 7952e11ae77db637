"""`make run` installs what the app needs and nothing more; `make test` adds the dev
tools. Read from make's own dry run (`make -n`) on a fresh virtualenv folder, and
from the stamps it leaves, so the check needs no network and installs nothing."""

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from config import Config
from tests.helpers import ROOT

DEV_TOOLS = ("pytest", "playwright", "ruff", "locust", "hypothesis", "zxing", "pypdfium2")


def dry_run(target: str, venv: Path, *extra: str) -> str:
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k not in ("BASE_URL", "HOST", "PORT")},
    )
    return result.stdout


def installs(output: str) -> list[str]:
    return [line for line in output.splitlines() if "pip install" in line]


def fresh_venv(tmp_path: Path) -> Path:
    """A virtualenv folder whose python exists, newer than pyproject.toml."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    return venv


@pytest.fixture(autouse=True)
def _make_is_there():
    if subprocess.run(["make", "--version"], capture_output=True).returncode != 0:
        pytest.skip("make is not installed")


def test_make_run_on_a_fresh_tree_installs_the_app_without_the_dev_extra(tmp_path):
    output = dry_run("run", tmp_path / "venv")

    assert "-m venv" in output
    [install] = installs(output)
    assert install.rstrip().endswith("-e .")
    assert "[dev]" not in output
    assert not [tool for tool in DEV_TOOLS if tool in install.split("pip install", 1)[1]]


def test_the_apps_own_dependencies_hold_no_dev_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert not [tool for tool in DEV_TOOLS if tool in runtime]
    dev = " ".join(project["optional-dependencies"]["dev"]).lower()
    assert all(tool in dev for tool in ("pytest", "playwright", "ruff"))


def test_make_test_installs_the_dev_extra(tmp_path):
    [install] = installs(dry_run("test", tmp_path / "venv"))
    assert '".[dev]"' in install


def test_make_run_after_make_test_installs_nothing_more(tmp_path):
    venv = fresh_venv(tmp_path)
    (venv / ".installed").touch()
    (venv / ".installed-runtime").touch()

    assert installs(dry_run("run", venv)) == []
    assert installs(dry_run("test", venv)) == []


def test_make_test_after_make_run_adds_the_dev_extra(tmp_path):
    venv = fresh_venv(tmp_path)
    (venv / ".installed-runtime").touch()

    assert installs(dry_run("run", venv)) == []
    [install] = installs(dry_run("test", venv))
    assert '".[dev]"' in install


def test_a_changed_pyproject_reinstalls(tmp_path):
    venv = fresh_venv(tmp_path)
    for stamp in (".installed", ".installed-runtime"):
        (venv / stamp).touch()
        os.utime(venv / stamp, (0, 0))  # older than pyproject.toml

    assert len(installs(dry_run("run", venv))) == 1
    assert len(installs(dry_run("test", venv))) == 1


def test_make_run_serves_and_prints_links_for_the_same_host_and_port(tmp_path):
    venv = fresh_venv(tmp_path)
    (venv / ".installed-runtime").touch()
    output = dry_run("run", venv, "PORT=5101", "HOST=0.0.0.0")

    demo = next(line for line in output.splitlines() if " demo " in line)
    serve = next(line for line in output.splitlines() if " run " in line)
    for line in (demo, serve):
        assert "HOST=0.0.0.0" in line and "PORT=5101" in line
    assert "--host 0.0.0.0 --port 5101" in serve


@pytest.mark.parametrize(
    "host, port, base_url",
    [
        ("127.0.0.1", "5101", "http://127.0.0.1:5101"),
        ("0.0.0.0", "8080", "http://127.0.0.1:8080"),
        ("cafe.lan", "5000", "http://cafe.lan:5000"),
        ("::1", "5101", "http://[::1]:5101"),
        ("", "", "http://127.0.0.1:5000"),
    ],
)
def test_without_base_url_card_links_use_the_served_host_and_port(
    tmp_path, monkeypatch, host, port, base_url
):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("HOST", host)
    monkeypatch.setenv("PORT", port)
    served = Config(str(tmp_path)).BASE_URL
    assert served == base_url


def test_a_base_url_that_is_set_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "5101")
    monkeypatch.setenv("BASE_URL", "https://tabs.example.com/")
    chosen = Config(str(tmp_path)).BASE_URL
    assert chosen == "https://tabs.example.com"
