// Address spaces on the host: the rb-tree, VMAs against a per-page reference model, the
// syscalls' errno semantics, brk, stack growth, mremap, and the fault path on the real
// buddy allocator (HostMm) with the host page-table seam.
#include <doctest/doctest.h>

#include <asm/pgtable.h>

#include "kstd/rbtree.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "tests/host/support/host_file.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/support/host_pgtable.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_page_alloc.h"

void zero_page_reset_for_test();

namespace {

struct Node {
	unsigned long key;
	rb_node rb;
};

void rb_insert_key(rb_root *root, Node *n)
{
	rb_node **link = &root->rb_node_, *parent = nullptr;
	while (*link) {
		parent = *link;
		link = n->key < rb_entry(parent, Node, rb)->key ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&n->rb, parent, link);
	rb_insert_color(&n->rb, root);
}

// A booted buddy allocator, the zero page, and a fresh mm; checks the free-page ledger
// comes back exactly after mmput.
struct MmFixture {
	HostMm host{patest::small_config(64 * SZ_1M)};
	unsigned long free_before;
	mm_struct *mm = nullptr;
	MmFixture()
	{
		// A fresh slab allocator on this fixture's RAM (VMAs and mm_structs are slab objects).
		active_slab::reset_for_test();
		mmap_reset_for_test();
		kmem_cache_init();
		REQUIRE(!mmap_init().is_error());
		zero_page_reset_for_test();
		REQUIRE(!zero_page_init().is_error());
		kmem_cache_shrink_all();
		free_before = nr_free_pages();
		auto r = mm_alloc();
		REQUIRE(!r.is_error());
		mm = r.value();
	}
	void finish()
	{
		mmput(mm);
		mm = nullptr;
		// Freed pages may wait in empty slabs and on the per-CPU lists.
		kmem_cache_shrink_all();
		CHECK(nr_free_pages() == free_before);
	}
	~MmFixture()
	{
		if (mm)
			mmput(mm);
		zero_page_reset_for_test();
	}
	u64 pte(unsigned long a) const
	{
		u64 *p = mm_pte_lookup(mm, a);
		return p ? *p : 0;
	}
	u8 *kaddr(unsigned long a) const
	{
		u64 p = pte(a);
		REQUIRE(pte_present(p));
		return static_cast<u8 *>(page_address(pfn_to_page(pte_pfn(p)))) + (a & ~PAGE_MASK);
	}
	// What a user access would do: fault when the entry does not allow it.
	vm_fault_t touch(unsigned long a, bool write)
	{
		u64 p = pte(a);
		if (pte_valid(p) && (!write || pte_write(p)))
			return 0;
		vm_area_struct *v = find_extend_vma(mm, a);
		if (!v)
			return VM_FAULT_SIGSEGV;
		unsigned fl = FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);
		if (!access_permitted(v, fl))
			return VM_FAULT_SIGSEGV;
		return handle_mm_fault(v, a, fl);
	}
	long mmap_anon(unsigned long addr, unsigned long len, int prot, int flags = 0)
	{
		return ksys_mmap(mm, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, ~0ul, 0);
	}
};

constexpr long E(Errno e) { return -static_cast<long>(e); }

// The top-down search done the obvious way: every gap, highest first.
long reference_unmapped_area(const mm_struct *mm, unsigned long len)
{
	std::vector<std::pair<unsigned long, unsigned long>> gaps; // [start, end)
	unsigned long prev_end = 0;
	for (vm_area_struct *v = vma_first(mm); v; v = vma_next(v)) {
		unsigned long sg = v->vm_start;
		if (v->vm_flags & VM_GROWSDOWN)
			sg = sg > stack_guard_gap ? sg - stack_guard_gap : 0;
		gaps.push_back({prev_end, sg});
		prev_end = v->vm_end;
	}
	gaps.push_back({prev_end, TASK_SIZE});
	for (auto it = gaps.rbegin(); it != gaps.rend(); ++it) {
		unsigned long s = std::max(it->first, mmap_min_addr), e = std::min(it->second, mm->mmap_base);
		if (e > s && e - s >= len)
			return long(e - len);
	}
	return E(Errno::ENOMEM);
}

} // namespace

TEST_CASE("rbtree: random insert/erase against std::set keeps red-black invariants")
{
	std::mt19937_64 rng(7);
	std::vector<Node> nodes(4000);
	std::set<unsigned long> model;
	std::vector<bool> in(nodes.size());
	rb_root root;
	for (usize i = 0; i < nodes.size(); i++)
		nodes[i].key = i * 3;
	for (int step = 0; step < 100000; step++) {
		usize i = rng() % nodes.size();
		if (in[i]) {
			rb_erase(&nodes[i].rb, &root);
			model.erase(nodes[i].key);
		} else {
			rb_insert_key(&root, &nodes[i]);
			model.insert(nodes[i].key);
		}
		in[i] = !in[i];
		if (step % 97 == 0) {
			REQUIRE(rb_check(&root) >= 0);
			auto it = model.begin();
			for (rb_node *n = rb_first(&root); n; n = rb_next(n), ++it)
				REQUIRE(rb_entry(n, Node, rb)->key == *it);
			REQUIRE(it == model.end());
			it = model.end();
			for (rb_node *n = rb_last(&root); n; n = rb_prev(n))
				REQUIRE(rb_entry(n, Node, rb)->key == *--it);
		}
	}
	int bh = rb_check(&root);
	REQUIRE(bh >= 0);
	// Height bound: black height >= log2(n+1)/2.
	CHECK((1ul << (2 * bh)) >= model.size() + 1);
}

TEST_CASE("mmap: 10^5 random mmap/munmap/mprotect/fault ops match a per-page model")
{
	MmFixture f;
	constexpr unsigned long BASE = 0x10000000, NPAGES = 256;
	// Per page: -1 unmapped, else the prot bits; stamp: 0 not touched, else the value the
	// page holds at offset 0.
	std::vector<int> prot(NPAGES, -1);
	std::vector<u64> stamp(NPAGES, 0);
	std::mt19937_64 rng(12345);
	u64 next_stamp = 1;
	for (int step = 0; step < 100000; step++) {
		unsigned long first = rng() % NPAGES;
		unsigned long n = 1 + rng() % std::min<unsigned long>(16, NPAGES - first);
		unsigned long a = BASE + first * PAGE_SIZE, len = n * PAGE_SIZE;
		int p = int(rng() % 4); // NONE, R, RW, RX
		static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC};
		switch (rng() % 6) {
		case 0: { // mmap MAP_FIXED
			REQUIRE(f.mmap_anon(a, len, prots[p], MAP_FIXED) == long(a));
			for (unsigned long i = first; i < first + n; i++)
				prot[i] = prots[p], stamp[i] = 0;
			break;
		}
		case 1: { // MAP_FIXED_NOREPLACE
			bool busy = false;
			for (unsigned long i = first; i < first + n; i++)
				busy |= prot[i] != -1;
			long r = f.mmap_anon(a, len, prots[p], MAP_FIXED_NOREPLACE);
			REQUIRE(r == (busy ? E(Errno::EEXIST) : long(a)));
			if (!busy)
				for (unsigned long i = first; i < first + n; i++)
					prot[i] = prots[p], stamp[i] = 0;
			break;
		}
		case 2: // munmap
			REQUIRE(ksys_munmap(f.mm, a, len) == 0);
			for (unsigned long i = first; i < first + n; i++)
				prot[i] = -1, stamp[i] = 0;
			break;
		case 3: { // mprotect: ENOMEM and no change when any page is unmapped
			bool hole = false;
			for (unsigned long i = first; i < first + n; i++)
				hole |= prot[i] == -1;
			long r = ksys_mprotect(f.mm, a, len, prots[p]);
			REQUIRE(r == (hole ? E(Errno::ENOMEM) : 0));
			if (!hole)
				for (unsigned long i = first; i < first + n; i++)
					prot[i] = prots[p];
			break;
		}
		default: { // touch one page: write a new stamp, or read the old one
			unsigned long i = first;
			bool write = rng() & 1;
			vm_fault_t r = f.touch(BASE + i * PAGE_SIZE, write);
			bool may = prot[i] != -1 && prot[i] != PROT_NONE && (!write || (prot[i] & PROT_WRITE));
			REQUIRE((r == 0) == may);
			if (!may)
				break;
			u64 *w = reinterpret_cast<u64 *>(f.kaddr(BASE + i * PAGE_SIZE));
			REQUIRE(*w == stamp[i]);
			if (write)
				*w = stamp[i] = next_stamp++;
			break;
		}
		}
		if (step % 16 == 0 || step > 99900) {
			REQUIRE(validate_mm(f.mm) == 0);
			// The augmented search against the reference, with mmap_base inside the window
			// (clipping) and at its default.
			unsigned long saved_base = f.mm->mmap_base;
			for (unsigned long base : {BASE + (1 + rng() % NPAGES) * PAGE_SIZE, saved_base}) {
				f.mm->mmap_base = base;
				unsigned long len = (1 + rng() % 24) * PAGE_SIZE;
				auto got = get_unmapped_area(f.mm, 0, len);
				REQUIRE((got.is_error() ? E(got.error().code()) : long(got.value())) ==
					reference_unmapped_area(f.mm, len));
			}
			f.mm->mmap_base = saved_base;
			for (unsigned long i = 0; i < NPAGES; i++) {
				vm_area_struct *v = find_vma(f.mm, BASE + i * PAGE_SIZE);
				bool mapped = v && v->vm_start <= BASE + i * PAGE_SIZE;
				REQUIRE(mapped == (prot[i] != -1));
				if (mapped)
					REQUIRE((v->vm_flags & VM_ACCESS_FLAGS) == unsigned(prot[i]));
				u64 e = f.pte(BASE + i * PAGE_SIZE);
				if (!mapped)
					REQUIRE(e == 0);
				if (stamp[i]) {
					REQUIRE(pte_present(e));
					REQUIRE(*reinterpret_cast<u64 *>(page_address(pfn_to_page(pte_pfn(e)))) == stamp[i]);
				}
			}
		}
	}
	REQUIRE(ksys_munmap(f.mm, BASE, NPAGES * PAGE_SIZE) == 0);
	CHECK(f.mm->map_count == 0);
	CHECK(f.mm->pgtables == 0);
	CHECK(get_mm_rss(f.mm) == 0);
	f.finish();
}

TEST_CASE("mmap: argument checks and errno values")
{
	MmFixture f;
	CHECK(f.mmap_anon(0, 0, PROT_READ) == E(Errno::EINVAL));
	CHECK(ksys_mmap(f.mm, 0, 4096, PROT_READ, MAP_PRIVATE, 3, 0) == E(Errno::EBADF));
	CHECK(ksys_mmap(f.mm, 0, 4096, PROT_READ, MAP_ANONYMOUS, ~0ul, 0) == E(Errno::EINVAL));
	CHECK(f.mmap_anon(0x10001, 4096, PROT_READ, MAP_FIXED) == E(Errno::EINVAL));
	CHECK(f.mmap_anon(0, 4096, 0x80, 0) == E(Errno::EINVAL));
	CHECK(ksys_mmap(f.mm, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 123) == E(Errno::EINVAL));
	CHECK(f.mmap_anon(0, 4096, PROT_READ, MAP_FIXED) == E(Errno::EPERM));
	CHECK(f.mmap_anon(TASK_SIZE - 4096, 8192, PROT_READ, MAP_FIXED) == E(Errno::ENOMEM));
	// Larger than RAM, accounted: refused; with MAP_NORESERVE: allowed (pages come on touch).
	CHECK(f.mmap_anon(0, 1ul << 40, PROT_READ | PROT_WRITE) == E(Errno::ENOMEM));
	long big = f.mmap_anon(0, 1ul << 40, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	CHECK(big > 0);
	CHECK(ksys_munmap(f.mm, big, 1ul << 40) == 0);
	CHECK(ksys_munmap(f.mm, 0x10001, 4096) == E(Errno::EINVAL));
	CHECK(ksys_munmap(f.mm, 0x10000, 0) == E(Errno::EINVAL));
	CHECK(ksys_mprotect(f.mm, 0x10001, 4096, PROT_READ) == E(Errno::EINVAL));
	CHECK(ksys_mprotect(f.mm, 0x10000, 4096, 0x100) == E(Errno::EINVAL));
	CHECK(ksys_mprotect(f.mm, 0x10000, 4096, PROT_READ) == E(Errno::ENOMEM));
	CHECK(ksys_madvise(f.mm, 0x10000, 4096, 99) == E(Errno::EINVAL));
	CHECK(ksys_madvise(f.mm, 0x10000, 4096, MADV_DONTNEED) == E(Errno::ENOMEM));
	// Hints: used when free, else the top-down search picks something below mmap_base.
	long a = f.mmap_anon(0x40000000, 8192, PROT_READ);
	CHECK(a == 0x40000000);
	long b = f.mmap_anon(0x40000000, 8192, PROT_READ);
	CHECK(b > 0);
	CHECK(b != a);
	CHECK((unsigned long)b + 8192 <= f.mm->mmap_base);
	long c = f.mmap_anon(0, 8192, PROT_READ);
	CHECK((unsigned long)c + 8192 <= f.mm->mmap_base);
	CHECK(validate_mm(f.mm) == 0);
	f.finish();
}

TEST_CASE("fault: anonymous write, zero page on read, CoW from the zero page, RSS and ledger")
{
	MmFixture f;
	constexpr unsigned long N = 64;
	long a = f.mmap_anon(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(a > 0);
	drain_all_pages(nullptr);
	unsigned long before = nr_free_pages();
	for (unsigned long i = 0; i < N; i++)
		REQUIRE(f.touch(a + i * PAGE_SIZE, true) == 0);
	drain_all_pages(nullptr);
	CHECK(get_mm_rss(f.mm) == N);
	CHECK(f.mm->rss_stat[MM_ANONPAGES] == long(N));
	// N pages plus the page tables (one per level below pgd here).
	CHECK(before - nr_free_pages() == N + f.mm->pgtables);
	CHECK(f.mm->pgtables == 3);

	long z = f.mmap_anon(0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(f.touch(z, false) == 0);
	u64 e = f.pte(z);
	CHECK(pte_pfn(e) == page_to_pfn(zero_page()));
	CHECK(!pte_write(e));
	CHECK(pte_special(e));
	CHECK(get_mm_rss(f.mm) == N); // the zero page is not counted
	REQUIRE(f.touch(z, true) == 0);
	e = f.pte(z);
	CHECK(pte_pfn(e) != page_to_pfn(zero_page()));
	CHECK(pte_write(e));
	CHECK(*f.kaddr(z) == 0);
	CHECK(get_mm_rss(f.mm) == N + 1);
	CHECK(page_count(zero_page()) == 1);
	// Entries: user, PXN always, UXN without PROT_EXEC, nG.
	CHECK((e & PTE_PXN));
	CHECK((e & PTE_UXN));
	CHECK((e & PTE_NG));
	CHECK((e & PTE_USER));
	CHECK(f.mm->hiwater_rss == N + 1);
	f.finish();
}

TEST_CASE("fault: CoW reuses a page with one user and copies a shared one")
{
	MmFixture f;
	long a = f.mmap_anon(0, PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(f.touch(a, true) == 0);
	*f.kaddr(a) = 0x5a;
	// mprotect read-only then read-write: the entry stays read-only until the next write,
	// which finds a single user and makes it writable in place.
	REQUIRE(ksys_mprotect(f.mm, a, PAGE_SIZE, PROT_READ) == 0);
	CHECK(!pte_write(f.pte(a)));
	CHECK(f.touch(a, true) == VM_FAULT_SIGSEGV); // write to a read-only VMA
	REQUIRE(ksys_mprotect(f.mm, a, PAGE_SIZE, PROT_READ | PROT_WRITE) == 0);
	unsigned long pfn = pte_pfn(f.pte(a));
	unsigned long flushes = host_tlb.pages + host_tlb.ranges;
	REQUIRE(f.touch(a, true) == 0);
	CHECK(pte_pfn(f.pte(a)) == pfn);
	CHECK(pte_write(f.pte(a)));
	CHECK(host_tlb.pages + host_tlb.ranges > flushes);
	// Another reference (what fork will add): the write copies.
	page *old = pfn_to_page(pfn);
	get_page(old);
	REQUIRE(ksys_mprotect(f.mm, a, PAGE_SIZE, PROT_READ) == 0);
	REQUIRE(ksys_mprotect(f.mm, a, PAGE_SIZE, PROT_READ | PROT_WRITE) == 0);
	REQUIRE(f.touch(a, true) == 0);
	CHECK(pte_pfn(f.pte(a)) != pfn);
	CHECK(*f.kaddr(a) == 0x5a);
	CHECK(page_count(old) == 1);
	CHECK(get_mm_rss(f.mm) == 1);
	put_page(old);
	f.finish();
}

TEST_CASE("fault: private file pages come from the page cache, are copied on write, split keeps pgoff")
{
	MmFixture f;
	{
		HostFile hf(PAGE_SIZE + 100, FMODE_READ);
		page *c0 = host_cache_page(hf.mapping(), 0, 0x11);
		page *c1 = host_cache_page(hf.mapping(), 1, 0x22);
		REQUIRE(c0);
		REQUIRE(c1);
		unsigned long a = 0x400000;
		REQUIRE(!mmap_region(f.mm, a, 3 * PAGE_SIZE, VM_READ | VM_WRITE, &hf.f, 0).is_error());
		CHECK(hf.f.f_count == 2);
		REQUIRE(f.touch(a, false) == 0);
		// The cache's own page, read-only; fault-around mapped page 1 too (cached, below EOF).
		CHECK(pte_pfn(f.pte(a)) == page_to_pfn(c0));
		CHECK(!pte_write(f.pte(a)));
		CHECK(pte_pfn(f.pte(a + PAGE_SIZE)) == page_to_pfn(c1));
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 2);
		CHECK(page_mapcount_raw(c0) == 0);
		REQUIRE(f.touch(a, true) == 0);
		// A private write copies; the cache page keeps its contents.
		CHECK(pte_pfn(f.pte(a)) != page_to_pfn(c0));
		CHECK(f.kaddr(a)[5] == 0x11);
		f.kaddr(a)[5] = 0x99;
		CHECK(static_cast<u8 *>(page_address(c0))[5] == 0x11);
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 1);
		CHECK(f.mm->rss_stat[MM_ANONPAGES] == 1);
		CHECK(page_mapcount_raw(c0) == -1);
		// Page 2 is beyond EOF (i_size PAGE_SIZE + 100): SIGBUS.
		CHECK(f.touch(a + 2 * PAGE_SIZE, false) == VM_FAULT_SIGBUS);
		// Splitting a file VMA keeps each part's file offset and takes a file reference.
		REQUIRE(ksys_munmap(f.mm, a + PAGE_SIZE, PAGE_SIZE) == 0);
		vm_area_struct *hi = find_vma(f.mm, a + 2 * PAGE_SIZE);
		REQUIRE(hi);
		CHECK(hi->vm_pgoff == 2);
		CHECK(hf.f.f_count == 3);
		// Executable mappings get their icache synced, once per cache page.
		unsigned long syncs = host_tlb.icache_syncs;
		REQUIRE(!mmap_region(f.mm, 0x800000, PAGE_SIZE, VM_READ | VM_EXEC, &hf.f, 1).is_error());
		REQUIRE(f.touch(0x800000, false) == 0);
		CHECK(host_tlb.icache_syncs == syncs + 1);
		CHECK(pte_user_exec(f.pte(0x800000)));
		REQUIRE(ksys_munmap(f.mm, 0x800000, PAGE_SIZE) == 0);
		REQUIRE(!mmap_region(f.mm, 0x800000, PAGE_SIZE, VM_READ | VM_EXEC, &hf.f, 1).is_error());
		REQUIRE(f.touch(0x800000, false) == 0);
		CHECK(host_tlb.icache_syncs == syncs + 1);
		mmput(f.mm);
		f.mm = nullptr;
		CHECK(hf.f.f_count == 1);
		CHECK(page_mapcount_raw(c0) == -1);
		CHECK(page_mapcount_raw(c1) == -1);
	}
	f.mm = mm_alloc().value();
	f.finish();
}

TEST_CASE("munmap in the middle splits a VMA; page tables are freed when empty")
{
	MmFixture f;
	long a = f.mmap_anon(0, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 16; i++)
		REQUIRE(f.touch(a + i * PAGE_SIZE, true) == 0);
	REQUIRE(ksys_munmap(f.mm, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE) == 0);
	CHECK(f.mm->map_count == 2);
	CHECK(get_mm_rss(f.mm) == 12);
	CHECK(f.pte(a + 5 * PAGE_SIZE) == 0);
	vm_area_struct *lo = find_vma(f.mm, a);
	REQUIRE(lo);
	CHECK(lo->vm_end == (unsigned long)a + 4 * PAGE_SIZE);
	// Re-mapping the hole with the same protection merges back into one VMA.
	REQUIRE(f.mmap_anon(a + 4 * PAGE_SIZE, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_FIXED) == a + 4 * long(PAGE_SIZE));
	CHECK(f.mm->map_count == 1);
	REQUIRE(ksys_munmap(f.mm, a, 16 * PAGE_SIZE) == 0);
	CHECK(f.mm->pgtables == 0);
	// madvise(DONTNEED): the next touch reads zeroes.
	long d = f.mmap_anon(0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(f.touch(d, true) == 0);
	*f.kaddr(d) = 9;
	CHECK(ksys_madvise(f.mm, d, 2 * PAGE_SIZE, MADV_DONTNEED) == 0);
	CHECK(get_mm_rss(f.mm) == 0);
	REQUIRE(f.touch(d, true) == 0);
	CHECK(*f.kaddr(d) == 0);
	CHECK(ksys_madvise(f.mm, d, 2 * PAGE_SIZE, MADV_WILLNEED) == 0);
	f.finish();
}

TEST_CASE("brk: grow, shrink, refusal below start and into the next mapping")
{
	MmFixture f;
	f.mm->start_brk = f.mm->brk = 0x500000;
	CHECK(ksys_brk(f.mm, 0) == 0x500000);
	CHECK(ksys_brk(f.mm, 0x400000) == 0x500000);
	CHECK(ksys_brk(f.mm, 0x500100) == 0x500100);
	REQUIRE(f.touch(0x500000, true) == 0);
	CHECK(f.touch(0x501000, true) == VM_FAULT_SIGSEGV);
	CHECK(ksys_brk(f.mm, 0x520000) == 0x520000);
	for (unsigned long x = 0x500000; x < 0x520000; x += PAGE_SIZE)
		REQUIRE(f.touch(x, true) == 0);
	CHECK(f.mm->map_count == 1);
	CHECK(ksys_brk(f.mm, 0x508000) == 0x508000);
	CHECK(get_mm_rss(f.mm) == 8);
	CHECK(f.touch(0x509000, false) == VM_FAULT_SIGSEGV);
	// A mapping above: brk may come up to one page below it, not into it.
	REQUIRE(f.mmap_anon(0x600000, PAGE_SIZE, PROT_READ, MAP_FIXED) == 0x600000);
	CHECK(ksys_brk(f.mm, 0x5ff000) == 0x5ff000);
	CHECK(ksys_brk(f.mm, 0x600000) == 0x5ff000);
	// Larger than RAM: refused, old break kept.
	CHECK(ksys_brk(f.mm, 0x100000000000ul) == 0x5ff000);
	CHECK(validate_mm(f.mm) == 0);
	f.finish();
}

TEST_CASE("stack: growth below the stack VMA, RLIMIT_STACK, the guard gap")
{
	MmFixture f;
	unsigned long top = 0x7ffff0000000ul;
	REQUIRE(!mmap_region(f.mm, top - 4 * PAGE_SIZE, 4 * PAGE_SIZE, VM_READ | VM_WRITE | VM_GROWSDOWN, nullptr, 0)
			 .is_error());
	f.mm->rlimit_stack = 64 * PAGE_SIZE;
	// A fault 10 pages below grows the VMA down to that page.
	REQUIRE(f.touch(top - 14 * PAGE_SIZE, true) == 0);
	vm_area_struct *s = find_vma(f.mm, top - PAGE_SIZE);
	CHECK(s->vm_start == top - 14 * PAGE_SIZE);
	CHECK(f.mm->total_vm == 14);
	// Beyond RLIMIT_STACK: no growth.
	CHECK(f.touch(top - 65 * PAGE_SIZE, true) == VM_FAULT_SIGSEGV);
	CHECK(f.touch(top - 64 * PAGE_SIZE, true) == 0);
	// The free-area search keeps stack_guard_gap below the stack.
	f.mm->mmap_base = top;
	long m = f.mmap_anon(0, PAGE_SIZE, PROT_READ);
	CHECK((unsigned long)m + PAGE_SIZE <= top - 64 * PAGE_SIZE - stack_guard_gap);
	REQUIRE(ksys_munmap(f.mm, m, PAGE_SIZE) == 0);
	// A mapping inside the gap stops growth towards it.
	unsigned long lo = top - 64 * PAGE_SIZE - 300 * PAGE_SIZE;
	REQUIRE(f.mmap_anon(lo, PAGE_SIZE, PROT_READ, MAP_FIXED) == long(lo));
	f.mm->rlimit_stack = 1ul << 30;
	CHECK(f.touch(lo + 200 * PAGE_SIZE, true) == VM_FAULT_SIGSEGV); // 199 pages above lo: in the gap
	CHECK(f.touch(lo + 257 * PAGE_SIZE, true) == 0);                // 256 pages clear
	CHECK(validate_mm(f.mm) == 0);
	f.finish();
}

TEST_CASE("mremap: shrink, grow in place, move with contents, fixed, errors")
{
	MmFixture f;
	long a = f.mmap_anon(0x20000000, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_FIXED);
	for (int i = 0; i < 4; i++) {
		REQUIRE(f.touch(a + i * PAGE_SIZE, true) == 0);
		*f.kaddr(a + i * PAGE_SIZE) = u8(0x10 + i);
	}
	CHECK(ksys_mremap(f.mm, a, 4 * PAGE_SIZE, 3 * PAGE_SIZE, 0, 0) == a);
	CHECK(get_mm_rss(f.mm) == 3);
	CHECK(ksys_mremap(f.mm, a, 3 * PAGE_SIZE, 8 * PAGE_SIZE, 0, 0) == a); // grows in place
	CHECK(find_vma(f.mm, a)->vm_end == (unsigned long)a + 8 * PAGE_SIZE);
	// Block in-place growth, then it must move.
	REQUIRE(f.mmap_anon(a + 8 * PAGE_SIZE, PAGE_SIZE, PROT_READ, MAP_FIXED) > 0);
	CHECK(ksys_mremap(f.mm, a, 8 * PAGE_SIZE, 16 * PAGE_SIZE, 0, 0) == E(Errno::ENOMEM));
	long b = ksys_mremap(f.mm, a, 8 * PAGE_SIZE, 16 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	REQUIRE(b > 0);
	CHECK(b != a);
	for (int i = 0; i < 3; i++)
		CHECK(*f.kaddr(b + i * PAGE_SIZE) == 0x10 + i);
	CHECK(find_vma_intersection(f.mm, a, a + 8 * PAGE_SIZE) == nullptr);
	CHECK(get_mm_rss(f.mm) == 3);
	long c = ksys_mremap(f.mm, b, 16 * PAGE_SIZE, 16 * PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, 0x30000000);
	CHECK(c == 0x30000000);
	CHECK(*f.kaddr(c + PAGE_SIZE) == 0x11);
	CHECK(ksys_mremap(f.mm, c, PAGE_SIZE, PAGE_SIZE, MREMAP_FIXED, 0x40000000) == E(Errno::EINVAL));
	CHECK(ksys_mremap(f.mm, c + 1, PAGE_SIZE, PAGE_SIZE, 0, 0) == E(Errno::EINVAL));
	CHECK(ksys_mremap(f.mm, 0x50000000, PAGE_SIZE, PAGE_SIZE, 0, 0) == E(Errno::EFAULT));
	CHECK(ksys_mremap(f.mm, c, PAGE_SIZE, 0, 0, 0) == E(Errno::EINVAL));
	CHECK(ksys_mremap(f.mm, c, 2 * PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, c + PAGE_SIZE) ==
	      E(Errno::EINVAL));
	CHECK(ksys_mremap(f.mm, c, 64 * PAGE_SIZE, 64 * PAGE_SIZE, MREMAP_MAYMOVE, 0) == E(Errno::EFAULT));
	CHECK(validate_mm(f.mm) == 0);
	f.finish();
}

TEST_CASE("mmap: MAP_POPULATE faults everything in; mmput frees it all")
{
	MmFixture f;
	long a = f.mmap_anon(0, 32 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_POPULATE);
	REQUIRE(a > 0);
	CHECK(get_mm_rss(f.mm) == 32);
	long r = f.mmap_anon(0, 8 * PAGE_SIZE, PROT_READ, MAP_POPULATE);
	REQUIRE(r > 0);
	CHECK(get_mm_rss(f.mm) == 32); // read-only: the zero page
	CHECK(pte_pfn(f.pte(r)) == page_to_pfn(zero_page()));
	f.finish();
}

TEST_CASE("fork: dup_mm shares pages copy-on-write; each written page is copied once, the last writer reuses")
{
	MmFixture f;
	constexpr unsigned long N = 32;
	long a = f.mmap_anon(0, N * PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(a > 0);
	for (unsigned long i = 0; i < N; i++) {
		REQUIRE(f.touch(a + i * PAGE_SIZE, true) == 0);
		*f.kaddr(a + i * PAGE_SIZE) = u8(i);
	}
	// A read-only zero-page mapping and a read-only region stay shared as they are.
	long z = f.mmap_anon(0, PAGE_SIZE, PROT_READ | PROT_WRITE);
	REQUIRE(f.touch(z, false) == 0);
	long anon_mapped = global_node_page_state_snapshot(NR_ANON_MAPPED);
	auto r = dup_mm(f.mm);
	REQUIRE(!r.is_error());
	mm_struct *child = r.value();
	CHECK(validate_mm(child) == 0);
	CHECK(child->map_count == f.mm->map_count);
	CHECK(child->total_vm == f.mm->total_vm);
	CHECK(get_mm_rss(child) == N);
	// Both sides read-only, the page shared: refcount 2, two mappings, counted once.
	for (unsigned long i = 0; i < N; i++) {
		u64 pp = f.pte(a + i * PAGE_SIZE);
		u64 *cp = mm_pte_lookup(child, a + i * PAGE_SIZE);
		REQUIRE(cp);
		CHECK(!pte_write(pp));
		CHECK(!pte_write(*cp));
		CHECK(pte_pfn(pp) == pte_pfn(*cp));
		page *p = pfn_to_page(pte_pfn(pp));
		CHECK(page_count(p) == 2);
		CHECK(page_mapcount(p) == 2);
	}
	CHECK(global_node_page_state_snapshot(NR_ANON_MAPPED) == anon_mapped);
	u64 *cz = mm_pte_lookup(child, z);
	REQUIRE(cz);
	CHECK(pte_pfn(*cz) == page_to_pfn(zero_page()));
	CHECK(page_count(zero_page()) == 1);
	// The child writes every page: N copies, the parent's pages keep their contents.
	for (unsigned long i = 0; i < N; i++) {
		unsigned long va = a + i * PAGE_SIZE;
		vm_area_struct *v = find_vma(child, va);
		REQUIRE(handle_mm_fault(v, va, FAULT_FLAG_USER | FAULT_FLAG_WRITE) == 0);
		u64 *cp = mm_pte_lookup(child, va);
		CHECK(pte_write(*cp));
		CHECK(pte_pfn(*cp) != pte_pfn(f.pte(va)));
		page *pp = pfn_to_page(pte_pfn(f.pte(va)));
		CHECK(page_count(pp) == 1);
		CHECK(page_mapcount(pp) == 1);
		page *np = pfn_to_page(pte_pfn(*cp));
		CHECK(*static_cast<u8 *>(page_address(np)) == u8(i));
	}
	CHECK(global_node_page_state_snapshot(NR_ANON_MAPPED) == anon_mapped + long(N));
	CHECK(get_mm_rss(child) == N);
	CHECK(get_mm_rss(f.mm) == N);
	// The parent is now the only holder: its writes reuse in place (PGREUSE), no copies.
	unsigned long reuse = global_vm_event(PGREUSE);
	for (unsigned long i = 0; i < N; i++) {
		unsigned long va = a + i * PAGE_SIZE;
		unsigned long pfn = pte_pfn(f.pte(va));
		REQUIRE(f.touch(va, true) == 0);
		CHECK(pte_pfn(f.pte(va)) == pfn);
		CHECK(*f.kaddr(va) == u8(i));
	}
	CHECK(global_vm_event(PGREUSE) - reuse == N);
	mmput(child);
	CHECK(global_node_page_state_snapshot(NR_ANON_MAPPED) == anon_mapped);
	f.finish();
}

TEST_CASE("fork: the child's exit leaves the parent's pages for in-place reuse; ENOMEM in dup_mm loses nothing")
{
	MmFixture f;
	long a = f.mmap_anon(0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	for (unsigned long i = 0; i < 8; i++)
		REQUIRE(f.touch(a + i * PAGE_SIZE, true) == 0);
	auto r = dup_mm(f.mm);
	REQUIRE(!r.is_error());
	mmput(r.value());
	for (unsigned long i = 0; i < 8; i++) {
		page *p = pfn_to_page(pte_pfn(f.pte(a + i * PAGE_SIZE)));
		CHECK(page_count(p) == 1);
		CHECK(page_mapcount(p) == 1);
	}
	kmem_cache_shrink_all();
	drain_all_pages(nullptr);
	// dup_mm with memory running out at every point it allocates: take every free page,
	// give back one more each round. Each failure frees what was copied.
	unsigned long free_now = nr_free_pages();
	int failed = 0, succeeded = 0;
	for (int room = 0; room < 24; room++) {
		std::vector<page *> hog;
		while (page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN))
			hog.push_back(p);
		for (int i = 0; i < room && !hog.empty(); i++) {
			__free_page(hog.back());
			hog.pop_back();
		}
		auto d = dup_mm(f.mm);
		if (d.is_error()) {
			CHECK(d.error() == Error(Errno::ENOMEM));
			failed++;
		} else {
			CHECK(validate_mm(d.value()) == 0);
			CHECK(get_mm_rss(d.value()) == 8);
			mmput(d.value());
			succeeded++;
		}
		for (page *p : hog)
			__free_page(p);
		kmem_cache_shrink_all();
		drain_all_pages(nullptr);
		CHECK(nr_free_pages() == free_now);
		CHECK(validate_mm(f.mm) == 0);
		for (unsigned long i = 0; i < 8; i++) {
			page *p = pfn_to_page(pte_pfn(f.pte(a + i * PAGE_SIZE)));
			CHECK(page_count(p) == 1);
			CHECK(page_mapcount(p) == 1);
		}
	}
	CHECK(failed > 0);
	CHECK(succeeded > 0);
	f.finish();
}
