// The character devices (drivers/char/mem.cpp: Linux's drivers/char/mem.c with /dev/kmsg, and
// the console tty as a file, Linux's 5:0 /dev/tty and 5:1 /dev/console) and the table of their
// /dev nodes. fs/char_dev.cpp is the dispatcher (register_chrdev_region in fs/fs.h).
#pragma once

#include "fs/fs.h"
#include "kstd/result.h"
#include "kstd/types.h"

// A /dev node to create (Linux's devtmpfs names and modes).
struct chr_dev_node {
	const char *name; // under /dev
	umode_t mode;     // permission bits; S_IFCHR is implied
	u32 major, minor;
};
extern const chr_dev_node chr_dev_nodes[];
extern const unsigned nr_chr_dev_nodes;

// Creates the nodes of chr_dev_nodes under root's /dev (Linux's devtmpfs, reduced to a fixed
// table): vfs_init calls it after making /dev. An existing node is left as it is.
void chr_dev_create_nodes(const path &root);

// Registers mem (1:*: null, zero, full, random, urandom, kmsg) and the tty devices (5:0, 5:1).
// Called once at boot, before /dev is populated; ENOMEM/EBUSY is reported and returned.
[[nodiscard]] Result chr_dev_init();

// The console tty's file operations (5:1, also what the kernel gives init as fds 0-2 when
// /dev/console cannot be opened by path).
extern const file_operations console_fops;

// The registered regions in (major, minor) order, for /proc/devices ("%3d %s\n").
void for_each_chrdev(void (*fn)(void *ctx, u32 major, const char *name), void *ctx);
