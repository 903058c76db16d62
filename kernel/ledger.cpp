// The memory ledger (kernel/ledger.h). It reads the allocators' snapshot functions; the
// allocators know nothing of the tests that compare them.
#include "kernel/ledger.h"

#include "core/printk.h"
#include "kernel/sched.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include <asm/mmu.h>

// Order matters: taking the slab ledger shrinks every cache and drains the per-CPU page lists,
// so the free-page count read after it does not see slabs SLUB merely keeps cached.
static u64 ledger_free_pages()
{
	// Pages in the buddy plus those cached on per-CPU lists, plus pages bad_page() took out of
	// circulation on purpose (a test that corrupts a page loses it from the free count, but no
	// page may vanish unaccounted).
	page_alloc_ledger l = page_alloc_ledger_snapshot();
	return static_cast<u64>(l.free_total + l.pcp_total + l.bad_pages);
}
static u64 ledger_tasks() { return static_cast<u64>(nr_tasks_alive()); }
static u64 ledger_vmalloc_areas() { return static_cast<u64>(vmalloc_get_stats().nr_areas); }
static u64 ledger_kernel_pgtables() { return static_cast<u64>(kernel_pgtable_pages()); }

static constexpr struct {
	const char *name;
	u64 (*fn)();
} ledgers[] = {
	{"slab objects", slab_ledger_objects},
	{"free pages", ledger_free_pages},
	{"tasks", ledger_tasks},
	{"vmalloc areas", ledger_vmalloc_areas},
	{"vmalloc page tables", ledger_kernel_pgtables},
};
static_assert(sizeof(ledgers) / sizeof(ledgers[0]) == memory_ledger::nr);

memory_ledger memory_ledger_snapshot()
{
	memory_ledger l;
	for (int i = 0; i < memory_ledger::nr; i++)
		l.v[i] = ledgers[i].fn();
	return l;
}

bool memory_ledger_compare(const memory_ledger &before, const memory_ledger &after, const char *prefix)
{
	bool ok = true;
	for (int i = 0; i < memory_ledger::nr; i++) {
		if (after.v[i] != before.v[i]) {
			printk(KERN_INFO "%sledger %s changed: %llu -> %llu\n", prefix, ledgers[i].name,
			       (unsigned long long)before.v[i], (unsigned long long)after.v[i]);
			ok = false;
		}
	}
	return ok;
}
