/* Registers across user page faults: sets NZCV, x1-x28 (but x18) and SP-relative state to known
 * patterns, takes one demand-paging write fault per page of a fresh mapping with no
 * flag-setting instruction in between, then checks that every register and NZCV came back
 * unchanged. Repeats over many mappings. Exits 0 when all held, 1 with what changed. */
#include "lib/ulib.h"

/* long touch_pages(char *buf, long npages, unsigned long nzcv): returns a bit mask of what
 * changed: bit 0 NZCV, bit n (1..28) xn. x18 is the platform register: left alone. */
long touch_pages(char *buf, long npages, unsigned long nzcv);

__asm__(".text\n"
	".globl touch_pages\n"
	"touch_pages:\n"
	"	stp	x29, x30, [sp, #-96]!\n"
	"	stp	x19, x20, [sp, #16]\n"
	"	stp	x21, x22, [sp, #32]\n"
	"	stp	x23, x24, [sp, #48]\n"
	"	stp	x25, x26, [sp, #64]\n"
	"	stp	x27, x28, [sp, #80]\n"
	"	mov	x29, x2\n" /* the NZCV to set, kept in x29 */
	".irp n,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,19,20,21,22,23,24,25,26,27,28\n"
	"	mov	x\\n, #(0x1000 + \\n)\n"
	"	movk	x\\n, #0xa5a5, lsl #48\n"
	".endr\n"
	"	msr	nzcv, x29\n"
	"1:	str	x3, [x0]\n" /* a demand-paging write fault on each new page */
	"	add	x0, x0, #4096\n"
	"	sub	x1, x1, #1\n" /* sub, not subs: no flags touched */
	"	cbnz	x1, 1b\n"
	"	mrs	x2, nzcv\n"
	"	mov	x0, #0\n"
	"	cmp	x2, x29\n"
	"	cset	x1, ne\n"
	"	orr	x0, x0, x1\n" /* bit 0: NZCV */
	".irp n,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,19,20,21,22,23,24,25,26,27,28\n"
	"	mov	x1, #(0x1000 + \\n)\n"
	"	movk	x1, #0xa5a5, lsl #48\n"
	"	cmp	x\\n, x1\n"
	"	cset	x1, ne\n"
	"	orr	x0, x0, x1, lsl #\\n\n"
	".endr\n"
	"	ldp	x19, x20, [sp, #16]\n"
	"	ldp	x21, x22, [sp, #32]\n"
	"	ldp	x23, x24, [sp, #48]\n"
	"	ldp	x25, x26, [sp, #64]\n"
	"	ldp	x27, x28, [sp, #80]\n"
	"	ldp	x29, x30, [sp], #96\n"
	"	ret\n");

int main(int argc, char **argv, char **envp)
{
	/* Every NZCV combination, 64 faults each, several times. */
	for (int round = 0; round < 8; round++) {
		for (unsigned long f = 0; f < 16; f++) {
			long len = 64 * 4096;
			char *buf = (char *)sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if ((long)buf < 0) {
				printf("regs_fault: mmap failed (%ld)\n", (long)buf);
				return 1;
			}
			long bad = touch_pages(buf, 64, f << 28);
			sys_munmap(buf, len);
			if (bad) {
				printf("regs_fault: NZCV %lx: changed across faults: mask %lx\n", f, bad);
				return 1;
			}
		}
	}
	printf("regs_fault: 8 x 16 NZCV values x 64 faults: every register kept\n");
	return 0;
}
