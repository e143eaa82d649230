# Sourced by every shell script in tools/: TOOLS_DIR, REPO, the interpreter (PYTHON, else the
# repo's .venv, else python), a PYTHONPATH that finds the repository's package, quiet library
# warnings, and run_logged for steps whose output goes to a log file.
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TOOLS_DIR/.." && pwd)
if [[ -z "${PYTHON:-}" && -x "$REPO/.venv/bin/python" ]]; then
    PYTHON=$REPO/.venv/bin/python
fi
PYTHON=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}  # mmcv-lite and pkg_resources notices

# run_logged LOG COMMAND...: run COMMAND with its output in LOG; if it fails, show the end of
# LOG (where the error is) and fail.
run_logged() {
    local log=$1
    shift
    mkdir -p "$(dirname "$log")"
    if ! "$@" > "$log" 2>&1; then
        echo "failed: $* (the end of $log follows)" >&2
        tail -n 30 "$log" >&2
        return 1
    fi
}
