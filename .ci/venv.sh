# Sourced by .ci/validate and .ci/ship: the pinned Python tools of .ci/requirements.txt
# in one virtual environment under the cargo target directory, reinstalled only when
# the pins or the Python change. Needs `die` and `$target`; sets `venv`.
# shellcheck shell=bash disable=SC2154
venv=$target/ci-venv
command -v python3 >/dev/null ||
    die "python3 is not installed: it runs the pinned tools of .ci/requirements.txt"
python_stamp="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' .ci/requirements.txt) $(python3 --version 2>&1)"
if [[ -f $venv/.cbcheck-pins && $(<"$venv/.cbcheck-pins") == "$python_stamp" ]]; then
    echo "venv: reusing the Python tools in $venv"
else
    echo "venv: installing the Python tools (.ci/requirements.txt) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" ||
        die "cannot create a Python virtual environment at $venv (python3 -m venv): the tools of .ci/requirements.txt need one"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --only-binary :all: --requirement .ci/requirements.txt ||
        die "cannot install the tools of .ci/requirements.txt from PyPI: pip says why above"
    # Written last: an install that stopped halfway is redone next time.
    printf '%s\n' "$python_stamp" >"$venv/.cbcheck-pins"
fi
