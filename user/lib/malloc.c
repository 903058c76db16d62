/* malloc for the test programs. Requests up to MMAP_THRESHOLD come from power-of-two size
 * classes carved from the brk heap, with one free list per class; larger ones get their own
 * anonymous mmap and are returned with munmap (glibc's default threshold is also 128 KiB).
 * Every block has a 16-byte header holding its class (or mapping length) so free() needs no
 * size; user pointers are 16-byte aligned as the AArch64 ABI requires. */
#include "ulib.h"

#define MMAP_THRESHOLD (128 * 1024UL)
#define MIN_SHIFT 4 /* 16 bytes */
#define NCLASSES 14 /* up to 128 KiB */
#define HDR 16

struct block {
	unsigned long size; /* class index, or mapping length | 1 for mmap'ed blocks */
	struct block *next; /* free-list link while free */
};

static struct block *free_list[NCLASSES];
static unsigned long heap_cur, heap_end;

static void *heap_grow(unsigned long n)
{
	if (!heap_end) {
		long b = sys_brk(0);
		if (is_err(b))
			return 0;
		heap_cur = heap_end = ((unsigned long)b + 15) & ~15UL;
	}
	if (heap_end - heap_cur < n) {
		unsigned long want = (heap_cur + n + 65535) & ~65535UL;
		long r = sys_brk((void *)want);
		if ((unsigned long)r < want)
			return 0; /* brk returns the old break on failure */
		heap_end = want;
	}
	void *p = (void *)heap_cur;
	heap_cur += n;
	return p;
}

void *malloc(size_t n)
{
	if (n > MMAP_THRESHOLD) {
		if (n > (1UL << 46))
			return 0;
		unsigned long len = (n + HDR + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		long r = sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (is_err(r))
			return 0;
		((struct block *)r)->size = len | 1;
		return (char *)r + HDR;
	}
	int c = 0;
	while ((1UL << (c + MIN_SHIFT)) < n + HDR)
		c++;
	struct block *b = free_list[c];
	if (b) {
		free_list[c] = b->next;
	} else {
		b = heap_grow(1UL << (c + MIN_SHIFT));
		if (!b)
			return 0;
	}
	b->size = (unsigned long)c << 1;
	return (char *)b + HDR;
}

void free(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)((char *)p - HDR);
	if (b->size & 1) {
		sys_munmap(b, b->size & ~1UL);
		return;
	}
	int c = (int)(b->size >> 1);
	b->next = free_list[c];
	free_list[c] = b;
}

void *calloc(size_t n, size_t size)
{
	size_t t;
	if (__builtin_mul_overflow(n, size, &t))
		return 0;
	void *p = malloc(t);
	if (p)
		memset(p, 0, t);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct block *b = (struct block *)((char *)p - HDR);
	size_t have = (b->size & 1) ? (b->size & ~1UL) - HDR : (1UL << ((b->size >> 1) + MIN_SHIFT)) - HDR;
	if (n <= have)
		return p;
	void *q = malloc(n);
	if (!q)
		return 0;
	memcpy(q, p, have);
	free(p);
	return q;
}
