#!/usr/bin/env bash
# The official `openai` Python client from PyPI, pinned, in a venv of its own (.keel/py-clients),
# for test/clients/python_openai_check.py (driven by test/e2e/chat-clients.test.ts).
# Run by .ci/run and again by the test's setup; does nothing when the pinned version is there.
# Needs python3 with venv and pip (as the Temporal CLI's install does). Prints the venv's python.
set -euo pipefail
OPENAI_PY_VERSION=3.63.0
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${KEEL_PY_CLIENTS_VENV:-$root/.keel/py-clients}"
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import sys, openai; sys.exit(openai.__version__ != '$OPENAI_PY_VERSION')" 2>/dev/null; then
  echo "$py"
  exit 0
fi
[ -x "$py" ] || python3 -m venv "$venv" >&2
"$py" -m pip install --disable-pip-version-check --quiet "openai==$OPENAI_PY_VERSION" >&2
echo "$py"
