#!/usr/bin/env bash
# The relay against the floor, in one run: BodyCam's streaming service, then the C floor relay of the
# shared harness (../shared/bench: the same clip, pacing, WebSocket viewers and /proc measurement for
# both), one after the other on the same machine. Writes a report with both rows and their ratios.
#
#   infra/bench/relay-vs-floor.sh CAMERAS VIEWERS SECONDS REPORT.md
#
# Needs a running BodyCam (./bodycam up --no-sim) whose streaming service lets one stream token open
# VIEWERS sessions (Streaming__SessionsPerGrant), as the harness reads a camera with one token.
# BODYCAM_RELAY_HARNESS: where the harness is (default ../shared/bench beside the checkout).
set -euo pipefail
CAMS="${1:?usage: $0 CAMERAS VIEWERS SECONDS REPORT.md}"; VIEWERS="${2:?}"; SECS="${3:?}"; REPORT="${4:?}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HARNESS="${BODYCAM_RELAY_HARNESS:-$ROOT/../shared/bench}"
if [ ! -x "$HARNESS/floor.sh" ] || [ ! -x "$HARNESS/bodycam-relay.sh" ]; then
  echo "No relay harness at $HARNESS (set BODYCAM_RELAY_HARNESS): the comparison with the floor is skipped."
  exit 0
fi
export BENCH_CACHE="${BENCH_CACHE:-$ROOT/.bodycam/bench/relay}"
mkdir -p "$BENCH_CACHE"
started="$(date +%s)"
(cd "$ROOT" && "$HARNESS/bodycam-relay.sh" "$CAMS" "$VIEWERS" "$SECS")
(cd "$ROOT" && "$HARNESS/floor.sh" "$CAMS" "$VIEWERS" "$SECS")
newest() { find "$BENCH_CACHE/runs" -maxdepth 1 -type d -name "$1" -newermt "@$started" | sort | tail -1; }
ours="$(newest "bodycam-direct-${CAMS}x${VIEWERS}-*")/result.json"
floor="$(newest "floor-${CAMS}x${VIEWERS}-*")/result.json"
cd "$ROOT" && python3 - "$ours" "$floor" "$REPORT" "$CAMS" "$VIEWERS" "$SECS" <<'PY'
import json, os, platform, sys
ours_path, floor_path, report, cams, viewers, secs = sys.argv[1:7]
ours, floor = json.load(open(ours_path)), json.load(open(floor_path))
def row(name, r):
    l = r["latency_ms"]
    return (f"| {name} | {r['relay_cpu_s_per_gb']:.2f} | {r['relay_cpu_user_s']:.2f} / {r['relay_cpu_sys_s']:.2f} | "
            f"{l['p50']:.2f} / {l['p95']:.2f} / {l['p99']:.2f} | {r['relay_rss_mb']:.0f} MB | {r['units_missing']} | "
            f"{r['egress_gb']:.2f} GB | {r['machine_busy_cores']:.2f} ({r['other_processes_cores']:.2f}) |")
cpu_ratio = ours["relay_cpu_s_per_gb"] / floor["relay_cpu_s_per_gb"]
p95_ratio = ours["latency_ms"]["p95"] / max(1e-9, floor["latency_ms"]["p95"])
cpus = os.cpu_count()
lines = [
    f"# The relay against the floor, {cams} cameras × {viewers} viewers, {secs} s window",
    "",
    f"Measured one after the other in one run with the shared harness (`bodycam-relay.sh` then `floor.sh`): "
    f"the same fMP4 clip (~2 Mbit/s, 200 ms fragments) paced in real time by chunked HTTP pushes, WebSocket viewers, "
    f"the relay process's CPU from /proc over the window after warm-up. Machine: {platform.machine()}, {cpus} cores, "
    f"shared and noisy: compare the ratios.",
    "",
    "| relay | CPU-s per GB delivered | user / sys s | latency p50 / p95 / p99 ms | RSS | missing | delivered | machine busy cores (others) |",
    "|---|---|---|---|---|---|---|---|",
    row("BodyCam streaming", ours),
    row("floor (C, one buffer per fragment to each socket)", floor),
    "",
    f"- CPU per GB: BodyCam {cpu_ratio:.2f} × the floor (aim: at most 2 ×).",
    f"- Latency p95: BodyCam {ours['latency_ms']['p95']:.2f} ms, {p95_ratio:.1f} × the floor (aim: at most 1.5 ms).",
    f"- Fragments missing: BodyCam {ours['units_missing']}, floor {floor['units_missing']}; viewers closed: {ours['viewers_closed']}.",
    f"- Runs: `{os.path.relpath(os.path.dirname(ours_path))}`, `{os.path.relpath(os.path.dirname(floor_path))}` (from the checkout).",
    "",
]
open(report, "w").write("\n".join(lines))
print("\n".join(lines))
PY
