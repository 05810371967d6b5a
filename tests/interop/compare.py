#!/usr/bin/python3
"""Compares ledge's outputs of one model with ONNX Runtime's and prints the model's result line:

    NAME  nodes N  op types K  max abs D  max rel R  PASS|FAIL [why]

    /usr/bin/python3 tests/interop/compare.py --model M.onnx --name NAME \
        --ledge LEDGE_DIR --ort ORT_DIR [--ledge-error FILE] [--rtol R] [--atol A]

An element passes when |ledge - ort| <= atol + rtol * |ort| (numpy.isclose); integer and bool
outputs must match exactly; NaN must meet NaN and infinities must agree. The relative difference
shown is the largest |ledge - ort| / |ort| over elements where |ort| > atol (below that the
ratio only measures noise). Exits 0 on PASS, 1 on FAIL.
"""

import argparse
import os
import sys

import numpy as np
import onnx


def sanitize(name):
    # Same rule as ledge's output file names (src/tools/ledge/common.cpp), byte by byte.
    s = "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-") else "_"
                for b in name.encode("utf-8"))
    return "_" + s if s in ("", ".", "..") else s


def compare_arrays(got, want, rtol, atol):
    """Returns (max_abs, max_rel, problem or None)."""
    if got.shape != want.shape:
        return None, None, f"shape {list(got.shape)}, expected {list(want.shape)}"
    if got.dtype != want.dtype:
        return None, None, f"dtype {got.dtype}, expected {want.dtype}"
    if got.size == 0:
        return 0.0, 0.0, None
    if not np.issubdtype(want.dtype, np.floating):
        bad = got != want
        nbad = int(bad.sum())
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        max_abs = float(diff.max())
        if nbad:
            i = np.unravel_index(int(np.argmax(bad)), bad.shape)
            return max_abs, None, (f"{nbad}/{got.size} elements differ, first at "
                                   f"{list(map(int, i))}: {got[i]} vs {want[i]}")
        return max_abs, 0.0, None
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    finite = np.isfinite(g) & np.isfinite(w)
    same_special = (np.isnan(g) & np.isnan(w)) | (np.isinf(g) & (g == w))
    diff = np.where(finite, np.abs(g - w), 0.0)
    max_abs = float(diff.max())
    big = finite & (np.abs(w) > atol)
    max_rel = float((diff[big] / np.abs(w[big])).max()) if big.any() else 0.0
    ok = (finite & (diff <= atol + rtol * np.abs(w))) | same_special
    if not ok.all():
        nbad = int((~ok).sum())
        err = np.where(ok, -1.0, np.where(finite, diff, np.inf))
        i = np.unravel_index(int(np.argmax(err)), err.shape)
        return max_abs, max_rel, (f"{nbad}/{got.size} elements out of tolerance, worst at "
                                  f"{list(map(int, i))}: {got[i]:.7g} vs {want[i]:.7g}")
    return max_abs, max_rel, None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--ledge", required=True)
    p.add_argument("--ort", required=True)
    p.add_argument("--ledge-error", help="file holding ledge's error output when it failed")
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()

    model = onnx.load(a.model, load_external_data=False)
    nodes = len(model.graph.node)
    op_types = len({(n.domain, n.op_type) for n in model.graph.node})
    head = f"{a.name:<22} nodes {nodes:4d}  op types {op_types:3d}"

    def finish(max_abs, max_rel, problem):
        abs_s = "-" if max_abs is None else f"{max_abs:.3g}"
        rel_s = "-" if max_rel is None else f"{max_rel:.3g}"
        verdict = "PASS" if problem is None else f"FAIL  {problem}"
        print(f"{head}  max abs {abs_s:>9}  max rel {rel_s:>9}  {verdict}", flush=True)
        return 0 if problem is None else 1

    if a.ledge_error is not None:
        with open(a.ledge_error, errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip()]
        msg = lines[-1] if lines else "failed, no message"
        return finish(None, None, msg if msg.startswith("ledge:") else "ledge: " + msg)

    worst_abs, worst_rel, problems = 0.0, 0.0, []
    for out in model.graph.output:
        file = sanitize(out.name) + ".npy"
        want_path = os.path.join(a.ort, file)
        got_path = os.path.join(a.ledge, file)
        if not os.path.exists(want_path):
            problems.append(f"{out.name}: ONNX Runtime wrote no {file}")
            continue
        if not os.path.exists(got_path):
            problems.append(f"{out.name}: ledge wrote no {file}")
            continue
        max_abs, max_rel, problem = compare_arrays(np.load(got_path), np.load(want_path),
                                                   a.rtol, a.atol)
        if max_abs is not None:
            worst_abs = max(worst_abs, max_abs)
        if max_rel is not None:
            worst_rel = max(worst_rel, max_rel)
        if problem:
            problems.append(f"{out.name}: {problem}")
    return finish(worst_abs, worst_rel, "; ".join(problems) if problems else None)


if __name__ == "__main__":
    sys.exit(main())
