// VideoCore mailbox property interface: see drivers/bcm2835_mbox.h.
//
// The message buffer is a static, cache-line aligned array in the kernel image (which the
// firmware loads in the first GiB, inside every Pi's DMA window). The VideoCore reads and
// writes it by DMA, not coherently with the ARM caches: it is cleaned to the point of
// coherency before the doorbell and invalidated before the answer is read. The address
// given to the VideoCore is a bus address: the CPU address translated through the
// mailbox's bus `dma-ranges` (Pi 3: PA | 0xc0000000; Pi 4: bus 0xc0000000 = CPU 0).
#include "drivers/bcm2835_mbox.h"

#include <asm/arch_timer.h>
#include <asm/fixmap.h>
#include <asm/irqflags.h>
#include <asm/memory.h>
#include <asm/sysreg.h>

#include "kernel/irq.h"
#include "core/printk.h"
#include "core/console_cmd.h"
#include "lib/of/of.h"
#include "kstd/string.h"

namespace {

enum Reg : u32 {
	MAIL0_RD = 0x00,  // VideoCore -> ARM
	MAIL0_STA = 0x18,
	MAIL0_CNF = 0x1c,
	MAIL1_WRT = 0x20, // ARM -> VideoCore
	MAIL1_STA = 0x38,
};
constexpr u32 ARM_MS_FULL = 1u << 31, ARM_MS_EMPTY = 1u << 30;
constexpr u32 ARM_MC_IHAVEDATAIRQEN = 1u << 0;
constexpr u32 MBOX_CHAN_PROPERTY = 8;
constexpr u32 RPI_FIRMWARE_STATUS_REQUEST = 0, RPI_FIRMWARE_STATUS_SUCCESS = 0x80000000;
constexpr u32 TAG_RESPONSE = 1u << 31;
constexpr u32 TAG_GET_FIRMWARE_REVISION = 0x00000001;
constexpr u32 TAG_GET_BOARD_REVISION = 0x00010002;
constexpr u32 TAG_GET_ARM_MEMORY = 0x00010005;
// The firmware answers in microseconds; a second means it is not there.
constexpr u64 MBOX_TIMEOUT_MS = 1000;
constexpr usize MBOX_BUF_WORDS = 64;

struct Mbox {
	volatile u8 *base;
	of::Node node;
	u64 bus_offset_base, bus_offset_cpu, bus_window; // dma-ranges entry in use
	bool translate;
	unsigned virq;
	u64 irq_count;
	u32 irq_answer; // message word read by the interrupt handler, 0 = none yet
	RpiBoardInfo info;
	bool have_info;
} mbox;

alignas(64) u32 msg_buf[MBOX_BUF_WORDS];

u32 rd(Reg r) { return *reinterpret_cast<volatile u32 *>(mbox.base + r); }
void wr(Reg r, u32 v) { *reinterpret_cast<volatile u32 *>(mbox.base + r) = v; }

u64 cache_line()
{
	return 4u << ((read_sysreg(ctr_el0) >> 16) & 0xf); // CTR_EL0.DminLine, log2 words
}
void dcache_civac(const void *p, usize n)
{
	u64 line = cache_line();
	u64 a = reinterpret_cast<u64>(p) & ~(line - 1), end = reinterpret_cast<u64>(p) + n;
	for (; a < end; a += line)
		asm volatile("dc civac, %0" ::"r"(a) : "memory");
	dsb(sy); // complete before the VideoCore is told (or before we read its answer)
}

// The mailbox's view of RAM: the first dma-ranges entry of its bus that covers pa.
Result setup_bus_translation(of::Node node)
{
	of::Node bus = node.parent();
	auto prop = bus.property("dma-ranges");
	if (prop.is_error() || prop.value().size() == 0) {
		mbox.translate = false; // no dma-ranges or empty: bus address == CPU address
		return {};
	}
	auto child = bus.child_cells();
	auto parent = bus.parent().child_cells();
	if (child.is_error() || parent.is_error())
		return Errno::EINVAL;
	u32 ca = child.value().addr, pa = parent.value().addr, sz = child.value().size;
	usize entry = 4 * (ca + pa + sz);
	u64 buf_pa = __pa_symbol(msg_buf).value();
	for (usize off = 0; off + entry <= prop.value().size(); off += entry) {
		const u8 *p = prop.value().data() + off;
		u64 bus_addr = of::read_number(p, ca);
		u64 cpu = of::read_number(p + 4 * ca, pa);
		u64 size = of::read_number(p + 4 * (ca + pa), sz);
		if (buf_pa >= cpu && buf_pa + sizeof(msg_buf) <= cpu + size) {
			mbox.translate = true;
			mbox.bus_offset_base = bus_addr;
			mbox.bus_offset_cpu = cpu;
			mbox.bus_window = size;
			return {};
		}
	}
	pr_err("mbox: message buffer at PA %#lx is outside the VideoCore's dma-ranges\n", (unsigned long)buf_pa);
	return Errno::ERANGE;
}

u32 buffer_bus_address()
{
	u64 pa = __pa_symbol(msg_buf).value();
	u64 bus = mbox.translate ? pa - mbox.bus_offset_cpu + mbox.bus_offset_base : pa;
	return static_cast<u32>(bus);
}

u64 ms_to_ticks(u64 ms) { return arch_timer_get_cntfrq() * ms / 1000; }

IrqReturn mbox_irq(unsigned, void *)
{
	if (!(rd(MAIL0_CNF) & ARM_MC_IHAVEDATAIRQEN) || (rd(MAIL0_STA) & ARM_MS_EMPTY))
		return IrqReturn::None;
	u32 v = rd(MAIL0_RD);
	__atomic_store_n(&mbox.irq_answer, v, __ATOMIC_RELEASE);
	mbox.irq_count++;
	return IrqReturn::Handled;
}

// Sends the message in msg_buf and waits for its answer, by polling or by the interrupt.
Result transact(bool by_irq)
{
	if (!mbox.base)
		return Errno::ENODEV;
	u32 addr = buffer_bus_address();
	u32 expect = (addr & ~0xfu) | MBOX_CHAN_PROPERTY;
	dcache_civac(msg_buf, sizeof(msg_buf));
	u64 deadline = arch_counter_get_cntpct() + ms_to_ticks(MBOX_TIMEOUT_MS);
	while (rd(MAIL1_STA) & ARM_MS_FULL)
		if (arch_counter_get_cntpct() > deadline)
			return Errno::ETIMEDOUT;
	// Drain stale answers (of a call that timed out before) so they are not taken for ours.
	while (!(rd(MAIL0_STA) & ARM_MS_EMPTY))
		(void)rd(MAIL0_RD);
	__atomic_store_n(&mbox.irq_answer, 0u, __ATOMIC_RELAXED);
	if (by_irq)
		wr(MAIL0_CNF, ARM_MC_IHAVEDATAIRQEN);
	wr(MAIL1_WRT, expect);
	Result r = Errno::ETIMEDOUT;
	for (;;) {
		u32 v = 0;
		if (by_irq)
			v = __atomic_load_n(&mbox.irq_answer, __ATOMIC_ACQUIRE);
		else if (!(rd(MAIL0_STA) & ARM_MS_EMPTY))
			v = rd(MAIL0_RD);
		if (v == expect) {
			r = {};
			break;
		}
		if (v)
			pr_warn("mbox: unexpected message %#x while waiting for %#x\n", v, expect);
		if (arch_counter_get_cntpct() > deadline)
			break;
	}
	if (by_irq)
		wr(MAIL0_CNF, 0);
	dcache_civac(msg_buf, sizeof(msg_buf));
	return r;
}

Result property_call(u32 *tags, usize words, bool by_irq)
{
	if (words + 3 > MBOX_BUF_WORDS)
		return Errno::EINVAL;
	irqflags_t f = by_irq ? arch_local_save_flags() : arch_local_irq_save();
	msg_buf[0] = static_cast<u32>((words + 3) * 4);
	msg_buf[1] = RPI_FIRMWARE_STATUS_REQUEST;
	memcpy(&msg_buf[2], tags, words * 4);
	msg_buf[2 + words] = 0; // end tag
	Result r = transact(by_irq);
	if (!r.is_error()) {
		if (msg_buf[1] != RPI_FIRMWARE_STATUS_SUCCESS) {
			pr_err("mbox: firmware rejected the request (status %#x)\n", msg_buf[1]);
			r = Errno::EIO;
		} else
			memcpy(tags, &msg_buf[2], words * 4);
	}
	if (!by_irq)
		arch_local_irq_restore(f);
	return r;
}

// One tag with `n` value words; false when the tag's response is missing or short.
bool tag_ok(const u32 *t, u32 n) { return (t[2] & TAG_RESPONSE) && (t[2] & ~TAG_RESPONSE) >= 4 * n; }

const char *board_type(u32 rev)
{
	switch ((rev >> 4) & 0xff) {
	case 0x04: return "2 Model B";
	case 0x08: return "3 Model B";
	case 0x09: return "Zero";
	case 0x0a: return "Compute Module 3";
	case 0x0c: return "Zero W";
	case 0x0d: return "3 Model B+";
	case 0x0e: return "3 Model A+";
	case 0x10: return "Compute Module 3+";
	case 0x11: return "4 Model B";
	case 0x12: return "Zero 2 W";
	case 0x13: return "400";
	case 0x14: return "Compute Module 4";
	default: return "(unknown model)";
	}
}
const char *board_soc(u32 rev)
{
	static const char *const socs[] = {"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712"};
	u32 p = (rev >> 12) & 0xf;
	return p < 5 ? socs[p] : "unknown SoC";
}
// New-style revision codes (bit 23) encode the RAM size: 256 MiB << code.
u64 board_ram(u32 rev)
{
	if (!(rev & (1u << 23)))
		return 0;
	u32 code = (rev >> 20) & 7;
	return code <= 5 ? (u64{256} << code) * SZ_1M : 0;
}

// /memory of the DT: total and whether one range starts at base with exactly size.
void dt_memory(of::DeviceTree dt, u64 base, u64 size, u64 *total, bool *match)
{
	*total = 0;
	*match = false;
	for (of::Node n : dt.root().children()) {
		if (!n.is_type("memory") || !n.is_available())
			continue;
		auto reg = n.reg();
		if (reg.is_error())
			continue;
		for (of::RegEntry e : reg.value()) {
			*total += e.size;
			if (e.address == base && e.size == size)
				*match = true;
		}
	}
}

Result read_board_info()
{
	u32 tags[] = {TAG_GET_FIRMWARE_REVISION, 4, 0, 0,
		      TAG_GET_BOARD_REVISION,    4, 0, 0,
		      TAG_GET_ARM_MEMORY,        8, 0, 0, 0};
	TRY(property_call(tags, ARRAY_SIZE(tags), false));
	if (!tag_ok(&tags[0], 1) || !tag_ok(&tags[4], 1) || !tag_ok(&tags[8], 2)) {
		pr_err("mbox: firmware did not answer every property tag\n");
		return Errno::EIO;
	}
	mbox.info.firmware_rev = tags[3];
	mbox.info.revision = tags[7];
	mbox.info.arm_mem_base = tags[11];
	mbox.info.arm_mem_size = tags[12];
	mbox.have_info = true;
	return {};
}

void print_board_info(of::DeviceTree dt)
{
	const RpiBoardInfo &i = mbox.info;
	u64 ram = board_ram(i.revision);
	if (i.revision & (1u << 23))
		pr_info("rpi: Raspberry Pi %s rev 1.%u (%s), %lu MiB RAM, revision code %#x\n", board_type(i.revision),
			i.revision & 0xf, board_soc(i.revision), (unsigned long)(ram / SZ_1M), i.revision);
	else
		pr_info("rpi: old-style board revision code %#x\n", i.revision);
	pr_info("rpi: firmware revision %#x; ARM memory %#lx-%#lx (%lu MiB)\n", i.firmware_rev,
		(unsigned long)i.arm_mem_base, (unsigned long)(i.arm_mem_base + i.arm_mem_size - 1),
		(unsigned long)(i.arm_mem_size / SZ_1M));
	u64 total;
	bool match;
	dt_memory(dt, i.arm_mem_base, i.arm_mem_size, &total, &match);
	if (!match) {
		// The DT's first range should be exactly the firmware's ARM memory (the firmware
		// writes it so on hardware; QEMU writes its own): a mismatch means a stale or
		// foreign DTB describing RAM the firmware may use.
		bool covered = false;
		for (of::Node n : dt.root().children())
			if (n.is_type("memory"))
				if (auto reg = n.reg())
					for (of::RegEntry e : reg.value())
						covered |= e.address <= i.arm_mem_base &&
							   e.address + e.size >= i.arm_mem_base + i.arm_mem_size;
		pr_warn("rpi: DT /memory does not list the firmware's ARM memory %#lx+%#lx as a range%s\n",
			(unsigned long)i.arm_mem_base, (unsigned long)i.arm_mem_size,
			covered ? " (a larger DT range covers it: RAM the VideoCore owns may be used!)" : "");
	}
	if (ram && total > ram)
		pr_warn("rpi: DT /memory totals %lu MiB, more than the board's %lu MiB\n", (unsigned long)(total / SZ_1M),
			(unsigned long)(ram / SZ_1M));
}

} // namespace

const RpiBoardInfo *rpi_board_info() { return mbox.have_info ? &mbox.info : nullptr; }

Result rpi_firmware_property(u32 *tags, usize words) { return property_call(tags, words, false); }

u64 bcm2835_mbox_irq_count() { return __atomic_load_n(&mbox.irq_count, __ATOMIC_RELAXED); }
unsigned bcm2835_mbox_virq() { return mbox.virq; }

Result bcm2835_mbox_call_by_irq()
{
	if (!mbox.virq)
		return Errno::ENODEV;
	u32 tags[] = {TAG_GET_BOARD_REVISION, 4, 0, 0};
	TRY(property_call(tags, ARRAY_SIZE(tags), true));
	return tag_ok(tags, 1) ? Result{} : Result{Errno::EIO};
}

Result bcm2835_mbox_init(of::DeviceTree dt)
{
	of::Node n = dt.find_compatible("brcm,bcm2835-mbox");
	if (!n.valid() || !n.is_available())
		return Errno::ENODEV;
	auto reg = n.reg_translated(0);
	if (reg.is_error()) {
		pr_err("mbox: no usable reg (%s)\n", reg.error().name());
		return reg.error();
	}
	TRY(setup_bus_translation(n));
	void *p = early_ioremap(PhysAddr(reg.value().address), reg.value().size ? reg.value().size : PAGE_SIZE);
	if (!p)
		return Errno::ENOMEM;
	mbox.base = static_cast<volatile u8 *>(p);
	mbox.node = n;
	wr(MAIL0_CNF, 0); // polled until a caller asks for the interrupt
	if (irq_controller_ready()) {
		auto v = irq_of_parse_and_map(n, 0);
		if (!v.is_error() && !request_irq(v.value(), mbox_irq, "bcm2835-mbox", &mbox).is_error())
			mbox.virq = v.value();
		else
			pr_info("mbox: no completion interrupt; polling only\n");
	}
	if (auto r = read_board_info(); r.is_error()) {
		pr_err("mbox: cannot read the board information: %s\n", r.error().name());
		return r;
	}
	pr_info("mbox: mailbox at %#lx, buffer bus address %#x\n", (unsigned long)reg.value().address,
		buffer_bus_address());
	print_board_info(dt);
	return {};
}

static int cmd_board(int, char **)
{
	const RpiBoardInfo *i = rpi_board_info();
	if (!i) {
		console_printf("board: no Raspberry Pi firmware mailbox\n");
		return 1;
	}
	u32 tags[] = {TAG_GET_BOARD_REVISION, 4, 0, 0};
	if (rpi_firmware_property(tags, ARRAY_SIZE(tags)).is_error()) {
		console_printf("board: firmware does not answer\n");
		return 1;
	}
	console_printf("Raspberry Pi %s (%s), revision %#x, %lu MiB RAM\n", board_type(tags[3]), board_soc(tags[3]),
		       tags[3], (unsigned long)(board_ram(tags[3]) / SZ_1M));
	console_printf("ARM memory %#lx+%#lx, firmware %#x, mailbox interrupts %lu\n", (unsigned long)i->arm_mem_base,
		       (unsigned long)i->arm_mem_size, i->firmware_rev, (unsigned long)bcm2835_mbox_irq_count());
	return 0;
}
CONSOLE_CMD(cmd_board_rec, "board", "Raspberry Pi board information from the firmware mailbox", cmd_board);
