// Minimal numpy .npy reader and writer (format versions 1-3, C order, little-endian), enough to
// pass tensors between ledge and ONNX Runtime. Kept dependency-free on purpose: the interop test
// must not need numpy on the Node side.
'use strict';

const fs = require('fs');

// numpy descr (without byte order) <-> ONNX Runtime tensor type and the typed array holding it.
// float16 travels as raw 16-bit words: ORT's Node binding accepts a Uint16Array for it.
const TYPES = [
  {descr: 'f4', ort: 'float32', Array: Float32Array},
  {descr: 'f8', ort: 'float64', Array: Float64Array},
  {descr: 'f2', ort: 'float16', Array: Uint16Array},
  {descr: 'i1', ort: 'int8', Array: Int8Array},
  {descr: 'i2', ort: 'int16', Array: Int16Array},
  {descr: 'i4', ort: 'int32', Array: Int32Array},
  {descr: 'i8', ort: 'int64', Array: BigInt64Array},
  {descr: 'u1', ort: 'uint8', Array: Uint8Array},
  {descr: 'u2', ort: 'uint16', Array: Uint16Array},
  {descr: 'u4', ort: 'uint32', Array: Uint32Array},
  {descr: 'u8', ort: 'uint64', Array: BigUint64Array},
  {descr: 'b1', ort: 'bool', Array: Uint8Array},
];

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);  // "\x93NUMPY"

function fail(path, msg) {
  throw new Error(`${path}: ${msg}`);
}

// Parses the header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }
function parseHeader(path, text) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) fail(path, `malformed .npy header: ${text.trim()}`);
  if (fortran[1] === 'True') fail(path, 'Fortran-order arrays are not supported');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    if (!/^\d+$/.test(s)) fail(path, `bad dimension '${s}' in .npy header`);
    return Number(s);
  });
  let d = descr[1];
  const order = d[0];
  if (order === '<' || order === '|' || order === '=') {
    d = d.slice(1);
  } else if (order === '>') {
    // Single-byte types are order-free; anything wider would need swapping.
    if (!/^[iub]1$/.test(d.slice(1))) fail(path, `big-endian '${d}' is not supported`);
    d = d.slice(1);
  }
  if (d === '?') d = 'b1';
  const type = TYPES.find((t) => t.descr === d);
  if (!type) fail(path, `unsupported dtype '${descr[1]}'`);
  return {type, dims};
}

// Returns {type: ORT type name, dims: number[], data: typed array}.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail(path, 'not a .npy file');
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(path, 'truncated .npy header');
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    fail(path, `unsupported .npy version ${major}`);
  }
  if (offset + headerLen > buf.length) fail(path, 'truncated .npy header');
  const header = buf.subarray(offset, offset + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const {type, dims} = parseHeader(path, header);
  const numel = dims.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  const bytes = numel * type.Array.BYTES_PER_ELEMENT;
  if (buf.length - start < bytes) fail(path, `holds ${buf.length - start} data bytes, needs ${bytes}`);
  // Copy into a fresh, aligned buffer: typed arrays need their element alignment.
  const data = new type.Array(numel);
  Buffer.from(data.buffer).set(buf.subarray(start, start + bytes));
  return {type: type.ort, dims, data};
}

// Writes a version 1.0 file with the header padded so the data starts on a 64-byte boundary,
// as numpy itself does.
function writeNpy(path, ortType, dims, data) {
  const type = TYPES.find((t) => t.ort === ortType);
  if (!type) throw new Error(`${path}: cannot write tensor of type '${ortType}' as .npy`);
  const descr = type.descr === 'b1' ? '|b1' : (type.descr.endsWith('1') ? '|' : '<') + type.descr;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (ortType === 'bool' && !(data instanceof Uint8Array)) {
    body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else {
    const arr = data instanceof type.Array ? data : type.Array.from(data);
    body = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = {readNpy, writeNpy};
