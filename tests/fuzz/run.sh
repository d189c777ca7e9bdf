#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fuzz/run.sh BUILDDIR SECONDS [NAME...]
#
# Runs each fuzz target built in BUILDDIR (tests/fuzz/CMakeLists.txt; all
# of them unless NAMEs are given) for SECONDS on a copy of its corpus
# tests/fuzz/corpus/NAME/ (the corpus in git is never changed by a run), one
# after the other, and prints a line per target with its executions.
# A crash, a sanitizer report, a leak or an input slower than 10 s fails the
# target: its input is kept in BUILDDIR/fuzz-crashes/NAME/ and the line
# says how to reproduce it and where it belongs (the corpus, forever).
# Exit status: 0 when every target ran clean, 1 otherwise.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 BUILDDIR SECONDS [NAME...]" >&2; exit 2; }
build=$(cd "$1" && pwd -P)
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd -P)
list="$build/tests/fuzz/fuzzers.txt"

[ -f "$list" ] || { echo "fuzz: $list missing: configure $build with -DPENCTL_FUZZ=ON" >&2; exit 1; }
if [ $# -eq 0 ]; then
	set -- $(cat "$list")
fi
if [ $# -eq 0 ]; then
	echo "fuzz: no fuzz targets (tests/fuzz/fuzz_*.cmake)"
	exit 0
fi

work="$build/fuzz-work"
crashes="$build/fuzz-crashes"
failed=0
for name; do
	exe="$build/tests/fuzz/fuzz_$name"
	[ -x "$exe" ] || { echo "fuzz: $name: $exe not built" >&2; failed=1; continue; }
	corpus="$work/$name/corpus"
	rm -rf "$work/$name" "$crashes/$name"
	mkdir -p "$corpus" "$crashes/$name"
	seeds=0
	if [ -d "$here/corpus/$name" ]; then
		cp -R "$here/corpus/$name/." "$corpus/"
		seeds=$(find "$corpus" -type f | wc -l)
	fi
	log="$work/$name/fuzz.log"
	# Every sanitizer finding ends the run with a report (UBSan does not
	# merely print); libFuzzer keeps the input under -artifact_prefix.
	if ASAN_OPTIONS=abort_on_error=0:detect_leaks=1:allocator_may_return_null=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/$name/" \
		"$corpus" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	grown=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz: %-24s ok    %10s execs in %s s (corpus %s -> %s inputs)\n' \
			"$name" "${execs:-?}" "$seconds" "$seeds" "$grown"
		rm -rf "$crashes/$name"
		continue
	fi
	failed=1
	input=$(find "$crashes/$name" -type f | head -n 1)
	printf 'fuzz: %-24s FAIL  %10s execs (exit %s)\n' "$name" "${execs:-?}" "$rc"
	grep -m 1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|==ERROR' "$log" |
		sed 's/^/    /' || true
	if [ -n "$input" ]; then
		echo "    input kept: $input"
		echo "    reproduce:  $exe $input"
		echo "    once fixed, keep it: cp $input $here/corpus/$name/"
	fi
	echo "    log: $log"
done
exit "$failed"
