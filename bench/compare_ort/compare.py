#!/usr/bin/python3
"""Side-by-side benchmark of ledge and ONNX Runtime on torchvision classifiers.

    /usr/bin/python3 bench/compare_ort/compare.py [LEDGE] [--models a,b] [--threads 1,2]
        [--rounds 3] [--iterations 50] [--warmup 3] [--max-seconds 10] [--work DIR]
        [--json-out FILE] [--artifact] [--int8]

LEDGE is the ledge binary (default build/ledge). For each model and thread count, runs
`ledge bench --json` (with --artifact: the device runner, `ledge-run MODEL.ledge --bench`,
from LEDGE's folder) and bench/compare_ort/ort_bench.js (onnxruntime-node) alternately, ROUNDS
times each, and keeps each runtime's best median, load time and peak RSS: on a shared machine
noise only ever adds time, so the best round is the closest to what the code costs. Every
measurement stops after ITERATIONS timed runs or MAX_SECONDS, whichever comes first (slow
reference kernels would otherwise take minutes per model); the table says how many runs each
side timed.

Prints the machine, then a markdown table; writes the same data with every round's raw result
as JSON (default WORK/compare.json) and the markdown as WORK/compare.md. WORK defaults to
the ledge binary's directory + /bench; the models are exported there once (a cache).
With --int8, each model is first quantized by `ledge quantize` (per-channel int8 weights,
uint8 activations, calibrated on 8 random inputs: ranges, not accuracy, matter for speed)
into a QDQ .onnx; ONNX Runtime runs that file, ledge the same model (as a .ledge artifact with
--artifact), and the table adds ledge's own float latency from the same rounds and the
int8 / float ratio.
Installs onnxruntime-node into tools/ort/node_modules when missing (npm ci --ignore-scripts).
Exits 1 when any measurement failed (the table shows it), 2 on bad usage.
"""

import argparse
import fcntl
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_DIR = os.path.join(ROOT, "tools", "ort")
DEFAULT_MODELS = ["mobilenet_v2", "mobilenet_v3_small", "resnet18", "squeezenet1_1",
                  "shufflenet_v2_x1_0"]


def log(msg):
    print(f"compare: {msg}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description="ledge vs ONNX Runtime benchmark")
    p.add_argument("ledge", nargs="?", default=os.path.join(ROOT, "build", "ledge"),
                   help="ledge binary (default build/ledge)")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--rounds", type=int, default=3, help="measurements per runtime, best kept")
    p.add_argument("--iterations", type=int, default=50, help="timed runs per measurement")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs after the first one")
    p.add_argument("--max-seconds", type=float, default=10.0,
                   help="time budget of one measurement's timed runs (0: none)")
    p.add_argument("--timeout", type=float, default=600.0, help="limit of one process (s)")
    p.add_argument("--work", help="models and results (default: LEDGE's directory/bench)")
    p.add_argument("--json-out", help="JSON result (default WORK/compare.json)")
    p.add_argument("--artifact", action="store_true",
                   help="ledge loads the model compiled to a .ledge artifact (`ledge compile`), "
                        "the deployable form; ONNX Runtime loads the .onnx file")
    p.add_argument("--int8", action="store_true",
                   help="compare the int8 (QDQ) models: ledge's integer kernels vs ONNX "
                        "Runtime's, plus ledge's float latency for the int8/float ratio")
    a = p.parse_args(argv)
    a.models = [m for m in a.models.split(",") if m]
    try:
        a.threads = [int(t) for t in a.threads.split(",") if t]
    except ValueError:
        p.error(f"--threads expects numbers like 1,2, got '{a.threads}'")
    if not a.models or not a.threads or min(a.threads) < 1:
        p.error("--models and --threads need at least one entry; threads >= 1")
    if a.rounds < 1 or a.iterations < 1 or a.warmup < 0 or a.max_seconds < 0:
        p.error("--rounds and --iterations must be >= 1, --warmup and --max-seconds >= 0")
    a.ledge = os.path.abspath(a.ledge)
    if not os.access(a.ledge, os.X_OK):
        p.error(f"{a.ledge} not found or not executable (build the ledge target)")
    a.work = os.path.abspath(a.work or os.path.join(os.path.dirname(a.ledge), "bench"))
    a.json_out = a.json_out or os.path.join(a.work, "compare.json")
    return a


def ensure_onnxruntime():
    """onnxruntime-node ships its native library; its install scripts only fetch optional GPU
    parts, so they are skipped. The lock keeps concurrent runs (and the interop test) from
    installing twice at once."""
    marker = os.path.join(ORT_DIR, "node_modules", "onnxruntime-node", "package.json")
    if os.path.exists(marker):
        return
    log(f"installing onnxruntime-node into {ORT_DIR}/node_modules")
    with open(os.path.join(ORT_DIR, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(marker):
            subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                           cwd=ORT_DIR, check=True, stdout=sys.stderr)


def machine():
    info = {"cpu": platform.processor() or "unknown", "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)), "load_average": os.getloadavg()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    info["flags"] = {f: f in flags for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni")}
    return info


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_json(cmd, timeout):
    """Runs a command that prints one JSON object; returns (result, None) or (None, error)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f}s"
    if p.returncode != 0:
        lines = p.stderr.strip().splitlines()
        return None, f"exit {p.returncode}: {lines[-1] if lines else ''}"
    try:
        return json.loads(p.stdout), None
    except json.JSONDecodeError as e:
        return None, f"unreadable output ({e})"


def ledge_cmd(a, model, threads):
    """An artifact is timed by the device runner (ledge-run --bench, beside LEDGE): its memory
    is what a device pays. The CLI maps libraries a device does not need (FFmpeg, SQLite,
    mosquitto, protobuf: about 30 MB of resident memory before any model)."""
    timing = ["--threads", str(threads), "--iterations", str(a.iterations), "--warmup",
              str(a.warmup), "--max-seconds", str(a.max_seconds)]
    runner = os.path.join(os.path.dirname(a.ledge), "ledge-run")
    if model.endswith(".ledge") and os.path.exists(runner):
        return [runner, model, "--bench"] + timing
    return [a.ledge, "bench", model, "--json"] + timing


def ort_cmd(a, model, threads):
    return ["node", os.path.join(HERE, "ort_bench.js"), model, "--threads", str(threads),
            "--iterations", str(a.iterations), "--warmup", str(a.warmup), "--max-seconds",
            str(a.max_seconds)]


def node_baseline_mb(a):
    """Peak RSS of node having loaded onnxruntime-node, no session: what ORT's numbers carry
    that is not the model's. The median of a few runs."""
    values = []
    for _ in range(3):
        r, err = run_json(["node", os.path.join(HERE, "ort_bench.js"), "--baseline"], a.timeout)
        if err:
            raise RuntimeError(f"ort_bench.js --baseline: {err}")
        values.append(r["peak_rss_mb"])
    return statistics.median(values)


def best(rounds):
    """Best of the successful rounds: smallest median, load and peak RSS, each on its own."""
    ok = [r for r in rounds if r.get("result")]
    if not ok:
        return None
    res = [r["result"] for r in ok]
    fastest = min(res, key=lambda r: r["median_ms"])
    return {"median_ms": fastest["median_ms"], "p90_ms": fastest["p90_ms"],
            "p99_ms": fastest["p99_ms"], "iterations": fastest["iterations"],
            "load_ms": min(r["load_ms"] for r in res),
            "first_run_ms": min(r["first_run_ms"] for r in res),
            "peak_rss_mb": min(r["peak_rss_mb"] for r in res)}


def run_ledge(a, args, what):
    r = subprocess.run([a.ledge] + args, capture_output=True, text=True, timeout=a.timeout)
    if r.returncode != 0:
        raise RuntimeError(f"ledge {what}: {r.stderr.strip()}")


def calibration_file(models_dir):
    """Eight random 3x224x224 images as a .npy file (the models' input), made once."""
    path = os.path.join(models_dir, "calibration_random.npy")
    if not os.path.exists(path):
        import numpy as np
        rng = np.random.default_rng(0)
        np.save(path, rng.standard_normal((8, 3, 224, 224), dtype=np.float32))
    return path


def measure(a, models_dir, baseline_mb):
    rows = []
    for name in a.models:
        model = os.path.join(models_dir, name + ".onnx")
        float_model = model
        try:
            if a.int8:
                qdq = os.path.join(models_dir, name + ".int8.onnx")
                run_ledge(a, ["quantize", model, "--calibration", calibration_file(models_dir),
                              "--samples", "8", "-o", qdq], f"quantize {model}")
                if a.artifact:
                    float_model = os.path.join(models_dir, name + ".ledge")
                    run_ledge(a, ["compile", model, "-o", float_model], f"compile {model}")
                model = qdq
            ledge_model = model
            if a.artifact:
                ledge_model = os.path.join(models_dir, os.path.basename(model)[:-5] + ".ledge")
                run_ledge(a, ["compile", model, "-o", ledge_model], f"compile {model}")
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            # One model that ledge cannot prepare is a row with an error, not the end of the run.
            log(f"{name}: {e}")
            for threads in a.threads:
                rows.append({"model": name, "threads": threads, "ledge": None, "ort": None,
                             "rounds": {}, "errors": [str(e)]})
            continue
        for threads in a.threads:
            rounds = {"ledge": [], "ort": []}
            if a.int8:
                rounds["ledge_float"] = []
            for k in range(a.rounds):
                # Alternate which runtime goes first, so neither always runs on a machine the
                # other just warmed up (or just loaded).
                order = ["ledge", "ort"] if k % 2 == 0 else ["ort", "ledge"]
                if a.int8:
                    order.append("ledge_float")
                for side in order:
                    if side == "ledge_float":
                        cmd = ledge_cmd(a, float_model, threads)
                    else:
                        cmd = ledge_cmd(a, ledge_model, threads) if side == "ledge" else ort_cmd(
                            a, model, threads)
                    t0 = time.monotonic()
                    result, err = run_json(cmd, a.timeout)
                    rounds[side].append({"result": result, "error": err})
                    status = err or f"median {result['median_ms']:.2f} ms ({result['iterations']} runs)"
                    log(f"{name} threads={threads} round {k + 1}/{a.rounds} {side}: {status} "
                        f"[{time.monotonic() - t0:.1f}s]")
            row = {"model": name, "threads": threads, "ledge": best(rounds["ledge"]),
                   "ort": best(rounds["ort"]), "rounds": rounds}
            if a.int8:
                row["ledge_float"] = best(rounds["ledge_float"])
            if row["ort"]:
                row["ort"]["peak_rss_minus_node_mb"] = row["ort"]["peak_rss_mb"] - baseline_mb
            errors = [r["error"] for side in rounds.values() for r in side if r["error"]]
            row["errors"] = sorted(set(errors))
            rows.append(row)
    return rows


def runner_size(ledge, name="ledge-run"):
    """Stripped size of a device runner, when it is built next to ledge."""
    runner = os.path.join(os.path.dirname(ledge), name)
    if not os.path.exists(runner):
        return {"path": runner, "note": "not built: skipped"}
    if not shutil.which("strip"):
        return {"path": runner, "bytes": os.path.getsize(runner), "note": "strip not found"}
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, name)
        subprocess.run(["strip", "-o", stripped, runner], check=True)
        return {"path": runner, "bytes": os.path.getsize(runner),
                "stripped_bytes": os.path.getsize(stripped)}


def ratio(x, y):
    return f"{x / y:.2f}" if x is not None and y else "n/a"


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def markdown(report):
    m = report["machine"]
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in m["flags"].items())
    s = report["settings"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {flags}; "
        f"load average at start {m['load_average'][0]:.2f}.",
        f"ledge {report['ledge_revision']}, onnxruntime-node {report['ort_version']}. "
        f"Best of {s['rounds']} alternating rounds; each round {s['warmup']} warm-up runs, then up "
        f"to {s['iterations']} timed runs or {s['max_seconds']:g} s. ORT's peak RSS minus node's "
        f"own ({report['node_baseline_rss_mb']:.1f} MB with onnxruntime-node loaded); RSS ratio "
        f"is ledge / that. ledge loads the {s.get('ledge_loads', '.onnx file')}, ONNX Runtime the "
        ".onnx file." + (" Both run the int8 QDQ model (`ledge quantize`)." if s.get("int8")
                         else ""),
        "",
        "| model | threads | ledge median ms | ORT median ms | ratio | ledge load ms | ORT load ms "
        "| load ratio | ledge peak RSS MB | ORT peak RSS MB (raw / minus node) | RSS ratio "
        "| timed runs (ledge / ORT) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        le, ort = r["ledge"] or {}, r["ort"] or {}
        g = lambda d, k: d.get(k)  # noqa: E731
        lines.append(
            f"| {r['model']} | {r['threads']} | {fmt(g(le, 'median_ms'), 2)} "
            f"| {fmt(g(ort, 'median_ms'), 2)} | {ratio(g(le, 'median_ms'), g(ort, 'median_ms'))} "
            f"| {fmt(g(le, 'load_ms'))} | {fmt(g(ort, 'load_ms'))} "
            f"| {ratio(g(le, 'load_ms'), g(ort, 'load_ms'))} | {fmt(g(le, 'peak_rss_mb'))} "
            f"| {fmt(g(ort, 'peak_rss_mb'))} / {fmt(g(ort, 'peak_rss_minus_node_mb'))} "
            f"| {ratio(g(le, 'peak_rss_mb'), g(ort, 'peak_rss_minus_node_mb'))} "
            f"| {g(le, 'iterations') or 'n/a'} / {g(ort, 'iterations') or 'n/a'} |")
    if s.get("int8"):
        lines += ["", "int8 (QDQ) models: ledge's integer kernels against its own float kernels "
                  "(same rounds):", "",
                  "| model | threads | ledge int8 ms | ledge float ms | int8 / float |",
                  "|---|---:|---:|---:|---:|"]
        for r in report["rows"]:
            i8 = (r["ledge"] or {}).get("median_ms")
            f32 = (r.get("ledge_float") or {}).get("median_ms")
            lines.append(f"| {r['model']} | {r['threads']} | {fmt(i8, 2)} | {fmt(f32, 2)} "
                         f"| {ratio(i8, f32)} |")
    for r in report["rows"]:
        for e in r["errors"]:
            lines.append(f"\n{r['model']} threads={r['threads']}: error: {e}")
    for key in ("ledge_run", "ledge_run_small"):
        rs = report.get(key)
        if not rs:
            continue
        if "stripped_bytes" in rs:
            lines.append(f"\nDevice runner {rs['path']}: {rs['stripped_bytes']} bytes stripped "
                         f"({rs['bytes']} as built).")
        else:
            lines.append(f"\nDevice runner {rs['path']}: {rs['note']}.")
    return "\n".join(lines) + "\n"


def main(argv):
    a = parse_args(argv)
    if not shutil.which("node"):
        log("node not found (scripts/install_deps.sh)")
        return 2
    ensure_onnxruntime()
    models_dir = os.path.join(a.work, "models")
    export = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "export_models.py"),
                             models_dir] + a.models, capture_output=True, text=True)
    if export.returncode != 0:
        sys.stderr.write(export.stderr[-2000:])
        log("export_models.py failed")
        return 2
    info = machine()
    baseline = node_baseline_mb(a)
    with open(os.path.join(ORT_DIR, "node_modules", "onnxruntime-node", "package.json")) as f:
        ort_version = json.load(f)["version"]
    report = {
        "machine": info,
        "ledge": a.ledge,
        "ledge_revision": git_revision(),
        "ort_version": ort_version,
        "settings": {"rounds": a.rounds, "iterations": a.iterations, "warmup": a.warmup,
                     "ledge_loads": ".ledge artifact (timed by ledge-run --bench)" if a.artifact else ".onnx file",
                     "max_seconds": a.max_seconds, "threads": a.threads, "int8": a.int8},
        "node_baseline_rss_mb": baseline,
        "rows": measure(a, models_dir, baseline),
        "ledge_run": runner_size(a.ledge),
        # The selective runner (only the operators these models need; docs/artifact.md).
        "ledge_run_small": runner_size(a.ledge, "ledge-run-small"),
    }
    md = markdown(report)
    os.makedirs(os.path.dirname(os.path.abspath(a.json_out)), exist_ok=True)
    with open(a.json_out, "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(a.work, "compare.md"), "w") as f:
        f.write(md)
    print(md, end="")
    log(f"wrote {a.json_out} and {os.path.join(a.work, 'compare.md')}")
    return 1 if any(r["errors"] for r in report["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
