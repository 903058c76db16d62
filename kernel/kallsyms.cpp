#include "kernel/kallsyms.h"

#include <asm/memory.h>

#include "kstd/string.h"
#include "lib/format.h"

extern "C" const u64 kallsyms_num;
extern "C" const u32 kallsyms_offsets[];
extern "C" const u32 kallsyms_names[];
extern "C" const char kallsyms_strings[];

bool kallsyms_lookup(u64 addr, KallsymsResult *out)
{
	u64 n = kallsyms_num;
	if (n == 0 || addr < KIMAGE_VADDR || addr >= reinterpret_cast<u64>(_etext))
		return false;
	u64 off = addr - KIMAGE_VADDR;
	// Last symbol whose start is <= addr (offsets are sorted).
	u64 lo = 0, hi = n;
	while (hi - lo > 1) {
		u64 mid = (lo + hi) / 2;
		if (kallsyms_offsets[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (kallsyms_offsets[lo] > off)
		return false;
	// Aliases share an address: the first one listed wins, as in Linux.
	while (lo > 0 && kallsyms_offsets[lo - 1] == kallsyms_offsets[lo])
		lo--;
	u64 next = reinterpret_cast<u64>(_etext) - KIMAGE_VADDR;
	for (u64 i = lo + 1; i < n; i++) {
		if (kallsyms_offsets[i] > kallsyms_offsets[lo]) {
			next = kallsyms_offsets[i];
			break;
		}
	}
	out->name = kallsyms_strings + kallsyms_names[lo];
	out->offset = off - kallsyms_offsets[lo];
	out->size = next - kallsyms_offsets[lo];
	return true;
}

u64 kallsyms_lookup_name(const char *name)
{
	for (u64 i = 0; i < kallsyms_num; i++)
		if (strcmp(kallsyms_strings + kallsyms_names[i], name) == 0)
			return KIMAGE_VADDR + kallsyms_offsets[i];
	return 0;
}

static bool symbolize(unsigned long addr, char *buf, size_t size, bool with_offset)
{
	KallsymsResult r;
	if (!kallsyms_lookup(addr, &r))
		return false;
	if (with_offset)
		kstd::snprintf(buf, size, "%s+0x%lx/0x%lx", r.name, (unsigned long)r.offset, (unsigned long)r.size);
	else
		kstd::snprintf(buf, size, "%s", r.name);
	return true;
}

void kallsyms_init() { kstd::set_symbolizer(symbolize); }
