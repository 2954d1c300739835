#!/usr/bin/env python3
"""Benchmark onyx against onnxruntime on the CPU and write benchmarks/RESULTS.md.

    PYTHONPATH=build/python python3 benchmarks/run_benchmarks.py                 # all models, 1 and 2 threads
    PYTHONPATH=build/python python3 benchmarks/run_benchmarks.py --models bert,lstm --threads 1 --runs 30
    PYTHONPATH=build/python python3 benchmarks/run_benchmarks.py --dir DIR --out /tmp/RESULTS.md --skip-missing

For every model and thread count:
  * latency: one onyx and one onnxruntime session with the same SessionOptions (intra-op threads N,
    inter-op 1, graph optimization ORT_ENABLE_ALL, sequential execution) live in this process and
    run the same seeded feeds after a warm-up, alternating blocks of BLOCK timed runs of one
    runtime, each block after a SETTLE_S pause and one untimed run, so that drift on the machine
    affects both alike while neither runtime's spinning pool threads (onnxruntime's spin for about
    60 ms after a run) compete with the other's timed runs; median and p90 of the per-run wall time, and (with
    one thread) the median process CPU time per run;
  * max output difference: max |onyx - ort| / max |ort| per output, the largest over all outputs;
  * session creation time and peak RSS: measured in short child processes, one runtime each
    (import the runtime, create the session once, run it 3 times, read VmHWM), so that one
    runtime's memory is not counted in the other's; several children per runtime, alternating,
    median of them.

The models are the ones benchmarks/export_models.py writes (resnet50, mobilenet_v2,
efficientnet_b0, bert, lstm); any other NAME.onnx in --dir can be named in --models too, and is fed
seeded random inputs built from its input metadata (symbolic dimensions set to 1).
"""
import argparse
import datetime
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_MODELS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "bert", "lstm"]
RUNTIMES = ["onyx", "ort"]
MODULES = {"onyx": "onyx", "ort": "onnxruntime"}
LATENCY_BAR = 1.00   # onyx median / onnxruntime median, at most
DIFF_BAR = 1e-4      # max |onyx - ort| / max |ort|, at most
CHILD_RUNS = 3       # runs after creation in a creation/RSS child


# ----------------------------------------------------------------------------------------------
# feeds and sessions


def feeds_for(name, inputs, seed=0):
    """Seeded feeds. The benchmark models get fixed shapes (batch 1); other models get shapes from
    their input metadata with symbolic dimensions set to 1."""
    rng = np.random.default_rng(seed)
    if name == "bert":
        seq = 128
        return {"input_ids": rng.integers(0, 30522, (1, seq), dtype=np.int64),
                "attention_mask": np.ones((1, seq), dtype=np.int64),
                "token_type_ids": np.zeros((1, seq), dtype=np.int64)}
    if name == "lstm":
        return {"input": rng.standard_normal((100, 1, 128), dtype=np.float32)}
    if name in ("resnet50", "mobilenet_v2", "efficientnet_b0"):
        return {"input": rng.standard_normal((1, 3, 224, 224), dtype=np.float32)}
    feeds = {}
    for arg in inputs:
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in (arg.shape or [])]
        t = arg.type
        if t in ("tensor(float)", "tensor(double)", "tensor(float16)"):
            dtype = {"tensor(float)": np.float32, "tensor(double)": np.float64,
                     "tensor(float16)": np.float16}[t]
            feeds[arg.name] = rng.standard_normal(shape).astype(dtype)
        elif t in ("tensor(int64)", "tensor(int32)"):
            feeds[arg.name] = rng.integers(0, 10, shape).astype(np.int64 if t == "tensor(int64)" else np.int32)
        elif t == "tensor(bool)":
            feeds[arg.name] = rng.integers(0, 2, shape).astype(bool)
        else:
            raise ValueError("no feed generator for input %r of type %s" % (arg.name, t))
    return feeds


def session_options(mod, threads):
    so = mod.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = mod.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = mod.ExecutionMode.ORT_SEQUENTIAL
    return so


def create_session(mod, path, threads):
    return mod.InferenceSession(path, session_options(mod, threads), providers=["CPUExecutionProvider"])


def short_error(e):
    text = "%s: %s" % (type(e).__name__, str(e).strip())
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------------
# memory


def _status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mb():
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024.0


def rss_mb():
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024.0


# ----------------------------------------------------------------------------------------------
# child: creation time and peak RSS of one runtime


def child_main(runtime, name, path, threads):
    """Import one runtime, create one session (timed), run it CHILD_RUNS times, print JSON."""
    result = {"runtime": runtime}
    try:
        import importlib
        mod = importlib.import_module(MODULES[runtime])
        result["baseline_rss_mb"] = rss_mb()
        t0 = time.perf_counter()
        sess = create_session(mod, path, threads)
        result["create_ms"] = (time.perf_counter() - t0) * 1e3
        feeds = feeds_for(name, sess.get_inputs())
        for _ in range(CHILD_RUNS):
            sess.run(None, feeds)
    except Exception as e:  # reported to the parent, which records it
        result["error"] = short_error(e)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result), flush=True)


def run_child(runtime, name, path, threads, timeout):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", runtime, name, path, str(threads)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"runtime": runtime, "error": "child timed out after %d s" % timeout}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = " ".join((proc.stderr or "").strip().splitlines()[-3:])
    return {"runtime": runtime, "error": "child exited %d without a result: %s" % (proc.returncode, tail)}


def measure_children(name, path, threads, reps, timeout):
    """reps children per runtime, alternating onyx/ort; median creation time and peak RSS."""
    got = {rt: [] for rt in RUNTIMES}
    for _ in range(reps):
        for rt in RUNTIMES:
            got[rt].append(run_child(rt, name, path, threads, timeout))
    out = {}
    for rt in RUNTIMES:
        ok = [r for r in got[rt] if "error" not in r]
        if ok:
            out[rt] = {"create_ms": statistics.median(r["create_ms"] for r in ok),
                       "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ok),
                       "baseline_rss_mb": statistics.median(r["baseline_rss_mb"] for r in ok
                                                            if r.get("baseline_rss_mb") is not None)
                       if any(r.get("baseline_rss_mb") is not None for r in ok) else None,
                       "n": len(ok)}
        else:
            out[rt] = {"error": got[rt][0]["error"]}
    return out


# ----------------------------------------------------------------------------------------------
# latency and outputs, both runtimes in this process


def max_rel_diff(got, ref, names):
    """max over outputs of max|got - ref| / max|ref| (absolute difference where ref is all zero)."""
    worst, where = 0.0, None
    for name, a, b in zip(names, got, ref):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise ValueError("output %r: onyx shape %s, onnxruntime shape %s" % (name, a.shape, b.shape))
        if a.size == 0:
            continue
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        same_nonfinite = (np.isnan(a64) & np.isnan(b64)) | (np.isinf(a64) & (a64 == b64))
        if (~np.isfinite(a64) | ~np.isfinite(b64))[~same_nonfinite].any():
            rel = float("inf")
        else:
            finite = ~same_nonfinite
            if not finite.any():
                continue
            d = float(np.max(np.abs(a64[finite] - b64[finite])))
            scale = float(np.max(np.abs(b64[finite])))
            rel = d / scale if scale > 0 else d
        if where is None or rel > worst:
            worst, where = rel, name
    return worst, where


# Timed runs of one runtime in a row, and the pause before each block (see measure_latency):
# onnxruntime's pool threads keep spinning for about 60 ms of CPU after a run (measured with
# 2 threads), which would take a core from the other runtime's timed runs.
BLOCK = 5
SETTLE_S = 0.1


def timed_run(sess, feeds):
    t0, c0 = time.perf_counter(), time.process_time()
    sess.run(None, feeds)
    return (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3


def measure_latency(mods, name, path, threads, runs, warmup):
    """Both sessions in this process; warm-up, then alternating timed runs."""
    res = {"onyx": {}, "ort": {}}
    ort_sess = create_session(mods["ort"], path, threads)
    feeds = feeds_for(name, ort_sess.get_inputs())
    names = [o.name for o in ort_sess.get_outputs()]
    ref = ort_sess.run(names, feeds)
    sessions = {"ort": ort_sess}
    if isinstance(mods["onyx"], str):
        res["onyx"]["error"] = mods["onyx"]
    else:
        try:
            sessions["onyx"] = create_session(mods["onyx"], path, threads)
            got = sessions["onyx"].run(names, feeds)
            res["diff"], res["diff_output"] = max_rel_diff(got, ref, names)
        except Exception as e:
            res["onyx"]["error"] = short_error(e)
            sessions.pop("onyx", None)
    order = [rt for rt in RUNTIMES if rt in sessions]
    for _ in range(warmup):
        for rt in order:
            sessions[rt].run(None, feeds)
    wall = {rt: [] for rt in order}
    cpu = {rt: [] for rt in order}
    gc.collect()
    gc.disable()
    try:
        done = 0
        while done < runs:
            k = min(BLOCK, runs - done)
            for rt in order:
                time.sleep(SETTLE_S)  # the other runtime's spinning pool threads go to sleep
                sessions[rt].run(None, feeds)  # untimed: wakes this runtime's threads
                for _ in range(k):
                    w, c = timed_run(sessions[rt], feeds)
                    wall[rt].append(w)
                    cpu[rt].append(c)
            done += k
    finally:
        gc.enable()
    for rt in order:
        res[rt].update(median_ms=statistics.median(wall[rt]), p90_ms=float(np.percentile(wall[rt], 90)),
                       cpu_median_ms=statistics.median(cpu[rt]), runs=len(wall[rt]))
    del sessions, ort_sess
    gc.collect()
    return res


# ----------------------------------------------------------------------------------------------
# report


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024.0 / 1024.0
    except OSError:
        pass
    return None


def loadavg():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "n/a"


def git_describe(path):
    """Commit of the git checkout holding path (with -dirty when tracked files differ from it) and
    its commit date. The build under it may be older or newer than that state."""
    d = os.path.dirname(os.path.abspath(path))
    try:
        head = subprocess.run(["git", "-C", d, "log", "-1", "--format=%h %cd", "--abbrev=12",
                               "--date=format-local:%Y-%m-%d %H:%M:%S"],
                              capture_output=True, text=True, timeout=20, env=dict(os.environ, TZ="UTC"))
        if head.returncode != 0 or not head.stdout.strip():
            return "unknown (not in a git checkout)"
        dirty = subprocess.run(["git", "-C", d, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=60)
        commit, date = head.stdout.strip().split(" ", 1)
        return "%s%s (committed %s UTC)" % (commit, "-dirty" if dirty.stdout.strip() else "", date)
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def module_binary(mod):
    """The onyx extension module's file and its mtime (UTC), or (None, None)."""
    path = getattr(getattr(mod, "_onyx", None), "__file__", None)
    try:
        return path, os.stat(path).st_mtime if path else None
    except OSError:
        return path, None


def module_binary_now(path):
    try:
        return path, os.stat(path).st_mtime
    except OSError:
        return path, None


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt(v, spec="%.2f"):
    return "n/a" if v is None else spec % v


def rss_cell(child):
    """Peak RSS, and in parentheses its rise over the RSS right after the import."""
    peak, base = child.get("peak_rss_mb"), child.get("baseline_rss_mb")
    if peak is None:
        return "n/a"
    return "%.0f" % peak if base is None else "%.0f (+%.0f)" % (peak, peak - base)


def table_rows(rows, threads, errors):
    header = ("| model | onyx median ms | ort median ms | ratio | onyx p90 ms | ort p90 ms "
              "| create onyx / ort ms | peak RSS onyx / ort MB | max rel diff | bar met? |")
    lines = [header, "|" + "---|" * 10]

    def err_ref(msg):
        if msg not in errors:
            errors.append(msg)
        return "error [%d]" % (errors.index(msg) + 1)

    for r in rows:
        if r["threads"] != threads:
            continue
        if r.get("missing"):
            lines.append("| %s | missing | | | | | | | | |" % r["model"])
            continue
        lat, ch = r["latency"], r["children"]
        o, t = lat.get("onyx", {}), lat.get("ort", {})
        cells = [r["model"]]
        cells.append(err_ref("onyx, " + r["model"] + ": " + o["error"]) if "error" in o else fmt(o.get("median_ms")))
        cells.append(err_ref("ort, " + r["model"] + ": " + t["error"]) if "error" in t else fmt(t.get("median_ms")))
        ratio = None
        if o.get("median_ms") is not None and t.get("median_ms"):
            ratio = o["median_ms"] / t["median_ms"]
        cells.append(fmt(ratio, "%.3f"))
        cells.append(fmt(o.get("p90_ms")))
        cells.append(fmt(t.get("p90_ms")))
        co, ct = ch.get("onyx", {}), ch.get("ort", {})
        cells.append("%s / %s" % (err_ref("onyx child, " + r["model"] + ": " + co["error"]) if "error" in co
                                  else fmt(co.get("create_ms"), "%.0f"),
                                  err_ref("ort child, " + r["model"] + ": " + ct["error"]) if "error" in ct
                                  else fmt(ct.get("create_ms"), "%.0f")))
        cells.append("%s / %s" % (rss_cell(co), rss_cell(ct)))
        diff = lat.get("diff")
        cells.append(fmt(diff, "%.1e"))
        why = []
        if ratio is None or ratio > LATENCY_BAR:
            why.append("latency")
        if diff is None or diff > DIFF_BAR:
            why.append("diff")
        cells.append("yes" if not why else "no (%s)" % ", ".join(why))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cpu_rows(rows):
    lines = ["| model | onyx CPU ms | ort CPU ms | ratio |", "|---|---|---|---|"]
    for r in rows:
        if r["threads"] != 1 or r.get("missing"):
            continue
        o, t = r["latency"].get("onyx", {}), r["latency"].get("ort", {})
        a, b = o.get("cpu_median_ms"), t.get("cpu_median_ms")
        lines.append("| %s | %s | %s | %s |" % (r["model"], fmt(a), fmt(b),
                                                fmt(a / b if a is not None and b else None, "%.3f")))
    return lines


def render(args, env, rows, elapsed_s, finished):
    errors = []
    out = []
    out.append("# onyx vs onnxruntime, CPU benchmarks")
    out.append("")
    out.append("Written by `benchmarks/run_benchmarks.py` (%s).%s" %
               (env["date"], "" if finished else " **Incomplete: the run was still going or was interrupted.**"))
    out.append("")
    out.append("- Command: `%s`" % env["command"])
    out.append("- Machine: %s, %s logical cores (%s usable by this process), %s GB RAM; %s" %
               (env["cpu"], env["cores"], env["affinity"], fmt(env["mem_gb"], "%.0f"), env["platform"]))
    out.append("- Load average (1/5/15 min) at start: %s; at end: %s" % (env["load_start"], loadavg()))
    if args.note:
        out.append("- Note: %s" % args.note)
    out.append("- onyx %s from `%s`, git commit %s: the state of that checkout when the run started" %
               (env["onyx_version"], env["onyx_path"], env["onyx_commit"]))
    so_path, so_mtime = env.get("onyx_binary", (None, None))
    if so_mtime is not None:
        out.append("- onyx extension module `%s` last modified %s" % (os.path.basename(so_path), utc(so_mtime)))
        _, now = module_binary_now(so_path)
        if now != so_mtime:
            out.append("- **The onyx extension module was replaced during the run** (now modified %s): the "
                       "latency process kept the one it had loaded, creation/RSS children started after the "
                       "replacement loaded the new one." % ("?" if now is None else utc(now)))
    out.append("- onnxruntime %s, numpy %s, Python %s" % (env["ort_version"], np.__version__, platform.python_version()))
    out.append("- Runs: %d timed runs per runtime after %d warm-up runs each; %d creation/RSS children per runtime; "
               "the whole run took %.1f min" % (args.runs, args.warmup, args.create_reps, elapsed_s / 60.0))
    out.append("")
    out.append("## Method")
    out.append("")
    out.append("- Both runtimes get the same SessionOptions: `intra_op_num_threads` = the thread count, "
               "`inter_op_num_threads` = 1, `graph_optimization_level` = ORT_ENABLE_ALL, `execution_mode` = "
               "ORT_SEQUENTIAL, `CPUExecutionProvider`; everything else at its default (onnxruntime's "
               "intra-op threads spin while waiting, its default).")
    out.append("- Feeds, the same for both, seeded (numpy default_rng(0)), batch 1: CNNs `input` "
               "f32 [1,3,224,224] standard normal; BERT `input_ids` in [0,30522), `attention_mask` ones, "
               "`token_type_ids` zeros, sequence 128; LSTM `input` f32 [100,1,128] standard normal.")
    out.append("- Latency: one onyx and one onnxruntime session live in the benchmark process. After the "
               "warm-up, the runtimes alternate in blocks: a %.0f ms pause, one untimed run, then %d timed runs "
               "of one runtime, then the same for the other, and so on, so that drift on the machine hits both "
               "alike while neither runtime's spinning pool threads (onnxruntime's spin for about 60 ms of CPU "
               "after a run) take a core from the other's timed runs." % (SETTLE_S * 1e3, BLOCK) + " Each run is timed as wall time around `sess.run(None, feeds)` (Python call, outputs "
               "returned as numpy arrays included), with the Python garbage collector off. Median and p90 "
               "(numpy linear interpolation) of those times; ratio = onyx median / onnxruntime median.")
    out.append("- Max rel diff: both sessions' first run on the feeds; for each output "
               "max|onyx - ort| / max|ort|, the largest over all outputs.")
    out.append("- Session creation and peak RSS: separate child processes, one runtime each: import the "
               "runtime (and numpy), create the session once (timed: the `InferenceSession(...)` call, "
               "model file in the page cache), run %d times, then read VmHWM from /proc/self/status. "
               "Children alternate onyx/ort; each figure is the median over the children. Peak RSS is the "
               "whole process's: Python, numpy and the runtime's library are included (a child that only "
               "imports: onyx %s MB, onnxruntime %s MB, medians of VmRSS after the import); the figure in "
               "parentheses is the rise over that child's own RSS after the import (session, weights, runs)." %
               (CHILD_RUNS, fmt(env.get("baseline", {}).get("onyx"), "%.0f"),
                fmt(env.get("baseline", {}).get("ort"), "%.0f")))
    out.append("- Bar: ratio <= %.2f and max rel diff <= %.0e." % (LATENCY_BAR, DIFF_BAR))
    out.append("- The figures are one run's; on a shared, loaded machine (see the load average) wall times "
               "are noisy and differences of a few percent are not significant.")
    for threads in args.thread_list:
        out.append("")
        out.append("## %d thread%s" % (threads, "" if threads == 1 else "s"))
        out.append("")
        out.extend(table_rows(rows, threads, errors))
    if 1 in args.thread_list and any(r["threads"] == 1 and not r.get("missing") for r in rows):
        out.append("")
        out.append("## Process CPU time per run, 1 thread")
        out.append("")
        out.append("Median of `time.process_time()` around each timed run above. With one intra-op thread "
                   "this is the run's own work, which neighbours on a shared machine disturb less than wall "
                   "time (with more threads the other runtime's idle spinning threads would be counted, so it "
                   "is left out there).")
        out.append("")
        out.extend(cpu_rows(rows))
    if errors:
        out.append("")
        out.append("## Errors")
        out.append("")
        for i, e in enumerate(errors, 1):
            out.append("%d. %s" % (i, e.replace("|", "\\|")))
    missing = sorted({r["model"] for r in rows if r.get("missing")})
    if missing:
        out.append("")
        out.append("Missing models (not in `%s`): %s. Export them with `benchmarks/export_models.py`." %
                   (args.dir, ", ".join(missing)))
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="comma-separated names (NAME.onnx in --dir)")
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts")
    ap.add_argument("--runs", type=int, default=100, help="timed runs per runtime (default 100)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up runs per runtime (default 3)")
    ap.add_argument("--create-reps", type=int, default=3,
                    help="creation/RSS child processes per runtime, model and thread count (default 3)")
    ap.add_argument("--child-timeout", type=int, default=600, help="seconds before a child is abandoned")
    ap.add_argument("--dir", default=os.path.join(HERE, "models"), help="model folder (default benchmarks/models)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"), help="report path (default benchmarks/RESULTS.md)")
    ap.add_argument("--skip-missing", action="store_true", help="list models not in --dir as missing instead of failing")
    ap.add_argument("--note", default="", help="a line for the report header (e.g. what else ran on the machine)")
    ap.add_argument("--child", nargs=4, metavar=("RUNTIME", "NAME", "PATH", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return args
    args.model_list = [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        args.thread_list = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error("--threads takes comma-separated integers")
    if not args.model_list or not args.thread_list or min(args.thread_list) < 1:
        ap.error("--models and --threads must name at least one model and thread counts >= 1")
    if args.runs < 1 or args.warmup < 0 or args.create_reps < 1:
        ap.error("--runs and --create-reps must be >= 1, --warmup >= 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        runtime, name, path, threads = args.child
        child_main(runtime, name, path, int(threads))
        return 0

    paths = {m: os.path.join(args.dir, m + ".onnx") for m in args.model_list}
    missing = [m for m, p in paths.items() if not os.path.exists(p)]
    if missing and not args.skip_missing:
        sys.stderr.write("missing models in %s: %s (export them with benchmarks/export_models.py, "
                         "or pass --skip-missing)\n" % (args.dir, ", ".join(missing)))
        return 2

    import onnxruntime
    mods = {"ort": onnxruntime}
    try:
        import onyx
        mods["onyx"] = onyx
    except Exception as e:  # recorded in every row
        mods["onyx"] = "onyx not importable: " + short_error(e)

    onyx_mod = mods["onyx"]
    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "cpu": cpu_model(), "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?",
        "mem_gb": mem_total_gb(), "platform": platform.platform(), "load_start": loadavg(),
        "onyx_version": getattr(onyx_mod, "__version__", "?") if not isinstance(onyx_mod, str) else "(not importable)",
        "onyx_path": os.path.dirname(onyx_mod.__file__) if not isinstance(onyx_mod, str) else "-",
        "onyx_commit": git_describe(onyx_mod.__file__) if not isinstance(onyx_mod, str) else "-",
        "ort_version": onnxruntime.__version__,
        "onyx_binary": module_binary(onyx_mod) if not isinstance(onyx_mod, str) else (None, None),
    }
    baselines = {rt: [] for rt in RUNTIMES}
    start = time.perf_counter()
    rows = []

    def write(finished):
        report = render(args, env, rows, time.perf_counter() - start, finished)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(report)
        os.replace(tmp, args.out)
        return report

    for threads in args.thread_list:
        for name in args.model_list:
            if name in missing:
                rows.append({"model": name, "threads": threads, "missing": True})
                continue
            t0 = time.perf_counter()
            sys.stderr.write("%-16s threads=%d  latency (%d+%d runs each) ..." % (name, threads, args.warmup, args.runs))
            sys.stderr.flush()
            try:
                lat = measure_latency(mods, name, paths[name], threads, args.runs, args.warmup)
            except Exception as e:  # onnxruntime itself failed: record, go on
                lat = {"onyx": {}, "ort": {"error": short_error(e)}}
            sys.stderr.write(" creation/RSS children ...")
            sys.stderr.flush()
            ch = measure_children(name, paths[name], threads, args.create_reps, args.child_timeout)
            for rt in RUNTIMES:
                if ch[rt].get("baseline_rss_mb") is not None:
                    baselines[rt].append(ch[rt]["baseline_rss_mb"])
            env["baseline"] = {rt: statistics.median(v) if v else None for rt, v in baselines.items()}
            rows.append({"model": name, "threads": threads, "latency": lat, "children": ch})
            o, t = lat.get("onyx", {}), lat.get("ort", {})
            sys.stderr.write(" %.0f s: onyx %s ms, ort %s ms\n" % (time.perf_counter() - t0,
                                                                  fmt(o.get("median_ms")), fmt(t.get("median_ms"))))
            write(False)

    report = write(True)
    body = report[report.index("## Method"):]
    sys.stdout.write("\n" + body[body.index("\n## "):].lstrip("\n"))
    sys.stdout.write("\nwritten to %s (%.1f min)\n" % (args.out, (time.perf_counter() - start) / 60.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
