#!/usr/bin/env python3
"""Builds a newc cpio initramfs from Debian arm64 packages, for `make run INITRD=...` and the
busybox tests (Linux's usr/gen_init_cpio does the same from a file list).

    mkinitramfs.py -o build/initramfs-busybox.cpio                 # busybox-static as /init
    mkinitramfs.py -o out.cpio -p libc6 -p busybox                 # dynamically linked busybox
    mkinitramfs.py -o out.cpio --file /tests/run.sh=tests/busybox/run.sh:755

Each package (default: busybox-static; an architecture-less name means :arm64) is fetched with
`apt-get download` into a cache directory (default build/initramfs-debs; a package already
there is not fetched again) and unpacked with `dpkg-deb -x`: no root, nothing installed on the
host. The machine needs the arm64 dpkg architecture and its package lists, which
tools/setup.sh adds. Documentation (usr/share/{doc,man,info,lintian,locale}) and glibc's gconv
modules are left out unless --keep-docs / --keep-gconv; --exclude drops more (a path prefix).

With --init busybox (the default when a package ships bin/busybox), busybox becomes init as
`busybox --install -s` would set it up: a symlink to /bin/busybox for every applet, in the
directory busybox itself installs it to (bin, sbin, usr/bin, usr/sbin), never over a file a
package ships; /init is a symlink to /bin/busybox (busybox then runs as its `init` applet);
/etc/inittab runs /etc/init.d/rcS and then a shell on the console (askfirst), and a default
rcS mounts /proc when the kernel has not. --rcS replaces that rcS. The applet list and each
applet's directory are read from the binary itself (its applet_names string and the packed
applet_install_loc table) and, when qemu-aarch64 is installed, checked against `busybox
--list-full` run under it. --init none leaves /init out (boot with rdinit=/bin/sh, say).

Always present: /dev (with console 5:1 and null 1:3, which Linux needs before any /dev is
mounted: its init opens /dev/console), /proc, /sys, /tmp (1777), /root, /etc, /mnt.
The archive is reproducible: sorted entries, uid/gid/mtime 0 (tools/mkcpio.py writes it).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkcpio  # noqa: E402  the tree's one cpio writer

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOC_PREFIXES = ('usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian',
                'usr/share/locale', 'usr/share/initramfs-tools', 'usr/share/bug')
GCONV_PREFIXES = ('usr/lib/aarch64-linux-gnu/gconv',)

# busybox's install_dir[] (libbb/appletlib.c), indexed by applet_install_loc's 4-bit entries.
INSTALL_DIRS = ('', 'bin', 'sbin', 'usr/bin', 'usr/sbin')

INITTAB = """\
# busybox init (tools/mkinitramfs.py): rcS once, then a shell on the console.
::sysinit:/etc/init.d/rcS
::askfirst:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
"""

RCS = """\
#!/bin/sh
# Run once by busybox init (tools/mkinitramfs.py). Linux leaves mounting /proc to init.
[ -e /proc/self ] || mount -t proc proc /proc
[ -e /proc/meminfo ] && echo "busybox init: $(uname -sr), $(sed -n 's/^MemTotal: *//p' /proc/meminfo) of memory"
"""


class Error(Exception):
    pass


def log(msg):
    print('mkinitramfs: ' + msg, file=sys.stderr)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise Error('%s failed (status %d): %s' % (' '.join(cmd), r.returncode,
                                                    (r.stderr or r.stdout).strip()[-2000:]))
    return r.stdout


def with_arch(pkg):
    return pkg if ':' in pkg else pkg + ':arm64'


def deb_filename(pkg):
    """The name apt-get download gives the package's candidate version: name_version_arch.deb,
    with the epoch's ':' written %3a, as apt does."""
    out = run(['apt-cache', 'show', '--no-all-versions', pkg])
    fields = {}
    for line in out.splitlines():
        k, sep, v = line.partition(': ')
        if sep and k in ('Package', 'Version', 'Architecture') and k not in fields:
            fields[k] = v.strip()
    if len(fields) != 3:
        raise Error('apt-cache show %s: no Package/Version/Architecture (is the arm64 '
                    'architecture added and apt-get update run? tools/setup.sh does both)' % pkg)
    return '%s_%s_%s.deb' % (fields['Package'], fields['Version'].replace(':', '%3a'), fields['Architecture'])


def fetch(pkg, cache):
    """The cached .deb of pkg, downloaded first when absent."""
    os.makedirs(cache, exist_ok=True)
    name = deb_filename(pkg)
    path = os.path.join(cache, name)
    if os.path.exists(path):
        return path
    log('downloading %s into %s' % (pkg, os.path.relpath(cache, TOP)))
    # As root apt downloads unsandboxed (its _apt user may not write the cache): say so
    # instead of letting it warn.
    cmd = ['apt-get', 'download', '-q']
    if os.geteuid() == 0:
        cmd += ['-o', 'APT::Sandbox::User=root']
    run(cmd + [pkg], cwd=cache)
    if not os.path.exists(path):
        raise Error('apt-get download %s did not produce %s' % (pkg, name))
    return path


def excluded(rel, prefixes):
    return any(rel == p or rel.startswith(p + '/') for p in prefixes)


def collect(root, prefixes, tree):
    """Adds what is under root (an unpacked package) to tree: {rel: ('dir', mode) |
    ('file', mode, data) | ('link', target)}. A later package's file replaces an earlier one's,
    as dpkg would only with Replaces: say so."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        reldir = os.path.relpath(dirpath, root)
        reldir = '' if reldir == '.' else reldir
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.join(reldir, name) if reldir else name
            if excluded(rel, prefixes):
                continue
            st = os.lstat(full)
            if os.path.islink(full):
                node = ('link', os.readlink(full))
            elif os.path.isdir(full):
                node = ('dir', st.st_mode & 0o7777)
            elif os.path.isfile(full):
                with open(full, 'rb') as f:
                    node = ('file', st.st_mode & 0o7777, f.read())
            else:
                raise Error('%s: neither file, directory nor symlink' % rel)
            old = tree.get(rel)
            if old and old[0] != 'dir' and old != node:
                log('/%s from two packages: the later one is kept' % rel)
            if old and old[0] == 'dir' and node[0] == 'dir':
                continue
            tree[rel] = node
        # os.walk does not descend into symlinks to directories: nothing to do for them.


def applets_from_binary(data):
    """[(applet, dir)] read from a busybox binary: the applet_names string (every applet name,
    NUL-separated, sorted: busybox bisects it) and applet_install_loc (a 4-bit install_dir index
    per applet, two to a byte, low nibble first)."""
    best = []
    for m in re.finditer(rb'(?:[a-z0-9_.\[\]-]{1,32}\x00){100,}\x00', data):
        names = [n.decode() for n in m.group(0).split(b'\0') if n]
        if len(names) > len(best) and names == sorted(names) and len(set(names)) == len(names):
            best = names
    if not best:
        raise Error('no applet name list found in the busybox binary')
    n = len(best)
    nb = (n + 1) // 2
    good = bytes(h << 4 | l for h in range(len(INSTALL_DIRS)) for l in range(len(INSTALL_DIRS)))
    ok = bytearray(256)
    for b in good:
        ok[b] = 1
    # Windows of nb bytes that are all valid entries with at most the zero entries the table
    # can have (applets installed at / such as linuxrc: allow one, plus the odd count's pad).
    bad_prefix = [0]
    zero_prefix = [0]
    for b in data:
        bad_prefix.append(bad_prefix[-1] + (not ok[b]))
        zero_prefix.append(zero_prefix[-1] + ((b & 15) == 0) + ((b >> 4) == 0))
    max_zero = 1 + (n % 2)
    cands = [s for s in range(len(data) - nb + 1)
             if bad_prefix[s + nb] == bad_prefix[s] and zero_prefix[s + nb] - zero_prefix[s] <= max_zero]
    tables = []
    for s in cands:
        locs = [(data[s + i // 2] >> (4 * (i % 2))) & 15 for i in range(n)]
        where = dict(zip(best, locs))
        # Anchors every busybox build with these applets has: sh in /bin, init in /sbin.
        if where.get('sh', 1) == 1 and where.get('init', 2) == 2 and locs not in tables:
            tables.append(locs)
    if len(tables) != 1:
        raise Error('applet_install_loc: %d candidate tables in the busybox binary' % len(tables))
    return [(a, INSTALL_DIRS[l]) for a, l in zip(best, tables[0])]


def applets_from_qemu(root):
    """[(applet, dir)] from `busybox --list-full` under qemu-aarch64 (with the unpacked packages
    as its sysroot, for a dynamically linked busybox's ld.so and libc), or None without
    qemu-aarch64 or when it cannot run there (a dynamic busybox without libc6: said so)."""
    qemu = shutil.which('qemu-aarch64') or shutil.which('qemu-aarch64-static')
    if not qemu:
        return None
    r = subprocess.run([qemu, '-L', root, os.path.join(root, 'bin', 'busybox'), '--list-full'],
                       capture_output=True, text=True)
    if r.returncode != 0:
        log('busybox --list-full does not run under qemu-aarch64 (%s): the applet list is the '
            "binary's alone" % (r.stderr.strip().splitlines() or ['status %d' % r.returncode])[-1])
        return None
    out = r.stdout
    res = []
    for line in out.split():
        d, _, a = line.rpartition('/')
        res.append((a, d))
    return res


def setup_busybox(tree, root, rcs_text):
    """busybox --install -s, done on the tree: applet symlinks, /init, inittab and rcS."""
    node = tree.get('bin/busybox')
    if not node or node[0] != 'file':
        raise Error('--init busybox: no bin/busybox in the packages (add busybox-static)')
    applets = applets_from_binary(node[2])
    check = applets_from_qemu(root)
    if check is not None and sorted(check) != sorted(applets):
        diff = sorted(set(check) ^ set(applets))[:5]
        raise Error('the applets read from the binary differ from busybox --list-full: %s' % diff)
    made = 0
    for applet, d in applets:
        rel = os.path.join(d, applet) if d else applet
        if rel in tree or applet == 'busybox':
            continue  # --install never replaces a file
        tree[rel] = ('link', '/bin/busybox')
        made += 1
    tree['init'] = ('link', '/bin/busybox')
    tree.setdefault('etc/inittab', ('file', 0o644, INITTAB.encode()))
    tree['etc/init.d/rcS'] = ('file', 0o755, rcs_text.encode())
    return len(applets), made, check is not None


def to_archive(tree):
    files, links, dirs = {}, {}, {}
    for rel, node in tree.items():
        dest = '/' + rel
        if node[0] == 'dir':
            dirs[dest] = node[1]
        elif node[0] == 'file':
            files[dest] = (node[1], node[2])
        else:
            links[dest] = node[1]
    devs = {'/dev/console': (0o600, 5, 1), '/dev/null': (0o666, 1, 3)}
    for d in devs:
        files.pop(d, None)
    return mkcpio.archive(files, devs, links, dirs)


def parse_file_spec(spec):
    dest, sep, rest = spec.partition('=')
    if not sep or not dest.startswith('/'):
        raise Error('bad --file %r: want /DEST=SRC[:MODE]' % spec)
    src, _, mode = rest.partition(':')
    try:
        mode = int(mode or '644', 8)
    except ValueError:
        raise Error('bad mode in --file %r' % spec) from None
    with open(src, 'rb') as f:
        return dest.lstrip('/'), ('file', mode, f.read())


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-o', '--output', required=True)
    ap.add_argument('-p', '--package', action='append', dest='packages',
                    help='a Debian package (default busybox-static; name:arch, default arm64)')
    ap.add_argument('--cache', default=os.path.join(TOP, 'build', 'initramfs-debs'))
    ap.add_argument('--init', default='auto', help='busybox, none, or auto (busybox when shipped)')
    ap.add_argument('--rcS', help='a file to use as /etc/init.d/rcS')
    ap.add_argument('--file', action='append', default=[], help='/DEST=SRC[:MODE] (mode default 644)')
    ap.add_argument('--dir', action='append', default=[], help='/DEST[:MODE] an extra directory')
    ap.add_argument('--exclude', action='append', default=[], help='a path prefix to leave out')
    ap.add_argument('--keep-docs', action='store_true')
    ap.add_argument('--keep-gconv', action='store_true')
    args = ap.parse_args(argv)
    pkgs = [with_arch(p) for p in (args.packages or ['busybox-static'])]
    prefixes = tuple(p.strip('/') for p in args.exclude)
    if not args.keep_docs:
        prefixes += DOC_PREFIXES
    if not args.keep_gconv:
        prefixes += GCONV_PREFIXES
    tree = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, 'root')
        for pkg in pkgs:
            deb = fetch(pkg, args.cache)
            dest = os.path.join(tmp, re.sub(r'\W', '_', pkg))
            run(['dpkg-deb', '-x', deb, dest])
            collect(dest, prefixes, tree)
            # One merged tree on disk too, for running the host copy of busybox under qemu.
            shutil.copytree(dest, root, symlinks=True, dirs_exist_ok=True)
        for d, mode in (('dev', 0o755), ('proc', 0o555), ('sys', 0o555), ('tmp', 0o1777),
                        ('root', 0o700), ('etc', 0o755), ('mnt', 0o755)):
            tree.setdefault(d, ('dir', mode))
        init = args.init
        if init == 'auto':
            init = 'busybox' if 'bin/busybox' in tree else 'none'
        summary = ''
        if init == 'busybox':
            rcs = RCS
            if args.rcS:
                with open(args.rcS) as f:
                    rcs = f.read()
            n, made, checked = setup_busybox(tree, root, rcs)
            summary = ', busybox as /init with %d applets (%d symlinks%s)' % (
                n, made, ', checked with busybox --list-full' if checked else '')
        elif init != 'none':
            raise Error('--init %s: want busybox, none or auto' % init)
    for spec in args.file:
        rel, node = parse_file_spec(spec)
        tree[rel] = node
    for spec in args.dir:
        d, _, mode = spec.partition(':')
        tree[d.strip('/')] = ('dir', int(mode or '755', 8))
    data = to_archive(tree)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    mkcpio.write(args.output, data)
    log('%s: %s, %d entries, %d KiB%s' % (os.path.relpath(args.output), ' '.join(pkgs), len(tree) + 3,
                                          (len(data) + 1023) // 1024, summary))


if __name__ == '__main__':
    try:
        main(sys.argv[1:])
    except (Error, OSError, mkcpio.CpioError) as e:
        sys.exit('mkinitramfs: %s' % e)
