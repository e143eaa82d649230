#!/usr/bin/env bash
# Fine-tune soup ingredients from the shared pre-trained checkpoint, each with its own
# hyper-parameters: tools/soups/train_ingredients.sh [OUT_DIR] [CONFIG] [KEY=VALUE ...]
# (the KEY=VALUE pairs join every ingredient's --cfg-options, e.g. load_from=...)
# Each line of the grid below is one ingredient: learning rate, weight decay, epochs, seed.
set -euo pipefail
source "$(dirname "$0")/../python_env.sh"
OUT_DIR=${1:-work_dirs/soups/ingredients}
mkdir -p "$OUT_DIR"
CONFIG=${2:-configs/soups/finetune_cnn_digits.py}
GRID=(
    "0.02 5e-4 4 0"
    "0.01 5e-4 4 1"
    "0.04 5e-4 3 2"
    "0.02 1e-4 5 3"
    "0.005 5e-4 5 4"
    "0.03 1e-3 4 5"
    "0.015 2e-4 3 6"
    "0.02 5e-4 4 7"
)
for i in "${!GRID[@]}"; do
    read -r lr wd epochs seed <<<"${GRID[$i]}"
    if [[ -f "$OUT_DIR/$i/epoch_$epochs.pth" ]]; then
        echo "ingredient $i: done already"
        continue
    fi
    echo "ingredient $i: lr=$lr weight_decay=$wd epochs=$epochs seed=$seed"
    run_logged "$OUT_DIR/$i.log" "$PYTHON" "$TOOLS_DIR/train.py" "$CONFIG" \
        --work-dir "$OUT_DIR/$i" --cfg-options \
        optim_wrapper.optimizer.lr="$lr" optim_wrapper.optimizer.weight_decay="$wd" \
        train_cfg.max_epochs="$epochs" train_cfg.val_interval="$epochs" \
        param_scheduler.0.T_max="$epochs" randomness.seed="$seed" "${@:3}"
done
