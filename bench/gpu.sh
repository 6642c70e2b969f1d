#!/usr/bin/env bash
# Measure factloom through a vLLM server on a GPU and write bench/results/gpu.md.
#
# On a machine with an NVIDIA GPU, the project installed (make install) and vLLM in the same environment
# (pip install 'factloom[vllm]'):
#
#     bench/gpu.sh MODEL_DIR [NAME]
#
# MODEL_DIR is a model in Hugging Face format on local disk (config.json, tokenizer, safetensors; e.g.
# Qwen2.5-7B-Instruct), or an id vLLM can download where the machine reaches huggingface.co. The script
# serves it with `vllm serve`, samples nvidia-smi every 250 ms, runs bench/extract.py (the shared PDFs) and
# bench/quality.py (CoNLL04 dev, factloom and the single-prompt baseline) through the server, and writes
# bench/results/gpu/ (raw results) and bench/results/gpu.md. Nothing is written from estimates: with no GPU
# or no vLLM it stops before measuring anything.
#
# Environment: PY (python of the venv, default .venv/bin/python), PORT (8011), CONCURRENCY (64),
# PROFILE (large), EXTRACT_ARGS (e.g. "--max-pages 4"), QUALITY_ARGS (default: the two CoNLL04 runs),
# QUALITY_LABEL (the results file name bench/quality.py uses, default qwen-1.5b), VLLM_ARGS (extra flags
# for vllm serve, e.g. "--max-model-len 8192").
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=${1:?usage: bench/gpu.sh MODEL_DIR [NAME]}
NAME=${2:-factloom-gpu}
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8011}
CONCURRENCY=${CONCURRENCY:-64}
PROFILE=${PROFILE:-large}
QUALITY_ARGS=${QUALITY_ARGS:---only conll04-factloom conll04-single-prompt}
QUALITY_LABEL=${QUALITY_LABEL:-qwen-1.5b}
OUT=bench/results/gpu
URL=http://127.0.0.1:$PORT/v1

command -v nvidia-smi >/dev/null || { echo "error: nvidia-smi not found: run this on a GPU machine" >&2; exit 2; }
VLLM=$(dirname "$PY")/vllm
[ -x "$VLLM" ] || { echo "error: $VLLM not found: pip install 'factloom[vllm]' into this venv" >&2; exit 2; }
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
mkdir -p "$OUT"

"$VLLM" serve "$MODEL" --served-model-name "$NAME" --host 127.0.0.1 --port "$PORT" ${VLLM_ARGS:-} \
    >"$OUT/vllm.log" 2>&1 &
SERVER=$!
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT

echo "waiting for vLLM at $URL (log: $OUT/vllm.log)" >&2
for _ in $(seq 1 600); do
    kill -0 "$SERVER" 2>/dev/null || { echo "error: vllm serve exited; see $OUT/vllm.log" >&2; exit 1; }
    "$PY" -c "import httpx,sys; sys.exit(httpx.get('$URL/models', timeout=2).status_code != 200)" \
        2>/dev/null && break
    sleep 1
done

sample() {  # sample GPU utilisation into $1 until stop_sampling
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 250 >"$1" &
    SAMPLER=$!
}
stop_sampling() { kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=; }

sample "$OUT/gpu_extract.csv"
"$PY" bench/extract.py --base-url "$URL" --served-model "$NAME" --concurrency "$CONCURRENCY" \
    --out gpu/extract ${EXTRACT_ARGS:-}
stop_sampling

sample "$OUT/gpu_quality.csv"
# shellcheck disable=SC2086  # QUALITY_ARGS is a list of flags
"$PY" bench/quality.py --model "$QUALITY_LABEL" --base-url "$URL" --served-model "$NAME" \
    --concurrency "$CONCURRENCY" --profile "$PROFILE" --results "$OUT" $QUALITY_ARGS
stop_sampling

"$PY" bench/gpu_report.py "$OUT" --model "$MODEL" --gpu "$GPU" >bench/results/gpu.md
cat bench/results/gpu.md
