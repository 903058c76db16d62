// start_kernel: from head.S to the console prompt (Linux's init/main.c in order and names).
#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/memory.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <asm/sysreg.h>
#include <asm/traps.h>

#include "arch/arm64/ptdump.h"
#include "drivers/arch_timer.h"
#include "drivers/bcm2835_mbox.h"
#include "drivers/bcm2835_wdt.h"
#include "drivers/serial_rx.h"
#include "kernel/bench.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/oom.h"
#include "kernel/kallsyms.h"
#include "kernel/ktest.h"
#include "core/cpumask.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "kernel/reboot.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/version.h"
#include "fs/fs.h"
#include "lib/stack_protector.h"
#include "mm/cma.h"
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include <asm/mmu.h>

void crashtest_run_selected(); // tests/target/crashtest.cpp
void el0_init();                // arch/arm64/syscall.cpp
Result run_init_process(const char *path); // kernel/process.cpp: PID 1 execs path
extern "C" const u8 __initramfs_start[] __attribute__((weak)); // kernel/initramfs_data.S

using initcall_t = void (*)();
extern "C" initcall_t __init_array_start[], __init_array_end[];

// Boots at most once per image: global constructors run here, after the MMU is on and the
// kernel runs at its link address (their code and data hold absolute addresses).
static void do_ctors()
{
	for (initcall_t *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
}

static u64 boot_seed(of::DeviceTree dt)
{
	// DT rng-seed (QEMU and U-Boot provide one) mixed with the counter; the counter alone
	// otherwise. Good enough for a stack canary, not for cryptography.
	u64 seed = arch_counter_get_cntpct() * 0x9e3779b97f4a7c15ull;
	if (dt.valid())
		if (auto s = dt.rng_seed()) {
			for (usize i = 0; i < s.value().size(); i++)
				seed = (seed ^ s.value()[i]) * 0x100000001b3ull;
		}
	return seed;
}

// Linux's first two lines (arm64 smp_setup_processor_id, then linux_banner), before anything
// else is printed; the console replays them when it registers.
static void print_banner()
{
	printk(KERN_INFO "Booting %s on physical CPU 0x%010lx [0x%08x]\n", kernel_name,
	       (unsigned long)(read_sysreg(mpidr_el1) & 0xff00ffffffull), (unsigned)read_sysreg(midr_el1));
	printk(KERN_NOTICE "%s", linux_banner);
}

static void print_boot_layout()
{
	pr_notice("Entered at EL%u; image loaded at PA %#lx; DTB at PA %#lx\n", boot_info.boot_el,
		  (unsigned long)boot_info.load_pa.value(), (unsigned long)boot_info.fdt_pa.value());
	pr_notice("Kernel VA range [%#lx-%#lx] (text %#lx-%#lx, rodata %#lx-%#lx, data %#lx-%#lx)\n",
		  (unsigned long)_text, (unsigned long)_end, (unsigned long)_text, (unsigned long)_etext,
		  (unsigned long)__start_rodata, (unsigned long)__end_rodata, (unsigned long)_sdata,
		  (unsigned long)_end);
	pr_info("CPU: %u-bit physical addresses, counter %lu Hz; slab allocator %s\n", boot_info.pa_bits,
		(unsigned long)arch_timer_get_cntfrq(), kernel_slab);
}

MmBootStats mm_boot_stats;

// Linux 6.1's mm_init (init/main.c): the memory map and zones, the buddy allocator, the
// watermarks, then the object allocator and vmalloc on top. The memory-map time is kept for
// `make bench` (memmap init per GiB).
static void mm_core_init()
{
	u64 t0 = bench_now_ns();
	bootmem_init();
	mm_boot_stats.memmap_init_ns = bench_now_ns() - t0;
	mm_boot_stats.present_bytes = memblock_phys_mem_size();
	mem_init();
	// Linux's core_initcall cma_init_reserved_areas, before the watermarks (a postcore_initcall).
	cma_init_reserved_areas();
	init_per_zone_wmark_min();
	kmem_cache_init();
	vmalloc_init();
}

// The first program (Linux's init/main.c): rdinit= names it in the initramfs (default
// /init), init= on the root file system, which here is the same tmpfs the initramfs was
// unpacked into. The words after `--` and the unknown words are its arguments, unknown
// name=value words its environment. `shell` keeps the kernel's console monitor as PID 1.
static const char *execute_command;         // init=
static const char *ramdisk_execute_command; // rdinit=
static bool keep_kernel_shell;              // shell
static Result set_init(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	execute_command = v;
	return {};
}
static Result set_rdinit(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	ramdisk_execute_command = v;
	return {};
}
static Result set_shell(const char *v)
{
	if (v)
		return Errno::EINVAL; // a bare word
	keep_kernel_shell = true;
	return {};
}
KERNEL_PARAM("init", set_init);
KERNEL_PARAM("rdinit", set_rdinit);
KERNEL_PARAM("shell", set_shell);

// Linux's init_eaccess: path is on the root file system (symlinks followed) and is a file init
// could execute. ENOENT (or the lookup's error) when absent, EACCES when not an executable file.
static Result init_eaccess(const char *path)
{
	auto f = filp_open(path, O_PATH, 0);
	if (f.is_error())
		return f.error();
	umode_t mode = f.value()->f_inode->i_mode;
	fput(f.value());
	if (!S_ISREG(mode) || !(mode & 0111))
		return Errno::EACCES;
	return {};
}

// Linux's try_to_run_init_process: a candidate that is not there is skipped quietly.
static bool try_to_run_init_process(const char *path)
{
	Result r = init_eaccess(path);
	if (r.is_error() && r.error().code() == Errno::ENOENT)
		return false;
	if (!r.is_error())
		r = run_init_process(path);
	if (r.is_error()) {
		if (r.error().code() != Errno::ENOENT)
			pr_err("Starting init: %s exists but couldn't execute it (error %d)\n", path, r.error().neg());
		return false;
	}
	return true;
}

// The kernel's own archive (kernel/initramfs_data.S) holds the test programs, and its /init is
// the EL0 self-test suite, which the console's `run /init` starts: it is not an init to boot
// into. An archive from the boot loader (QEMU -initrd, the Pi's initramfs) is a root file
// system, whose /init runs by default as on Linux.
static bool initramfs_from_loader()
{
	kstd::span<const u8> rd = initramfs_image();
	return !rd.empty() && rd.data() != __initramfs_start;
}

// Linux's kernel_init's choice of the first program, in its order: rdinit= (default /init,
// skipped when absent), then init=, then /sbin/init, /etc/init, /bin/init and /bin/sh. Where
// Linux panics (init= failed, no init at all) the console monitor runs instead. True when PID 1
// now is the program.
static bool start_init_program()
{
	if (keep_kernel_shell) {
		pr_notice("Kernel shell requested (shell): no init program started\n");
		return false;
	}
	bool from_loader = initramfs_from_loader();
	const char *rdinit = ramdisk_execute_command;
	if (!rdinit && from_loader)
		rdinit = "/init";
	// A path the root file system does not have is dropped without a word (Linux's
	// kernel_init_freeable); one that is there but fails to run is reported.
	if (rdinit && init_eaccess(rdinit).is_error())
		rdinit = nullptr;
	if (rdinit) {
		Result r = run_init_process(rdinit);
		if (!r.is_error())
			return true;
		pr_err("Failed to execute %s (error %d)\n", rdinit, r.error().neg());
	}
	if (execute_command) {
		Result r = run_init_process(execute_command);
		if (!r.is_error())
			return true;
		pr_err("Requested init %s failed (error %d).\n", execute_command, r.error().neg());
		return false;
	}
	// Without a loader archive and without init=/rdinit= nothing was asked for: the built-in
	// archive's programs are run from the console.
	if (!from_loader && !ramdisk_execute_command)
		return false;
	for (const char *p : {"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"})
		if (try_to_run_init_process(p))
			return true;
	pr_err("No working init found.  Try passing init= option to kernel. See Linux "
	       "Documentation/admin-guide/init.rst for guidance.\n");
	return false;
}

// PID 1 (Linux's kernel_init): the self-tests when asked for, the init program, then the
// console monitor. A kernel thread, so that everything it starts is scheduled beside it.
static int kernel_init(void *)
{
	// Linux's kernel_init_freeable: the secondary CPUs come up before the initcalls.
	smp_init();
	oom_init(); // Linux's subsys_initcall(oom_init): the oom_reaper thread
	if (ktest_run_selected())
		machine_power_off(ktest_exit_status());
	// Returning 0 enters the program at EL0, as ret_from_fork does for any user task.
	if (start_init_program())
		return 0;
	pr_notice("Type 'help' for the list of console commands.\n");
	shell_run();
}

// Linux's rest_init: start PID 1, then the boot context becomes the idle task.
[[noreturn]] static void rest_init()
{
	task_struct *init = create_task("init", kernel_init, nullptr, PF_KTHREAD);
	if (!init)
		panic("rest_init: cannot create the init task");
	// PID 1 leads session 1 and process group 1 (the console's), and inherits orphans.
	init->signal->pgrp = init->signal->session = init->pid;
	set_child_reaper(init);
	wake_up_new_task(init);
	put_task_struct(init); // nobody reaps PID 1's kernel thread: it never exits
	cpu_startup_entry();
}

// start_kernel never returns and is the only frame on the stack when the canary changes,
// so it must not itself be protected by the canary.
extern "C" [[noreturn]] __attribute__((no_stack_protector)) void start_kernel(u64 fdt_pa, u64 current_el,
									 u64 load_pa)
{
	// current (SP_EL0) must be valid before anything can read it: the boot context is CPU 0's
	// idle task from here on.
	sched_init_early();
	printk_set_time_base(arch_counter_get_cntpct());
	kimage_voffset = KIMAGE_VADDR - load_pa;
	boot_info.fdt_pa = PhysAddr(fdt_pa);
	boot_info.boot_el = static_cast<unsigned>(current_el >> 2);
	boot_info.load_pa = PhysAddr(load_pa);
	boot_info.pa_bits = id_aa64mmfr0_pa_bits();
	set_cpu_online(smp_processor_id(), true); // Linux's boot_cpu_init
	print_banner();
	do_ctors();
	kallsyms_init();

	of::DeviceTree dt = setup_arch();
	mm_core_init();
	sched_init();
	if (irq_stack_init(0).is_error())
		pr_warn("No IRQ stack for CPU0: interrupts run on task stacks\n");
	el0_init();
	stack_protector_init(boot_seed(dt));
	print_boot_layout();
	pr_notice("Kernel command line: %s\n", boot_command_line());
	parse_kernel_params(boot_command_line());

	(void)bcm2835_wdt_init(dt); // the Pis' only way to restart or power off
	// The file systems and rootfs, with the initramfs unpacked (Linux's vfs_caches_init and
	// populate_rootfs). Without them user programs have no files but still run.
	console_chrdev_init();
	if (Result r = vfs_init(); r.is_error())
		pr_err("VFS: cannot set up the root file system: %s\n", r.error().name());

	crashtest_run_selected();
	if (bench_run_selected()) // before the tick: instruction counts without interrupt noise
		machine_power_off(0);

	// Interrupts: controllers, then the devices that use them, then IRQs on at the CPU.
	if (irq_init(dt).is_error()) {
		pr_warn("IRQs stay masked: no interrupt controller driver for this DT\n");
	} else {
		if (arch_timer_init(dt).is_error())
			pr_warn("No timer tick\n");
		console_rx_irq_init();
		arch_local_irq_enable();
	}
	(void)bcm2835_mbox_init(dt);
	(void)ptdump_check_wx(); // as Linux's mark_rodata_ro, once the kernel's mappings are final

	rest_init();
}
