#!/usr/bin/env bash
# scale.sh runs `aggregate --once` from an empty store over generated
# corpora of N feeds × 200 items, in the order given, and prints one line
# per run: wall time, CPU time, and (when perf can read the hardware
# counters) the cycles and instructions the run took, with the share of
# the host's CPU the hypervisor stole meanwhile.
#
#	cmd/benchgen/scale.sh DIR 50 100 100 50 50 100
#
# Why cycles and instructions: on a shared VM the same run's wall time
# varies by up to ×2 from one hour to the next (stolen CPU, a slower
# clock), which hides whether doubling the items doubles the work.
# Instructions count the work itself and do not vary; cycles add what
# waiting on memory costs, which is what grows when an index outgrows the
# caches. Interleave the sizes (N 2N 2N N N 2N) so that both see the same
# host, and compare medians.
#
# Each corpus is made once, as DIR/cN, with `benchgen -feeds N -items 200
# -copies 0.3 -seed 1 -entries 500`; at N=5000 (10^6 items) that takes a
# few minutes and 3.4 GB, and a run's store takes 10 GB more.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 DIR FEEDS..." >&2
	exit 2
fi
dir=$1
shift
mkdir -p "$dir"
root=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$root" && go build -o "$dir/aggregate" ./cmd/aggregate && go build -o "$dir/benchgen" ./cmd/benchgen)

counters=0
if command -v perf >/dev/null && perf stat -x, -e instructions,cycles -o /dev/null true 2>/dev/null; then
	counters=1
fi

cpu_times() { grep '^cpu ' /proc/stat; }

printf "%-7s %-8s %8s %8s %7s %8s %8s %7s\n" items start wall_s cpu_s steal Gcycles Ginstr peak_MB
for n in "$@"; do
	c=$dir/c$n
	if [ ! -f "$c/config.toml" ]; then
		"$dir/benchgen" -feeds "$n" -items 200 -copies 0.3 -seed 1 -entries 500 -out "$c" >/dev/null
	fi
	rm -rf "$c/data" "$c/public"
	start=$(date +%T)
	read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ < <(cpu_times)
	run=("$dir/aggregate" --once --config "$c/config.toml")
	if [ $counters = 1 ]; then
		run=(perf stat -x, -e instructions,cycles -o "$dir/perf.out" "${run[@]}")
	fi
	# GNU time's -f, not the shell's time: peak memory as well.
	read -r wall user sys peak status < <(/usr/bin/time -f "%e %U %S %M %x" "${run[@]}" 2>&1 >/dev/null | tail -1)
	if [ "$status" != 0 ]; then
		echo "$0: aggregate --once on $c exited with status $status" >&2
		exit 1
	fi
	read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ < <(cpu_times)
	total=$(((u2 + n2 + s2 + i2 + w2 + q2 + sq2 + st2) - (u1 + n1 + s1 + i1 + w1 + q1 + sq1 + st1)))
	steal=$(awk -v s=$((st2 - st1)) -v t=$total 'BEGIN { printf "%.1f%%", t ? 100 * s / t : 0 }')
	cycles=- instr=-
	if [ $counters = 1 ]; then
		cycles=$(awk -F, '$3 == "cycles" { printf "%.0f", $1 / 1e9 }' "$dir/perf.out")
		instr=$(awk -F, '$3 == "instructions" { printf "%.0f", $1 / 1e9 }' "$dir/perf.out")
	fi
	printf "%-7s %-8s %8.1f %8.1f %7s %8s %8s %7d\n" $((n * 200)) "$start" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$steal" "$cycles" "$instr" $((peak / 1024))
done
