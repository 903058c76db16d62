// The path walk (fs/namei.cpp) on a real tmpfs (mm/shmem.cpp) against a table of cases:
// symlinks (relative, absolute, loops, the MAXSYMLINKS chain), ".." at the root and through
// links, trailing slashes, ENOTDIR/ENOENT/ENAMETOOLONG, LOOKUP_EMPTY and LOOKUP_DIRECTORY;
// then the whole tree is torn down and every inode, dentry and page is back.
#include <doctest/doctest.h>

#include <string>

#include "fs/internal.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/test_page_alloc.h"

Result vfs_mkdirat(const path &root, const path &start, const char *name, umode_t mode);
Result vfs_symlinkat(const path &root, const path &start, const char *name, const char *target);
Result vfs_unlinkat(const path &root, const path &start, const char *name, bool rmdir);

namespace {
struct NameiFixture {
	HostMm host{patest::small_config(64 * SZ_1M)};
	vfsmount *mnt = nullptr;
	path root{};
	NameiFixture()
	{
		active_slab::reset_for_test();
		xa_reset_for_test();
		kmem_cache_init();
		vfs_reset_for_test();
		auto m = kern_mount(&shmem_fs_type);
		REQUIRE(!m.is_error());
		mnt = m.value();
		root = {mnt, dget(mnt->mnt_root)};
	}
	void mkdir(const char *p) { REQUIRE(!vfs_mkdirat(root, root, p, 0755).is_error()); }
	void symlink(const char *t, const char *p) { REQUIRE(!vfs_symlinkat(root, root, p, t).is_error()); }
	void file(const char *p)
	{
		auto f = vfs_open_at(root, root, p, O_CREAT | O_WRONLY, 0644);
		REQUIRE(!f.is_error());
		loff_t pos = 0;
		REQUIRE(kernel_write(f.value(), "data", 4, &pos) == 4);
		fput(f.value());
	}
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
	vfs_counts before = vfs_object_counts();
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
	s = d_path(f.value(), root, buf, sizeof(buf));
	REQUIRE(!s.is_error());
	CHECK(std::string(s.value()) == "/a/b/c (deleted)");
	CHECK(d_path(f.value(), root, buf, 8).error().code() == Errno::ENAMETOOLONG);
	path_put(&f.value());

	// Teardown: the mount goes and with it every inode, dentry and page of the tree.
	path_put(&root);
	mntput(mnt);
	vfs_counts after = vfs_object_counts();
	CHECK(after.inodes == before.inodes - 1); // the root inode was counted before
	CHECK(after.dentries == before.dentries - 1);
	CHECK(after.mounts == before.mounts - 1);
	CHECK(global_node_page_state_snapshot(NR_FILE_PAGES) == 0);
}
