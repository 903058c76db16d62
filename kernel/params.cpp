// Command-line parsing with Linux's rules (lib/cmdline.c next_arg, kernel/params.c
// parse_args, init/main.c parse_early_param/unknown_bootoption). See params.h.
#include "core/params.h"

#include "core/printk.h"
#include "kstd/string.h"

// Bounds of the record sections: defined by the kernel linker script, and by the host linker
// for C-identifier section names. Weak so an image without any record of a kind still links.
extern "C" {
extern const KernelParam __start_early_params[] __attribute__((weak));
extern const KernelParam __stop_early_params[] __attribute__((weak));
extern const KernelParam __start_setup_params[] __attribute__((weak));
extern const KernelParam __stop_setup_params[] __attribute__((weak));
}

namespace {

char g_boot_command_line[COMMAND_LINE_SIZE];
// Parsing writes NULs into its input, so each pass works on its own copy (Linux keeps
// tmp_cmdline and static_command_line for the same reason).
char g_early_copy[COMMAND_LINE_SIZE];
char g_static_copy[COMMAND_LINE_SIZE];
char g_init_args[COMMAND_LINE_SIZE];
// Text of the "Unknown kernel command line parameters" report; never longer than the line.
char g_unknown[COMMAND_LINE_SIZE];
bool g_early_done;

const char *g_argv[MAX_INIT_ARGS];
usize g_argc;
const char *g_envp[MAX_INIT_ENVS];
usize g_envc;

kstd::span<const KernelParam> records(const KernelParam *start, const KernelParam *stop)
{
	if (!start || !stop || stop <= start)
		return {};
	return kstd::span<const KernelParam>(start, usize(stop - start));
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

char *skip_spaces(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

char dash2underscore(char c) { return c == '-' ? '_' : c; }

// Linux next_arg: splits off one word, returns the rest with leading spaces skipped.
char *next_arg(char *args, char **param, char **val)
{
	usize i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*args == '"') {
		args++;
		in_quote = true;
		quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (is_space(args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = nullptr;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		// Quotes around a value are not part of it.
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	return skip_spaces(args);
}

// Linux repair_env_string: turns the split "name\0value" back into "name=value".
void repair_env_string(char *param, char *val)
{
	if (!val)
		return;
	usize len = strlen(param);
	if (val == param + len + 1) {
		val[-1] = '=';
	} else if (val == param + len + 2) {
		val[-2] = '=';
		memmove(val - 1, val, strlen(val) + 1);
	}
}

void do_early_param(char *param, char *val, void *)
{
	for (const KernelParam &p : early_param_records()) {
		if (parameq(param, p.name) && p.handler(val).is_error())
			pr_warn("Malformed early option '%s'\n", param);
	}
}

bool add_init_word(const char **arr, usize *count, usize max, const char *kind, const char *word)
{
	if (*count >= max) {
		pr_warn("Too many boot %s vars at `%s', ignored\n", kind, word);
		return false;
	}
	arr[(*count)++] = word;
	return true;
}

void unknown_bootoption(char *param, char *val, void *)
{
	bool known = false;
	for (const KernelParam &p : setup_param_records()) {
		if (parameq(param, p.name)) {
			known = true;
			if (p.handler(val).is_error())
				pr_warn("Malformed kernel option '%s'\n", param);
		}
	}
	for (const KernelParam &p : early_param_records())
		known |= parameq(param, p.name);
	if (known)
		return;
	// name.param belongs to a module: not unknown, not for init either (Linux).
	if (strchr(param, '.'))
		return;
	repair_env_string(param, val);
	if (val)
		add_init_word(g_envp, &g_envc, MAX_INIT_ENVS, "env", param);
	else
		add_init_word(g_argv, &g_argc, MAX_INIT_ARGS, "init", param);
}

void set_init_arg(char *param, char *val, void *)
{
	repair_env_string(param, val);
	add_init_word(g_argv, &g_argc, MAX_INIT_ARGS, "init", param);
}

void copy_line(char *dst, const char *src, const char *what)
{
	usize n = kstd::strlcpy(dst, src ? src : "", COMMAND_LINE_SIZE);
	if (n >= COMMAND_LINE_SIZE)
		pr_warn("%s: command line of %zu bytes truncated to %zu\n", what, n,
			COMMAND_LINE_SIZE - 1);
}

} // namespace

kstd::span<const KernelParam> early_param_records()
{
	return records(__start_early_params, __stop_early_params);
}

kstd::span<const KernelParam> setup_param_records()
{
	return records(__start_setup_params, __stop_setup_params);
}

Result set_boot_command_line(const char *cmdline)
{
	usize n = kstd::strlcpy(g_boot_command_line, cmdline ? cmdline : "", COMMAND_LINE_SIZE);
	if (n >= COMMAND_LINE_SIZE) {
		pr_warn("Command line of %zu bytes truncated to %zu (COMMAND_LINE_SIZE)\n", n,
			COMMAND_LINE_SIZE - 1);
		return Errno::E2BIG;
	}
	return {};
}

const char *boot_command_line() { return g_boot_command_line; }

bool parameq(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (dash2underscore(*a) != dash2underscore(*b))
			return false;
		if (!*a)
			return true;
	}
}

char *parse_args(char *args, ParamCallback fn, void *arg)
{
	args = skip_spaces(args);
	while (*args) {
		char *param, *val;
		args = next_arg(args, &param, &val);
		// `--` ends the kernel's part (quoted too, as Linux); `--=x` is a parameter.
		if (!val && strcmp(param, "--") == 0)
			return args;
		fn(param, val, arg);
	}
	return nullptr;
}

void parse_early_params(const char *cmdline)
{
	if (g_early_done)
		return;
	g_early_done = true;
	copy_line(g_early_copy, cmdline, "early options");
	parse_args(g_early_copy, do_early_param, nullptr);
}

const char *parse_kernel_params(const char *cmdline)
{
	copy_line(g_static_copy, cmdline, "kernel options");
	g_argc = g_envc = 0;
	char *after = parse_args(g_static_copy, unknown_bootoption, nullptr);

	if (g_argc || g_envc) {
		usize len = 0;
		auto append = [&](const char *w) {
			len += kstd::strlcpy(g_unknown + len, " ", sizeof(g_unknown) - len);
			if (len < sizeof(g_unknown))
				len += kstd::strlcpy(g_unknown + len, w, sizeof(g_unknown) - len);
			if (len > sizeof(g_unknown) - 1)
				len = sizeof(g_unknown) - 1;
		};
		for (usize i = 0; i < g_argc; i++)
			append(g_argv[i]);
		for (usize i = 0; i < g_envc; i++)
			append(g_envp[i]);
		pr_notice("Unknown kernel command line parameters \"%s\", will be passed to user space.\n",
			  g_unknown + 1);
	}

	if (!after)
		return nullptr;
	// Keep the untouched text for the caller; parse a second copy into init's argv.
	kstd::strlcpy(g_init_args, after, sizeof(g_init_args));
	parse_args(after, set_init_arg, nullptr);
	return g_init_args;
}

kstd::span<const char *const> init_argv() { return kstd::span<const char *const>(g_argv, g_argc); }
kstd::span<const char *const> init_envp() { return kstd::span<const char *const>(g_envp, g_envc); }

void params_reset_for_test()
{
	g_boot_command_line[0] = 0;
	g_early_done = false;
	g_argc = g_envc = 0;
}
