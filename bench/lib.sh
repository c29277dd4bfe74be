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
