// Records Linux's /proc files for tests/linux-6.1: run as /init (static glibc, see README.md).
// Mounts proc, maps a file-less anonymous region and a heap so maps shows [heap] and an anon
// line, then prints each file between "==> path <==" markers and powers off.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static void dump(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	printf("==> %s <==\n", path);
	fflush(stdout);
	if (fd < 0) {
		printf("(open failed)\n");
		return;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, (size_t)n);
	close(fd);
}

int main(void)
{
	static const char *files[] = {
		"/proc/meminfo", "/proc/buddyinfo", "/proc/pagetypeinfo", "/proc/zoneinfo", "/proc/vmstat",
		"/proc/slabinfo", "/proc/vmallocinfo", "/proc/interrupts", "/proc/iomem", "/proc/cmdline",
		"/proc/version", "/proc/uptime", "/proc/loadavg", "/proc/stat", "/proc/filesystems",
		"/proc/mounts", "/proc/sys/vm/min_free_kbytes", "/proc/sys/vm/drop_caches",
		"/proc/sys/vm/overcommit_memory", "/proc/sys/vm/swappiness", "/proc/sys/kernel/hostname",
		"/proc/sys/kernel/pid_max", "/proc/sys/kernel/printk", "/proc/self/stat", "/proc/self/status",
		"/proc/self/statm", "/proc/self/maps", "/proc/self/smaps", "/proc/self/smaps_rollup",
		"/proc/self/cmdline", "/proc/self/comm", "/proc/self/environ", "/proc/self/oom_score",
		"/proc/self/oom_score_adj", "/proc/1/stat", "/proc/2/status", "/proc/2/stat", "/proc/2/maps",
	};
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0)
		perror("mount");
	char *heap = malloc(200000); // above the mmap threshold: an anonymous mapping
	char *small = malloc(100);   // brk: [heap]
	memset(heap, 1, 200000);
	memset(small, 1, 100);
	char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	anon[0] = 1;
	char link[64] = "";
	readlink("/proc/self", link, sizeof(link) - 1);
	printf("==> readlink /proc/self <==\n%s\n", link);
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		dump(files[i]);
	printf("==> end <==\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
