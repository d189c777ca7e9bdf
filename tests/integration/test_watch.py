#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctl watch against the integration bed (test_daemon_cli.py's private
system bus, mock bluetoothd and real penctld).

It must redraw when the daemon changes, say when the daemon is gone and
come back by itself, and sleep between signals: no polling, so while
nothing changes its CPU time and context switches stay flat.
'''

import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from test_daemon_cli import DaemonCliTest, PENCTL, PEN, sanitizer_report  # noqa: E402


def daemon_has_event_signal(bus):
    '''Whether the penctld on BUS sends Event (one per journal record):
    until it does, the views can show no record's reason.'''
    xml = bus.get_object('io.penctld.Penctl1', '/io/penctld/Penctl1').Introspect(
        dbus_interface='org.freedesktop.DBus.Introspectable')
    return '<signal name="Event">' in xml


class Watcher:
    '''One `penctl watch` run; its stdout collected line by line.'''

    def __init__(self, env, *args):
        self.proc = subprocess.Popen([PENCTL, *args, 'watch'], env=env,  # pylint: disable=consider-using-with
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     universal_newlines=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip('\n'))

    def text(self):
        with self.lock:
            return '\n'.join(self.lines)

    def json_lines(self):
        with self.lock:
            return [json.loads(line) for line in self.lines if line.startswith('{')]

    def cpu_and_switches(self):
        '''(utime+stime ticks, voluntary+involuntary context switches) of
        every thread of the process.'''
        pid = self.proc.pid
        with open(f'/proc/{pid}/stat', encoding='ascii') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        switches = 0
        for task in os.listdir(f'/proc/{pid}/task'):
            with open(f'/proc/{pid}/task/{task}/status', encoding='ascii') as f:
                for line in f:
                    if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                        switches += int(line.split()[1])
        return ticks, switches

    def stop(self):
        '''SIGINT: exit 0, and (sanitized build) no report.'''
        self.proc.send_signal(signal.SIGINT)
        status = self.proc.wait(10)
        self.reader.join(5)
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        self.proc.stdout.close()
        return status, err


class WatchTest(DaemonCliTest):
    '''penctl watch while a practitioner works.'''

    def setUp(self):
        super().setUp()
        self.watchers = []

    def tearDown(self):
        try:
            for watcher in self.watchers:
                if watcher.proc.poll() is None:
                    status, err = watcher.stop()
                    self.assertEqual(status, 0, err)
                    self.assertIsNone(sanitizer_report(err), err)
        finally:
            super().tearDown()

    def watch(self, *args):
        watcher = Watcher(self.env, *args)
        self.watchers.append(watcher)
        return watcher

    def test_json_streams_one_object_per_change(self):
        self.wait_pen_connected()
        watcher = self.watch('--json')
        self.wait_for('the first state',
                      lambda: any(o.get('change') == 'properties' for o in watcher.json_lines()))
        first = [o for o in watcher.json_lines() if o.get('change') == 'properties'][0]
        self.assertEqual(first['properties']['State'], 'idle')
        self.assertEqual(first['properties']['PenAddress'], PEN)
        session_id = self.start_session()

        def session_seen():
            return any(o.get('change') == 'properties' and 'SessionId' in o['changed']
                       and o['properties']['SessionId'] == session_id
                       for o in watcher.json_lines())
        self.wait_for('the session in the stream', session_seen)

    def test_the_screen_shows_the_session_and_its_budgets(self):
        self.wait_pen_connected()
        watcher = self.watch()
        self.wait_for('the idle screen', lambda: 'Session:   none' in watcher.text())
        self.start_session()
        self.ok('depth', '0.4')
        self.wait_for('the session on screen', lambda: 'Depth:     0.40 mm (limit 0.50 mm)'
                      in watcher.text(), timeout=10)
        text = watcher.text()
        self.assertRegex(text, r'Wall: +\[[#-]{20}\] \d\d:\d\d used, \d\d:\d\d left')
        self.assertRegex(text, r'Needling: +\[[#-]{20}\] \d\d:\d\d used, \d\d:\d\d left')
        self.assertIn('Pedal:', text)
        self.assertIn('Battery:', text)

    def test_a_dropped_pen_shows_with_its_reason(self):
        self.wait_pen_connected()
        watcher = self.watch()
        self.start_session()
        self.wait_for('the session on screen', lambda: 'role home' in watcher.text())
        pens = dbus.Interface(self.bus.get_object('org.bluez', '/'), 'org.penctl.PenMock')
        pens.DropConnection(PEN)
        # The daemon reconnects at once: the NOT connected screen may be
        # drawn over quickly; the event with its words stays in the list.
        if daemon_has_event_signal(self.bus):
            self.wait_for('the disconnect with its words',
                          lambda: 'pen disconnected' in watcher.text().rsplit('penctl watch', 1)[-1])
        else:
            self.wait_for('the pen shown as not connected',
                          lambda: 'NOT connected' in watcher.text())

    def test_bluetoothd_gone_shows_the_conditions_and_their_fixes(self):
        self.wait_pen_connected()
        watcher = self.watch()
        self.wait_for('the idle screen', lambda: 'State:     idle' in watcher.text())
        props = self.bus.get_object('io.penctld.Penctl1', '/io/penctld/Penctl1').GetAll(
            'io.penctld.Penctl1', dbus_interface=dbus.PROPERTIES_IFACE)
        if 'Conditions' not in props:
            self.skipTest('this penctld has no Conditions property')
        self.mock_proc.terminate()
        self.mock_proc.wait()
        self.mock_log.close()
        self.wait_for('the condition', lambda: 'Condition: The paired pen is not connected'
                      in watcher.text().rsplit('penctl watch', 1)[-1])
        self.assertIn('switch the pen on and bring it near', watcher.text())
        self.start_mock()
        self.wait_for('the condition cleared', lambda: 'Condition: The paired pen'
                      not in watcher.text().rsplit('penctl watch', 1)[-1], timeout=30)

    def test_it_says_when_penctld_is_gone_and_recovers(self):
        self.wait_pen_connected()
        watcher = self.watch()
        self.wait_for('the idle screen', lambda: 'State:     idle' in watcher.text())
        self.stop_daemon()
        self.wait_for('the daemon gone', lambda: 'penctld is not running' in watcher.text())
        before = len(watcher.text())
        self.start_daemon()
        self.wait_for('the daemon back',
                      lambda: 'State:     idle' in watcher.text()[before:])
        self.assertIsNone(watcher.proc.poll())

    def test_it_sleeps_while_nothing_changes(self):
        '''No polling: idle (no session, so no time properties tick), the
        process is woken by nothing at all for 3 s.'''
        self.wait_pen_connected()
        watcher = self.watch('--json')
        self.wait_for('the first state',
                      lambda: any(o.get('change') == 'properties' for o in watcher.json_lines()))
        time.sleep(1.0)  # what follows the first GetAll settles
        lines = len(watcher.json_lines())
        ticks0, switches0 = watcher.cpu_and_switches()
        time.sleep(3.0)
        ticks1, switches1 = watcher.cpu_and_switches()
        self.assertEqual(len(watcher.json_lines()), lines, watcher.json_lines()[lines:])
        self.assertLessEqual(ticks1 - ticks0, 1, 'penctl watch used CPU while idle')
        self.assertLessEqual(switches1 - switches0, 2,
                             f'penctl watch woke {switches1 - switches0} times in 3 s')
        # ...and it still wakes for a change.
        self.start_session()
        self.wait_for('the session in the stream',
                      lambda: len(watcher.json_lines()) > lines)


if __name__ == '__main__':
    unittest.main()
