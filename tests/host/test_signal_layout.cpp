// The arm64 signal frame (arch/arm64/include/asm/sigframe.h) against Linux 6.1's layout: the
// offsets user space (glibc's ucontext_t, libgcc's unwinder, debuggers) reads, written out from
// Linux's uapi headers (asm/sigcontext.h, asm/ucontext.h, asm-generic/siginfo.h). The same
// offsets are read from a real frame by user/ktest_signal.c on both kernels.
#include <doctest/doctest.h>

#include <cstddef>

#include "arch/arm64/include/asm/sigframe.h"


TEST_CASE("signal frame: siginfo_t is Linux's 128 bytes with the union at 16")
{
	CHECK(sizeof(user_siginfo) == 128);
	CHECK(offsetof(user_siginfo, si_signo) == 0);
	CHECK(offsetof(user_siginfo, si_errno) == 4);
	CHECK(offsetof(user_siginfo, si_code) == 8);
	CHECK(offsetof(user_siginfo, fields.kill.pid) == 16);  // si_pid
	CHECK(offsetof(user_siginfo, fields.kill.uid) == 20);  // si_uid
	CHECK(offsetof(user_siginfo, fields.rt.sigval) == 24); // si_value
	CHECK(offsetof(user_siginfo, fields.sigchld.status) == 24);
	CHECK(offsetof(user_siginfo, fields.sigchld.utime) == 32);
	CHECK(offsetof(user_siginfo, fields.sigchld.stime) == 40);
	CHECK(offsetof(user_siginfo, fields.sigfault.addr) == 16); // si_addr
}

TEST_CASE("signal frame: ucontext and sigcontext offsets")
{
	CHECK(sizeof(user_stack_t) == 24);
	CHECK(offsetof(ucontext, uc_flags) == 0);
	CHECK(offsetof(ucontext, uc_link) == 8);
	CHECK(offsetof(ucontext, uc_stack) == 16);
	CHECK(offsetof(ucontext, uc_sigmask) == 40);
	CHECK(offsetof(ucontext, uc_mcontext) == 176);
	CHECK(offsetof(sigcontext, fault_address) == 0);
	CHECK(offsetof(sigcontext, regs) == 8);
	CHECK(offsetof(sigcontext, sp) == 256);
	CHECK(offsetof(sigcontext, pc) == 264);
	CHECK(offsetof(sigcontext, pstate) == 272);
	CHECK(offsetof(sigcontext, __reserved) == 288);
	CHECK(sizeof(sigcontext) == 4384);
	CHECK(sizeof(ucontext) == 4560);
	CHECK(sizeof(rt_sigframe) == 4688);
	CHECK(offsetof(rt_sigframe, uc) == 128);
	CHECK(alignof(rt_sigframe) == 16);
	CHECK(sizeof(frame_record) == 16);
}

TEST_CASE("signal frame: context records")
{
	CHECK(FPSIMD_MAGIC == 0x46508001u);
	CHECK(ESR_MAGIC == 0x45535201u);
	CHECK(sizeof(_aarch64_ctx) == 8);
	CHECK(sizeof(fpsimd_context) == 528);
	CHECK(offsetof(fpsimd_context, fpsr) == 8);
	CHECK(offsetof(fpsimd_context, fpcr) == 12);
	CHECK(offsetof(fpsimd_context, vregs) == 16);
	CHECK(sizeof(esr_context) == 16);
	CHECK(offsetof(esr_context, esr) == 8);
	// fpsimd, esr and the terminator fit in __reserved with room to spare.
	CHECK(sizeof(fpsimd_context) + sizeof(esr_context) + sizeof(_aarch64_ctx) <= sizeof(sigcontext::__reserved));
	CHECK(MINSIGSTKSZ == 5120);
	CHECK(SIGSTKSZ == 16384);
}
