// vmalloc, vmap, ioremap and vmalloc'ed kernel stacks on the real MMU.
//
// Exactness is measured as pages not in use: buddy free pages plus pages parked on per-CPU
// lists (page_alloc_ledger_snapshot), plus vmalloc's areas and page-table pages; each case
// ends where it started. The last case drains the per-CPU lists so that the suite ledger
// (buddy free pages alone) also reads back the value it had.
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>
#include <asm/traps.h>

#include "kernel/extable.h"
#include "kernel/ktest.h"
#include "kernel/task_stack.h"
#include "kstd/string.h"
#include "lib/of/of.h"
#include "mm/page_alloc.h"
#include "mm/vmalloc.h"

namespace {

struct Rng {
	u64 s;
	u64 next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	u64 below(u64 n) { return next() % n; }
};

// Pages not in use anywhere (buddy + per-CPU lists), and vmalloc's own holdings.
struct Usage {
	unsigned long unused_pages, areas, pgtables, node_pages;
	bool operator==(const Usage &) const = default;
};
Usage usage()
{
	page_alloc_ledger l = page_alloc_ledger_snapshot();
	vmalloc_stats s = vmalloc_get_stats();
	return {l.free_total + l.pcp_total, s.nr_areas, s.pgtable_pages, s.node_pages};
}

#define EXPECT_USAGE_EQ(t, a, b)                                                                    \
	do {                                                                                        \
		KT_EXPECT_EQ(t, (a).unused_pages, (b).unused_pages);                                \
		KT_EXPECT_EQ(t, (a).areas, (b).areas);                                              \
		KT_EXPECT_EQ(t, (a).pgtables, (b).pgtables);                                        \
		KT_EXPECT_EQ(t, (a).node_pages, (b).node_pages);                                    \
	} while (0)

bool readable(const void *p)
{
	u64 v;
	return !probe_read(p, &v).is_error();
}
bool writable(void *p)
{
	u64 v;
	if (probe_read(p, &v).is_error())
		return false;
	return !probe_write(p, v).is_error();
}

bool contains(const char *s, const char *sub)
{
	usize n = strlen(sub);
	for (; *s; s++)
		if (strncmp(s, sub, n) == 0)
			return true;
	return false;
}

// Pattern of one word: depends on the area and the page so a page mapped twice shows.
u64 pattern(u64 seed, u64 page_no) { return (seed * 0x9e3779b97f4a7c15ull) ^ (page_no << 12) ^ 0x5a5a; }

} // namespace

KTEST(vmalloc, basic_map_guard_and_lookup)
{
	Usage before = usage();
	u8 *p = static_cast<u8 *>(vmalloc(3 * PAGE_SIZE + 100));
	KT_ASSERT_TRUE(t, p != nullptr);
	KT_EXPECT_TRUE(t, is_vmalloc_addr(p));
	KT_EXPECT_EQ(t, reinterpret_cast<u64>(p) % PAGE_SIZE, 0u);
	memset(p, 0x5c, 4 * PAGE_SIZE);
	KT_EXPECT_EQ(t, p[4 * PAGE_SIZE - 1], 0x5c);
	// The pages are distinct buddy pages, reachable through the linear map too.
	for (int i = 0; i < 4; i++) {
		page *pg = vmalloc_to_page(p + i * PAGE_SIZE);
		KT_ASSERT_TRUE(t, pg != nullptr);
		u8 *lin = static_cast<u8 *>(page_address(pg));
		KT_EXPECT_EQ(t, lin[17], 0x5c);
		lin[17] = static_cast<u8>(i);
		KT_EXPECT_EQ(t, p[i * PAGE_SIZE + 17], i);
	}
	vm_struct *vm = find_vm_area(p + 2 * PAGE_SIZE);
	KT_ASSERT_TRUE(t, vm != nullptr);
	KT_EXPECT_EQ(t, reinterpret_cast<u64>(vm->addr), reinterpret_cast<u64>(p));
	KT_EXPECT_EQ(t, vm->size, 5 * PAGE_SIZE); // four pages and the guard
	KT_EXPECT_EQ(t, vm->nr_pages, 4u);
	KT_EXPECT_TRUE(t, (vm->flags & VM_ALLOC) != 0);
	// The guard page after the area belongs to it, is unmapped, and faults.
	KT_EXPECT_TRUE(t, find_vm_area(p + 4 * PAGE_SIZE) == vm);
	KT_EXPECT_FALSE(t, readable(p + 4 * PAGE_SIZE));
	KT_EXPECT_FALSE(t, writable(p + 4 * PAGE_SIZE + PAGE_SIZE - 8));
	KT_EXPECT_TRUE(t, vmalloc_to_page(p + 4 * PAGE_SIZE) == nullptr);
	// vmalloc memory is data: a `ret` written there must not execute (PXN).
	*reinterpret_cast<volatile u32 *>(p) = 0xd65f03c0;
	KT_EXPECT_EQ(t, probe_exec(p), -14L);
	// /proc/vmallocinfo line: range with the guard, the caller, pages, kind.
	char line[160];
	format_vmallocinfo_line(line, sizeof(line), vm);
	t.log("%s", line);
	KT_EXPECT_TRUE(t, contains(line, "ktest_vmalloc_basic_map_guard_and_lookup"));
	KT_EXPECT_TRUE(t, contains(line, "   20480 "));
	KT_EXPECT_TRUE(t, contains(line, " pages=4 vmalloc"));
	vfree(p);
	// Unmapped and TLB-invalidated: the old address faults now.
	KT_EXPECT_FALSE(t, readable(p));
	KT_EXPECT_TRUE(t, find_vm_area(p) == nullptr);
	KT_EXPECT_TRUE(t, vmalloc(0) == nullptr);
	vfree(nullptr);
	KT_EXPECT_EQ(t, vmalloc_check(), 0u);
	EXPECT_USAGE_EQ(t, usage(), before);
}

KTEST(vmalloc, vzalloc_zeroes_reused_pages)
{
	Usage before = usage();
	const unsigned long size = 16 * PAGE_SIZE;
	u64 *a = static_cast<u64 *>(vmalloc(size));
	KT_ASSERT_TRUE(t, a != nullptr);
	memset(a, 0xa5, size);
	vfree(a);
	u64 *z = static_cast<u64 *>(vzalloc(size));
	KT_ASSERT_TRUE(t, z != nullptr);
	u64 acc = 0;
	for (unsigned long i = 0; i < size / 8; i++)
		acc |= z[i];
	KT_EXPECT_EQ(t, acc, 0u);
	vfree(z);
	EXPECT_USAGE_EQ(t, usage(), before);
}

// Random sizes from one page to 4 MiB, up to 24 live at once. Every page of every live area
// carries a pattern that must survive until the area is freed (no two areas share a page or
// a VA); the page after every area must fault.
KTEST(vmalloc, churn_with_guard_pages)
{
	Usage before = usage();
	struct Live {
		u64 *p;
		unsigned long pages;
		u64 seed;
	} live[24] = {};
	Rng rng{0x7a11c0c};
	unsigned long allocs = 0, guard_faults = 0, pages_total = 0;
	u64 seed = 1;
	for (int op = 0; op < 600 && !t.failed(); op++) {
		Live &l = live[rng.below(24)];
		if (l.p) {
			for (unsigned long i = 0; i < l.pages; i++) {
				u64 *w = l.p + i * (PAGE_SIZE / 8);
				if (w[0] != pattern(l.seed, i) || w[PAGE_SIZE / 8 - 1] != ~pattern(l.seed, i)) {
					t.fail_at(__FILE__, __LINE__, "area %p page %lu lost its pattern", l.p, i);
					break;
				}
			}
			vfree(l.p);
			KT_EXPECT_FALSE(t, readable(l.p));
			l.p = nullptr;
			continue;
		}
		// Mostly small, sometimes up to 4 MiB.
		unsigned long pages = rng.below(4) ? 1 + rng.below(16) : 1 + rng.below(1024);
		u64 *p = static_cast<u64 *>(vmalloc(pages * PAGE_SIZE));
		KT_ASSERT_TRUE(t, p != nullptr);
		allocs++;
		pages_total += pages;
		l = {p, pages, seed++};
		for (unsigned long i = 0; i < pages; i++) {
			u64 *w = p + i * (PAGE_SIZE / 8);
			w[0] = pattern(l.seed, i);
			w[PAGE_SIZE / 8 - 1] = ~pattern(l.seed, i);
		}
		u8 *guard = reinterpret_cast<u8 *>(p) + pages * PAGE_SIZE;
		if (!readable(guard) || !readable(guard + PAGE_SIZE - 8))
			guard_faults++;
		else
			t.fail_at(__FILE__, __LINE__, "guard page %p after a %lu-page area is mapped", guard, pages);
		if (op % 50 == 0)
			KT_EXPECT_EQ(t, vmalloc_check(), 0u);
	}
	for (Live &l : live)
		vfree(l.p);
	t.log("%lu allocations, %lu pages, %lu guard pages faulted", allocs, pages_total, guard_faults);
	KT_EXPECT_EQ(t, guard_faults, allocs);
	KT_EXPECT_EQ(t, vmalloc_check(), 0u);
	EXPECT_USAGE_EQ(t, usage(), before);
}

// Areas spread over many 2 MiB and several 1 GiB regions need new level 1-3 tables; when
// they are gone every one of those tables is freed again.
KTEST(vmalloc, page_tables_freed_when_empty)
{
	Usage before = usage();
	void *areas[48];
	for (int i = 0; i < 48; i++) {
		areas[i] = vmalloc(SZ_2M + PAGE_SIZE);
		KT_ASSERT_TRUE(t, areas[i] != nullptr);
	}
	// An area beyond the first GiB of vmalloc space: a guard-aligned 1 GiB reservation.
	void *far = __vmalloc_node_range(PAGE_SIZE, SZ_1G, GFP_KERNEL, PROT_KERNEL_RW, 0, nullptr);
	KT_ASSERT_TRUE(t, far != nullptr);
	KT_EXPECT_EQ(t, reinterpret_cast<u64>(far) % SZ_1G, 0u);
	unsigned long tables = kernel_pgtable_pages();
	t.log("page-table pages: %lu before, %lu with 49 areas", before.pgtables, tables);
	KT_EXPECT_GE(t, tables, before.pgtables + 48);
	u64 far_addr = reinterpret_cast<u64>(far);
	vfree(far);
	KT_EXPECT_TRUE(t, kernel_va_to_phys(far_addr).is_error());
	for (int i = 0; i < 48; i++)
		vfree(areas[i]);
	KT_EXPECT_EQ(t, kernel_pgtable_pages(), before.pgtables);
	EXPECT_USAGE_EQ(t, usage(), before);
}

KTEST(vmalloc, vmap_existing_pages)
{
	Usage before = usage();
	page *pages[5];
	for (int i = 0; i < 5; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KT_ASSERT_TRUE(t, pages[i] != nullptr);
		memset(page_address(pages[i]), 0x10 + i, PAGE_SIZE);
	}
	// Mapped in reverse order: the virtual order follows the array, not physical addresses.
	page *rev[5] = {pages[4], pages[3], pages[2], pages[1], pages[0]};
	u8 *v = static_cast<u8 *>(vmap(rev, 5, VM_MAP, PROT_KERNEL_RW));
	KT_ASSERT_TRUE(t, v != nullptr);
	for (int i = 0; i < 5; i++) {
		KT_EXPECT_EQ(t, v[i * PAGE_SIZE + 100], 0x14 - i);
		KT_EXPECT_TRUE(t, vmalloc_to_page(v + i * PAGE_SIZE) == rev[i]);
	}
	v[0] = 0xee; // through the vmap alias, seen through the linear map
	KT_EXPECT_EQ(t, static_cast<u8 *>(page_address(pages[4]))[0], 0xee);
	vm_struct *vm = find_vm_area(v);
	KT_ASSERT_TRUE(t, vm != nullptr);
	KT_EXPECT_TRUE(t, (vm->flags & VM_MAP) != 0);
	KT_EXPECT_FALSE(t, readable(v + 5 * PAGE_SIZE));
	vunmap(v);
	KT_EXPECT_FALSE(t, readable(v));
	// vunmap left the pages to their owner, contents intact.
	for (int i = 0; i < 5; i++) {
		KT_EXPECT_EQ(t, static_cast<u8 *>(page_address(pages[i]))[PAGE_SIZE - 1], 0x10 + i);
		__free_page(pages[i]);
	}
	EXPECT_USAGE_EQ(t, usage(), before);
}

// The PL011 of the boot device tree, mapped a second time through ioremap. Where the DT's
// register window covers the PrimeCell identification registers (0xff0..0xffc), they must
// read 0x0d 0xf0 0x05 0xb1 as on every PL011; a smaller window (the Pi's 0x200) is checked by
// reading a stable register through two independent mappings, one not page aligned.
KTEST(vmalloc, ioremap_uart_from_device_tree)
{
	Usage before = usage();
	of::Node uart = of::of_find_compatible("arm,pl011");
	if (!uart.valid()) {
		t.skip("no arm,pl011 node in the device tree");
		return;
	}
	auto reg = uart.reg_translated(0);
	KT_ASSERT_TRUE(t, !reg.is_error());
	u64 phys = reg.value().address, size = reg.value().size;
	volatile u32 *regs = static_cast<volatile u32 *>(ioremap(PhysAddr(phys), size));
	KT_ASSERT_TRUE(t, regs != nullptr);
	KT_EXPECT_TRUE(t, is_vmalloc_addr(const_cast<u32 *>(regs)));
	KT_EXPECT_EQ(t, reinterpret_cast<u64>(regs) % PAGE_SIZE, phys % PAGE_SIZE);
	if (size >= 0x1000) {
		u32 cid[4];
		for (int i = 0; i < 4; i++)
			cid[i] = regs[(0xff0 >> 2) + i] & 0xff;
		t.log("PL011 at %#lx mapped at %p: PCellID %02x %02x %02x %02x", (unsigned long)phys, regs, cid[0],
		      cid[1], cid[2], cid[3]);
		KT_EXPECT_EQ(t, cid[0], 0x0du);
		KT_EXPECT_EQ(t, cid[1], 0xf0u);
		KT_EXPECT_EQ(t, cid[2], 0x05u);
		KT_EXPECT_EQ(t, cid[3], 0xb1u);
	}
	vm_struct *vm = find_vm_area(const_cast<u32 *>(regs));
	KT_ASSERT_TRUE(t, vm != nullptr);
	KT_EXPECT_TRUE(t, (vm->flags & VM_IOREMAP) != 0);
	KT_EXPECT_EQ(t, vm->phys_addr.value(), phys & ~u64(PAGE_SIZE - 1));
	KT_EXPECT_TRUE(t, vmalloc_to_page(const_cast<u32 *>(regs)) == nullptr); // device memory has no struct page
	char line[160];
	format_vmallocinfo_line(line, sizeof(line), vm);
	t.log("%s", line);
	KT_EXPECT_TRUE(t, contains(line, " ioremap"));
	KT_EXPECT_TRUE(t, contains(line, " phys=0x"));

	// UARTIBRD (0x24), the baud divisor: the same through a mapping that starts mid-page.
	u32 ibrd = regs[0x24 >> 2];
	volatile u32 *ibrdp = static_cast<volatile u32 *>(ioremap(PhysAddr(phys + 0x24), 4));
	KT_ASSERT_TRUE(t, ibrdp != nullptr);
	KT_EXPECT_EQ(t, reinterpret_cast<u64>(ibrdp) % PAGE_SIZE, (phys + 0x24) % PAGE_SIZE);
	KT_EXPECT_TRUE(t, ibrdp != regs + (0x24 >> 2)); // a second, distinct mapping
	KT_EXPECT_EQ(t, *ibrdp, ibrd);
	iounmap(ibrdp);
	KT_EXPECT_FALSE(t, readable(const_cast<u32 *>(ibrdp)));
	iounmap(regs);
	KT_EXPECT_FALSE(t, readable(const_cast<u32 *>(regs)));

	// RAM is refused: it belongs to the page allocator and the linear map.
	page *pg = alloc_page(GFP_KERNEL);
	KT_ASSERT_TRUE(t, pg != nullptr);
	KT_EXPECT_TRUE(t, ioremap(page_to_phys(pg), PAGE_SIZE) == nullptr);
	__free_page(pg);
	KT_EXPECT_TRUE(t, ioremap(PhysAddr(phys), 0) == nullptr);
	EXPECT_USAGE_EQ(t, usage(), before);
}

// The GIC distributor: GICD_IIDR (0x008) names ARM (JEP106 0x43b) as implementer on QEMU's
// GICv2/v3 and the Pi 4's GIC-400; GICD_TYPER's ITLinesNumber gives a sane line count.
KTEST(vmalloc, ioremap_gic_distributor)
{
	Usage before = usage();
	static const char *const compat[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,gic-v3"};
	of::Node gic;
	for (const char *c : compat) {
		gic = of::of_find_compatible(c);
		if (gic.valid())
			break;
	}
	if (!gic.valid()) {
		t.skip("no GIC in the device tree");
		return;
	}
	auto reg = gic.reg_translated(0);
	KT_ASSERT_TRUE(t, !reg.is_error());
	volatile u32 *gicd = static_cast<volatile u32 *>(ioremap(PhysAddr(reg.value().address), PAGE_SIZE));
	KT_ASSERT_TRUE(t, gicd != nullptr);
	u32 iidr = gicd[0x008 >> 2], typer = gicd[0x004 >> 2];
	unsigned lines = ((typer & 0x1f) + 1) * 32;
	t.log("GICD at %#lx: IIDR %#x, %u interrupt lines", (unsigned long)reg.value().address, iidr, lines);
	KT_EXPECT_EQ(t, iidr & 0xfff, 0x43bu);
	KT_EXPECT_GE(t, lines, 64u);
	KT_EXPECT_LE(t, lines, 1020u + 32u);
	iounmap(gicd);
	EXPECT_USAGE_EQ(t, usage(), before);
}

// A request larger than free memory fails cleanly: every page it took goes back.
KTEST(vmalloc, failure_gives_everything_back)
{
	Usage before = usage();
	if (before.unused_pages > (1ul << 20)) {
		t.skip("more than 4 GiB free: mapping all of it takes too long under emulation");
		return;
	}
	unsigned long too_much = (before.unused_pages + 4096) * PAGE_SIZE;
	void *p = vmalloc(too_much);
	KT_EXPECT_TRUE(t, p == nullptr);
	KT_EXPECT_EQ(t, vmalloc_check(), 0u);
	EXPECT_USAGE_EQ(t, usage(), before);
}

namespace {
struct StackProbe {
	u64 sp, low, high;
	const char *name;
};
long probe_stack(void *arg)
{
	auto *s = static_cast<StackProbe *>(arg);
	s->sp = reinterpret_cast<u64>(__builtin_frame_address(0));
	StackRange r = current_task_stack();
	s->low = r.low;
	s->high = r.high;
	s->name = current_task_name();
	return 0x51ac;
}
} // namespace

KTEST(vmalloc, thread_stack_layout_and_run_on_stack)
{
	Usage before = usage();
	void *stack = alloc_thread_stack();
	KT_ASSERT_TRUE(t, stack != nullptr);
	u64 low = reinterpret_cast<u64>(stack);
	KT_EXPECT_EQ(t, low % THREAD_ALIGN, 0u);
	KT_EXPECT_TRUE(t, is_vmalloc_addr(stack));
	// Mapped stack, nothing mapped in the THREAD_SIZE below it, guard page above it.
	KT_EXPECT_TRUE(t, writable(stack));
	KT_EXPECT_TRUE(t, writable(reinterpret_cast<u8 *>(stack) + THREAD_SIZE - 8));
	for (u64 a = low - THREAD_SIZE; a < low; a += PAGE_SIZE)
		KT_EXPECT_FALSE(t, readable(reinterpret_cast<void *>(a)));
	KT_EXPECT_FALSE(t, readable(reinterpret_cast<void *>(low + THREAD_SIZE)));
	// The reservation below belongs to the stack's own area: nobody else can map it.
	vm_struct *vm = find_vm_area(reinterpret_cast<void *>(low - THREAD_SIZE));
	KT_ASSERT_TRUE(t, vm != nullptr);
	KT_EXPECT_TRUE(t, vm == find_vm_area(stack));
	KT_EXPECT_EQ(t, get_vm_area_size(vm), (unsigned long)THREAD_SIZE);

	StackRange outer = current_task_stack();
	StackProbe s{};
	long r = run_on_stack(stack, "ktest-stack", probe_stack, &s);
	KT_EXPECT_EQ(t, r, 0x51ac);
	KT_EXPECT_GE(t, s.sp, low);
	KT_EXPECT_LT(t, s.sp, low + THREAD_SIZE);
	KT_EXPECT_EQ(t, (s.sp >> THREAD_SHIFT) & 1, 0u); // the vector's overflow bit is clear
	KT_EXPECT_EQ(t, ((low - 16) >> THREAD_SHIFT) & 1, 1u); // and set just below the stack
	KT_EXPECT_EQ(t, s.low, low);
	KT_EXPECT_EQ(t, s.high, low + THREAD_SIZE);
	KT_EXPECT_TRUE(t, s.name && strcmp(s.name, "ktest-stack") == 0);
	// Back on the original stack with the original description.
	KT_EXPECT_EQ(t, current_task_stack().low, outer.low);
	KT_EXPECT_TRUE(t, current_task_name() == nullptr);
	free_thread_stack(stack);
	KT_EXPECT_FALSE(t, readable(stack));

	// Many stacks at once: each aligned, none overlapping another's guard region.
	void *stacks[32];
	for (int i = 0; i < 32; i++) {
		stacks[i] = alloc_thread_stack();
		KT_ASSERT_TRUE(t, stacks[i] != nullptr);
		KT_EXPECT_EQ(t, reinterpret_cast<u64>(stacks[i]) % THREAD_ALIGN, 0u);
		KT_EXPECT_FALSE(t, readable(reinterpret_cast<u8 *>(stacks[i]) - 8));
	}
	for (int i = 0; i < 32; i++)
		free_thread_stack(stacks[i]);
	EXPECT_USAGE_EQ(t, usage(), before);
	// Last case of the suite: pages parked on per-CPU lists go back to the buddy, so the
	// suite's "free pages" ledger compares like with like.
	drain_all_pages(nullptr);
}
