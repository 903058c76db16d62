// Runtime for `make UBSAN=1` (clang -fsanitize=undefined): the __ubsan_handle_* functions the
// instrumented code calls, printing Linux-style reports on the console and carrying on.
//
// Data layouts are clang's (compiler-rt ubsan_handlers.h / ubsan_value.h; checked against the
// IR clang 14 emits). Each report is printed once per source location: the REPORTED bit is set
// in the location's column, which clang places in writable data for exactly this purpose
// (compiler-rt and Linux's lib/ubsan.c do the same).
//
// This file must not be instrumented itself (a check inside a handler would call the handler
// again): the pragma below gives every function no_sanitize("undefined"), so the file needs no
// special flags. The *_abort variants (-fno-sanitize-recover) report and then panic.
#include "asm/smp.h"
#include "core/panic.h"
#include "core/printk.h"
#include "kstd/util.h"
#include "lib/format.h"

#pragma clang attribute push(__attribute__((no_sanitize("undefined"))), apply_to = function)

namespace {

struct SourceLocation {
	const char *file;
	u32 line;
	u32 column;
};

enum : u16 { TK_INTEGER = 0, TK_FLOAT = 1, TK_UNKNOWN = 0xffff };

struct TypeDescriptor {
	u16 kind;
	// Integers: bit 0 = signed, bits 1.. = log2(bit width). Floats: the bit width.
	u16 info;
	char name[1]; // NUL-terminated, quoted: "'unsigned long'"
};

struct TypeMismatchData {
	SourceLocation loc;
	const TypeDescriptor *type;
	u8 log_alignment;
	u8 type_check_kind;
};

struct AlignmentAssumptionData {
	SourceLocation loc;
	SourceLocation assumption_loc;
	const TypeDescriptor *type;
};

struct OverflowData {
	SourceLocation loc;
	const TypeDescriptor *type;
};

struct ShiftOutOfBoundsData {
	SourceLocation loc;
	const TypeDescriptor *lhs_type;
	const TypeDescriptor *rhs_type;
};

struct OutOfBoundsData {
	SourceLocation loc;
	const TypeDescriptor *array_type;
	const TypeDescriptor *index_type;
};

struct UnreachableData {
	SourceLocation loc;
};

struct VlaBoundData {
	SourceLocation loc;
	const TypeDescriptor *type;
};

struct InvalidValueData {
	SourceLocation loc;
	const TypeDescriptor *type;
};

struct ImplicitConversionData {
	SourceLocation loc;
	const TypeDescriptor *from_type;
	const TypeDescriptor *to_type;
	u8 kind;
};

struct InvalidBuiltinData {
	SourceLocation loc;
	u8 kind;
};

struct NonNullReturnData {
	SourceLocation attr_loc;
};

struct NonNullArgData {
	SourceLocation loc;
	SourceLocation attr_loc;
	int arg_index;
};

struct PointerOverflowData {
	SourceLocation loc;
};

struct FunctionTypeMismatchData {
	SourceLocation loc;
	const TypeDescriptor *type;
};

constexpr u32 REPORTED = 1u << 31;
constexpr u32 LOCATION_MASK = ~REPORTED;
constexpr const char *CUT_LINE =
	"================================================================================\n";

// A handler firing inside a report (printk or the formatter hitting UB) must not recurse.
bool in_report[NR_CPUS];

unsigned this_cpu()
{
	unsigned cpu = smp_processor_id();
	return cpu < NR_CPUS ? cpu : 0;
}

// Prints the header and returns true if loc has not been reported before.
bool begin_report(SourceLocation *loc, const char *reason)
{
	unsigned cpu = this_cpu();
	if (in_report[cpu])
		return false;
	u32 old = __atomic_fetch_or(&loc->column, REPORTED, __ATOMIC_RELAXED);
	if (old & REPORTED)
		return false;
	in_report[cpu] = true;
	pr_err("%s", CUT_LINE);
	pr_err("UBSAN: %s in %s:%u:%u\n", reason, loc->file ? loc->file : "<unknown>", loc->line & LOCATION_MASK,
	       old & LOCATION_MASK);
	return true;
}

// call_site is the address of the instrumented code's call to the handler.
void end_report(uptr call_site)
{
	pr_err("at %pS\n", reinterpret_cast<void *>(call_site));
	pr_err("%s", CUT_LINE);
	in_report[this_cpu()] = false;
}

[[noreturn]] void die(const char *what) { panic("UBSAN: %s (not recoverable)", what); }

bool is_int(const TypeDescriptor *t) { return t->kind == TK_INTEGER; }
bool is_signed(const TypeDescriptor *t) { return is_int(t) && (t->info & 1); }
unsigned bit_width(const TypeDescriptor *t)
{
	if (is_int(t))
		return 1u << (t->info >> 1);
	return t->kind == TK_FLOAT ? t->info : 0;
}

// Integers up to 64 bits travel in the handle itself; wider ones (and floats wider than a
// pointer) behind a pointer to the value.
bool is_inline(const TypeDescriptor *t) { return bit_width(t) <= 64; }

i64 signed_value(const TypeDescriptor *t, uptr v)
{
	unsigned extra = 64 - bit_width(t);
	return static_cast<i64>(static_cast<u64>(v) << extra) >> extra;
}

bool is_negative(const TypeDescriptor *t, uptr v)
{
	if (!is_signed(t))
		return false;
	if (is_inline(t))
		return signed_value(t, v) < 0;
	return static_cast<i64>(reinterpret_cast<const u64 *>(v)[1]) < 0; // 128-bit, high half
}

// Only meaningful when the value is known to fit in 64 bits (shift exponents, array indices).
u64 unsigned_value(const TypeDescriptor *t, uptr v)
{
	if (is_inline(t))
		return v;
	return reinterpret_cast<const u64 *>(v)[0];
}

struct ValueText {
	char s[40];
};

ValueText value_text(const TypeDescriptor *t, uptr v)
{
	ValueText out;
	if (is_int(t) && is_inline(t)) {
		if (is_signed(t))
			kstd::scnprintf(out.s, sizeof(out.s), "%lld", static_cast<long long>(signed_value(t, v)));
		else
			kstd::scnprintf(out.s, sizeof(out.s), "%llu", static_cast<unsigned long long>(v));
	} else if (is_int(t) && bit_width(t) == 128) {
		const u64 *w = reinterpret_cast<const u64 *>(v);
		kstd::scnprintf(out.s, sizeof(out.s), "0x%016llx%016llx", static_cast<unsigned long long>(w[1]),
				static_cast<unsigned long long>(w[0]));
	} else if (t->kind == TK_FLOAT) {
		// The kernel has no floating point (-mgeneral-regs-only); print the bits if they fit.
		if (is_inline(t))
			kstd::scnprintf(out.s, sizeof(out.s), "<float bits 0x%llx>", static_cast<unsigned long long>(v));
		else
			kstd::scnprintf(out.s, sizeof(out.s), "<float>");
	} else {
		kstd::scnprintf(out.s, sizeof(out.s), "<unknown>");
	}
	return out;
}

void print_secondary_location(const char *what, const SourceLocation &loc)
{
	if (loc.file)
		pr_err("%s specified here: %s:%u:%u\n", what, loc.file, loc.line & LOCATION_MASK, loc.column & LOCATION_MASK);
}

// --- reports ----------------------------------------------------------------------------------

const char *const type_check_kinds[] = {
	"load of",
	"store to",
	"reference binding to",
	"member access within",
	"member call on",
	"constructor call on",
	"downcast of",
	"downcast of",
	"upcast of",
	"cast to virtual base of",
	"_Nonnull binding to",
	"dynamic operation on",
};

void report_type_mismatch_v1(uptr site, TypeMismatchData *d, uptr ptr)
{
	const char *kind = d->type_check_kind < ARRAY_SIZE(type_check_kinds) ? type_check_kinds[d->type_check_kind]
									     : "access to";
	uptr alignment = uptr{1} << d->log_alignment;
	if (!ptr) {
		if (!begin_report(&d->loc, "null-ptr-deref"))
			return;
		pr_err("%s null pointer of type %s\n", kind, d->type->name);
	} else if (ptr & (alignment - 1)) {
		if (!begin_report(&d->loc, "misaligned-access"))
			return;
		pr_err("%s misaligned address %p for type %s\n", kind, reinterpret_cast<void *>(ptr), d->type->name);
		pr_err("which requires %lu byte alignment\n", static_cast<unsigned long>(alignment));
	} else {
		if (!begin_report(&d->loc, "object-size-mismatch"))
			return;
		pr_err("%s address %p with insufficient space\n", kind, reinterpret_cast<void *>(ptr));
		pr_err("for an object of type %s\n", d->type->name);
	}
	end_report(site);
}

void report_alignment_assumption(uptr site, AlignmentAssumptionData *d, uptr ptr, uptr align, uptr offset)
{
	if (!begin_report(&d->loc, "alignment-assumption"))
		return;
	if (offset)
		pr_err("assumption of %lu byte alignment (with offset of %lu byte) for pointer of type %s failed\n",
		       static_cast<unsigned long>(align), static_cast<unsigned long>(offset), d->type->name);
	else
		pr_err("assumption of %lu byte alignment for pointer of type %s failed\n", static_cast<unsigned long>(align),
		       d->type->name);
	uptr real = ptr - offset;
	pr_err("%saddress is %lu aligned, misalignment offset is %lu bytes\n", offset ? "offset " : "",
	       real ? static_cast<unsigned long>(real & (0 - real)) : 0ul,
	       align ? static_cast<unsigned long>(real & (align - 1)) : 0ul);
	print_secondary_location("alignment assumption was", d->assumption_loc);
	end_report(site);
}

void report_overflow(uptr site, OverflowData *d, uptr lhs, uptr rhs, char op)
{
	if (!begin_report(&d->loc, is_signed(d->type) ? "signed-integer-overflow" : "unsigned-integer-overflow"))
		return;
	pr_err("%s %c %s cannot be represented in type %s\n", value_text(d->type, lhs).s, op, value_text(d->type, rhs).s,
	       d->type->name);
	end_report(site);
}

void report_add_overflow(uptr site, OverflowData *d, uptr lhs, uptr rhs) { report_overflow(site, d, lhs, rhs, '+'); }
void report_sub_overflow(uptr site, OverflowData *d, uptr lhs, uptr rhs) { report_overflow(site, d, lhs, rhs, '-'); }
void report_mul_overflow(uptr site, OverflowData *d, uptr lhs, uptr rhs) { report_overflow(site, d, lhs, rhs, '*'); }

void report_negate_overflow(uptr site, OverflowData *d, uptr old)
{
	if (!begin_report(&d->loc, "negation-overflow"))
		return;
	pr_err("negation of %s cannot be represented in type %s\n", value_text(d->type, old).s, d->type->name);
	end_report(site);
}

void report_divrem_overflow(uptr site, OverflowData *d, uptr lhs, uptr rhs)
{
	if (!begin_report(&d->loc, "division-overflow"))
		return;
	if (is_signed(d->type) && is_inline(d->type) && signed_value(d->type, rhs) == -1)
		pr_err("division of %s by -1 cannot be represented in type %s\n", value_text(d->type, lhs).s, d->type->name);
	else
		pr_err("division by zero\n");
	end_report(site);
}

void report_shift_out_of_bounds(uptr site, ShiftOutOfBoundsData *d, uptr lhs, uptr rhs)
{
	if (!begin_report(&d->loc, "shift-out-of-bounds"))
		return;
	if (is_negative(d->rhs_type, rhs))
		pr_err("shift exponent %s is negative\n", value_text(d->rhs_type, rhs).s);
	else if (unsigned_value(d->rhs_type, rhs) >= bit_width(d->lhs_type))
		pr_err("shift exponent %s is too large for %u-bit type %s\n", value_text(d->rhs_type, rhs).s,
		       bit_width(d->lhs_type), d->lhs_type->name);
	else if (is_negative(d->lhs_type, lhs))
		pr_err("left shift of negative value %s\n", value_text(d->lhs_type, lhs).s);
	else
		pr_err("left shift of %s by %s places cannot be represented in type %s\n", value_text(d->lhs_type, lhs).s,
		       value_text(d->rhs_type, rhs).s, d->lhs_type->name);
	end_report(site);
}

void report_out_of_bounds(uptr site, OutOfBoundsData *d, uptr index)
{
	if (!begin_report(&d->loc, "array-index-out-of-bounds"))
		return;
	pr_err("index %s is out of range for type %s\n", value_text(d->index_type, index).s, d->array_type->name);
	end_report(site);
}

void report_load_invalid_value(uptr site, InvalidValueData *d, uptr val)
{
	if (!begin_report(&d->loc, "invalid-load"))
		return;
	pr_err("load of value %s is not a valid value for type %s\n", value_text(d->type, val).s, d->type->name);
	end_report(site);
}

void report_vla_bound_not_positive(uptr site, VlaBoundData *d, uptr bound)
{
	if (!begin_report(&d->loc, "vla-bound-not-positive"))
		return;
	pr_err("variable length array bound evaluates to non-positive value %s\n", value_text(d->type, bound).s);
	end_report(site);
}

void report_nonnull_arg(uptr site, NonNullArgData *d)
{
	if (!begin_report(&d->loc, "nonnull-attribute"))
		return;
	pr_err("null pointer passed as argument %d, which is declared to never be null\n", d->arg_index);
	print_secondary_location("nonnull attribute", d->attr_loc);
	end_report(site);
}

void report_nonnull_return_v1(uptr site, NonNullReturnData *d, SourceLocation *loc)
{
	if (!begin_report(loc, "returns-nonnull-attribute"))
		return;
	pr_err("null pointer returned from function declared to never return null\n");
	print_secondary_location("returns_nonnull attribute", d->attr_loc);
	end_report(site);
}

void report_invalid_builtin(uptr site, InvalidBuiltinData *d)
{
	if (!begin_report(&d->loc, "invalid-builtin-use"))
		return;
	pr_err("passing zero to %s, which is not a valid argument\n", d->kind == 0 ? "ctz()" : "clz()");
	end_report(site);
}

void report_pointer_overflow(uptr site, PointerOverflowData *d, uptr base, uptr result)
{
	if (!begin_report(&d->loc, "pointer-overflow"))
		return;
	void *b = reinterpret_cast<void *>(base);
	void *r = reinterpret_cast<void *>(result);
	if (base == 0 && result == 0)
		pr_err("applying zero offset to null pointer\n");
	else if (base == 0)
		pr_err("applying non-zero offset %p to null pointer\n", r);
	else if (result == 0)
		pr_err("applying non-zero offset to non-null pointer %p produced null pointer\n", b);
	else if ((static_cast<isize>(base) >= 0) == (static_cast<isize>(result) >= 0)) {
		if (base > result)
			pr_err("addition of unsigned offset to %p overflowed to %p\n", b, r);
		else
			pr_err("subtraction of unsigned offset from %p overflowed to %p\n", b, r);
	} else {
		pr_err("pointer index expression with base %p overflowed to %p\n", b, r);
	}
	end_report(site);
}

const char *conversion_reason(u8 kind)
{
	switch (kind) {
	case 0:
		return "implicit-integer-truncation";
	case 1:
		return "implicit-unsigned-integer-truncation";
	case 2:
		return "implicit-signed-integer-truncation";
	case 3:
		return "implicit-integer-sign-change";
	case 4:
		return "implicit-signed-integer-truncation-or-sign-change";
	default:
		return "implicit-conversion";
	}
}

void report_implicit_conversion(uptr site, ImplicitConversionData *d, uptr src, uptr dst)
{
	if (!begin_report(&d->loc, conversion_reason(d->kind)))
		return;
	const TypeDescriptor *from = d->from_type, *to = d->to_type;
	pr_err("implicit conversion from type %s of value %s (%u-bit, %ssigned) to type %s changed the value to %s "
	       "(%u-bit, %ssigned)\n",
	       from->name, value_text(from, src).s, bit_width(from), is_signed(from) ? "" : "un", to->name,
	       value_text(to, dst).s, bit_width(to), is_signed(to) ? "" : "un");
	end_report(site);
}

void report_function_type_mismatch(uptr site, FunctionTypeMismatchData *d, uptr fn)
{
	if (!begin_report(&d->loc, "function-type-mismatch"))
		return;
	pr_err("call to function %pS through pointer to incorrect function type %s\n", reinterpret_cast<void *>(fn),
	       d->type->name);
	end_report(site);
}

} // namespace

// The instrumented code's call instruction, whose return address is the next instruction.
#define CALL_SITE (reinterpret_cast<uptr>(__builtin_return_address(0)) - 4)

// A recoverable handler and its -fno-sanitize-recover twin.
#define UBSAN_HANDLER(name, params, ...)                                              \
	extern "C" void __ubsan_handle_##name params { report_##name(CALL_SITE, __VA_ARGS__); } \
	extern "C" [[noreturn]] void __ubsan_handle_##name##_abort params                  \
	{                                                                                 \
		report_##name(CALL_SITE, __VA_ARGS__);                                        \
		die(#name);                                                                   \
	}

UBSAN_HANDLER(type_mismatch_v1, (TypeMismatchData * d, uptr ptr), d, ptr)
UBSAN_HANDLER(alignment_assumption, (AlignmentAssumptionData * d, uptr ptr, uptr align, uptr off), d, ptr, align, off)
UBSAN_HANDLER(add_overflow, (OverflowData * d, uptr lhs, uptr rhs), d, lhs, rhs)
UBSAN_HANDLER(sub_overflow, (OverflowData * d, uptr lhs, uptr rhs), d, lhs, rhs)
UBSAN_HANDLER(mul_overflow, (OverflowData * d, uptr lhs, uptr rhs), d, lhs, rhs)
UBSAN_HANDLER(negate_overflow, (OverflowData * d, uptr old), d, old)
UBSAN_HANDLER(divrem_overflow, (OverflowData * d, uptr lhs, uptr rhs), d, lhs, rhs)
UBSAN_HANDLER(shift_out_of_bounds, (ShiftOutOfBoundsData * d, uptr lhs, uptr rhs), d, lhs, rhs)
UBSAN_HANDLER(out_of_bounds, (OutOfBoundsData * d, uptr index), d, index)
UBSAN_HANDLER(load_invalid_value, (InvalidValueData * d, uptr val), d, val)
UBSAN_HANDLER(vla_bound_not_positive, (VlaBoundData * d, uptr bound), d, bound)
UBSAN_HANDLER(nonnull_arg, (NonNullArgData * d), d)
UBSAN_HANDLER(nonnull_return_v1, (NonNullReturnData * d, SourceLocation *loc), d, loc)
UBSAN_HANDLER(invalid_builtin, (InvalidBuiltinData * d), d)
UBSAN_HANDLER(pointer_overflow, (PointerOverflowData * d, uptr base, uptr result), d, base, result)
UBSAN_HANDLER(implicit_conversion, (ImplicitConversionData * d, uptr src, uptr dst), d, src, dst)
UBSAN_HANDLER(function_type_mismatch, (FunctionTypeMismatchData * d, uptr fn), d, fn)

// clang 11..16 name it _v1 and pass two RTTI pointers the kernel (-fno-rtti) has no use for.
extern "C" void __ubsan_handle_function_type_mismatch_v1(FunctionTypeMismatchData *d, uptr fn, uptr, uptr)
{
	report_function_type_mismatch(CALL_SITE, d, fn);
}
extern "C" [[noreturn]] void __ubsan_handle_function_type_mismatch_v1_abort(FunctionTypeMismatchData *d, uptr fn, uptr,
									     uptr)
{
	report_function_type_mismatch(CALL_SITE, d, fn);
	die("function_type_mismatch");
}

// Never recoverable: the compiler has no code to continue with.
extern "C" [[noreturn]] void __ubsan_handle_builtin_unreachable(UnreachableData *d)
{
	if (begin_report(&d->loc, "unreachable")) {
		pr_err("calling __builtin_unreachable()\n");
		end_report(CALL_SITE);
	}
	die("__builtin_unreachable() reached");
}

extern "C" [[noreturn]] void __ubsan_handle_missing_return(UnreachableData *d)
{
	if (begin_report(&d->loc, "missing-return")) {
		pr_err("execution reached the end of a value-returning function without returning a value\n");
		end_report(CALL_SITE);
	}
	die("missing return");
}

#pragma clang attribute pop
