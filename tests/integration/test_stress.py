#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctld under thousands of D-Bus calls, malformed ones included.

The bed of test_daemon_cli.py (private system-type bus with the shipped
policy, mock bluetoothd, penctld as root).  One client sends calls with
wrong signatures, huge strings, 1 MiB option keys, unknown options, and the
ordinary requests, thousands in all; penctld must answer every one (a named
error or a reply), stay on the bus, and its resident memory must not grow
by more than RSS_BOUND_KB between a sample after a warm-up round and one
after the storm.  Both figures are printed.

The bound: a refused StartSession once kept the whole message (a 1 MiB
option key) for ever, 100 calls took penctld from 6.3 to 116 MB.  Malloc's
own caching and GLib's one-time allocations stay well below 2 MB.
'''

import os
import sys
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from test_daemon_cli import DaemonCliTest, NAME, PATH  # noqa: E402

RSS_BOUND_KB = 2048
HUGE = 1024 * 1024
PENCTLD = os.environ.get('PENCTLD', '')


def sanitized(path):
    '''True for a binary built with AddressSanitizer (_build-asan).'''
    try:
        with open(path, 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


# Under AddressSanitizer freed memory waits in a quarantine (256 MB) and
# the allocator keeps its own caches, so RSS says little: there the leak
# check is LeakSanitizer's report when penctld exits (stop_daemon fails on
# one), and the quarantine is kept small so that RSS still catches a
# runaway (the old leak kept 1 MiB a call: 150 MB here).
ASAN_RSS_BOUND_KB = 64 * 1024


def rss_kb(pid):
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError(f'no VmRSS for {pid}')


class StressTest(DaemonCliTest):
    '''Thousands of calls, malformed ones included; memory stays flat.'''

    def setUp(self):
        self.bound_kb = RSS_BOUND_KB
        if sanitized(PENCTLD):
            self.bound_kb = ASAN_RSS_BOUND_KB
            options = os.environ.get('ASAN_OPTIONS')
            self.addCleanup(self.restore_asan_options, options)
            os.environ['ASAN_OPTIONS'] = (options + ':' if options else '') + \
                'quarantine_size_mb=4:thread_local_quarantine_size_kb=64'
        super().setUp()

    @staticmethod
    def restore_asan_options(options):
        if options is None:
            os.environ.pop('ASAN_OPTIONS', None)
        else:
            os.environ['ASAN_OPTIONS'] = options

    def call(self, method, signature, args, interface=NAME):
        '''One raw call; returns the D-Bus error name, or None on success.'''
        try:
            self.bus.call_blocking(NAME, PATH, interface, method, signature, args, timeout=30)
            return None
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name()

    def round(self, repeat):
        '''Every kind of call, REPEAT times; the error names seen.'''
        seen = {}
        key = 'k' * HUGE
        huge = 'x' * HUGE
        start = ('ssssa{sv}',)
        calls = [
            # 1 MiB option key, unknown option, wrong option type
            ('StartSession', start[0], ['alice', 'home', 'face', '', {key: dbus.Boolean(True)}]),
            ('StartSession', start[0], ['alice', 'home', 'face', '', {'colour': 'red'}]),
            ('StartSession', start[0], ['alice', 'home', 'face', '',
                                        {'contraindications-checked': 'yes'}]),
            # huge strings in every argument
            ('StartSession', start[0], [huge, 'home', 'face', '', {}]),
            ('StartSession', start[0], ['alice', huge, 'face', '', {}]),
            ('StartSession', start[0], ['alice', 'home', huge, '', {}]),
            ('StartSession', start[0], ['alice', 'home', 'face', huge, {}]),
            ('Pair', 's', [huge]),
            # wrong signatures
            ('StartSession', 's', ['alice']),
            ('StartSession', 'ssss', ['alice', 'home', 'face', '']),
            ('SetDepth', 's', ['0.3']),
            ('SetDepth', 'uu', [1, 2]),
            ('SetSpeed', 'u', [100]),
            ('Scan', '', []),
            ('Scan', 'u', [0]),
            ('NoSuchMethod', '', []),
            # the ordinary requests, refused without a session
            ('SetDepth', 'u', [300]),
            ('SetSpeed', 'q', [100]),
            ('StopSession', '', []),
            ('StartSession', start[0], ['alice', 'home', 'face', 'C-1',
                                        {'contraindications-checked': dbus.Boolean(False)}]),
        ]
        for _ in range(repeat):
            for method, signature, args in calls:
                error = self.call(method, signature, args)
                seen[error] = seen.get(error, 0) + 1
            for name in ('State', 'ClientRef', 'Nope'):
                try:
                    self.bus.call_blocking(NAME, PATH, dbus.PROPERTIES_IFACE, 'Get', 'ss',
                                           [NAME, name], timeout=30)
                except dbus.exceptions.DBusException:
                    pass
            self.bus.call_blocking(NAME, PATH, dbus.PROPERTIES_IFACE, 'GetAll', 's', [NAME],
                                   timeout=30)
        return seen

    def test_thousands_of_calls_leave_memory_flat(self):
        self.wait_pen_connected()
        self.round(5)  # warm-up: GLib's caches, the first of each error
        time.sleep(0.5)
        before = rss_kb(self.daemon.pid)
        started = time.monotonic()
        seen = self.round(150)  # 150 x 20 = 3000 calls
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        after = rss_kb(self.daemon.pid)
        calls = sum(seen.values())
        print(f'\npenctld RSS before {before} kB, after {after} kB '
              f'(growth {after - before} kB, bound {self.bound_kb} kB); '
              f'{calls} method calls (+ property reads) in {elapsed:.1f} s', file=sys.stderr)
        print('answers: ' + ', '.join(f'{k or "ok"}: {v}' for k, v in sorted(
            seen.items(), key=lambda kv: str(kv[0]))), file=sys.stderr)
        self.assertIsNone(self.daemon.poll(), 'penctld died:\n' + self.daemon_output())
        self.assertTrue(self.bus.name_has_owner(NAME))
        # Every call was answered; none succeeded that should not.
        self.assertNotIn(None, seen, seen)
        self.assertNotIn('org.freedesktop.DBus.Error.NoReply', seen)
        self.assertIn('org.freedesktop.DBus.Error.InvalidArgs', seen)
        self.assertIn('io.penctld.Penctl1.Error.InvalidArgument', seen)
        self.assertEqual(self.prop('SessionId'), '')
        self.assertLess(after - before, self.bound_kb,
                        f'penctld grew from {before} kB to {after} kB')


if __name__ == '__main__':
    unittest.main(verbosity=2)
