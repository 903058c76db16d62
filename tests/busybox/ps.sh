# ps: /proc/<pid>/stat, status and cmdline of every process. Kernel threads ("[name]") differ
# between kernels and pids change: print the user processes' commands, pid 1 as 1, others as N.
ps > /tmp/ps.out
head -1 /tmp/ps.out
awk 'NR > 1 && $3 !~ /^\[/ { line = ($1 == 1 ? "1" : "N") " " $2; for (i = 3; i <= NF; i++) line = line " " $i; print line }' /tmp/ps.out
rm /tmp/ps.out
