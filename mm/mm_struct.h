// User address spaces: mm_struct, VMAs and the fault path (Linux's struct_page.h, mm/mmap.c,
// mm/memory.c, reduced): anonymous memory and private or shared mappings of files through
// their page cache (vm_file, vm_ops).
//
// Contract:
// - An mm_struct owns its VMAs (an rb-tree ordered by address: find_vma is O(log n)), its
//   TTBR0 page tables (allocated on demand, freed when their last entry goes) and every
//   anonymous page mapped in them. mmput() frees all of it; afterwards the free-page count
//   is back where it was before mm_alloc().
// - The ksys_* functions implement the syscalls with Linux's argument checks and errno values
//   and return the result or -errno as the syscall would. Each validates all of its arguments
//   before changing anything; on ENOMEM midway the address space is left consistent (VMAs
//   and page tables agree) although a partially applied munmap/mprotect may remain, as Linux.
// - handle_mm_fault() resolves one fault in a VMA: zero-filled anonymous pages, the shared
//   zero page for reads of anonymous private memory, page-cache pages of a file VMA (mapped
//   read-only on a read fault with fault-around, copied to an anonymous page on a private
//   write, made writable and dirty on a shared write), copy-on-write with reuse when an
//   anonymous page has a single user. It never kills: the caller turns VM_FAULT_SIGSEGV,
//   VM_FAULT_SIGBUS (a file page beyond EOF) and VM_FAULT_OOM into a signal.
// - A file VMA holds a reference on its file (get_file at mmap, split and fork, fput when the
//   VMA goes) and is on the file's address_space::i_mmap list (under i_mmap_rwsem), which is
//   how unmap_mapping_range finds every mapping of a truncated range.
// - Pages: an anonymous page has PAGE_MAPPING_ANON in page->mapping while it is mapped
//   (Linux's PageAnon; cleared when its last mapping goes, so the allocator sees a clean
//   page); any other mapped page is a file page, counted in MM_SHMEMPAGES when the VMA's
//   file is swap-backed (AS_SHMEM: tmpfs, shared anonymous memory) and MM_FILEPAGES
//   otherwise, as Linux's mm_counter_file (decided by the VMA, so that a page the cache let
//   go of while mapped is still counted where it was). _mapcount counts page-table mappings exactly; NR_ANON_MAPPED and
//   NR_FILE_MAPPED count pages mapped at least once (page_add_*_rmap).
// - Nothing here assumes a single address space; the hardware side (ASID, TTBR0, TLB
//   maintenance) is the arch seam in asm/pgtable.h.
//
// Locking: mm->mmap_lock (a sleeping rw_semaphore). Every function here needs the caller to
// hold it; the syscalls and fork take it for writing, and so do faults for now (the page
// tables have no lock of their own yet: faults of one mm are serialized until SMP brings
// Linux's read-locked faults with page-table spinlocks).
#pragma once

#include "core/rwsem.h"
#include "kstd/list.h"
#include "kstd/rbtree.h"
#include "kstd/result.h"
#include "kstd/types.h"

struct page;
struct file;
struct address_space;

// vm_flags (Linux values).
inline constexpr unsigned long VM_NONE = 0;
inline constexpr unsigned long VM_READ = 0x1;
inline constexpr unsigned long VM_WRITE = 0x2;
inline constexpr unsigned long VM_EXEC = 0x4;
inline constexpr unsigned long VM_SHARED = 0x8;
inline constexpr unsigned long VM_MAYREAD = 0x10;
inline constexpr unsigned long VM_MAYWRITE = 0x20;
inline constexpr unsigned long VM_MAYEXEC = 0x40;
inline constexpr unsigned long VM_MAYSHARE = 0x80;
inline constexpr unsigned long VM_GROWSDOWN = 0x100;
inline constexpr unsigned long VM_ACCOUNT = 0x100000;
inline constexpr unsigned long VM_NORESERVE = 0x200000;
inline constexpr unsigned long VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

// mmap ABI (Linux asm-generic/mman-common.h values).
inline constexpr int PROT_NONE = 0x0;
inline constexpr int PROT_READ = 0x1;
inline constexpr int PROT_WRITE = 0x2;
inline constexpr int PROT_EXEC = 0x4;
inline constexpr int PROT_SEM = 0x8;
inline constexpr int PROT_BTI = 0x10;
inline constexpr int PROT_GROWSDOWN = 0x01000000;
inline constexpr int PROT_GROWSUP = 0x02000000;
inline constexpr int MAP_SHARED = 0x01;
inline constexpr int MAP_PRIVATE = 0x02;
inline constexpr int MAP_SHARED_VALIDATE = 0x03;
inline constexpr int MAP_TYPE = 0x0f;
inline constexpr int MAP_FIXED = 0x10;
inline constexpr int MAP_ANONYMOUS = 0x20;
inline constexpr int MAP_GROWSDOWN = 0x0100;
inline constexpr int MAP_DENYWRITE = 0x0800;
inline constexpr int MAP_EXECUTABLE = 0x1000;
inline constexpr int MAP_LOCKED = 0x2000;
inline constexpr int MAP_NORESERVE = 0x4000;
inline constexpr int MAP_POPULATE = 0x8000;
inline constexpr int MAP_NONBLOCK = 0x10000;
inline constexpr int MAP_STACK = 0x20000;
inline constexpr int MAP_HUGETLB = 0x40000;
inline constexpr int MAP_FIXED_NOREPLACE = 0x100000;
inline constexpr int MREMAP_MAYMOVE = 1;
inline constexpr int MREMAP_FIXED = 2;
inline constexpr int MREMAP_DONTUNMAP = 4;
inline constexpr int MADV_NORMAL = 0;
inline constexpr int MADV_RANDOM = 1;
inline constexpr int MADV_SEQUENTIAL = 2;
inline constexpr int MADV_WILLNEED = 3;
inline constexpr int MADV_DONTNEED = 4;
inline constexpr int MADV_FREE = 8;
inline constexpr int MS_ASYNC = 1;
inline constexpr int MS_INVALIDATE = 2;
inline constexpr int MS_SYNC = 4;
// Linux's fault_around_bytes default: read faults of a file mapping map the cached pages of
// the surrounding 64 KiB window (aligned to it) in one go.
inline constexpr unsigned long fault_around_bytes = 64ul << 10;
// page->mapping of an anonymous page (Linux's PAGE_MAPPING_ANON; no anon_vma here).
inline constexpr unsigned long PAGE_MAPPING_ANON = 0x1;

// The user half (48-bit VAs, TTBR0) and the lowest mappable address (Linux's mmap_min_addr
// default on arm64 is 32 KiB; one page is what NULL dereference detection needs).
inline constexpr unsigned long TASK_SIZE = 1ul << 48;
inline constexpr unsigned long mmap_min_addr = 4096;
inline constexpr unsigned long STACK_TOP = TASK_SIZE;
// Linux's stack_guard_gap: 256 pages kept free below a VM_GROWSDOWN VMA.
inline constexpr unsigned long stack_guard_gap = 256ul << 12;
inline constexpr unsigned long DEFAULT_RLIMIT_STACK = 8ul << 20; // _STK_LIM
inline constexpr int DEFAULT_MAX_MAP_COUNT = 65530;

struct mm_struct;
struct vm_area_struct;

using vm_fault_t = unsigned;

// One fault being resolved in a file VMA (Linux's struct vm_fault, reduced).
struct vm_fault {
	vm_area_struct *vma;
	unsigned long address; // page aligned
	unsigned flags;        // FAULT_FLAG_*
	unsigned long pgoff;   // file page of address
	page *page;            // ->fault's result, with a reference
};

// A file VMA's page source (Linux's vm_operations_struct, reduced to what the fault path
// calls). Set by the file's f_op->mmap (generic_file_vm_ops when it sets none).
struct vm_operations_struct {
	// The up-to-date page for vmf->pgoff with a reference in vmf->page: 0; VM_FAULT_SIGBUS
	// when pgoff is at or beyond EOF; VM_FAULT_OOM (or VM_FAULT_SIGBUS for ENOSPC, as
	// Linux's shmem_fault) when it cannot be created. May sleep.
	vm_fault_t (*fault)(vm_fault *vmf);
	// For fault-around: the page at pgoff only if it is already in the cache, up to date and
	// below EOF, with a reference; nullptr otherwise. Never allocates.
	page *(*map_page)(vm_area_struct *vma, unsigned long pgoff);
	// A page of a shared mapping is about to become writable: mark it dirty (Linux's
	// page_mkwrite + fault_dirty_shared_page). 0 or VM_FAULT_SIGBUS (truncated meanwhile).
	vm_fault_t (*page_mkwrite)(vm_fault *vmf);
};

struct vm_area_struct {
	unsigned long vm_start; // first byte
	unsigned long vm_end;   // first byte after
	mm_struct *vm_mm;
	unsigned long vm_flags;
	file *vm_file;          // nullptr: anonymous (one reference held by the VMA)
	unsigned long vm_pgoff; // page offset of vm_start within vm_file (vm_start >> 12 for anon)
	const vm_operations_struct *vm_ops; // file VMAs
	list_head shared;       // in vm_file->f_mapping->i_mmap (Linux's shared.rb)
	rb_node vm_rb;
	// Address order, as the tree (O(1) neighbours for merging and gap sizes).
	vm_area_struct *vm_prev, *vm_next;
	// Largest free gap below a VMA in this subtree: vm_start_gap(v) - vm_prev->vm_end (0 for
	// the first). Lets get_unmapped_area skip subtrees without a large enough hole.
	unsigned long rb_subtree_gap;
};

enum mm_counter { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };

// The arm64 context: ASID in bits [15:0], allocator generation above (Linux's context.id).
struct mm_context_t {
	u64 id;
};

struct mm_struct {
	// Users of the address space: tasks sharing it (CLONE_VM threads, a vfork parent's) and
	// temporary holders (mmget); the last mmput tears it down (Linux's mm_users).
	int mm_users;
	rw_semaphore mmap_lock;
	rb_root mm_rb;
	int map_count;
	u64 *pgd;      // level-0 table (linear-map address), never shared
	mm_context_t context;
	unsigned long mmap_base;   // top of the top-down mmap search
	unsigned long start_code, end_code, start_data, end_data;
	unsigned long start_brk, brk, start_stack;
	unsigned long arg_start, arg_end, env_start, env_end;
	unsigned long total_vm;    // pages in VMAs
	long rss_stat[NR_MM_COUNTERS];
	unsigned long hiwater_rss; // peak of get_mm_rss (ru_maxrss)
	unsigned long pgtables;    // page-table pages below pgd
	unsigned long rlimit_stack;
	int max_map_count;

	mm_struct() = default;
	mm_struct(const mm_struct &) = delete;
	mm_struct &operator=(const mm_struct &) = delete;
};

inline unsigned long get_mm_rss(const mm_struct *mm)
{
	return static_cast<unsigned long>(mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
					  mm->rss_stat[MM_SHMEMPAGES]);
}
inline unsigned long vma_pages(const vm_area_struct *v) { return (v->vm_end - v->vm_start) >> 12; }

// --- address spaces --------------------------------------------------------------------------
// A new empty address space with its own level-0 table; ENOMEM.
ErrorOr<mm_struct *> mm_alloc();
// Creates the vm_area_struct and mm_struct slab caches (mm_alloc does it on first use).
[[nodiscard]] Result mmap_init();
// Host tests: forget the caches (after the slab allocator itself was reset).
void mmap_reset_for_test();
// Drops a user; the last one tears down every VMA, page and page table and frees the mm
// (Linux's mmput + exit_mmap).
void mmput(mm_struct *mm);
inline void mmget(mm_struct *mm) { __atomic_fetch_add(&mm->mm_users, 1, __ATOMIC_RELAXED); }
// fork without CLONE_VM (Linux's dup_mm + dup_mmap): a new address space with a copy of every
// VMA; private pages are shared copy-on-write (write-protected in both, refcount and mapcount
// raised), the zero page stays shared, page tables are the child's own. ENOMEM leaves oldmm
// as it was (apart from entries already write-protected, which a later write fault resolves)
// and frees everything copied.
ErrorOr<mm_struct *> dup_mm(mm_struct *oldmm);

// --- VMAs -------------------------------------------------------------------------------------
// The first VMA with vm_end > addr (it may start above addr), or nullptr.
vm_area_struct *find_vma(const mm_struct *mm, unsigned long addr);
vm_area_struct *find_vma_intersection(const mm_struct *mm, unsigned long start, unsigned long end);
vm_area_struct *vma_prev(const vm_area_struct *v);
vm_area_struct *vma_next(const vm_area_struct *v);
vm_area_struct *vma_first(const mm_struct *mm);
// Maps [addr, addr+len) (page aligned, already validated, free of VMAs) with flags; a file
// mapping (file != nullptr) starts at file page pgoff, takes its own reference on the file and
// calls f_op->mmap (ENODEV without one, or its error), which sets vm_ops (generic_file_mmap),
// leaves them null (anonymous memory, as Linux's vma_set_anonymous: /dev/zero private) or
// calls shmem_zero_setup. Merges with compatible neighbours. ENOMEM.
ErrorOr<unsigned long> mmap_region(mm_struct *mm, unsigned long addr, unsigned long len, unsigned long vm_flags,
				   file *file, unsigned long pgoff);
// Unmaps [start, start+len): splits VMAs at the edges, frees pages and empty page tables.
[[nodiscard]] Result do_munmap(mm_struct *mm, unsigned long start, unsigned long len);
// A free range of len bytes: addr itself when it fits (hint), else top-down below mmap_base,
// keeping stack_guard_gap below VM_GROWSDOWN VMAs. ENOMEM.
ErrorOr<unsigned long> get_unmapped_area(mm_struct *mm, unsigned long addr, unsigned long len);
// Grows a VM_GROWSDOWN vma down to cover addr (RLIMIT_STACK, stack_guard_gap). ENOMEM.
[[nodiscard]] Result expand_stack(vm_area_struct *vma, unsigned long addr);
// Faults in every page of [start, start+len) as MAP_POPULATE does (write faults for writable
// VMAs). ENOMEM when a page cannot be allocated.
[[nodiscard]] Result mm_populate(mm_struct *mm, unsigned long start, unsigned long len);
// Checks ordering, non-overlap, merging, map_count and total_vm; prints what is wrong and
// returns the number of problems.
int validate_mm(const mm_struct *mm);

// --- syscalls (result or -errno, as the syscall returns) ------------------------------------
long ksys_mmap(mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,
	       unsigned long fd, unsigned long off);
// ksys_mmap after the descriptor lookup (f: nullptr for MAP_ANONYMOUS; the caller keeps its
// reference), with the offset in pages: exec and the kernel's own mappings.
long do_mmap(mm_struct *mm, file *f, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long pgoff);
long ksys_munmap(mm_struct *mm, unsigned long addr, unsigned long len);
long ksys_mprotect(mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot);
// brk returns the new break, or the old one when the request is refused (Linux's ABI).
unsigned long ksys_brk(mm_struct *mm, unsigned long brk);
long ksys_mremap(mm_struct *mm, unsigned long addr, unsigned long old_len, unsigned long new_len,
		 unsigned long flags, unsigned long new_addr);
long ksys_madvise(mm_struct *mm, unsigned long start, unsigned long len, int behavior);
long ksys_msync(mm_struct *mm, unsigned long start, unsigned long len, int flags);

// --- fault path (mm/memory.cpp) ----------------------------------------------------------------
inline constexpr vm_fault_t VM_FAULT_OOM = 0x1;
inline constexpr vm_fault_t VM_FAULT_SIGBUS = 0x2;
inline constexpr vm_fault_t VM_FAULT_SIGSEGV = 0x40;
// What a fault that handle_mm_fault never saw ran into (arm64's VM_FAULT_BADMAP and
// VM_FAULT_BADACCESS, arch-private there): no VMA (SEGV_MAPERR), or a VMA that forbids the
// access (SEGV_ACCERR).
inline constexpr vm_fault_t VM_FAULT_BADMAP = 0x010000;
inline constexpr vm_fault_t VM_FAULT_BADACCESS = 0x020000;
// The entry already allowed the access: nothing was changed and the access is retried (a race
// or a stale TLB entry). The arch handler watches for one that keeps coming back.
inline constexpr vm_fault_t VM_FAULT_SPURIOUS = 0x040000;
inline constexpr unsigned FAULT_FLAG_WRITE = 0x1;
inline constexpr unsigned FAULT_FLAG_USER = 0x40;
inline constexpr unsigned FAULT_FLAG_INSTRUCTION = 0x100;

// Resolves a fault at addr inside vma (the caller found it and checked the access against
// vm_flags). 0 when the access can be retried.
vm_fault_t handle_mm_fault(vm_area_struct *vma, unsigned long addr, unsigned flags);
// The access check of arm64's __do_page_fault: may this access happen in vma at all?
bool access_permitted(const vm_area_struct *vma, unsigned flags);
// Finds the VMA for a fault (growing the stack when addr is just below it); nullptr: no VMA
// (SEGV_MAPERR).
vm_area_struct *find_extend_vma(mm_struct *mm, unsigned long addr);
// The generic half of a user fault (arm64's __do_page_fault): find the VMA, check the access,
// handle it. 0 when the access can be retried (VM_FAULT_SPURIOUS when nothing had to change);
// VM_FAULT_BADMAP when there is no VMA; VM_FAULT_SIGSEGV when the VMA forbids the access;
// VM_FAULT_OOM. The arch fault handler
// (arch/arm64/mm/fault.cpp) decodes the exception and turns the result into a signal.
vm_fault_t do_user_addr_fault(mm_struct *mm, unsigned long addr, unsigned flags);

// Page tables.
// The level-3 entry for addr, or nullptr when an upper level is missing.
u64 *mm_pte_lookup(const mm_struct *mm, unsigned long addr);
// Unmaps the pages of [start, end) (they may be anywhere within VMAs) and frees page-table
// pages that became empty.
void zap_page_range(mm_struct *mm, unsigned long start, unsigned long end);
// Rewrites the protection of present entries in [start, end) for new vm_flags (writes stay
// off: a later write fault makes a page writable through do_wp_page).
void change_protection(mm_struct *mm, unsigned long start, unsigned long end, unsigned long vm_flags);
// Moves the entries of [old, old+len) to [new_addr, ...). ENOMEM leaves the moved part in
// place at the destination and the rest at the source (the caller unwinds).
[[nodiscard]] Result move_page_tables(mm_struct *mm, unsigned long old_addr, unsigned long new_addr,
				      unsigned long len);
// Copies the entries of src_vma (in src) into dst (same range) for fork:
// write-protects private writable pages in both and raises their refcount and mapcount.
// ENOMEM when a page-table page cannot be allocated (what was copied stays, counted).
[[nodiscard]] Result copy_page_range(mm_struct *dst, mm_struct *src, vm_area_struct *src_vma);
// Frees all page-table pages and the pgd (exit, after every range was zapped).
void free_pgtables(mm_struct *mm);
// A zeroed page-table page for a user address space and its release; both keep NR_PAGETABLE.
page *alloc_user_pgtable_page();
void free_user_pgtable_page(page *p);
// Zaps the pages of the file range [start, start+len) bytes (len 0: to the end) from every
// mapping of the address_space (Linux's unmap_mapping_range: truncate calls it so that a
// later access beyond the new EOF raises SIGBUS); even_cows also drops private copies made
// from those pages. Takes i_mmap_rwsem and each mapping mm's mmap_lock: the caller holds
// neither (it may hold the inode's i_rwsem).
void unmap_mapping_range(address_space *mapping, i64 start, i64 len, bool even_cows);
// The file page source used when a file's f_op->mmap sets no vm_ops (mm/filemap_fault.cpp:
// find_get_page / shmem_get_page, EOF from i_size).
extern const vm_operations_struct generic_file_vm_ops;
// A file system's f_op->mmap for page-cache files (Linux's generic_file_mmap): sets
// generic_file_vm_ops. Always 0.
int generic_file_mmap(file *f, vm_area_struct *vma);
// For a device's f_op->mmap (Linux's shmem_zero_setup, /dev/zero MAP_SHARED): the VMA maps a
// new unlinked shmem file of its size instead of the device. 0 or -ENOMEM.
int shmem_zero_setup(vm_area_struct *vma);
// PageAnon: an anonymous page (page->mapping carries PAGE_MAPPING_ANON).
bool PageAnon(const page *p);

// The shared zero page (allocated once, never freed).
page *zero_page();
[[nodiscard]] Result zero_page_init();
