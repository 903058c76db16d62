# mm/: memory management. Every file here is compiled into the kernel; all but the few that
# touch the MMU, linker symbols or C++'s global operator new (mm-kernel-only) are also compiled
# into the host test suite (ASan+UBSan) behind the seams in tests/host/support.
# The lists are explicit, not wildcards: a file named here that does not exist is an error.
mm-kernel-only := mm/vmalloc.cpp mm/operator_new.cpp mm/filemap.cpp mm/shmem.cpp
mm-host := mm/memblock.cpp mm/dt_memory.cpp mm/page_alloc.cpp mm/mm_init.cpp mm/sparse.cpp \
	mm/vmstat.cpp mm/page_debug.cpp mm/fragmentation.cpp mm/vmap_area.cpp mm/slab_common.cpp \
	mm/slub.cpp mm/slob.cpp mm/mmap.cpp mm/memory.cpp mm/cma_early.cpp mm/cma.cpp \
	mm/fault_inject.cpp mm/oom_kill.cpp mm/xarray.cpp
kernel-srcs += $(mm-host) $(mm-kernel-only)
host-srcs += $(mm-host)

# The object allocator's public entry points (kmalloc, kfree, kmem_cache_alloc/free) are leaf
# fast paths that tail-call their slow paths: without a frame record they are ~6 instructions
# shorter per alloc+free (GCC's default on arm64). A fault inside one shows it as `pc` and its
# caller as `lr` in the oops; the Call trace then continues from the caller's caller.
$(OBJ)/mm/slab_common.o: KCXXFLAGS += -momit-leaf-frame-pointer
