#!/bin/sh
# Build the optional peer venvs for `make bench-peers`: hera 7.1 and kfp 1.8.22 (from PyPI).
# They live in bench/.venv-hera and bench/.venv-kfp (gitignored), never in the project's .venv.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
make_venv() {  # $1 = folder, $2... = requirements
    dir=$1; shift
    if [ ! -x "$dir/bin/python" ]; then
        "$python" -m venv "$dir"
        "$dir/bin/pip" install --quiet --upgrade pip
    fi
    "$dir/bin/pip" install --quiet "$@"
}
make_venv "$here/.venv-hera" 'hera==7.1.*' pyyaml
make_venv "$here/.venv-kfp" 'kfp==1.8.22'
echo "peer venvs ready: $here/.venv-hera $here/.venv-kfp"
