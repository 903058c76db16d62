// The vmstat counters against independent counts (issue 12 item 1): user page-table pages and
// mapped pages from a walk of the page tables, slab pages from slabinfo's own figures, kernel
// stack KiB from the stacks allocated; and the per-CPU deltas folding as Linux's.
#include <asm/memory.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <stdarg.h>

#include "kernel/ktest.h"
#include "kernel/task_stack.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "fs/fs.h"
#include "mm/filemap.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmstat.h"

namespace {

long node_stat_now(node_stat_item item) { return static_cast<long>(global_node_page_state_snapshot(item)); }

struct walk_counts {
	unsigned long tables; // the pgd and every table below it
	unsigned long anon;   // present leaf entries that are not the zero page
};

void walk_level(const u64 *table, int level, walk_counts &c)
{
	c.tables++;
	for (unsigned i = 0; i < 512; i++) {
		u64 d = table[i];
		if (level < 3) {
			if (table_present(d))
				walk_level(static_cast<const u64 *>(phys_to_virt(PhysAddr(d & PTE_ADDR_MASK))), level + 1, c);
		} else if (pte_present(d) && !pte_special(d)) {
			c.anon++;
		}
	}
}

walk_counts walk_user_tables(const mm_struct *mm)
{
	walk_counts c{};
	walk_level(mm->pgd, 0, c);
	return c;
}

} // namespace

KTEST(vmstat, pagetables_and_anon_pages_match_a_walk)
{
	long pt0 = node_stat_now(NR_PAGETABLE), anon0 = node_stat_now(NR_ANON_MAPPED);
	auto r = mm_alloc();
	KT_ASSERT_TRUE(t, !r.is_error());
	mm_struct *mm = r.value();
	// Two mappings 1 TiB apart, so that they need tables of their own at every level.
	const unsigned long a = 0x10000000UL, b = a + (1UL << 40);
	const unsigned long len = 40 * PAGE_SIZE;
	long prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	KT_EXPECT_EQ(t, ksys_mmap(mm, a, len, prot, flags, ~0UL, 0), static_cast<long>(a));
	KT_EXPECT_EQ(t, ksys_mmap(mm, b, len, prot, flags, ~0UL, 0), static_cast<long>(b));
	// Writes give anonymous pages; reads of untouched pages map the shared zero page.
	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, a + off, FAULT_FLAG_USER | FAULT_FLAG_WRITE), 0ul);
		KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, b + off, FAULT_FLAG_USER), 0ul);
	}
	walk_counts w = walk_user_tables(mm);
	t.log("walk: %lu table pages, %lu anonymous pages; NR_PAGETABLE +%ld, NR_ANON_MAPPED +%ld", w.tables, w.anon,
	      node_stat_now(NR_PAGETABLE) - pt0, node_stat_now(NR_ANON_MAPPED) - anon0);
	KT_EXPECT_EQ(t, w.anon, len / PAGE_SIZE);
	KT_EXPECT_EQ(t, node_stat_now(NR_PAGETABLE) - pt0, static_cast<long>(w.tables));
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED) - anon0, static_cast<long>(w.anon));
	// Copy-on-write of the zero page adds one anonymous page; munmap takes pages and tables away.
	KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, b, FAULT_FLAG_USER | FAULT_FLAG_WRITE), 0ul);
	// Made read-only and writable again, the page is reused in place on the next write.
	unsigned long reuse0 = global_vm_event(PGREUSE), fault0 = global_vm_event(PGFAULT);
	KT_EXPECT_EQ(t, ksys_mprotect(mm, b, PAGE_SIZE, PROT_READ), 0l);
	KT_EXPECT_EQ(t, ksys_mprotect(mm, b, PAGE_SIZE, PROT_READ | PROT_WRITE), 0l);
	KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, b, FAULT_FLAG_USER | FAULT_FLAG_WRITE), 0ul);
	KT_EXPECT_EQ(t, global_vm_event(PGREUSE) - reuse0, 1ul);
	KT_EXPECT_EQ(t, global_vm_event(PGFAULT) - fault0, 1ul);
	KT_EXPECT_EQ(t, ksys_munmap(mm, a, len), 0l);
	w = walk_user_tables(mm);
	KT_EXPECT_EQ(t, w.anon, 1ul);
	KT_EXPECT_EQ(t, node_stat_now(NR_PAGETABLE) - pt0, static_cast<long>(w.tables));
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED) - anon0, 1l);
	mmput(mm);
	KT_EXPECT_EQ(t, node_stat_now(NR_PAGETABLE), pt0);
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED), anon0);
}

namespace {

// slabinfo's own figures: num_slabs * pagesperslab summed over its lines.
unsigned long slabinfo_pages;
int slabinfo_sum(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (line[0] == '#' || strncmp(line, "slabinfo", 8) == 0)
		return n;
	// name active num objsize objperslab pagesperslab : tunables l b s : slabdata active num avail
	unsigned long f[12] = {};
	int k = 0;
	const char *p = line;
	while (*p && *p != ' ')
		p++;
	while (*p && k < 12) {
		while (*p == ' ' || *p == ':' || (*p >= 'a' && *p <= 'z'))
			p++;
		if (*p < '0' || *p > '9')
			break;
		unsigned long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + static_cast<unsigned long>(*p++ - '0');
		f[k++] = v;
	}
	if (k >= 10)
		slabinfo_pages += f[9] * f[4]; // num_slabs * pagesperslab
	return n;
}

unsigned long slab_pages_now() { return static_cast<unsigned long>(node_stat_now(NR_SLAB_RECLAIMABLE_B) + node_stat_now(NR_SLAB_UNRECLAIMABLE_B)); }
unsigned long slabinfo_pages_now()
{
	slabinfo_pages = 0;
	slabinfo_show(slabinfo_sum);
	return slabinfo_pages;
}

} // namespace

KTEST(vmstat, slab_pages_match_slabinfo)
{
	if (strcmp(slab_allocator_name(), "SLUB") != 0) {
		t.skip("SLOB pages are shared by every cache: slabinfo has no slabs to sum");
		return;
	}
	kmem_cache_shrink_all();
	unsigned long info = slabinfo_pages_now(), counted = slab_pages_now();
	t.log("slabinfo: %lu pages in slabs; NR_SLAB_*: %lu pages", info, counted);
	KT_EXPECT_GT(t, info, 0ul);
	KT_EXPECT_EQ(t, counted, info);
	// A slab allocation that needs a new slab moves both by the slab's pages; a large
	// kmalloc counts as unreclaimable slab (Linux 6.1) but is in no cache.
	void *big = kmalloc(3 * PAGE_SIZE + 1, GFP_KERNEL);
	KT_ASSERT_TRUE(t, big != nullptr);
	KT_EXPECT_EQ(t, slab_pages_now(), counted + 4);
	KT_EXPECT_EQ(t, slabinfo_pages_now(), info);
	kfree(big);
	KT_EXPECT_EQ(t, slab_pages_now(), counted);
	kmem_cache *c = kmem_cache_create("vmstat_test", 1024, 0, SLAB_RECLAIM_ACCOUNT, nullptr);
	KT_ASSERT_TRUE(t, c != nullptr);
	long rec0 = node_stat_now(NR_SLAB_RECLAIMABLE_B);
	void *o = kmem_cache_alloc(c, GFP_KERNEL);
	KT_ASSERT_TRUE(t, o != nullptr);
	KT_EXPECT_EQ(t, slab_pages_now() - counted, slabinfo_pages_now() - info);
	KT_EXPECT_GT(t, node_stat_now(NR_SLAB_RECLAIMABLE_B), rec0);
	kmem_cache_free(c, o);
	kmem_cache_destroy(c);
	kmem_cache_shrink_all();
	KT_EXPECT_EQ(t, slab_pages_now(), slabinfo_pages_now());
}

KTEST(vmstat, kernel_stack_kb_counts_the_stacks)
{
	long kb0 = node_stat_now(NR_KERNEL_STACK_KB);
	void *s[3];
	for (void *&p : s) {
		p = alloc_thread_stack();
		KT_ASSERT_TRUE(t, p != nullptr);
	}
	KT_EXPECT_EQ(t, node_stat_now(NR_KERNEL_STACK_KB) - kb0, 3L * THREAD_SIZE / 1024);
	for (void *p : s)
		free_thread_stack(p);
	KT_EXPECT_EQ(t, node_stat_now(NR_KERNEL_STACK_KB), kb0);
}

// Deltas below the threshold stay on the CPU; the exact readers see them, the total does not
// until they pass the threshold or refresh_cpu_vm_stats() folds them.
KTEST(vmstat, per_cpu_deltas_fold_at_the_threshold)
{
	zone *z = nullptr;
	for_each_populated_zone(zz)
		if (!z || zone_managed_pages(zz) > zone_managed_pages(z))
			z = zz;
	KT_ASSERT_TRUE(t, z != nullptr);
	int th = z->per_cpu_zonestats[0].stat_threshold;
	unsigned long mib128 = zone_managed_pages(z) >> (27 - PAGE_SHIFT);
	KT_EXPECT_EQ(t, th, kstd::min(125, 2 * static_cast<int>(kstd::fls64(num_online_cpus())) * (1 + static_cast<int>(kstd::fls64(mib128)))));
	KT_ASSERT_TRUE(t, th > 1);
	refresh_cpu_vm_stats();
	unsigned long total = zone_page_state(z, NR_BOUNCE), exact = zone_page_state_snapshot(z, NR_BOUNCE);
	KT_EXPECT_EQ(t, total, exact);
	mod_zone_page_state(z, NR_BOUNCE, th);
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), total);
	KT_EXPECT_EQ(t, zone_page_state_snapshot(z, NR_BOUNCE), exact + th);
	mod_zone_page_state(z, NR_BOUNCE, 1); // passes the threshold: all of it folds
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), total + th + 1);
	mod_zone_page_state(z, NR_BOUNCE, -(th + 1));
	KT_EXPECT_EQ(t, zone_page_state_snapshot(z, NR_BOUNCE), exact);
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), exact); // -(th + 1) passed it too
	mod_zone_page_state(z, NR_BOUNCE, 1);
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), exact);
	KT_EXPECT_GE(t, refresh_cpu_vm_stats(), 1);
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), exact + 1);
	mod_zone_page_state(z, NR_BOUNCE, -1);
	refresh_cpu_vm_stats();
	KT_EXPECT_EQ(t, zone_page_state(z, NR_BOUNCE), exact);
	KT_EXPECT_EQ(t, (int)z->per_cpu_zonestats[0].vm_stat_diff[NR_BOUNCE], 0);
}

// Private file pages: Mapped while they are the page cache's (read faults of a shmem file),
// anonymous once written (the write copies).
KTEST(vmstat, file_pages_mapped_then_anonymous)
{
	long file0 = node_stat_now(NR_FILE_MAPPED), anon0 = node_stat_now(NR_ANON_MAPPED);
	auto fr = shmem_file_setup("vmstat-test", 3 * PAGE_SIZE, 0);
	KT_ASSERT_TRUE(t, !fr.is_error());
	file *f = fr.value();
	auto r = mm_alloc();
	KT_ASSERT_TRUE(t, !r.is_error());
	mm_struct *mm = r.value();
	const unsigned long a = 0x400000;
	KT_ASSERT_TRUE(t, !mmap_region(mm, a, 3 * PAGE_SIZE, VM_READ | VM_WRITE, f, 0).is_error());
	fput(f); // the VMA holds the file
	for (unsigned long off = 0; off < 3 * PAGE_SIZE; off += PAGE_SIZE)
		KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, a + off, FAULT_FLAG_USER), 0ul);
	KT_EXPECT_EQ(t, node_stat_now(NR_FILE_MAPPED) - file0, 3l);
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED) - anon0, 0l);
	KT_EXPECT_EQ(t, (unsigned long)do_user_addr_fault(mm, a, FAULT_FLAG_USER | FAULT_FLAG_WRITE), 0ul);
	KT_EXPECT_EQ(t, node_stat_now(NR_FILE_MAPPED) - file0, 2l);
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED) - anon0, 1l);
	KT_EXPECT_EQ(t, static_cast<long>(mm->rss_stat[MM_SHMEMPAGES]), 2l);
	KT_EXPECT_EQ(t, static_cast<long>(mm->rss_stat[MM_ANONPAGES]), 1l);
	mmput(mm);
	KT_EXPECT_EQ(t, node_stat_now(NR_FILE_MAPPED), file0);
	KT_EXPECT_EQ(t, node_stat_now(NR_ANON_MAPPED), anon0);
}
