#!/usr/bin/env python3
"""CPU and context switches of a process's threads over an interval, grouped by thread name.

Usage: scripts/thread-cpu.py PID [SECONDS]   (Linux /proc; default 10 s)
Names are grouped with their numbers removed (ForkJoinPool-1-worker-2 -> ForkJoinPool-N-worker-N).
"""
import collections
import os
import re
import sys
import time


def snapshot(pid):
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        voluntary = int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M).group(1))
        involuntary = int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M).group(1))
        threads[tid] = (name, ticks, voluntary, involuntary)
    return threads


def main():
    pid = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    hz = os.sysconf("SC_CLK_TCK")
    try:
        before = snapshot(pid)
        time.sleep(seconds)
        after = snapshot(pid)
    except FileNotFoundError:
        sys.exit(f"thread-cpu: no process {pid} (or it ended meanwhile)")
    groups = collections.defaultdict(lambda: [0, 0, 0])
    for tid, (name, ticks, vol, invol) in after.items():
        _, t0, v0, i0 = before.get(tid, (name, 0, 0, 0))
        g = groups[re.sub(r"\d+", "N", name)]
        g[0] += ticks - t0
        g[1] += vol - v0
        g[2] += invol - i0
    total = sum(g[0] for g in groups.values())
    print(f"{total / hz / seconds:.2f} cores over {seconds:g} s; "
          f"{sum(g[1] + g[2] for g in groups.values()) / seconds:,.0f} context switches a second")
    print(f"{'CPU':>7}  {'voluntary/s':>12} {'involuntary/s':>14}  threads")
    for name, (ticks, vol, invol) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:20]:
        print(f"{ticks / hz / seconds * 100:6.1f}%  {vol / seconds:12,.0f} {invol / seconds:14,.0f}  {name}")


if __name__ == "__main__":
    main()
