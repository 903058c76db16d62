// Host fakes of the VFS and page-cache entry points the mm uses (see host_file.h). Weak, so a
// real implementation compiled into the host suite later takes precedence.
#include "tests/host/support/host_file.h"

#include <map>

#include "mm/mm_struct.h"
#include "mm/mmzone.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

namespace {
using cache_map = std::map<unsigned long, page *>;
// Each address_space's pages, kept beside it (the real xarray is not used by the fakes).
std::map<address_space *, cache_map> caches;
cache_map &cache_of(address_space *m) { return caches[m]; }
std::map<unsigned, file *> fds;
int shmem_live;

void host_release(inode *, file *f);
const file_operations shmem_fops = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, generic_file_mmap,
				    nullptr, host_release, nullptr};
} // namespace

#define WEAK __attribute__((weak))

WEAK file *get_file(file *f)
{
	__atomic_add_fetch(&f->f_count, 1, __ATOMIC_RELAXED);
	return f;
}

WEAK void fput(file *f)
{
	if (__atomic_sub_fetch(&f->f_count, 1, __ATOMIC_ACQ_REL) == 0 && f->f_op && f->f_op->release)
		f->f_op->release(f->f_inode, f);
}

WEAK file *fget(unsigned fd)
{
	auto it = fds.find(fd);
	return it == fds.end() ? nullptr : get_file(it->second);
}

void host_install_fd(unsigned fd, file *f)
{
	if (f)
		fds[fd] = f;
	else
		fds.erase(fd);
}

WEAK void address_space_init(address_space *m, inode *host)
{
	m->host = host;
	m->nrpages = 0;
	m->a_ops = nullptr;
	m->flags = 0;
	INIT_LIST_HEAD(&m->i_mmap);
}

WEAK page *find_get_page(address_space *m, unsigned long index)
{
	cache_map &c = cache_of(m);
	auto it = c.find(index);
	if (it == c.end())
		return nullptr;
	get_page(it->second);
	return it->second;
}

WEAK Result add_to_page_cache(page *p, address_space *m, unsigned long index, gfp_t)
{
	cache_map &c = cache_of(m);
	if (c.count(index))
		return Errno::EEXIST;
	c[index] = p;
	p->mapping = m;
	p->index = index;
	get_page(p);
	m->nrpages++;
	mod_node_page_state(page_pgdat(p), NR_FILE_PAGES, 1);
	if (m->flags & AS_SHMEM)
		mod_node_page_state(page_pgdat(p), NR_SHMEM, 1);
	return {};
}

WEAK void delete_from_page_cache(page *p)
{
	address_space *m = p->mapping;
	cache_of(m).erase(p->index);
	m->nrpages--;
	mod_node_page_state(page_pgdat(p), NR_FILE_PAGES, -1);
	if (m->flags & AS_SHMEM)
		mod_node_page_state(page_pgdat(p), NR_SHMEM, -1);
	p->mapping = nullptr;
	ClearPageSwapBacked(p); // as mm/filemap.cpp's
	put_page(p);
}

WEAK void truncate_inode_pages(address_space *m, loff_t lstart)
{
	cache_map &c = cache_of(m);
	unsigned long first = (static_cast<unsigned long>(lstart) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	while (!c.empty() && c.rbegin()->first >= first)
		delete_from_page_cache(c.rbegin()->second);
}

WEAK ErrorOr<page *> shmem_get_page(inode *ino, unsigned long index)
{
	address_space *m = ino->i_mapping;
	if (page *p = find_get_page(m, index))
		return p;
	page *p = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
	if (!p)
		return Errno::ENOMEM;
	SetPageUptodate(p);
	if (m->flags & AS_SHMEM)
		SetPageSwapBacked(p);
	Result r = add_to_page_cache(p, m, index, GFP_KERNEL);
	if (r.is_error()) {
		put_page(p);
		return r.error();
	}
	return p; // the caller's reference: add_to_page_cache gave the second one
}

page *host_cache_page(address_space *m, unsigned long index, u8 fill)
{
	page *p = alloc_page(GFP_HIGHUSER_MOVABLE);
	if (!p)
		return nullptr;
	memset(page_address(p), fill, PAGE_SIZE);
	SetPageUptodate(p);
	if (m->flags & AS_SHMEM)
		SetPageSwapBacked(p);
	if (add_to_page_cache(p, m, index, GFP_KERNEL).is_error()) {
		put_page(p);
		return nullptr;
	}
	put_page(p); // the cache keeps its reference
	return p;
}

unsigned long host_cache_pages(address_space *m) { return cache_of(m).size(); }

static void drop_cache(address_space *m)
{
	truncate_inode_pages(m, 0);
	caches.erase(m);
}

HostFile::HostFile(loff_t size, unsigned mode, bool shmem, bool no_mmap)
{
	address_space_init(&ino.i_data, &ino);
	ino.i_mapping = &ino.i_data;
	ino.i_mode = S_IFREG | 0644;
	ino.i_size = size;
	if (shmem)
		ino.i_data.flags |= AS_SHMEM;
	fops.mmap = no_mmap ? nullptr : generic_file_mmap;
	f.f_count = 1;
	f.f_mode = mode;
	f.f_inode = &ino;
	f.f_mapping = &ino.i_data;
	f.f_op = &fops;
}

HostFile::~HostFile() { drop_cache(&ino.i_data); }

namespace {
struct ShmemFile {
	inode ino{};
	file f{};
};
void host_release(inode *, file *f)
{
	ShmemFile *s = reinterpret_cast<ShmemFile *>(reinterpret_cast<char *>(f) - offsetof(ShmemFile, f));
	drop_cache(&s->ino.i_data);
	delete s;
	shmem_live--;
}
} // namespace

WEAK ErrorOr<file *> shmem_file_setup(const char *, loff_t size, unsigned long)
{
	auto *s = new ShmemFile;
	address_space_init(&s->ino.i_data, &s->ino);
	s->ino.i_mapping = &s->ino.i_data;
	s->ino.i_mode = S_IFREG | 0777;
	s->ino.i_size = size;
	s->ino.i_data.flags |= AS_SHMEM;
	s->f.f_count = 1;
	s->f.f_mode = FMODE_READ | FMODE_WRITE;
	s->f.f_inode = &s->ino;
	s->f.f_mapping = &s->ino.i_data;
	s->f.f_op = &shmem_fops;
	shmem_live++;
	return &s->f;
}

int host_shmem_files_live() { return shmem_live; }
