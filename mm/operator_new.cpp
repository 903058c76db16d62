// C++ operator new/delete on kmalloc (kernel only; the host suite uses its C++ runtime's).
//
// The throwing forms cannot throw (-fno-exceptions) and the compiler assumes they never return
// nullptr, so running out of memory there panics with the size and the caller; code that can
// cope with failure uses the nothrow forms, which return nullptr. Allocations use GFP_KERNEL.
//
// Over-aligned types: kmalloc returns power-of-two sizes naturally aligned (slab classes up to
// 8 KiB, buddy blocks above), so an alignment is honoured by rounding the size up to a power of
// two that is at least the alignment.
#include "core/panic.h"
#include "kstd/new.h"
#include "kstd/util.h"
#include "mm/slab.h"

const std::nothrow_t std::nothrow{};

namespace {

inline usize aligned_size(usize size, std::align_val_t al)
{
	usize a = static_cast<usize>(al);
	if (a <= ARCH_KMALLOC_MINALIGN)
		return size;
	return kstd::roundup_pow_of_two(kstd::max(size, a));
}

inline void *checked(void *p, usize size, void *caller)
{
	if (unlikely(!p))
		panic("operator new: out of memory allocating %zu bytes (caller %pS)", size, caller);
	return p;
}

} // namespace

void *operator new(usize size) { return checked(kmalloc(size, GFP_KERNEL), size, __builtin_return_address(0)); }
void *operator new[](usize size) { return checked(kmalloc(size, GFP_KERNEL), size, __builtin_return_address(0)); }
void *operator new(usize size, std::align_val_t al)
{
	return checked(kmalloc(aligned_size(size, al), GFP_KERNEL), size, __builtin_return_address(0));
}
void *operator new[](usize size, std::align_val_t al)
{
	return checked(kmalloc(aligned_size(size, al), GFP_KERNEL), size, __builtin_return_address(0));
}
void *operator new(usize size, const std::nothrow_t &) noexcept { return kmalloc(size, GFP_KERNEL); }
void *operator new[](usize size, const std::nothrow_t &) noexcept { return kmalloc(size, GFP_KERNEL); }
void *operator new(usize size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return kmalloc(aligned_size(size, al), GFP_KERNEL);
}
void *operator new[](usize size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return kmalloc(aligned_size(size, al), GFP_KERNEL);
}

void operator delete(void *p) noexcept { kfree(p); }
void operator delete[](void *p) noexcept { kfree(p); }
void operator delete(void *p, usize) noexcept { kfree(p); }
void operator delete[](void *p, usize) noexcept { kfree(p); }
void operator delete(void *p, std::align_val_t) noexcept { kfree(p); }
void operator delete[](void *p, std::align_val_t) noexcept { kfree(p); }
void operator delete(void *p, usize, std::align_val_t) noexcept { kfree(p); }
void operator delete[](void *p, usize, std::align_val_t) noexcept { kfree(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { kfree(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { kfree(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { kfree(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { kfree(p); }
