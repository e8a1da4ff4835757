#!/bin/sh
# Runs every libFuzzer target of build-fuzz for FUZZ_SECONDS each, one after the
# other, on a copy of its committed corpus (test/fuzz/corpus/<target>/). A crash,
# a leak, a timeout (-timeout per input) or a UBSan report fails the target.
# Prints one line per target and ends with "N passed, N failed".
#   test/fuzz/run.sh <build-fuzz dir> [target...]
set -u
BUILD=${1:?usage: run.sh <build dir> [target...]}
shift
SRC=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-30}
TARGETS=${*:-"HttpRequestFuzzer MultipartFuzzer GlobFuzzer ByteRangeFuzzer JsonBodyFuzzer PathsFuzzer OutputSplitterFuzzer GoCellFuzzer EnvFileFuzzer IsolationConfigFuzzer NamePatternFuzzer RunJournalFuzzer"}

max_len() {
	case "$1" in
	HttpRequestFuzzer) echo 16384 ;;
	MultipartFuzzer) echo 8192 ;;
	GlobFuzzer) echo 1024 ;;
	ByteRangeFuzzer) echo 1024 ;;
	JsonBodyFuzzer) echo 65536 ;;
	PathsFuzzer) echo 4096 ;;
	OutputSplitterFuzzer) echo 8192 ;;
	GoCellFuzzer) echo 16384 ;;
	EnvFileFuzzer) echo 65536 ;;
	IsolationConfigFuzzer) echo 8192 ;;
	NamePatternFuzzer) echo 2048 ;;
	RunJournalFuzzer) echo 1540 ;;
	*) echo 4096 ;;
	esac
}

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:report_error_type=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0

passed=0
failed=0
mkdir -p "$BUILD/fuzz-work" "$BUILD/fuzz-artifacts"
for t in $TARGETS; do
	bin="$BUILD/fuzz/$t"
	log="$BUILD/fuzz-work/$t.log"
	work="$BUILD/fuzz-work/$t"
	rm -rf "$work"
	mkdir -p "$work"
	[ -d "$SRC/corpus/$t" ] && cp "$SRC/corpus/$t"/* "$work"/ 2>/dev/null
	if [ ! -x "$bin" ]; then
		echo "$t: FAILED (not built: $bin)"
		failed=$((failed + 1))
		continue
	fi
	dict=
	[ -f "$SRC/dict/$t.dict" ] && dict="-dict=$SRC/dict/$t.dict"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" $dict -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$t-" "$work" >"$log" 2>&1
	rc=$?
	elapsed=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' )
	if [ "$rc" -eq 0 ] && ! grep -qE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log"; then
		echo "$t: passed, ${runs:-?} runs in ${elapsed} s, ${cov:-no coverage line}"
		passed=$((passed + 1))
	else
		echo "$t: FAILED (exit $rc) after ${runs:-?} runs in ${elapsed} s, ${cov:-no coverage line}; log $log"
		grep -E 'runtime error:|ERROR: |FINDING|SUMMARY|Test unit written|^    #[0-9]' "$log" | head -n 30 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
