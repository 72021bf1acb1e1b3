#!/bin/sh
# The runner behind `make fuzz`: each target for FUZZ_SECONDS with its
# committed corpus as seeds. New inputs are kept in var/fuzz/TARGET (not in
# the tree); a crash leaves var/fuzz/crash-* and fails the run.
#
#   fuzz.sh BUILD_DIR TARGET...
set -u
build=$1
shift
secs=${FUZZ_SECONDS:-60}
root=$(cd "$(dirname "$0")/.." && pwd -P)
status=0
for t in "$@"; do
	work=$root/var/fuzz/$t
	mkdir -p "$work"
	echo "fuzz: $t for ${secs}s"
	if ! "$root/$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$root/var/fuzz/crash-$t-" \
		"$work" "$root/tests/fuzz/corpus/$t" 2>"$work.log"; then
		tail -n 40 "$work.log"
		echo "fuzz: $t FAILED (log: $work.log)"
		status=1
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE' "$work.log" |
			sed "s/^/fuzz: $t: /"
	fi
done
exit $status
