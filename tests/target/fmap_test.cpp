// File-backed memory seen from the kernel (issue 14): two instances of one program run from the
// page cache share their text pages (the same frames in both page tables, counted as file
// pages: MM_SHMEMPAGES, the root being a tmpfs) while their written data is their own
// (MM_ANONPAGES). The instances are /bin/ktest_fmap --sit (user/ktest_fmap.c), which wait on
// a MAP_SHARED page of /fmap_sync that this test reads and writes through the page cache.
// Pages, slab objects and tasks come back (the ktest ledgers).
#include <asm/pgtable.h>

#include "fs/fs.h"
#include "kernel/ktest.h"
#include "kernel/process.h"
#include "kernel/wait.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"

namespace {

constexpr const char *PROG = "/bin/ktest_fmap";
constexpr const char *SYNC = "/fmap_sync";

long sync_word(file *f, unsigned i)
{
	long v = -1;
	loff_t pos = static_cast<loff_t>(i * sizeof(long));
	kernel_read(f, &v, sizeof(v), &pos);
	return v;
}

// The frames mapped by the first executable file VMA of mm, by page index in it.
unsigned text_frames(mm_struct *mm, unsigned long *pfns, unsigned max, unsigned long *start)
{
	ReadGuard g(mm->mmap_lock);
	for (vm_area_struct *v = vma_first(mm); v; v = vma_next(v)) {
		if (!v->vm_file || !(v->vm_flags & VM_EXEC))
			continue;
		*start = v->vm_start;
		unsigned n = 0;
		for (unsigned long a = v->vm_start; a < v->vm_end && n < max; a += PAGE_SIZE, n++) {
			u64 *pte = mm_pte_lookup(mm, a);
			pfns[n] = pte && pte_valid(*pte) ? pte_pfn(*pte) : 0;
		}
		return n;
	}
	return 0;
}

} // namespace

KTEST(fmap, two_instances_share_text_pages)
{
	auto probe = filp_open(PROG, O_RDONLY, 0);
	if (probe.is_error()) {
		t.skip("no /bin/ktest_fmap");
		return;
	}
	fput(probe.value());
	auto fr = filp_open(SYNC, O_CREAT | O_EXCL | O_RDWR, 0600);
	KT_ASSERT_TRUE(t, !fr.is_error());
	file *sync = fr.value();
	static const long zeros[16] = {};
	loff_t pos = 0;
	KT_EXPECT_EQ(t, kernel_write(sync, zeros, sizeof(zeros), &pos), long(sizeof(zeros)));
	const char *argv[] = {PROG, "--sit"};
	task_struct *inst[2] = {};
	set_user_console_prefix("    # ");
	for (int i = 0; i < 2; i++) {
		auto r = spawn_program_image(PROG, {}, kstd::span<const char *const>(argv, 2), {});
		if (r.is_error()) {
			t.fail_at(__FILE__, __LINE__, "spawn: %s", r.error().name());
			break;
		}
		inst[i] = r.value();
	}
	// Both count themselves in (sync[9]); a hang guard only, the outcome does not depend on it.
	for (int i = 0; inst[1] && i < 100 * 60 && sync_word(sync, 9) < 2; i++)
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_EQ(t, sync_word(sync, 9), 2l);
	if (inst[0] && inst[1] && sync_word(sync, 9) == 2) {
		static unsigned long a[64], b[64];
		unsigned long sa = 0, sb = 0;
		unsigned na = text_frames(inst[0]->mm, a, 64, &sa), nb = text_frames(inst[1]->mm, b, 64, &sb);
		KT_EXPECT_EQ(t, na, nb);
		KT_EXPECT_EQ(t, sa, sb);
		unsigned shared = 0, differ = 0;
		for (unsigned i = 0; i < na && i < nb; i++) {
			if (a[i] && b[i] && a[i] == b[i])
				shared++;
			else if (a[i] && b[i])
				differ++;
		}
		KT_EXPECT_GE(t, shared, 1u);
		KT_EXPECT_EQ(t, differ, 0u);
		for (task_struct *x : inst) {
			// Text from the tmpfs root: shmem file pages; the stack and written data: anonymous.
			KT_EXPECT_GE(t, x->mm->rss_stat[MM_SHMEMPAGES], long(shared));
			KT_EXPECT_GE(t, x->mm->rss_stat[MM_ANONPAGES], 1l);
			KT_EXPECT_EQ(t, x->mm->rss_stat[MM_FILEPAGES], 0l);
		}
	}
	static const long one = 1;
	pos = sizeof(long);
	KT_EXPECT_EQ(t, kernel_write(sync, &one, sizeof(one), &pos), long(sizeof(one)));
	for (task_struct *x : inst) {
		if (!x)
			continue;
		exit_info e = reap_program(x);
		KT_EXPECT_EQ(t, (int)e.kind, (int)ExitKind::Exited);
		KT_EXPECT_EQ(t, e.status, 0);
	}
	set_user_console_prefix(nullptr);
	fput(sync);
	// The last instance unlinked it.
	auto gone = filp_open(SYNC, O_RDONLY, 0);
	KT_EXPECT_TRUE(t, gone.is_error());
	if (!gone.is_error())
		fput(gone.value());
}
