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

// console= words in command-line order (Linux's console_cmdline[], MAX_CMDLINECONSOLES).
struct ConsoleCmdline {
	char name[32];    // ttyAMA0, serial0, /pl011@9000000, tty1 ...
	char options[32]; // after the first ',': 115200n8
};
static constexpr usize MAX_CMDLINECONSOLES = 8;
static ConsoleCmdline console_cmdline[MAX_CMDLINECONSOLES];
static usize nr_console_cmdline;
static bool console_cmdline_dropped; // more than MAX_CMDLINECONSOLES, or a word too long
static char earlycon_opt[128]; // earlycon=<driver>,[mmio|mmio32,]<phys>[,options]; "" when bare
static bool earlycon_given;

// Linux's console_setup: every console= adds an entry (a repeated one is kept once, as
// __add_preferred_console does, and moves to the end as the preferred one).
static Result add_console(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	ConsoleCmdline c{};
	const char *comma = strchr(v, ',');
	usize n = comma ? usize(comma - v) : strlen(v);
	if (n == 0 || n >= sizeof(c.name) || (comma && strlen(comma + 1) >= sizeof(c.options))) {
		console_cmdline_dropped = true;
		return Errno::E2BIG;
	}
	memcpy(c.name, v, n);
	if (comma)
		kstd::strlcpy(c.options, comma + 1, sizeof(c.options));
	for (usize i = 0; i < nr_console_cmdline; i++)
		if (strcmp(console_cmdline[i].name, c.name) == 0) {
			memmove(&console_cmdline[i], &console_cmdline[i + 1], (nr_console_cmdline - i - 1) * sizeof(c));
			nr_console_cmdline--;
			break;
		}
	if (nr_console_cmdline == MAX_CMDLINECONSOLES) {
		console_cmdline_dropped = true;
		return Errno::E2BIG;
	}
	console_cmdline[nr_console_cmdline++] = c;
	return {};
}
static Result set_earlycon(const char *v)
{
	earlycon_given = true;
	if (!v || !*v) { // bare: the stdout-path device (Linux's param_setup_earlycon)
		earlycon_opt[0] = 0;
		return {};
	}
	if (kstd::strlcpy(earlycon_opt, v, sizeof(earlycon_opt)) >= sizeof(earlycon_opt))
		return Errno::E2BIG;
	return {};
}
EARLY_PARAM("console", add_console);
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

// The started devices. A driver has one instance (its registers and receive ring): the same
// device asked for twice (earlycon, then console= or stdout-path) is the same Console.
struct StartedConsole {
	const ConsoleDriver *drv;
	PhysAddr pa;
	Console *con;
	void *base;
	u64 size;
	bool boot; // an earlycon not (yet) chosen as a console
	char name[16];
};
static StartedConsole started[4];
static usize nr_started;

static StartedConsole *find_started(const ConsoleDriver *drv)
{
	for (usize i = 0; i < nr_started; i++)
		if (started[i].drv == drv)
			return &started[i];
	return nullptr;
}

// Linux's earlycon name: the driver's with trailing digits read as an index, so that pl011's
// boot console is "pl11" as in Linux's "printk: bootconsole [pl11] enabled".
static void earlycon_name(const ConsoleDriver *drv, char *buf, usize size)
{
	usize len = strlen(drv->name), digits = len;
	while (digits > 0 && drv->name[digits - 1] >= '0' && drv->name[digits - 1] <= '9')
		digits--;
	u64 index = 0;
	const char *end;
	if (digits < len)
		(void)kstd::parse_u64(drv->name + digits, &end, 10, &index);
	kstd::snprintf(buf, size, "%.*s%lu", static_cast<int>(digits), drv->name, (unsigned long)index);
}

static ErrorOr<StartedConsole *> start_console(const ConsoleDriver *drv, PhysAddr pa, u64 size, u32 clock, u32 baud,
					       of::Node node, const char *name, bool boot, const char *options = "")
{
	if (StartedConsole *s = find_started(drv)) {
		if (s->pa == pa)
			return s;
		pr_warn("console: %s at %#lx: the %s driver already runs the UART at %#lx\n", name,
			(unsigned long)pa.value(), drv->name, (unsigned long)s->pa.value());
		return Errno::EBUSY;
	}
	if (nr_started == sizeof(started) / sizeof(started[0]))
		return Errno::ENOSPC;
	// The first console takes the fixmap's console window, later ones the early_ioremap pool.
	void *base = nr_started == 0 ? fixmap_remap(FixSlot::Earlycon, FixSlot::EarlyconEnd, pa, size, FixProt::Device)
				     : early_ioremap(pa, size);
	if (!base) {
		pr_err("console: %s registers at %#lx (+%#lx) cannot be mapped\n", drv->name, (unsigned long)pa.value(),
		       (unsigned long)size);
		return Errno::E2BIG;
	}
	ConsoleSetup s{pa, size, base, clock, baud, node};
	Console *c = TRY(drv->setup(s));
	StartedConsole *e = &started[nr_started++];
	*e = StartedConsole{drv, pa, c, base, size, boot, {}};
	kstd::strlcpy(e->name, name, sizeof(e->name));
	if (boot) {
		// Linux's earlycon lines.
		pr_info("earlycon: %s at MMIO %#018lx (options '%s')\n", name, (unsigned long)pa.value(), options ? options : "");
		if (!register_console(c))
			return Errno::ENOSPC;
		pr_info("printk: bootconsole [%s] enabled\n", name);
	} else {
		// Linux's serial core line, then register_console's "printk: console [ttyAMA0] enabled".
		pr_info("%s at MMIO %#lx (clock %u Hz, %u baud) is a %s\n", name, (unsigned long)pa.value(), clock, baud,
			drv->name);
		if (!register_console(c))
			return Errno::ENOSPC;
		pr_info("printk: console [%s] enabled\n", name);
	}
	return e;
}

static const ConsoleDriver *driver_for_node(of::Node n)
{
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++)
		if (n.is_compatible(d->compatible))
			return d;
	return nullptr;
}

// The node's serial<n> alias number, -1 without one (Linux's of_alias_get_id(np, "serial")).
static int serial_alias_id(of::DeviceTree dt, of::Node n)
{
	for (int i = 0; i < 16; i++) {
		char alias[12];
		kstd::snprintf(alias, sizeof(alias), "serial%d", i);
		of::Node a = dt.find_alias(alias);
		if (a.valid() && a.offset() == n.offset())
			return i;
	}
	return -1;
}

// The line number Linux's driver gives the node: ttyAMA<line>, ttyS<line>.
static unsigned line_of(of::DeviceTree dt, const ConsoleDriver *drv, of::Node n)
{
	if (drv->numbering == LineNumbering::Alias) {
		int id = serial_alias_id(dt, n);
		if (id >= 0)
			return static_cast<unsigned>(id);
	}
	unsigned i = 0;
	for (of::Node m : dt.compatible_nodes(drv->compatible)) {
		if (m.offset() == n.offset())
			break;
		i++;
	}
	return i;
}

// A Linux device name (ttyAMA0, ttyS0) to the DT node of that line, invalid when none.
static of::Node node_for_dev_name(of::DeviceTree dt, const char *name)
{
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++) {
		usize pl = strlen(d->dev_name);
		if (strncmp(name, d->dev_name, pl) != 0 || !name[pl])
			continue;
		u64 line;
		const char *end;
		if (!kstd::parse_u64(name + pl, &end, 10, &line) || *end)
			continue;
		for (of::Node n : dt.compatible_nodes(d->compatible))
			if (line_of(dt, d, n) == line)
				return n;
	}
	return of::Node();
}

static Result console_from_node(of::DeviceTree dt, of::Node n, const char *options, StartedConsole **out)
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
	char name[16];
	kstd::snprintf(name, sizeof(name), "%s%u", drv->dev_name, line_of(dt, drv, n));
	PhysAddr pa(reg.value().address);
	StartedConsole *s = TRY(start_console(drv, pa, reg.value().size ? reg.value().size : PAGE_SIZE, uart_clock(dt, n),
					     baud_from_options(options), n, name, false));
	if (s->boot) {
		// The boot console's device became a console: set up again with what the DT says
		// (clock, interrupt), then Linux's register_console lines.
		s->boot = false;
		ConsoleSetup su{pa, s->size, s->base, uart_clock(dt, n), baud_from_options(options), n};
		if (auto c = drv->setup(su); c.is_error() || c.value() != s->con)
			pr_warn("console: %s: setting up the boot console's UART again failed\n", name);
		pr_info("%s at MMIO %#lx (clock %u Hz, %u baud) is a %s\n", name, (unsigned long)pa.value(), su.clock_hz,
			su.baud, drv->name);
		char boot_name[16];
		kstd::strlcpy(boot_name, s->name, sizeof(boot_name));
		kstd::strlcpy(s->name, name, sizeof(s->name));
		pr_info("printk: console [%s] enabled\n", name);
		pr_info("printk: bootconsole [%s] disabled\n", boot_name);
	}
	*out = s;
	return {};
}

// earlycon=<driver>,[mmio|mmio32,]<phys>[,options] (Linux's setup_earlycon/parse_options), or
// bare: the stdout-path device.
static Result earlycon_init(of::DeviceTree dt)
{
	const char *spec = earlycon_opt;
	if (!*spec) {
		auto sp = dt.stdout_path();
		if (sp.is_error()) {
			pr_warn("earlycon: no /chosen/stdout-path to take the boot console from\n");
			return sp.error();
		}
		of::Node n = sp.value().node;
		const ConsoleDriver *drv = driver_for_node(n);
		auto reg = n.reg_translated(0);
		if (!drv || reg.is_error() || !n.is_available()) {
			pr_warn("earlycon: no earlycon driver for the stdout-path device %s\n", n.name());
			return Errno::ENODEV;
		}
		char name[16];
		earlycon_name(drv, name, sizeof(name));
		(void)TRY(start_console(drv, PhysAddr(reg.value().address), reg.value().size ? reg.value().size : PAGE_SIZE,
					uart_clock(dt, n), baud_from_options(sp.value().options), n, name, true,
					sp.value().options));
		return {};
	}
	char drvname[32];
	const char *comma = strchr(spec, ',');
	usize n = comma ? usize(comma - spec) : strlen(spec);
	if (n >= sizeof(drvname)) {
		pr_warn("earlycon: expected <driver>,<address>[,<options>], got '%s'\n", spec);
		return Errno::EINVAL;
	}
	memcpy(drvname, spec, n);
	drvname[n] = 0;
	const ConsoleDriver *drv = nullptr;
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++)
		if (strcmp(d->name, drvname) == 0)
			drv = d;
	if (!drv) {
		pr_warn("earlycon: unknown driver '%s' (pl011, bcm2835aux)\n", drvname);
		return Errno::ENODEV;
	}
	if (!comma) { // earlycon=pl011: the stdout-path device when it is one
		of::Node sn = dt.stdout_path().is_error() ? of::Node() : dt.stdout_path().value().node;
		if (!sn.valid() || driver_for_node(sn) != drv) {
			pr_warn("earlycon: '%s' without an address and stdout-path is not a %s\n", spec, drvname);
			return Errno::EINVAL;
		}
		earlycon_opt[0] = 0;
		return earlycon_init(dt);
	}
	const char *p = comma + 1;
	for (const char *io : {"mmio32,", "mmio,"})
		if (strncmp(p, io, strlen(io)) == 0)
			p += strlen(io);
	u64 pa;
	const char *end;
	if (!kstd::parse_u64(p, &end, 0, &pa) || (*end && *end != ',')) {
		pr_warn("earlycon: bad address in '%s'\n", spec);
		return Errno::EINVAL;
	}
	char name[16];
	earlycon_name(drv, name, sizeof(name));
	(void)TRY(start_console(drv, PhysAddr(pa), PAGE_SIZE, 0, baud_from_options(*end ? end + 1 : nullptr), of::Node(),
				name, true, *end ? end + 1 : ""));
	return {};
}

// The first available node any console driver handles: the last resort that keeps a DT
// without stdout-path (and a command line naming nothing) from going silent.
static of::Node any_console_node(of::DeviceTree dt)
{
	for (const ConsoleDriver *d = __start_console_drivers; d < __stop_console_drivers; d++)
		for (of::Node n : dt.compatible_nodes(d->compatible))
			if (n.is_available())
				return n;
	return of::Node();
}

Result console_init(of::DeviceTree dt)
{
	if (earlycon_given)
		(void)earlycon_init(dt); // its failure is reported; the consoles below still start
	// Every console= naming a device is enabled; the last is /dev/console (Linux's
	// preferred_console). The others are kept to be reported once a console prints.
	StartedConsole *preferred = nullptr;
	const char *unknown[MAX_CMDLINECONSOLES];
	usize nr_unknown = 0;
	for (usize i = 0; i < nr_console_cmdline; i++) {
		ConsoleCmdline &c = console_cmdline[i];
		of::Node n = c.name[0] == '/' ? dt.find_by_path(c.name) : node_for_dev_name(dt, c.name);
		if (!n.valid() && c.name[0] != '/')
			n = dt.find_alias(c.name); // serial0, serial1: the DT's aliases
		if (!n.valid()) {
			unknown[nr_unknown++] = c.name;
			continue;
		}
		StartedConsole *s;
		if (console_from_node(dt, n, c.options, &s).is_error()) {
			unknown[nr_unknown++] = c.name;
			continue;
		}
		preferred = s;
	}
	const char *why = nullptr;
	if (!preferred) {
		// No console= named a usable device: the DT's console (/chosen/stdout-path) stays on.
		auto sp = dt.stdout_path();
		StartedConsole *s;
		if (!sp.is_error() && console_from_node(dt, sp.value().node, sp.value().options, &s).is_error() == false) {
			preferred = s;
			why = "/chosen/stdout-path";
		} else if (of::Node n = any_console_node(dt); n.valid() && !console_from_node(dt, n, nullptr, &s).is_error()) {
			preferred = s;
			why = "the first UART in the device tree";
			pr_warn("console: no /chosen/stdout-path console; using %s\n", s->name);
		}
	}
	// A boot console on another device than the chosen ones goes (Linux disables bootconsoles
	// once a real console registers); with no console at all it stays.
	for (usize i = 0; i < nr_started; i++)
		if (started[i].boot && preferred) {
			unregister_console(started[i].con);
			pr_info("printk: bootconsole [%s] disabled\n", started[i].name);
		}
	if (preferred)
		set_preferred_console(preferred->con);
	else
		for (usize i = 0; i < nr_started; i++)
			set_preferred_console(started[i].con);
	const char *on = preferred ? preferred->name : nr_started ? started[0].name : nullptr;
	for (usize i = 0; i < nr_unknown; i++)
		pr_warn("console: console=%s names no device (this kernel has ttyAMA<n>, ttyS<n>, DT aliases "
			"and paths); the console stays on %s%s%s\n",
			unknown[i], on ? on : "nothing", why ? ", from " : "", why ? why : "");
	if (console_cmdline_dropped)
		pr_warn("console: more than %zu console= parameters, or one too long: the rest are ignored\n",
			MAX_CMDLINECONSOLES);
	if (!on) {
		pr_err("console: no console device: no usable console=, earlycon= or /chosen/stdout-path\n");
		return Errno::ENODEV;
	}
	return {};
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
