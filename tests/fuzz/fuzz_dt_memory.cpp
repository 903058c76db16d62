// libFuzzer target: fdt_validate + early_init_dt_scan + early_init_dt_memblock on arbitrary
// bytes (see dt_fuzz_harness.h). Built and run by tests/fuzz/fuzz.mk (`make fuzz`,
// `make fuzz-smoke`).
#include "tests/fuzz/dt_fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dt_fuzz_one(data, size);
	return 0;
}
