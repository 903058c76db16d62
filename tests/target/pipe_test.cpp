// Pipes from the kernel side (fs/pipe.h): the ring's capacity and the exact ledger. Every
// page a pipe took goes back to the allocator when its last file is closed, and so do its
// slab objects (pipe_inode_info, the ring, the inode, the files).
#include "core/ktest.h"
#include "fs/fs.h"
#include "fs/pipe.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

namespace {

struct Ledger {
	unsigned long pages;
	u64 objects;
	long pipes;
};

Ledger ledger()
{
	u64 objs = slab_ledger_objects(); // shrinks the caches and drains the per-CPU lists first
	return {nr_free_pages(), objs, pipe_live_count()};
}

} // namespace

KTEST(pipe, fill_drain_and_ledger)
{
	Ledger before = ledger();
	file *p[2];
	KT_ASSERT_TRUE(t, !create_pipe_files(p, O_NONBLOCK).is_error());
	KT_EXPECT_EQ(t, pipe_live_count(), before.pipes + 1);
	// Both ends are one pseudo inode, named as Linux's /proc/<pid>/fd shows it.
	KT_EXPECT_TRUE(t, p[0]->f_inode == p[1]->f_inode);
	KT_EXPECT_TRUE(t, S_ISFIFO(p[0]->f_inode->i_mode));
	char name[32], want[32];
	kstd::scnprintf(want, sizeof(want), "pipe:[%lu]", static_cast<unsigned long>(p[0]->f_inode->i_ino));
	KT_EXPECT_EQ(t, pipe_dname(p[0]->f_inode, name, sizeof(name)), strlen(want));
	KT_EXPECT_TRUE(t, strcmp(name, want) == 0);
	// The empty pipe's objects (inode, files, ring) sit in slab pages: the baseline below.
	Ledger empty = ledger();
	static u8 buf[PAGE_SIZE];
	for (usize i = 0; i < sizeof(buf); i++)
		buf[i] = static_cast<u8>(i * 7);
	// 16 pages take exactly 64 KiB; the seventeenth write is EAGAIN.
	loff_t pos = 0;
	long total = 0, r;
	while ((r = kernel_write(p[1], buf, sizeof(buf), &pos)) > 0)
		total += r;
	KT_EXPECT_EQ(t, r, -11L);
	KT_EXPECT_EQ(t, total, 65536L);
	// The pages are the pipe's now: 16 of them, nothing else moved.
	Ledger full = ledger();
	KT_EXPECT_EQ(t, empty.pages - full.pages, 16ul);
	KT_EXPECT_EQ(t, full.objects, empty.objects);
	// Half read back, in order.
	u8 in[PAGE_SIZE];
	bool same = true;
	for (int i = 0; i < 8; i++) {
		KT_EXPECT_EQ(t, kernel_read(p[0], in, sizeof(in), &pos), long(sizeof(in)));
		same = same && memcmp(in, buf, sizeof(in)) == 0;
	}
	KT_EXPECT_TRUE(t, same);
	// Read pages go back (one is kept as the pipe's spare for the next write).
	Ledger half = ledger();
	KT_EXPECT_EQ(t, empty.pages - half.pages, 9ul);
	// poll: readable and writable now.
	KT_EXPECT_EQ(t, vfs_poll(p[0], nullptr), EPOLLIN | EPOLLRDNORM);
	KT_EXPECT_EQ(t, vfs_poll(p[1], nullptr), EPOLLOUT | EPOLLWRNORM);
	fput(p[0]);
	KT_EXPECT_EQ(t, vfs_poll(p[1], nullptr), EPOLLOUT | EPOLLWRNORM | EPOLLERR);
	fput(p[1]);
	Ledger after = ledger();
	KT_EXPECT_EQ(t, after.pipes, before.pipes);
	KT_EXPECT_EQ(t, after.pages, before.pages);
	KT_EXPECT_EQ(t, after.objects, before.objects);
}

// Closing with data still in the pipe frees its pages too (the reader never read them).
KTEST(pipe, close_with_data_frees_pages)
{
	Ledger before = ledger();
	for (int round = 0; round < 4; round++) {
		file *p[2];
		KT_ASSERT_TRUE(t, !create_pipe_files(p, O_NONBLOCK | O_DIRECT).is_error());
		static const char msg[] = "packet";
		loff_t pos = 0;
		for (int i = 0; i < 10; i++)
			KT_EXPECT_EQ(t, kernel_write(p[1], msg, sizeof(msg), &pos), long(sizeof(msg)));
		fput(p[1]);
		fput(p[0]);
	}
	Ledger after = ledger();
	KT_EXPECT_EQ(t, after.pipes, before.pipes);
	KT_EXPECT_EQ(t, after.pages, before.pages);
	KT_EXPECT_EQ(t, after.objects, before.objects);
}
