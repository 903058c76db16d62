# top -bn1: /proc/meminfo, /proc/stat, /proc/loadavg and every /proc/<pid>/stat. The summary
# lines with every number as N; the user processes' commands, sorted (top orders by %CPU).
top -bn1 > /tmp/top.out
sed -n '1,3p' /tmp/top.out | sed -E 's/[0-9]+(\.[0-9]+)?[KMGkmg]?/N/g; s/ +/ /g'
grep '^ *PID' /tmp/top.out
awk '/^ *PID/ { h = NF; next } h && $0 !~ /\[/ && NF >= h { line = "N"; for (i = h; i <= NF; i++) line = line " " $i; print line }' /tmp/top.out | sort
rm /tmp/top.out
