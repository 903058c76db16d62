// Errors as values. Error codes are Linux's errno numbers so that syscalls return them as-is
// and logs read like Linux's. ErrorOr<T> holds either a T or an Error; TRY propagates.
#pragma once

#include "types.h"
#include "util.h"

enum class Errno : int {
	OK = 0,
	EPERM = 1,
	ENOENT = 2,
	ESRCH = 3,
	EINTR = 4,
	EIO = 5,
	E2BIG = 7,
	ENOEXEC = 8,
	EBADF = 9,
	EAGAIN = 11,
	ENOMEM = 12,
	EACCES = 13,
	EFAULT = 14,
	EBUSY = 16,
	EEXIST = 17,
	ENODEV = 19,
	ENOTDIR = 20,
	EINVAL = 22,
	ENFILE = 23,
	EMFILE = 24,
	ENOTTY = 25,
	EFBIG = 27,
	ENOSPC = 28,
	ESPIPE = 29,
	ERANGE = 34,
	ENAMETOOLONG = 36,
	ENOSYS = 38,
	ENODATA = 61,
	EOVERFLOW = 75,
	EBADMSG = 74,
	ENOTSUP = 95,
	ENXIO = 6,
	ECHILD = 10,
	EXDEV = 18,
	EISDIR = 21,
	EROFS = 30,
	EPIPE = 32,
	EDEADLK = 35,
	ENOTEMPTY = 39,
	ELOOP = 40,
	ETIMEDOUT = 110,
};

const char *errno_name(Errno e);

class [[nodiscard]] Error {
public:
	constexpr Error(Errno e) : e_(e) {}
	constexpr Errno code() const { return e_; }
	constexpr int neg() const { return -static_cast<int>(e_); }
	const char *name() const { return errno_name(e_); }
	constexpr bool operator==(const Error &o) const = default;

private:
	Errno e_;
};

template <typename T> class [[nodiscard]] ErrorOr {
public:
	constexpr ErrorOr(const T &v) : ok_(true) { new (&storage_) T(v); }
	constexpr ErrorOr(T &&v) : ok_(true) { new (&storage_) T(kstd::move(v)); }
	constexpr ErrorOr(Error e) : ok_(false), err_(e) {}
	constexpr ErrorOr(Errno e) : ok_(false), err_(e) {}
	ErrorOr(const ErrorOr &o) : ok_(o.ok_), err_(o.err_)
	{
		if (ok_)
			new (&storage_) T(o.value());
	}
	ErrorOr(ErrorOr &&o) : ok_(o.ok_), err_(o.err_)
	{
		if (ok_)
			new (&storage_) T(kstd::move(o.value()));
	}
	ErrorOr &operator=(const ErrorOr &) = delete;
	~ErrorOr()
	{
		if (ok_)
			value().~T();
	}

	constexpr bool is_error() const { return !ok_; }
	constexpr explicit operator bool() const { return ok_; }
	constexpr Error error() const { return err_; }
	T &value() { return *reinterpret_cast<T *>(&storage_); }
	const T &value() const { return *reinterpret_cast<const T *>(&storage_); }
	T release_value() { return kstd::move(value()); }
	T value_or(T dflt) const { return ok_ ? value() : dflt; }

private:
	bool ok_;
	Error err_{Errno::OK};
	alignas(T) unsigned char storage_[sizeof(T)];
};

template <> class [[nodiscard]] ErrorOr<void> {
public:
	constexpr ErrorOr() = default;
	constexpr ErrorOr(Error e) : err_(e) {}
	constexpr ErrorOr(Errno e) : err_(e) {}
	constexpr bool is_error() const { return err_.code() != Errno::OK; }
	constexpr explicit operator bool() const { return !is_error(); }
	constexpr Error error() const { return err_; }
	void release_value() {}

private:
	Error err_{Errno::OK};
};

using Result = ErrorOr<void>;

// Placement new without <new>: declared here, defined by the compiler's rules for the
// reserved placement form. The kernel provides it in lib/cxxabi.cpp; the host has <new>.
#if __STDC_HOSTED__
#include <new>
#else
inline void *operator new(usize, void *p) noexcept { return p; }
inline void *operator new[](usize, void *p) noexcept { return p; }
#endif

#define TRY(expr)                                         \
	({                                                    \
		auto _try_r = (expr);                             \
		if (_try_r.is_error())                            \
			return _try_r.error();                        \
		_try_r.release_value();                           \
	})
