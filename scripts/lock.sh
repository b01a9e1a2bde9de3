#!/usr/bin/env bash
# Regenerate requirements.lock: the hashed, fully pinned dependency set (runtime + the
# `test` extra) that the README's set-up and .ci/run install. Run it after any change to
# the dependencies in pyproject.toml, then run the tests and commit both files.
#
# The lock is made for CPython 3.11 on Linux x86_64 (glibc >= 2.28), where nnbench is
# developed and tested. For another Python or platform, run this script with
# NNBENCH_LOCK_PYTHON / NNBENCH_LOCK_PLATFORM set (e.g. 3.12, aarch64-manylinux_2_28) and
# test before trusting the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || { echo "scripts/lock.sh: needs uv (pip install uv)" >&2; exit 2; }
uv pip compile pyproject.toml --extra test \
    --generate-hashes \
    --python-version "${NNBENCH_LOCK_PYTHON:-3.11}" \
    --python-platform "${NNBENCH_LOCK_PLATFORM:-x86_64-manylinux_2_28}" \
    --no-header --quiet --output-file requirements.lock.tmp
{
    echo "# The hashed dependency set of nnbench (runtime + the 'test' extra), for CPython"
    echo "# ${NNBENCH_LOCK_PYTHON:-3.11} on ${NNBENCH_LOCK_PLATFORM:-x86_64-manylinux_2_28}. Install: pip install --require-hashes -r requirements.lock"
    echo "# Regenerate (after changing the dependencies in pyproject.toml): scripts/lock.sh"
    cat requirements.lock.tmp
} > requirements.lock.new
rm requirements.lock.tmp
mv requirements.lock.new requirements.lock
echo "scripts/lock.sh: wrote requirements.lock ($(grep -c '==' requirements.lock) pinned packages)"
