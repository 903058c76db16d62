#!/usr/bin/env python3
"""Connects stdin/stdout to a unix socket: gdb's `target remote | tools/gdb/unix_pipe.py PATH`
reaches a serial line QEMU exposes as `-chardev socket,path=PATH,server=on` (no TCP port to
pick, so parallel runs cannot collide)."""
import os
import socket
import sys
import threading


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])

    def pump_in():
        while True:
            data = os.read(0, 4096)
            if not data:
                break
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)

    threading.Thread(target=pump_in, daemon=True).start()
    while True:
        data = s.recv(4096)
        if not data:
            break
        os.write(1, data)


if __name__ == '__main__':
    main()
