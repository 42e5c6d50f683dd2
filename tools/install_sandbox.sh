#!/bin/sh
# Install what `coursekit grade` needs to isolate student code, only if it is missing:
#   Debian's bubblewrap (bwrap, the sandbox of Flatpak) and util-linux's prlimit and setpriv,
# then run the grader's own self-test (the exact bwrap command it uses).
# Usage: sh tools/install_sandbox.sh [PYTHON]   (PYTHON defaults to .venv/bin/python)
set -eu

PY="${1:-.venv/bin/python}"

if ! command -v bwrap >/dev/null 2>&1 || ! command -v prlimit >/dev/null 2>&1 || ! command -v setpriv >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "install_sandbox: installing bubblewrap and util-linux with apt-get"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends bubblewrap util-linux
fi

"$PY" -c 'from coursekit.grader.sandbox import self_test
why = self_test()
print("install_sandbox: bubblewrap self-test " + ("passed" if why is None else "FAILED: " + why))
raise SystemExit(why is not None)'
