// The hardware side of user address spaces: TLB maintenance by ASID and VA, instruction
// cache sync for new executable pages, the ASID allocator and the TTBR0 switch.
//
// ASID allocator: Linux's arch/arm64/mm/context.c. mm->context.id holds a generation in the
// bits above the ASID. A context whose generation is current keeps its ASID; otherwise a
// free ASID is taken from the bitmap; when none is left the generation advances, the bitmap
// is rebuilt from the ASIDs active on each CPU (kept as "reserved" so running tasks keep
// theirs) and every CPU flushes its whole TLB before using the new generation. ASID 0 is
// never allocated: the reserved (empty) TTBR0 runs with it.
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

#include "core/printk.h"
#include "core/spinlock.h"
#include "mm/memory_model.h"
#include "mm/mm_struct.h"

static unsigned asid_bits = 16;
// cpu_asid_lock guards the allocator's state. active_asids[] is touched only with atomics
// (stored by its CPU on a switch, swapped out by a rollover), the form Linux's lockless
// switch path needs, so it is not annotated.
static SpinLock cpu_asid_lock;
static u64 asid_generation TA_GUARDED(cpu_asid_lock);
static constexpr unsigned MAX_ASIDS = 1u << 16;
static u64 asid_map[MAX_ASIDS / 64] TA_GUARDED(cpu_asid_lock);
static u64 active_asids[NR_CPUS];
static u64 reserved_asids[NR_CPUS] TA_GUARDED(cpu_asid_lock);
static bool tlb_flush_pending[NR_CPUS] TA_GUARDED(cpu_asid_lock);
static unsigned cur_idx TA_GUARDED(cpu_asid_lock) = 1;
static unsigned long stat_tlbi_page, stat_tlbi_mm, stat_rollovers;

static u64 num_user_asids() { return u64(1) << asid_bits; }
static u64 asid_first_version() { return u64(1) << asid_bits; }
static u64 asid_of(u64 id) { return id & (num_user_asids() - 1); }
static u64 mm_asid(const mm_struct *mm) { return asid_of(__atomic_load_n(&mm->context.id, __ATOMIC_RELAXED)); }

static bool test_bit(unsigned i) TA_REQ(cpu_asid_lock)
{ return asid_map[i / 64] & (u64(1) << (i % 64)); }
static void set_bit(unsigned i) TA_REQ(cpu_asid_lock)
{ asid_map[i / 64] |= u64(1) << (i % 64); }
static unsigned find_next_zero(unsigned from) TA_REQ(cpu_asid_lock)
{
	for (unsigned i = from; i < num_user_asids(); i++)
		if (!test_bit(i))
			return i;
	return unsigned(num_user_asids());
}

void asid_init()
{
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	unsigned bits = ((mmfr0 >> 4) & 0xf) == 2 ? 16 : 8;
	// head.S enables 16-bit ASIDs (TCR_EL1.AS) exactly when ASIDBits says so.
	asid_bits = bits;
	{
		SpinLockGuard g(cpu_asid_lock); // boot, one CPU: taken so the rule has no exception
		asid_generation = asid_first_version();
		for (u64 &w : asid_map)
			w = 0;
		set_bit(0);
	}
	pr_info("ASID allocator initialised with %lu entries\n", (unsigned long)num_user_asids() - 1);
}

// Tests: a narrower ASID space makes rollover reachable (TCR_EL1.AS unchanged: the upper
// ASID bits then stay zero, which the hardware accepts).
void asid_set_bits_for_test(unsigned bits)
{
	SpinLockGuard g(cpu_asid_lock);
	asid_bits = bits;
	asid_generation += u64(1) << 32; // no old context id can match the new generation
	asid_generation &= ~(asid_first_version() - 1);
	for (u64 &w : asid_map)
		w = 0;
	set_bit(0);
	for (unsigned c = 0; c < NR_CPUS; c++) {
		active_asids[c] = reserved_asids[c] = 0;
		tlb_flush_pending[c] = true;
	}
	cur_idx = 1;
}

static void flush_context() TA_REQ(cpu_asid_lock)
{
	for (u64 &w : asid_map)
		w = 0;
	set_bit(0);
	for (unsigned c = 0; c < NR_CPUS; c++) {
		u64 a = __atomic_exchange_n(&active_asids[c], 0, __ATOMIC_RELAXED);
		// A CPU that already rolled over keeps the ASID it had before (its reserved one).
		if (a == 0)
			a = reserved_asids[c];
		if (a)
			set_bit(unsigned(asid_of(a)));
		reserved_asids[c] = a;
		tlb_flush_pending[c] = true;
	}
	stat_rollovers++;
}

static bool check_update_reserved_asid(u64 asid, u64 newasid) TA_REQ(cpu_asid_lock)
{
	bool hit = false;
	for (unsigned c = 0; c < NR_CPUS; c++)
		if (reserved_asids[c] == asid) {
			hit = true;
			reserved_asids[c] = newasid;
		}
	return hit;
}

static u64 new_context(mm_struct *mm) TA_REQ(cpu_asid_lock)
{
	u64 asid = mm->context.id;
	u64 generation = asid_generation;
	if (asid != 0) {
		u64 newasid = generation | asid_of(asid);
		if (check_update_reserved_asid(asid, newasid))
			return newasid;
		if (!test_bit(unsigned(asid_of(asid)))) {
			set_bit(unsigned(asid_of(asid)));
			return newasid;
		}
	}
	unsigned a = find_next_zero(cur_idx);
	if (a == num_user_asids()) {
		asid_generation += asid_first_version();
		generation = asid_generation;
		flush_context();
		a = find_next_zero(1);
	}
	set_bit(a);
	cur_idx = a;
	return generation | a;
}

static void local_flush_tlb_all()
{
	dsb(nshst);
	asm volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
}

static void cpu_switch_mm(mm_struct *mm)
{
	u64 ttbr = virt_to_phys(mm->pgd).value() | (mm_asid(mm) << 48);
	write_sysreg(ttbr, ttbr0_el1);
	isb();
}

void check_and_switch_context(mm_struct *mm)
{
	unsigned cpu = smp_processor_id();
	{
		SpinLockGuard g(cpu_asid_lock);
		u64 id = mm->context.id;
		if ((id ^ asid_generation) >> asid_bits || id == 0) {
			id = new_context(mm);
			__atomic_store_n(&mm->context.id, id, __ATOMIC_RELAXED);
		}
		if (tlb_flush_pending[cpu]) {
			tlb_flush_pending[cpu] = false;
			local_flush_tlb_all();
		}
		__atomic_store_n(&active_asids[cpu], id, __ATOMIC_RELAXED);
	}
	cpu_switch_mm(mm);
}

void switch_to_kernel_context()
{
	write_sysreg(__pa_symbol(reserved_pg_dir).value(), ttbr0_el1);
	isb();
}

void destroy_context(mm_struct *mm)
{
	// The tables are about to be freed: stop the walker from using them. The ASID stays
	// allocated until the next rollover, so no other mm inherits its TLB entries.
	u64 ttbr = read_sysreg(ttbr0_el1) & PTE_ADDR_MASK;
	if (mm->pgd && ttbr == virt_to_phys(mm->pgd).value())
		switch_to_kernel_context();
	if (mm->context.id)
		flush_tlb_mm(mm);
}

asid_stats asid_get_stats() { return {stat_tlbi_page, stat_tlbi_mm, stat_rollovers, asid_bits}; }

void set_pte(u64 *ptep, u64 pte)
{
	__atomic_store_n(ptep, pte, __ATOMIC_RELAXED);
	// The table walker is not coherent with program order: make the entry visible to it
	// before the access that needs it (or the return to EL0).
	dsb(ishst);
}

void publish_ptes() { dsb(ishst); }

void flush_tlb_page(const mm_struct *mm, unsigned long va)
{
	if (!mm->context.id)
		return;
	stat_tlbi_page++;
	u64 arg = (va >> 12) | (mm_asid(mm) << 48);
	dsb(ishst);
	// vae1is (all levels, not vale1is): the walk caches for va go too, which freeing a
	// page-table page needs.
	asm volatile("tlbi vae1is, %0" ::"r"(arg) : "memory");
	dsb(ish);
}

void flush_tlb_mm(const mm_struct *mm)
{
	if (!mm->context.id)
		return;
	stat_tlbi_mm++;
	dsb(ishst);
	asm volatile("tlbi aside1is, %0" ::"r"(mm_asid(mm) << 48) : "memory");
	dsb(ish);
}

void flush_tlb_range(const mm_struct *mm, unsigned long start, unsigned long end)
{
	if (!mm->context.id)
		return;
	// Beyond this many pages one ASID-wide invalidation is cheaper (Linux's
	// MAX_TLBI_OPS).
	if ((end - start) >> 12 > 512) {
		flush_tlb_mm(mm);
		return;
	}
	u64 asid = mm_asid(mm) << 48;
	dsb(ishst);
	for (unsigned long va = start; va < end; va += PAGE_SIZE)
		asm volatile("tlbi vae1is, %0" ::"r"((va >> 12) | asid) : "memory");
	dsb(ish);
	stat_tlbi_page += (end - start) >> 12;
}

void sync_icache_page(void *kaddr)
{
	u64 ctr = read_sysreg(ctr_el0);
	unsigned long dline = 4ul << ((ctr >> 16) & 0xf), iline = 4ul << (ctr & 0xf);
	unsigned long s = reinterpret_cast<unsigned long>(kaddr), e = s + PAGE_SIZE;
	for (unsigned long a = s; a < e; a += dline)
		asm volatile("dc cvau, %0" ::"r"(a) : "memory");
	dsb(ish);
	for (unsigned long a = s; a < e; a += iline)
		asm volatile("ic ivau, %0" ::"r"(a) : "memory");
	dsb(ish);
	isb();
}
