// KUnit-style runner printing KTAP version 1.
#include "kernel/ktest.h"

#include <stdarg.h>

#include "core/params.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "kernel/ledger.h"
#include "kernel/sched.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include <asm/mmu.h>
#include "lib/format.h"

extern "C" const KTestCase __start_ktest_suites[], __stop_ktest_suites[];

static char ktest_selection[256];
static int exit_status;

static Result set_ktest(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	if (kstd::strlcpy(ktest_selection, v, sizeof(ktest_selection)) >= sizeof(ktest_selection))
		return Errno::E2BIG;
	return {};
}
EARLY_PARAM("ktest", set_ktest);


void KTest::fail_at(const char *file, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_INFO "    # %s: EXPECTATION FAILED at %s:%d\n    %s\n", name_, file, line, buf);
	failed_ = true;
}

void KTest::fail_op_at(const char *file, int line, const char *a_text, const char *op, const char *b_text, KtValue a,
		       KtValue b)
{
	char buf[512];
	usize n = static_cast<usize>(kstd::scnprintf(buf, sizeof(buf), "Expected %s %s %s, but", a_text, op, b_text));
	const char *texts[2] = {a_text, b_text};
	const KtValue values[2] = {a, b};
	for (unsigned i = 0; i < 2; i++) {
		const char *text = texts[i];
		const KtValue &v = values[i];
		char value[24];
		if (v.is_signed)
			kstd::scnprintf(value, sizeof(value), "%lld", static_cast<long long>(v.bits));
		else
			kstd::scnprintf(value, sizeof(value), "%llu", v.bits);
		// A side written as the literal of its value says nothing new (KUnit's is_literal).
		if (strcmp(text, value) != 0)
			n += static_cast<usize>(kstd::scnprintf(buf + n, sizeof(buf) - n, "\n        %s == %s", text, value));
	}
	fail_at(file, line, "%s", buf);
}

void KTest::log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_INFO "    # %s: %s\n", name_, buf);
}

// "all" or a comma-separated list of suite names.
static bool selected(const char *sel, const char *suite)
{
	if (strcmp(sel, "all") == 0)
		return true;
	usize n = strlen(suite);
	for (const char *p = sel; *p;) {
		const char *comma = strchr(p, ',');
		usize len = comma ? usize(comma - p) : strlen(p);
		if (len == n && strncmp(p, suite, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

// Suites in link order: the first record of each distinct suite name.
static bool first_of_suite(const KTestCase *c)
{
	for (const KTestCase *p = __start_ktest_suites; p < c; p++)
		if (strcmp(p->suite, c->suite) == 0)
			return false;
	return true;
}

int ktest_run(const char *sel)
{
	int nsuites = 0;
	for (const KTestCase *c = __start_ktest_suites; c < __stop_ktest_suites; c++)
		if (first_of_suite(c) && selected(sel, c->suite))
			nsuites++;
	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..%d\n", nsuites);
	int suite_no = 0, total_fail = 0, tp = 0, tf = 0, ts = 0;
	for (const KTestCase *s = __start_ktest_suites; s < __stop_ktest_suites; s++) {
		if (!first_of_suite(s) || !selected(sel, s->suite))
			continue;
		int ncases = 0;
		for (const KTestCase *c = s; c < __stop_ktest_suites; c++)
			if (strcmp(c->suite, s->suite) == 0)
				ncases++;
		printk(KERN_INFO "    KTAP version 1\n");
		printk(KERN_INFO "    # Subtest: %s\n", s->suite);
		printk(KERN_INFO "    1..%d\n", ncases);
		memory_ledger before = memory_ledger_snapshot();
		int pass = 0, fail = 0, skip = 0, no = 0;
		for (const KTestCase *c = s; c < __stop_ktest_suites; c++) {
			if (strcmp(c->suite, s->suite) != 0)
				continue;
			KTest t(c->name);
			c->fn(t);
			no++;
			if (t.failed()) {
				fail++;
				printk(KERN_INFO "    not ok %d %s\n", no, c->name);
			} else if (t.skip_reason()) {
				skip++;
				printk(KERN_INFO "    ok %d %s # SKIP %s\n", no, c->name, t.skip_reason());
			} else {
				pass++;
				printk(KERN_INFO "    ok %d %s\n", no, c->name);
			}
		}
		char prefix[64];
		kstd::snprintf(prefix, sizeof(prefix), "    # %s: ", s->suite);
		bool ledger_ok = memory_ledger_compare(before, memory_ledger_snapshot(), prefix);
		printk(KERN_INFO "# %s: pass:%d fail:%d skip:%d total:%d\n", s->suite, pass, fail, skip, no);
		suite_no++;
		bool suite_ok = fail == 0 && ledger_ok;
		if (!suite_ok)
			total_fail++;
		if (suite_ok && skip == no && no > 0)
			printk(KERN_INFO "ok %d %s # SKIP\n", suite_no, s->suite);
		else
			printk(KERN_INFO "%s %d %s\n", suite_ok ? "ok" : "not ok", suite_no, s->suite);
		tp += pass;
		tf += fail;
		ts += skip;
	}
	printk(KERN_INFO "# Totals: pass:%d fail:%d skip:%d total:%d\n", tp, tf, ts, tp + tf + ts);
	return total_fail;
}

bool ktest_run_selected()
{
	if (!ktest_selection[0])
		return false;
	exit_status = ktest_run(ktest_selection) ? 1 : 0;
	return true;
}

int ktest_exit_status() { return exit_status; }
