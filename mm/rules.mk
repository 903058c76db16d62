# mm/: memory management. Everything here except the files that touch the MMU or system
# registers directly (mm/kernel_*.cpp) is also compiled into the host test suite.
# mm-kernel lists what the kernel links: a file joins it when boot calls into it.
mm-kernel-only := $(wildcard mm/kernel_*.cpp)
mm-kernel := $(wildcard mm/memblock.cpp mm/dt_memory.cpp mm/page_alloc.cpp mm/mm_init.cpp mm/sparse.cpp mm/vmstat.cpp mm/page_debug.cpp mm/fragmentation.cpp mm/vmalloc.cpp mm/slab_common.cpp mm/slub.cpp mm/slob.cpp mm/mmap.cpp mm/memory.cpp) $(mm-kernel-only)
kernel-srcs += $(mm-kernel)
host-srcs += $(filter-out $(mm-kernel-only),$(wildcard mm/*.cpp))

# The object allocator's public entry points (kmalloc, kfree, kmem_cache_alloc/free) are leaf
# fast paths that tail-call their slow paths: without a frame record they are ~6 instructions
# shorter per alloc+free (GCC's default on arm64). A fault inside one shows it as `pc` and its
# caller as `lr` in the oops; the Call trace then continues from the caller's caller.
$(OBJ)/mm/slab_common.o: KCXXFLAGS += -momit-leaf-frame-pointer
