/*
 * The default initramfs, built into the image: build/initramfs.cpio (a newc archive made by
 * user/rules.mk) between __initramfs_start and __initramfs_end. It lands in .rodata (the
 * linker script collects .rodata.*), so it is mapped read-only and never executable; exec
 * copies or maps its pages copy-on-write from there. An initrd from the boot loader
 * (linux,initrd-start/end) is used instead when present.
 *
 * INITRAMFS_IMAGE is the archive's path, defined by user/rules.mk; the object depends on the
 * archive there, since .incbin is invisible to the compiler's -MMD dependency output.
 */
#ifndef INITRAMFS_IMAGE
#error "INITRAMFS_IMAGE (path of the newc archive) must be defined: see user/rules.mk"
#endif

	.section .rodata.initramfs, "a"
	.balign 4096
	.globl __initramfs_start
	.type __initramfs_start, %object
__initramfs_start:
	.incbin INITRAMFS_IMAGE
	.globl __initramfs_end
	.type __initramfs_end, %object
__initramfs_end:
	.size __initramfs_start, __initramfs_end - __initramfs_start
	.balign 8
