#!/usr/bin/env bash
# schemathesis from PyPI, pinned, in a venv of its own (.keel/fuzz: its dependency tree — hypothesis,
# jsonschema, requests, … — stays out of the clients' venv), for test/e2e/fuzz-api.test.ts.
# Run by .ci/run and again by the test's setup; does nothing when the pinned version is there.
# Needs python3 with venv and pip (as the Temporal CLI's install does). Prints the schemathesis path.
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${KEEL_FUZZ_VENV:-$root/.keel/fuzz}"
py="$venv/bin/python"
if [ -x "$py" ] && [ "$("$py" -c "from importlib.metadata import version; print(version('schemathesis'))" 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]; then
  echo "$venv/bin/schemathesis"
  exit 0
fi
[ -x "$py" ] || python3 -m venv "$venv" >&2
"$py" -m pip install --disable-pip-version-check --quiet "schemathesis==$SCHEMATHESIS_VERSION" >&2
echo "$venv/bin/schemathesis"
