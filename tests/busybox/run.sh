# The busybox test runner: PID 1 runs it (rdinit=/bin/sh -- /tests/run.sh, Linux's way of
# passing init its arguments). Each /tests/<name>.sh runs in its own shell, stdin /dev/null
# (typed-ahead console input reaches none), its output captured, then printed between markers
# that tools/run_tests.py compares between this kernel and Linux 6.1: the scripts print only what must be the same on both (no times, no pids, no
# sizes that depend on the kernel). When this script ends, init exits: both kernels then print
# "Attempted to kill init! exitcode=0x00000000".
[ -e /proc/self ] || mount -t proc proc /proc
# Linux mounts no /dev on an initramfs (the archive has /dev/console and /dev/null): devtmpfs
# gives the scripts /dev/zero and the rest.
[ -e /dev/zero ] || mount -t devtmpfs devtmpfs /dev
echo "=== busybox tests: start"
for t in /tests/*.sh; do
	case $t in */run.sh) continue ;; esac
	n=${t##*/}
	n=${n%.sh}
	sh "$t" < /dev/null > "/tmp/out.$n" 2>&1
	s=$?
	echo "=== BEGIN $n"
	cat "/tmp/out.$n"
	echo "=== END $n status $s"
	[ -n "$BUSYBOX_TESTS_TIMES" ] && echo "=== uptime $(cut -d' ' -f1 /proc/uptime)"
	rm -f "/tmp/out.$n"
done
echo "=== busybox tests: done"
