// Console selection: command line first (earlycon=, console=), then /chosen/stdout-path.
#include "kernel/console.h"

#include <asm/fixmap.h>

#include "core/params.h"
#include "drivers/arch_timer.h"
#include "drivers/serial_rx.h"
#include "kernel/debug/kgdb.h"
#include "kernel/irq.h"
#include "kernel/tty.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"

#include <stdarg.h>

extern "C" const ConsoleDriver __start_console_drivers[], __stop_console_drivers[];

static char console_opt[128];  // console=<alias|path>[,options]
static char earlycon_opt[128]; // earlycon=<driver>,<phys>[,options]

static Result save_opt(char *dst, usize size, const char *val)
{
	if (!val || !*val)
		return Errno::EINVAL;
	if (kstd::strlcpy(dst, val, size) >= size)
		return Errno::E2BIG;
	return {};
}
static Result set_console(const char *v) { return save_opt(console_opt, sizeof(console_opt), v); }
static Result set_earlycon(const char *v) { return save_opt(earlycon_opt, sizeof(earlycon_opt), v); }
EARLY_PARAM("console", set_console);
EARLY_PARAM("earlycon", set_earlycon);

// "115200n8" -> 115200; anything unparsable keeps the default (the UART works at whatever
// rate the firmware left, which is also what QEMU models).
static u32 baud_from_options(const char *opt)
{
	u64 v;
	const char *end;
	if (opt && kstd::parse_u64(opt, &end, 10, &v) && v > 0 && v <= 4000000)
		return static_cast<u32>(v);
	return 115200;
}

// The UART's input clock: `clock-frequency` on the node, else its first `clocks` phandle's
// fixed-clock `clock-frequency`. 0 when unknown (drivers then keep the firmware's divisor).
static u32 uart_clock(of::DeviceTree dt, of::Node n)
{
	if (auto f = n.read_u32("clock-frequency"))
		return f.value();
	auto clocks = n.read_u32("clocks");
	if (!clocks)
		return 0;
	of::Node clk = dt.find_by_phandle(clocks.value());
	if (auto f = clk.read_u32("clock-frequency"))
		return f.value();
	return 0;
}

static Result start_console(const ConsoleDriver *drv, PhysAddr pa, u64 size, u32 clock, u32 baud,
			    of::Node node)
{
	void *base = fixmap_remap(FixSlot::Earlycon, FixSlot::EarlyconEnd, pa, size, FixProt::Device);
	if (!base) {
		pr_err("console: %s registers at %#lx (+%#lx) do not fit the fixmap window\n", drv->name,
		       (unsigned long)pa.value(), (unsigned long)size);
		return Errno::E2BIG;
	}
	ConsoleSetup s{pa, size, base, clock, baud, node};
	Console *c = TRY(drv->setup(s));
	// Linux's serial core line, then register_console's "printk: console [ttyAMA0] enabled".
	pr_info("%s at MMIO %#lx (clock %u Hz, %u baud) is a %s\n", c->name(), (unsigned long)pa.value(), clock, baud,
		drv->name);
	register_console(c);
	pr_info("printk: console [%s] enabled\n", c->name());
	return {};
}

static const ConsoleDriver *driver_for_node(of::Node n)
{
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++)
		if (n.is_compatible(d->compatible))
			return d;
	return nullptr;
}

static Result console_from_node(of::DeviceTree dt, of::Node n, const char *options)
{
	const ConsoleDriver *drv = driver_for_node(n);
	char path[128];
	if (n.path(path, sizeof(path)).is_error())
		kstd::strlcpy(path, n.name(), sizeof(path));
	if (!drv) {
		pr_err("console: no driver for %s\n", path);
		return Errno::ENODEV;
	}
	if (!n.is_available()) {
		pr_err("console: %s is disabled in the device tree\n", path);
		return Errno::ENODEV;
	}
	auto reg = n.reg_translated(0);
	if (reg.is_error()) {
		pr_err("console: %s has no usable reg (%s)\n", path, reg.error().name());
		return reg.error();
	}
	return start_console(drv, PhysAddr(reg.value().address), reg.value().size ? reg.value().size : PAGE_SIZE,
			     uart_clock(dt, n), baud_from_options(options), n);
}

static Result console_from_earlycon(const char *spec)
{
	// <driver>,<phys>[,options]
	char name[32];
	const char *comma = strchr(spec, ',');
	if (!comma || usize(comma - spec) >= sizeof(name)) {
		pr_err("earlycon: expected <driver>,<address>[,<options>], got '%s'\n", spec);
		return Errno::EINVAL;
	}
	memcpy(name, spec, comma - spec);
	name[comma - spec] = 0;
	u64 pa;
	const char *end;
	if (!kstd::parse_u64(comma + 1, &end, 0, &pa) || (*end && *end != ',')) {
		pr_err("earlycon: bad address in '%s'\n", spec);
		return Errno::EINVAL;
	}
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++)
		if (strcmp(d->name, name) == 0)
			return start_console(d, PhysAddr(pa), PAGE_SIZE, 0,
					     baud_from_options(*end ? end + 1 : nullptr), of::Node());
	pr_err("earlycon: unknown driver '%s'\n", name);
	return Errno::ENODEV;
}

Result console_init(of::DeviceTree dt)
{
	if (earlycon_opt[0])
		return console_from_earlycon(earlycon_opt);
	if (console_opt[0]) {
		char path[128];
		kstd::strlcpy(path, console_opt, sizeof(path));
		char *opts = strchr(path, ',');
		if (opts)
			*opts++ = 0;
		of::Node n = dt.find_by_path(path);
		if (!n.valid()) {
			pr_err("console: console=%s names no device tree node or alias\n", console_opt);
			return Errno::ENOENT;
		}
		return console_from_node(dt, n, opts);
	}
	auto sp = dt.stdout_path();
	if (sp.is_error()) {
		pr_err("console: no /chosen/stdout-path and no console= or earlycon= parameter\n");
		return sp.error();
	}
	return console_from_node(dt, sp.value().node, sp.value().options);
}

int console_getc()
{
	Console *c = active_console();
	return c ? c->read_char() : -1;
}

// The receive interrupt hands what the UART ring holds to the tty (kernel/tty.h), which
// processes it and wakes its readers.
void console_rx_wake() { tty_receive_from_device(); }

void console_puts(const char *s, usize n)
{
	if (Console *c = active_console())
		c->write(s, n);
}

int console_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_puts(buf, n);
	return n;
}

// `gdb [tty]`: stops the kernel in the debugger (kernel/debug/kgdb.h, what Linux's SysRq-g
// does), on kgdboc='s UART, the one named here, or else the console's own.
static int cmd_gdb(int argc, char **argv)
{
	if (argc > 2) {
		console_printf("usage: gdb [ttyAMA<n>|ttyS0|serial<n>]\n");
		return 1;
	}
	if (argc == 2 && kgdboc_configure(argv[1]).is_error())
		return 1;
	kgdb_enter("console command");
	return 0;
}
CONSOLE_CMD(cmd_gdb_rec, "gdb", "stop in the kernel debugger (GDB remote protocol on kgdboc='s UART)", cmd_gdb);
