#!/usr/bin/env bash
# A/B comparison of the working tree against another revision on a synthetic wiki:
#
#   bench/ab.sh REV [SIZE] [RUNS]      e.g. bench/ab.sh HEAD~1 10000 9
#
# Builds REV in a git worktree (its target folder on /dev/shm), builds the working tree,
# generates the SIZE-entity synthetic wiki if it is not there yet, and runs bench/ab.py, which
# alternates the two binaries so that the machine's noise hits both alike (on the shared
# 2-core machine one command's time swings by 10–20% between minutes; a ratio measured this
# way moves by a few percent).
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/ab.sh REV [SIZE] [RUNS]}
SIZE=${2:-10000}
RUNS=${3:-9}
TMP=${BENCH_DIR:-/dev/shm/refwiki-bench}
mkdir -p "$TMP"
WT=$TMP/ab-worktree
git worktree remove --force "$WT" 2>/dev/null || rm -rf "$WT"
git worktree add --detach "$WT" "$REV" >/dev/null
(cd "$WT" && CARGO_TARGET_DIR=$TMP/ab-target cargo build --release --quiet --bin refwiki)
cp "$TMP/ab-target/release/refwiki" "$TMP/refwiki-a"
git worktree remove --force "$WT"
cargo build --release --quiet --bin refwiki --example synth
W=$TMP/w$SIZE
[ -d "$W" ] || ./target/release/examples/synth --entities "$SIZE" "$W" | tail -1
python3 bench/ab.py "$TMP/refwiki-a" "$PWD/target/release/refwiki" "$W" "$RUNS"
