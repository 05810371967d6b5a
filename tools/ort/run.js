#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (the reference for ledge's interop test) and writes every
// output as OUT_DIR/<name>.npy, naming files exactly as `ledge run --output-dir` does.
//   node tools/ort/run.js MODEL OUT_DIR NAME=FILE.npy...
// Inputs not given on the command line are an error: the test must feed both runtimes the same
// data. One thread and no graph rewrites, so the reference is each operator as written.
'use strict';

const fs = require('fs');
const path = require('path');
const {readNpy, writeNpy} = require('./npy');

// Same rule as ledge's sanitize_name (src/tools/ledge/common.cpp), byte by byte over UTF-8.
function sanitizeName(name) {
  let s = '';
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b);
    s += /[A-Za-z0-9_.-]/.test(c) ? c : '_';
  }
  if (s === '' || s === '.' || s === '..') s = '_' + s;
  return s;
}

async function main(argv) {
  if (argv.length < 2) {
    process.stderr.write('usage: node tools/ort/run.js MODEL OUT_DIR NAME=FILE.npy...\n');
    return 2;
  }
  const [model, outDir, ...specs] = argv;
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    process.stderr.write(`run.js: cannot load onnxruntime-node (run npm ci --ignore-scripts in ` +
                         `${__dirname}): ${e.message}\n`);
    return 2;
  }
  const feeds = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`run.js: expected NAME=FILE, got '${spec}'\n`);
      return 2;
    }
    const t = readNpy(spec.slice(eq + 1));
    feeds[spec.slice(0, eq)] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'disabled',
  });
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length > 0) {
    process.stderr.write(`run.js: no value given for input(s): ${missing.join(', ')}\n`);
    return 2;
  }
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, {recursive: true});
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(outDir, sanitizeName(name) + '.npy');
    writeNpy(file, t.type, t.dims, t.data);
    process.stdout.write(`${name}: ${t.type}[${t.dims.join('x')}] -> ${file}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`run.js: ${err && err.message ? err.message : err}\n`);
      process.exitCode = 1;
    });
