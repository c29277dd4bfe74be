# bench/lib.sh - shared by the benchmark scripts (sourced, not run): where
# the binaries are, checks with clear messages, starting and stopping
# tracers, and small statistics. Scripts set PROG before sourcing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
case $O in /*) BUILD=$O ;; *) BUILD=$ROOT/$O ;; esac
TL=$BUILD/threadline
FLOOR=$BUILD/bench/floor
LOAD=$BUILD/bench/load
TLSTAT=$BUILD/bench/tlstat
WORK=${BENCH_TMP:-/tmp/threadline-bench.$$}

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (BPF, perf -a and tracefs need it)"
}

need_bin() {
	[ -x "$1" ] || die "$1 is missing; build it first (make${O:+ O=$O} all)"
}

# have_tool NAME PACKAGE: true when NAME is on PATH, else one note.
have_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	note "$1 not found; its rows are skipped (install the Debian package $2, e.g. make setup)"
	return 1
}

need_tracefs() {
	[ -e /sys/kernel/tracing/events ] && return 0
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		die "tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing"
}

make_work() {
	mkdir -p "$WORK"
	trap 'cleanup_work' EXIT
}

# Kills what the script started and is still alive, then removes $WORK.
cleanup_work() {
	local p
	for p in ${BG_PIDS:-}; do
		kill -INT "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}

# wait_until TIMEOUT_S CMD...: polls CMD every 20 ms; false on timeout.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.02
	done
}

file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
file_nonempty() { [ -s "$1" ]; }
alive() { kill -0 "$1" 2>/dev/null; }
ready_or_dead() { file_has "$1" "$2" || ! alive "$3"; }

# stop_bg PID: SIGINT, then wait; returns the tracer's exit status.
stop_bg() {
	local st=0
	kill -INT "$1" 2>/dev/null || true
	wait "$1" || st=$?
	BG_PIDS=${BG_PIDS//$1/}
	return $st
}

# start_bg READY_FILE READY_PATTERN CMD...: starts a tracer (output to
# $WORK/tracer.out, pid in BG) and waits until READY_PATTERN appears in
# READY_FILE (or, for "", until the file exists), then SETTLE seconds.
start_bg() {
	local file=$1 pat=$2
	shift 2
	rm -f "$file"
	"$@" > "$WORK/tracer.out" 2>&1 &
	BG=$!
	BG_PIDS="${BG_PIDS:-} $BG"
	if [ -z "$pat" ]; then
		wait_until 15 eval "file_nonempty '$file' || ! alive $BG" || true
	else
		wait_until 15 ready_or_dead "$file" "$pat" "$BG" || true
	fi
	alive "$BG" || die "tracer '$*' did not start: $(tail -3 "$WORK/tracer.out")"
	sleep "${SETTLE:-0.5}"
}

# shuffle N: sets ORDER to the numbers 0..N-1 in a random order
# (Fisher-Yates on $RANDOM, which the caller seeds to make a run
# repeatable; called in the script's own shell, since a subshell reseeds
# $RANDOM). A rotation keeps each configuration's predecessor fixed, so
# whatever one tracer leaves behind always lands on the same next one; a
# shuffle spreads it over all of them.
shuffle() {
	local n=$1 i j t
	ORDER=()
	for ((i = 0; i < n; i++)); do ORDER[i]=$i; done
	for ((i = n - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${ORDER[i]}
		ORDER[i]=${ORDER[j]}
		ORDER[j]=$t
	done
}

# median: numbers on stdin, one per line -> their median.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# trace-cmd writes 1 to /proc/sys/kernel/ftrace_enabled before recording
# even when only events are asked for, and refuses to run where that
# sysctl is locked (kernels without a usable function tracer). Event
# tracing does not depend on it, so on such machines the write is sent to
# /dev/null by a small preloaded library; nothing else changes.
trace_cmd_env() {
	local so=$WORK/ftrace-sysctl-shim.so
	if (echo 1 > /proc/sys/kernel/ftrace_enabled) 2>/dev/null; then
		return 0
	fi
	[ -f "$so" ] || build_ftrace_shim "$so" || return 1
	echo "LD_PRELOAD=$so"
}

build_ftrace_shim() {
	cat > "$WORK/ftrace-sysctl-shim.c" <<'SHIM'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* Only the ftrace sysctl and function-tracer files are redirected. */
static int fix(const char *p, int fd)
{
	if (fd >= 0 && p && strcmp(p, "/proc/sys/kernel/ftrace_enabled") == 0)
		return dup2(open("/dev/null", O_RDWR), fd);
	if (fd < 0 && errno == EPERM && p &&
	    (strstr(p, "set_ftrace") || strstr(p, "set_graph")))
		return open("/dev/null", O_RDWR);
	return fd;
}

int open(const char *p, int fl, ...)
{
	static int (*real)(const char *, int, ...);
	va_list ap;
	mode_t m;

	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	va_start(ap, fl);
	m = va_arg(ap, mode_t);
	va_end(ap);
	return fix(p, real(p, fl, m));
}
int open64(const char *p, int fl, ...) __attribute__((alias("open")));

int openat(int d, const char *p, int fl, ...)
{
	static int (*real)(int, const char *, int, ...);
	va_list ap;
	mode_t m;

	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	va_start(ap, fl);
	m = va_arg(ap, mode_t);
	va_end(ap);
	return fix(p, real(d, p, fl, m));
}
int openat64(int d, const char *p, int fl, ...) __attribute__((alias("openat")));
SHIM
	${CC:-cc} -shared -fPIC -O2 -o "$1" "$WORK/ftrace-sysctl-shim.c" -ldl ||
		{ note "cannot build the trace-cmd sysctl shim"; return 1; }
}

# Waits (30 s at most) until the tracers of the previous run are gone. A
# tracer whose exit status is in may still be detaching its programs: one
# with syscall tracepoints keeps every task of the system on the slow
# syscall path for a few seconds more (futex hash then runs at half speed),
# which the next configuration would pay for.
settle() {
	local i
	for ((i = 0; i < 300; i++)); do
		pgrep -x threadline > /dev/null || pgrep -x floor > /dev/null ||
			pgrep -x trace-cmd > /dev/null || return 0
		sleep 0.1
	done
	note "warning: a tracer of the previous run is still going away"
}

# Timing needs a quiet machine: says so when other tracers or load run.
quiet_check() {
	local others load
	others=$(pgrep -x threadline | tr '\n' ' ' || true)
	[ -z "$others" ] || note "warning: other threadline processes run ($others); numbers will be noisy"
	load=$(cut -d' ' -f1 /proc/loadavg)
	awk -v l="$load" 'BEGIN { exit !(l > 0.7) }' &&
		note "warning: load average is $load; numbers will be noisy"
	return 0
}

# ---- recorder CPU and reading memory (bench/recsize, bench/workloads) ----

# cpu_of TIMEFILE -> user + system seconds (written by /usr/bin/time -f "%U %S")
cpu_of() { awk '{ print $1 + $2 }' "$1"; }

# collecting_s LOGFILE DEFAULT -> the collecting thread's CPU seconds as
# `record -v` prints them, or DEFAULT for a build that does not say.
collecting_s() {
	local t
	t=$(sed -n 's/.*collecting thread \([0-9.]*\) s.*/\1/p' "$1")
	echo "${t:-$2}"
}

# collector_round BUILD TAG LOOPS CPU OUT [RECORD_ARGS...]: records
# `perf bench sched pipe -l LOOPS` pinned to CPU with BUILD's threadline
# (`record -v RECORD_ARGS -p PID`: attaching, so /usr/bin/time counts only
# the recorder), then an idle recording as long (of a sleep: the fixed and
# per-second costs), and appends to OUT "bytes/event cpu_ns/event
# thread_ns/event usecs/op events lost": the recorder's CPU per event (all
# threads) and its collecting thread's, each net of its idle figure.
collector_round() {
	local b=$1 w=$WORK/cr.$2 loops=$3 cpu=$4 out=$5 p s t0 secs st
	local ev lost bytes all idle thr ithr
	shift 5
	t0=$(date +%s.%N)
	(exec taskset -c "$cpu" perf bench sched pipe -l "$loops" > "$w.bench" 2>&1) &
	p=$!
	BG_PIDS="${BG_PIDS:-} $p"
	/usr/bin/time -f "%U %S" -o "$w.time" "$b/threadline" record -v "$@" \
		-p "$p" -o "$w.tlr" 2> "$w.log" || true
	wait "$p" || true
	BG_PIDS=${BG_PIDS//$p/}
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	sleep "$secs" &
	s=$!
	/usr/bin/time -f "%U %S" -o "$w.idle" "$b/threadline" record -v "$@" \
		-p "$s" -o "$w.idle.tlr" 2> "$w.idle.log" || true
	wait "$s" || true
	st=$("$b/bench/tlstat" "$w.tlr" 2> /dev/null) || st=
	read -r _ ev _ lost _ _ _ bytes _ <<< "$st"
	if [ -z "${ev:-}" ] || [ "$ev" = 0 ]; then
		note "recording of the pipe benchmark by $b failed: $(tail -2 "$w.log")"
		rm -f "$w.tlr" "$w.idle.tlr"
		return 0
	fi
	all=$(cpu_of "$w.time")
	idle=$(cpu_of "$w.idle")
	thr=$(collecting_s "$w.log" "$all")
	ithr=$(collecting_s "$w.idle.log" "$idle")
	awk -v by="$bytes" -v ev="$ev" -v c="$all" -v t="$thr" -v i="$idle" -v it="$ithr" \
		-v l="$lost" -v op="$(awk '/usecs\/op/ { print $1 }' "$w.bench")" 'BEGIN {
		printf "%.2f %.1f %.1f %s %d %d\n", by / ev, (c - i) * 1e9 / ev,
			(t - it) * 1e9 / ev, op, ev, l }' >> "$out"
	rm -f "$w.tlr" "$w.idle.tlr"
}

# records_of BUILD FILE -> the records in a recording (tlstat)
records_of() { "$1/bench/tlstat" "$2" | awk '{ print $6 }'; }

# rss_per_m BUILD report|export FILE -> peak RSS (/usr/bin/time's maximum
# resident set) of `threadline report|export FILE` in MiB per million
# records read; "-" when it failed.
rss_per_m() {
	local b=$1 cmd=$2 f=$3 recs kb st=0
	recs=$(records_of "$b" "$f")
	if [ "$cmd" = report ]; then
		/usr/bin/time -f "%M" -o "$WORK/rss" "$b/threadline" report "$f" \
			> /dev/null 2>&1 || st=$?
	else
		rm -f "$WORK/x.pftrace"
		/usr/bin/time -f "%M" -o "$WORK/rss" "$b/threadline" export "$f" \
			-o "$WORK/x.pftrace" > /dev/null 2>&1 || st=$?
		rm -f "$WORK/x.pftrace"
	fi
	kb=$(tail -1 "$WORK/rss")
	if [ $st -ne 0 ] || [ -z "$recs" ] || [ "$recs" = 0 ]; then
		echo -
		return
	fi
	awk -v kb="$kb" -v r="$recs" 'BEGIN { printf "%.1f", kb / 1024 / (r / 1e6) }'
}

# record_all_busy BUILD SECONDS FILE: a whole-system recording
# (`record -a -d SECONDS`, default groups) made while
# `perf bench sched messaging -p -t -g 4` keeps the machine busy.
record_all_busy() {
	local msg
	(exec perf bench sched messaging -p -t -g 4 -l 100000000 > /dev/null 2>&1) &
	msg=$!
	BG_PIDS="${BG_PIDS:-} $msg"
	sleep 1
	"$1/threadline" record -a -d "$2" -o "$3" 2> "$WORK/all.log" ||
		note "record -a failed: $(tail -2 "$WORK/all.log")"
	kill -KILL "$msg" 2> /dev/null || true
	wait "$msg" 2> /dev/null || true
	BG_PIDS=${BG_PIDS//$msg/}
}
