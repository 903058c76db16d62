// The GDB remote serial protocol (Linux's kernel/debug/gdbstub.c; GDB's manual, "Remote
// Protocol"): packets $data#cs acknowledged with '+' (or '-' for a bad checksum, and the sender
// repeats). Errors are "Enn" with the errno in decimal, as Linux's error_packet; a command the
// stub does not know gets the empty reply, which GDB reads as "not supported".
#include "core/printk.h"
#include "kernel/debug/kgdb_internal.h"
#include "kernel/sched.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"

namespace {

// PacketSize=1000 in qSupported: GDB sends and expects at most 4096 bytes of data.
constexpr usize BUFMAX = 4096;
char in_buf[BUFMAX];
char out_buf[BUFMAX];
bool pending_dollar; // put_packet met the start of GDB's next packet instead of an ack
constexpr int PUT_RETRIES = 16;

const char hexchars[] = "0123456789abcdef";

int hex_val(int c) { return kstd::hex_digit_value(c); }

// Parses hex digits at *p into *v; false when there are none (or more than 64 bits).
bool hex2u64(const char **p, u64 *v)
{
	u64 r = 0;
	int n = 0;
	for (int d; (d = hex_val(**p)) >= 0; (*p)++, n++) {
		if (n == 16)
			return false;
		r = r << 4 | static_cast<u64>(d);
	}
	*v = r;
	return n > 0;
}

// A thread id: hex, or -1 (all threads).
bool parse_tid(const char **p, long *tid)
{
	if (**p == '-' && (*p)[1] == '1') {
		*p += 2;
		*tid = -1;
		return true;
	}
	u64 v;
	if (!hex2u64(p, &v) || v > 0x7fffffff)
		return false;
	*tid = static_cast<long>(v);
	return true;
}

char *mem2hex(const u8 *mem, char *buf, usize n)
{
	for (usize i = 0; i < n; i++) {
		*buf++ = hexchars[mem[i] >> 4];
		*buf++ = hexchars[mem[i] & 15];
	}
	*buf = 0;
	return buf;
}

// n bytes from hex text; false on a non-hex digit or short text.
bool hex2mem(const char *hex, u8 *mem, usize n)
{
	for (usize i = 0; i < n; i++) {
		int h = hex_val(hex[2 * i]), l = h < 0 ? -1 : hex_val(hex[2 * i + 1]);
		if (l < 0)
			return false;
		mem[i] = static_cast<u8>(h << 4 | l);
	}
	return true;
}

void error_packet(char *pkt, int err)
{
	pkt[0] = 'E';
	pkt[1] = static_cast<char>('0' + (err / 10) % 10);
	pkt[2] = static_cast<char>('0' + err % 10);
	pkt[3] = 0;
}
void error_packet(char *pkt, Error e) { error_packet(pkt, -e.neg()); }

// Receives one packet into buf (NUL-terminated): skips what comes before '$' (acks, ^C, console
// noise), restarts at a '$' inside a packet (the rest was lost), NAKs a bad checksum and waits
// for the resend. A packet longer than the buffer is acknowledged (its checksum is still
// checked over every byte) and answered E07 (E2BIG), never stored past the buffer.
usize get_packet(char *buf)
{
	for (;;) {
		int c = 0;
		if (!pending_dollar)
			while ((c = kgdb_getc()) != '$')
				;
		pending_dollar = false;
	restart:
		u8 sum = 0;
		usize n = 0;
		bool overlong = false;
		for (;;) {
			c = kgdb_getc();
			if (c == '$')
				goto restart;
			if (c == '#')
				break;
			sum = static_cast<u8>(sum + c);
			if (n < BUFMAX - 1)
				buf[n++] = static_cast<char>(c);
			else
				overlong = true;
		}
		int h = kgdb_getc();
		if (h == '$')
			goto restart;
		int l = kgdb_getc();
		if (l == '$')
			goto restart;
		if (hex_val(h) < 0 || hex_val(l) < 0 || (hex_val(h) << 4 | hex_val(l)) != sum) {
			kgdb_putc('-');
			continue;
		}
		kgdb_putc('+');
		buf[n] = 0;
		if (!overlong)
			return n;
		buf[0] = 0;
		return static_cast<usize>(-1);
	}
}

// Sends $data#cs until GDB acknowledges it ('+'); '-' repeats it, a bounded number of times so
// that a line that only NAKs cannot hold the kernel forever.
void put_packet(const char *data, usize len)
{
	for (int tries = 0; tries < PUT_RETRIES; tries++) {
		u8 sum = 0;
		kgdb_putc('$');
		for (usize i = 0; i < len; i++) {
			kgdb_putc(static_cast<u8>(data[i]));
			sum = static_cast<u8>(sum + static_cast<u8>(data[i]));
		}
		kgdb_putc('#');
		kgdb_putc(hexchars[sum >> 4]);
		kgdb_putc(hexchars[sum & 15]);
		for (;;) {
			int c = kgdb_getc();
			if (c == '+')
				return;
			if (c == '-')
				break;
			if (c == '$') { // GDB moved on: take it as the ack, its packet is next
				pending_dollar = true;
				return;
			}
		}
	}
}
void put_packet(const char *s) { put_packet(s, strlen(s)); }

// The target description GDB asks for with qXfer:features:read (GDB's features/aarch64-core.xml
// and aarch64-fpu.xml, in one document).
constexpr char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>aarch64</architecture>\n"
	"<feature name=\"org.gnu.gdb.aarch64.core\">\n"
	"<reg name=\"x0\" bitsize=\"64\"/><reg name=\"x1\" bitsize=\"64\"/><reg name=\"x2\" bitsize=\"64\"/>"
	"<reg name=\"x3\" bitsize=\"64\"/><reg name=\"x4\" bitsize=\"64\"/><reg name=\"x5\" bitsize=\"64\"/>"
	"<reg name=\"x6\" bitsize=\"64\"/><reg name=\"x7\" bitsize=\"64\"/><reg name=\"x8\" bitsize=\"64\"/>"
	"<reg name=\"x9\" bitsize=\"64\"/><reg name=\"x10\" bitsize=\"64\"/><reg name=\"x11\" bitsize=\"64\"/>"
	"<reg name=\"x12\" bitsize=\"64\"/><reg name=\"x13\" bitsize=\"64\"/><reg name=\"x14\" bitsize=\"64\"/>"
	"<reg name=\"x15\" bitsize=\"64\"/><reg name=\"x16\" bitsize=\"64\"/><reg name=\"x17\" bitsize=\"64\"/>"
	"<reg name=\"x18\" bitsize=\"64\"/><reg name=\"x19\" bitsize=\"64\"/><reg name=\"x20\" bitsize=\"64\"/>"
	"<reg name=\"x21\" bitsize=\"64\"/><reg name=\"x22\" bitsize=\"64\"/><reg name=\"x23\" bitsize=\"64\"/>"
	"<reg name=\"x24\" bitsize=\"64\"/><reg name=\"x25\" bitsize=\"64\"/><reg name=\"x26\" bitsize=\"64\"/>"
	"<reg name=\"x27\" bitsize=\"64\"/><reg name=\"x28\" bitsize=\"64\"/><reg name=\"x29\" bitsize=\"64\"/>"
	"<reg name=\"x30\" bitsize=\"64\"/>\n"
	"<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"<flags id=\"cpsr_flags\" size=\"4\">"
	"<field name=\"SP\" start=\"0\" end=\"0\"/><field name=\"EL\" start=\"2\" end=\"3\"/>"
	"<field name=\"nRW\" start=\"4\" end=\"4\"/><field name=\"F\" start=\"6\" end=\"6\"/>"
	"<field name=\"I\" start=\"7\" end=\"7\"/><field name=\"A\" start=\"8\" end=\"8\"/>"
	"<field name=\"D\" start=\"9\" end=\"9\"/><field name=\"SS\" start=\"21\" end=\"21\"/>"
	"<field name=\"PAN\" start=\"22\" end=\"22\"/><field name=\"V\" start=\"28\" end=\"28\"/>"
	"<field name=\"C\" start=\"29\" end=\"29\"/><field name=\"Z\" start=\"30\" end=\"30\"/>"
	"<field name=\"N\" start=\"31\" end=\"31\"/></flags>\n"
	"<reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/><vector id=\"v2u\" type=\"uint64\" count=\"2\"/>"
	"<vector id=\"v2i\" type=\"int64\" count=\"2\"/><vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v4u\" type=\"uint32\" count=\"4\"/><vector id=\"v4i\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v8u\" type=\"uint16\" count=\"8\"/><vector id=\"v8i\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v16u\" type=\"uint8\" count=\"16\"/><vector id=\"v16i\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v1u\" type=\"uint128\" count=\"1\"/><vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n"
	"<union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/><field name=\"s\" type=\"v2i\"/></union>"
	"<union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/><field name=\"s\" type=\"v4i\"/></union>"
	"<union id=\"vnh\"><field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/></union>"
	"<union id=\"vnb\"><field name=\"u\" type=\"v16u\"/><field name=\"s\" type=\"v16i\"/></union>"
	"<union id=\"vnq\"><field name=\"u\" type=\"v1u\"/><field name=\"s\" type=\"v1i\"/></union>"
	"<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/>"
	"<field name=\"h\" type=\"vnh\"/><field name=\"b\" type=\"vnb\"/><field name=\"q\" type=\"vnq\"/></union>\n"
	"<reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\" regnum=\"34\"/>"
	"<reg name=\"v1\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v2\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v3\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v4\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v5\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v6\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v7\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v8\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v9\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v10\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v11\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v12\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v13\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v14\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v15\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v16\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v17\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v18\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v19\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v20\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v21\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v22\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v23\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v24\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v25\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v26\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v27\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v28\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v29\" bitsize=\"128\" type=\"aarch64v\"/><reg name=\"v30\" bitsize=\"128\" type=\"aarch64v\"/>"
	"<reg name=\"v31\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"<reg name=\"fpsr\" bitsize=\"32\"/>\n"
	"<reg name=\"fpcr\" bitsize=\"32\"/>\n"
	"</feature>\n"
	"</target>\n";

struct Stub {
	KgdbStop &stop;
	task_struct *g_thread; // Hg: whose registers g/G/p/P use
	usize thread_cursor;   // qfThreadInfo/qsThreadInfo position

	void stop_reply(char *out)
	{
		long tid = kgdb_tid(kgdb_current_task());
		if (stop.watch)
			kstd::snprintf(out, BUFMAX, "T%02x%swatch:%lx;thread:%lx;", stop.signo,
				       stop.watch_kind == 'w' ? "" : stop.watch_kind == 'r' ? "r" : "a",
				       (unsigned long)stop.watch_addr, (unsigned long)tid);
		else
			kstd::snprintf(out, BUFMAX, "T%02xthread:%lx;", stop.signo, (unsigned long)tid);
	}

	// One register as hex, 'x' digits when it is unavailable for that thread.
	char *reg_hex(int r, char *p)
	{
		usize size;
		(void)kgdb_reg_size(r, &size);
		u8 buf[16];
		if (kgdb_get_reg(g_thread, stop, r, buf))
			return mem2hex(buf, p, size);
		for (usize i = 0; i < 2 * size; i++)
			*p++ = 'x';
		*p = 0;
		return p;
	}

	void read_regs(char *out)
	{
		char *p = out;
		for (int r = 0; r < KGDB_NUM_REGS; r++)
			p = reg_hex(r, p);
	}

	void write_regs(const char *hex, char *out)
	{
		if (strlen(hex) < 2 * (33 * 8 + 4)) {
			error_packet(out, 22);
			return;
		}
		if (g_thread != kgdb_current_task()) {
			error_packet(out, 1); // a switched-out task's registers are not writable
			return;
		}
		// x0-x30, pc and cpsr; sp and the FP/SIMD registers stay (see kgdb_set_reg).
		usize off = 0;
		for (int r = 0; r <= 33; r++) {
			usize size;
			(void)kgdb_reg_size(r, &size);
			u8 buf[8];
			if (!hex2mem(hex + off, buf, size)) {
				error_packet(out, 22);
				return;
			}
			if (r != 31)
				(void)kgdb_set_reg(g_thread, stop, r, buf);
			off += 2 * size;
		}
		kstd::strlcpy(out, "OK", BUFMAX);
	}

	void read_mem(const char *p, char *out)
	{
		u64 addr, len;
		if (!hex2u64(&p, &addr) || *p++ != ',' || !hex2u64(&p, &len) || *p) {
			error_packet(out, 22);
			return;
		}
		len = kstd::min<u64>(len, (BUFMAX - 1) / 2);
		static u8 data[BUFMAX / 2];
		usize got = kgdb_read_mem(addr, data, len);
		if (got == 0 && len != 0) {
			error_packet(out, 14); // EFAULT
			return;
		}
		mem2hex(data, out, got);
	}

	// M addr,len:hex and X addr,len:binary (escaped with '}' and 0x20).
	void write_mem(const char *p, usize pkt_len, bool binary, char *out)
	{
		const char *start = p - 1;
		u64 addr, len;
		if (!hex2u64(&p, &addr) || *p++ != ',' || !hex2u64(&p, &len) || *p++ != ':') {
			error_packet(out, 22);
			return;
		}
		static u8 data[BUFMAX];
		usize n = 0;
		if (binary) {
			const char *end = start + pkt_len;
			while (p < end && n < len && n < sizeof(data)) {
				u8 c = static_cast<u8>(*p++);
				if (c == '}') {
					if (p >= end)
						break;
					c = static_cast<u8>(*p++) ^ 0x20;
				}
				data[n++] = c;
			}
		} else if (len <= sizeof(data) && strlen(p) == 2 * len && hex2mem(p, data, len)) {
			n = len;
		}
		if (n != len) {
			error_packet(out, 22);
			return;
		}
		if (len && kgdb_write_mem(addr, data, len).is_error())
			error_packet(out, 14);
		else
			kstd::strlcpy(out, "OK", BUFMAX);
	}

	void breakpoint(const char *p, bool set, char *out)
	{
		u64 type, addr, len;
		const char *q = p;
		if (!hex2u64(&q, &type) || *q++ != ',' || !hex2u64(&q, &addr) || *q++ != ',' || !hex2u64(&q, &len)) {
			error_packet(out, 22);
			return;
		}
		if (type > 4) {
			out[0] = 0; // not supported
			return;
		}
		Result r = set ? kgdb_set_break(static_cast<int>(type), addr, len)
			       : kgdb_remove_break(static_cast<int>(type), addr, len);
		if (!r.is_error())
			kstd::strlcpy(out, "OK", BUFMAX);
		else if (r.error() == Errno::ENOSYS)
			out[0] = 0;
		else
			error_packet(out, r.error());
	}

	void thread_list(char *out)
	{
		char *p = out;
		*p++ = 'm';
		usize listed = 0;
		for (task_struct *t; (t = kgdb_nth_task(thread_cursor)) && p + 20 < out + BUFMAX; thread_cursor++) {
			p += kstd::snprintf(p, 20, "%s%lx", listed++ ? "," : "", (unsigned long)kgdb_tid(t));
			if (listed == 128)
				break;
		}
		if (!listed)
			out[0] = 'l', p = out + 1;
		*p = 0;
		if (listed == 128)
			thread_cursor++;
	}

	void xfer_features(const char *annex, char *out)
	{
		const char *p = annex;
		if (strncmp(p, "target.xml:", 11) != 0) {
			error_packet(out, 0);
			return;
		}
		p += 11;
		u64 off, len;
		if (!hex2u64(&p, &off) || *p++ != ',' || !hex2u64(&p, &len)) {
			error_packet(out, 22);
			return;
		}
		usize total = sizeof(target_xml) - 1;
		if (off >= total) {
			kstd::strlcpy(out, "l", BUFMAX);
			return;
		}
		len = kstd::min<u64>(len, (BUFMAX - 2) / 2); // room for escapes
		usize n = kstd::min<usize>(static_cast<usize>(len), total - off);
		char *q = out;
		*q++ = off + n < total ? 'm' : 'l';
		for (usize i = 0; i < n; i++) {
			char c = target_xml[off + i];
			if (c == '#' || c == '$' || c == '}' || c == '*') {
				*q++ = '}';
				c ^= 0x20;
			}
			*q++ = c;
		}
		*q = 0;
	}

	bool set_thread(const char *p, char *out)
	{
		long tid;
		char op = *p++;
		if ((op != 'g' && op != 'c') || !parse_tid(&p, &tid)) {
			error_packet(out, 22);
			return false;
		}
		if (op == 'g') {
			task_struct *t = tid <= 0 ? kgdb_current_task() : kgdb_find_task(tid);
			if (!t) {
				error_packet(out, 22);
				return false;
			}
			g_thread = t;
		}
		// Hc: the one CPU runs whatever was running; other threads cannot be resumed alone.
		kstd::strlcpy(out, "OK", BUFMAX);
		return true;
	}

	// c/s [addr] and C/S sig[;addr]: the address, when given, becomes pc.
	bool resume_addr(const char *p, bool with_signal, char *out)
	{
		if (with_signal) {
			u64 sig;
			if (!hex2u64(&p, &sig)) {
				error_packet(out, 22);
				return false;
			}
			if (*p == ';')
				p++;
		}
		if (*p) {
			u64 addr;
			if (!hex2u64(&p, &addr) || *p) {
				error_packet(out, 22);
				return false;
			}
			stop.regs->pc = addr;
		}
		return true;
	}

	// vCont;action[:tid][;action[:tid]]...: one CPU, so a step anywhere steps the current task.
	bool vcont(const char *p, KgdbResume *how, char *out)
	{
		bool any = false, step = false;
		while (*p == ';') {
			p++;
			char a = *p++;
			if (a == 'C' || a == 'S') {
				u64 sig;
				if (!hex2u64(&p, &sig)) {
					error_packet(out, 22);
					return false;
				}
			} else if (a != 'c' && a != 's') {
				error_packet(out, 22);
				return false;
			}
			if (*p == ':') {
				p++;
				long tid;
				if (!parse_tid(&p, &tid)) {
					error_packet(out, 22);
					return false;
				}
			}
			any = true;
			step |= a == 's' || a == 'S';
		}
		if (!any || *p) {
			error_packet(out, 22);
			return false;
		}
		*how = step ? KgdbResume::Step : KgdbResume::Continue;
		return true;
	}

	void query(const char *p, char *out)
	{
		out[0] = 0;
		if (!strncmp(p, "qSupported", 10)) {
			kstd::snprintf(out, BUFMAX, "PacketSize=%lx;qXfer:features:read+", (unsigned long)BUFMAX);
		} else if (!strncmp(p, "qXfer:features:read:", 20)) {
			xfer_features(p + 20, out);
		} else if (!strcmp(p, "qC")) {
			kstd::snprintf(out, BUFMAX, "QC%lx", (unsigned long)kgdb_tid(kgdb_current_task()));
		} else if (!strcmp(p, "qAttached")) {
			kstd::strlcpy(out, "1", BUFMAX);
		} else if (!strcmp(p, "qfThreadInfo")) {
			thread_cursor = 0;
			thread_list(out);
		} else if (!strcmp(p, "qsThreadInfo")) {
			thread_list(out);
		} else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
			const char *q = p + 17;
			long tid;
			task_struct *t = parse_tid(&q, &tid) ? kgdb_find_task(tid) : nullptr;
			if (!t) {
				error_packet(out, 22);
				return;
			}
			char info[96];
			kgdb_thread_info(t, info, sizeof(info));
			mem2hex(reinterpret_cast<const u8 *>(info), out, strlen(info));
		} else if (!strncmp(p, "qSymbol", 7)) {
			kstd::strlcpy(out, "OK", BUFMAX); // no symbols wanted
		}
	}

	// One command; true when the kernel resumes (how says in which way).
	bool handle(const char *pkt, usize len, char *out, KgdbResume *how)
	{
		out[0] = 0;
		switch (pkt[0]) {
		case '?':
			stop_reply(out);
			break;
		case 'g':
			read_regs(out);
			break;
		case 'G':
			write_regs(pkt + 1, out);
			break;
		case 'p': {
			const char *p = pkt + 1;
			u64 r;
			usize size;
			if (!hex2u64(&p, &r) || *p || !kgdb_reg_size(static_cast<int>(r), &size))
				error_packet(out, 22);
			else
				reg_hex(static_cast<int>(r), out);
			break;
		}
		case 'P': {
			const char *p = pkt + 1;
			u64 r;
			usize size;
			u8 buf[16];
			if (!hex2u64(&p, &r) || *p++ != '=' || !kgdb_reg_size(static_cast<int>(r), &size) ||
			    strlen(p) != 2 * size || !hex2mem(p, buf, size))
				error_packet(out, 22);
			else if (kgdb_set_reg(g_thread, stop, static_cast<int>(r), buf).is_error())
				error_packet(out, 1);
			else
				kstd::strlcpy(out, "OK", BUFMAX);
			break;
		}
		case 'm':
			read_mem(pkt + 1, out);
			break;
		case 'M':
			write_mem(pkt + 1, len - 1, false, out);
			break;
		case 'X':
			write_mem(pkt + 1, len - 1, true, out);
			break;
		case 'c':
		case 's':
			if (!resume_addr(pkt + 1, false, out))
				break;
			*how = pkt[0] == 's' ? KgdbResume::Step : KgdbResume::Continue;
			return true;
		case 'C':
		case 'S':
			if (!resume_addr(pkt + 1, true, out))
				break;
			*how = pkt[0] == 'S' ? KgdbResume::Step : KgdbResume::Continue;
			return true;
		case 'D':
			put_packet("OK");
			*how = KgdbResume::Detach;
			return true;
		case 'k': // no reply: the kernel carries on without the debugger (Linux's kgdb does the same)
			*how = KgdbResume::Detach;
			return true;
		case 'H':
			set_thread(pkt + 1, out);
			break;
		case 'T': {
			const char *p = pkt + 1;
			long tid;
			if (parse_tid(&p, &tid) && !*p && kgdb_find_task(tid))
				kstd::strlcpy(out, "OK", BUFMAX);
			else
				error_packet(out, 22);
			break;
		}
		case 'Z':
		case 'z':
			breakpoint(pkt + 1, pkt[0] == 'Z', out);
			break;
		case 'q':
			query(pkt, out);
			break;
		case 'v':
			if (!strcmp(pkt, "vCont?")) {
				kstd::strlcpy(out, "vCont;c;C;s;S", BUFMAX);
			} else if (!strncmp(pkt, "vCont;", 6) || !strcmp(pkt, "vCont")) {
				if (vcont(pkt + 5, how, out))
					return true;
			} else if (!strncmp(pkt, "vKill", 5)) {
				put_packet("OK");
				*how = KgdbResume::Detach;
				return true;
			}
			break; // vMustReplyEmpty and the rest: not supported
		default:
			break; // unknown: the empty reply
		}
		return false;
	}
};

} // namespace

KgdbResume gdb_serial_stub(KgdbStop &stop, bool send_stop_reply)
{
	Stub s{stop, kgdb_current_task(), 0};
	if (send_stop_reply) {
		s.stop_reply(out_buf);
		put_packet(out_buf);
	}
	for (;;) {
		usize n = get_packet(in_buf);
		if (n == static_cast<usize>(-1)) {
			error_packet(out_buf, 7); // E2BIG: longer than the PacketSize we announced
			put_packet(out_buf);
			continue;
		}
		if (n == 0) { // "$#00": nothing to do, say so
			put_packet("");
			continue;
		}
		KgdbResume how = KgdbResume::Continue;
		if (s.handle(in_buf, n, out_buf, &how))
			return how;
		put_packet(out_buf);
	}
}
