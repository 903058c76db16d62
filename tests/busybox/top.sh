# top -bn1: /proc/meminfo, /proc/stat, /proc/loadavg and every /proc/<pid>/stat. The summary
# lines with every number as N; the user processes' commands.
top -bn1 > /tmp/top.out
sed -n '1,3p' /tmp/top.out | sed -E 's/[0-9]+(\.[0-9]+)?[KMGkmg]?/N/g; s/ +/ /g'
awk '/^ *PID/ { h = NF; print; next } h && $0 !~ /\[/ && NF >= h { line = "N"; for (i = h; i <= NF; i++) line = line " " $i; print line }' /tmp/top.out
rm /tmp/top.out
