#!/usr/bin/env bash
# Pick-a-back on Split-Digits, Split-CIFAR-100 or (MM-Pick-a-back) captioned data, all steps:
#   1. a baseline per task, trained from scratch; its validation accuracy is the task's goal
#   2. each candidate backbone task trained with CPG and compacted by gradual pruning
#   3. each candidate's pruning ratio chosen (highest within the allowed loss of its goal)
#   4. the candidate most similar to the target's baseline chosen by ModelDiff
#   (MM only) the target baseline's key/value projection for its modality moved into it
#   5. the target task trained with CPG on the chosen backbone (picking, growing, compacting)
#
# usage: tools/pickaback/run_pipeline.sh WORK_DIR [TARGET [CANDIDATE ...]]
#   TARGET: a task number (default: the last task); CANDIDATES: default every other task.
#   Split-Digits: tasks 1..5, task t holds digits 2t-2 and 2t-1. Split-CIFAR-100 (SUITE=cifar100,
#   data in data/cifar100): tasks 1..20, the superclasses in coarse-label order. Captions
#   (SUITE=cub, oxford102 or coco; data in $CUB_ROOT, $OXFORD102_ROOT or $COCO_ROOT): the
#   `tasks` of MM_TASKS_FILE (default configs/mm_pickaback/baseline_perceiver_$SUITE.py: 3 image
#   tasks, then 3 text tasks).
# Environment: SUITE (digits, cifar100, cub, oxford102 or coco; default digits), EPOCHS (epochs
#   per task, default the config's), PYTHON (default the repo's .venv), ALLOWED_ACC_LOSS (default the
#   config's), NUM_SAMPLES (ModelDiff profiling samples, default 64), MODELDIFF_STEPS (ModelDiff
#   input-search steps, default 200).
# A step whose output exists is skipped, so an interrupted pipeline resumes where it stopped.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    sed -n '2,24p' "$0" >&2
    exit 2
fi
SUITE=${SUITE:-digits}
source "$(dirname "$0")/../python_env.sh"  # PYTHON, REPO, run_logged
CONFIG_DIR=configs/pickaback
case $SUITE in
    digits) NUM_TASKS=5; FAMILY=cnn_split-digits
            VAL_ARGS=(--cfg-options test_dataloader.dataset.dataset.split=val) ;;
    cifar100) NUM_TASKS=20; FAMILY=resnet18_split-cifar100
              VAL_ARGS=() ;;  # CIFAR has no validation split: its test split serves
    cub|oxford102|coco)
        CONFIG_DIR=configs/mm_pickaback; FAMILY=perceiver_$SUITE
        MM_TASKS_FILE=${MM_TASKS_FILE:-$REPO/configs/mm_pickaback/baseline_perceiver_$SUITE.py}
        # One read of the tasks (without importing the package): line 1 their number, then
        # each task's TaskSplitDataset entry, then each task's modality (domain 0 = image).
        mapfile -t MM_TASKS < <(cd "$REPO" && "$PYTHON" -c 'import sys; from mmengine.config import Config
tasks = Config.fromfile(sys.argv[1], import_custom_modules=False).tasks
print(len(tasks)); [print(task) for task in tasks]
[print("image" if task[1][0] == 0 else "text") for task in tasks]' "$MM_TASKS_FILE")
        if ! [[ ${MM_TASKS[0]:-} =~ ^[0-9]+$ ]]; then
            echo "run_pipeline.sh: could not read \`tasks\` from MM_TASKS_FILE=$MM_TASKS_FILE" >&2
            exit 2
        fi
        NUM_TASKS=${MM_TASKS[0]}
        VAL_ARGS=(--cfg-options test_dataloader.dataset.dataset.datasets.0.split=val
                  test_dataloader.dataset.dataset.datasets.1.split=val) ;;
    *) echo "run_pipeline.sh: SUITE='$SUITE' is not digits, cifar100, cub, oxford102 or coco" >&2
       exit 2 ;;
esac
WORK_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
TARGET=${2:-$NUM_TASKS}
shift $(( $# > 1 ? 2 : 1 ))
CANDIDATES=("$@")
if [[ ${#CANDIDATES[@]} -eq 0 ]]; then
    for (( task = 1; task <= NUM_TASKS; task++ )); do
        [[ $task != "$TARGET" ]] && CANDIDATES+=("$task")
    done
fi
for task in "$TARGET" "${CANDIDATES[@]}"; do
    if ! [[ $task =~ ^[0-9]+$ ]] || (( task < 1 || task > NUM_TASKS )); then
        echo "run_pipeline.sh: task '$task' is not a $SUITE task number 1..$NUM_TASKS" >&2
        exit 2
    fi
done
HOOK_ARGS=()
[[ -n ${ALLOWED_ACC_LOSS:-} ]] && HOOK_ARGS+=("custom_hooks.0.allowed_acc_loss=$ALLOWED_ACC_LOSS")
NUM_SAMPLES=${NUM_SAMPLES:-64}
CONFIGS="$WORK_DIR/configs"
mkdir -p "$CONFIGS" "$WORK_DIR/baseline" "$WORK_DIR/backbone" "$WORK_DIR/target"
cd "$REPO"

config_value() {  # config_value FILE EXPRESSION-OF-cfg
    "$PYTHON" -c 'import sys; from mmengine.config import Config; cfg = Config.fromfile(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

task_spec() {  # task_spec TASK: its TaskSplitDataset entry, as a Python literal
    case $SUITE in
        digits) echo "[$(( 2 * $1 - 2 )), $(( 2 * $1 - 1 ))]" ;;
        cifar100) config_value configs/_base_/datasets/cifar100_superclasses.py \
                      "cfg.superclasses[$1 - 1]" ;;
        *) echo "${MM_TASKS[$1]}" ;;  # the captioned suites
    esac
}

modality() {  # modality TASK: the input modality of a captioned-suite task
    echo "${MM_TASKS[NUM_TASKS + $1]}"
}

# child_config NAME STEP TASK: CONFIG_DIR/STEP_FAMILY.py restricted to one task.
child_config() {
    local head="tasks"
    [[ $CONFIG_DIR == configs/mm_pickaback ]] && head="[task[0] for task in tasks]"
    {
        echo "_base_ = ['$REPO/$CONFIG_DIR/$2_$FAMILY.py']"
        echo "tasks = [$(task_spec "$3")]"
        echo "train_dataloader = dict(dataset=dict(tasks=tasks))"
        echo "val_dataloader = dict(dataset=dict(tasks=tasks))"
        echo "test_dataloader = dict(dataset=dict(tasks=tasks))"
        echo "model = dict(head=dict(task_classes=$head))"
        [[ -n ${EPOCHS:-} ]] && echo "train_cfg = dict(epochs_per_task=$EPOCHS)"
        true
    } > "$CONFIGS/$1.py"
}

json_field() {  # json_field FILE KEY
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

echo "== 1. baselines: tasks $TARGET ${CANDIDATES[*]}"
for task in "$TARGET" "${CANDIDATES[@]}"; do
    out="$WORK_DIR/baseline/task$task"
    child_config "baseline_task$task" baseline "$task"
    if [[ ! -f "$out/last_checkpoint" ]]; then
        run_logged "$out.log" "$PYTHON" tools/train.py "$CONFIGS/baseline_task$task.py" \
            --work-dir "$out"
    fi
    if [[ ! -f "$out/val_metrics.json" ]]; then
        # The goal is measured on the validation split, the split CPG's ratio records use.
        run_logged "$out.test.log" "$PYTHON" tools/test.py "$CONFIGS/baseline_task$task.py" \
            "$(cat "$out/last_checkpoint")" --work-dir "$out" --out "$out/val_metrics.json" \
            "${VAL_ARGS[@]}"
    fi
    echo "task $task baseline: $(json_field "$out/val_metrics.json" task0/accuracy/top1)%"
done

echo "== 2-3. candidate backbones trained with CPG, pruning ratio chosen"
CANDIDATE_ARGS=()
for task in "${CANDIDATES[@]}"; do
    out="$WORK_DIR/backbone/task$task"
    child_config "backbone_task$task" cpg_backbone "$task"
    if [[ ! -f "$out/cpg/task1/choice.json" ]]; then
        run_logged "$out.log" "$PYTHON" tools/train.py "$CONFIGS/backbone_task$task.py" \
            --work-dir "$out" --cfg-options \
            "custom_hooks.0.baseline_metrics=$WORK_DIR/baseline/task$task/val_metrics.json" \
            "${HOOK_ARGS[@]}"
    fi
    if [[ ! -f "$out/choice.json" ]]; then
        "$PYTHON" tools/pickaback/select_pruning_ratio.py "$out/cpg/task1/ratios.json" \
            --baseline "$WORK_DIR/baseline/task$task/val_metrics.json" \
            --baseline-key task0/accuracy/top1 --allowed-acc-loss "$(json_field "$out/cpg/task1/choice.json" allowed_acc_loss)" \
            --out "$out/choice.json" > /dev/null
    fi
    echo "task $task keeps pruning ratio $(json_field "$out/choice.json" ratio)"
    CANDIDATE_ARGS+=(--candidate "task$task" "$CONFIGS/backbone_task$task.py"
                     "$(json_field "$out/choice.json" checkpoint)" 1)
done

echo "== 4. backbone selection (ModelDiff) for target task $TARGET"
SELECTION="$WORK_DIR/selection"
if [[ ! -f "$SELECTION/selection.json" ]]; then
    "$PYTHON" tools/pickaback/find_backbone.py "$CONFIGS/baseline_task$TARGET.py" \
        "$(cat "$WORK_DIR/baseline/task$TARGET/last_checkpoint")" "${CANDIDATE_ARGS[@]}" \
        --target-name "task$TARGET" --num-samples "$NUM_SAMPLES" --num-pairs $(( NUM_SAMPLES / 2 )) \
        --steps "${MODELDIFF_STEPS:-200}" --out-dir "$SELECTION"
fi
SELECTED=$(json_field "$SELECTION/selection.json" selected)
BACKBONE=$("$PYTHON" -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s["checkpoints"][s["selected"]])' "$SELECTION/selection.json")
echo "backbone for task $TARGET: $SELECTED ($BACKBONE)"

if [[ $CONFIG_DIR == configs/mm_pickaback ]]; then
    MODALITY=$(modality "$TARGET")
    echo "== 4b. the target baseline's $MODALITY key/value projection moved into $SELECTED"
    TRANSFERRED="$WORK_DIR/transfer/task$TARGET.pth"
    if [[ ! -f $TRANSFERRED ]]; then
        mkdir -p "$WORK_DIR/transfer"
        "$PYTHON" tools/pickaback/transfer_kv.py \
            "$(cat "$WORK_DIR/baseline/task$TARGET/last_checkpoint")" "$BACKBONE" \
            --modality "$MODALITY" --out "$TRANSFERRED"
    fi
    BACKBONE=$TRANSFERRED
fi

echo "== 5. target task $TARGET trained with CPG on $SELECTED"
out="$WORK_DIR/target/task$TARGET"
child_config "target_task$TARGET" cpg_target "$TARGET"
if [[ ! -f "$out/continual_accuracy.json" ]]; then
    run_logged "$out.log" "$PYTHON" tools/train.py "$CONFIGS/target_task$TARGET.py" \
        --work-dir "$out" --cfg-options "load_from=$BACKBONE" \
        "custom_hooks.0.baseline_metrics=$WORK_DIR/baseline/task$TARGET/val_metrics.json" \
        "${HOOK_ARGS[@]}"
fi
echo "target task $TARGET: $(cat "$out"/cpg/task*/choice.json)"
