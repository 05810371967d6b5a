#!/usr/bin/python3
"""Finds the first node whose output differs between ledge and ONNX Runtime, so that a failing
interop model points at an operator instead of at a whole network.

    /usr/bin/python3 tests/interop/localize.py --model M.onnx --ledge BIN --work DIR \
        [--rtol R] [--atol A] NAME=FILE...

Makes a copy of the model in which every intermediate tensor is also a graph output, runs it
with both runtimes and walks the nodes in graph order. Prints one line: the first node with an
output out of tolerance while all its inputs matched (or that ledge could not run).
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import compare_arrays, sanitize  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--ledge", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("inputs", nargs="*")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)

    model = onnx.load(a.model)
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(
            inferred.graph.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    existing = {o.name for o in model.graph.output}
    seen_files = {sanitize(n) for n in existing}
    for node in model.graph.node:
        for out in node.output:
            if not out or out in existing or out not in types:
                continue
            if sanitize(out) in seen_files:  # two names, one file: skip the later one
                continue
            seen_files.add(sanitize(out))
            existing.add(out)
            model.graph.output.append(onnx.helper.make_tensor_value_info(out, types[out], None))
    probe = os.path.join(a.work, "all_outputs.onnx")
    onnx.save(model, probe)

    ort_dir = os.path.join(a.work, "ort")
    ledge_dir = os.path.join(a.work, "ledge")
    cmd = ["node", os.path.join(ROOT, "tools", "ort", "run.js"), probe, ort_dir] + a.inputs
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    if r.returncode != 0:
        print(f"    localize: ONNX Runtime failed on the probe model: {r.stderr.strip()[-300:]}")
        return 1
    cmd = [a.ledge, "run", probe, "--output-dir", ledge_dir]
    for spec in a.inputs:
        cmd += ["--input", spec]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    if r.returncode != 0:
        print(f"    localize: ledge failed on the probe model: {r.stderr.strip()[-300:]}")
        return 1

    # ONNX graphs list nodes in topological order, so the first node with a differing output
    # is one whose observable inputs all matched.
    for node in model.graph.node:
        for out in node.output:
            if not out or out not in existing:
                continue
            f = sanitize(out) + ".npy"
            want, got = os.path.join(ort_dir, f), os.path.join(ledge_dir, f)
            if not (os.path.exists(want) and os.path.exists(got)):
                continue
            _, _, problem = compare_arrays(np.load(got), np.load(want), a.rtol, a.atol)
            if problem:
                ins = ", ".join(i for i in node.input if i)
                print(f"    first divergence: node '{node.name}' ({node.op_type}) output "
                      f"'{out}': {problem} [inputs {ins} matched]")
                return 0
    print("    localize: every intermediate tensor matched (difference only in the outputs?)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
