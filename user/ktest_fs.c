/* Files on Linux's ABI: open/creat/read/write/lseek/pread/pwrite on tmpfs, directories and
 * getdents64, symlinks (ELOOP at MAXSYMLINKS), the path-walk errors, rename and link rules,
 * unlinked open files, the descriptor table (dup/dup3/fcntl, close-on-exec across execve,
 * RLIMIT_NOFILE), the working directory. The same binary runs on this kernel (ktest=el0 runs
 * it as /bin/ktest_fs) and on Debian's Linux 6.1 as /init (tools/run_tests.py), whose rootfs
 * is a tmpfs too, so every expectation here is Linux's behaviour.
 *
 * `ktest_fs --check-fd N` exits 0 when fd N is closed (EBADF), 1 when it is open. */
#include "lib/ktap.h"
#include "lib/syscall.h"
#include "lib/ulib.h"

#define __NR_getcwd 17
#define __NR_dup 23
#define __NR_dup3 24
#define __NR_fcntl 25
#define __NR_mkdirat 34
#define __NR_unlinkat 35
#define __NR_symlinkat 36
#define __NR_linkat 37
#define __NR_ftruncate 46
#define __NR_faccessat 48
#define __NR_chdir 49
#define __NR_fchdir 50
#define __NR_openat 56
#define __NR_close 57
#define __NR_getdents64 61
#define __NR_lseek 62
#define __NR_pread64 67
#define __NR_pwrite64 68
#define __NR_readlinkat 78
#define __NR_newfstatat 79
#define __NR_fstat 80
#define __NR_umask 166
#define __NR_clone 220
#define __NR_execve 221
#define __NR_wait4 260
#define __NR_renameat2 276
#define __NR_statx 291

#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 040000
#define O_NOFOLLOW 0100000
#define O_CLOEXEC 02000000
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_DUPFD_CLOEXEC 1030
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define RENAME_NOREPLACE 1
#define RLIMIT_NOFILE 7
#define SIGCHLD 17
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000

#define EISDIR 21
#define ENOTDIR 20
#define ENOTEMPTY 39
#define ELOOP 40
#define ENAMETOOLONG 36
#define EMFILE 24
#define ERANGE 34
#define EACCES 13

struct kstat {
	unsigned long st_dev, st_ino;
	unsigned int st_mode, st_nlink, st_uid, st_gid;
	unsigned long st_rdev, pad1;
	long st_size;
	int st_blksize, pad2;
	long st_blocks;
	long st_atime, st_atime_ns, st_mtime, st_mtime_ns, st_ctime, st_ctime_ns;
	unsigned int unused[2];
};

static long f_open(const char *p, long flags, long mode) { return syscall4(__NR_openat, AT_FDCWD, p, flags, mode); }
static long f_openat(long dfd, const char *p, long flags) { return syscall4(__NR_openat, dfd, p, flags, 0); }
static long f_close(long fd) { return syscall1(__NR_close, fd); }
static long f_mkdir(const char *p, long mode) { return syscall3(__NR_mkdirat, AT_FDCWD, p, mode); }
static long f_unlink(const char *p) { return syscall3(__NR_unlinkat, AT_FDCWD, p, 0); }
static long f_rmdir(const char *p) { return syscall3(__NR_unlinkat, AT_FDCWD, p, AT_REMOVEDIR); }
static long f_symlink(const char *t, const char *p) { return syscall3(__NR_symlinkat, t, AT_FDCWD, p); }
static long f_link(const char *o, const char *n) { return syscall5(__NR_linkat, AT_FDCWD, o, AT_FDCWD, n, 0); }
static long f_rename(const char *o, const char *n, long fl) { return syscall5(__NR_renameat2, AT_FDCWD, o, AT_FDCWD, n, fl); }
static long f_stat(const char *p, struct kstat *st) { return syscall4(__NR_newfstatat, AT_FDCWD, p, st, 0); }
static long f_lstat(const char *p, struct kstat *st) { return syscall4(__NR_newfstatat, AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW); }
static long f_fstat(long fd, struct kstat *st) { return syscall2(__NR_fstat, fd, st); }
static long f_lseek(long fd, long off, long wh) { return syscall3(__NR_lseek, fd, off, wh); }
static long f_readlink(const char *p, char *b, long n) { return syscall4(__NR_readlinkat, AT_FDCWD, p, b, n); }
static long f_fcntl(long fd, long cmd, long arg) { return syscall3(__NR_fcntl, fd, cmd, arg); }
static long f_wait(long pid, int *st) { return syscall4(__NR_wait4, pid, st, 0, 0); }
static long f_fork(void) { return syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0); }
static void f_exit(int c)
{
	syscall1(__NR_exit_group, c);
	for (;;)
		;
}

#define DIR "/fstest"

static long write_file(const char *p, const char *data, long n)
{
	long fd = f_open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	long w = sys_write((int)fd, data, (size_t)n);
	f_close(fd);
	return w;
}

static void t_create_write_read(void)
{
	static char buf[10000], back[10000];
	for (int i = 0; i < 10000; i++)
		buf[i] = (char)(i * 7 + 3);
	long fd = f_open(DIR "/a", O_CREAT | O_RDWR, 0644);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_write((int)fd, buf, sizeof(buf)), 10000);
	EXPECT_EQ(f_lseek(fd, 0, SEEK_CUR), 10000);
	EXPECT_EQ(f_lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(sys_read((int)fd, back, sizeof(back)), 10000);
	EXPECT(memcmp(buf, back, sizeof(buf)) == 0);
	EXPECT_EQ(sys_read((int)fd, back, 10), 0); /* EOF */
	struct kstat st;
	EXPECT_EQ(f_fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 10000);
	EXPECT_EQ(st.st_mode, S_IFREG | 0644);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_blocks, 24); /* three 4 KiB pages in 512-byte units */
	EXPECT_EQ(st.st_blksize, 4096);
	f_close(fd);
	EXPECT_EQ(f_unlink(DIR "/a"), 0);
	EXPECT_EQ(f_stat(DIR "/a", &st), -ENOENT);
}

static void t_holes_pread_pwrite_append(void)
{
	long fd = f_open(DIR "/h", O_CREAT | O_RDWR, 0600);
	ASSERT(fd >= 0);
	EXPECT_EQ(syscall4(__NR_pwrite64, fd, "tail!", 5, 20000), 5);
	EXPECT_EQ(f_lseek(fd, 0, SEEK_CUR), 0); /* pwrite leaves the offset */
	EXPECT_EQ(f_lseek(fd, 0, SEEK_END), 20005);
	char b[16];
	memset(b, 1, sizeof(b));
	EXPECT_EQ(syscall4(__NR_pread64, fd, b, 16, 8000), 16);
	int zero = 1;
	for (int i = 0; i < 16; i++)
		zero &= b[i] == 0;
	EXPECT(zero); /* a hole reads as zeros */
	EXPECT_EQ(syscall4(__NR_pread64, fd, b, 16, 19998), 7);
	EXPECT(memcmp(b + 2, "tail!", 5) == 0);
	EXPECT_EQ(syscall4(__NR_pread64, fd, b, 16, -1), -EINVAL);
	EXPECT_EQ(f_lseek(fd, -1, SEEK_SET), -EINVAL);
	EXPECT_EQ(f_lseek(fd, 0, 7), -EINVAL);
	f_close(fd);
	fd = f_open(DIR "/h", O_WRONLY | O_APPEND, 0);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_write((int)fd, "xy", 2), 2);
	EXPECT_EQ(f_lseek(fd, 0, SEEK_CUR), 20007);
	EXPECT_EQ(f_fcntl(fd, F_GETFL, 0) & 03777, O_WRONLY | O_APPEND);
	EXPECT_EQ(sys_read((int)fd, b, 1), -EBADF);
	f_close(fd);
	fd = f_open(DIR "/h", O_RDONLY, 0);
	EXPECT_EQ(sys_write((int)fd, "x", 1), -EBADF);
	EXPECT_EQ(syscall2(__NR_ftruncate, fd, 0), -EINVAL);
	f_close(fd);
	f_unlink(DIR "/h");
}

static void t_excl_trunc_ftruncate(void)
{
	EXPECT_EQ(write_file(DIR "/t", "0123456789", 10), 10);
	EXPECT_EQ(f_open(DIR "/t", O_CREAT | O_EXCL | O_RDWR, 0644), -EEXIST);
	long fd = f_open(DIR "/t", O_RDWR, 0);
	ASSERT(fd >= 0);
	EXPECT_EQ(syscall2(__NR_ftruncate, fd, 4), 0);
	EXPECT_EQ(syscall2(__NR_ftruncate, fd, 8), 0);
	char b[8];
	EXPECT_EQ(syscall4(__NR_pread64, fd, b, 8, 0), 8);
	EXPECT(memcmp(b, "0123\0\0\0\0", 8) == 0); /* shrunk data does not come back */
	EXPECT_EQ(syscall2(__NR_ftruncate, fd, -1), -EINVAL);
	f_close(fd);
	fd = f_open(DIR "/t", O_RDWR | O_TRUNC, 0);
	struct kstat st;
	EXPECT_EQ(f_fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_blocks, 0);
	f_close(fd);
	f_unlink(DIR "/t");
}

static void t_directories(void)
{
	struct kstat st;
	EXPECT_EQ(f_mkdir(DIR "/d", 0755), 0);
	EXPECT_EQ(f_mkdir(DIR "/d", 0755), -EEXIST);
	EXPECT_EQ(f_mkdir(DIR "/d/e", 0700), 0);
	EXPECT_EQ(f_mkdir(DIR "/d/e/", 0700), -EEXIST);
	EXPECT_EQ(f_mkdir(DIR "/d/f/", 0700), 0); /* a trailing slash is fine for mkdir */
	EXPECT_EQ(f_stat(DIR "/d", &st), 0);
	EXPECT_EQ(st.st_mode, S_IFDIR | 0755);
	EXPECT_EQ(st.st_nlink, 4); /* ".", its entry and two subdirectories' ".." */
	EXPECT_EQ(f_rmdir(DIR "/d"), -ENOTEMPTY);
	EXPECT_EQ(write_file(DIR "/d/file", "x", 1), 1);
	EXPECT_EQ(f_rmdir(DIR "/d/file"), -ENOTDIR);
	EXPECT_EQ(f_unlink(DIR "/d/e"), -EISDIR);
	EXPECT_EQ(f_rmdir(DIR "/d/e/."), -EINVAL);
	EXPECT_EQ(f_open(DIR "/d", O_WRONLY, 0), -EISDIR);
	EXPECT_EQ(f_open(DIR "/d/file", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	long fd = f_open(DIR "/d", O_RDONLY | O_DIRECTORY, 0);
	char b[4];
	EXPECT_EQ(sys_read((int)fd, b, 4), -EISDIR);
	f_close(fd);
	EXPECT_EQ(f_unlink(DIR "/d/file"), 0);
	EXPECT_EQ(f_rmdir(DIR "/d/e"), 0);
	EXPECT_EQ(f_rmdir(DIR "/d/f"), 0);
	EXPECT_EQ(f_stat(DIR "/d", &st), 0);
	EXPECT_EQ(st.st_nlink, 2);
	EXPECT_EQ(f_rmdir(DIR "/d"), 0);
}

/* Lists dir with getdents64 through a small buffer; calls fn for each name. */
static int list_dir(const char *dir, void (*fn)(const char *name, void *ctx), void *ctx)
{
	long fd = f_open(dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return (int)fd;
	char buf[200];
	int n = 0;
	for (;;) {
		long r = syscall3(__NR_getdents64, fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			const char *name = buf + off + 19;
			if (fn)
				fn(name, ctx);
			n++;
			off += reclen;
		}
	}
	f_close(fd);
	return n;
}

static void unlink_in(const char *name, void *ctx)
{
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return;
	char p[64];
	snprintf(p, sizeof(p), "%s/%s", (const char *)ctx, name);
	f_unlink(p);
}

static void t_getdents_and_remove_while_reading(void)
{
	EXPECT_EQ(f_mkdir(DIR "/many", 0755), 0);
	for (int i = 0; i < 100; i++) {
		char p[64];
		snprintf(p, sizeof(p), DIR "/many/file-with-a-longer-name-%03d", i);
		EXPECT_EQ(write_file(p, "", 0), 0);
	}
	EXPECT_EQ(list_dir(DIR "/many", 0, 0), 102);
	/* rm -r's pattern: each entry is unlinked as it is read; none may be skipped. */
	list_dir(DIR "/many", unlink_in, (void *)DIR "/many");
	EXPECT_EQ(list_dir(DIR "/many", 0, 0), 2);
	EXPECT_EQ(f_rmdir(DIR "/many"), 0);
	char small[8];
	long fd = f_open("/", O_RDONLY | O_DIRECTORY, 0);
	EXPECT_EQ(syscall3(__NR_getdents64, fd, small, sizeof(small)), -EINVAL);
	f_close(fd);
	fd = f_open(DIR, O_RDONLY, 0);
	EXPECT_EQ(syscall3(__NR_getdents64, fd, (void *)8, 4096), -EFAULT);
	f_close(fd);
}

static void t_symlinks_and_eloop(void)
{
	struct kstat st, lst;
	char b[64];
	EXPECT_EQ(write_file(DIR "/target", "data", 4), 4);
	EXPECT_EQ(f_symlink("target", DIR "/ln"), 0);
	EXPECT_EQ(f_symlink("target", DIR "/ln"), -EEXIST);
	EXPECT_EQ(f_readlink(DIR "/ln", b, sizeof(b)), 6);
	EXPECT(memcmp(b, "target", 6) == 0);
	EXPECT_EQ(f_readlink(DIR "/ln", b, 3), 3); /* truncated, no NUL */
	EXPECT_EQ(f_readlink(DIR "/target", b, sizeof(b)), -EINVAL);
	EXPECT_EQ(f_stat(DIR "/ln", &st), 0);
	EXPECT_EQ(st.st_size, 4);
	EXPECT_EQ(f_lstat(DIR "/ln", &lst), 0);
	EXPECT_EQ(lst.st_mode, S_IFLNK | 0777);
	EXPECT_EQ(lst.st_size, 6);
	EXPECT_EQ(f_open(DIR "/ln", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	EXPECT_EQ(f_symlink("loop2", DIR "/loop1"), 0);
	EXPECT_EQ(f_symlink("loop1", DIR "/loop2"), 0);
	EXPECT_EQ(f_open(DIR "/loop1", O_RDONLY, 0), -ELOOP);
	EXPECT_EQ(f_symlink("nowhere", DIR "/dangling"), 0);
	EXPECT_EQ(f_stat(DIR "/dangling", &st), -ENOENT);
	EXPECT_EQ(f_lstat(DIR "/dangling", &st), 0);
	/* O_CREAT through a dangling link creates its target (Linux's open_last_lookups), from
	 * the link's directory; O_EXCL refuses any link; a loop is ELOOP even with O_CREAT. */
	EXPECT_EQ(f_open(DIR "/dangling", O_CREAT | O_WRONLY | O_EXCL, 0644), -EEXIST);
	long cfd = f_open(DIR "/dangling", O_CREAT | O_WRONLY, 0644);
	EXPECT(cfd >= 0);
	if (cfd >= 0)
		f_close(cfd);
	EXPECT_EQ(f_stat(DIR "/nowhere", &st), 0);
	EXPECT_EQ(st.st_mode & S_IFMT, S_IFREG);
	EXPECT_EQ(f_stat(DIR "/dangling", &st), 0);
	EXPECT_EQ(f_symlink("nodir/x", DIR "/dangling2"), 0);
	EXPECT_EQ(f_open(DIR "/dangling2", O_CREAT | O_WRONLY, 0644), -ENOENT);
	EXPECT_EQ(f_open(DIR "/loop1", O_CREAT | O_WRONLY, 0644), -ELOOP);
	/* A chain of 40 links resolves (MAXSYMLINKS); 41 is ELOOP. */
	for (int i = 1; i <= 41; i++) {
		char p[64], t[64];
		snprintf(p, sizeof(p), DIR "/c%d", i);
		if (i == 1)
			snprintf(t, sizeof(t), "target");
		else
			snprintf(t, sizeof(t), "c%d", i - 1);
		EXPECT_EQ(f_symlink(t, p), 0);
	}
	EXPECT_EQ(f_stat(DIR "/c40", &st), 0);
	EXPECT_EQ(f_stat(DIR "/c41", &st), -ELOOP);
	/* A link to a directory in the middle of a path, and an absolute one. */
	EXPECT_EQ(f_symlink(DIR, DIR "/self"), 0);
	EXPECT_EQ(f_stat(DIR "/self/self/self/target", &st), 0);
	EXPECT_EQ(st.st_size, 4);
	for (int i = 1; i <= 41; i++) {
		char p[64];
		snprintf(p, sizeof(p), DIR "/c%d", i);
		f_unlink(p);
	}
	f_unlink(DIR "/self");
	f_unlink(DIR "/loop1");
	f_unlink(DIR "/loop2");
	f_unlink(DIR "/dangling");
	f_unlink(DIR "/dangling2");
	f_unlink(DIR "/nowhere");
	f_unlink(DIR "/ln");
	f_unlink(DIR "/target");
}

static void t_path_errors(void)
{
	struct kstat st, root;
	EXPECT_EQ(write_file(DIR "/file", "x", 1), 1);
	EXPECT_EQ(f_stat(DIR "/missing/x", &st), -ENOENT);
	EXPECT_EQ(f_stat(DIR "/file/x", &st), -ENOTDIR);
	EXPECT_EQ(f_stat(DIR "/file/", &st), -ENOTDIR);
	EXPECT_EQ(f_open(DIR "/file/", O_RDONLY, 0), -ENOTDIR);
	EXPECT_EQ(f_open(DIR "/new/", O_CREAT | O_RDWR, 0644), -EISDIR);
	EXPECT_EQ(f_stat("", &st), -ENOENT);
	EXPECT_EQ(f_stat((const char *)8, &st), -EFAULT);
	EXPECT_EQ(f_stat("/", &root), 0);
	EXPECT_EQ(f_stat("/../../..", &st), 0);
	EXPECT_EQ(st.st_ino, root.st_ino); /* ".." at the root stays there */
	static char name[300], longpath[4200];
	memset(name, 'n', 256);
	name[256] = 0;
	EXPECT_EQ(f_open(name, O_CREAT | O_RDWR, 0644), -ENAMETOOLONG);
	name[255] = 0;
	long fd = f_open(name, O_CREAT | O_RDWR, 0644); /* 255 is the longest name */
	EXPECT(fd >= 0);
	f_close(fd);
	EXPECT_EQ(f_unlink(name), 0);
	for (int i = 0; i < 4200; i += 2) {
		longpath[i] = '.';
		longpath[i + 1] = '/';
	}
	longpath[4199] = 0;
	EXPECT_EQ(f_stat(longpath, &st), -ENAMETOOLONG);
	longpath[4094] = 0; /* 4094 bytes of "./" fit PATH_MAX */
	EXPECT_EQ(f_stat(longpath, &st), 0);
	f_unlink(DIR "/file");
}

static void t_rename_rules(void)
{
	struct kstat st;
	char b[8];
	EXPECT_EQ(write_file(DIR "/r1", "one", 3), 3);
	EXPECT_EQ(write_file(DIR "/r2", "two!", 4), 4);
	EXPECT_EQ(f_rename(DIR "/r1", DIR "/r2", RENAME_NOREPLACE), -EEXIST);
	EXPECT_EQ(f_rename(DIR "/r1", DIR "/r2", 0), 0);
	EXPECT_EQ(f_stat(DIR "/r1", &st), -ENOENT);
	long fd = f_open(DIR "/r2", O_RDONLY, 0);
	EXPECT_EQ(sys_read((int)fd, b, 8), 3);
	f_close(fd);
	EXPECT_EQ(f_mkdir(DIR "/rd", 0755), 0);
	EXPECT_EQ(f_mkdir(DIR "/rd/sub", 0755), 0);
	EXPECT_EQ(f_rename(DIR "/rd", DIR "/rd/sub/x", 0), -EINVAL);
	EXPECT_EQ(f_rename(DIR "/r2", DIR "/rd", 0), -EISDIR);
	EXPECT_EQ(f_rename(DIR "/rd", DIR "/r2", 0), -ENOTDIR);
	EXPECT_EQ(f_mkdir(DIR "/rd2", 0755), 0);
	EXPECT_EQ(f_rename(DIR "/rd2", DIR "/rd", 0), -ENOTEMPTY);
	EXPECT_EQ(f_rename(DIR "/rd/sub", DIR "/rd2/moved", 0), 0);
	EXPECT_EQ(f_stat(DIR "/rd2/moved", &st), 0);
	EXPECT_EQ(f_rename(DIR "/rd", DIR "/rd2/moved", 0), 0); /* an empty directory is replaced */
	EXPECT_EQ(f_rename(DIR "/r2", DIR "/r2", 0), 0);
	EXPECT_EQ(f_rename(DIR "/nothing", DIR "/x", 0), -ENOENT);
	EXPECT_EQ(f_rmdir(DIR "/rd2/moved"), 0);
	EXPECT_EQ(f_rmdir(DIR "/rd2"), 0);
	f_unlink(DIR "/r2");
}

static void t_hard_links_and_unlinked_open_file(void)
{
	struct kstat st;
	char b[8];
	EXPECT_EQ(write_file(DIR "/l1", "linked", 6), 6);
	EXPECT_EQ(f_link(DIR "/l1", DIR "/l2"), 0);
	EXPECT_EQ(f_stat(DIR "/l1", &st), 0);
	EXPECT_EQ(st.st_nlink, 2);
	EXPECT_EQ(f_link(DIR, DIR "/dirlink"), -EPERM);
	long fd = f_open(DIR "/l2", O_RDWR, 0);
	EXPECT_EQ(f_unlink(DIR "/l1"), 0);
	EXPECT_EQ(f_unlink(DIR "/l2"), 0);
	EXPECT_EQ(f_fstat(fd, &st), 0);
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(syscall4(__NR_pread64, fd, b, 8, 0), 6); /* still readable */
	EXPECT_EQ(syscall4(__NR_pwrite64, fd, "more", 4, 6), 4);
	EXPECT_EQ(f_fstat(fd, &st), 0);
	EXPECT_EQ(st.st_size, 10);
	f_close(fd);
}

static void t_descriptor_table(void)
{
	long fd = f_open(DIR, O_RDONLY, 0);
	ASSERT(fd >= 0);
	long d = syscall1(__NR_dup, fd);
	EXPECT(d > fd);
	EXPECT_EQ(f_fcntl(d, F_GETFD, 0), 0);
	EXPECT_EQ(syscall3(__NR_dup3, fd, 100, O_CLOEXEC), 100);
	EXPECT_EQ(f_fcntl(100, F_GETFD, 0), 1);
	EXPECT_EQ(syscall3(__NR_dup3, fd, fd, 0), -EINVAL);
	EXPECT_EQ(syscall3(__NR_dup3, fd, 101, 1), -EINVAL);
	EXPECT_EQ(f_fcntl(fd, F_DUPFD, 50), 50);
	EXPECT_EQ(f_fcntl(fd, F_DUPFD_CLOEXEC, 50), 51);
	EXPECT_EQ(f_fcntl(51, F_GETFD, 0), 1);
	EXPECT_EQ(f_fcntl(fd, F_SETFD, 1), 0);
	EXPECT_EQ(f_fcntl(fd, F_GETFD, 0), 1);
	EXPECT_EQ(f_close(100), 0);
	EXPECT_EQ(f_close(100), -EBADF);
	EXPECT_EQ(f_close(-1), -EBADF);
	EXPECT_EQ(sys_read(1000, 0, 0), -EBADF);
	EXPECT_EQ(f_fcntl(2000, F_GETFD, 0), -EBADF);
	f_close(50);
	f_close(51);
	f_close(d);
	f_close(fd);
}

static void t_rlimit_nofile_emfile(void)
{
	struct rlimit old, lim;
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_NOFILE, 0, &old), 0);
	lim.rlim_cur = 10;
	lim.rlim_max = old.rlim_max;
	ASSERT(sys_prlimit64(0, RLIMIT_NOFILE, &lim, 0) == 0);
	long fds[16];
	int n = 0;
	for (;;) {
		long fd = f_open("/", O_RDONLY, 0);
		if (fd < 0) {
			EXPECT_EQ(fd, -EMFILE);
			break;
		}
		fds[n++] = fd;
		if (n == 16)
			break;
	}
	EXPECT_EQ(fds[n - 1], 9); /* the last descriptor below the limit */
	EXPECT_EQ(syscall3(__NR_dup3, 0, 10, 0), -EBADF);
	EXPECT_EQ(f_fcntl(0, F_DUPFD, 10), -EINVAL);
	for (int i = 0; i < n; i++)
		f_close(fds[i]);
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_NOFILE, &old, 0), 0);
}

static void t_cwd_and_dirfd(void)
{
	char b[64];
	EXPECT_EQ(f_mkdir(DIR "/w", 0755), 0);
	EXPECT_EQ(syscall1(__NR_chdir, DIR "/w"), 0);
	EXPECT_EQ(syscall2(__NR_getcwd, b, sizeof(b)), 10);
	EXPECT(strcmp(b, DIR "/w") == 0);
	EXPECT_EQ(syscall2(__NR_getcwd, b, 5), -ERANGE);
	EXPECT_EQ(write_file("rel", "r", 1), 1);
	struct kstat st;
	EXPECT_EQ(f_stat(DIR "/w/rel", &st), 0);
	EXPECT_EQ(syscall1(__NR_chdir, ".."), 0);
	EXPECT_EQ(syscall2(__NR_getcwd, b, sizeof(b)), 8);
	long dfd = f_open(DIR "/w", O_RDONLY | O_DIRECTORY, 0);
	long fd = f_openat(dfd, "rel", O_RDONLY);
	EXPECT(fd >= 0);
	EXPECT_EQ(f_openat(fd, "x", O_RDONLY), -ENOTDIR);
	EXPECT_EQ(f_openat(999, "x", O_RDONLY), -EBADF);
	EXPECT_EQ(f_openat(999, "/", O_RDONLY | O_DIRECTORY) >= 0, 1); /* absolute: dirfd ignored */
	f_close(fd);
	EXPECT_EQ(syscall1(__NR_fchdir, dfd), 0);
	EXPECT_EQ(syscall2(__NR_getcwd, b, sizeof(b)), 10);
	EXPECT_EQ(f_unlink("rel"), 0);
	EXPECT_EQ(f_rmdir(DIR "/w"), 0);
	EXPECT_EQ(syscall2(__NR_getcwd, b, sizeof(b)), -ENOENT); /* the cwd was removed */
	EXPECT_EQ(syscall1(__NR_chdir, "/"), 0);
	f_close(dfd);
	for (int i = 3; i < 8; i++)
		f_close(i);
}

static void t_fork_shares_offsets_and_cloexec(void)
{
	long fd = f_open(DIR "/shared", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_write((int)fd, "parent", 6), 6);
	long pid = f_fork();
	if (pid == 0) {
		long w = sys_write((int)fd, "child", 5);
		f_exit(w == 5 ? 0 : 1);
	}
	int st = -1;
	EXPECT_EQ(f_wait(pid, &st), pid);
	EXPECT_EQ(st, 0);
	EXPECT_EQ(f_lseek(fd, 0, SEEK_CUR), 11); /* one open file, one offset */
	/* close-on-exec: fd survives exec, a CLOEXEC duplicate does not. */
	long keep = syscall3(__NR_dup3, fd, 20, 0);
	long gone = syscall3(__NR_dup3, fd, 21, O_CLOEXEC);
	EXPECT_EQ(keep, 20);
	EXPECT_EQ(gone, 21);
	const char *self = "/bin/ktest_fs";
	for (int n = 20; n <= 21; n++) {
		pid = f_fork();
		if (pid == 0) {
			char arg[8];
			snprintf(arg, sizeof(arg), "%d", n);
			const char *argv[] = {self, "--check-fd", arg, 0};
			const char *init = "/init";
			syscall3(__NR_execve, self, argv, 0);
			argv[0] = init;
			syscall3(__NR_execve, init, argv, 0); /* on Linux the suite is /init */
			f_exit(99);
		}
		st = -1;
		EXPECT_EQ(f_wait(pid, &st), pid);
		EXPECT_EQ((st >> 8) & 0xff, n == 20 ? 1 : 0);
	}
	f_close(20);
	f_close(21);
	f_close(fd);
	f_unlink(DIR "/shared");
}

static void t_umask_access_statx(void)
{
	long old = syscall1(__NR_umask, 077);
	EXPECT_EQ(old, 022);
	long fd = f_open(DIR "/m", O_CREAT | O_RDWR, 0666);
	struct kstat st;
	EXPECT_EQ(f_fstat(fd, &st), 0);
	EXPECT_EQ(st.st_mode, S_IFREG | 0600);
	f_close(fd);
	EXPECT_EQ(syscall1(__NR_umask, old), 077);
	EXPECT_EQ(syscall4(__NR_faccessat, AT_FDCWD, DIR "/m", 1, 0), -EACCES); /* X_OK needs an x bit */
	EXPECT_EQ(syscall4(__NR_faccessat, AT_FDCWD, DIR "/m", 6, 0), 0);
	EXPECT_EQ(syscall4(__NR_faccessat, AT_FDCWD, DIR "/none", 0, 0), -ENOENT);
	EXPECT_EQ(syscall4(__NR_faccessat, AT_FDCWD, DIR "/m", 8, 0), -EINVAL);
	unsigned char sx[256];
	memset(sx, 0xff, sizeof(sx));
	EXPECT_EQ(syscall5(__NR_statx, AT_FDCWD, DIR "/m", 0, 0x7ff, sx), 0);
	EXPECT_EQ(*(unsigned short *)(sx + 28), S_IFREG | 0600); /* stx_mode */
	EXPECT_EQ(*(unsigned long *)(sx + 40), 0);                /* stx_size */
	EXPECT_EQ(syscall5(__NR_statx, AT_FDCWD, DIR "/m", 0, 0x80000000u, sx), -EINVAL);
	f_unlink(DIR "/m");
}

#define __NR_fchmodat 53
#define ENOEXEC 8
static const char *self_path(void)
{
	struct kstat st;
	return f_stat("/bin/ktest_fs", &st) == 0 ? "/bin/ktest_fs" : "/init";
}

/* Runs path with one argument "x" in a child: its exit status, or 256 + errno of execve. */
static int run_child(const char *path)
{
	volatile int *err = (volatile int *)sys_mmap(0, 4096, 3, 0x21, -1, 0);
	*err = 0;
	long pid = f_fork();
	if (pid == 0) {
		const char *argv[] = {"argv0-is-replaced", "x", 0};
		long r = syscall3(__NR_execve, path, argv, 0);
		*err = (int)-r;
		f_exit(0);
	}
	int st = -1;
	f_wait(pid, &st);
	int res = *err ? 256 + *err : (st >> 8) & 0xff;
	sys_munmap((void *)err, 4096);
	return res;
}

static void t_exec_scripts(void)
{
	char text[128];
	/* #! with an argument: argv is [interpreter, "--script-arg", script, "x"]. */
	snprintf(text, sizeof(text), "#!%s   --script-arg  \n", self_path());
	EXPECT_EQ(write_file(DIR "/s1", text, (long)strlen(text)), (long)strlen(text));
	EXPECT_EQ(run_child(DIR "/s1"), 256 + EACCES); /* 0644: not executable */
	EXPECT_EQ(syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s1", 0755, 0), 0);
	EXPECT_EQ(run_child(DIR "/s1"), 42);
	/* A script whose interpreter is a script: the inner one sees the outer as its script. */
	snprintf(text, sizeof(text), "#!" DIR "/s1\n");
	EXPECT_EQ(write_file(DIR "/s2", text, (long)strlen(text)), (long)strlen(text));
	syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s2", 0755, 0);
	EXPECT_EQ(run_child(DIR "/s2"), 43);
	/* A script that is its own interpreter loops: ELOOP. */
	snprintf(text, sizeof(text), "#!" DIR "/s3\n");
	EXPECT_EQ(write_file(DIR "/s3", text, (long)strlen(text)), (long)strlen(text));
	syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s3", 0755, 0);
	EXPECT_EQ(run_child(DIR "/s3"), 256 + ELOOP);
	/* "#!" alone, and neither ELF nor script: ENOEXEC. */
	EXPECT_EQ(write_file(DIR "/s4", "#!\n", 3), 3);
	syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s4", 0755, 0);
	EXPECT_EQ(run_child(DIR "/s4"), 256 + ENOEXEC);
	EXPECT_EQ(write_file(DIR "/s5", "plain text\n", 11), 11);
	syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s5", 0755, 0);
	EXPECT_EQ(run_child(DIR "/s5"), 256 + ENOEXEC);
	/* A missing interpreter: ENOENT. */
	EXPECT_EQ(write_file(DIR "/s6", "#!/no/such/interp\n", 18), 18);
	syscall4(__NR_fchmodat, AT_FDCWD, DIR "/s6", 0755, 0);
	EXPECT_EQ(run_child(DIR "/s6"), 256 + ENOENT);
	for (int i = 1; i <= 6; i++) {
		char p[32];
		snprintf(p, sizeof(p), DIR "/s%d", i);
		f_unlink(p);
	}
}

static const struct ktest_case fs_cases[] = {
	{"exec_scripts", t_exec_scripts},
	{"create_write_read", t_create_write_read},
	{"holes_pread_pwrite_append", t_holes_pread_pwrite_append},
	{"excl_trunc_ftruncate", t_excl_trunc_ftruncate},
	{"directories", t_directories},
	{"getdents_and_remove_while_reading", t_getdents_and_remove_while_reading},
	{"symlinks_and_eloop", t_symlinks_and_eloop},
	{"path_errors", t_path_errors},
	{"rename_rules", t_rename_rules},
	{"hard_links_and_unlinked_open_file", t_hard_links_and_unlinked_open_file},
	{"descriptor_table", t_descriptor_table},
	{"rlimit_nofile_emfile", t_rlimit_nofile_emfile},
	{"cwd_and_dirfd", t_cwd_and_dirfd},
	{"fork_shares_offsets_and_cloexec", t_fork_shares_offsets_and_cloexec},
	{"umask_access_statx", t_umask_access_statx},
};

static const struct ktest_suite suites[] = {
	KTEST_SUITE("user_fs", fs_cases),
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	/* As a script's interpreter: [self, "--script-arg", script, "x"] is s1 run directly (42),
	 * [self, "--script-arg", s1, s2, "x"] s1 as s2's interpreter (43). */
	if (argc >= 2 && strcmp(argv[1], "--script-arg") == 0) {
		if (argc == 4 && !strcmp(argv[2], DIR "/s1") && !strcmp(argv[3], "x"))
			return 42;
		if (argc == 5 && !strcmp(argv[2], DIR "/s1") && !strcmp(argv[3], DIR "/s2") && !strcmp(argv[4], "x"))
			return 43;
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--check-fd") == 0) {
		long r = f_fcntl((long)strtoul(argv[2], 0, 10), F_GETFD, 0);
		return r == -EBADF ? 0 : 1;
	}
	f_mkdir(DIR, 0755);
	int r = ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
	f_rmdir(DIR);
	return r;
}
