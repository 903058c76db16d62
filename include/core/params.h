// Kernel command-line parameters, registered like Linux's early_param()/__setup().
//
// Contract:
// - EARLY_PARAM("mem", fn) and KERNEL_PARAM("loglevel", fn) place a KernelParam record in the
//   linker sections `early_params` / `setup_params` (the kernel linker script KEEPs them and
//   defines __start_/__stop_ symbols; on the host the linker does so for these C-identifier
//   section names). Records are constant; there is no runtime registration.
// - Handlers get the text after '=' (quotes removed), or nullptr for a bare `name`; they
//   return Result. A failing early handler prints "Malformed early option 'name'" (Linux), a
//   failing normal one "Malformed kernel option 'name'". Several handlers may share a name;
//   all run.
// - Syntax (Linux lib/cmdline.c next_arg/parse_args): whitespace-separated words, `name` or
//   `name=value`, double quotes group words with spaces ("a b" or name="a b"), dashes and
//   underscores are equal in names, `--` ends the kernel's parameters and the rest belongs to
//   init.
// - Call order at boot: set_boot_command_line(bootargs) once, parse_early_params() once
//   before memory is set up, parse_kernel_params() once after the allocators work. Unknown
//   parameters (matching no early or normal record, and without '.' which would make them
//   module parameters) are reported once, in one line, by parse_kernel_params, and kept for
//   init: bare ones as arguments, name=value ones as environment (Linux).
// - No locking: boot runs these single-threaded.
#pragma once

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

// Largest command line kept (arm64 Linux's COMMAND_LINE_SIZE), including the NUL.
inline constexpr usize COMMAND_LINE_SIZE = 2048;
// Linux's MAX_INIT_ARGS / MAX_INIT_ENVS.
inline constexpr usize MAX_INIT_ARGS = 32;
inline constexpr usize MAX_INIT_ENVS = 32;

using ParamHandler = Result (*)(const char *val);

struct KernelParam {
	const char *name;
	ParamHandler handler;
};

#if defined(__has_attribute) && __has_attribute(retain)
#define PARAM_RETAIN __attribute__((retain))
#else
#define PARAM_RETAIN
#endif

#define PARAM_CONCAT2(a, b) a##b
#define PARAM_CONCAT(a, b) PARAM_CONCAT2(a, b)
// Records are exactly two pointers with pointer alignment, so a section is a plain array.
#define PARAM_RECORD(sec, str, fn)                                                         \
	[[maybe_unused]] static const KernelParam PARAM_CONCAT(__param_, __COUNTER__)           \
		__attribute__((used, section(#sec), aligned(alignof(void *)))) PARAM_RETAIN = {    \
			str, fn}

#define EARLY_PARAM(str, fn) PARAM_RECORD(early_params, str, fn)
#define KERNEL_PARAM(str, fn) PARAM_RECORD(setup_params, str, fn)

// The registered records.
kstd::span<const KernelParam> early_param_records();
kstd::span<const KernelParam> setup_param_records();

// Copies cmdline (nullptr means empty) into the kernel's fixed-size buffer. E2BIG (with a
// message giving both lengths) when it had to be truncated; the truncated copy is kept.
Result set_boot_command_line(const char *cmdline);
// The kept copy (Linux's boot_command_line).
const char *boot_command_line();

// Linux parameter equality: '-' and '_' are the same character.
bool parameq(const char *a, const char *b);

// Tokenizes args in place (Linux next_arg rules) calling fn(param, val, arg) for each word
// until `--`, which makes it return the text after it (or nullptr without `--`). A failing
// callback stops nothing: it is reported by the callback itself.
using ParamCallback = void (*)(char *param, char *val, void *arg);
char *parse_args(char *args, ParamCallback fn, void *arg);

// Runs every EARLY_PARAM handler whose name matches a word of cmdline (a private copy is
// parsed). Linux parse_early_param. Runs at most once per boot unless reset for tests.
void parse_early_params(const char *cmdline);
// Runs the KERNEL_PARAM handlers, reports the unknown words once, collects init's arguments
// and environment; returns the init arguments after `--` (nullptr when none). Parses its own
// copy of cmdline, which the returned pointer and init_argv()/init_envp() point into.
const char *parse_kernel_params(const char *cmdline);

// Unknown bare words and words after `--` (init's argv[1..]) and unknown name=value words
// (init's environment), in command-line order.
kstd::span<const char *const> init_argv();
kstd::span<const char *const> init_envp();

// Host tests and fuzzing: forget the saved command line, the parse-once flags and init's
// arguments.
void params_reset_for_test();
