// The page-cache side of file faults (Linux's filemap_fault, filemap_map_pages and
// filemap_page_mkwrite in mm/filemap.c, reduced): generic_file_vm_ops, which the fault path in
// mm/memory.cpp calls for a file VMA. Pages come from mm/filemap.h (find_get_page, and
// shmem_get_page to create a missing one); EOF is the inode's i_size at the time of the fault.
//
// Locking: the caller holds the faulting mm's mmap_lock. Nothing here takes the inode's
// i_rwsem: write(2) holds it while it copies from user memory, whose faults come here.
#include <asm/page.h>

#include "fs/fs.h"
#include "mm/filemap.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"

// Pages below EOF: a fault at or beyond it is SIGBUS (Linux's DIV_ROUND_UP(i_size, PAGE_SIZE)).
static unsigned long size_in_pages(const inode *ino)
{
	loff_t size = __atomic_load_n(&ino->i_size, __ATOMIC_ACQUIRE);
	return size <= 0 ? 0 : (static_cast<unsigned long>(size) + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

static vm_fault_t filemap_fault(vm_fault *vmf)
{
	address_space *m = vmf->vma->vm_file->f_mapping;
	inode *ino = m->host;
	if (vmf->pgoff >= size_in_pages(ino))
		return VM_FAULT_SIGBUS;
	page *p = find_get_page(m, vmf->pgoff);
	if (p && !PageUptodate(p)) {
		put_page(p);
		p = nullptr;
	}
	if (!p) {
		// Absent (a hole of a tmpfs file, or never read): created, zero-filled or read.
		auto r = shmem_get_page(ino, vmf->pgoff);
		if (r.is_error())
			return r.error().code() == Errno::ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		p = r.value();
	}
	// A truncate may have run meanwhile: the page then lies beyond the new EOF.
	if (vmf->pgoff >= size_in_pages(ino)) {
		put_page(p);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = p;
	return 0;
}

static page *filemap_map_page(vm_area_struct *vma, unsigned long pgoff)
{
	address_space *m = vma->vm_file->f_mapping;
	if (pgoff >= size_in_pages(m->host))
		return nullptr;
	page *p = find_get_page(m, pgoff);
	if (p && !PageUptodate(p)) {
		put_page(p);
		return nullptr;
	}
	return p;
}

static vm_fault_t filemap_page_mkwrite(vm_fault *vmf)
{
	address_space *m = vmf->vma->vm_file->f_mapping;
	page *p = vmf->page;
	// Truncated away since it was mapped: what is left of the mapping is beyond EOF.
	if (p->mapping != m)
		return VM_FAULT_SIGBUS;
	if (m->a_ops && m->a_ops->dirty_folio)
		m->a_ops->dirty_folio(m, p);
	else if (!PageDirty(p))
		SetPageDirty(p);
	return 0;
}

const vm_operations_struct generic_file_vm_ops = {filemap_fault, filemap_map_page, filemap_page_mkwrite};

int generic_file_mmap(file *, vm_area_struct *vma)
{
	vma->vm_ops = &generic_file_vm_ops;
	return 0;
}
