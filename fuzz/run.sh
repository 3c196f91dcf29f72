#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time and prints executions and
# crashes per target. Usage: fuzz/run.sh BUILD_DIR SECONDS TARGET...
# Seeds come from fuzz/corpus/<name> (read only); new inputs go to
# BUILD_DIR/corpus/<name>, crashing inputs to BUILD_DIR/crashes/<name>/.
# Exits 1 when any target crashed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$1"
seconds="$2"
shift 2

# Leaks are not checked: LibTorch keeps allocator caches alive on purpose.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

status=0
summary=""
for target in "$@"; do
  name="${target#fuzz_}"
  work="$build/corpus/$name"
  crashes="$build/crashes/$name"
  mkdir -p "$work" "$crashes"
  log="$build/$target.log"
  dict=()
  [ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
  echo "== $target: ${seconds}s"
  "$build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
    "$work" "$here/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=$(find "$crashes" -type f | wc -l)
  [ "$rc" -ne 0 ] && status=1 && tail -30 "$log"
  summary+=$(printf '%-18s %12s executions %4s crashes (exit %s)' "$target" "${runs:-?}" "$found" "$rc")$'\n'
done
echo
echo "fuzzing summary (${seconds}s per target):"
printf '%s' "$summary"
exit $status
