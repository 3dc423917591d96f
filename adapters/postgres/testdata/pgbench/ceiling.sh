#!/bin/sh
# The whole path's ceiling on this machine: the punch transaction's SQL
# alone (punch.sql, as the store sends it) at the server's pool size,
# between two runs of single-row INSERTs at the bench's 64 callers, each
# with the machine CPU it used (all processes, /proc/stat). A server in
# front of that SQL can only add to it, so `punchbot bench webhook` cannot
# reach a higher ratio than this prints. Run setup.sh first:
#
#   sh adapters/postgres/testdata/pgbench/ceiling.sh "$URL" [punch clients, default 16] [rounds, default 3]
set -eu
url=$1
clients=${2:-16}
rounds=${3:-3}
dir=$(dirname "$0")

busy() { head -1 /proc/stat | awk '{print $2 + $3 + $4 + $7 + $8}'; }

# run script clients: prints "transactions/s ms-of-machine-CPU-per-transaction"
run() {
	b0=$(busy)
	out=$(pgbench -n -M prepared -c "$2" -j 2 -T 4 -f "$dir/$1.sql" "$url" 2>&1)
	b1=$(busy)
	echo "$out" | awk -v b="$((b1 - b0))" '
		/number of transactions actually processed/ { split($NF, n, "/"); tx = n[1] }
		/^tps/ { tps = $3 }
		END { printf "%.0f %.3f\n", tps, b * 10 / tx }' # USER_HZ 100: a tick is 10 ms
}

i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	set -- $(run raw 64) $(run punch "$clients") $(run raw 64)
	awk -v r1="$1" -v c1="$2" -v p="$3" -v pc="$4" -v r2="$5" -v c2="$6" -v n="$clients" 'BEGIN {
		r = (r1 + r2) / 2; c = (c1 + c2) / 2
		printf "raw INSERTs %.0f/s, %.3f ms each | punch SQL at %d clients %.0f/s, %.3f ms each | ratio %.2f by throughput, %.2f by CPU\n", r, c, n, p, pc, p / r, c / pc
	}'
done
