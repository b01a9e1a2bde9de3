#!/usr/bin/env bash
# Regenerate requirements.lock: the hashed, fully pinned dependency set (runtime + the
# `test` and `slurm` extras) that the README's set-up and .ci/run install. Run it after any
# change to the dependencies in pyproject.toml, then run the tests and commit both files.
#
# One universal lock (uv's --universal): it covers every interpreter in pyproject.toml's
# requires-python (CPython 3.11-3.13) on Linux (x86_64, aarch64), macOS and Windows, with
# environment markers where a platform needs another package, so `pip install
# --require-hashes -r requirements.lock` is the same single command everywhere. Versions
# already in the lock are kept where they still satisfy pyproject.toml (uv reads the
# existing output file as its preferences); pass --upgrade to move everything forward.
#
# Index: PyPI, the index pip uses on our machines (`pip config list`: no index-url, so the
# default https://pypi.org/simple). The local mirrors some machines add as extra indexes
# hold Linux x86_64 wheels only; resolving against them would drop the other platforms'
# hashes, so the lock is made from PyPI alone.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || { echo "scripts/lock.sh: needs uv (pip install uv)" >&2; exit 2; }
header="# The hashed dependency set of nnbench (runtime + the 'test' and 'slurm' extras) for
# CPython 3.11-3.13 on Linux x86_64/aarch64, macOS and Windows (one universal lock; which
# of these were tested: docs/DEVELOPMENT.md). Install: pip install --require-hashes -r requirements.lock
# Regenerate (after changing the dependencies in pyproject.toml): scripts/lock.sh"
UV_INDEX_URL=https://pypi.org/simple UV_EXTRA_INDEX_URL= UV_FIND_LINKS= \
uv pip compile pyproject.toml --extra test --extra slurm \
    --universal --python-version 3.11 \
    --generate-hashes --no-header --quiet \
    --no-config --default-index https://pypi.org/simple \
    --output-file requirements.lock "$@"
{ echo "$header"; grep -v '^# ' requirements.lock | sed '/^#$/d'; } > requirements.lock.new
mv requirements.lock.new requirements.lock
echo "scripts/lock.sh: wrote requirements.lock ($(grep -c '==' requirements.lock) pinned packages)"

# Check that the lock installs on every target: uv plans a hash-checked install of it for
# each platform and Python, from wheels only (connection-pool, pure Python, publishes only
# an sdist). This resolves and reads metadata; it does not download or build anything.
status=0
for platform in x86_64-manylinux_2_28 aarch64-manylinux_2_28 x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc; do
    for python in 3.11 3.12 3.13; do
        if out=$(uv pip install --dry-run --no-config --default-index https://pypi.org/simple \
                --python-platform "$platform" --python-version "$python" \
                --require-hashes --no-deps --only-binary :all: --no-binary connection-pool \
                -r requirements.lock --target "$(mktemp -d)" 2>&1); then
            echo "  $platform, CPython $python: $(grep -o 'Would install [0-9]* packages' <<<"$out")"
        else
            echo "  $platform, CPython $python: FAILS" >&2; echo "$out" | sed 's/^/    /' >&2; status=1
        fi
    done
done
exit $status
