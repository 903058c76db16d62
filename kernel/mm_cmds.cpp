// The memory manager's console commands: Linux's /proc/meminfo, buddyinfo, pagetypeinfo,
// zoneinfo, vmstat, slabinfo and vmallocinfo (each the /proc file's own generator, streamed to
// the console without timestamps), `proc` for any /proc file, and the allocators' on-demand
// checkers (`check`, `slabvalidate`). mm/ and fs/proc provide the generators; this is the UI.
#include "kernel/console.h"
#include "kernel/shell.h"
#include "fs/proc/proc_fs.h"
#include "kstd/string.h"
#include "lib/parse.h"
#include "mm/cma.h"
#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"

// /proc text is command output: written to the console as it is, not logged through printk.
// Each command runs the /proc file's own generator (fs/proc/proc_fs.h), streamed.
static int console_show_proc(const char *path, void *arg = nullptr)
{
	const proc_entry *e = arg ? nullptr : proc_find_root_entry(path);
	if (!e)
		e = proc_lookup_path(path, &arg);
	if (!e || !e->show) {
		console_printf("proc: %s: no such file\n", path);
		return 1;
	}
	seq_show_to_sink(console_printf, e->show, arg);
	return 0;
}
static int cmd_meminfo(int, char **) { return console_show_proc("meminfo"); }
static int cmd_buddyinfo(int, char **) { return console_show_proc("buddyinfo"); }
static int cmd_pagetypeinfo(int, char **) { return console_show_proc("pagetypeinfo"); }
static int cmd_zoneinfo(int, char **) { return console_show_proc("zoneinfo"); }
static int cmd_vmstat(int, char **) { return console_show_proc("vmstat"); }
static int cmd_check(int, char **)
{
	unsigned long bad = check_page_alloc();
	console_printf("page allocator check: %lu inconsistencies\n", bad);
	return bad ? 1 : 0;
}
CONSOLE_CMD(cmd_meminfo_rec, "meminfo", "/proc/meminfo", cmd_meminfo);
CONSOLE_CMD(cmd_buddyinfo_rec, "buddyinfo", "/proc/buddyinfo", cmd_buddyinfo);
CONSOLE_CMD(cmd_pagetypeinfo_rec, "pagetypeinfo", "/proc/pagetypeinfo", cmd_pagetypeinfo);
CONSOLE_CMD(cmd_zoneinfo_rec, "zoneinfo", "/proc/zoneinfo", cmd_zoneinfo);
CONSOLE_CMD(cmd_vmstat_rec, "vmstat", "/proc/vmstat", cmd_vmstat);
CONSOLE_CMD(cmd_check_rec, "check", "verify every free list and counter of the page allocator", cmd_check);

static int cmd_slabinfo(int, char **) { return console_show_proc("slabinfo"); }
CONSOLE_CMD(cmd_slabinfo_rec, "slabinfo", "/proc/slabinfo (version 2.1)", cmd_slabinfo);

static int cmd_slabvalidate(int argc, char **argv)
{
	if (argc != 2) {
		console_printf("usage: slabvalidate <cache>|all\n");
		return 1;
	}
	unsigned long before = slab_errors;
	if (strcmp(argv[1], "all") == 0) {
		long slabs = 0;
		list_for_each(pos, &active_slab::caches)
			slabs += validate_slab_cache(list_entry(pos, kmem_cache, list));
		console_printf("%s: validated %ld slabs of all caches: %lu errors\n", slab_allocator_name(), slabs,
			       slab_errors - before);
	} else {
		kmem_cache *s = kmem_cache_find(argv[1]);
		if (!s) {
			console_printf("slabvalidate: no cache named %s\n", argv[1]);
			return 1;
		}
		long slabs = validate_slab_cache(s);
		console_printf("%s: validated %ld slabs of %s: %lu errors\n", slab_allocator_name(), slabs, argv[1],
			       slab_errors - before);
	}
	return slab_errors != before;
}
CONSOLE_CMD(cmd_slabvalidate_rec, "slabvalidate", "check every slab of a cache (SLUB validate)", cmd_slabvalidate);

static int cmd_vmallocinfo(int, char **) { return console_show_proc("vmallocinfo"); }

// Any /proc file by its path ("proc 1/status", "proc self/maps", "proc sys/vm/min_free_kbytes"),
// and a write to it: "proc sys/vm/min_free_kbytes 4096".
static int cmd_proc(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		console_printf("usage: proc <path> [value]\n");
		for (unsigned i = 0; i < nr_proc_root_entries; i++)
			console_printf("  %s\n", proc_root_entries[i].name);
		console_printf("  <pid>|self/{");
		for (unsigned i = 0; i < nr_proc_pid_entries; i++)
			console_printf("%s%s", i ? "," : "", proc_pid_entries[i].name);
		console_printf("}\n");
		return 1;
	}
	if (argc == 2)
		return console_show_proc(argv[1]);
	void *arg = nullptr;
	const proc_entry *e = proc_find_root_entry(argv[1]);
	if (!e)
		e = proc_lookup_path(argv[1], &arg);
	if (!e || !e->write) {
		console_printf("proc: %s: %s\n", argv[1], e ? "not writable" : "no such file");
		return 1;
	}
	char buf[128];
	usize n = kstd::strlcpy(buf, argv[2], sizeof(buf) - 1);
	if (n >= sizeof(buf) - 1) {
		console_printf("proc: value too long\n");
		return 1;
	}
	buf[n++] = '\n';
	long r = e->write(arg, buf, n);
	if (r < 0) {
		console_printf("proc: write %s: error %ld\n", argv[1], -r);
		return 1;
	}
	return 0;
}
CONSOLE_CMD(cmd_proc_rec, "proc", "proc <path> [value]: print (or write) a /proc file", cmd_proc);
CONSOLE_CMD(cmd_vmallocinfo_rec, "vmallocinfo", "/proc/vmallocinfo", cmd_vmallocinfo);

// Linux's debugfs cma/<area>/ files, one "file: value" line each.
static int cmd_cma(int, char **)
{
	if (!cma_area_count)
		console_printf("no CMA areas (no reusable reserved-memory node, no cma=)\n");
	for (cma &c : cma_area_list()) {
		console_printf("cma/%s:%s\n", cma_get_name(&c), &c == dma_contiguous_default_area ? " (default)" : "");
		console_printf("  base_pfn:      %#lx\n", c.base_pfn);
		console_printf("  count:         %lu\n", c.count);
		console_printf("  order_per_bit: %u\n", c.order_per_bit);
		console_printf("  used:          %lu\n", cma_used_pages(&c));
		console_printf("  maxchunk:      %lu\n", cma_maxchunk_pages(&c));
	}
	return 0;
}
CONSOLE_CMD(cmd_cma_rec, "cma", "the CMA areas (Linux's debugfs cma/<area>/ files)", cmd_cma);

// The run-time side of fault injection (Linux's debugfs fail_page_alloc/ and failslab/ until
// this kernel has a debugfs): `fault_inject failslab 1,10,0,-1 ignore-gfp-wait=0`, the same
// for fail_page_alloc (also min-order=N), `fault_inject off`, or no argument for the state.
static int cmd_fault_inject(int argc, char **argv)
{
	auto show = [] {
		console_printf("fail_page_alloc: interval %lu probability %lu space %ld times %ld ignore-gfp-wait %d "
			       "ignore-gfp-highmem %d min-order %u\n",
			       fail_page_alloc.attr.interval, fail_page_alloc.attr.probability, fail_page_alloc.attr.space,
			       fail_page_alloc.attr.times, fail_page_alloc.ignore_gfp_reclaim,
			       fail_page_alloc.ignore_gfp_highmem, fail_page_alloc.min_order);
		console_printf("failslab: interval %lu probability %lu space %ld times %ld ignore-gfp-wait %d\n",
			       failslab.attr.interval, failslab.attr.probability, failslab.attr.space, failslab.attr.times,
			       failslab.ignore_gfp_reclaim);
	};
	if (argc == 1) {
		show();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "off") == 0) {
		fail_page_alloc.attr.probability = failslab.attr.probability = 0;
		fault_inject_update(&fail_page_alloc.attr);
		fault_inject_update(&failslab.attr);
		show();
		return 0;
	}
	bool slab = strcmp(argv[1], "failslab") == 0;
	if (argc < 3 || (!slab && strcmp(argv[1], "fail_page_alloc") != 0)) {
		console_printf("usage: fault_inject [off | failslab|fail_page_alloc <interval>,<probability>,<space>,<times> "
			       "[ignore-gfp-wait=<bool>] [ignore-gfp-highmem=<bool>] [min-order=<n>]]\n");
		return 1;
	}
	fault_attr *attr = slab ? &failslab.attr : &fail_page_alloc.attr;
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			console_printf("fault_inject: %s: expected name=value\n", argv[i]);
			return 1;
		}
		*eq = 0;
		const char *v = eq + 1;
		auto b = kstd::kstrtobool(v);
		if (strcmp(argv[i], "ignore-gfp-wait") == 0 && !b.is_error()) {
			(slab ? failslab.ignore_gfp_reclaim : fail_page_alloc.ignore_gfp_reclaim) = b.value();
		} else if (!slab && strcmp(argv[i], "ignore-gfp-highmem") == 0 && !b.is_error()) {
			fail_page_alloc.ignore_gfp_highmem = b.value();
		} else if (!slab && strcmp(argv[i], "min-order") == 0) {
			const char *end;
			u64 o;
			if (!kstd::parse_u64(v, &end, 0, &o) || *end || o >= MAX_ORDER) {
				console_printf("fault_inject: min-order=%s: not an order\n", v);
				return 1;
			}
			fail_page_alloc.min_order = unsigned(o);
		} else {
			console_printf("fault_inject: %s=%s: unknown or malformed\n", argv[i], v);
			return 1;
		}
	}
	if (!setup_fault_attr(attr, argv[2]))
		return 1;
	show();
	return 0;
}
CONSOLE_CMD(cmd_fault_inject_rec, "fault_inject", "fail_page_alloc/failslab fault injection", cmd_fault_inject);
