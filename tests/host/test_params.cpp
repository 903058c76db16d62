// kernel/params: the record sections, Linux's tokenizing rules (quotes, `--`, dashes equal
// underscores), early vs normal handlers, the one-line unknown-parameter report and init's
// arguments.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/params.h"
#include "tests/host/support/host_support.h"

namespace {

std::vector<std::string> calls;

void note(const char *who, const char *val)
{
	calls.push_back(std::string(who) + "(" + (val ? val : "null") + ")");
}

Result t_early(const char *v)
{
	note("early", v);
	return {};
}
Result t_early2(const char *v)
{
	note("early2", v);
	return {};
}
Result t_fail(const char *v)
{
	note("fail", v);
	return Errno::EINVAL;
}
Result t_setup(const char *v)
{
	note("setup", v);
	return {};
}
Result t_setup_fail(const char *v) { return Errno::EINVAL; }

} // namespace

EARLY_PARAM("tparam_early", t_early);
EARLY_PARAM("tparam-early", t_early2); // a second handler of the same (dash-equal) name
EARLY_PARAM("tparam_fail", t_fail);
KERNEL_PARAM("tparam_setup", t_setup);
KERNEL_PARAM("tparam_setup_fail", t_setup_fail);

namespace {

struct ParamsTest {
	ParamsTest()
	{
		params_reset_for_test();
		calls.clear();
		host_take_log();
	}
	~ParamsTest() { params_reset_for_test(); }
};

bool has_record(kstd::span<const KernelParam> recs, const char *name)
{
	for (const KernelParam &p : recs)
		if (std::string(p.name) == name)
			return true;
	return false;
}

std::vector<std::string> words(kstd::span<const char *const> s)
{
	return std::vector<std::string>(s.begin(), s.end());
}

void tokenize(char *param, char *val, void *arg)
{
	static_cast<std::vector<std::string> *>(arg)->push_back(std::string(param) + (val ? "=" + std::string(val) + "|" : "|"));
}

std::vector<std::string> tokens(const char *line, std::string *rest = nullptr)
{
	static char buf[COMMAND_LINE_SIZE];
	strcpy(buf, line);
	std::vector<std::string> out;
	char *after = parse_args(buf, tokenize, &out);
	if (rest)
		*rest = after ? after : "<none>";
	return out;
}

} // namespace

TEST_CASE_FIXTURE(ParamsTest, "params: records land in the early_params and setup_params sections")
{
	auto early = early_param_records();
	auto setup = setup_param_records();
	CHECK(has_record(early, "tparam_early"));
	CHECK(has_record(early, "tparam_fail"));
	CHECK(has_record(early, "mem"));
	CHECK(has_record(early, "memmap"));
	CHECK(has_record(early, "memblock"));
	CHECK(!has_record(early, "tparam_setup"));
	CHECK(has_record(setup, "tparam_setup"));
	CHECK(!has_record(setup, "tparam_early"));
	static_assert(sizeof(KernelParam) == 2 * sizeof(void *));
}

TEST_CASE_FIXTURE(ParamsTest, "params: Linux next_arg tokenizing")
{
	CHECK(tokens("") == std::vector<std::string>{});
	CHECK(tokens(" \t\n ") == std::vector<std::string>{});
	CHECK(tokens("a b=c\td=\n e=") == std::vector<std::string>{"a|", "b=c|", "d=|", "e=|"});
	CHECK(tokens("x=\"a b\" \"y=c d\" \"bare word\"") ==
	      std::vector<std::string>{"x=a b|", "y=c d|", "bare word|"});
	CHECK(tokens("k=v=w") == std::vector<std::string>{"k=v=w|"});
	std::string rest;
	CHECK(tokens("a -- b c=d", &rest) == std::vector<std::string>{"a|"});
	CHECK(rest == "b c=d");
	CHECK(tokens("a --=1 b", &rest) == std::vector<std::string>{"a|", "--=1|", "b|"});
	CHECK(rest == "<none>");
	CHECK(tokens("a \"--\" b", &rest) == std::vector<std::string>{"a|"});
	CHECK(rest == "b");
	// An unterminated quote swallows the rest of the line, as in Linux.
	CHECK(tokens("x=\"a b c") == std::vector<std::string>{"x=a b c|"});
	CHECK(parameq("mem_limit", "mem-limit"));
	CHECK(parameq("a-b_c", "a_b-c"));
	CHECK(!parameq("mem", "memmap"));
	CHECK(!parameq("memmap", "mem"));
}

TEST_CASE_FIXTURE(ParamsTest, "params: early handlers run once, stop at --, report malformed options")
{
	parse_early_params("quiet tparam-early=1 tparam_early tparam_setup=9 tparam_fail=x "
			   "-- tparam_early=after");
	CHECK(calls == std::vector<std::string>{"early(1)", "early2(1)", "early(null)", "early2(null)",
						"fail(x)"});
	std::string log = host_take_log();
	CHECK(log == "Malformed early option 'tparam_fail'\n");
	// Unknown words are not reported by the early pass.
	calls.clear();
	parse_early_params("tparam_early=again");
	CHECK(calls.empty());
}

TEST_CASE_FIXTURE(ParamsTest, "params: kernel parameters, unknown report and init's arguments")
{
	const char *init = parse_kernel_params(
		"tparam_setup=3 foo bar=1 mod.param=2 tparam_early=5 \"quoted val\" env=\"x y\" "
		"tparam_setup_fail=1 -- init1 x=y");
	CHECK(calls == std::vector<std::string>{"setup(3)"});
	std::string log = host_take_log();
	CHECK(log == "Malformed kernel option 'tparam_setup_fail'\n"
		     "Unknown kernel command line parameters \"foo quoted val bar=1 env=x y\", will be "
		     "passed to user space.\n");
	REQUIRE(init != nullptr);
	CHECK(std::string(init) == "init1 x=y");
	CHECK(words(init_argv()) == std::vector<std::string>{"foo", "quoted val", "init1", "x=y"});
	CHECK(words(init_envp()) == std::vector<std::string>{"bar=1", "env=x y"});

	calls.clear();
	CHECK(parse_kernel_params("tparam-setup") == nullptr);
	CHECK(calls == std::vector<std::string>{"setup(null)"});
	CHECK(host_take_log().empty());
	CHECK(init_argv().empty());
}

TEST_CASE_FIXTURE(ParamsTest, "params: too many init arguments are reported, not overflowed")
{
	std::string line;
	for (usize i = 0; i < MAX_INIT_ARGS + 2; i++)
		line += "w" + std::to_string(i) + " ";
	parse_kernel_params(line.c_str());
	CHECK(init_argv().size() == MAX_INIT_ARGS);
	std::string log = host_take_log();
	CHECK(log.find("Too many boot init vars at `w32', ignored") != std::string::npos);
	CHECK(log.find("Too many boot init vars at `w33', ignored") != std::string::npos);
}

TEST_CASE_FIXTURE(ParamsTest, "params: the command line copy is bounded and truncation reported")
{
	CHECK(!set_boot_command_line("console=ttyAMA0").is_error());
	CHECK(std::string(boot_command_line()) == "console=ttyAMA0");
	CHECK(!set_boot_command_line(nullptr).is_error());
	CHECK(std::string(boot_command_line()) == "");
	std::string big(3000, 'a');
	Result r = set_boot_command_line(big.c_str());
	REQUIRE(r.is_error());
	CHECK(r.error().code() == Errno::E2BIG);
	CHECK(strlen(boot_command_line()) == COMMAND_LINE_SIZE - 1);
	CHECK(host_take_log() == "Command line of 3000 bytes truncated to 2047 (COMMAND_LINE_SIZE)\n");

	std::string line = "tparam_early=1 " + std::string(2100, 'b') + " tparam_early=2";
	parse_early_params(line.c_str());
	CHECK(calls == std::vector<std::string>{"early(1)", "early2(1)"});
	CHECK(host_take_log() == "early options: command line of " + std::to_string(line.size()) +
				     " bytes truncated to 2047\n");
}
