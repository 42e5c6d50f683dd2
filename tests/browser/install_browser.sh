#!/bin/sh
# Install what the browser tests (tests/browser) need, only if it is missing:
#   Debian's chromium + chromium-driver (headless Chromium driven by chromedriver),
#   and Selenium (pinned in requirements.txt) in the project's venv.
# Usage: sh tests/browser/install_browser.sh [PYTHON]   (PYTHON defaults to .venv/bin/python)
set -eu

PY="${1:-.venv/bin/python}"

if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "install_browser: installing chromium and chromium-driver with apt-get"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
fi

if ! "$PY" -c 'import selenium' >/dev/null 2>&1; then
    echo "install_browser: selenium is not installed in $PY; installing the version pinned in requirements.txt"
    PIN="$(grep -i -E '^selenium==' requirements.txt 2>/dev/null | sed 's/[[:space:]]*#.*//' || true)"
    "$PY" -m pip install --quiet "${PIN:-selenium}"
fi

echo "install_browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?'), $(chromedriver --version 2>/dev/null | cut -d' ' -f1-2), selenium $("$PY" -c 'import selenium; print(selenium.__version__)')"
