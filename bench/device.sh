#!/usr/bin/env bash
# Runs the frod-ts gpu device on a machine with an NVIDIA GPU, as it is, in under 5 minutes:
#   1. reports the GPU, driver and Node;
#   2. installs dependencies (npm ci) unless node_modules is already current (gl, the headless-gl binding, is an
#      optional dependency of gpu.js and is built or downloaded by npm ci when the machine allows);
#   3. finds an X server for headless-gl (uses $DISPLAY, else xvfb-run; as root with apt-get, installs xvfb);
#   4. probes WebGPU through the `webgpu` package (Dawn; needs a Vulkan driver, e.g. the NVIDIA ICD);
#   5. checks parity with the cpu device: the gpu test suite on the default backend, and the full parity
#      suite on headless-gl when it can open a context;
#   6. prints matmul speed on every backend beside the cpu device and tfjs-backend-wasm (bench/gpu.ts).
# Usage: bash bench/device.sh [sizes...]   (default sizes: 256 512 1024). Every step is time-boxed and a failed
# optional step is reported, not fatal. Exit status: 0 when every parity check that ran passed.
# Environment: FROD_SKIP_INSTALL=1 skips npm ci; FROD_NO_APT=1 never calls apt-get.
set -uo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
SIZES=("${@:-256 512 1024}")
STATUS=0
# Seconds a step may take: at most $1, and never past the 285 s mark (the whole run stays under 5 minutes).
budget() { local left=$(( 285 - ($(date +%s) - START) )); local want=$1; [ "$left" -lt "$want" ] && want=$left; [ "$want" -lt 5 ] && want=5; echo "$want"; }
log() { printf '\n[device.sh +%ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

log "1/6 machine"
if have nvidia-smi; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
  echo "nvidia-smi not found (no NVIDIA driver visible): the gpu device still runs on WebAssembly"
fi
if ! have node; then echo "node is not installed (Node >= 20 required)"; exit 2; fi
echo "node $(node --version), $(uname -sm), $(nproc) cores"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" -lt 20 ]; then echo "Node >= 20 required"; exit 2; fi

log "2/6 dependencies"
if [ "${FROD_SKIP_INSTALL:-0}" = 1 ]; then
  echo "FROD_SKIP_INSTALL=1: npm ci skipped"
elif [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] && [ -d node_modules/gpu.js ]; then
  echo "node_modules is current: npm ci skipped"
else
  timeout "$(budget 120)" npm ci --no-audit --no-fund || echo "npm ci failed or timed out: continuing with what is installed"
fi
if [ ! -d node_modules/gpu.js ] || [ ! -d node_modules/tsx ]; then echo "gpu.js/tsx missing: cannot continue"; exit 2; fi
if node -e "require('gl')" >/dev/null 2>&1; then echo "gl (headless-gl): installed"; else echo "gl (headless-gl): not installed (optional dependency did not build here)"; fi

log "3/6 X server for headless-gl"
XRUN=()
if [ -n "${DISPLAY:-}" ]; then
  echo "using DISPLAY=$DISPLAY"
elif have xvfb-run; then
  XRUN=(xvfb-run -a -s "-screen 0 1024x768x24")
  echo "using xvfb-run"
elif [ "$(id -u)" = 0 ] && have apt-get && [ "${FROD_NO_APT:-0}" != 1 ]; then
  echo "installing xvfb (apt-get, 60 s at most)"
  (timeout "$(budget 30)" apt-get install -y -qq xvfb >/dev/null 2>&1 || (timeout "$(budget 30)" apt-get update -qq >/dev/null 2>&1 && timeout "$(budget 30)" apt-get install -y -qq xvfb >/dev/null 2>&1)) \
    && have xvfb-run && XRUN=(xvfb-run -a -s "-screen 0 1024x768x24") && echo "using xvfb-run" || echo "xvfb unavailable: headless-gl skipped"
else
  echo "no DISPLAY and no xvfb-run: headless-gl will be skipped"
fi
run_x() { if [ ${#XRUN[@]} -gt 0 ]; then "${XRUN[@]}" "$@"; else "$@"; fi; }
run_x timeout "$(budget 20)" node -e "
  const ctx = (() => { try { return require('gl')(1, 1); } catch { return null; } })();
  if (!ctx) { console.log('headless-gl: no context'); process.exit(0); }
  const info = ctx.getExtension('WEBGL_debug_renderer_info');
  console.log('headless-gl renderer:', info ? ctx.getParameter(info.UNMASKED_RENDERER_WEBGL) : ctx.getParameter(ctx.RENDERER),
    '(llvmpipe/softpipe = Mesa on the CPU under Xvfb; a GPU name = hardware GL)');
" || echo "headless-gl probe failed"

log "4/6 WebGPU (Dawn through the webgpu package)"
timeout "$(budget 30)" node --input-type=module -e "
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const adapter = await create([]).requestAdapter();
    if (!adapter) console.log('webgpu: loaded, but no adapter (needs a Vulkan driver: libvulkan1 and the NVIDIA ICD, NVIDIA_DRIVER_CAPABILITIES=graphics,compute in containers)');
    else console.log('webgpu adapter:', JSON.stringify(adapter.info ?? {}));
  } catch (err) { console.log('webgpu: unavailable —', String(err.message).split('\n')[0]); }
  process.exit(0);
" || echo "webgpu probe failed or timed out"

log "5/6 parity with the cpu device"
if timeout "$(budget 60)" node scripts/run-tests.mjs test/gpu '(parity|autograd|device)\.test\.ts$'; then
  echo "PARITY OK on the default backend"
else
  echo "PARITY FAILED on the default backend"; STATUS=1
fi
if run_x timeout "$(budget 75)" node scripts/run-tests.mjs test/gpu 'headlessgl\.test\.ts$'; then
  echo "headless-gl parity: passed (or skipped with the reason printed above)"
else
  echo "PARITY FAILED on headless-gl"; STATUS=1
fi

log "6/6 matmul speed (sizes: ${SIZES[*]})"
# shellcheck disable=SC2068
run_x timeout "$(budget 120)" npx tsx bench/gpu.ts ${SIZES[@]} || echo "benchmark failed or timed out"

log "done in $(( $(date +%s) - START )) s, status $STATUS"
exit $STATUS
