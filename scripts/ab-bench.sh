#!/usr/bin/env bash
# Side-by-side benchmark runs: two test binaries (or one binary with two environments) in
# alternating runs, A B A B ..., printing each run's figures, the process's CPU seconds
# (user+sys, /usr/bin/time) and the CPU seconds mariadbd spent meanwhile (/proc/PID/stat).
# Use a MariaDB of its own for the runs, so that nothing else's queries count:
#
#   mariadb-install-db --no-defaults --datadir=/tmp/bench-db --user="$USER"
#   mariadbd --no-defaults --datadir=/tmp/bench-db --port=3407 --bind-address=127.0.0.1 \
#     --socket=/tmp/bench-db.sock --pid-file=/tmp/bench-db.pid &
#   git worktree add /tmp/before <commit> && (cd /tmp/before && go test -c -o /tmp/before.test ./handlers/signup/)
#   go test -c -o /tmp/after.test ./handlers/signup/
#   scripts/ab-bench.sh 5 'SignupRush/mysql' 2000x handlers/signup /tmp/before.test /tmp/after.test
#
# Arguments: runs-per-side bench-regex benchtime package-dir binary-A binary-B [env-A] [env-B].
# Environment: BENCH_MARIADB_PID (default: the pid file above), BENCH_MYSQL_DSN (default
# root@tcp(127.0.0.1:3407)/).
set -euo pipefail
n=$1 re=$2 bt=$3 dir=$4 bin_a=$5 bin_b=$6 env_a=${7:-BENCH_SIDE=A} env_b=${8:-BENCH_SIDE=B}
pidfile=${BENCH_MARIADB_PID:-/tmp/bench-db.pid}
dsn=${BENCH_MYSQL_DSN:-root@tcp(127.0.0.1:3407)/}
tck=$(getconf CLK_TCK)
dbcpu() {
	if [ -r "$pidfile" ]; then awk -v t="$tck" '{print ($14+$15)/t}' "/proc/$(cat "$pidfile")/stat"; else echo 0; fi
}
cd "$dir"
for i in $(seq 1 "$n"); do
	for side in A B; do
		if [ $side = A ]; then bin=$bin_a e=$env_a; else bin=$bin_b e=$env_b; fi
		d0=$(dbcpu)
		out=$(env UNIONBOT_TEST_MYSQL_DSN="$dsn" $e /usr/bin/time -f 'cpu %U %S' "$bin" -test.run '^$' \
			-test.bench "$re" -test.benchtime="$bt" 2>&1)
		d1=$(dbcpu)
		figures=$(echo "$out" | grep -E '^Benchmark' | sed -E 's/^[^ \t]+[ \t]+//' | tr -s ' \t' ' ')
		cpu=$(echo "$out" | awk '/^cpu /{print $2+$3}')
		echo "$side run $i: $figures | cpu-s $cpu | mariadbd-cpu-s $(echo "$d1 - $d0" | bc) | load $(cut -d' ' -f1 /proc/loadavg)"
	done
done
