// Fatal errors and warnings. panic() reports and powers off with a failure status; WARN_ON
// reports with registers and a backtrace and continues; BUG_ON oopses (Linux semantics). Host tests provide their
// own panic() that fails the running test case.
#pragma once

#include "kstd/types.h"

extern "C" [[noreturn]] void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// A warning for a site given by file and line (lockdep_assert_held reports its caller's): the
// kernel prints it as a WARN_ON's report (kernel/panic.cpp); host tests record it.
extern "C" void __warn(const char *file, int line, const char *cond);

#if defined(HOST_TEST)
// Host tests: no BRK handler; their __warn and panic record the report for the test case.
#define __WARN_AT(cond) __warn(__FILE__, __LINE__, #cond)
#define BUG() panic("kernel BUG at %s:%d!", __FILE__, __LINE__)
#else
// Linux's arm64 BUG()/WARN() (asm/asm-bug.h, lib/bug.c): a `brk #0x800` whose address, file
// and line are in the __bug_table section. The BRK handler (arch/arm64/traps.cpp) looks the
// trapping pc up there and prints the report with the registers of the site: for a WARN
// "------------[ cut here ]------------", "WARNING: CPU: n PID: n at file:line func+off/size",
// registers, call trace and the end marker, then it continues after the brk; for a BUG
// "kernel BUG at file:line!" and an oops ("Internal error: Oops - BUG: 00000000f2000800").
struct bug_entry {
	int bug_addr_disp; // the brk, relative to this field
	int file_disp;     // the file name, relative to this field
	unsigned short line;
	unsigned short flags; // BUGFLAG_WARNING for a WARN
};
inline constexpr unsigned short BUGFLAG_WARNING = 1 << 0;
inline constexpr unsigned BUG_BRK_IMM = 0x800;
const bug_entry *find_bug(unsigned long pc);

#define __BUG_FLAGS(flags)                                                                           \
	asm volatile("1: brk #0x800\n"                                                               \
		     ".pushsection __bug_table, \"a\"\n"                                             \
		     ".align 2\n"                                                                    \
		     ".long 1b - .\n"                                                                \
		     ".long %c0 - .\n"                                                               \
		     ".short %c1, %c2\n"                                                             \
		     ".popsection\n" ::"i"(__FILE__),                                                \
		     "i"(__LINE__), "i"(flags))
#define __WARN_AT(cond) __BUG_FLAGS(BUGFLAG_WARNING)
#define BUG()                            \
	do {                             \
		__BUG_FLAGS(0);          \
		__builtin_unreachable(); \
	} while (0)
#endif

#define WARN_ON(cond)                                     \
	({                                                    \
		bool _w = !!(cond);                               \
		if (__builtin_expect(_w, 0))                      \
			__WARN_AT(cond);                              \
		_w;                                               \
	})

#define WARN_ON_ONCE(cond)                                \
	({                                                    \
		static bool _warned;                              \
		bool _w = !!(cond);                               \
		if (__builtin_expect(_w, 0) && !_warned) {        \
			_warned = true;                               \
			__WARN_AT(cond);                              \
		}                                                 \
		_w;                                               \
	})

#define BUG_ON(cond)                                  \
	do {                                          \
		if (__builtin_expect(!!(cond), 0))    \
			BUG();                        \
	} while (0)

// Linux's taint flags (kernel/panic.c taint_flags) that this kernel can set: D after an
// oops, W after a warning. "Not tainted" until then, "Tainted: G      D W" after.
enum class Taint : unsigned { Die = 7, Warn = 9 };
void add_taint(Taint t);
// The name and pid that reports show for the running context (Linux's current->comm and
// ->pid): the user task; else a kernel task started with run_on_stack (pid 0); else this
// CPU's idle context, "swapper/<cpu>" with pid 0 as Linux's. Implemented in kernel/process.cpp
// (host tests: tests/host/support).
void current_comm(char *buf, usize n);
int current_pid();
// Linux's dump_stack_print_info: "CPU: n PID: n Comm: name Not tainted <release> #1", then
// "Hardware name: <DT model> (DT)" once setup_arch has named the machine.
void dump_stack_print_info(const char *log_lvl);
void dump_stack_set_arch_desc(const char *model);
// Linux's dump_stack: dump_stack_print_info, then the caller's "Call trace:".
void dump_stack();
// "---[ end trace 0000000000000000 ]---" (Linux's print_oops_end_marker).
void print_oops_end_marker();

// Caller's return address for debug logs (Linux's _RET_IP_), printed with %pS.
#define _RET_IP_ reinterpret_cast<unsigned long>(__builtin_return_address(0))
#define _THIS_IP_ ({ __label__ __here; __here: reinterpret_cast<unsigned long>(&&__here); })
