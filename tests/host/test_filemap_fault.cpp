// File faults on the host: the real mm/memory.cpp, mm/mmap.cpp and mm/filemap_fault.cpp over
// the fake page cache of tests/host/support/host_file.cpp. Read faults with fault-around (the
// window, VMA and EOF limits), private copy-on-write, shared writes landing in the cache page
// and seen by every mapping, SIGBUS beyond EOF, mapcount and NR_FILE_MAPPED exact, RSS split,
// fork of file VMAs, shared anonymous memory as a shmem file, mmap(fd)/msync errno,
// unmap_mapping_range, and the free-page ledger after all of it.
#include <doctest/doctest.h>

#include <asm/pgtable.h>

#include "mm/mm_struct.h"
#include "mm/mmzone.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "mm/vmstat.h"
#include "tests/host/support/host_file.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/support/host_pgtable.h"
#include "tests/host/test_page_alloc.h"

void zero_page_reset_for_test();

namespace {

constexpr long E(Errno e) { return -static_cast<long>(e); }

struct FaultFixture {
	HostMm host{patest::small_config(64 * SZ_1M)};
	unsigned long free_before = 0;
	long mapped_before = 0, anon_before = 0;
	mm_struct *mm = nullptr;
	FaultFixture()
	{
		active_slab::reset_for_test();
		mmap_reset_for_test();
		kmem_cache_init();
		REQUIRE(!mmap_init().is_error());
		zero_page_reset_for_test();
		REQUIRE(!zero_page_init().is_error());
		kmem_cache_shrink_all();
		free_before = nr_free_pages();
		mapped_before = global_node_page_state_snapshot(NR_FILE_MAPPED);
		anon_before = global_node_page_state_snapshot(NR_ANON_MAPPED);
		mm = mm_alloc().value();
	}
	~FaultFixture()
	{
		if (mm)
			mmput(mm);
		zero_page_reset_for_test();
	}
	// After every file is gone: pages, counters and the shmem files all back.
	void finish()
	{
		mmput(mm);
		mm = nullptr;
		kmem_cache_shrink_all();
		CHECK(nr_free_pages() == free_before);
		CHECK(global_node_page_state_snapshot(NR_FILE_MAPPED) == mapped_before);
		CHECK(global_node_page_state_snapshot(NR_ANON_MAPPED) == anon_before);
		CHECK(host_shmem_files_live() == 0);
	}
	static u64 pte_of(mm_struct *m, unsigned long a)
	{
		u64 *p = mm_pte_lookup(m, a);
		return p ? *p : 0;
	}
	u64 pte(unsigned long a) const { return pte_of(mm, a); }
	static vm_fault_t touch_in(mm_struct *m, unsigned long a, bool write)
	{
		u64 p = pte_of(m, a);
		if (pte_valid(p) && (!write || pte_write(p)))
			return 0;
		return do_user_addr_fault(m, a, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
	}
	vm_fault_t touch(unsigned long a, bool write) { return touch_in(mm, a, write); }
	static u8 *kaddr_in(mm_struct *m, unsigned long a)
	{
		u64 p = pte_of(m, a);
		REQUIRE(pte_present(p));
		return static_cast<u8 *>(page_address(pfn_to_page(pte_pfn(p)))) + (a & ~PAGE_MASK);
	}
	u8 *kaddr(unsigned long a) const { return kaddr_in(mm, a); }
	long file_mapped() const { return global_node_page_state_snapshot(NR_FILE_MAPPED) - mapped_before; }
};

page *pte_page(u64 pte) { return pfn_to_page(pte_pfn(pte)); }

} // namespace

TEST_CASE("filemap fault: fault-around maps the cached pages of the aligned 64 KiB window, within VMA and EOF")
{
	FaultFixture f;
	{
		// 40 pages of file, cached: 0..39 except 5 (a hole); i_size ends inside page 37.
		HostFile hf(37 * PAGE_SIZE + 1, FMODE_READ);
		for (unsigned long i = 0; i < 40; i++)
			if (i != 5)
				REQUIRE(host_cache_page(hf.mapping(), i, u8(i)));
		// The VMA starts at file page 2 at an address 8 pages into a 64 KiB window.
		const unsigned long base = 0x10000000 + 8 * PAGE_SIZE;
		REQUIRE(!mmap_region(f.mm, base, 40 * PAGE_SIZE, VM_READ, &hf.f, 2).is_error());
		// Fault at vma page 3 (file page 5, the hole: ->fault creates it). The window is
		// [0x10000000, +16 pages): clipped to the VMA start, that is VMA pages 0..7.
		REQUIRE(f.touch(base + 3 * PAGE_SIZE, false) == 0);
		for (unsigned long i = 0; i < 8; i++) {
			u64 p = f.pte(base + i * PAGE_SIZE);
			REQUIRE(pte_valid(p));
			CHECK(!pte_write(p));
			CHECK(pte_page(p)->index == i + 2);
		}
		CHECK(pte_none(f.pte(base + 8 * PAGE_SIZE)));
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 8);
		CHECK(f.file_mapped() == 8);
		CHECK(host_cache_pages(hf.mapping()) == 40);
		// Next window: VMA pages 8..23 (file 10..25), all cached: one fault maps 16.
		REQUIRE(f.touch(base + 20 * PAGE_SIZE, false) == 0);
		for (unsigned long i = 8; i < 24; i++)
			CHECK(pte_valid(f.pte(base + i * PAGE_SIZE)));
		CHECK(pte_none(f.pte(base + 24 * PAGE_SIZE)));
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 24);
		// Last window: VMA pages 24..39 = file 26..41; EOF is inside file page 37, so file
		// pages 26..37 map (cached 38, 39 are beyond EOF and stay unmapped).
		REQUIRE(f.touch(base + 24 * PAGE_SIZE, false) == 0);
		for (unsigned long i = 24; i <= 35; i++)
			CHECK(pte_valid(f.pte(base + i * PAGE_SIZE)));
		CHECK(pte_none(f.pte(base + 36 * PAGE_SIZE)));
		CHECK(f.touch(base + 36 * PAGE_SIZE, false) == VM_FAULT_SIGBUS);
		CHECK(f.touch(base + 39 * PAGE_SIZE, false) == VM_FAULT_SIGBUS);
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 36);
		CHECK(f.file_mapped() == 36);
		// Each cached page is mapped once and referenced by the cache and the mapping.
		page *p10 = pte_page(f.pte(base + 8 * PAGE_SIZE));
		CHECK(page_mapcount(p10) == 1);
		CHECK(page_count(p10) == 2);
		REQUIRE(ksys_munmap(f.mm, base, 40 * PAGE_SIZE) == 0);
		CHECK(f.file_mapped() == 0);
		CHECK(page_count(p10) == 1);
		CHECK(hf.f.f_count == 1);
	}
	f.finish();
}

TEST_CASE("filemap fault: MAP_SHARED writes land in the cache page, seen by every mapping; MAP_PRIVATE copies")
{
	FaultFixture f;
	{
		HostFile hf(4 * PAGE_SIZE, FMODE_READ | FMODE_WRITE);
		host_install_fd(7, &hf.f);
		long s1 = ksys_mmap(f.mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 7, 0);
		long s2 = ksys_mmap(f.mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 7, 0);
		long pv = ksys_mmap(f.mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 7, 0);
		REQUIRE(s1 > 0);
		REQUIRE(s2 > 0);
		REQUIRE(pv > 0);
		CHECK(hf.f.f_count == 4);
		// A write fault in a hole creates the page in the cache, writable and dirty.
		REQUIRE(f.touch(s1, true) == 0);
		CHECK(host_cache_pages(hf.mapping()) == 1);
		page *c = find_get_page(hf.mapping(), 0);
		REQUIRE(c);
		put_page(c);
		CHECK(pte_page(f.pte(s1)) == c);
		CHECK(pte_write(f.pte(s1)));
		CHECK(PageDirty(c));
		*f.kaddr(s1) = 0x5a;
		// The other shared mapping and the private one read the same cache page.
		REQUIRE(f.touch(s2, false) == 0);
		REQUIRE(f.touch(pv, false) == 0);
		CHECK(pte_page(f.pte(s2)) == c);
		CHECK(pte_page(f.pte(pv)) == c);
		CHECK(*f.kaddr(pv) == 0x5a);
		CHECK(page_mapcount(c) == 3);
		CHECK(f.file_mapped() == 1);
		CHECK(!pte_write(f.pte(s2)));
		// Writing through the second shared mapping: the same page becomes writable there.
		REQUIRE(f.touch(s2, true) == 0);
		CHECK(pte_page(f.pte(s2)) == c);
		*f.kaddr(s2 + 1) = 0x6b;
		CHECK(*f.kaddr(s1 + 1) == 0x6b);
		// The private mapping's write copies: the cache page and the shared views keep theirs.
		REQUIRE(f.touch(pv, true) == 0);
		CHECK(pte_page(f.pte(pv)) != c);
		*f.kaddr(pv) = 0x01;
		CHECK(*f.kaddr(s1) == 0x5a);
		CHECK(*static_cast<u8 *>(page_address(c)) == 0x5a);
		CHECK(page_mapcount(c) == 2);
		CHECK(PageAnon(pte_page(f.pte(pv))));
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 2);
		CHECK(f.mm->rss_stat[MM_ANONPAGES] == 1);
		// A write after the page left the cache through the shared mapping: SIGBUS as the
		// cache no longer holds it (the page lives on, detached, while mapped).
		long before = f.file_mapped();
		unmap_mapping_range(hf.mapping(), 0, 0, false);
		CHECK(pte_none(f.pte(s1)));
		CHECK(pte_none(f.pte(s2)));
		CHECK(pte_valid(f.pte(pv))); // the private copy stays without even_cows
		CHECK(f.file_mapped() == before - 1);
		unmap_mapping_range(hf.mapping(), 0, 0, true);
		CHECK(pte_none(f.pte(pv)));
		CHECK(get_mm_rss(f.mm) == 0);
		// Truncate to one page (as ftruncate: i_size, cache, then the mappings).
		REQUIRE(f.touch(s1 + PAGE_SIZE, true) == 0);
		hf.ino.i_size = PAGE_SIZE;
		truncate_inode_pages(hf.mapping(), PAGE_SIZE);
		unmap_mapping_range(hf.mapping(), PAGE_SIZE, 0, true);
		CHECK(pte_none(f.pte(s1 + PAGE_SIZE)));
		CHECK(f.touch(s1 + PAGE_SIZE, false) == VM_FAULT_SIGBUS);
		CHECK(f.touch(s1, false) == 0);
		CHECK(*f.kaddr(s1) == 0x5a);
		host_install_fd(7, nullptr);
		mmput(f.mm);
		f.mm = mm_alloc().value();
		CHECK(hf.f.f_count == 1);
		CHECK(f.file_mapped() == 0);
	}
	f.finish();
}

TEST_CASE("filemap fault: a page truncated while mapped stays a file page until unmapped")
{
	FaultFixture f;
	{
		HostFile hf(2 * PAGE_SIZE, FMODE_READ | FMODE_WRITE);
		REQUIRE(!mmap_region(f.mm, 0x400000, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, &hf.f, 0).is_error());
		REQUIRE(f.touch(0x400000, true) == 0);
		REQUIRE(f.touch(0x401000, false) == 0);
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 2);
		// The cache lets go of both (no unmap_mapping_range): counters must still balance.
		truncate_inode_pages(hf.mapping(), 0);
		CHECK(host_cache_pages(hf.mapping()) == 0);
		CHECK(!PageAnon(pte_page(f.pte(0x400000))));
		REQUIRE(ksys_munmap(f.mm, 0x400000, 2 * PAGE_SIZE) == 0);
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 0);
		CHECK(f.mm->rss_stat[MM_ANONPAGES] == 0);
		CHECK(f.file_mapped() == 0);
	}
	f.finish();
}

TEST_CASE("filemap fault: fork shares file pages; shared file VMAs are not copied, private ones are")
{
	FaultFixture f;
	{
		HostFile hf(8 * PAGE_SIZE, FMODE_READ | FMODE_WRITE);
		for (unsigned long i = 0; i < 8; i++)
			REQUIRE(host_cache_page(hf.mapping(), i, u8(0x40 + i)));
		const unsigned long sh = 0x400000, pv = 0x800000;
		REQUIRE(!mmap_region(f.mm, sh, 8 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, &hf.f, 0).is_error());
		REQUIRE(!mmap_region(f.mm, pv, 8 * PAGE_SIZE, VM_READ | VM_WRITE, &hf.f, 0).is_error());
		REQUIRE(f.touch(sh, true) == 0);
		REQUIRE(f.touch(pv, false) == 0);      // fault-around: all 8 cached pages
		REQUIRE(f.touch(pv + PAGE_SIZE, true) == 0); // one private copy
		page *c0 = find_get_page(hf.mapping(), 0);
		put_page(c0);
		CHECK(page_mapcount(c0) == 2);
		long mapped = f.file_mapped();
		auto r = dup_mm(f.mm);
		REQUIRE(!r.is_error());
		mm_struct *child = r.value();
		CHECK(validate_mm(child) == 0);
		CHECK(hf.f.f_count == 5);
		// Shared: not copied, refaulted on demand. Private: copied (file page and anon copy).
		CHECK(pte_none(FaultFixture::pte_of(child, sh)));
		CHECK(pte_page(FaultFixture::pte_of(child, pv)) == c0);
		CHECK(page_mapcount(c0) == 3);
		CHECK(child->rss_stat[MM_SHMEMPAGES] == 7);
		CHECK(child->rss_stat[MM_ANONPAGES] == 1);
		CHECK(f.file_mapped() == mapped);
		// The child writes through the shared mapping; the parent sees it.
		REQUIRE(FaultFixture::touch_in(child, sh + 3 * PAGE_SIZE, true) == 0);
		*FaultFixture::kaddr_in(child, sh + 3 * PAGE_SIZE) = 0x77;
		REQUIRE(f.touch(sh + 3 * PAGE_SIZE, false) == 0);
		CHECK(*f.kaddr(sh + 3 * PAGE_SIZE) == 0x77);
		// The child's private copy is CoW-shared with the parent's; a write copies again.
		u8 *before = FaultFixture::kaddr_in(child, pv + PAGE_SIZE);
		REQUIRE(FaultFixture::touch_in(child, pv + PAGE_SIZE, true) == 0);
		CHECK(FaultFixture::kaddr_in(child, pv + PAGE_SIZE) != before);
		mmput(child);
		CHECK(hf.f.f_count == 3);
		CHECK(page_mapcount(c0) == 2);
		mmput(f.mm);
		f.mm = mm_alloc().value();
		CHECK(hf.f.f_count == 1);
	}
	f.finish();
}

TEST_CASE("filemap fault: MAP_SHARED anonymous memory is a shmem file shared across fork")
{
	FaultFixture f;
	long a = ksys_mmap(f.mm, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, ~0ul, 0);
	REQUIRE(a > 0);
	CHECK(host_shmem_files_live() == 1);
	CHECK(get_mm_rss(f.mm) == 0); // lazily, as Linux
	vm_area_struct *v = find_vma(f.mm, a);
	REQUIRE(v);
	REQUIRE(v->vm_file);
	CHECK(v->vm_pgoff == 0);
	auto r = dup_mm(f.mm);
	REQUIRE(!r.is_error());
	mm_struct *child = r.value();
	REQUIRE(FaultFixture::touch_in(child, a + PAGE_SIZE, true) == 0);
	*FaultFixture::kaddr_in(child, a + PAGE_SIZE) = 0x33;
	REQUIRE(f.touch(a + PAGE_SIZE, false) == 0);
	CHECK(*f.kaddr(a + PAGE_SIZE) == 0x33);
	REQUIRE(f.touch(a + 2 * PAGE_SIZE, true) == 0);
	*f.kaddr(a + 2 * PAGE_SIZE) = 0x44;
	REQUIRE(FaultFixture::touch_in(child, a + 2 * PAGE_SIZE, false) == 0);
	CHECK(*FaultFixture::kaddr_in(child, a + 2 * PAGE_SIZE) == 0x44);
	CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 2);
	CHECK(child->rss_stat[MM_SHMEMPAGES] == 2);
	CHECK(f.mm->rss_stat[MM_ANONPAGES] == 0);
	mmput(child);
	CHECK(host_shmem_files_live() == 1);
	// A partial munmap splits the VMA: both halves hold the file; the last one frees it.
	REQUIRE(ksys_munmap(f.mm, a + PAGE_SIZE, PAGE_SIZE) == 0);
	CHECK(f.mm->map_count == 2);
	REQUIRE(ksys_munmap(f.mm, a, PAGE_SIZE) == 0);
	CHECK(host_shmem_files_live() == 1);
	REQUIRE(ksys_munmap(f.mm, a + 2 * PAGE_SIZE, PAGE_SIZE) == 0);
	CHECK(host_shmem_files_live() == 0);
	f.finish();
}

TEST_CASE("filemap fault: mmap(fd) and msync errno as Linux")
{
	FaultFixture f;
	{
		HostFile ro(PAGE_SIZE, FMODE_READ), wo(PAGE_SIZE, FMODE_WRITE), rw(PAGE_SIZE, FMODE_READ | FMODE_WRITE);
		HostFile nomap(PAGE_SIZE, FMODE_READ, true, true);
		host_install_fd(3, &ro.f);
		host_install_fd(4, &wo.f);
		host_install_fd(5, &rw.f);
		host_install_fd(6, &nomap.f);
		auto mm = f.mm;
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 9, 0) == E(Errno::EBADF));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 3, 100) == E(Errno::EINVAL));
		CHECK(ksys_mmap(mm, 0, 0, PROT_READ, MAP_SHARED, 3, 0) == E(Errno::EINVAL));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0) == E(Errno::EACCES));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 4, 0) == E(Errno::EACCES));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 6, 0) == E(Errno::ENODEV));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, 3, 0) == E(Errno::EINVAL));
		CHECK(ksys_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, 3, 0x7ffffffffffff000ul) ==
		      E(Errno::EOVERFLOW));
		CHECK(ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, 0, 3, 0) == E(Errno::EINVAL));
		// Private writable mappings of a read-only file are fine; so is a read-only shared one,
		// which can never be made writable (no VM_MAYWRITE).
		long p = ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 3, 0);
		CHECK(p > 0);
		long s = ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 3, 0);
		REQUIRE(s > 0);
		CHECK(ksys_mprotect(mm, s, PAGE_SIZE, PROT_READ | PROT_WRITE) == E(Errno::EACCES));
		CHECK(ksys_mprotect(mm, p, PAGE_SIZE, PROT_READ) == 0);
		long w = ksys_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 5, 0);
		REQUIRE(w > 0);
		// msync.
		CHECK(ksys_msync(mm, w + 1, PAGE_SIZE, MS_SYNC) == E(Errno::EINVAL));
		CHECK(ksys_msync(mm, w, PAGE_SIZE, MS_SYNC | MS_ASYNC) == E(Errno::EINVAL));
		CHECK(ksys_msync(mm, w, PAGE_SIZE, 8) == E(Errno::EINVAL));
		CHECK(ksys_msync(mm, w, 0, MS_SYNC) == 0);
		CHECK(ksys_msync(mm, w, 2 * PAGE_SIZE, MS_ASYNC) == 0);
		CHECK(ksys_msync(mm, w, 2 * PAGE_SIZE, MS_INVALIDATE) == 0);
		// The file has no fsync: vfs_fsync_range's EINVAL for MS_SYNC of a shared mapping.
		CHECK(ksys_msync(mm, w, 2 * PAGE_SIZE, MS_SYNC) == E(Errno::EINVAL));
		rw.fops.fsync = [](file *, loff_t, loff_t, int) { return 0; };
		CHECK(ksys_msync(mm, w, 2 * PAGE_SIZE, MS_SYNC) == 0);
		CHECK(ksys_msync(mm, 0x1000, PAGE_SIZE, MS_SYNC) == E(Errno::ENOMEM));
		// A range running past its VMA into unmapped space: ENOMEM after doing the rest.
		CHECK(ksys_msync(mm, w, 64 * PAGE_SIZE, MS_SYNC) == E(Errno::ENOMEM));
		CHECK(ksys_msync(mm, w, 64 * PAGE_SIZE, MS_ASYNC) == E(Errno::ENOMEM));
		for (unsigned fd = 3; fd <= 6; fd++)
			host_install_fd(fd, nullptr);
		mmput(f.mm);
		f.mm = mm_alloc().value();
		CHECK(ro.f.f_count == 1);
		CHECK(rw.f.f_count == 1);
	}
	f.finish();
}

TEST_CASE("filemap fault: a device's mmap may leave the VMA anonymous or make it shmem (/dev/zero)")
{
	FaultFixture f;
	{
		HostFile zero(0, FMODE_READ | FMODE_WRITE, false);
		zero.fops.mmap = [](file *, vm_area_struct *v) { return (v->vm_flags & VM_SHARED) ? shmem_zero_setup(v) : 0; };
		host_install_fd(8, &zero.f);
		long p = ksys_mmap(f.mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 8, 0);
		REQUIRE(p > 0);
		vm_area_struct *v = find_vma(f.mm, p);
		REQUIRE(v);
		CHECK(v->vm_file == &zero.f);
		CHECK(v->vm_ops == nullptr);
		REQUIRE(f.touch(p, false) == 0);
		CHECK(pte_page(f.pte(p)) == zero_page());
		REQUIRE(f.touch(p, true) == 0);
		CHECK(PageAnon(pte_page(f.pte(p))));
		CHECK(f.mm->rss_stat[MM_ANONPAGES] == 1);
		long s = ksys_mmap(f.mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 8, 0);
		REQUIRE(s > 0);
		vm_area_struct *w = find_vma(f.mm, s);
		REQUIRE(w);
		CHECK(w->vm_file != &zero.f);
		CHECK(host_shmem_files_live() == 1);
		CHECK(zero.f.f_count == 2); // the private VMA's and the fd's; the shared VMA moved to shmem
		REQUIRE(f.touch(s + PAGE_SIZE, true) == 0);
		CHECK(f.mm->rss_stat[MM_SHMEMPAGES] == 1);
		host_install_fd(8, nullptr);
		mmput(f.mm);
		f.mm = mm_alloc().value();
		CHECK(zero.f.f_count == 1);
	}
	f.finish();
}
