// The page cache (Linux's mm/filemap.c, mm/shmem.c and include/linux/pagemap.h, reduced): the
// pages of a file indexed by offset in an address_space, and the read/write paths over them.
//
// A page in the cache has page->mapping == the address_space (no PAGE_MAPPING_ANON bit) and
// page->index == its offset in pages, PG_uptodate set once its contents are valid, and one
// reference held by the cache itself; lookups return it with one more. It is counted in
// NR_FILE_PAGES, and in NR_SHMEM when the mapping is AS_SHMEM (tmpfs, MAP_SHARED anonymous).
// Removal (truncate, eviction of the inode) clears page->mapping and drops the cache's
// reference; a page still mapped or referenced lives on, detached, until its last put_page.
//
// Locking: the tree is changed under mapping->i_pages_lock (a spinlock: lookups from the fault
// path need no sleeping lock); size changes and writes hold the inode's i_rwsem.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "mm/gfp.h"

struct address_space;
struct page;
struct file;
struct inode;
struct iov_iter;
using loff_t = i64;

inline constexpr unsigned PAGE_CACHE_SHIFT = 12;

// Sets up an empty mapping for host (a_ops may be nullptr for tmpfs).
void address_space_init(address_space *m, inode *host);
// The page at index with a new reference, or nullptr.
page *find_get_page(address_space *m, unsigned long index);
// Inserts p (the caller's reference becomes the cache's; the caller gets a second one) at
// index: sets mapping/index and the counters. EEXIST when the slot is taken; ENOMEM.
[[nodiscard]] Result add_to_page_cache(page *p, address_space *m, unsigned long index, gfp_t gfp);
// Removes p from its mapping (it must be in one) and drops the cache's reference.
void delete_from_page_cache(page *p);
// Removes every page at or after byte offset lstart (a partial page keeps its head and is
// zeroed after lstart).
void truncate_inode_pages(address_space *m, loff_t lstart);
// The page at index, created when absent (zero-filled for shmem, read_folio otherwise) and up
// to date, with a reference. ENOMEM (and ENOSPC when the tmpfs is full).
ErrorOr<page *> shmem_get_page(inode *ino, unsigned long index);
// read(2) of a page-cache file from *pos up to i_size (holes read as zeros): bytes, or
// -EFAULT when nothing could be copied.
long filemap_read(file *f, iov_iter *to, loff_t *pos);
// write(2) into the page cache at *pos (O_APPEND handled by the caller), growing i_size:
// bytes, -EFAULT, -ENOSPC, -EFBIG (beyond MAX_LFS_FILESIZE), -ENOMEM.
long generic_perform_write(file *f, iov_iter *from, loff_t *pos);
// Calls fn for each page of the mapping in index order (for /proc and tests).
void mapping_for_each_page(address_space *m, void (*fn)(void *ctx, page *p), void *ctx);
// An unlinked tmpfs file of `size` bytes on the kernel's internal shm mount (Linux's
// shmem_file_setup): MAP_SHARED anonymous memory is a mapping of one. ENOMEM.
ErrorOr<file *> shmem_file_setup(const char *name, loff_t size, unsigned long flags);

// tmpfs (mm/shmem.cpp): the file system type, its registration with the internal shm mount,
// and statfs figures (pages and inodes: total and free).
struct file_system_type;
struct super_block;
extern file_system_type shmem_fs_type;
[[nodiscard]] Result init_tmpfs();
void shmem_statfs(super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree);
