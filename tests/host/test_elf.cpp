// lib/elf: decoding of static AArch64 executables. Crafted images cover every rejection rule
// (each hostile case names the field the message must mention); real binaries are built at
// test time with clang/lld (and Debian's aarch64-linux-gnu-gcc when installed) and checked
// against llvm-readelf; a seeded mutation run checks that no corrupted header is ever
// accepted in a state that breaks the ElfImage invariants (ASan catches any stray read).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lib/elf.h"
#include "tests/host/support/host_support.h"

using namespace elf;

namespace {

struct Phdr {
	u32 type, flags;
	u64 offset, vaddr, filesz, memsz, align;
};

// A minimal ET_EXEC: text segment covering the headers, a data+bss segment, a GNU_STACK.
struct Builder {
	u16 type = ET_EXEC;
	u16 machine = EM_AARCH64;
	u8 cls = 2, data = 1, version = 1, osabi = 0;
	u32 e_version = 1;
	u64 entry = 0x400100;
	u64 phoff = 64;
	u16 ehsize = 64, phentsize = 56;
	int phnum_override = -1;
	usize file_size = 0x1100;
	std::vector<Phdr> ph = {
		{PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000, 0x10000},
		{PT_LOAD, PF_R | PF_W, 0x1000, 0x411000, 0x100, 0x2000, 0x10000},
		{PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16},
	};

	std::vector<u8> build() const
	{
		usize need = phoff + ph.size() * 56;
		std::vector<u8> f(std::max(file_size, std::min<usize>(need, 1 << 20)), 0);
		auto put = [&](usize off, auto v) {
			if (off <= f.size() && f.size() - off >= sizeof(v))
				memcpy(f.data() + off, &v, sizeof(v));
		};
		f[0] = 0x7f, f[1] = 'E', f[2] = 'L', f[3] = 'F', f[4] = cls, f[5] = data, f[6] = version, f[7] = osabi;
		put(16, type);
		put(18, machine);
		put(20, e_version);
		put(24, entry);
		put(32, phoff);
		put(52, ehsize);
		put(54, phentsize);
		put(56, u16(phnum_override >= 0 ? phnum_override : int(ph.size())));
		for (usize i = 0; i < ph.size() && phoff < f.size(); i++) {
			usize o = phoff + i * 56;
			put(o, ph[i].type);
			put(o + 4, ph[i].flags);
			put(o + 8, ph[i].offset);
			put(o + 16, ph[i].vaddr);
			put(o + 24, ph[i].vaddr);
			put(o + 32, ph[i].filesz);
			put(o + 40, ph[i].memsz);
			put(o + 48, ph[i].align);
		}
		f.resize(file_size);
		return f;
	}
};

ErrorOr<ElfImage> parse(const std::vector<u8> &f)
{
	return elf_parse(kstd::span<const u8>(f.data(), f.size()), "test");
}

// Invariants every accepted image must satisfy, whatever the input was.
void check_invariants(const ElfImage &img, usize file_size, Caller at = {})
{
	CALLED_FROM(at);
	REQUIRE(img.nr_segs >= 1);
	REQUIRE(img.nr_segs <= ELF_MAX_LOAD);
	bool entry_in_x = false;
	for (u32 i = 0; i < img.nr_segs; i++) {
		const ElfSegment &s = img.segs[i];
		CHECK(s.filesz <= s.memsz);
		CHECK(s.offset + s.filesz <= file_size);
		CHECK(s.offset + s.filesz >= s.offset);
		CHECK(s.vaddr + s.memsz <= TASK_SIZE);
		CHECK((s.vaddr - s.offset) % PAGE_SIZE == 0);
		if (img.type == ElfType::Exec)
			CHECK(s.map_start() >= ELF_MIN_VADDR);
		if (i > 0)
			CHECK(img.segs[i - 1].mem_end() <= s.map_start());
		if ((s.prot & PROT_EXEC) && img.entry >= s.vaddr && img.entry < s.file_end())
			entry_in_x = true;
	}
	CHECK(entry_in_x);
	CHECK(img.lo == img.segs[0].map_start());
	CHECK(img.hi == img.segs[img.nr_segs - 1].mem_end());
	CHECK(img.phoff + u64(img.phnum) * 56 <= file_size);
}

} // namespace

TEST_CASE("elf: a well-formed ET_EXEC is described exactly")
{
	Builder b;
	auto f = b.build();
	auto r = parse(f);
	REQUIRE(!r.is_error());
	const ElfImage &img = r.value();
	CHECK(img.type == ElfType::Exec);
	CHECK(img.entry == 0x400100);
	CHECK(img.nr_segs == 2);
	CHECK(img.segs[0].vaddr == 0x400000);
	CHECK(img.segs[0].prot == (PROT_READ | PROT_EXEC));
	CHECK(img.segs[1].prot == (PROT_READ | PROT_WRITE));
	CHECK(img.segs[1].file_map_end() == 0x412000);
	CHECK(img.segs[1].mem_end() == 0x413000);
	CHECK(img.lo == 0x400000);
	CHECK(img.hi == 0x413000);
	CHECK(img.phdr_vaddr == 0x400040);
	CHECK(img.phnum == 3);
	CHECK(img.phentsize == 56);
	CHECK(img.max_align == 0x10000);
	CHECK(img.exec_stack == ExecStack::No);
	CHECK(!img.has_tls);
	check_invariants(img, f.size());
	CHECK(elf_load_bias(img, ELF_ET_DYN_BASE).value() == 0);
}

TEST_CASE("elf: PT_GNU_STACK, PT_TLS and out-of-order PT_LOADs")
{
	Builder b;
	b.ph[2].flags = PF_R | PF_W | PF_X;
	std::swap(b.ph[0], b.ph[1]);
	b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0x10, 0x40, 8});
	auto f = b.build();
	auto r = parse(f);
	REQUIRE(!r.is_error());
	CHECK(r.value().exec_stack == ExecStack::Yes);
	CHECK(r.value().segs[0].vaddr == 0x400000); // sorted
	CHECK(r.value().has_tls);
	CHECK(r.value().tls.memsz == 0x40);
	check_invariants(r.value(), f.size());

	Builder nostack;
	nostack.ph.pop_back();
	auto r2 = parse(nostack.build());
	REQUIRE(!r2.is_error());
	CHECK(r2.value().exec_stack == ExecStack::Default);
}

TEST_CASE("elf: static-PIE gets a bias that keeps p_align and stays in the user half")
{
	Builder b;
	b.type = ET_DYN;
	b.entry = 0x100;
	b.ph[0].vaddr = 0;
	b.ph[1].vaddr = 0x11000;
	b.ph.push_back({PT_DYNAMIC, PF_R | PF_W, 0x1000, 0x11000, 0x10, 0x10, 8});
	auto f = b.build();
	auto r = parse(f);
	REQUIRE(!r.is_error());
	const ElfImage &img = r.value();
	CHECK(img.type == ElfType::DynPie);
	CHECK(img.has_dynamic);
	CHECK(img.lo == 0);
	auto bias = elf_load_bias(img, ELF_ET_DYN_BASE);
	REQUIRE(!bias.is_error());
	CHECK(bias.value() == ELF_ET_DYN_BASE);
	CHECK(bias.value() % img.max_align == 0);
	// A base that is not a multiple of p_align is rounded down to one.
	CHECK(elf_load_bias(img, 0x7000'1234'5000).value() == 0x7000'1234'0000);
	CHECK(elf_load_bias(img, 0x1001).error().code() == Errno::EINVAL);
	CHECK(elf_load_bias(img, 0).error().code() == Errno::ENOMEM);			  // zero page
	CHECK(elf_load_bias(img, TASK_SIZE - 0x10000).error().code() == Errno::ENOMEM); // past TASK_SIZE
	CHECK(elf_load_bias(img, TASK_SIZE - 0x20000).value() == TASK_SIZE - 0x20000);
	CHECK(ELF_ET_DYN_BASE % SZ_2M == 0);
	CHECK(ELF_ET_DYN_BASE > TASK_SIZE / 2);
	CHECK(ELF_ET_DYN_BASE < TASK_SIZE);
}

TEST_CASE("elf: hostile headers are rejected with a message naming the field")
{
	struct Case {
		const char *what;
		void (*mutate)(Builder &);
		const char *field;
		Errno err = Errno::ENOEXEC;
	};
	const Case cases[] = {
		{"empty file", [](Builder &b) { b.file_size = 0; }, "shorter than the ELF header"},
		{"truncated ehdr", [](Builder &b) { b.file_size = 63; }, "shorter than the ELF header"},
		{"32-bit", [](Builder &b) { b.cls = 1; }, "EI_CLASS"},
		{"big-endian", [](Builder &b) { b.data = 2; }, "EI_DATA"},
		{"ident version", [](Builder &b) { b.version = 0; }, "EI_VERSION"},
		{"osabi", [](Builder &b) { b.osabi = 9; }, "EI_OSABI"},
		{"ET_REL", [](Builder &b) { b.type = 1; }, "e_type"},
		{"ET_CORE", [](Builder &b) { b.type = 4; }, "e_type"},
		{"x86-64", [](Builder &b) { b.machine = 62; }, "e_machine"},
		{"e_version", [](Builder &b) { b.e_version = 2; }, "e_version"},
		{"e_ehsize", [](Builder &b) { b.ehsize = 52; }, "e_ehsize"},
		{"e_phentsize", [](Builder &b) { b.phentsize = 32; }, "e_phentsize"},
		{"no phdrs", [](Builder &b) { b.phnum_override = 0; }, "e_phnum"},
		{"PN_XNUM", [](Builder &b) { b.phnum_override = 0xffff; }, "e_phnum"},
		{"phnum over 64 KiB", [](Builder &b) { b.phnum_override = 1200; }, "e_phnum"},
		{"phnum past EOF", [](Builder &b) { b.phnum_override = 80; }, "e_phoff"},
		{"phoff past EOF", [](Builder &b) { b.phoff = 0x10f0; }, "e_phoff"},
		{"phoff wraps", [](Builder &b) { b.phoff = ~u64{0} - 8; b.file_size = 0x1100; }, "e_phoff"},
		{"PT_INTERP of 1 byte", [](Builder &b) { b.ph.push_back({PT_INTERP, PF_R, 0x200, 0x400200, 1, 1, 1}); },
		 "PT_INTERP"},
		{"PT_INTERP past EOF", [](Builder &b) { b.ph.push_back({PT_INTERP, PF_R, 0x10f0, 0x400200, 0x1b, 0x1b, 1}); },
		 "PT_INTERP"},
		{"PT_INTERP over PATH_MAX", [](Builder &b) { b.ph.push_back({PT_INTERP, PF_R, 0x200, 0x400200, 4097, 4097, 1}); },
		 "PT_INTERP"},
		{"filesz > memsz", [](Builder &b) { b.ph[1].filesz = 0x3000; b.file_size = 0x5000; }, "p_filesz"},
		{"offset past EOF", [](Builder &b) { b.ph[1].offset = 0x100000; b.ph[1].vaddr = 0x511000; }, "p_offset"},
		{"offset+filesz wraps", [](Builder &b) { b.ph[1].offset = ~u64{0} & PAGE_MASK; b.ph[1].filesz = 0x2000;
						   b.ph[1].memsz = 0x2000; }, "p_offset"},
		{"filesz past EOF", [](Builder &b) { b.ph[1].filesz = 0x101; b.ph[1].memsz = 0x2000; b.file_size = 0x1100; },
		 "p_offset"},
		{"vaddr beyond 2^48", [](Builder &b) { b.ph[1].vaddr = TASK_SIZE - 0x1000 + 0x0; b.ph[1].memsz = 0x2000; },
		 "user half"},
		{"kernel address", [](Builder &b) { b.ph[1].vaddr = 0xffff'0000'0041'1000; }, "user half"},
		{"vaddr+memsz wraps", [](Builder &b) { b.ph[1].memsz = ~u64{0} - 0x1000; }, "user half"},
		{"zero page", [](Builder &b) { b.ph[0].vaddr = 0; b.entry = 0x100; b.ph[1].vaddr = 0x11000; }, "zero page"},
		{"p_align not power of two", [](Builder &b) { b.ph[1].align = 0x3000; }, "p_align"},
		{"vaddr/offset not congruent mod p_align", [](Builder &b) { b.ph[1].vaddr = 0x421000; b.ph[1].align = 0x100000; },
		 "congruent"},
		{"vaddr/offset differ within page", [](Builder &b) { b.ph[1].vaddr = 0x411800; b.ph[1].align = 0; },
		 "modulo the page size"},
		{"overlapping segments", [](Builder &b) { b.ph[1].vaddr = 0x400000 + 0x1000; b.ph[0].memsz = 0x2000;
						   b.ph[1].align = 0x1000; }, "overlap"},
		{"segments sharing a page", [](Builder &b) { b.ph[0].memsz = 0x1234; b.ph[1].vaddr = 0x401000;
						   b.ph[1].align = 0x1000; b.ph[1].offset = 0x1000; }, "overlap"},
		{"no PT_LOAD", [](Builder &b) { b.ph.erase(b.ph.begin(), b.ph.begin() + 2); }, "no PT_LOAD"},
		{"entry outside", [](Builder &b) { b.entry = 0x500000; }, "e_entry"},
		{"entry in bss of X seg", [](Builder &b) { b.ph[0].filesz = 0x800; b.entry = 0x400900; }, "e_entry"},
		{"entry in non-exec data", [](Builder &b) { b.entry = 0x411010; }, "e_entry"},
		{"entry misaligned", [](Builder &b) { b.entry = 0x400102; }, "4-byte aligned"},
		{"second PT_TLS", [](Builder &b) { b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0, 8, 8});
						   b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0, 8, 8}); }, "second PT_TLS"},
		{"PT_TLS filesz > memsz", [](Builder &b) { b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0x20, 8, 8}); },
		 "PT_TLS p_filesz"},
		{"PT_TLS past EOF", [](Builder &b) { b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0x200, 0x200, 8}); },
		 "PT_TLS p_offset"},
		{"PT_TLS outside PT_LOAD", [](Builder &b) { b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x500000, 0x10, 0x10, 8}); },
		 "PT_TLS initialisation image"},
		{"PT_TLS bad align", [](Builder &b) { b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0x10, 0x10, 12}); },
		 "PT_TLS p_align"},
		{"17 PT_LOADs", [](Builder &b) {
			 for (int i = 0; i < 15; i++)
				 b.ph.push_back({PT_LOAD, PF_R, 0x1000, 0x600000 + u64(i) * 0x10000, 0x10, 0x10, 0x1000});
		 }, "more than 16 PT_LOAD", Errno::E2BIG},
	};
	for (const Case &c : cases) {
		CAPTURE(c.what);
		Builder b;
		c.mutate(b);
		host_take_log();
		auto r = parse(b.build());
		REQUIRE(r.is_error());
		CHECK(r.error().code() == c.err);
		std::string log = host_take_log();
		CHECK_MESSAGE(log.find(c.field) != std::string::npos, log);
		CHECK(log.find("exec: test: ") == 0);
		CHECK(std::count(log.begin(), log.end(), '\n') == 1);
	}
}

TEST_CASE("elf: a file cut anywhere before its last needed byte is rejected")
{
	Builder b;
	auto full = b.build();
	// Needed: the headers and the data segment's file part, which ends at 0x1100.
	for (usize n = 0; n < full.size(); n++) {
		std::vector<u8> cut(full.begin(), full.begin() + n); // exact-size buffer: ASan sees overreads
		CAPTURE(n);
		CHECK(parse(cut).is_error());
	}
	CHECK(!parse(full).is_error());
	host_take_log();
}

TEST_CASE("elf: random corruption of the headers never yields a broken ElfImage")
{
	std::mt19937_64 rng(7);
	Builder b;
	b.ph.push_back({PT_TLS, PF_R, 0x1000, 0x411000, 0x10, 0x40, 8});
	auto base = b.build();
	usize hdr_bytes = 64 + b.ph.size() * 56;
	int accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		std::vector<u8> f = base;
		int flips = 1 + int(rng() % 4);
		for (int k = 0; k < flips; k++) {
			usize off = rng() % hdr_bytes;
			switch (rng() % 3) {
			case 0: f[off] ^= u8(1u << (rng() % 8)); break;
			case 1: f[off] = u8(rng()); break;
			default: f[off] = (rng() & 1) ? 0xff : 0; break;
			}
		}
		auto r = parse(f);
		if (!r.is_error()) {
			accepted++;
			check_invariants(r.value(), f.size());
		}
	}
	// Most flips land in bytes exec reads; some (e_shoff, padding, p_paddr) are harmless.
	CHECK(accepted > 100);
	CHECK(accepted < 20000);
	host_take_log();
}

// --- real binaries -------------------------------------------------------------------------

namespace {

std::string tmpdir()
{
	static std::string dir;
	if (dir.empty()) {
		char t[] = "/tmp/elf-test-XXXXXX";
		REQUIRE(mkdtemp(t) != nullptr);
		dir = t;
	}
	return dir;
}

bool run(const std::string &cmd) { return system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

std::string capture(const std::string &cmd)
{
	std::string out;
	FILE *p = popen(cmd.c_str(), "r");
	if (!p)
		return out;
	char buf[4096];
	usize n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		out.append(buf, n);
	pclose(p);
	return out;
}

std::vector<u8> slurp(const std::string &path)
{
	std::vector<u8> v;
	FILE *fp = fopen(path.c_str(), "rb");
	if (!fp)
		return v;
	int c;
	while ((c = fgetc(fp)) != EOF)
		v.push_back(u8(c));
	fclose(fp);
	return v;
}

const char *const PROGRAM = R"(
static char buf[100000];             /* bss spanning pages */
static long data = 42;               /* .data */
__thread long tls_var = 7;           /* PT_TLS */
void _start(void) {
	buf[99999] = (char)data + (char)tls_var;
	register long x8 __asm__("x8") = 93, x0 __asm__("x0") = 0;
	__asm__ volatile("svc #0" : : "r"(x8), "r"(x0));
	for (;;) {}
}
)";

// Cross-checks our view against llvm-readelf's for one binary.
void check_against_readelf(const std::string &path, bool pie, Caller caller = {})
{
	CALLED_FROM(caller);
	auto f = slurp(path);
	REQUIRE(!f.empty());
	auto r = elf_parse(kstd::span<const u8>(f.data(), f.size()), path.c_str());
	REQUIRE_MESSAGE(!r.is_error(), host_take_log());
	const ElfImage &img = r.value();
	check_invariants(img, f.size());
	CHECK(img.type == (pie ? ElfType::DynPie : ElfType::Exec));
	CHECK(img.phdr_vaddr != 0);

	std::string hdr = capture("llvm-readelf -hlW " + path);
	unsigned long long e_entry = 0;
	auto at = hdr.find("Entry point address:");
	REQUIRE(at != std::string::npos);
	sscanf(hdr.c_str() + at, "Entry point address: %llx", &e_entry);
	CHECK(img.entry == e_entry);
	// Every LOAD line: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
	std::vector<ElfSegment> loads;
	for (usize p = hdr.find("\n  LOAD"); p != std::string::npos; p = hdr.find("\n  LOAD", p + 1)) {
		unsigned long long off, va, pa, fs, ms;
		char flg[8] = {};
		REQUIRE(sscanf(hdr.c_str() + p, "\n  LOAD %llx %llx %llx %llx %llx %3c", &off, &va, &pa, &fs, &ms, flg) == 6);
		u32 prot = (strchr(flg, 'R') ? PROT_READ : 0) | (strchr(flg, 'W') ? PROT_WRITE : 0) |
			   (strchr(flg, 'E') ? PROT_EXEC : 0);
		if (ms)
			loads.push_back({va, ms, off, fs, prot, 0});
	}
	std::sort(loads.begin(), loads.end(), [](auto &a, auto &b) { return a.vaddr < b.vaddr; });
	REQUIRE(loads.size() == img.nr_segs);
	for (usize i = 0; i < loads.size(); i++) {
		CHECK(img.segs[i].vaddr == loads[i].vaddr);
		CHECK(img.segs[i].memsz == loads[i].memsz);
		CHECK(img.segs[i].offset == loads[i].offset);
		CHECK(img.segs[i].filesz == loads[i].filesz);
		CHECK(img.segs[i].prot == loads[i].prot);
	}
	CHECK(img.has_tls == (hdr.find("\n  TLS") != std::string::npos));
	CHECK(img.exec_stack == (hdr.find("GNU_STACK") == std::string::npos ? ExecStack::Default : ExecStack::No));
	if (pie) {
		auto bias = elf_load_bias(img, ELF_ET_DYN_BASE);
		REQUIRE(!bias.is_error());
		CHECK((img.lo + bias.value()) % img.max_align == 0);
	}
}

} // namespace

TEST_CASE("elf: static programs linked by clang/lld, ET_EXEC and static-PIE")
{
	std::string d = tmpdir();
	FILE *src = fopen((d + "/p.c").c_str(), "w");
	REQUIRE(src);
	fputs(PROGRAM, src);
	fclose(src);
	const std::string cc = "clang --target=aarch64-linux-gnu -ffreestanding -nostdlib -fuse-ld=lld -O1 ";
	if (!run(cc + "-fno-pic -static -o " + d + "/exec " + d + "/p.c")) {
		MESSAGE("clang cannot link for aarch64-linux-gnu here; crafted images only");
		return;
	}
	check_against_readelf(d + "/exec", false);
	REQUIRE(run(cc + "-fPIE -static -Wl,-pie,--no-dynamic-linker -o " + d + "/pie " + d + "/p.c"));
	check_against_readelf(d + "/pie", true);
	// lld's other layouts: no separate code page, and a 4 KiB max page size.
	REQUIRE(run(cc + "-fno-pic -static -Wl,-z,noseparate-code,-z,max-page-size=4096 -o " + d + "/exec4k " + d + "/p.c"));
	check_against_readelf(d + "/exec4k", false);
	// Dynamically linked: accepted, the interpreter's path recorded.
	if (run(cc + "-fPIE -Wl,-pie,--dynamic-linker=/lib/ld-linux-aarch64.so.1 -o " + d + "/dyn " + d + "/p.c")) {
		auto f = slurp(d + "/dyn");
		host_take_log();
		auto r = elf_parse(kstd::span<const u8>(f.data(), f.size()), "dyn");
		REQUIRE(!r.is_error());
		REQUIRE(r.value().has_interp);
		CHECK(std::string(reinterpret_cast<const char *>(f.data() + r.value().interp_offset)) ==
		      "/lib/ld-linux-aarch64.so.1");
		// Only the headers at hand: the same answer; too few bytes for the table: refused.
		auto h = elf_parse(kstd::span<const u8>(f.data(), 4096), f.size(), "dyn");
		REQUIRE(!h.is_error());
		CHECK(h.value().interp_offset == r.value().interp_offset);
		CHECK(elf_parse(kstd::span<const u8>(f.data(), 64), f.size(), "dyn").is_error());
	}
	host_take_log();
}

TEST_CASE("elf: glibc programs from Debian's aarch64-linux-gnu-gcc")
{
	if (!run("aarch64-linux-gnu-gcc --version")) {
		MESSAGE("aarch64-linux-gnu-gcc not installed (SETUP_CROSS=1 tools/setup.sh); skipped");
		return;
	}
	std::string d = tmpdir();
	FILE *src = fopen((d + "/g.c").c_str(), "w");
	REQUIRE(src);
	fputs("#include <stdio.h>\n#include <stdlib.h>\nint main(void){char *p=malloc(100);"
	      "printf(\"%p\\n\",p);return 0;}\n", src);
	fclose(src);
	REQUIRE(run("aarch64-linux-gnu-gcc -O1 -static -o " + d + "/gstatic " + d + "/g.c"));
	check_against_readelf(d + "/gstatic", false);
	if (run("aarch64-linux-gnu-gcc -O1 -static-pie -o " + d + "/gpie " + d + "/g.c"))
		check_against_readelf(d + "/gpie", true);
	REQUIRE(run("aarch64-linux-gnu-gcc -O1 -o " + d + "/gdyn " + d + "/g.c"));
	auto f = slurp(d + "/gdyn");
	auto r = elf_parse(kstd::span<const u8>(f.data(), f.size()), "gdyn");
	REQUIRE(!r.is_error());
	CHECK(r.value().has_interp);
	CHECK(r.value().type == ElfType::DynPie);
}

#include "lib/cpio.h"

TEST_CASE("elf+cpio: every program in build/initramfs.cpio is accepted, as exec will see it")
{
	auto a = slurp("build/initramfs.cpio");
	if (a.empty()) {
		MESSAGE("build/initramfs.cpio not built yet (make user); skipped");
		return;
	}
	kstd::span<const u8> arch(a.data(), a.size());
	REQUIRE(!cpio::validate(arch).is_error());
	REQUIRE(!cpio::find(arch, "/init").is_error());
	REQUIRE(!cpio::find(arch, "/bench/mmbench").is_error());
	cpio::Reader r(arch);
	cpio::Entry e;
	int programs = 0;
	while (r.next(e).value()) {
		if (!e.is_reg())
			continue;
		CAPTURE(std::string(e.name));
		// Exec reads the image in place: parse the archive's own bytes, not a copy.
		auto img = elf_parse(e.data, e.name);
		REQUIRE_MESSAGE(!img.is_error(), host_take_log());
		check_invariants(img.value(), e.data.size());
		CHECK(img.value().phdr_vaddr != 0);
		CHECK(img.value().exec_stack != ExecStack::Yes);
		for (u32 i = 0; i < img.value().nr_segs; i++) // W^X in every program we ship
			CHECK((img.value().segs[i].prot & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC));
		programs++;
	}
	CHECK(programs >= 10);
}
