#!/usr/bin/env bash
# DeRy end to end on the embedded 8x8 digits (docs/dery_walkthrough.md):
#   bash tools/dery/run_digits_pipeline.sh WORK_DIR
# 1 train the zoo (configs/dery/zoo/*.py)   2 get_rep   3 count_inout_size   4 compute_sim
# 5 partition   6 zeroshot_reassembly under a parameter budget   7 fine-tune the chosen network
# with frozen blocks, end to end, and the same architecture from scratch (same steps)
# 8 print the accuracies. Steps whose output exists are skipped, so a rerun resumes.
# The zoo lands in WORK_DIR/<name>/final.pth: with WORK_DIR=work_dirs/dery_zoo it is where
# configs/dery/zoo/zoo.yaml points; the run writes WORK_DIR/zoo.yaml pointing there anyway.
# Settings (environment): ZOO_ITERS=300 FT_ITERS=300 K=3 EPS=0.5 TRIAL=10 MAX_PARAMS=60000
# TOP_M=3 PROXY=naswot NUM_SAMPLES (get_rep samples, default all) PYTHON (default .venv's).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 WORK_DIR" >&2
    exit 1
fi
source "$(dirname "$0")/../python_env.sh"  # PYTHON, REPO, run_logged
mkdir -p "$1"
WORK=$(cd "$1" && pwd)
cd "$REPO"
ZOO_ITERS=${ZOO_ITERS:-300}
FT_ITERS=${FT_ITERS:-300}
K=${K:-3}
EPS=${EPS:-0.5}
TRIAL=${TRIAL:-10}
MAX_PARAMS=${MAX_PARAMS:-60000}
TOP_M=${TOP_M:-3}
PROXY=${PROXY:-naswot}
DATA=configs/dery/zoo/_base_digits.py  # the target data (train split) and the emitted configs' base
SIM_DATA=configs/dery/compute_sim/digits_test.py  # the samples features are compared on

run() {  # echo the command, then run it
    echo "+ $*"
    "$@"
}

train() {  # train CONFIG WORK_DIR ITERS [cfg-options...]; skipped when final.pth exists
    local config=$1 dir=$2 iters=$3
    shift 3
    if [ -f "$dir/final.pth" ]; then
        echo "= $dir/final.pth exists"
        return
    fi
    mkdir -p "$dir"
    echo "+ $PYTHON tools/train.py $config --work-dir $dir --cfg-options" \
         "train_cfg.max_iters=$iters param_scheduler.0.T_max=$iters${*:+ $*} > $dir/train.log"
    run_logged "$dir/train.log" "$PYTHON" tools/train.py "$config" --work-dir "$dir" \
        --cfg-options "train_cfg.max_iters=$iters" "param_scheduler.0.T_max=$iters" "$@"
}

accuracy() {  # the last validation top-1 of a work dir (mmengine's scalars.json)
    "$PYTHON" - "$1" <<'PY'
import glob, json, sys
rows = [json.loads(line) for path in sorted(glob.glob(f'{sys.argv[1]}/*/vis_data/scalars.json'))
        for line in open(path)]
print(next(f"{r['accuracy/top1']:.2f}" for r in reversed(rows) if 'accuracy/top1' in r))
PY
}

wait_all() {  # wait for every background job; fail if one failed
    local failed=0
    for pid in "$@"; do wait "$pid" || failed=1; done
    return $failed
}

echo "== 1. zoo ($ZOO_ITERS iterations each) -> $WORK/<name>/final.pth"
pids=()
for config in configs/dery/zoo/[!_]*.py; do
    name=$(basename "$config" .py)
    train "$config" "$WORK/$name" "$ZOO_ITERS" & pids+=($!)
done
wait_all "${pids[@]}"
sed "s#\.\./\.\./\.\./work_dirs/dery_zoo#$WORK#" configs/dery/zoo/zoo.yaml > "$WORK/zoo.yaml"
grep -v 'checkpoint:' "$WORK/zoo.yaml" > "$WORK/zoo_scratch.yaml"
for config in configs/dery/zoo/[!_]*.py; do
    name=$(basename "$config" .py)
    echo "$name: val top-1 $(accuracy "$WORK/$name")"
done

echo "== 2-3. get_rep, count_inout_size"
if [ ! -f "$WORK/sizes.json" ] || [ ! -d "$WORK/feat" ]; then
    run "$PYTHON" tools/dery/get_rep.py "$WORK/zoo.yaml" "$SIM_DATA" --out-dir "$WORK/feat" \
        --no-progress ${NUM_SAMPLES:+--num-samples "$NUM_SAMPLES"} & rep=$!
    run "$PYTHON" tools/dery/count_inout_size.py "$WORK/zoo.yaml" "$SIM_DATA" \
        --out "$WORK/sizes.json" & count=$!
    wait_all "$rep" "$count"
fi

echo "== 4. compute_sim"
[ -f "$WORK/sim/index.json" ] || \
    run "$PYTHON" tools/dery/compute_sim.py "$WORK/feat" --out-dir "$WORK/sim" --sim-func cka

echo "== 5. partition"
[ -f "$WORK/partition.json" ] || \
    run "$PYTHON" tools/dery/partition.py "$WORK/sim" --out "$WORK/partition.json" --K "$K" \
        --eps "$EPS" --trial "$TRIAL" --seed 0 --sizes "$WORK/sizes.json"

echo "== 6. zeroshot_reassembly"
[ -f "$WORK/reassembly/summary.json" ] || \
    run "$PYTHON" tools/dery/zeroshot_reassembly.py --partition "$WORK/partition.json" \
        --sizes "$WORK/sizes.json" --zoo "$WORK/zoo.yaml" --data-config "$DATA" \
        --num-classes 10 --max-params "$MAX_PARAMS" --proxy "$PROXY" --top-m "$TOP_M" \
        --out-dir "$WORK/reassembly"
CHOSEN=$WORK/reassembly/rank1.py

echo "== 7. fine-tune $CHOSEN ($FT_ITERS iterations each)"
train "$CHOSEN" "$WORK/ft_frozen" "$FT_ITERS" & a=$!
train "$CHOSEN" "$WORK/ft_full" "$FT_ITERS" model.backbone.freeze_blocks=False & b=$!
train "$CHOSEN" "$WORK/scratch" "$FT_ITERS" model.backbone.freeze_blocks=False \
    "model.backbone.zoo=$WORK/zoo_scratch.yaml" & c=$!
wait_all "$a" "$b" "$c"

echo "== 8. val top-1 (%) after $FT_ITERS iterations"
echo "reassembled, frozen blocks:  $(accuracy "$WORK/ft_frozen")"
echo "reassembled, end to end:     $(accuracy "$WORK/ft_full")"
echo "same architecture, scratch:  $(accuracy "$WORK/scratch")"
