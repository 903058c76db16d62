// Fatal errors and warnings. panic() reports and powers off with a failure status; WARN_ON
// reports once with a backtrace and continues (Linux semantics). Host tests provide their
// own panic() that fails the running test case.
#pragma once

#include "kstd/types.h"

extern "C" [[noreturn]] void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern "C" void __warn(const char *file, int line, const char *cond);

#define WARN_ON(cond)                                     \
	({                                                    \
		bool _w = !!(cond);                               \
		if (__builtin_expect(_w, 0))                      \
			__warn(__FILE__, __LINE__, #cond);            \
		_w;                                               \
	})

#define WARN_ON_ONCE(cond)                                \
	({                                                    \
		static bool _warned;                              \
		bool _w = !!(cond);                               \
		if (__builtin_expect(_w, 0) && !_warned) {        \
			_warned = true;                               \
			__warn(__FILE__, __LINE__, #cond);            \
		}                                                 \
		_w;                                               \
	})

#define BUG_ON(cond)                                                        \
	do {                                                                    \
		if (__builtin_expect(!!(cond), 0))                                  \
			panic("kernel BUG at %s:%d: %s", __FILE__, __LINE__, #cond);    \
	} while (0)

// Caller's return address for debug logs (Linux's _RET_IP_), printed with %pS.
#define _RET_IP_ reinterpret_cast<unsigned long>(__builtin_return_address(0))
#define _THIS_IP_ ({ __label__ __here; __here: reinterpret_cast<unsigned long>(&&__here); })
