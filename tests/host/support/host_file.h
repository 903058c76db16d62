// A small file and page-cache seam for the host suite: fs/ is not compiled for the host, so the
// few VFS and mm/filemap.h entry points the mm fault path uses (get_file, fput, fget,
// find_get_page, add_to_page_cache, shmem_get_page, shmem_file_setup, ...) are defined here,
// weak, over a std::map per address_space. A test makes a file with HostFile, fills its cache
// with host_cache_page, and installs it as a descriptor for ksys_mmap with host_install_fd.
#pragma once

#include "fs/fs.h"
#include "mm/filemap.h"

// A tmpfs-like regular file (AS_SHMEM when shmem): i_size `size`, f_mode from `mode`
// (FMODE_READ/FMODE_WRITE), f_op with mmap = generic_file_mmap (or none: no_mmap).
struct HostFile {
	inode ino{};
	file f{};
	file_operations fops{};
	bool released = false;
	HostFile(loff_t size, unsigned mode, bool shmem = true, bool no_mmap = false);
	~HostFile(); // drops the cache's pages (the test must have unmapped them)
	HostFile(const HostFile &) = delete;
	HostFile &operator=(const HostFile &) = delete;
	address_space *mapping() { return &ino.i_data; }
};

// A new up-to-date page in m's cache at index filled with `fill` (the returned pointer is the
// cache's; no extra reference).
page *host_cache_page(address_space *m, unsigned long index, u8 fill);
// Number of pages in m's cache.
unsigned long host_cache_pages(address_space *m);
// Descriptors for fget (fd -> file, nullptr removes).
void host_install_fd(unsigned fd, file *f);
// Files created by shmem_file_setup and still referenced.
int host_shmem_files_live();
