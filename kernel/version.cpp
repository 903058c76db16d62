// Build identity for the banner and the reports (GIT_COMMIT, COMPILER, LINKER, BUILDER,
// BUILD_DATE and SLAB_NAME come from the Makefile; this file is rebuilt when they change).
#include "kernel/version.h"

#include <asm/smp.h>

// Linux's UTS_VERSION says SMP when the kernel is built for several CPUs (CONFIG_SMP); this
// one is (per-CPU state for NR_CPUS). It preempts kernel code (kernel/sched.h: on IRQ return
// and at preempt_enable), as CONFIG_PREEMPT, so PREEMPT too.
static_assert(NR_CPUS > 1, "a uniprocessor build drops SMP from UTS_VERSION");
#define UTS_VERSION "#1 SMP PREEMPT " BUILD_DATE

const char kernel_name[] = "mmkernel";
const char kernel_version[] = "0.1.0";
// Linux's `uname -r` with CONFIG_LOCALVERSION_AUTO: the version, then the commit.
const char kernel_release[] = "0.1.0-g" GIT_COMMIT;
const char kernel_uts_version[] = UTS_VERSION;
const char kernel_git_commit[] = GIT_COMMIT;
const char kernel_compiler[] = COMPILER;
const char kernel_slab[] = SLAB_NAME;

// Linux's linux_banner (init/version.c): "Linux version <release> (<by>@<host>) (<compiler>,
// <linker>) <UTS_VERSION>".
const char linux_banner[] = "mmkernel version 0.1.0-g" GIT_COMMIT " (" BUILDER ") (" COMPILER ", " LINKER ") " UTS_VERSION "\n";
