# free: busybox reads /proc/meminfo (sysinfo(2) for the totals).
free > /tmp/free.out
awk '{ print $1, NF }' /tmp/free.out
awk '$1 == "Mem:" { print ($2 > 0 && $3 > 0 && $4 > 0 && $3 + $4 <= $2) ? "used + free <= total" : "bad: " $0 }' /tmp/free.out
rm /tmp/free.out
