// Signal delivery on arm64 (Linux's arch/arm64/kernel/signal.c): the rt_sigframe a handler
// runs on (asm/sigframe.h), rt_sigreturn, and the restart of an interrupted syscall.
//
// Delivery, on the way back to EL0 (exit_to_user_mode -> do_signal): an interrupted syscall's
// -ERESTART* result is first turned into a restart (pc back on the svc, x0 = orig_x0); if a
// handler runs, -ERESTARTNOHAND and -ERESTART_RESTARTBLOCK always, and -ERESTARTSYS without
// SA_RESTART, become -EINTR instead. The frame holds the interrupted registers, the mask to
// return to, the alternate-stack state, the FP/SIMD registers (an fpsimd_context record) and,
// after a fault, its ESR (esr_context). The handler starts with x0 = signal, x1 = &siginfo,
// x2 = &ucontext, sp = the frame, x29 = the frame record above it, x30 = sa_restorer.
//
// Returning from a handler: x30 is sa_restorer with SA_RESTORER (musl sets it). Without it
// Linux returns through the vDSO's __kernel_rt_sigreturn, which is what glibc on arm64
// relies on. There is no vDSO here yet, so the first such delivery maps a one-page
// trampoline (mov x8, #139; svc #0) read-only and executable into the process, anonymous and
// private like Linux arm32's [sigpage], and x30 points at it. A page that cannot be mapped
// fails the delivery as an unwritable frame does: SIGSEGV.
#include <asm/processor.h>
#include <asm/ptrace.h>
#include <asm/sigframe.h>
#include <asm/uaccess.h>

#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"

namespace {

constexpr long EFAULT_ = 14, EINTR_ = 4;
constexpr u64 __NR_restart_syscall_ = 128;

// The start of the frame up to sigcontext.__reserved (its layout, checked against rt_sigframe).
// Written and read field group by field group, as Linux's setup_sigframe: the padding and
// uc_sigmask's unused tail stay what the user's stack held.
struct frame_head {
	user_siginfo info;
	u64 uc_flags, uc_link;
	user_stack_t uc_stack;
	u64 uc_sigmask;
	u8 uc_unused[1024 / 8 - sizeof(u64)];
	u64 mcontext_align; // uc_mcontext is 16-aligned
	u64 fault_address;
	u64 regs[31];
	u64 sp, pc, pstate;
	u64 pad;
};
static_assert(sizeof(frame_head) == offsetof(rt_sigframe, uc.uc_mcontext.__reserved));
static_assert(offsetof(frame_head, uc_sigmask) == offsetof(rt_sigframe, uc.uc_sigmask));
static_assert(offsetof(frame_head, uc_stack) == offsetof(rt_sigframe, uc.uc_stack));
static_assert(offsetof(frame_head, fault_address) == offsetof(rt_sigframe, uc.uc_mcontext.fault_address));
static_assert(offsetof(frame_head, regs) == offsetof(rt_sigframe, uc.uc_mcontext.regs));
static_assert(offsetof(frame_head, pstate) == offsetof(rt_sigframe, uc.uc_mcontext.pstate));

// sigcontext up to __reserved: fault_address, regs, sp, pc, pstate (one copy each way).
struct sigctx_regs {
	u64 fault_address;
	u64 regs[31];
	u64 sp, pc, pstate;
};
static_assert(sizeof(sigctx_regs) == offsetof(frame_head, pad) - offsetof(frame_head, fault_address));
constexpr u64 SIGCTX_OFF = offsetof(rt_sigframe, uc.uc_mcontext.fault_address);
constexpr u64 SIGMASK_OFF = offsetof(rt_sigframe, uc.uc_sigmask);

constexpr u64 RESERVED_OFF = offsetof(rt_sigframe, uc.uc_mcontext.__reserved);
constexpr u64 RESERVED_SIZE = sizeof(sigcontext::__reserved);

bool put(u64 uaddr, const void *src, u64 n) { return copy_to_user(reinterpret_cast<void *>(uaddr), src, n) == 0; }
bool get(void *dst, u64 uaddr, u64 n) { return copy_from_user(dst, reinterpret_cast<const void *>(uaddr), n) == 0; }

// The task's FP/SIMD registers are live in the CPU while it runs in the kernel (C++ here never
// touches them), and thread.uw_fpsimd is only where a context switch (or fork) saves them. A
// signal frame takes them straight from the registers into its own buffer: a switch in the
// middle saves and later restores the very same values, so no preemption guard is needed.
void sigframe_save_fpsimd(user_fpsimd_state *out) { fpsimd_save_state(out); }

// sigreturn loads the frame's values into the registers, which are the task's state from then
// on; preemption is off only so that a switch cannot save half-loaded registers.
void sigreturn_load_fpsimd(const user_fpsimd_state *st)
{
	preempt_disable();
	fpsimd_load_state(st);
	preempt_enable();
}

constexpr u32 SIGTRAMP_CODE[2] = {
	0xd2801168, // mov x8, #139 (__NR_rt_sigreturn)
	0xd4000001, // svc #0
};

// The trampoline for handlers without SA_RESTORER (see the top of the file): the task's page
// if it is still there (an exec replaces the mm, a fork copies it), else a new one. 0: none.
u64 sigtramp_page(task_struct *t)
{
	mm_struct *mm = t->mm;
	if (!mm)
		return 0;
	if (u64 a = t->sigtramp) {
		vm_area_struct *v = find_vma(mm, a);
		u32 code[2];
		if (v && v->vm_start <= a && (v->vm_flags & VM_EXEC) && !(v->vm_flags & VM_WRITE) &&
		    get(code, a, sizeof(code)) && memcmp(code, SIGTRAMP_CODE, sizeof(code)) == 0)
			return a;
	}
	constexpr u64 PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
	long a = ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	if (a < 0 && a >= -4095)
		return 0;
	u64 addr = static_cast<u64>(a);
	if (!put(addr, SIGTRAMP_CODE, sizeof(SIGTRAMP_CODE)) ||
	    ksys_mprotect(mm, addr, PAGE_SIZE, PROT_READ | PROT_EXEC) != 0) {
		ksys_munmap(mm, addr, PAGE_SIZE);
		return 0;
	}
	// The instructions were written as data: clean them to the point of unification and
	// drop any stale instruction-cache line before they run.
	asm volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" ::"r"(addr) : "memory");
	t->sigtramp = addr;
	return addr;
}

int setup_rt_frame(const ksignal *ksig, pt_regs *regs)
{
	task_struct *t = current;
	u64 restorer = ksig->ka.restorer;
	if (!(ksig->ka.flags & SA_RESTORER)) {
		restorer = sigtramp_page(t);
		if (!restorer)
			return -EFAULT_;
	}
	// Linux's get_sigframe: the frame record just below the (alternate) stack top, the frame
	// below it, both 16-aligned.
	u64 sp_top = sigsp(regs->sp, ksig);
	u64 next_frame = (sp_top - sizeof(frame_record)) & ~u64(15);
	u64 frame = next_frame - sizeof(rt_sigframe);
	if (sp_top < sizeof(rt_sigframe) + sizeof(frame_record) ||
	    !access_ok(reinterpret_cast<void *>(frame), sp_top - frame))
		return -EFAULT_;

	frame_record fr{regs->regs[29], regs->regs[30]};
	if (!put(next_frame, &fr, sizeof(fr)))
		return -EFAULT_;

	if (ksig->ka.flags & SA_SIGINFO) {
		// kernel_siginfo's 48 bytes, the rest of the 128 zero (copy_siginfo_to_user).
		user_siginfo info;
		memset(&info, 0, sizeof(info));
		memcpy(&info, &ksig->info, sizeof(ksig->info));
		if (!put(frame + offsetof(rt_sigframe, info), &info, sizeof(info)))
			return -EFAULT_;
	}
	// uc_flags, uc_link, uc_stack and uc_sigmask lie together: one copy.
	struct {
		u64 uc_flags, uc_link;
		user_stack_t uc_stack;
		u64 uc_sigmask;
	} uh{0, 0, altstack_to_save(regs->sp), sigmask_to_save()};
	static_assert(offsetof(frame_head, uc_stack) == offsetof(frame_head, uc_flags) + 16 &&
		      offsetof(frame_head, uc_sigmask) == offsetof(frame_head, uc_flags) + 16 + sizeof(user_stack_t) &&
		      sizeof(uh) == 16 + sizeof(user_stack_t) + 8);
	sigctx_regs sc;
	sc.fault_address = t->fault_address;
	memcpy(sc.regs, regs->regs, sizeof(sc.regs));
	sc.sp = regs->sp;
	sc.pc = regs->pc;
	sc.pstate = regs->pstate;
	if (!put(frame + offsetof(frame_head, uc_flags), &uh, sizeof(uh)) || !put(frame + SIGCTX_OFF, &sc, sizeof(sc)))
		return -EFAULT_;
	altstack_saved();

	// The context records in one copy: fpsimd_context (the registers saved straight into the
	// buffer, user_fpsimd_state's vregs falling exactly where the record's go), esr_context
	// after a fault, the null terminator. The saved fpsr/fpcr (and the padding after them)
	// sit where the next record starts: moved into the header, then overwritten.
	struct alignas(16) {
		_aarch64_ctx head;
		u32 fpsr, fpcr;
		user_fpsimd_state st;
		u64 more[2];
	} blk;
	static_assert(offsetof(decltype(blk), st) + offsetof(user_fpsimd_state, vregs) == offsetof(fpsimd_context, vregs) &&
		      offsetof(decltype(blk), st) + sizeof(blk.st.vregs) == sizeof(fpsimd_context) &&
		      offsetof(decltype(blk), more) == sizeof(fpsimd_context) + 16);
	sigframe_save_fpsimd(&blk.st);
	blk.head = {FPSIMD_MAGIC, sizeof(fpsimd_context)};
	blk.fpsr = blk.st.fpsr;
	blk.fpcr = blk.st.fpcr;
	u8 *next = reinterpret_cast<u8 *>(&blk) + sizeof(fpsimd_context);
	usize len = sizeof(fpsimd_context);
	if (t->fault_code) {
		esr_context e{{ESR_MAGIC, sizeof(esr_context)}, t->fault_code};
		__builtin_memcpy(next, &e, sizeof(e));
		next += sizeof(e);
		len += sizeof(e);
	}
	__builtin_memset(next, 0, sizeof(_aarch64_ctx)); // the terminator {0, 0}
	len += sizeof(_aarch64_ctx);
	if (!put(frame + RESERVED_OFF, &blk, len))
		return -EFAULT_;

	regs->regs[0] = static_cast<u64>(ksig->sig);
	if (ksig->ka.flags & SA_SIGINFO) {
		regs->regs[1] = frame + offsetof(rt_sigframe, info);
		regs->regs[2] = frame + offsetof(rt_sigframe, uc);
	}
	regs->sp = frame;
	regs->regs[29] = next_frame;
	regs->pc = ksig->ka.handler;
	regs->regs[30] = restorer;
	return 0;
}

void handle_signal(const ksignal *ksig, pt_regs *regs)
{
	int r = setup_rt_frame(ksig, regs);
	signal_setup_done(r != 0, ksig);
}

// Linux's valid_native_regs (with user_regs_reset_single_step): RES0 bits cleared, and the
// state must be AArch64 EL0t with D, A, I and F unmasked.
bool valid_user_pstate(u64 &pstate)
{
	constexpr u64 RES0 = 0xffffffff00000000ull | (3ull << 26) | (3ull << 22) | (0xffull << 13) | (1ull << 5);
	constexpr u64 DBG_SPSR_SS = 1ull << 21, PSR_MODE_MASK = 0xf, PSR_MODE32_BIT = 1ull << 4,
		      PSR_DAIF = 0xfull << 6, PSR_NZCV = 0xfull << 28;
	pstate &= ~(RES0 | DBG_SPSR_SS);
	if ((pstate & PSR_MODE_MASK) == 0 && !(pstate & PSR_MODE32_BIT) && !(pstate & PSR_DAIF))
		return true;
	pstate &= PSR_NZCV;
	return false;
}

// Walks the records of sigcontext.__reserved (Linux's parse_user_sigframe): fpsimd_context
// exactly once, esr_context ignored, anything else (or a malformed list) invalid.
bool restore_records(u64 frame, user_fpsimd_state *st)
{
	u64 base = frame + RESERVED_OFF;
	u64 offset = 0, limit = RESERVED_SIZE;
	bool have_fpsimd = false;
	for (;;) {
		if (offset & 15)
			return false;
		_aarch64_ctx head;
		if (limit - offset < sizeof(head) || !get(&head, base + offset, sizeof(head)))
			return false;
		if (head.magic == 0) {
			if (head.size)
				return false;
			break;
		}
		if (head.size < sizeof(head) || limit - offset < head.size)
			return false;
		switch (head.magic) {
		case FPSIMD_MAGIC: {
			if (have_fpsimd || head.size != sizeof(fpsimd_context))
				return false;
			// The header's fpsr/fpcr, then the registers straight into st.
			u32 ctl[2];
			if (!get(ctl, base + offset + sizeof(head), sizeof(ctl)) ||
			    !get(st->vregs, base + offset + offsetof(fpsimd_context, vregs), sizeof(st->vregs)))
				return false;
			st->fpsr = ctl[0];
			st->fpcr = ctl[1];
			have_fpsimd = true;
			break;
		}
		case ESR_MAGIC:
			break; // information for the handler only
		default:
			return false;
		}
		offset += head.size;
	}
	return have_fpsimd;
}

// SIGSEGV for a frame that cannot be read back (Linux's arm64_notify_segfault): SEGV_ACCERR
// when sp is inside a mapping, SEGV_MAPERR otherwise.
void notify_segfault(pt_regs *regs, u64 addr)
{
	task_struct *t = current;
	int code = SEGV_MAPERR;
	if (t->mm) {
		// No mmap_lock yet (mm/mm_struct.h): only this task's own syscalls change its VMAs.
		vm_area_struct *v = find_vma(t->mm, addr);
		if (v && v->vm_start <= addr)
			code = SEGV_ACCERR;
	}
	t->fault_address = 0;
	t->fault_code = 0;
	force_sig_fault(SIGSEGV, code, addr, "illegal memory access", 0, regs);
}

} // namespace

void do_signal(pt_regs *regs)
{
	u64 continue_addr = 0, restart_addr = 0;
	long retval = 0;
	bool syscall = regs->syscallno != NO_SYSCALL;
	if (syscall) {
		continue_addr = regs->pc;
		restart_addr = continue_addr - 4;
		retval = static_cast<long>(regs->regs[0]);
		regs->syscallno = NO_SYSCALL; // a second pass must not restart it again
		switch (retval) {
		case -ERESTARTNOHAND:
		case -ERESTARTSYS:
		case -ERESTARTNOINTR:
		case -ERESTART_RESTARTBLOCK:
			regs->regs[0] = regs->orig_x0;
			regs->pc = restart_addr;
			break;
		}
	}
	ksignal ksig;
	if (get_signal(&ksig)) {
		if (regs->pc == restart_addr &&
		    (retval == -ERESTARTNOHAND || retval == -ERESTART_RESTARTBLOCK ||
		     (retval == -ERESTARTSYS && !(ksig.ka.flags & SA_RESTART)))) {
			regs->regs[0] = static_cast<u64>(-EINTR_);
			regs->pc = continue_addr;
		}
		handle_signal(&ksig, regs);
		return;
	}
	// No handler ran: a restart block resumes through restart_syscall(2).
	if (syscall && regs->pc == restart_addr && retval == -ERESTART_RESTARTBLOCK)
		regs->regs[8] = __NR_restart_syscall_;
	restore_saved_sigmask();
}

long sys_rt_sigreturn(u64, u64, u64, u64, u64, u64)
{
	task_struct *t = current;
	pt_regs *regs = task_pt_regs(t);
	t->restart.fn = nullptr; // a restart block from before the handler is void now
	u64 frame = regs->sp;
	u64 mask;
	sigctx_regs h;
	user_fpsimd_state st;
	if (frame & 15)
		goto badframe;
	if (!access_ok(reinterpret_cast<void *>(frame), sizeof(rt_sigframe)) || !get(&mask, frame + SIGMASK_OFF, sizeof(mask)) ||
	    !get(&h, frame + SIGCTX_OFF, sizeof(h)))
		goto badframe;
	set_current_blocked(mask);
	if (!valid_user_pstate(h.pstate))
		goto badframe;
	if (!restore_records(frame, &st))
		goto badframe;
	if (restore_altstack(frame + offsetof(rt_sigframe, uc.uc_stack)))
		goto badframe;
	sigreturn_load_fpsimd(&st);
	memcpy(regs->regs, h.regs, sizeof(regs->regs));
	regs->sp = h.sp;
	regs->pc = h.pc;
	regs->pstate = h.pstate;
	regs->syscallno = NO_SYSCALL; // returning into the interrupted code, not into a syscall
	return static_cast<long>(regs->regs[0]);
badframe:
	notify_segfault(regs, regs->sp);
	return 0;
}
