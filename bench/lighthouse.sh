#!/usr/bin/env bash
# Lighthouse (npm), mobile (a Moto G Power on simulated slow 4G), on the card, tab, menu
# and bill pages of a fresh demo café served by gunicorn on a free port, and on the same
# menu without photos and with a camera-like photo on every item. RUNS runs (default 3);
# the medians go into docs/PERFORMANCE.md under "## Lighthouse" and "## Menu with and
# without photos". Needs Chromium (CHROME_PATH, default /usr/bin/chromium), lighthouse
# (LIGHTHOUSE_PATH, else .ci/node as .ci/run installs it, else npx) and the dev extra
# (Playwright, to find where the photos sit against the first screen).
#
#   bench/lighthouse.sh                 # or: make lighthouse
#   VENV=/path/to/venv RUNS=1 bench/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${VENV:-.venv}/bin"
RUNS="${RUNS:-3}"
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
export PHOTO_DIR="$work/photos"

$BIN/flask --app app db upgrade >/dev/null 2>&1
$BIN/flask --app app demo --json >"$work/demo.json"
# Two more cafés with the demo's menu: no photos, and a photo on every item.
$BIN/python -m bench.lighthouse_pages shops "$work"
$BIN/gunicorn --workers 2 --threads 4 --bind "127.0.0.1:$port" --log-level warning \
    'app:create_app()' &
server=$!
for _ in $(seq 1 50); do
    curl -fs "$BASE_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

# A phone with an open tab (two lines ordered) in each café, for the tab, menu and
# bill pages.
$BIN/python -m bench.lighthouse_pages seed "$work/demo.json" "$work"

for run in $(seq 1 "$RUNS"); do
    while read -r name url headers; do
        echo "== lighthouse: $name, run $run of $RUNS"
        extra=()
        [ "$headers" != "-" ] && extra=("--extra-headers=$headers")
        # A busy machine sometimes loses Chromium's trace (NO_NAVSTART): try again.
        for attempt in 1 2 3; do
            "${LIGHTHOUSE[@]}" "$url" "${extra[@]}" \
                --form-factor=mobile --throttling-method=simulate \
                --only-categories=performance,accessibility,best-practices,seo \
                --output=json --output-path="$work/$name-$run.json" --quiet \
                --chrome-flags="--headless=new --no-sandbox" </dev/null && break
            [ "$attempt" = 3 ] && exit 1
            echo "== lighthouse: $name failed; again"
        done
    done <"$work/pages.txt"
done

# Where each menu's photos sit against the phone's first screen, and their weight.
$BIN/python -m bench.lighthouse_pages fold "$work"

$BIN/python -m bench.lighthouse_pages report "$work" docs/PERFORMANCE.md
