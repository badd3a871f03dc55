#!/usr/bin/env python3
"""A/B comparison of two refwiki binaries on one wiki, runs alternated (A, B, A, B, ...), so that
a shared machine's slow minutes hit both alike. Prints the median and the minimum wall time of
each command for each binary, with the ratio B/A.

usage: bench/ab.py A_BINARY B_BINARY WIKI_DIR [RUNS]      (default 9 runs of each)
       HUGO_SITE=DIR bench/ab.py ...     also times `hugo` on DIR in the same alternation
                                         (A, B, Hugo, A, B, Hugo, ...) and prints B's ratio to it

Build the other revision with bench/ab.sh, which calls this script.
"""
import os, statistics, subprocess, sys, tempfile, time

a, b, wiki = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 9
out = tempfile.mkdtemp(prefix="refwiki-ab-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
commands = {
    # One output folder per binary: each rebuilds over its own previous site (and its own
    # staging folder, which a build rewrites in place).
    "build": lambda binary: [binary, "--root", wiki, "build", "--out",
                             os.path.join(out, "site-a" if binary == a else "site-b")],
    "check": lambda binary: [binary, "--root", wiki, "check"],
}


def timed(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}")
    return time.perf_counter() - start


print(f"A = {a}\nB = {b}\nwiki = {wiki}, {runs} runs of each, alternated\n")
print(f"{'command':<8} {'A median':>9} {'B median':>9} {'B/A':>6}   {'A min':>7} {'B min':>7} {'B/A':>6}")
hugo_site = os.environ.get("HUGO_SITE")
hugo_cmd = ["hugo", "--source", hugo_site, "--destination", os.path.join(out, "hugo"), "--quiet"] if hugo_site else None
for name, cmd in commands.items():
    timed(cmd(a)), timed(cmd(b))  # warm-up: page cache, output folder
    with_hugo = hugo_cmd is not None and name == "build"
    if with_hugo:
        timed(hugo_cmd)
    ta, tb, th = [], [], []
    for _ in range(runs):
        ta.append(timed(cmd(a)))
        tb.append(timed(cmd(b)))
        if with_hugo:
            th.append(timed(hugo_cmd))
    ma, mb = statistics.median(ta), statistics.median(tb)
    print(f"{name:<8} {ma:>8.3f}s {mb:>8.3f}s {mb / ma:>6.2f}   {min(ta):>6.3f}s {min(tb):>6.3f}s {min(tb) / min(ta):>6.2f}")
    if with_hugo:
        mh = statistics.median(th)
        print(f"{'hugo':<8} {mh:>8.3f}s median, {min(th):.3f}s min: B is {mh / mb:.2f}x Hugo's speed "
              f"by medians, {min(th) / min(tb):.2f}x by minima (A: {mh / ma:.2f}x)")
subprocess.run(["rm", "-rf", out])
