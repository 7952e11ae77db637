#!/usr/bin/env bash
# Lighthouse (npm), mobile, on the card, tab, menu and bill pages of a fresh demo café
# served by gunicorn on a free port; the scores go into docs/PERFORMANCE.md under
# "## Lighthouse". Needs Chromium (CHROME_PATH, default /usr/bin/chromium) and
# lighthouse from .ci/node (as .ci/run installs it) or npx.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
if [ -n "${LIGHTHOUSE_PATH:-}" ]; then LIGHTHOUSE=("$LIGHTHOUSE_PATH")
elif [ -x .ci/node/node_modules/.bin/lighthouse ]; then LIGHTHOUSE=(.ci/node/node_modules/.bin/lighthouse)
else LIGHTHOUSE=(npx --yes lighthouse)
fi

work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port="$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:///$work/tabby.db"
export SECRET_KEY="lighthouse-$(date +%s)-$$"
export BASE_URL="http://127.0.0.1:$port"
export LOG_LEVEL=WARNING

$BIN/flask --app app db upgrade >/dev/null 2>&1
$BIN/flask --app app demo --json >"$work/demo.json"
$BIN/gunicorn --workers 2 --threads 4 --bind "127.0.0.1:$port" --log-level warning \
    'app:create_app()' &
server=$!
for _ in $(seq 1 50); do
    curl -fs "$BASE_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

# A phone with an open tab (two lines ordered) for the tab, menu and bill pages.
$BIN/python bench/lighthouse_pages.py seed "$work/demo.json" "$work"

while read -r name url headers; do
    echo "== lighthouse: $name"
    extra=()
    [ "$headers" != "-" ] && extra=("--extra-headers=$headers")
    "${LIGHTHOUSE[@]}" "$url" "${extra[@]}" \
        --form-factor=mobile \
        --only-categories=performance,accessibility,best-practices,seo \
        --output=json --output-path="$work/$name.json" --quiet \
        --chrome-flags="--headless=new --no-sandbox"
done <"$work/pages.txt"

$BIN/python bench/lighthouse_pages.py report "$work" docs/PERFORMANCE.md
