// A non-owning view of contiguous objects (std::span's core).
#pragma once

#include "types.h"

namespace kstd {

template <typename T> class span {
public:
	constexpr span() = default;
	constexpr span(T *p, usize n) : p_(p), n_(n) {}
	template <usize N> constexpr span(T (&a)[N]) : p_(a), n_(N) {}
	constexpr T *data() const { return p_; }
	constexpr usize size() const { return n_; }
	constexpr bool empty() const { return n_ == 0; }
	constexpr T &operator[](usize i) const { return p_[i]; }
	constexpr T *begin() const { return p_; }
	constexpr T *end() const { return p_ + n_; }
	constexpr span subspan(usize off, usize n) const { return span(p_ + off, n); }

private:
	T *p_ = nullptr;
	usize n_ = 0;
};

} // namespace kstd
