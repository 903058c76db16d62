// The <new> declarations the kernel's operator new/delete (mm/operator_new.cpp) and their users
// need: std::align_val_t and std::nothrow. The compiler looks these names up in namespace std,
// so they cannot live in kstd. Placement new is in kstd/result.h.
#pragma once

#include "types.h"

#if __STDC_HOSTED__
#include <new>
#else
namespace std {
enum class align_val_t : usize {};
struct nothrow_t {
	explicit nothrow_t() = default;
};
extern const nothrow_t nothrow;
} // namespace std

// The implicitly declared forms take no nothrow_t; these must be declared to be called.
void *operator new(usize size, const std::nothrow_t &) noexcept;
void *operator new[](usize size, const std::nothrow_t &) noexcept;
void *operator new(usize size, std::align_val_t al, const std::nothrow_t &) noexcept;
void *operator new[](usize size, std::align_val_t al, const std::nothrow_t &) noexcept;
void operator delete(void *p, const std::nothrow_t &) noexcept;
void operator delete[](void *p, const std::nothrow_t &) noexcept;
void operator delete(void *p, std::align_val_t al, const std::nothrow_t &) noexcept;
void operator delete[](void *p, std::align_val_t al, const std::nothrow_t &) noexcept;
#endif
