#include "tests/host/support/host_support.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "core/panic.h"
#include "core/printk.h"
#include "mm/memory_model.h"

int console_loglevel = 7;
u64 memstart_addr;
uptr linear_map_base;

static std::string captured;
static bool verbose = getenv("HOST_VERBOSE") != nullptr;

std::string host_take_log()
{
	std::string s;
	s.swap(captured);
	return s;
}
const std::string &host_log() { return captured; }

extern "C" int vprintk(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	// Strip the KERN_<level> prefix as the kernel's ring buffer does.
	const char *p = buf;
	while (p[0] == '\001' && p[1])
		p += 2;
	captured += p;
	if (verbose)
		fputs(p, stderr);
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
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	captured += std::string("Kernel panic - not syncing: ") + buf + "\n";
	throw HostPanic{buf};
}

// The host suite runs as the boot context of CPU 0.
void current_comm(char *buf, usize n) { snprintf(buf, n, "swapper/0"); }
int current_pid() { return 0; }

extern "C" void __warn(const char *file, int line, const char *cond)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "WARNING: at %s:%d %s\n", file, line, cond);
	captured += buf;
	if (verbose)
		fputs(buf, stderr);
}
