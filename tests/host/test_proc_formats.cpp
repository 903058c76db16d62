// /proc generators against Linux 6.1's recorded output (tests/linux-6.1, README.md there):
// - the per-process and snapshot formats (fs/proc/format.cpp) are fed the values Linux printed
//   and must print Linux's text byte for byte;
// - the memory manager's generators run on the host allocator and must print Linux's fields in
//   its order with its widths (values differ: they are this machine's).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fs/proc/format.h"
#include "tests/host/test_page_alloc.h"

namespace {

std::string recorded(const char *name)
{
	std::ifstream f(std::string("tests/linux-6.1/") + name, std::ios::binary);
	REQUIRE_MESSAGE(f.good(), "missing recording tests/linux-6.1/", name);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

std::vector<std::string> lines_of(const std::string &s)
{
	std::vector<std::string> v;
	std::string cur;
	for (char c : s) {
		if (c == '\n') {
			v.push_back(cur);
			cur.clear();
		} else {
			cur += c;
		}
	}
	if (!cur.empty())
		v.push_back(cur);
	return v;
}

std::vector<std::string> words(const std::string &s)
{
	std::vector<std::string> v;
	std::istringstream is(s);
	for (std::string w; is >> w;)
		v.push_back(w);
	return v;
}

template <typename F> std::string run(F f)
{
	seq_file m;
	static F *fn;
	fn = &f;
	seq_single_init(
		&m, [](seq_file *mm, void *) { return (*fn)(mm), 0; }, nullptr);
	REQUIRE(!seq_generate(&m).is_error());
	std::string s(m.buf, m.count);
	seq_release(&m);
	return s;
}

// "Name:\t   848 kB" -> 848 (the number after the name).
unsigned long field(const std::string &text, const std::string &name)
{
	for (auto &l : lines_of(text))
		if (l.rfind(name, 0) == 0)
			return std::stoul(l.substr(name.size()));
	FAIL("no field ", name);
	return 0;
}

// Digit runs and the blanks before them become " N": the shape of a line without its values,
// which keeps every other character and every field that is not a number.
std::string shape(const std::string &s) { return std::regex_replace(s, std::regex("[ \t]*[0-9]+"), " N"); }

// The snapshot of /init as Linux printed it in self_stat/self_status.
proc_task_snapshot linux_init_snapshot()
{
	auto f = words(recorded("self_stat"));
	REQUIRE(f.size() == 52);
	std::string status = recorded("self_status");
	proc_task_snapshot t{};
	t.pid = 1;
	t.tgid = 1;
	strcpy(t.comm, "init");
	t.state = 'R';
	t.ppid = std::stoi(f[3]);
	t.pgrp = std::stoi(f[4]);
	t.session = std::stoi(f[5]);
	t.tty_nr = std::stoi(f[6]);
	t.tpgid = std::stoi(f[7]);
	t.flags = static_cast<unsigned>(std::stoul(f[8]));
	t.min_flt = std::stoul(f[9]);
	t.utime_ns = std::stoull(f[13]) * 10000000ull;
	t.stime_ns = std::stoull(f[14]) * 10000000ull;
	t.num_threads = std::stoi(f[19]);
	t.start_time_ns = std::stoull(f[21]) * 10000000ull;
	t.has_mm = true;
	t.total_vm = std::stoul(f[22]) / 4096;
	t.rss_anon = std::stoul(f[23]);
	t.start_code = std::stoul(f[25]);
	t.end_code = std::stoul(f[26]);
	t.start_stack = std::stoul(f[27]);
	t.exit_signal = std::stoi(f[37]);
	t.start_data = std::stoul(f[44]);
	t.end_data = std::stoul(f[45]);
	t.start_brk = std::stoul(f[46]);
	t.arg_start = std::stoul(f[47]);
	t.arg_end = std::stoul(f[48]);
	t.env_start = std::stoul(f[49]);
	t.env_end = std::stoul(f[50]);
	t.umask = 022;
	t.fdsize = 64;
	t.hiwater_rss = field(status, "VmHWM:\t") / 4;
	t.data_vm = field(status, "VmData:\t") / 4;
	t.stack_vm = field(status, "VmStk:\t") / 4;
	t.exec_vm = (field(status, "VmExe:\t") + field(status, "VmLib:\t")) / 4;
	t.pgtables_bytes = field(status, "VmPTE:\t") * 1024;
	t.sigq_limit = std::stoul(status.substr(status.find("SigQ:\t0/") + 8));
	t.cpus_allowed = 1;
	t.nr_cpu_ids = 1;
	t.nvcsw = field(status, "voluntary_ctxt_switches:\t");
	t.nivcsw = field(status, "nonvoluntary_ctxt_switches:\t");
	return t;
}

} // namespace

TEST_CASE("proc formats: /proc/<pid>/stat, status and statm of a process are Linux's, byte for byte")
{
	proc_task_snapshot t = linux_init_snapshot();
	CHECK(run([&](seq_file *m) { show_pid_stat(m, t); }) == recorded("self_stat"));
	CHECK(run([&](seq_file *m) { show_pid_status(m, t); }) == recorded("self_status"));
	CHECK(run([&](seq_file *m) { show_pid_statm(m, t); }) == recorded("self_statm"));
}

TEST_CASE("proc formats: a kernel thread's stat and status (no mm: no Vm lines) are Linux's")
{
	std::string status = recorded("kthreadd_status");
	auto f = words(recorded("kthreadd_stat"));
	REQUIRE(f.size() == 52);
	proc_task_snapshot t{};
	t.pid = t.tgid = 2;
	strcpy(t.comm, "kthreadd");
	t.state = 'S';
	t.wchan = true;
	t.tty_nr = 0;
	t.tpgid = -1;
	t.flags = static_cast<unsigned>(std::stoul(f[8]));
	t.stime_ns = std::stoull(f[14]) * 10000000ull;
	t.num_threads = 1;
	t.start_time_ns = std::stoull(f[21]) * 10000000ull;
	t.sig_ignored = ~0ull;
	t.exit_signal = std::stoi(f[37]);
	t.umask = 022;
	t.fdsize = 64;
	t.sigq_limit = 3626;
	t.cpus_allowed = 1;
	t.nr_cpu_ids = 1;
	t.nvcsw = field(status, "voluntary_ctxt_switches:\t");
	t.nivcsw = field(status, "nonvoluntary_ctxt_switches:\t");
	CHECK(run([&](seq_file *m) { show_pid_stat(m, t); }) == recorded("kthreadd_stat"));
	CHECK(run([&](seq_file *m) { show_pid_status(m, t); }) == status);
	CHECK(run([&](seq_file *m) { show_pid_statm(m, t); }) == "0 0 0 0 0 0 0\n");
}

namespace {

const std::map<std::string, unsigned> vmflag_bits = {
	{"rd", 0}, {"wr", 1}, {"ex", 2}, {"sh", 3}, {"mr", 4}, {"mw", 5}, {"me", 6}, {"ms", 7}, {"gd", 8},
	{"pf", 10}, {"lo", 13}, {"io", 14}, {"de", 18}, {"ac", 20}, {"nr", 21}, {"dd", 26}, {"mg", 31},
};

// A maps line back into the VMA it describes.
proc_vma_info parse_maps_line(const std::string &l, std::string *name)
{
	proc_vma_info v{};
	char perms[5];
	unsigned long long off;
	unsigned maj, min;
	unsigned long long ino;
	int consumed = 0;
	REQUIRE(sscanf(l.c_str(), "%lx-%lx %4s %llx %x:%x %llu %n", &v.start, &v.end, perms, &off, &maj, &min, &ino,
		       &consumed) == 7);
	v.vm_flags = (perms[0] == 'r' ? 1 : 0) | (perms[1] == 'w' ? 2 : 0) | (perms[2] == 'x' ? 4 : 0) |
		     (perms[3] == 's' ? 0x80 : 0);
	v.pgoff_bytes = off;
	v.dev_major = maj;
	v.dev_minor = min;
	v.ino = ino;
	*name = l.substr(static_cast<size_t>(consumed));
	v.name = name->empty() ? nullptr : name->c_str();
	return v;
}

mem_size_stats parse_stats(const std::vector<std::string> &block)
{
	mem_size_stats s{};
	std::map<std::string, unsigned long> kb;
	for (auto &l : block) {
		auto c = l.find(':');
		if (c != std::string::npos && l.find(" kB") != std::string::npos)
			kb[l.substr(0, c)] = std::stoul(l.substr(c + 1)) * 1024;
	}
	s.resident = kb["Rss"];
	s.pss = static_cast<u64>(kb["Pss"]) << PSS_SHIFT;
	s.pss_dirty = static_cast<u64>(kb["Pss_Dirty"]) << PSS_SHIFT;
	s.pss_anon = static_cast<u64>(kb["Pss_Anon"]) << PSS_SHIFT;
	s.pss_file = static_cast<u64>(kb["Pss_File"]) << PSS_SHIFT;
	s.pss_shmem = static_cast<u64>(kb["Pss_Shmem"]) << PSS_SHIFT;
	s.shared_clean = kb["Shared_Clean"];
	s.shared_dirty = kb["Shared_Dirty"];
	s.private_clean = kb["Private_Clean"];
	s.private_dirty = kb["Private_Dirty"];
	s.referenced = kb["Referenced"];
	s.anonymous = kb["Anonymous"];
	s.swap = kb["Swap"];
	return s;
}

} // namespace

TEST_CASE("proc formats: maps lines (widths, padding, names) are Linux's")
{
	std::string rec = recorded("self_maps");
	std::string out;
	for (auto &l : lines_of(rec)) {
		std::string name;
		proc_vma_info v = parse_maps_line(l, &name);
		out += run([&](seq_file *m) { show_map_vma(m, v); });
	}
	CHECK(out == rec);
}

TEST_CASE("proc formats: smaps and smaps_rollup blocks are Linux's")
{
	std::string rec = recorded("self_smaps");
	auto ls = lines_of(rec);
	std::string out;
	for (size_t i = 0; i < ls.size();) {
		std::string name;
		proc_vma_info v = parse_maps_line(ls[i], &name);
		size_t j = i + 1;
		while (j < ls.size() && ls[j].rfind("VmFlags:", 0) != 0)
			j++;
		REQUIRE(j < ls.size());
		v.vm_flags = 0;
		for (auto &w : words(ls[j].substr(8))) {
			REQUIRE_MESSAGE(vmflag_bits.count(w), "unknown flag ", w);
			v.vm_flags |= 1ul << vmflag_bits.at(w);
		}
		mem_size_stats s = parse_stats(std::vector<std::string>(ls.begin() + static_cast<long>(i) + 1,
									ls.begin() + static_cast<long>(j)));
		out += run([&](seq_file *m) { show_smap(m, v, s); });
		i = j + 1;
	}
	CHECK(out == rec);

	std::string roll = recorded("self_smaps_rollup");
	auto rl = lines_of(roll);
	std::string name;
	proc_vma_info v = parse_maps_line(rl[0], &name);
	mem_size_stats s = parse_stats(rl);
	CHECK(run([&](seq_file *m) { show_smaps_rollup(m, v.start, v.end, s); }) == roll);
}

TEST_CASE("proc formats: uptime, loadavg and stat are Linux's")
{
	CHECK(run([](seq_file *m) { show_uptime(m, 2380000000ull + 4999999, 0); }) == recorded("uptime"));
	const unsigned long zero[3] = {0, 0, 0};
	CHECK(run([&](seq_file *m) { show_loadavg(m, zero, 1, 44, 78); }) == recorded("loadavg"));
	// Linux's rounding: 0.995 and up shows as 1.00, one FIXED_1 / 200 step below stays 0.99.
	const unsigned long near_one[3] = {FIXED_1 - FIXED_1 / 200, FIXED_1 - FIXED_1 / 200 - 2, 2 * FIXED_1};
	CHECK(run([&](seq_file *m) { show_loadavg(m, near_one, 2, 5, 9); }) == "1.00 0.99 2.00 2/5 9\n");
	// calc_load converges up on a steady load of one task and decays back.
	unsigned long a = 0;
	for (int i = 0; i < 200; i++)
		a = calc_load(a, EXP_1, FIXED_1);
	CHECK(a == FIXED_1);
	for (int i = 0; i < 200; i++)
		a = calc_load(a, EXP_1, 0);
	CHECK(a == 0);

	std::string rec = recorded("stat");
	auto ls = lines_of(rec);
	auto cpu = words(ls[1]);
	kernel_cpustat c{};
	static constexpr cpu_usage_stat order[] = {CPUTIME_USER,   CPUTIME_NICE,   CPUTIME_SYSTEM,  CPUTIME_IDLE,
						   CPUTIME_IOWAIT, CPUTIME_IRQ,    CPUTIME_SOFTIRQ, CPUTIME_STEAL,
						   CPUTIME_GUEST,  CPUTIME_GUEST_NICE};
	for (int k = 0; k < 10; k++)
		c.cpustat[order[k]] = std::stoull(cpu[static_cast<size_t>(k) + 1]) * 10000000ull;
	auto intr = words(ls[2]);
	std::vector<u64> irqs;
	for (size_t k = 2; k < intr.size(); k++)
		irqs.push_back(std::stoull(intr[k]));
	unsigned id0 = 0;
	proc_stat_snapshot s{};
	s.nr_cpus = 1;
	s.cpu_ids = &id0;
	s.cpu = &c;
	s.irqs = irqs.data();
	s.nr_irqs = static_cast<unsigned>(irqs.size());
	s.ctxt = std::stoull(words(ls[3])[1]);
	s.btime = std::stoull(words(ls[4])[1]);
	s.processes = std::stoull(words(ls[5])[1]);
	s.procs_running = static_cast<unsigned>(std::stoul(words(ls[6])[1]));
	s.procs_blocked = static_cast<unsigned>(std::stoul(words(ls[7])[1]));
	auto soft = words(ls[8]);
	for (unsigned k = 0; k < NR_SOFTIRQS; k++)
		s.softirq[k] = std::stoull(soft[k + 2]);
	CHECK(run([&](seq_file *m) { show_stat(m, s); }) == rec);
}

TEST_CASE("proc formats: the mm generators print Linux 6.1's fields, order and widths")
{
	HostMm mm(patest::small_config());
	// meminfo: the same names in the same order; every line as long as Linux's (the value
	// right-aligned in the same columns) unless one of the two values is wider.
	auto mine = lines_of(run([](seq_file *m) { show_meminfo(m); }));
	auto linux_mem = lines_of(recorded("meminfo"));
	REQUIRE(mine.size() == linux_mem.size());
	for (size_t i = 0; i < mine.size(); i++) {
		CHECK(mine[i].substr(0, mine[i].find(':')) == linux_mem[i].substr(0, linux_mem[i].find(':')));
		CHECK(shape(mine[i]) == shape(linux_mem[i]));
		if (words(mine[i])[1].size() <= 8 && words(linux_mem[i])[1].size() <= 8)
			CHECK(mine[i].size() == linux_mem[i].size());
	}
	// vmstat: every name in Linux's order.
	auto vm = lines_of(run([](seq_file *m) { show_vmstat(m); }));
	auto linux_vm = lines_of(recorded("vmstat"));
	REQUIRE(vm.size() == linux_vm.size());
	for (size_t i = 0; i < vm.size(); i++)
		CHECK(words(vm[i])[0] == words(linux_vm[i])[0]);
	// buddyinfo and pagetypeinfo: Linux's text with the numbers taken out.
	CHECK(shape(run([](seq_file *m) { show_buddyinfo(m); })) == shape(recorded("buddyinfo")));
	CHECK(shape(run([](seq_file *m) { show_pagetypeinfo(m); })) == shape(recorded("pagetypeinfo")));
	// zoneinfo: the populated zone's block line by line, then each empty zone's.
	CHECK(shape(run([](seq_file *m) { show_zoneinfo(m); })) == shape(recorded("zoneinfo")));
}
