#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The USB foot switch against a real kernel: a uinput device read by
pedalmon-evdev (the daemon's evdev code: open, grab, read, udev hotplug).

usage: test_evdev_uinput.py PEDALMON_EVDEV [unittest args]
       test_evdev_uinput.py --serve FIFO   (a foot switch driven by lines
       written to FIFO: "plug", "unplug", "down KEY", "up KEY", "repeat KEY",
       KEY one of A B C; for the VM scenario)

Needs /dev/uinput (tried: modprobe uinput) and root; exits 77 (skipped, with
the reason on stderr) without them.  The uinput device is made with raw
ioctls (linux/uinput.h), so python3-evdev is not needed; the VM scenario
tests/system/scenarios/15-usb-pedal.sh imports FootSwitch from here.
"""

import fcntl
import glob
import os
import select
import struct
import subprocess
import sys
import time
import unittest

EV_SYN, EV_KEY = 0x00, 0x01
SYN_REPORT = 0
KEY_A, KEY_B, KEY_C = 30, 48, 46
BUS_USB = 0x03
VENDOR, PRODUCT = 0x0C45, 0x7403

UI_DEV_CREATE = 0x5501
UI_DEV_DESTROY = 0x5502
_SETUP = struct.Struct("HHHH80sI")      # struct uinput_setup
UI_DEV_SETUP = (1 << 30) | (_SETUP.size << 16) | (ord("U") << 8) | 3
UI_SET_EVBIT = (1 << 30) | (4 << 16) | (ord("U") << 8) | 100
UI_SET_KEYBIT = (1 << 30) | (4 << 16) | (ord("U") << 8) | 101
UI_GET_SYSNAME_64 = (2 << 30) | (64 << 16) | (ord("U") << 8) | 44
_EVENT = struct.Struct("llHHi")         # struct input_event (64-bit time_t)


def uinput_skip_reason():
    """None when a uinput device can be made here, else why not."""
    if not os.path.exists("/dev/uinput") and os.geteuid() == 0:
        subprocess.run(["modprobe", "uinput"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.exists("/dev/uinput"):
        return "no /dev/uinput (the uinput module is not in this kernel: modprobe uinput failed)"
    if not os.access("/dev/uinput", os.W_OK):
        return "/dev/uinput is not writable: run as root"
    return None


class FootSwitch:
    """A virtual USB foot switch: KEY_A, KEY_B, KEY_C (a PCsensor's three pedals)."""

    def __init__(self, vendor=VENDOR, product=PRODUCT, name="PCsensor FootSwitch"):
        self.fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, UI_SET_EVBIT, EV_KEY)
        for key in (KEY_A, KEY_B, KEY_C):
            fcntl.ioctl(self.fd, UI_SET_KEYBIT, key)
        fcntl.ioctl(self.fd, UI_DEV_SETUP,
                    _SETUP.pack(BUS_USB, vendor, product, 1, name.encode(), 0))
        fcntl.ioctl(self.fd, UI_DEV_CREATE)
        sysname = fcntl.ioctl(self.fd, UI_GET_SYSNAME_64, bytes(64)).split(b"\0")[0].decode()
        self.devnode = None
        deadline = time.monotonic() + 5
        while self.devnode is None and time.monotonic() < deadline:
            nodes = glob.glob(f"/sys/devices/virtual/input/{sysname}/event*")
            if nodes and os.path.exists("/dev/input/" + os.path.basename(nodes[0])):
                self.devnode = "/dev/input/" + os.path.basename(nodes[0])
            else:
                time.sleep(0.01)

    def key(self, code, value):
        """value 1 down, 0 up, 2 autorepeat; then SYN_REPORT."""
        os.write(self.fd, _EVENT.pack(0, 0, EV_KEY, code, value) +
                 _EVENT.pack(0, 0, EV_SYN, SYN_REPORT, 0))

    def unplug(self):
        if self.fd is not None:
            fcntl.ioctl(self.fd, UI_DEV_DESTROY)
            os.close(self.fd)
            self.fd = None


class Pedalmon:
    """pedalmon-evdev's lines, read with a deadline.  Read from the pipe's
    fd itself: a buffered readline() after select() would keep a second
    line that came in the same write out of select()'s sight."""

    def __init__(self, binary, device, *extra):
        self.proc = subprocess.Popen(
            [binary, "--key", "KEY_B", "--depth-down-key", "KEY_A",
             "--depth-up-key", "KEY_C", *extra, device],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pending = b""
        self.lines = []

    def next_line(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 4096)
            if not data:
                return None
            self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        self.lines.append(line.decode())
        return self.lines[-1]

    def expect(self, words, timeout=5.0):
        line = self.next_line(timeout)
        if line is None or words not in line:
            raise AssertionError(f"expected a line with {words!r}, got {line!r} "
                                 f"(all: {self.lines})")
        return line

    def expect_silence(self, seconds):
        line = self.next_line(seconds)
        if line is not None:
            raise AssertionError(f"expected nothing, got {line!r} (all: {self.lines})")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def read_keys(fd):
    """The EV_KEY events a second reader gets now (non-blocking)."""
    keys = []
    while True:
        try:
            data = os.read(fd, _EVENT.size * 64)
        except BlockingIOError:
            return keys
        for i in range(0, len(data), _EVENT.size):
            _, _, type_, code, value = _EVENT.unpack_from(data, i)
            if type_ == EV_KEY:
                keys.append((code, value))


# PEDAL_EVDEV_PLUG_SETTLE_NS: a down this soon after the open is a key held
# at the plug; a test's press waits it out.
PLUG_SETTLE_S = 0.5


def settle():
    time.sleep(PLUG_SETTLE_S + 0.1)


class UsbFootSwitch(unittest.TestCase):
    binary = None

    def setUp(self):
        self.switch = FootSwitch()
        self.assertIsNotNone(self.switch.devnode, "the uinput device got no event node")
        self.monitor = None

    def tearDown(self):
        if self.monitor:
            self.monitor.stop()
        self.switch.unplug()

    def start(self, device=None):
        self.monitor = Pedalmon(self.binary, device or f"usb:{VENDOR:04x}:{PRODUCT:04x}")
        opened = self.monitor.expect("opened: ")
        settle()
        return opened

    def test_press_repeat_release(self):
        opened = self.start()
        self.assertIn(self.switch.devnode, opened)
        self.assertIn("level up", opened)
        self.assertIn("key KEY_B", opened)
        self.switch.key(KEY_B, 1)
        self.monitor.expect(" down")
        # The kernel's autorepeat while held: no edge.
        for _ in range(3):
            self.switch.key(KEY_B, 2)
        self.monitor.expect_silence(0.5)
        self.switch.key(KEY_B, 0)
        up = self.monitor.expect(" up (+")
        gap_ms = float(up.split("(+")[1].split(" ms")[0])
        self.assertGreaterEqual(gap_ms, 500.0)

    def test_open_by_path(self):
        opened = self.start(self.switch.devnode)
        self.assertIn("level up", opened)
        self.switch.key(KEY_B, 1)
        self.monitor.expect(" down")

    def test_grab_hides_keys_from_other_readers(self):
        other = os.open(self.switch.devnode, os.O_RDONLY | os.O_NONBLOCK)
        try:
            # Before the grab the other reader sees the key: the check
            # below can fail.
            self.switch.key(KEY_B, 1)
            self.switch.key(KEY_B, 0)
            time.sleep(0.2)
            self.assertEqual(read_keys(other), [(KEY_B, 1), (KEY_B, 0)])
            self.start()
            self.switch.key(KEY_B, 1)
            self.monitor.expect(" down")
            self.switch.key(KEY_B, 0)
            self.monitor.expect(" up")
            self.assertEqual(read_keys(other), [])
        finally:
            os.close(other)

    def test_depth_keys(self):
        self.start()
        self.switch.key(KEY_A, 1)
        self.monitor.expect(" depth-down")
        self.switch.key(KEY_A, 2)
        self.switch.key(KEY_A, 0)
        self.switch.key(KEY_C, 1)
        self.monitor.expect(" depth-up")
        self.switch.key(KEY_C, 0)
        self.monitor.expect_silence(0.3)

    def need_udevd(self):
        # The reopen is udev's "add", sent by udevd after its rules ran.
        if not os.path.exists("/run/udev/control"):
            self.skipTest("no systemd-udevd here: nothing announces a replugged device")

    def test_unplug_is_lost_and_replug_held_is_held_at_start(self):
        self.need_udevd()
        self.start()
        self.switch.key(KEY_B, 1)
        self.monitor.expect(" down")
        self.switch.unplug()
        # The kernel releases the keys of a device it unregisters: the
        # release comes first, then the loss.
        self.monitor.expect(" up")
        self.monitor.expect("lost: ")
        # Plugged back with the pedal held: reopened by udev's "add", and
        # the level then is down.
        self.switch = FootSwitch()
        self.switch.key(KEY_B, 1)
        opened = self.monitor.expect("opened: ", timeout=10)
        self.switch.key(KEY_B, 0)
        if "held-at-start" in opened:
            # Down before the open: the level then.
            self.monitor.expect(" up")
        else:
            # Down just after the open (as a USB switch reports a held
            # key): held at the plug, neither it nor its release is an edge.
            self.monitor.expect_silence(0.5)
        settle()
        self.switch.key(KEY_B, 1)
        self.monitor.expect(" down")

    def test_no_device_waits_for_udev(self):
        self.need_udevd()
        self.switch.unplug()
        self.monitor = Pedalmon(self.binary, f"usb:{VENDOR:04x}:{PRODUCT:04x}")
        self.monitor.expect("unavailable: no input device usb:0c45:7403")
        self.switch = FootSwitch()
        opened = self.monitor.expect("opened: ", timeout=10)
        self.assertIn("level up", opened)

    def test_wrong_key_refused(self):
        self.monitor = Pedalmon(self.binary, self.switch.devnode, "--key", "KEY_Z")
        self.monitor.expect("has no key KEY_Z")


def serve(fifo):
    """Runs a foot switch driven through FIFO until "quit"."""
    names = {"A": KEY_A, "B": KEY_B, "C": KEY_C}
    values = {"down": 1, "up": 0, "repeat": 2}
    switch = FootSwitch()
    print(switch.devnode, flush=True)
    while True:
        with open(fifo, encoding="ascii") as commands:
            for line in commands:
                words = line.split()
                if not words:
                    continue
                if words[0] == "quit":
                    switch.unplug()
                    return
                if words[0] == "unplug":
                    switch.unplug()
                elif words[0] == "plug":
                    switch.unplug()
                    switch = FootSwitch()
                    print(switch.devnode, flush=True)
                elif words[0] in values and len(words) == 2 and words[1] in names:
                    switch.key(names[words[1]], values[words[0]])
                else:
                    print(f"unknown command: {line.strip()}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        reason = uinput_skip_reason()
        if reason:
            sys.exit(f"SKIP: {reason}")
        serve(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    UsbFootSwitch.binary = sys.argv.pop(1)
    reason = uinput_skip_reason()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        sys.exit(77)
    unittest.main()
