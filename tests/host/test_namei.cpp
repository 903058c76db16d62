// The path walk (fs/namei.cpp) on a real tmpfs (mm/shmem.cpp) against a table of cases:
// symlinks (relative, absolute, loops, the MAXSYMLINKS chain), ".." at the root and through
// links, trailing slashes, ENOTDIR/ENOENT/ENAMETOOLONG, LOOKUP_EMPTY and LOOKUP_DIRECTORY;
// then the whole tree is torn down and every inode, dentry and mount is gone.
#include <doctest/doctest.h>

#include <string>

#include "fs/internal.h"
#include "kstd/new.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/test_page_alloc.h"

Result vfs_mkdirat(const path &root, const path &start, const char *name, umode_t mode);
Result vfs_symlinkat(const path &root, const path &start, const char *name, const char *target);
Result vfs_mknodat(const path &root, const path &start, const char *name, umode_t mode, dev_t dev);
Result vfs_unlinkat(const path &root, const path &start, const char *name, bool rmdir);

namespace {
// A minimal dcache-only file system for the walk (the names live in the dcache, as tmpfs's):
// directories, regular files without data, symlinks. tmpfs itself needs the page cache,
// which the host suite fakes for the fault-path tests.
extern const inode_operations tdir_ops;
super_operations tsb_ops{};

ErrorOr<inode *> tnew(inode *dir, umode_t mode)
{
	inode *ino = TRY(new_inode(dir->i_sb));
	ino->i_mode = mode;
	if (S_ISDIR(mode)) {
		ino->i_op = &tdir_ops;
		ino->i_nlink = 2;
	}
	return ino;
}
Result tadd(inode *dir, dentry *d, umode_t mode, const char *link)
{
	inode *ino = TRY(tnew(dir, mode));
	if (link) {
		usize n = strlen(link) + 1;
		ino->i_link = static_cast<char *>(kmalloc(n, GFP_KERNEL));
		memcpy(ino->i_link, link, n);
	}
	d_instantiate(d, ino);
	d_make_persistent(d);
	return {};
}
const inode_operations tdir_ops = {
	.lookup = [](inode *, dentry *) -> ErrorOr<inode *> { return static_cast<inode *>(nullptr); },
	.create = [](inode *dir, dentry *d, umode_t mode) { return tadd(dir, d, mode, nullptr); },
	.unlink = [](inode *, dentry *d) -> Result {
		d->d_inode->i_nlink--;
		d_delete(d);
		d_drop_persistent(d);
		return {};
	},
	.symlink = [](inode *dir, dentry *d, const char *t) { return tadd(dir, d, S_IFLNK | 0777, t); },
	.mkdir = [](inode *dir, dentry *d, umode_t mode) { return tadd(dir, d, mode, nullptr); },
	.rmdir = [](inode *, dentry *d) -> Result {
		d->d_inode->i_nlink = 0;
		d_delete(d);
		d_drop_persistent(d);
		return {};
	},
	.mknod = [](inode *dir, dentry *d, umode_t mode, dev_t) { return tadd(dir, d, mode, nullptr); },
};

void drop_tree(dentry *d)
{
	for (;;) {
		dentry *child = nullptr;
		d_for_each_child(d, [](void *ctx, dentry *c) {
			*static_cast<dentry **>(ctx) = dget(c);
			return false;
		}, &child);
		if (!child)
			return;
		drop_tree(child);
		d_delete(child);
		d_drop_persistent(child);
		dput(child);
	}
}

file_system_type testfs = {
	.name = "testfs",
	.mount = [](file_system_type *t, unsigned long, const char *) -> ErrorOr<super_block *> {
		auto *sb = new (kzalloc(sizeof(super_block), GFP_KERNEL)) super_block{};
		INIT_LIST_HEAD(&sb->s_inodes);
		sb->s_type = t;
		sb->s_op = &tsb_ops;
		inode *root = TRY(new_inode(sb));
		root->i_mode = S_IFDIR | 0755;
		root->i_op = &tdir_ops;
		root->i_nlink = 2;
		sb->s_root = TRY(d_make_root(root));
		return sb;
	},
	.kill_sb = [](super_block *sb) {
		drop_tree(sb->s_root);
		dput(sb->s_root);
		REQUIRE(list_empty(&sb->s_inodes));
		sb->~super_block();
		kfree(sb);
	},
	.fs_flags = 0,
	.next = nullptr,
};

struct NameiFixture {
	HostMm host{patest::small_config(64 * SZ_1M)};
	vfsmount *mnt = nullptr;
	path root{};
	NameiFixture()
	{
		active_slab::reset_for_test();
		kmem_cache_init();
		inode_reset_for_test();
		dcache_reset_for_test();
		auto m = kern_mount(&testfs);
		REQUIRE(!m.is_error());
		mnt = m.value();
		root = {mnt, dget(mnt->mnt_root)};
		mntget(mnt); // the path's own reference; kern_mount's is dropped at the end
	}
	void mkdir(const char *p) { REQUIRE(!vfs_mkdirat(root, root, p, S_IFDIR | 0755).is_error()); }
	void symlink(const char *t, const char *p) { REQUIRE(!vfs_symlinkat(root, root, p, t).is_error()); }
	void file(const char *p) { REQUIRE(!vfs_mknodat(root, root, p, S_IFREG | 0644, 0).is_error()); }
};

struct Case {
	const char *name;
	unsigned flags;
	Errno err;          // OK: the walk succeeds
	const char *result; // the final dentry's name
};
} // namespace

TEST_CASE_FIXTURE(NameiFixture, "namei: the path walk against a table of cases, then an exact teardown")
{
	long inodes = vfs_inode_count(), dentries = vfs_dentry_count(), mounts = vfs_mount_count();
	mkdir("a");
	mkdir("a/b");
	mkdir("a/b/c");
	file("a/f");
	symlink("/a/b", "l_abs");
	symlink("a/b", "l_rel");
	symlink("../..", "a/b/up");
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	symlink("nowhere", "dangling");
	symlink("a/f", "chain1");
	for (int i = 2; i <= 41; i++)
		symlink(("chain" + std::to_string(i - 1)).c_str(), ("chain" + std::to_string(i)).c_str());

	std::string long_name(256, 'n');
	std::string max_name = "/" + std::string(255, 'n');
	std::string long_path;
	while (long_path.size() < 4100)
		long_path += "./";
	std::string max_path = long_path.substr(0, 4094) + "a"; // 4095 bytes with the NUL: PATH_MAX

	const Case cases[] = {
		{"/", 0, Errno::OK, "/"},
		{"/..", 0, Errno::OK, "/"},
		{"/../../a/..", 0, Errno::OK, "/"},
		{"/a/b/c", 0, Errno::OK, "c"},
		{"/a/b/c/", 0, Errno::OK, "c"},
		{"//a///b//c//", 0, Errno::OK, "c"},
		{"/a/./b/../b/c", 0, Errno::OK, "c"},
		{"a/b", 0, Errno::OK, "b"},
		{"/a/f", 0, Errno::OK, "f"},
		{"/a/f/", 0, Errno::ENOTDIR, nullptr},
		{"/a/f/x", 0, Errno::ENOTDIR, nullptr},
		{"/a/f", LOOKUP_DIRECTORY, Errno::ENOTDIR, nullptr},
		{"/a/x/y", 0, Errno::ENOENT, nullptr},
		{"/a/x", 0, Errno::ENOENT, nullptr},
		{"", 0, Errno::ENOENT, nullptr},
		{"", LOOKUP_EMPTY, Errno::OK, "/"},
		{"/l_abs/c", 0, Errno::OK, "c"},
		{"/l_rel/c", 0, Errno::OK, "c"},
		{"/l_abs", LOOKUP_FOLLOW, Errno::OK, "b"},
		{"/l_abs", 0, Errno::OK, "l_abs"},
		{"/l_abs/", 0, Errno::OK, "b"}, // a trailing slash follows the last link
		{"/a/b/up/a/f", 0, Errno::OK, "f"},
		{"/a/b/up/../../..", 0, Errno::OK, "/"},
		{"/loop1", LOOKUP_FOLLOW, Errno::ELOOP, nullptr},
		{"/loop1", 0, Errno::OK, "loop1"},
		{"/loop1/", 0, Errno::ELOOP, nullptr},
		{"/loop1/x", 0, Errno::ELOOP, nullptr},
		{"/chain40", LOOKUP_FOLLOW, Errno::OK, "f"},
		{"/chain41", LOOKUP_FOLLOW, Errno::ELOOP, nullptr},
		{"/chain41", 0, Errno::OK, "chain41"},
		{"/dangling", LOOKUP_FOLLOW, Errno::ENOENT, nullptr},
		{"/dangling", 0, Errno::OK, "dangling"},
		{long_name.c_str(), 0, Errno::ENAMETOOLONG, nullptr},
		{max_name.c_str(), 0, Errno::ENOENT, nullptr}, // 255 is a valid length
		{long_path.c_str(), 0, Errno::ENAMETOOLONG, nullptr},
		{max_path.c_str(), 0, Errno::OK, "a"},
	};
	for (const Case &c : cases) {
		CAPTURE(std::string(c.name).substr(0, 40));
		CAPTURE(c.flags);
		auto r = vfs_path_lookup(root, root, c.name, c.flags);
		if (c.err != Errno::OK) {
			REQUIRE(r.is_error());
			CHECK(r.error().code() == c.err);
			continue;
		}
		REQUIRE(!r.is_error());
		CHECK(std::string(r.value().dentry->d_name.name) == c.result);
		path_put(&r.value());
	}

	// The parent walk: ".", "..", the root and trailing slashes are told apart.
	parent_result pr;
	REQUIRE(!vfs_path_parent(root, root, "/a/b/new/", &pr).is_error());
	CHECK(pr.type == LastType::NORM);
	CHECK(pr.trailing_slash);
	CHECK(std::string(pr.last.name) == "new");
	CHECK(std::string(pr.parent.dentry->d_name.name) == "b");
	path_put(&pr.parent);
	REQUIRE(!vfs_path_parent(root, root, "/a/..", &pr).is_error());
	CHECK(pr.type == LastType::DOTDOT);
	path_put(&pr.parent);
	REQUIRE(!vfs_path_parent(root, root, "/", &pr).is_error());
	CHECK(pr.type == LastType::ROOT);
	path_put(&pr.parent);
	CHECK(vfs_path_parent(root, root, "/a/f/x", &pr).error().code() == Errno::ENOTDIR);

	// d_path back from a dentry, and " (deleted)" once unlinked.
	auto f = vfs_path_lookup(root, root, "/a/b/c", 0);
	REQUIRE(!f.is_error());
	char buf[64];
	auto s = d_path(f.value(), root, buf, sizeof(buf));
	REQUIRE(!s.is_error());
	CHECK(std::string(s.value()) == "/a/b/c");
	REQUIRE(!vfs_unlinkat(root, root, "/a/b/c", true).is_error());
	auto s2 = d_path(f.value(), root, buf, sizeof(buf));
	REQUIRE(!s2.is_error());
	CHECK(std::string(s2.value()) == "/a/b/c (deleted)");
	CHECK(d_path(f.value(), root, buf, 8).error().code() == Errno::ENAMETOOLONG);
	path_put(&f.value());

	// Teardown: the mount goes and with it every inode, dentry and page of the tree.
	path_put(&root);
	mntput(mnt);
	CHECK(vfs_inode_count() == inodes - 1); // the root inode was counted before
	CHECK(vfs_dentry_count() == dentries - 1);
	CHECK(vfs_mount_count() == mounts - 1);
}
