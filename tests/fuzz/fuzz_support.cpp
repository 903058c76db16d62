// Host seams for the fuzz binary. tests/host/support/host_support.cpp keeps every printk in a
// growing string and throws on panic; a fuzzer runs millions of inputs, so here printk is
// discarded (echoed with FUZZ_VERBOSE=1) and panic/WARN abort, which libFuzzer reports as a
// crash with the input saved: bad DT input must never reach either.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "core/panic.h"
#include "core/printk.h"
#include "mm/memory_model.h"

int console_loglevel = 7;
u64 memstart_addr;
unsigned long totalcma_pages; // mm/page_alloc.cpp's, counted by mm/cma_early.cpp
uptr linear_map_base;

static const bool verbose = getenv("FUZZ_VERBOSE") != nullptr;

extern "C" int vprintk(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (verbose) {
		const char *p = buf;
		while (p[0] == '\001' && p[1])
			p += 2;
		fputs(p, stderr);
	}
	return n;
}

extern "C" int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

extern "C" [[noreturn]] void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("Kernel panic - not syncing: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

extern "C" void __warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "WARNING: at %s:%d %s\n", file, line, cond);
	abort();
}

// lib/fault_inject.cpp's task seam: the fuzzer is one task and never arms fail-nth.
#include "core/fault_inject.h"
static int fuzz_fail_nth;
int *current_fail_nth() { return &fuzz_fail_nth; }
void dump_stack() {}
