// The page cache (mm/filemap.h): pages of files in each inode's address_space, and the
// read(2)/write(2) paths over them (Linux's mm/filemap.c filemap_read and
// generic_perform_write, with shmem_get_folio's allocation for tmpfs in mm/shmem.cpp).
#include "mm/filemap.h"

#include <asm/page.h>

#include "core/panic.h"
#include "fs/fs.h"
#include "mm/page_alloc.h"
#include "mm/page-flags.h"
#include "mm/vmstat.h"
#include "kstd/string.h"

void address_space_init(address_space *m, inode *host)
{
	m->host = host;
	m->i_pages = {};
	m->nrpages = 0;
	m->a_ops = nullptr;
	m->flags = 0;
	INIT_LIST_HEAD(&m->i_mmap);
}

page *find_get_page(address_space *m, unsigned long index)
{
	SpinLockGuard g(m->i_pages_lock);
	auto *p = static_cast<page *>(xa_load(&m->i_pages, index));
	if (p)
		get_page(p);
	return p;
}

static void account_cache(page *p, const address_space *m, long delta)
{
	mod_node_page_state(page_pgdat(p), NR_FILE_PAGES, delta);
	if (m->flags & AS_SHMEM)
		mod_node_page_state(page_pgdat(p), NR_SHMEM, delta);
}

Result add_to_page_cache(page *p, address_space *m, unsigned long index, gfp_t gfp)
{
	BUG_ON(p->mapping);
	// Tree nodes are allocated under the spinlock, so without sleeping (Linux allocates them
	// outside it with gfp and retries, xas_nomem); a failure is ENOMEM for the caller.
	(void)gfp;
	{
		SpinLockGuard g(m->i_pages_lock);
		if (xa_load(&m->i_pages, index))
			return Errno::EEXIST;
		TRY(xa_store(&m->i_pages, index, p, GFP_NOWAIT | __GFP_NOWARN));
		get_page(p); // the cache's reference
		p->mapping = m;
		p->index = index;
		m->nrpages++;
		if (m->flags & AS_SHMEM)
			SetPageSwapBacked(p);
	}
	account_cache(p, m, 1);
	return Result{};
}

void delete_from_page_cache(page *p)
{
	address_space *m = p->mapping;
	BUG_ON(!m);
	{
		SpinLockGuard g(m->i_pages_lock);
		void *old = xa_erase(&m->i_pages, p->index);
		BUG_ON(old != p);
		p->mapping = nullptr;
		m->nrpages--;
	}
	account_cache(p, m, -1);
	ClearPageDirty(p);
	ClearPageUptodate(p);
	ClearPageSwapBacked(p);
	put_page(p);
}

void truncate_inode_pages(address_space *m, loff_t lstart)
{
	unsigned long first = static_cast<unsigned long>((lstart + PAGE_SIZE - 1) >> PAGE_SHIFT);
	if (lstart & (PAGE_SIZE - 1)) {
		// The page holding the new end keeps its head; what lies past the end reads as zero if
		// the file grows again.
		if (page *p = find_get_page(m, static_cast<unsigned long>(lstart >> PAGE_SHIFT))) {
			usize off = static_cast<usize>(lstart & (PAGE_SIZE - 1));
			memset(static_cast<u8 *>(page_address(p)) + off, 0, PAGE_SIZE - off);
			put_page(p);
		}
	}
	for (;;) {
		page *p;
		{
			SpinLockGuard g(m->i_pages_lock);
			unsigned long idx = first;
			p = static_cast<page *>(xa_find(&m->i_pages, &idx));
			if (p)
				get_page(p);
		}
		if (!p)
			return;
		delete_from_page_cache(p);
		put_page(p);
	}
}

void mapping_for_each_page(address_space *m, void (*fn)(void *ctx, page *p), void *ctx)
{
	unsigned long idx = 0;
	for (;;) {
		page *p;
		{
			SpinLockGuard g(m->i_pages_lock);
			p = static_cast<page *>(xa_find(&m->i_pages, &idx));
			if (p)
				get_page(p);
		}
		if (!p)
			return;
		fn(ctx, p);
		put_page(p);
		if (++idx == 0)
			return;
	}
}

// Zeros for holes: a tmpfs page never written reads as zeros without being allocated (Linux's
// shmem_file_read_iter uses ZERO_PAGE the same way).
static const u8 zeros[256] = {};

long filemap_read(file *f, iov_iter *to, loff_t *pos)
{
	address_space *m = f->f_mapping;
	inode *ino = m->host;
	long done = 0;
	while (iov_iter_count(to)) {
		loff_t size = __atomic_load_n(&ino->i_size, __ATOMIC_ACQUIRE);
		if (*pos >= size)
			break;
		unsigned long index = static_cast<unsigned long>(*pos >> PAGE_SHIFT);
		usize off = static_cast<usize>(*pos & (PAGE_SIZE - 1));
		usize nr = PAGE_SIZE - off;
		if (static_cast<loff_t>(nr) > size - *pos)
			nr = static_cast<usize>(size - *pos);
		if (nr > iov_iter_count(to))
			nr = iov_iter_count(to);
		usize copied;
		if (page *p = find_get_page(m, index)) {
			copied = copy_page_to_iter(p, off, nr, to);
			put_page(p);
		} else {
			copied = 0;
			while (copied < nr) {
				usize c = nr - copied < sizeof(zeros) ? nr - copied : sizeof(zeros);
				usize got = copy_to_iter(zeros, c, to);
				copied += got;
				if (got < c)
					break;
			}
		}
		*pos += static_cast<loff_t>(copied);
		done += static_cast<long>(copied);
		if (copied < nr)
			return done ? done : -static_cast<long>(Errno::EFAULT);
	}
	return done;
}

// Linux's MAX_LFS_FILESIZE on 64-bit.
static constexpr loff_t MAX_LFS_FILESIZE = 0x7fffffffffffffffll;

long generic_perform_write(file *f, iov_iter *from, loff_t *pos)
{
	inode *ino = f->f_mapping->host;
	if (*pos >= MAX_LFS_FILESIZE)
		return iov_iter_count(from) ? -static_cast<long>(Errno::EFBIG) : 0;
	if (static_cast<u64>(MAX_LFS_FILESIZE - *pos) < iov_iter_count(from))
		iov_iter_truncate(from, static_cast<usize>(MAX_LFS_FILESIZE - *pos));
	long done = 0;
	while (iov_iter_count(from)) {
		unsigned long index = static_cast<unsigned long>(*pos >> PAGE_SHIFT);
		usize off = static_cast<usize>(*pos & (PAGE_SIZE - 1));
		usize bytes = PAGE_SIZE - off;
		if (bytes > iov_iter_count(from))
			bytes = iov_iter_count(from);
		auto pg = shmem_get_page(ino, index);
		if (pg.is_error())
			return done ? done : pg.error().neg();
		page *p = pg.value();
		usize copied = copy_page_from_iter(p, off, bytes, from);
		if (copied) {
			SetPageDirty(p);
			// New bytes may be instructions: the next executable mapping of the page must
			// clean the D-cache and invalidate the I-cache again (Linux's flush_dcache_page
			// clearing PG_dcache_clean).
			clear_page_flag(p, PG_arch_1);
		}
		put_page(p);
		*pos += static_cast<loff_t>(copied);
		done += static_cast<long>(copied);
		if (*pos > ino->i_size)
			__atomic_store_n(&ino->i_size, *pos, __ATOMIC_RELEASE);
		if (copied < bytes)
			return done ? done : -static_cast<long>(Errno::EFAULT);
	}
	return done;
}
