#!/bin/sh
# The test runner behind `make unit`, `make check` and `make valgrind`.
#
#   check.sh unit BIN...       run unit test binaries
#   check.sh all               every build/tests/test_*, the fuzz corpora
#                              replayed (build/tests/fuzz/replay_*), then every
#                              build/tests/it_* against a throwaway PostgreSQL
#   check.sh valgrind BIN...   unit test binaries under valgrind
#   check.sh faults BIN...     fault tests, each with a PostgreSQL of its own
#
# Each binary runs from the repository root under a time limit (300 s, and
# never past the overall limit, CHECK_TIMEOUT seconds, 900 by default). Test
# cases are counted from cmocka's "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines; a binary that crashes, times out or exits
# non-zero without reporting a failed case counts as one failure. The last
# line is always "N passed, N failed". V=1 shows the output of passing
# binaries too (failing ones always show it).
set -u

root=$(cd "$(dirname "$0")/.." && pwd -P)
build=${B:-build}
case $build in /*) ;; *) build=$root/$build ;; esac	# make B=/abs/dir check
me=check.sh

per_binary=${CHECK_BINARY_TIMEOUT:-300}
overall=${CHECK_TIMEOUT:-900}
verbose=${V:-0}

usage() {
	echo "usage: check.sh unit BIN... | all | valgrind BIN... | faults BIN..." >&2
	exit 2
}
[ $# -ge 1 ] || usage
mode=$1
shift

# Paths from the caller's directory, before we move to the root.
bins=
for b in "$@"; do
	case $b in
	/*) ;;
	*) b=$(pwd -P)/$b ;;
	esac
	bins="$bins$b
"
done
cd "$root" || exit 1

export PROCURD_ROOT="$root"
export PROCURD_BUILD="$build"
# cmocka reports on stdout in the format parsed below.
export CMOCKA_MESSAGE_OUTPUT=stdout
: "${UBSAN_OPTIONS:=print_stacktrace=1}"
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS ASAN_OPTIONS

work=$(mktemp -d "${TMPDIR:-/tmp}/procurd-check.XXXXXX") || exit 1
pgdir=
child=
cleaned=
cleanup() {
	[ -n "$cleaned" ] && return
	cleaned=1
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		child=
	fi
	if [ -n "$pgdir" ]; then
		sh "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; cleanup; exit 130' INT
trap 'echo "$me: terminated" >&2; cleanup; exit 143' TERM HUP

now() { date +%s; }
deadline=$(( $(now) + overall ))

passed=0
failed=0
ran=0

# Sum the N of every line "PREFIX N test(s)" in a log.
count() {
	sed -n "s/^\[  $1  \] \([0-9][0-9]*\) test(s).*/\1/p" "$2" |
		awk '{ n += $1 } END { print n + 0 }'
}

# run_one LABEL CMD...: run, count, print one PASS/FAIL line.
run_one() {
	label=$1
	shift
	ran=$((ran + 1))
	left=$((deadline - $(now)))
	if [ "$left" -le 0 ]; then
		echo "FAIL $label (not run: overall limit of ${overall}s reached)"
		failed=$((failed + 1))
		return
	fi
	limit=$per_binary
	[ "$left" -lt "$limit" ] && limit=$left

	log=$work/out.log
	# In the background so that a signal reaches our trap at once; timeout
	# kills the binary's whole process group (daemons it started included).
	timeout -k 10 "$limit" "$@" >"$log" 2>&1 </dev/null &
	child=$!
	wait "$child"
	rc=$?
	child=

	p=$(count PASSED "$log")
	f=$(count FAILED "$log")
	why=
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${limit}s"
	elif [ "$rc" -gt 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$rc" -ne 0 ]; then
		why="exit $rc"
	fi
	# A failure that cmocka did not count is still one failure.
	if [ -n "$why" ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && p=1	# a passing non-cmocka binary
	passed=$((passed + p))
	failed=$((failed + f))

	if [ -n "$why" ] || [ "$f" -gt 0 ]; then
		sed 's/^/    /' "$log"
		echo "FAIL $label (${why:+$why, }$p passed, $f failed)"
	else
		[ "$verbose" = 0 ] || sed 's/^/    /' "$log"
		echo "PASS $label ($p passed)"
	fi
}

rel() { echo "${1#"$root"/}"; }

run_list() {
	# $1: a newline-separated list; $2: optional wrapper command words.
	list=$1
	shift
	old_ifs=$IFS
	IFS='
'
	for b in $list; do
		IFS=$old_ifs
		if [ ! -x "$b" ]; then
			echo "FAIL $(rel "$b") (missing or not executable)"
			ran=$((ran + 1))
			failed=$((failed + 1))
			continue
		fi
		run_one "$(rel "$b")" "$@" "$b"
	done
	IFS=$old_ifs
}

# Executable files matching a pattern, one per line, sorted.
list_bins() {
	for f in "$build"/tests/$1; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
}

case $mode in
unit)
	run_list "$bins"
	;;

faults)
	V=1 verbose=1 run_list "$bins"
	;;

valgrind)
	command -v valgrind >/dev/null 2>&1 || { echo "$me: valgrind is not installed (make deps)" >&2; exit 1; }
	run_list "$bins" valgrind -q --error-exitcode=1 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	;;

all)
	run_list "$(list_bins 'test_*'; list_bins 'worker/test_*'; list_bins 'fuzz/replay_*')"
	# the OpenAPI document is what its generator writes
	run_one "web/openapi.json (python3 scripts/openapi.py writes it)" sh -c \
		'/usr/bin/python3 scripts/openapi.py "$1" && cmp "$1" web/openapi.json' _ "$work/openapi.json"
	# every answer the integration tests receive, against that document
	PROCURD_ANSWERS=$work/answers.jsonl
	export PROCURD_ANSWERS
	its=$(list_bins 'it_*')
	if [ -n "$its" ] && [ "$(now)" -ge "$deadline" ]; then
		run_list "$its"	# each reports the overall limit
	elif [ -n "$its" ]; then
		pgdir=$(mktemp -d "${TMPDIR:-/tmp}/procurd-pg.XXXXXX") || exit 1
		if env=$(sh "$root/scripts/pg.sh" start "$pgdir"); then
			eval "$env"
			export PROCURD_TEST_PGHOST="$PGHOST"
			export PROCURD_TEST_PGPORT="$PGPORT"
			export PROCURD_TEST_PGUSER="$PGUSER"
			unset PGHOST PGPORT PGUSER
			run_list "$its"
			run_one "tests/openapi/check_answers.py (the answers against web/openapi.json)" \
				/usr/bin/python3 tests/openapi/check_answers.py web/openapi.json "$PROCURD_ANSWERS"
		else
			echo "FAIL postgresql (scripts/pg.sh start $pgdir; integration tests not run)"
			ran=$((ran + 1))
			failed=$((failed + 1))
		fi
	fi
	;;

*)
	usage
	;;
esac

[ "$ran" -gt 0 ] || echo "$me: no test binaries found" >&2
echo "$passed passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]
