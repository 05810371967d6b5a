#!/usr/bin/env node
// ONNX Runtime's side of ledge's benchmark comparison: measures a model the way `ledge bench`
// does and prints one JSON line with the same keys.
//   node bench/compare_ort/ort_bench.js MODEL [--threads N] [--iterations K] [--warmup W]
//                                       [--max-seconds T] [--shape NAME=DIMS]... [--seed S]
//   node bench/compare_ort/ort_bench.js --baseline
// load_ms is session creation from the file; the first run is timed alone, then W untimed
// runs, then up to K timed runs (fewer when T seconds pass first). Inputs are random data of
// the declared type and shape. peak_rss_mb is the process's maximum resident set, which
// includes node itself: --baseline prints the peak RSS of a process that only loaded
// onnxruntime-node, so the caller can subtract it.
'use strict';

const path = require('path');

const ortPath = path.join(__dirname, '..', '..', 'tools', 'ort', 'node_modules', 'onnxruntime-node');

function usage(msg) {
  process.stderr.write(`ort_bench.js: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = {model: null, threads: 1, iterations: 50, warmup: 5, maxSeconds: 0, shapes: {},
             seed: 0, baseline: false};
  const intArg = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min)
      usage(`${name} expects an integer >= ${min}, got '${v}'`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--baseline') a.baseline = true;
    else if (arg === '--threads') a.threads = intArg(arg, argv[++i], 1);
    else if (arg === '--iterations') a.iterations = intArg(arg, argv[++i], 1);
    else if (arg === '--warmup') a.warmup = intArg(arg, argv[++i], 0);
    else if (arg === '--seed') a.seed = intArg(arg, argv[++i], 0);
    else if (arg === '--max-seconds') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) usage(`--max-seconds expects seconds >= 0`);
      a.maxSeconds = v;
    } else if (arg === '--shape') {
      const spec = argv[++i] || '';
      const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(spec);
      if (!m) usage(`--shape expects NAME=DIMS (like input=1x3x224x224), got '${spec}'`);
      a.shapes[m[1]] = m[2].split('x').map(Number);
    } else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else if (a.model === null) a.model = arg;
    else usage(`unexpected argument '${arg}'`);
  }
  if (!a.baseline && a.model === null) usage('no model given');
  return a;
}

function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;  // maxRSS is in KiB
}

// xorshift32: a small fixed-seed generator, so every run feeds the same data.
function makeRandom(seed) {
  let s = (seed * 2654435761 + 1) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const typedArrays = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array,
};

function randomTensor(ort, type, dims, random) {
  const Ctor = typedArrays[type];
  if (!Ctor) throw new Error(`unsupported input type ${type}`);
  const n = dims.reduce((p, d) => p * d, 1);
  const data = new Ctor(n);
  for (let i = 0; i < n; ++i) {
    const r = random();
    if (type === 'float32' || type === 'float64') data[i] = r * 2 - 1;
    else if (type === 'bool') data[i] = r < 0.5 ? 0 : 1;
    else if (Ctor === BigInt64Array || Ctor === BigUint64Array) data[i] = BigInt(Math.floor(r * 10));
    else data[i] = Math.floor(r * 10);
  }
  return new ort.Tensor(type, data, dims);
}

// Declared dimensions, with the same rule as `ledge bench`: --shape wins, a dynamic leading
// (batch) dimension becomes 1, any other dynamic dimension is an error.
function inputDims(meta, shapes) {
  if (shapes[meta.name]) return shapes[meta.name];
  return meta.shape.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (i === 0) return 1;
    throw new Error(`input '${meta.name}' has a dynamic dimension ${i}; fix it with --shape`);
  });
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// Nearest-rank percentile, the same rule as `ledge bench`.
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function main(argv) {
  const a = parseArgs(argv);
  let ort;
  try {
    ort = require(ortPath);
  } catch (e) {
    process.stderr.write(`ort_bench.js: cannot load onnxruntime-node (run npm ci --ignore-scripts` +
                         ` in tools/ort): ${e.message}\n`);
    return 2;
  }
  if (a.baseline) {
    process.stdout.write(JSON.stringify({runtime: 'onnxruntime-node', baseline: true,
                                         peak_rss_mb: peakRssMb()}) + '\n');
    return 0;
  }
  let t0 = nowMs();
  const session = await ort.InferenceSession.create(a.model, {
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = nowMs() - t0;
  const rssAfterLoadMb = process.memoryUsage().rss / (1024 * 1024);

  const random = makeRandom(a.seed);
  const feeds = {};
  const inputs = [];
  for (const meta of session.inputMetadata) {
    const dims = inputDims(meta, a.shapes);
    feeds[meta.name] = randomTensor(ort, meta.type, dims, random);
    inputs.push({name: meta.name, dtype: meta.type, shape: dims});
  }

  t0 = nowMs();
  await session.run(feeds);
  const firstRunMs = nowMs() - t0;
  for (let i = 0; i < a.warmup; ++i) await session.run(feeds);
  const runs = [];
  let stoppedBy = 'iterations';
  const loopStart = nowMs();
  for (let i = 0; i < a.iterations; ++i) {
    if (a.maxSeconds > 0 && i > 0 && nowMs() - loopStart >= a.maxSeconds * 1000) {
      stoppedBy = 'time';
      break;
    }
    t0 = nowMs();
    await session.run(feeds);
    runs.push(nowMs() - t0);
  }
  const sorted = runs.slice().sort((x, y) => x - y);
  const result = {
    runtime: 'onnxruntime-node',
    ort_version: require(path.join(ortPath, 'package.json')).version,
    model: path.basename(a.model, path.extname(a.model)),
    path: a.model,
    threads: a.threads,
    inputs,
    load_ms: loadMs,
    first_run_ms: firstRunMs,
    warmup: a.warmup,
    iterations: runs.length,
    stopped_by: stoppedBy,
    median_ms: median(sorted),
    p90_ms: percentile(sorted, 90),
    p99_ms: percentile(sorted, 99),
    mean_ms: runs.reduce((s, x) => s + x, 0) / runs.length,
    min_ms: sorted[0],
    max_ms: sorted[sorted.length - 1],
    rss_after_load_mb: rssAfterLoadMb,
    peak_rss_mb: peakRssMb(),
  };
  await session.release();
  process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ort_bench.js: ${err && err.message ? err.message : err}\n`);
      process.exitCode = 1;
    });
