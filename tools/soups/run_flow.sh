#!/usr/bin/env bash
# The whole model-soups flow on the embedded digits data:
#   [CFG=...] [PRETRAIN=...] [PRETRAIN_SEED=0] tools/soups/run_flow.sh [OUT_DIR]
# pre-train -> 8 ingredients -> individual scores -> uniform and greedy soups -> WiSE-FT ->
# test accuracy -> predictions of the three best ingredients -> hard vote. Finished steps are
# skipped on a rerun (each tool writes its outputs atomically).
set -euo pipefail
source "$(dirname "$0")/../python_env.sh"
D=${1:-work_dirs/soups}
mkdir -p "$D/predictions"
CFG=${CFG:-configs/soups/finetune_cnn_digits.py}  # the ingredients' config
PRETRAIN=${PRETRAIN:-configs/soups/pretrain_cnn_rotated-digits.py}  # the shared initial model's
PRETRAIN_SEED=${PRETRAIN_SEED:-0}
run() { echo "+ $*" >&2; "$PYTHON" "$@"; }

[[ -f $D/pretrain/epoch_8.pth ]] || run_logged "$D.pretrain.log" "$PYTHON" tools/train.py \
    "$PRETRAIN" --work-dir "$D/pretrain" --cfg-options randomness.seed="$PRETRAIN_SEED"
bash tools/soups/train_ingredients.sh "$D/ingredients" "$CFG" load_from="$D/pretrain/epoch_8.pth"
run tools/soups/eval_individual.py "$CFG" "$D/ingredients/*/epoch_*.pth" --out "$D/individual.jsonl"
for recipe in uniform greedy; do
    run tools/soups/soup.py "$CFG" --recipe $recipe --individual "$D/individual.jsonl" \
        --out-dir "$D/$recipe" | tail -n 1
done
best=$("$PYTHON" -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(max(r, key=lambda x: x['score'])['checkpoint'])" "$D/individual.jsonl")
run tools/soups/wise_ft.py "$CFG" --initial "$D/pretrain/epoch_8.pth" --fine-tuned "$best" \
    --alphas 0 0.25 0.5 0.75 1 --out-dir "$D/wise_ft" | grep alpha
for model in "$best" "$D/uniform/uniform_soup.pth" "$D/greedy/greedy_soup.pth"; do
    run tools/test.py "$CFG" "$model" --work-dir "$D/test" --out "$D/test/$(basename "$model" .pth).json" \
        | grep -o 'accuracy/top1: [0-9.]*' | sed "s|^|$model: test |"
done
top3=$("$PYTHON" -c "import json,sys; r=sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda x: -x['score']); print(' '.join(x['checkpoint'] for x in r[:3]))" "$D/individual.jsonl")
csvs=()
for model in $top3; do
    name=$(basename "$(dirname "$model")")
    run tools/soups/predict.py "$CFG" "$model" --out "$D/predictions/ingredient$name.csv"
    csvs+=("$D/predictions/ingredient$name.csv")
done
run tools/soups/hard_vote.py "${csvs[@]}" --out "$D/predictions/vote.csv"
run tools/soups/score_predictions.py "$CFG" "${csvs[@]}" "$D/predictions/vote.csv"
