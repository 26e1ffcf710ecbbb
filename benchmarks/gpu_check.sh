#!/usr/bin/env bash
# Where a GPU is lent: train the default digits SAAE for a minute and synthesize 100,000 samples
# on it, and the same work, shorter, on this machine's CPU as the baseline of the same run; prints
# it/s, img/s and the GPU/CPU ratios. With several GPUs it also trains under torchrun, one
# process per GPU (DDP, nccl) at the same global batch.
#
#   bash benchmarks/gpu_check.sh                 # needs a CUDA build of torch and a GPU
#   DEVICE=cpu N=2000 MINUTES=0.2 bash benchmarks/gpu_check.sh   # a dry run of the script itself
#
# Environment: PYTHON (default .venv/bin/python, else python3), DEVICE (cuda), MINUTES (1),
# N (100000), CPU_MINUTES (0.5), CPU_N (5000), OUT (a new temporary folder).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
DEVICE=${DEVICE:-cuda}
MINUTES=${MINUTES:-1}
N=${N:-100000}
CPU_MINUTES=${CPU_MINUTES:-0.5}
CPU_N=${CPU_N:-5000}
OUT=${OUT:-$(mktemp -d -t saae-gpu-check-XXXX)}
SAAE=("$PYTHON" -m saae_augment)

if [ "$DEVICE" = cuda ] && ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: torch sees no CUDA GPU (torch $("$PYTHON" -c 'import torch; print(torch.__version__)')); install a CUDA build of torch, or DEVICE=cpu for a dry run" >&2
    exit 2
fi
"$PYTHON" - "$DEVICE" <<'EOF'
import sys, torch
dev = sys.argv[1]
name = torch.cuda.get_device_name(0) if dev == "cuda" else "CPU"
print(f"gpu_check: torch {torch.__version__}, device {dev} ({name}), GPUs {torch.cuda.device_count()}")
EOF

# train: a time budget, not a step count, so every device gets the same wall clock
train() {  # $1 device, $2 minutes, $3 out
    "${SAAE[@]}" train --recipe digits --device "$1" --minutes "$2" --max-steps 1000000 --out "$3" \
        --set train.eval_every=1000000 --set train.grid_every=1000000 >"$3.log" 2>&1 \
        || { tail -20 "$3.log" >&2; exit 1; }
}
synth() {  # $1 device, $2 n, $3 run, $4 out
    "${SAAE[@]}" synth --ckpt "$3" -n "$2" --device "$1" --out "$4" >"$4.log" 2>&1 || { tail -20 "$4.log" >&2; exit 1; }
}
figure() {  # $1 json file, $2 key
    "$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

train "$DEVICE" "$MINUTES" "$OUT/run-test"
synth "$DEVICE" "$N" "$OUT/run-test" "$OUT/synth-test"
train cpu "$CPU_MINUTES" "$OUT/run-baseline"
synth cpu "$CPU_N" "$OUT/run-test" "$OUT/synth-baseline"

it_dev=$(figure "$OUT/run-test/summary.json" it_s)
it_cpu=$(figure "$OUT/run-baseline/summary.json" it_s)
img_dev=$(figure "$OUT/synth-test/manifest.json" images_per_s)
img_cpu=$(figure "$OUT/synth-baseline/manifest.json" images_per_s)
steps=$(figure "$OUT/run-test/summary.json" step)
echo "train (digits, batch 64, ${MINUTES} min): $DEVICE $it_dev it/s ($steps steps), cpu $it_cpu it/s;" \
     "ratio $("$PYTHON" -c "print(f'{$it_dev / $it_cpu:.2f}')")×"
echo "synth (${N} samples on $DEVICE, ${CPU_N} on cpu, PNG + labels): $DEVICE $img_dev img/s, cpu $img_cpu img/s;" \
     "ratio $("$PYTHON" -c "print(f'{$img_dev / $img_cpu:.2f}')")×"

GPUS=$("$PYTHON" -c "import torch; print(torch.cuda.device_count())")
if [ "$DEVICE" = cuda ] && [ "$GPUS" -gt 1 ]; then
    "$PYTHON" -m torch.distributed.run --standalone --nproc-per-node "$GPUS" -m saae_augment train --recipe digits \
        --device cuda --minutes "$MINUTES" --max-steps 1000000 --out "$OUT/run-ddp" \
        --set train.eval_every=1000000 --set train.grid_every=1000000 >"$OUT/run-ddp.log" 2>&1 \
        || { tail -20 "$OUT/run-ddp.log" >&2; exit 1; }
    it_ddp=$(figure "$OUT/run-ddp/summary.json" it_s)
    echo "train under torchrun, $GPUS GPUs (global batch 64): $it_ddp it/s;" \
         "ratio to one GPU $("$PYTHON" -c "print(f'{$it_ddp / $it_dev:.2f}')")×"
fi
echo "outputs in $OUT"
