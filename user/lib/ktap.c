#include "ktap.h"

static const char *cur_name;
static int cur_failed;
static const char *cur_skip;

int ktap_failed(void) { return cur_failed; }

void ktap_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("    # %s: EXPECTATION FAILED at %s:%d\n    %s\n", cur_name, file, line, buf);
	cur_failed = 1;
}

void ktap_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("    # %s: %s\n", cur_name, buf);
}

void ktap_skip(const char *reason) { cur_skip = reason; }

int ktap_run(const struct ktest_suite *suites, int nsuites)
{
	int total_fail = 0, tp = 0, tf = 0, ts = 0;
	printf("KTAP version 1\n1..%d\n", nsuites);
	for (int s = 0; s < nsuites; s++) {
		const struct ktest_suite *su = &suites[s];
		printf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", su->name, su->ncases);
		int pass = 0, fail = 0, skip = 0;
		for (int i = 0; i < su->ncases; i++) {
			cur_name = su->cases[i].name;
			cur_failed = 0;
			cur_skip = 0;
			su->cases[i].fn();
			if (cur_failed) {
				fail++;
				printf("    not ok %d %s\n", i + 1, cur_name);
			} else if (cur_skip) {
				skip++;
				printf("    ok %d %s # SKIP %s\n", i + 1, cur_name, cur_skip);
			} else {
				pass++;
				printf("    ok %d %s\n", i + 1, cur_name);
			}
		}
		printf("# %s: pass:%d fail:%d skip:%d total:%d\n", su->name, pass, fail, skip, su->ncases);
		if (fail)
			total_fail++;
		if (!fail && skip == su->ncases && su->ncases > 0)
			printf("ok %d %s # SKIP\n", s + 1, su->name);
		else
			printf("%s %d %s\n", fail ? "not ok" : "ok", s + 1, su->name);
		tp += pass;
		tf += fail;
		ts += skip;
	}
	printf("# Totals: pass:%d fail:%d skip:%d total:%d\n", tp, tf, ts, tp + tf + ts);
	return total_fail;
}
