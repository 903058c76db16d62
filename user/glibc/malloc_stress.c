/* Static glibc malloc under load: many sizes from 1 byte to 1 MiB (glibc serves the large ones
 * with mmap, the small ones from the brk heap, and trims the heap with brk on free), each
 * block filled with a pattern and verified before it is freed. A fixed seed makes every run
 * identical; the result line is "malloc_stress: ok <checksum>" or "malloc_stress: FAIL ...". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096
#define ROUNDS 100000

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	static unsigned char *slot[SLOTS];
	static size_t len[SLOTS];
	uint64_t sum = 0;
	size_t live = 0, peak = 0;
	int rounds = argc > 1 ? atoi(argv[1]) : ROUNDS;
	for (int r = 0; r < rounds; r++) {
		uint64_t x = next();
		int s = (int)(x % SLOTS);
		if (slot[s]) {
			for (size_t i = 0; i < len[s]; i += 61)
				if (slot[s][i] != (unsigned char)(s ^ i)) {
					printf("malloc_stress: FAIL slot %d offset %zu\n", s, i);
					return 1;
				}
			sum += len[s];
			live -= len[s];
			if (x & 0x100) {
				size_t n = len[s] / 2 + 1;
				unsigned char *p = realloc(slot[s], n);
				if (!p) {
					printf("malloc_stress: FAIL realloc %zu\n", n);
					return 1;
				}
				free(p);
			} else {
				free(slot[s]);
			}
			slot[s] = NULL;
		} else {
			size_t n = (x >> 16) % ((x & 0xf0) == 0 ? (1 << 20) : 4096) + 1;
			unsigned char *p = (x & 0x200) ? calloc(1, n) : malloc(n);
			if (!p) {
				printf("malloc_stress: FAIL malloc %zu\n", n);
				return 1;
			}
			if ((x & 0x200) && p[n - 1] != 0) {
				printf("malloc_stress: FAIL calloc not zeroed\n");
				return 1;
			}
			for (size_t i = 0; i < n; i += 61)
				p[i] = (unsigned char)(s ^ i);
			slot[s] = p;
			len[s] = n;
			live += n;
			if (live > peak)
				peak = live;
		}
	}
	for (int s = 0; s < SLOTS; s++)
		free(slot[s]);
	printf("malloc_stress: ok %llu bytes checked, peak %zu KiB live\n", (unsigned long long)sum, peak >> 10);
	return 0;
}
