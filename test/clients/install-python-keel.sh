#!/usr/bin/env bash
# Keel's own Python client (clients/python, `keel-client`) into the venv of
# install-python-openai.sh (.keel/py-clients), for test/clients/python_keel_check.py (driven by
# test/e2e/client-python.test.ts). Run by .ci/run and again by the test's setup: each run installs
# the working tree's client afresh (offline, about a second). Prints the venv's python.
# The package builds with setuptools ≥ 70.1 (bdist_wheel built in); a venv with an older one
# (Python 3.11's has 65.5) or none (3.12+) gets it from PyPI, pinned.
set -euo pipefail
SETUPTOOLS_VERSION=84.2.1
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="$(bash "$root/test/clients/install-python-openai.sh" | tail -n 1)"
if ! "$py" -c "import setuptools.command.bdist_wheel" 2>/dev/null; then
  "$py" -m pip install --disable-pip-version-check --quiet "setuptools==$SETUPTOOLS_VERSION" >&2
fi
# Built from a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
cp -R "$root/clients/python/." "$src/"
rm -rf "$src/build" "$src"/*.egg-info
"$py" -m pip install --disable-pip-version-check --quiet --no-deps --no-build-isolation \
  --force-reinstall "$src" >&2
echo "$py"
