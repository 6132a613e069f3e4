"""`make bench`: every benchmark, one table, and bench/results.json.

    python -m bench                  all of them (a few minutes on 2 cores)
    python -m bench --quick          fewer repetitions (a smoke run; medians are then rough)
    python -m bench --only poll,e2e  some of them (results.json keeps the others' last figures)
    python -m bench --table          the table of the last results, without running anything

Each benchmark runs in its own Python process (bench/bench_*.py, runnable alone too), so none inherits
another's imports, mocks or memory. Every figure has a baseline measured in the same run on this
machine; docs/SCALING.md says what each one means and what the cost model makes of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import REPO, RESULTS

# name -> (module, repeats, quick repeats)
BENCHMARKS: dict[str, tuple[str, int, int]] = {
    "import": ("bench.bench_import", 9, 3),
    "poll": ("bench.bench_poll", 5, 1),
    "deliver": ("bench.bench_deliver", 5, 1),
    "memory": ("bench.bench_memory", 1, 1),
    "e2e": ("bench.bench_e2e", 50, 10),
    "webhooks": ("bench.bench_webhooks", 50, 10),
    "isolation": ("bench.bench_isolation", 3, 1),
    "requestlimit": ("bench.bench_request_limit", 5, 1),
    "sharedkey": ("bench.bench_shared_key", 3, 1),
    "scale": ("bench.bench_scale", 1, 1),  # one run of a few minutes (SCALE_SECONDS, SCALE_INSTANCES, ...)
}


def run_one(name: str, quick: bool) -> list[dict[str, Any]]:
    module, repeats, quick_repeats = BENCHMARKS[name]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO / "layers" / "common"), str(REPO)])
    command = [sys.executable, "-m", module, "--repeats", str(quick_repeats if quick else repeats)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, text=True, check=False)
    print(f"[bench] {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark {name} failed (exit {done.returncode})")
    results: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    for result in results:
        result["benchmark"] = name
    return results


def _number(value: float) -> str:
    if value == float("inf"):
        return "inf"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table(results: list[dict[str, Any]]) -> str:
    rows = [("benchmark", "value", "baseline", "ratio", "goal", "met")]
    for r in results:
        met = {True: "yes", False: "NO", None: "-"}[r.get("met")]
        rows.append(
            (
                r["name"],
                f"{_number(r['value'])} {r['unit']}",
                f"{_number(r['baseline'])} {r['unit']}",
                _number(r["ratio"]),
                r["goal"] or "(info)",
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a smoke run")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--table", action="store_true", help="print the table of bench/results.json, run nothing")
    args = parser.parse_args(argv)
    if args.table:
        if not RESULTS.exists():
            parser.error(f"{RESULTS.relative_to(REPO)} is missing: run `make bench` first")
        print(table(json.loads(RESULTS.read_text())))
        return 0
    names = list(BENCHMARKS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    results: list[dict[str, Any]] = []
    for name in names:
        results.extend(run_one(name, args.quick))
    if args.only and RESULTS.exists():  # keep the last figures of the benchmarks not run now
        kept = [r for r in json.loads(RESULTS.read_text()) if r.get("benchmark") not in names]
        results = sorted(kept + results, key=lambda r: list(BENCHMARKS).index(r.get("benchmark", "e2e")))
    stamp = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
    }
    for result in results:
        result.setdefault("run", stamp)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\n{len(results)} figures in {RESULTS.relative_to(REPO)}; cost model: python -m bench.cost_model")
    return 0  # figures, not assertions: a missed goal is reported, not a failure


if __name__ == "__main__":
    sys.exit(main())
