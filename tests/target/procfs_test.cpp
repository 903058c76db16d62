// procfs on target: a /proc file read through the VFS is its generator's text (the same one the
// console prints), /proc/<pid> dentries and inodes go at their last dput, and writes to the
// sysctl files change what the allocator uses.
#include "core/ktest.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/proc/proc_fs.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

namespace {

// The whole file through filp_open/kernel_read in reads of `chunk` bytes; -errno or its length.
long read_all(const char *path, char *buf, usize size, usize chunk)
{
	auto f = filp_open(path, O_RDONLY, 0);
	if (f.is_error())
		return f.error().neg();
	loff_t pos = 0;
	long total = 0;
	for (;;) {
		usize want = size - 1 - static_cast<usize>(total);
		if (want > chunk)
			want = chunk;
		long n = kernel_read(f.value(), buf + total, want, &pos);
		if (n <= 0) {
			filp_close(f.value());
			if (n < 0)
				return n;
			break;
		}
		total += n;
	}
	buf[total] = 0;
	return total;
}

long write_str(const char *path, const char *s)
{
	auto f = filp_open(path, O_WRONLY, 0);
	if (f.is_error())
		return f.error().neg();
	loff_t pos = 0;
	long n = kernel_write(f.value(), s, strlen(s), &pos);
	filp_close(f.value());
	return n;
}

char captured[8192];
usize captured_len;
int capture(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(captured + captured_len, sizeof(captured) - captured_len, fmt, ap);
	va_end(ap);
	captured_len += static_cast<usize>(n);
	return n;
}

} // namespace

KTEST(procfs, file_text_is_the_console_text)
{
	static char buf[8192];
	// Files whose text cannot change between two reads: byte for byte.
	for (const char *name : {"version", "cmdline", "sys/kernel/pid_max", "devices", "filesystems", "1/comm"}) {
		char path[64];
		kstd::snprintf(path, sizeof(path), "/proc/%s", name);
		long n = read_all(path, buf, sizeof(buf), 5);
		KT_ASSERT_TRUE(t, n > 0);
		void *arg;
		const proc_entry *e = proc_lookup_path(name, &arg);
		KT_ASSERT_TRUE(t, e != nullptr);
		captured_len = 0;
		seq_show_to_sink(capture, e->show, arg);
		KT_EXPECT_EQ(t, captured_len, static_cast<usize>(n));
		KT_EXPECT_TRUE(t, memcmp(captured, buf, captured_len) == 0);
	}
	// meminfo: the same 53 lines in both.
	long n = read_all("/proc/meminfo", buf, sizeof(buf), 100);
	KT_ASSERT_TRUE(t, n > 0);
	long lines = 0;
	for (long i = 0; i < n; i++)
		lines += buf[i] == '\n';
	KT_EXPECT_EQ(t, lines, 53l);
}

KTEST(procfs, pid_dentries_and_inodes_go_at_last_dput)
{
	static char buf[4096];
	vfs_counts before = vfs_object_counts();
	for (int i = 0; i < 3; i++) {
		KT_EXPECT_TRUE(t, read_all("/proc/1/status", buf, sizeof(buf), 64) > 0);
		KT_EXPECT_TRUE(t, read_all("/proc/self/stat", buf, sizeof(buf), 4096) > 0);
		KT_EXPECT_TRUE(t, read_all("/proc/sys/vm/min_free_kbytes", buf, sizeof(buf), 4096) > 0);
		KT_EXPECT_EQ(t, read_all("/proc/999999/status", buf, sizeof(buf), 64), -2l);
	}
	vfs_counts after = vfs_object_counts();
	t.log("dentries %ld -> %ld, inodes %ld -> %ld, files %ld -> %ld", before.dentries, after.dentries, before.inodes,
	      after.inodes, before.files, after.files);
	KT_EXPECT_EQ(t, after.dentries, before.dentries);
	KT_EXPECT_EQ(t, after.inodes, before.inodes);
	KT_EXPECT_EQ(t, after.files, before.files);
}

KTEST(procfs, min_free_kbytes_write_moves_the_watermarks)
{
	int old = min_free_kbytes, old_user = user_min_free_kbytes;
	unsigned long min0 = 0;
	for_each_zone(z) min0 += min_wmark_pages(z);
	char v[24];
	kstd::snprintf(v, sizeof(v), "%d\n", old * 2);
	KT_EXPECT_EQ(t, write_str("/proc/sys/vm/min_free_kbytes", v), static_cast<long>(strlen(v)));
	KT_EXPECT_EQ(t, min_free_kbytes, old * 2);
	unsigned long min1 = 0;
	for_each_zone(z) min1 += min_wmark_pages(z);
	t.log("min watermarks: %lu -> %lu pages", min0, min1);
	KT_EXPECT_GT(t, min1, min0);
	KT_EXPECT_EQ(t, write_str("/proc/sys/vm/min_free_kbytes", "x1"), -22l);
	KT_EXPECT_EQ(t, write_str("/proc/sys/vm/drop_caches", "4"), 1l);
	// Back as it was.
	min_free_kbytes = old;
	setup_per_zone_wmarks();
	user_min_free_kbytes = old_user;
	unsigned long min2 = 0;
	for_each_zone(z) min2 += min_wmark_pages(z);
	KT_EXPECT_EQ(t, min2, min0);
}
