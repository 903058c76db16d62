// Fault injection on target: failslab and fail_page_alloc with Linux's attributes, and the
// fail-nth sweep: fail the 1st, 2nd, ... allocation of an operation until it completes without
// a failure. Every step must end in a clean error or success, with the ledger exact (no page
// and no slab object lost) and nothing left armed.
#include <asm/pgtable.h>

#include "core/fault_inject.h"
#include "core/ktest.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "lib/cpio.h"
#include "mm/fault_inject.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

namespace {

unsigned long settled_free_pages()
{
	kmem_cache_shrink_all();
	return nr_free_pages();
}

// Every GFP_KERNEL allocation of any order passes a failure point for the sweep (Linux's
// defaults skip allocations that may reclaim); quiet but for the first few reports.
struct SweepConfig {
	fail_page_alloc_cfg fpa = fail_page_alloc;
	failslab_cfg fs = failslab;
	SweepConfig()
	{
		fail_page_alloc.ignore_gfp_reclaim = fail_page_alloc.ignore_gfp_highmem = false;
		fail_page_alloc.min_order = 0;
		failslab.ignore_gfp_reclaim = false;
		fail_page_alloc.attr.verbose = failslab.attr.verbose = 1;
		fail_page_alloc.attr.ratelimit_left = failslab.attr.ratelimit_left = 3;
	}
	~SweepConfig()
	{
		// Back to the saved settings, keeping the armed bookkeeping straight.
		fail_page_alloc.attr.probability = failslab.attr.probability = 0;
		fault_inject_update(&fail_page_alloc.attr);
		fault_inject_update(&failslab.attr);
		fail_page_alloc = fpa;
		failslab = fs;
		fail_page_alloc.attr.armed = failslab.attr.armed = false;
		fault_inject_update(&fail_page_alloc.attr);
		fault_inject_update(&failslab.attr);
	}
};

// Runs op with its nth failure point failing; true while the point was reached (the sweep
// goes on), false once op completed without reaching it.
template <typename Op> bool run_nth(int n, Op op)
{
	set_current_fail_nth(n);
	op();
	bool fired = *current_fail_nth() == 0;
	set_current_fail_nth(0);
	return fired;
}

// An address space built, populated, forked and torn down: every error must be ENOMEM.
long mm_cycle()
{
	auto r = mm_alloc();
	if (r.is_error())
		return r.error().neg();
	mm_struct *mm = r.value();
	long a = ksys_mmap(mm, 0, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	long ret = a < 0 ? a : 0;
	if (a > 0) {
		Result p = mm_populate(mm, static_cast<unsigned long>(a), 16 * PAGE_SIZE);
		if (p.is_error())
			ret = p.error().neg();
		auto d = dup_mm(mm);
		if (d.is_error())
			ret = d.error().neg();
		else
			mmput(d.value());
	}
	mmput(mm);
	return ret;
}

} // namespace

KTEST(fault_inject, failslab_attributes_fail_then_stop)
{
	SweepConfig cfg;
	// interval 1, probability 100, times 3: the next three slab allocations fail.
	KT_ASSERT_TRUE(t, setup_fault_attr(&failslab.attr, "1,100,0,3"));
	KT_EXPECT_TRUE(t, fault_inject_armed());
	// A cache of its own: kmalloc is not a failure point under SLOB (as in Linux).
	kmem_cache *c = kmem_cache_create("fi_test", 64, 8, SLAB_NONE, nullptr);
	void *p[4] = {};
	if (c)
		for (void *&x : p)
			x = kmem_cache_alloc(c, GFP_KERNEL);
	failslab.attr.probability = 0;
	fault_inject_update(&failslab.attr);
	KT_ASSERT_TRUE(t, c != nullptr);
	KT_EXPECT_TRUE(t, p[0] == nullptr && p[1] == nullptr && p[2] == nullptr);
	KT_EXPECT_TRUE(t, p[3] != nullptr);
	KT_EXPECT_EQ(t, failslab.attr.times, 0l);
	for (void *x : p)
		if (x)
			kmem_cache_free(c, x);
	kmem_cache_destroy(c);
	KT_EXPECT_FALSE(t, fault_inject_armed());
}

KTEST(fault_inject, fail_page_alloc_filters)
{
	SweepConfig cfg;
	fail_page_alloc.min_order = 1; // Linux's default: order 0 passes
	KT_ASSERT_TRUE(t, setup_fault_attr(&fail_page_alloc.attr, "1,100,0,-1"));
	page *a = alloc_pages(GFP_KERNEL, 0);
	page *b = alloc_pages(GFP_KERNEL, 1);
	page *c = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 1); // never failed
	fail_page_alloc.attr.probability = 0;
	fault_inject_update(&fail_page_alloc.attr);
	KT_EXPECT_TRUE(t, a != nullptr);
	KT_EXPECT_TRUE(t, b == nullptr);
	KT_EXPECT_TRUE(t, c != nullptr);
	if (a)
		__free_pages(a, 0);
	if (c)
		__free_pages(c, 1);
	KT_EXPECT_FALSE(t, setup_fault_attr(&fail_page_alloc.attr, "1,101,0,1")); // probability > 100
	KT_EXPECT_FALSE(t, setup_fault_attr(&fail_page_alloc.attr, "junk"));
}

KTEST(fault_inject, fail_nth_sweep_address_space)
{
	SweepConfig cfg;
	unsigned long before = settled_free_pages();
	u64 objs = slab_ledger_objects();
	int points = 0, enomem = 0, bad = 0;
	for (int n = 1; n < 2000; n++) {
		long r = 0;
		bool fired = run_nth(n, [&] { r = mm_cycle(); });
		if (r != 0 && r != -int(Errno::ENOMEM))
			bad++;
		if (r == -int(Errno::ENOMEM))
			enomem++;
		if (settled_free_pages() != before || slab_ledger_objects() != objs)
			bad++;
		if (!fired)
			break;
		points++;
	}
	t.log("%d failure points swept, %d ended in ENOMEM", points, enomem);
	KT_EXPECT_GT(t, points, 20);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_FALSE(t, fault_inject_armed());
}

KTEST(fault_inject, fail_nth_sweep_process_spawn)
{
	kstd::span<const u8> rd = initramfs_image();
	auto e = rd.empty() ? ErrorOr<cpio::Entry>(Errno::ENOENT) : cpio::find(rd, "/bin/rwx_exec");
	if (e.is_error()) {
		t.skip("no /bin/rwx_exec in the initramfs");
		return;
	}
	SweepConfig cfg;
	unsigned long before = settled_free_pages();
	unsigned long tasks = nr_tasks_alive();
	const char *argv[] = {"/bin/rwx_exec"};
	int points = 0, bad = 0, ran = 0;
	for (int n = 1; n < 500; n++) {
		bool fired = run_nth(n, [&] {
			auto r = spawn_program_image("/bin/rwx_exec", e.value().data, kstd::span<const char *const>(argv, 1), {});
			if (r.is_error()) {
				if (r.error().code() != Errno::ENOMEM)
					bad++;
				return;
			}
			exit_info x = reap_program(r.value());
			if (x.kind != ExitKind::Exited || x.status != 0)
				bad++;
			ran++;
		});
		if (settled_free_pages() != before || nr_tasks_alive() != tasks)
			bad++;
		if (!fired)
			break;
		points++;
	}
	t.log("%d failure points swept, the program ran %d times", points, ran);
	KT_EXPECT_GT(t, points, 2);
	KT_EXPECT_EQ(t, bad, 0);
}
