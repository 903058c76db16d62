#!/usr/bin/env python3
"""Runs the user programs under qemu-aarch64 (user-mode emulation: Linux's system call
behaviour, on this host) and checks each one's outcome, as a reference for the kernel's own
runs. Usage: user_qemu_test.py BUILD_USER_DIR   (from `make user-qemu-test`).

Expectations for the hostile programs come from user/hostile/EXPECT (third column). Ends with
"N passed, N failed" and exits 1 when anything failed.
"""
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(path, args, timeout=120):
    try:
        p = subprocess.run(["qemu-aarch64", path] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return p.returncode, p.stdout.decode(errors="replace")


def ktap_ok(status, out):
    m = re.search(r"^# Totals: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$", out, re.M)
    return status == 0 and m is not None and m.group(2) == "0" and int(m.group(1)) > 0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    if not shutil.which("qemu-aarch64"):
        sys.exit("qemu-aarch64 not found: apt-get install qemu-user (or SETUP_CROSS=1 tools/setup.sh)")
    results = []

    def check(name, ok, out):
        results.append((name, ok))
        print(f"{'ok    ' if ok else 'FAILED'} {name}")
        if not ok:
            print("    " + "\n    ".join(out.splitlines()[-15:]))

    for prog in ("ktest_user", "ktest_user_pie"):
        st, out = run(f"{d}/{prog}.elf", ["--qemu-user", "x", "y z", "--expect-argc=5"])
        check(prog, ktap_ok(st, out or ""), out or "")

    with open(os.path.join(TOP, "user/hostile/EXPECT")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            name, _kernel, qemu, args = line[0], line[1], line[2], line[3:]
            if qemu == "skip":
                print(f"skip   {name} (not under qemu-user)")
                continue
            st, out = run(f"{d}/{name}.elf", args)
            out = out or ""
            if qemu == "segv":
                ok = st == -11 and "EXPECT-KILL SIGSEGV" in out and "UNEXPECTED-SURVIVAL" not in out
            elif qemu == "ktap":
                ok = ktap_ok(st, out)
            elif qemu == "exit0":
                ok = st == 0 and out.rstrip().endswith(": ok")
            elif qemu == "exit2":
                ok = st == 2
            elif qemu == "survives":
                ok = st == 99 and "UNEXPECTED-SURVIVAL" in out
            else:
                ok = False
                out += f"\nunknown expectation {qemu!r} in user/hostile/EXPECT"
            check(f"{name} ({qemu})", ok, out)

    st, out = run(f"{d}/mmbench.elf", ["--pages=4096", "--iters=2000"])
    out = out or ""
    figures = re.findall(r"^MMBENCH (\w+) ns_per_op=[\d.]+ ops=\d+", out, re.M)
    check("mmbench", st == 0 and "MMBENCH done failures=0" in out and len(figures) == 8, out)
    print("    " + "\n    ".join(l for l in out.splitlines() if l.startswith("MMBENCH")))

    # procbench's figures one at a time, briefly; not fork_exec_exit_wait: qemu-user cannot
    # execve an AArch64 binary on this host unless binfmt_misc is set up for it.
    for fig in ("fork_exit_wait_64m", "sched_yield_pingpong", "futex_pingpong", "signal_roundtrip"):
        st, out = run(f"{d}/procbench.elf", ["--only=" + fig, "--forks=5", "--iters=500"])
        out = out or ""
        ok = st == 0 and "PROCBENCH done failures=0" in out and re.search(r"^PROCBENCH %s ns_per_op=" % fig, out, re.M)
        check(f"procbench {fig}", bool(ok), out)

    for prog, want in (("hello", "hello from glibc"), ("malloc_stress", "malloc_stress: ok")):
        path = f"{d}/glibc/{prog}.elf"
        if not os.path.exists(path):
            print(f"skip   glibc/{prog} (aarch64-linux-gnu-gcc not installed)")
            continue
        st, out = run(path, ["arg1"] if prog == "hello" else [])
        check(f"glibc/{prog}", st == 0 and want in (out or ""), out or "")

    failed = sum(1 for _, ok in results if not ok)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
