#!/usr/bin/env bash
# Train with GPUS processes on this node: tools/dist_train.sh CONFIG GPUS [train.py args...]
# More nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each. Without CUDA the processes
# train on the CPU over gloo (mm_cl_addon.compat.distributed).
# PYTHON picks the interpreter; unset, the repo's .venv is used when it exists.
set -euo pipefail

if (( $# < 2 )); then
    echo "usage: $0 CONFIG GPUS [train.py args...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
TOOLS_DIR=$(cd "$(dirname "$0")" && pwd)
if [[ -z "${PYTHON:-}" && -x "$TOOLS_DIR/../.venv/bin/python" ]]; then
    PYTHON=$TOOLS_DIR/../.venv/bin/python
fi
PYTHON=${PYTHON:-python}

PYTHONPATH="$TOOLS_DIR/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS_DIR/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
