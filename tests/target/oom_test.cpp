// The OOM killer on the target (ktest=oom): real exhaustion of the page allocator by a user
// process, with other processes alive beside it.
//
// How memory is bounded: each case first takes all free memory but BALLOON_LEAVE (128 MiB) out
// of the buddy allocator into a kernel-held balloon (high-order blocks the OOM killer cannot
// see, as kernel memory), so that the hog runs the allocator dry for real within a bounded
// number of faults, whatever the machine's RAM (the runner boots 512 MiB to 4 GiB machines
// with ktest=all), and gives everything back at the end. A hog that must survive
// (oom_score_adj -1000) is bounded too: it writes exactly as many pages as were free when it
// was released, which cannot fit beside the memory the others hold (the min watermarks and its
// page tables come on top) and fits once a victim's 64 MiB are back.
//
// Coordination without timing: every program maps a "control page" at CTL (MAP_FIXED) and
// spins on it with sched_yield; the test reads and writes that page through the linear map
// (the page the program's PTE points to) to know when it is ready and to release it. Nothing
// depends on how fast the host is: each step waits for the state it needs.
//
// After every case the free-page count is back exactly where it was, and the report lines are
// checked in the log.
#include <asm/pgtable.h>

#include "core/ktest.h"
#include "kernel/exit.h"
#include "kernel/ktest.h"
#include "kernel/oom.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/mm_struct.h"
#include "mm/oom.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmstat.h"

// Control page layout (u64 words): [0] state written by the program, [1] command written by
// the test, [2] the hog's page count (0: no limit).
asm(R"(
.macro OELF_BEGIN name
	.pushsection .rodata.oom_progs, "a"
	.balign 16
	.globl \name
\name:
	.byte 0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0
	.quad 0
	.hword 2, 183
	.word 1
	.quad 0x400000 + (\name\()_entry - \name)
	.quad 64
	.quad 0
	.word 0
	.hword 64, 56, 1, 64, 0, 0
	.word 1, 5
	.quad 0, 0x400000, 0x400000
	.quad \name\()_end - \name
	.quad \name\()_end - \name
	.quad 0x1000
.endm
.macro OELF_END name
	.balign 4
	.globl \name\()_end
\name\()_end:
	.popsection
.endm
.macro OSYS nr
	mov	x8, #\nr
	svc	#0
.endm
// x19 = the control page at 0x10000000 (mmap MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS, RW).
.macro CTL_MAP
	mov	x0, #0x10000000
	mov	x1, #4096
	mov	x2, #3
	mov	x3, #0x32
	mov	x4, #-1
	mov	x5, #0
	OSYS 222
	mov	x19, #0x10000000
	cmp	x0, x19
	b.ne	9f
.endm

// A worker: writes each page of a private mapping of \pages pages with its index, says ready
// (state 1), then until released (command 2) maps, writes and unmaps one page per round (it
// allocates while the hog runs out), then checks every page still holds its index and
// exits 0 (1 when something is wrong).
.macro WORKER name, pages
OELF_BEGIN \name
\name\()_entry:
	CTL_MAP
	mov	x0, #0
	ldr	x1, =(\pages * 4096)
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	OSYS 222
	cmn	x0, #4096
	b.hi	9f
	mov	x20, x0
	mov	x21, #0
1:	add	x22, x20, x21, lsl #12
	str	x21, [x22]
	add	x21, x21, #1
	cmp	x21, #\pages
	b.ne	1b
	mov	x0, #1
	str	x0, [x19]
2:	mov	x0, #0
	mov	x1, #4096
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	OSYS 222
	cmn	x0, #4096
	b.hi	9f
	str	x0, [x0]
	mov	x1, #4096
	OSYS 215
	OSYS 124
	ldr	x0, [x19, #8]
	cmp	x0, #2
	b.ne	2b
	mov	x21, #0
3:	add	x22, x20, x21, lsl #12
	ldr	x0, [x22]
	cmp	x0, x21
	b.ne	9f
	add	x21, x21, #1
	cmp	x21, #\pages
	b.ne	3b
	mov	x0, #0
	OSYS 93
9:	mov	x0, #1
	OSYS 93
	.ltorg
OELF_END \name
.endm

WORKER oom_small, 256
WORKER oom_big, 16384

// The hog: ready (state 1), waits for command 2, then writes pages of a 4 GiB MAP_NORESERVE
// mapping: [2] of them (then exits 0), or all of them (it never gets there with 1 GiB).
OELF_BEGIN oom_hog
oom_hog_entry:
	CTL_MAP
	mov	x0, #1
	str	x0, [x19]
1:	OSYS 124
	ldr	x0, [x19, #8]
	cmp	x0, #2
	b.ne	1b
	ldr	x22, [x19, #16]
	mov	x0, #0
	mov	x1, #0x100000000
	mov	x2, #3
	mov	x3, #0x4022
	mov	x4, #-1
	mov	x5, #0
	OSYS 222
	cmn	x0, #4096
	b.hi	9f
	mov	x20, x0
	mov	x21, #0x100000
	cbz	x22, 2f
	mov	x21, x22
2:	str	x21, [x20]
	add	x20, x20, #4096
	subs	x21, x21, #1
	b.ne	2b
	mov	x0, #0
	OSYS 93
9:	mov	x0, #1
	OSYS 93
OELF_END oom_hog
)");

#define OOM_PROG(name) extern "C" const u8 name[], name##_end[];
OOM_PROG(oom_small)
OOM_PROG(oom_big)
OOM_PROG(oom_hog)

namespace {

constexpr unsigned long CTL = 0x10000000;

unsigned long free_pages_now()
{
	kmem_cache_shrink_all();
	return nr_free_pages();
}

constexpr unsigned long BALLOON_LEAVE = 32768; // pages left free (128 MiB)
constexpr unsigned long VICTIM_PAGES = 16384;  // oom_big and oom_stuck (64 MiB)

// Free memory taken out of circulation for the case (blocks linked by lru, order in private).
struct Balloon {
	list_head blocks = LIST_HEAD_INIT(blocks);
	unsigned long pages = 0;

	void inflate(unsigned long leave)
	{
		for (int order = MAX_ORDER - 1; order >= 0; order--) {
			while (nr_free_pages() > leave + (1ul << order)) {
				// Never the OOM killer's business: no retries, no warnings.
				page *p = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, static_cast<unsigned>(order));
				if (!p)
					break;
				set_page_private(p, static_cast<unsigned long>(order));
				list_add(&p->lru, &blocks);
				pages += 1ul << order;
			}
		}
	}
	void deflate()
	{
		while (!list_empty(&blocks)) {
			page *p = list_first_entry(&blocks, page, lru);
			list_del(&p->lru);
			unsigned order = static_cast<unsigned>(page_private(p));
			set_page_private(p, 0);
			__free_pages(p, order);
		}
		pages = 0;
	}
	~Balloon() { deflate(); }
};

// The control page's word i as the kernel sees it, or nullptr while it is not mapped yet.
volatile u64 *ctl_word(task_struct *t, int i)
{
	mm_struct *mm = t->mm;
	if (!mm)
		return nullptr;
	u64 *pte = mm_pte_lookup(mm, CTL);
	if (!pte || !pte_present(*pte))
		return nullptr;
	return reinterpret_cast<volatile u64 *>(static_cast<char *>(page_address(pfn_to_page(pte_pfn(*pte)))) + 8 * i);
}

// Sleeps a tick at a time until the program says `state` (false: it ended first).
bool wait_state(task_struct *t, u64 state)
{
	for (;;) {
		if (__atomic_load_n(&t->exit_state, __ATOMIC_ACQUIRE))
			return false;
		volatile u64 *w = ctl_word(t, 0);
		if (w && *w == state)
			return true;
		schedule_timeout_uninterruptible(1);
	}
}

void command(task_struct *t, u64 cmd, u64 arg = 0)
{
	volatile u64 *w = ctl_word(t, 0);
	if (!w)
		return;
	w[2] = arg;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w[1] = cmd;
}

task_struct *spawn(KTest &t, const char *name, const u8 *start, const u8 *end)
{
	const char *argv[] = {name};
	auto r = spawn_program_image(name, kstd::span<const u8>(start, static_cast<usize>(end - start)),
				     kstd::span<const char *const>(argv, 1), {});
	if (r.is_error()) {
		t.fail_at(__FILE__, __LINE__, "%s did not start: %s", name, r.error().name());
		return nullptr;
	}
	return r.value();
}

// Log lines containing a string.
const char *needle;
unsigned hits;
void count_line(const char *s, usize n)
{
	usize m = strlen(needle);
	for (usize i = 0; i + m <= n; i++)
		if (memcmp(s + i, needle, m) == 0) {
			hits++;
			return;
		}
}
unsigned log_count(const char *s)
{
	needle = s;
	hits = 0;
	dmesg_dump(count_line);
	return hits;
}

// A log line to look for, and how many there were when the mark was made.
struct LogMark {
	char text[112];
	unsigned before = 0;
	void set() { before = log_count(text); }
	unsigned added() const { return log_count(text) - before; }
};
#define LOG_MARK(m, ...)                                              \
	LogMark m;                                                        \
	kstd::snprintf(m.text, sizeof(m.text), __VA_ARGS__);              \
	m.set()

void expect_exit0(KTest &t, const char *what, const exit_info &e)
{
	if (e.kind != ExitKind::Exited || e.status != 0)
		t.fail_at(__FILE__, __LINE__, "%s: expected exit 0, got %s %d (%s)", what,
			  e.kind == ExitKind::Exited ? "exit" : "signal", e.kind == ExitKind::Exited ? e.status : e.signal,
			  e.reason);
}

void expect_oom_killed(KTest &t, const char *what, const exit_info &e)
{
	if (e.kind != ExitKind::Killed || e.signal != SIGKILL || strcmp(e.reason, "out of memory") != 0)
		t.fail_at(__FILE__, __LINE__, "%s: expected an OOM kill, got %s %d (%s)", what,
			  e.kind == ExitKind::Exited ? "exit" : "signal", e.kind == ExitKind::Exited ? e.status : e.signal,
			  e.reason);
}

} // namespace

// Three processes; the hog runs the machine out of memory while two workers keep allocating.
// The hog is killed with the report; the workers carry on and end with 0.
KTEST(oom, hog_killed_others_finish)
{
	unsigned long free0 = free_pages_now();
	Balloon balloon;
	balloon.inflate(BALLOON_LEAVE);
	unsigned long kills0 = global_vm_event(OOM_KILL);
	unsigned invoked0 = log_count("invoked oom-killer: gfp_mask=0x");
	unsigned table0 = log_count("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
	set_user_console_prefix("    # ");
	task_struct *a = spawn(t, "oom_small", oom_small, oom_small_end);
	task_struct *b = spawn(t, "oom_small", oom_small, oom_small_end);
	task_struct *h = spawn(t, "oom_hog", oom_hog, oom_hog_end);
	if (!a || !b || !h) {
		set_user_console_prefix(nullptr);
		return; // the ledger check of the suite reports what was left
	}
	KT_EXPECT_TRUE(t, wait_state(a, 1));
	KT_EXPECT_TRUE(t, wait_state(b, 1));
	KT_EXPECT_TRUE(t, wait_state(h, 1));
	LOG_MARK(killed, "Out of memory: Killed process %d (%s) total-vm:", h->pid, "oom_hog");
	LOG_MARK(summary, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=%s,pid=%d,uid=0", "oom_hog", h->pid);
	// Each worker's row in the task table: "[    pid]     0   pid ..." (%7d, %5d).
	char row_a[32], row_b[32];
	kstd::snprintf(row_a, sizeof(row_a), "[%7d]     0 %5d ", a->pid, a->pid);
	kstd::snprintf(row_b, sizeof(row_b), "[%7d]     0 %5d ", b->pid, b->pid);
	unsigned rows0 = log_count(row_a) + log_count(row_b);
	command(h, 2, 0);
	exit_info he = reap_program(h);
	expect_oom_killed(t, "hog", he);
	KT_EXPECT_GT(t, he.maxrss_kb, BALLOON_LEAVE * 4 / 2); // it really ate what there was
	// The workers are still there, and go on.
	KT_EXPECT_EQ(t, a->exit_state, 0);
	KT_EXPECT_EQ(t, b->exit_state, 0);
	command(a, 2);
	command(b, 2);
	exit_info ae = reap_program(a), be = reap_program(b);
	set_user_console_prefix(nullptr);
	expect_exit0(t, "worker a", ae);
	expect_exit0(t, "worker b", be);
	oom_reaper_wait_idle();
	KT_EXPECT_EQ(t, global_vm_event(OOM_KILL) - kills0, 1ul);
	KT_EXPECT_EQ(t, log_count("invoked oom-killer: gfp_mask=0x") - invoked0, 1u);
	KT_EXPECT_EQ(t, log_count("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name") - table0, 1u);
	KT_EXPECT_EQ(t, killed.added(), 1u);
	KT_EXPECT_EQ(t, summary.added(), 1u);
	KT_EXPECT_EQ(t, log_count(row_a) + log_count(row_b) - rows0, 2u); // both workers were candidates
	balloon.deflate();
	KT_EXPECT_EQ(t, free_pages_now(), free0);
}

// oom_score_adj -1000 on the hog: it is never chosen; the biggest other process is, and the
// hog, bounded to what was free, then fits and ends normally.
KTEST(oom, score_adj_min_protects_the_hog)
{
	unsigned long free0 = free_pages_now();
	Balloon balloon;
	balloon.inflate(BALLOON_LEAVE);
	unsigned long kills0 = global_vm_event(OOM_KILL);
	set_user_console_prefix("    # ");
	task_struct *big = spawn(t, "oom_big", oom_big, oom_big_end);
	task_struct *small = spawn(t, "oom_small", oom_small, oom_small_end);
	task_struct *h = spawn(t, "oom_hog", oom_hog, oom_hog_end);
	if (!big || !small || !h) {
		set_user_console_prefix(nullptr);
		return;
	}
	KT_EXPECT_TRUE(t, wait_state(big, 1));
	KT_EXPECT_TRUE(t, wait_state(small, 1));
	KT_EXPECT_TRUE(t, wait_state(h, 1));
	KT_EXPECT_EQ(t, oom_set_score_adj(h->pid, OOM_SCORE_ADJ_MIN), 0);
	KT_EXPECT_EQ(t, oom_set_score_adj(h->pid, OOM_SCORE_ADJ_MIN - 1), -22);
	KT_EXPECT_EQ(t, oom_set_score_adj(999999, 0), -3);
	LOG_MARK(killed_big, "Out of memory: Killed process %d (%s) total-vm:", big->pid, "oom_big");
	LOG_MARK(killed_hog, "Out of memory: Killed process %d (%s) total-vm:", h->pid, "oom_hog");
	char adj_row[48];
	kstd::snprintf(adj_row, sizeof(adj_row), "         -1000 oom_hog");
	unsigned adj_rows0 = log_count(adj_row);
	// Exactly what is free now: with the workers' memory held it cannot fit (the min watermark
	// and the hog's page tables come on top); with oom_big's 64 MiB back it does.
	command(h, 2, nr_free_pages());
	exit_info he = reap_program(h);
	expect_exit0(t, "hog (-1000)", he);
	exit_info be = reap_program(big);
	expect_oom_killed(t, "oom_big", be);
	command(small, 2);
	exit_info se = reap_program(small);
	set_user_console_prefix(nullptr);
	expect_exit0(t, "oom_small", se);
	oom_reaper_wait_idle();
	KT_EXPECT_EQ(t, killed_big.added(), 1u);
	KT_EXPECT_EQ(t, killed_hog.added(), 0u);
	KT_EXPECT_GE(t, log_count(adj_row) - adj_rows0, 1u); // listed with its adjustment
	KT_EXPECT_EQ(t, global_vm_event(OOM_KILL) - kills0, 1ul);
	balloon.deflate();
	KT_EXPECT_EQ(t, free_pages_now(), free0);
}

namespace {

// A process that cannot run: a task with a user address space (VICTIM_PAGES written) asleep
// uninterruptibly in the kernel, as one stuck in a D-state syscall. Released by the test.
struct StuckCtx {
	completion ready, release;
	unsigned long pages;
	bool ok;
};

int stuck_main(void *arg)
{
	auto *c = static_cast<StuckCtx *>(arg);
	task_struct *me = current;
	auto mm = mm_alloc();
	if (!mm.is_error()) {
		unsigned long len = c->pages * PAGE_SIZE;
		auto addr = mmap_region(mm.value(), 0x20000000, len, VM_READ | VM_WRITE, nullptr, 0);
		me->mm = mm.value();
		c->ok = !addr.is_error() && !mm_populate(mm.value(), 0x20000000, len).is_error();
	}
	complete(&c->ready);
	wait_for_completion(&c->release);
	do_exit(fatal_signal_pending(me) ? SIGKILL : 0);
}

} // namespace

// The reaper: the victim cannot run, so it cannot exit by itself; its anonymous memory comes
// back anyway, and the allocation waiting for it succeeds.
KTEST(oom, reaper_frees_a_victim_that_cannot_run)
{
	unsigned long free0 = free_pages_now();
	Balloon balloon;
	balloon.inflate(BALLOON_LEAVE);
	oom_stats st0 = oom_get_stats();
	StuckCtx c{};
	c.pages = VICTIM_PAGES;
	task_struct *s = create_task("oom_stuck", stuck_main, &c, 0);
	KT_ASSERT_TRUE(t, s != nullptr);
	get_task_struct(s);
	wake_up_new_task(s);
	wait_for_completion(&c.ready);
	KT_EXPECT_TRUE(t, c.ok);
	KT_EXPECT_EQ(t, static_cast<unsigned long>(s->mm ? s->mm->rss_stat[MM_ANONPAGES] : 0), VICTIM_PAGES);
	set_user_console_prefix("    # ");
	task_struct *h = spawn(t, "oom_hog", oom_hog, oom_hog_end);
	if (!h) {
		set_user_console_prefix(nullptr);
		complete(&c.release);
		reap_program(s);
		return;
	}
	KT_EXPECT_TRUE(t, wait_state(h, 1));
	KT_EXPECT_EQ(t, oom_set_score_adj(h->pid, OOM_SCORE_ADJ_MIN), 0);
	LOG_MARK(killed, "Out of memory: Killed process %d (%s) total-vm:", s->pid, "oom_stuck");
	LOG_MARK(reaped, "oom_reaper: reaped process %d (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", s->pid,
		 "oom_stuck");
	command(h, 2, nr_free_pages());
	exit_info he = reap_program(h);
	set_user_console_prefix(nullptr);
	expect_exit0(t, "hog (-1000)", he);
	// The hog may go on as soon as the pages are back, before the reaper has reported.
	oom_reaper_wait_idle();
	// The stuck task never ran: it still sleeps, with SIGKILL pending and nothing resident.
	KT_EXPECT_EQ(t, s->exit_state, 0);
	KT_EXPECT_TRUE(t, fatal_signal_pending(s));
	KT_EXPECT_EQ(t, static_cast<unsigned long>(s->mm ? get_mm_rss(s->mm) : 1), 0ul);
	KT_EXPECT_EQ(t, killed.added(), 1u);
	KT_EXPECT_EQ(t, reaped.added(), 1u);
	oom_stats st1 = oom_get_stats();
	KT_EXPECT_EQ(t, st1.reaped - st0.reaped, 1ul);
	KT_EXPECT_GE(t, st1.waits - st0.waits, 1ul); // the hog slept for the victim, it did not spin
	complete(&c.release);
	exit_info se = reap_program(s);
	expect_oom_killed(t, "oom_stuck", se);
	oom_reaper_wait_idle();
	balloon.deflate();
	KT_EXPECT_EQ(t, free_pages_now(), free0);
}

// The victim's own allocation: a hog alone (the allocating task is the one chosen) gets SIGKILL
// inside its own fault, dips into the reserves or fails, and dies on the way to EL0.
KTEST(oom, allocating_task_is_the_victim)
{
	unsigned long free0 = free_pages_now();
	Balloon balloon;
	balloon.inflate(BALLOON_LEAVE);
	oom_stats st0 = oom_get_stats();
	set_user_console_prefix("    # ");
	task_struct *h = spawn(t, "oom_hog", oom_hog, oom_hog_end);
	if (!h) {
		set_user_console_prefix(nullptr);
		return;
	}
	KT_EXPECT_TRUE(t, wait_state(h, 1));
	char invoked[64];
	kstd::snprintf(invoked, sizeof(invoked), "oom_hog invoked oom-killer: gfp_mask=0x");
	unsigned inv0 = log_count(invoked);
	command(h, 2, 0);
	exit_info he = reap_program(h);
	set_user_console_prefix(nullptr);
	expect_oom_killed(t, "hog", he);
	oom_reaper_wait_idle();
	KT_EXPECT_EQ(t, log_count(invoked) - inv0, 1u);
	oom_stats st1 = oom_get_stats();
	KT_EXPECT_EQ(t, st1.kills - st0.kills, 1ul);
	KT_EXPECT_EQ(t, st1.reaped - st0.reaped, 0ul); // it exited by itself
	balloon.deflate();
	KT_EXPECT_EQ(t, free_pages_now(), free0);
}
