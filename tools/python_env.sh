# Sourced by the launch scripts: TOOLS_DIR, the interpreter (PYTHON, else the repo's .venv,
# else python) and a PYTHONPATH that finds the repository's package.
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z "${PYTHON:-}" && -x "$TOOLS_DIR/../.venv/bin/python" ]]; then
    PYTHON=$TOOLS_DIR/../.venv/bin/python
fi
PYTHON=${PYTHON:-python}
export PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}"
