#include "kernel/bench.h"

#include <asm/arch_timer.h>

#include "core/params.h"
#include "core/printk.h"
#include "kstd/string.h"

extern "C" const BenchCase __start_bench_cases[], __stop_bench_cases[];

static char bench_selection[256];
static Result set_bench(const char *v)
{
	if (!v || !*v || kstd::strlcpy(bench_selection, v, sizeof(bench_selection)) >= sizeof(bench_selection))
		return Errno::EINVAL;
	return {};
}
EARLY_PARAM("bench", set_bench);

u64 bench_now_ns()
{
	u64 f = arch_timer_get_cntfrq();
	u64 t = arch_counter_get_cntpct();
	// t * 1e9 / f without overflow for any realistic uptime: split seconds and remainder.
	return (t / f) * 1000000000ull + (t % f) * 1000000000ull / f;
}

void bench_report(const char *name, u64 value, const char *unit)
{
	printk(KERN_INFO "bench: %s: %llu %s\n", name, (unsigned long long)value, unit);
}

void bench_report_ratio(const char *name, u64 total, u64 iterations, const char *unit)
{
	u64 hundredths = iterations ? total * 100 / iterations : 0;
	printk(KERN_INFO "bench: %s: %llu.%02llu %s\n", name, (unsigned long long)(hundredths / 100),
	       (unsigned long long)(hundredths % 100), unit);
}

static bool selected(const char *name)
{
	if (strcmp(bench_selection, "all") == 0)
		return true;
	usize n = strlen(name);
	for (const char *p = bench_selection; *p;) {
		const char *comma = strchr(p, ',');
		usize len = comma ? usize(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

bool bench_run_selected()
{
	if (!bench_selection[0])
		return false;
	for (const BenchCase *b = __start_bench_cases; b < __stop_bench_cases; b++)
		if (selected(b->name)) {
			pr_info("bench: running %s\n", b->name);
			b->fn();
		}
	pr_info("bench: done\n");
	return true;
}
