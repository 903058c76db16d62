# /proc/meminfo: Linux 6.1's field names, in Linux's order, each "Name:<spaces>N[ kB]".
cut -d: -f1 /proc/meminfo
awk '!/^[A-Za-z_()0-9]+: +[0-9]+( kB)?$/ { print "malformed: " $0 }' /proc/meminfo
awk '/^MemTotal:/ { t = $2 } /^MemFree:/ { f = $2 } END { print (t > 0 && f > 0 && f < t) ? "MemFree < MemTotal" : "bad totals" }' /proc/meminfo
