#!/usr/bin/env bash
# Test with GPUS processes on this node: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# NNODES, NODE_RANK, MASTER_ADDR, PORT and PYTHON as in dist_launch.sh; CPU-only machines work.
set -euo pipefail
if (( $# < 3 )); then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py args...]" >&2
    exit 2
fi
exec "$(dirname "$0")/dist_launch.sh" test.py "$3" "$1" "$2" "${@:4}"
