#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''pen_link against a mock bluetoothd (bluez_pen_mock.py) on a private bus.

Each test starts its own dbus-daemon, runs the mock on it as "the system
bus" (DBUS_SYSTEM_BUS_ADDRESS) and drives pen-link-probe ($PENCTL_PROBE)
through its stdin; the probe prints one JSON line per pen_link callback.
What pen_link sent to bluetoothd is read back from the mock.
'''

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import unittest

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, 'bluez_pen_mock.py')
PROBE = os.environ.get('PENCTL_PROBE', '')

PEN = 'AA:BB:CC:DD:EE:01'
PEN_SERVICE_UUID = '7d1e0001-4c2b-4f6a-9a51-5e3c0d8f1a20'
CONTROL_UUID = '7d1e0002-4c2b-4f6a-9a51-5e3c0d8f1a20'
DEPTH_UUID = '7d1e0003-4c2b-4f6a-9a51-5e3c0d8f1a20'
SPEED_UUID = '7d1e0004-4c2b-4f6a-9a51-5e3c0d8f1a20'
STATUS_UUID = '7d1e0005-4c2b-4f6a-9a51-5e3c0d8f1a20'
HEARTBEAT_UUID = '7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20'
CARTRIDGE_UUID = '7d1e0007-4c2b-4f6a-9a51-5e3c0d8f1a20'
WATCHDOG_UUID = '7d1e0008-4c2b-4f6a-9a51-5e3c0d8f1a20'
PROTOCOL_INFO_UUID = '7d1e0009-4c2b-4f6a-9a51-5e3c0d8f1a20'
BATTERY_LEVEL_UUID = '00002a19-0000-1000-8000-00805f9b34fb'

ENOTCONN = 107
ERANGE = 34
WAIT = 10.0


def status_bytes(running, cause, seq, depth, speed, faults, battery, strokes):
    return (bytes([1 if running else 0, cause]) + seq.to_bytes(2, 'little') +
            depth.to_bytes(2, 'little') + speed.to_bytes(2, 'little') +
            faults.to_bytes(2, 'little') + bytes([battery, 0]) + strokes.to_bytes(4, 'little'))


class PenLinkTest(unittest.TestCase):
    '''One private bus, one mock bluetoothd with hci0, one probe per test.'''

    def setUp(self):
        self.assertTrue(PROBE and os.access(PROBE, os.X_OK), 'set PENCTL_PROBE')
        self.daemon = subprocess.Popen(
            ['dbus-daemon', '--session', '--nofork', '--print-address=1'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
        self.address = self.daemon.stdout.readline().strip()
        self.assertTrue(self.address, 'dbus-daemon gave no address')
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        self.bus = dbus.bus.BusConnection(self.address)
        self.mock_proc = None
        self.probe = None
        self.start_mock()

    def tearDown(self):
        if self.probe:
            try:
                self.probe.stdin.close()
            except BrokenPipeError:
                pass
            try:
                rc = self.probe.wait(5)
            except subprocess.TimeoutExpired:
                self.probe.kill()
                rc = self.probe.wait()
        self.stop_mock()
        self.bus.close()
        self.daemon.terminate()
        self.daemon.wait()
        self.daemon.stdout.close()
        if self.probe:
            self.probe.stdout.close()
            # A clean exit: no crash, no sanitizer report, no hang.
            self.assertEqual(rc, 0, 'pen-link-probe did not exit cleanly')

    # ---- the mock ----

    def start_mock(self, adapter=True):
        self.mock_log = open(os.devnull, 'w')  # pylint: disable=consider-using-with
        self.mock_proc = subprocess.Popen(
            ['/usr/bin/python3', '-m', 'dbusmock', '--template', TEMPLATE],
            env=self.env, stdout=self.mock_log, stderr=sys.stderr)
        deadline = time.monotonic() + WAIT
        while not self.bus.name_has_owner('org.bluez'):
            self.assertIsNone(self.mock_proc.poll(), 'mock bluetoothd died')
            self.assertLess(time.monotonic(), deadline, 'mock bluetoothd did not start')
            time.sleep(0.05)
        if adapter:
            self.mock().AddAdapter('hci0', 'host', dbus_interface='org.bluez.Mock')

    def stop_mock(self):
        if self.mock_proc:
            self.mock_proc.terminate()
            self.mock_proc.wait()
            self.mock_proc = None
            self.mock_log.close()

    def mock(self, path='/'):
        return self.bus.get_object('org.bluez', path)

    def pen_mock(self):
        return dbus.Interface(self.mock(), 'org.penctl.PenMock')

    def add_pen(self, address=PEN, **options):
        return self.pen_mock().AddPen('hci0', address, 'Pen', dbus.Dictionary(options, signature='sv'))

    def calls(self, path, method):
        return self.mock(path).GetMethodCalls(method, dbus_interface='org.freedesktop.DBus.Mock')

    def writes(self, uuid, address=PEN):
        return [(bytes(bytearray(data)), str(kind))
                for data, kind in self.pen_mock().GetWrites(address, uuid)]

    def journal(self, address=PEN):
        return [str(s) for s in self.pen_mock().GetJournal(address)]

    def notify(self, uuid, data, address=PEN):
        self.pen_mock().EmitValue(address, uuid, dbus.ByteArray(data), signature='ssay')

    # ---- the probe ----

    def start_probe(self, *args):
        self.events = queue.Queue()
        self.seen = []
        self.passed_over = []  # events result() read past, in order, for the next readers
        self.probe = subprocess.Popen(
            [PROBE, *args], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            universal_newlines=True, bufsize=1)

        def read():
            for line in self.probe.stdout:
                self.events.put(json.loads(line))
            self.events.put(None)
        threading.Thread(target=read, daemon=True).start()
        self.wait_event('started')

    def command(self, line):
        self.probe.stdin.write(line + '\n')
        self.probe.stdin.flush()

    def next_event(self, timeout):
        '''The next event: one result() read past first, else the probe's
        (queue.Empty when none comes within timeout).'''
        if self.passed_over:
            return self.passed_over.pop(0)
        event = self.events.get(timeout=timeout)
        if event is not None:
            self.seen.append(event)
        return event

    def wait_event(self, name, timeout=WAIT, keep_others=False, **fields):
        '''The next event called name with these fields (others skipped, or
        with keep_others left for the next reader, in order).'''
        deadline = time.monotonic() + timeout
        kept = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f'no {name} {fields} within {timeout} s; seen: {self.seen}')
            try:
                event = self.next_event(left)
            except queue.Empty:
                continue
            if event is None:
                self.fail(f'probe exited (rc {self.probe.wait()}) waiting for {name}; '
                          f'seen: {self.seen}')
            if event['event'] == name and all(event.get(k) == v for k, v in fields.items()):
                self.passed_over[:0] = kept
                return event
            if keep_others:
                kept.append(event)

    def result(self, command):
        '''The command's rc.  The events that come before it (a write's
        answer can overtake the next command's result) stay for the next
        wait_event(), no_event() or no_events().'''
        self.command(command)
        return self.wait_event('result', keep_others=True, command=command.split()[0])['rc']

    def no_event(self, name, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self.next_event(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if event is None:
                return
            self.assertNotEqual(event['event'], name, f'unexpected {event}')

    def stop_probe_for_pen(self):
        '''Ends the probe started without a pen (a new one follows).'''
        self.probe.stdin.close()
        self.assertEqual(self.probe.wait(5), 0)
        self.probe.stdout.close()
        self.probe = None

    def connect_pen(self, *probe_args, **pen_options):
        pen_options.setdefault('Paired', True)
        pen_options.setdefault('Trusted', True)
        self.add_pen(**pen_options)
        self.start_probe('--address', PEN, *probe_args)
        return self.wait_event('connected')

    # ---- the tests ----

    def test_device_information_is_read_after_the_connect(self):
        # Model Number and Firmware Revision, for the records (pen-protocol.md).
        self.connect_pen(DeviceInfo=dbus.Dictionary({'Model': 'MN Pro 2', 'Firmware': '2.4.1'},
                                                    signature='ss'))
        self.wait_event('device_info', model='MN Pro 2', firmware='2.4.1')

    def test_scan_sets_le_discovery_filter_for_the_pen_service(self):
        self.add_pen()
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.command('scan 1')
        found = self.wait_event('discovered', address=PEN)
        self.assertEqual(found['name'], 'Pen')
        done = self.wait_event('scan_done')
        self.assertTrue(done['ok'], done)
        self.assertEqual([d['address'] for d in done['found']], [PEN])
        (_, (filt,)), = self.calls('/org/bluez/hci0', 'SetDiscoveryFilter')
        self.assertEqual(dict(filt), {'Transport': 'le', 'UUIDs': [PEN_SERVICE_UUID],
                                      'DuplicateData': False})
        self.assertEqual(len(self.calls('/org/bluez/hci0', 'StartDiscovery')), 1)
        self.assertEqual(len(self.calls('/org/bluez/hci0', 'StopDiscovery')), 1)

    def test_agent_registered_only_around_pair_never_as_default(self):
        # bluetoothd sends every request it has no Pair() caller for to the
        # default agent, and makes the first agent registered the default:
        # penctld's agent exists only while penctld's own Pair() runs.
        self.add_pen()
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        time.sleep(0.5)
        self.assertEqual(self.calls('/org/bluez', 'RegisterAgent'), [])
        self.command('pair ' + PEN)
        done = self.wait_event('pair_done')
        self.assertTrue(done['ok'], done)
        self.wait_for(lambda: self.calls('/org/bluez', 'UnregisterAgent'))
        (_, (path, capability)), = self.calls('/org/bluez', 'RegisterAgent')
        self.assertEqual(str(capability), 'NoInputNoOutput')
        (_, (gone,)), = self.calls('/org/bluez', 'UnregisterAgent')
        self.assertEqual(gone, path)
        self.assertEqual(self.calls('/org/bluez', 'RequestDefaultAgent'), [])

    def test_pair_then_trust_then_connect(self):
        self.add_pen()
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.command('pair ' + PEN.lower())
        done = self.wait_event('pair_done')
        self.assertTrue(done['ok'], done)
        connected = self.wait_event('connected')
        self.assertEqual(connected['address'], PEN)
        self.assertTrue(connected['compatible'])
        journal = self.journal()
        self.assertIn('Pair', journal)
        self.assertIn('Set Trusted=1', journal)
        self.assertIn('Connect', journal)
        self.assertLess(journal.index('Pair'), journal.index('Set Trusted=1'))
        self.assertLess(journal.index('Set Trusted=1'), journal.index('Connect'))

    def test_agent_confirms_passkey_only_for_the_device_being_paired(self):
        self.add_pen(PairPasskey=dbus.UInt32(123456))
        self.add_pen('AA:BB:CC:DD:EE:02')
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        # Nobody is being paired: penctld has no agent for a stranger's
        # request to reach (the system's default agent answers it).
        self.assertEqual(self.pen_mock().AgentCall('RequestConfirmation', 'AA:BB:CC:DD:EE:02',
                                                   [dbus.UInt32(1)], signature='ssav'),
                         'org.bluez.Error.NoAgent')
        self.command('pair ' + PEN)
        self.wait_event('passkey', address=PEN, passkey=123456)
        done = self.wait_event('pair_done')
        self.assertTrue(done['ok'], done)
        self.assertIn('RequestConfirmation accepted', self.journal())
        self.wait_event('connected')
        # Paired: the agent is gone again.
        self.wait_for(lambda: self.calls('/org/bluez', 'UnregisterAgent'))
        self.assertEqual(self.pen_mock().AgentCall('AuthorizeService', PEN, [PEN_SERVICE_UUID],
                                                   signature='ssav'), 'org.bluez.Error.NoAgent')

    def test_pair_unknown_device_refused(self):
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.command('pair 11:22:33:44:55:66')
        done = self.wait_event('pair_done')
        self.assertFalse(done['ok'])
        self.assertIn('scan first', done['error'])

    def test_characteristics_found_by_uuid_at_unusual_paths(self):
        names = {CONTROL_UUID: 'char00ab', DEPTH_UUID: 'char0003', SPEED_UUID: 'zz',
                 STATUS_UUID: 'char0001', HEARTBEAT_UUID: 'char0100',
                 CARTRIDGE_UUID: 'x7', WATCHDOG_UUID: 'char0042', PROTOCOL_INFO_UUID: 'a'}
        connected = self.connect_pen(ServiceName='service0042',
                                     CharNames=dbus.Dictionary(names, signature='ss'))
        self.assertTrue(connected['compatible'], connected)
        self.assertEqual(str(self.pen_mock().CharPath(PEN, DEPTH_UUID)),
                         '/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01/service0042/char0003')
        self.assertEqual(self.result('depth 700'), 0)
        self.wait_for(lambda: self.writes(DEPTH_UUID) == [(b'\xbc\x02', 'request')])

    def test_connect_sequence_and_watchdog_bytes(self):
        connected = self.connect_pen('--watchdog-ms', '750')
        self.assertTrue(connected['compatible'])
        self.assertEqual(connected['cartridge'], {'id': '1122334455667788', 'needle_count': 12,
                                                  'max_depth_um': 2500})
        self.assertEqual(self.writes(WATCHDOG_UUID), [(b'\xee\x02', 'request')])
        # The battery is reported after the pen itself.
        self.wait_event('battery', percent=80)
        journal = [e for e in self.journal() if e != 'Connect']
        self.assertEqual(journal, [
            'ReadValue ' + PROTOCOL_INFO_UUID, 'WriteValue ' + WATCHDOG_UUID,
            'ReadValue ' + CARTRIDGE_UUID, 'StartNotify ' + STATUS_UUID,
            'StartNotify ' + DEPTH_UUID, 'ReadValue ' + STATUS_UUID,
            'ReadValue ' + BATTERY_LEVEL_UUID, 'StartNotify ' + BATTERY_LEVEL_UUID])

    def test_exact_bytes_of_control_depth_speed_heartbeat(self):
        self.connect_pen()
        self.assertEqual(self.result('run 5'), 0)
        self.assertEqual(self.result('stop 6'), 0)
        self.assertEqual(self.result('depth 500'), 0)
        self.assertEqual(self.result('speed 120'), 0)
        self.assertEqual(self.result('heartbeat 258'), 0)
        self.assertEqual(self.result('heartbeat 259'), 0)
        self.wait_for(lambda: len(self.writes(HEARTBEAT_UUID)) == 2)
        self.assertEqual(self.writes(CONTROL_UUID), [(b'\x01\x00\x05\x00', 'request'),
                                                     (b'\x00\x00\x06\x00', 'request')])
        self.assertEqual(self.writes(DEPTH_UUID), [(b'\xf4\x01', 'request')])
        self.assertEqual(self.writes(SPEED_UUID), [(b'\x78\x00', 'request')])
        self.assertEqual(self.writes(HEARTBEAT_UUID), [(b'\x02\x01', 'command'),
                                                       (b'\x03\x01', 'command')])

    # ---- heartbeats: an acquired socket, WriteValue as the fallback ----

    def heartbeats(self, kind):
        return [data for data, k in self.writes(HEARTBEAT_UUID) if k == kind]

    def heartbeat_until_acquired(self, first=1000):
        """Heartbeats until one goes through the acquired socket (the
        AcquireWrite reply may come after the connect); the next counter."""
        counter = first
        deadline = time.monotonic() + WAIT
        while not self.heartbeats('acquired'):
            self.assertLess(time.monotonic(), deadline, 'no heartbeat through a socket')
            self.assertEqual(self.result(f'heartbeat {counter}'), 0)
            counter += 1
            time.sleep(0.05)
        return counter

    def test_heartbeats_by_write_value_when_acquire_write_is_not_offered(self):
        # The bed's default pen offers no AcquireWrite: the fallback.
        self.connect_pen()
        for counter in (1, 2, 3):
            self.assertEqual(self.result(f'heartbeat {counter}'), 0)
            # One write in flight per characteristic: the next after it.
            self.wait_for(lambda n=counter: len(self.writes(HEARTBEAT_UUID)) == n)
        self.assertEqual(self.writes(HEARTBEAT_UUID), [(b'\x01\x00', 'command'),
                                                       (b'\x02\x00', 'command'),
                                                       (b'\x03\x00', 'command')])
        self.assertNotIn('AcquireWrite ' + HEARTBEAT_UUID, self.journal())

    def test_heartbeats_by_write_value_when_acquire_write_fails(self):
        self.connect_pen(AcquireWrite=True, AcquireError='org.bluez.Error.Failed')
        self.wait_for(lambda: 'AcquireWrite ' + HEARTBEAT_UUID in self.journal())
        time.sleep(0.2)  # the refusal reaches the probe
        for counter in (1, 2, 3):
            self.assertEqual(self.result(f'heartbeat {counter}'), 0)
            self.wait_for(lambda n=counter: len(self.heartbeats('command')) == n)
        self.assertEqual(self.heartbeats('acquired'), [])
        self.assertEqual(self.journal().count('AcquireWrite ' + HEARTBEAT_UUID), 1)

    def test_heartbeats_through_the_acquired_socket(self):
        # One send() each on the socket bluetoothd handed over, no WriteValue.
        self.connect_pen(AcquireWrite=True)
        counter = self.heartbeat_until_acquired()
        by_write_value = len(self.heartbeats('command'))
        for c in range(counter, counter + 5):
            self.assertEqual(self.result(f'heartbeat {c}'), 0)
        expected = [c.to_bytes(2, 'little') for c in range(counter, counter + 5)]
        self.wait_for(lambda: self.heartbeats('acquired')[-5:] == expected)
        self.assertEqual(len(self.heartbeats('command')), by_write_value)
        self.assertEqual(self.journal().count('AcquireWrite ' + HEARTBEAT_UUID), 1)

    def test_hung_up_socket_is_acquired_again_and_no_heartbeat_is_lost(self):
        # bluetoothd lets go of the socket while the link stays: every
        # heartbeat still reaches the pen (WriteValue until the socket is
        # back), and the socket is acquired again.
        self.connect_pen(AcquireWrite=True)
        counter = self.heartbeat_until_acquired()
        self.pen_mock().HangUpAcquired(PEN, HEARTBEAT_UUID)
        sent = []
        deadline = time.monotonic() + WAIT
        while len(self.heartbeats('acquired')) < 2 or len(sent) < 10:
            self.assertLess(time.monotonic(), deadline, 'the socket was not acquired again')
            self.assertEqual(self.result(f'heartbeat {counter}'), 0)
            sent.append(counter.to_bytes(2, 'little'))
            counter += 1
            time.sleep(0.05)
        self.wait_for(lambda: set(sent) <= {data for data, _ in self.writes(HEARTBEAT_UUID)})
        self.assertEqual(self.journal().count('AcquireWrite ' + HEARTBEAT_UUID), 2)

    def test_socket_acquired_again_after_a_link_loss(self):
        self.connect_pen(AcquireWrite=True)
        self.heartbeat_until_acquired()
        self.pen_mock().DropConnection(PEN)
        self.wait_event('disconnected')
        self.wait_event('connected')
        before = len(self.heartbeats('acquired'))
        counter = 2000
        deadline = time.monotonic() + WAIT
        while len(self.heartbeats('acquired')) == before:
            self.assertLess(time.monotonic(), deadline, 'no heartbeat through a new socket')
            self.assertEqual(self.result(f'heartbeat {counter}'), 0)
            counter += 1
            time.sleep(0.05)
        journal = self.journal()
        self.assertEqual(journal.count('AcquireWrite ' + HEARTBEAT_UUID), 2)
        self.assertLess(journal.index('ReleaseWrite ' + HEARTBEAT_UUID),
                        len(journal) - 1 - journal[::-1].index('AcquireWrite ' + HEARTBEAT_UUID))

    def test_out_of_range_depth_is_not_written(self):
        self.connect_pen()
        self.assertLess(self.result('depth 5000'), 0)
        self.assertEqual(self.writes(DEPTH_UUID), [])

    def test_writes_refused_without_a_pen(self):
        self.start_probe()
        self.assertEqual(self.result('run 1'), -ENOTCONN)
        self.assertEqual(self.result('stop 1'), -ENOTCONN)
        self.assertEqual(self.result('heartbeat 1'), -ENOTCONN)

    def test_status_notification_decoded(self):
        self.connect_pen()
        self.wait_event('status', control_seq=0)  # the status read at connect
        self.notify(STATUS_UUID, status_bytes(True, 0, 5, 800, 120, 0, 70, 1000))
        status = self.wait_event('status', control_seq=5)
        self.assertEqual(status, {'event': 'status', 'motor_running': True, 'stop_cause': 'none',
                                  'control_seq': 5, 'depth_um': 800, 'speed': 120,
                                  'fault_bits': 0, 'battery_percent': 70, 'strokes': 1000})
        self.notify(DEPTH_UUID, b'\x20\x03')
        self.wait_event('depth', depth_um=800)

    def test_malformed_status_reported_and_survived(self):
        self.connect_pen()
        self.notify(STATUS_UUID, status_bytes(True, 0, 5, 800, 120, 0, 70, 1000)[:15])
        bad = self.wait_event('malformed', what='status')
        self.assertIn('15 bytes', bad['error'])
        self.notify(STATUS_UUID, status_bytes(True, 0, 9, 800, 120, 0, 70, 1000) + b'\x00')
        self.wait_event('malformed', what='status')
        self.notify(STATUS_UUID, status_bytes(False, 1, 7, 800, 0, 0, 70, 1000))
        self.wait_event('status', control_seq=7, stop_cause='command')

    # ---- Control writes: one in flight, the newest intent wins (§3.1) ----

    def control_writes(self):
        '''(op, seq) of every Control write that reached the pen.'''
        return [(data[0], int.from_bytes(data[2:4], 'little'))
                for data, _ in self.writes(CONTROL_UUID)]

    def no_events(self, names, seconds):
        '''None of these events, neither seen so far nor within seconds.'''
        for event in self.seen:
            self.assertNotIn(event['event'], names, f'unexpected {event}')
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self.next_event(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if event is None:
                return
            self.assertNotIn(event['event'], names, f'unexpected {event}')

    TROUBLE = ('link_error', 'write_failed', 'malformed', 'disconnected')

    def test_safety_foot_wobble_run_stop_run_keeps_the_pen_trusted(self):
        # The field failure: a 30 ms press, a 4 ms release, then held.  The
        # pen answers a Control write 100 ms after it; meanwhile bluetoothd
        # refuses another write on it (org.bluez.Error.InProgress).
        self.connect_pen()
        self.pen_mock().SetWriteDelay(PEN, CONTROL_UUID, dbus.UInt32(100))
        self.assertEqual(self.result('run 1'), 0)
        self.assertEqual(self.result('stop 2'), 0)
        self.assertEqual(self.result('run 3'), 0)
        self.wait_event('control_answered', run=True, seq=1, att_error=0)
        self.wait_event('control_answered', run=True, seq=3, att_error=0)
        self.no_events(self.TROUBLE, 0.5)
        # The STOP nobody wanted by the time RUN 1 was answered never went out.
        self.assertEqual(self.control_writes(), [(1, 1), (1, 3)])
        self.assertEqual(self.pen_mock().InProgressCount(PEN, CONTROL_UUID), 0)

    def test_safety_stop_goes_as_soon_as_the_run_in_flight_is_answered(self):
        # bluetoothd 5.66 refuses a second write while one is in flight, so
        # the STOP cannot overtake RUN 1; it must not wait behind RUN 2,
        # which it replaced.
        self.connect_pen()
        self.pen_mock().SetWriteDelay(PEN, CONTROL_UUID, dbus.UInt32(200))
        self.assertEqual(self.result('run 1'), 0)
        self.assertEqual(self.result('run 2'), 0)
        self.assertEqual(self.result('stop 3'), 0)
        self.wait_event('control_answered', run=False, seq=3, att_error=0)
        self.assertEqual(self.control_writes(), [(1, 1), (0, 3)])
        (_, run_answered), (stop_sent, _) = self.pen_mock().GetWriteTimes(PEN, CONTROL_UUID)
        self.assertLess(stop_sent - run_answered, 0.1)
        self.no_events(self.TROUBLE, 0.3)
        self.assertEqual(self.pen_mock().InProgressCount(PEN, CONTROL_UUID), 0)

    def test_safety_stop_held_back_by_an_unanswered_write_is_a_link_error(self):
        self.connect_pen()
        self.pen_mock().SetWriteDelay(PEN, CONTROL_UUID, dbus.UInt32(8000))
        self.assertEqual(self.result('run 1'), 0)
        started = time.monotonic()
        self.assertEqual(self.result('stop 2'), 0)
        error = self.wait_event('link_error', what='control', timeout=3.0)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertIn('STOP', error['error'])
        self.assertNotIn('malformed', [e['event'] for e in self.seen])
        self.assertNotIn('write_failed', [e['event'] for e in self.seen])

    def test_in_progress_is_retried_not_a_pen_fault(self):
        # Another client's write held the characteristic for a moment.
        self.connect_pen()
        self.pen_mock().QueueWriteErrors(PEN, CONTROL_UUID, ['org.bluez.Error.InProgress'] * 3)
        self.assertEqual(self.result('run 1'), 0)
        self.wait_event('control_answered', run=True, seq=1, att_error=0)
        self.assertEqual(self.control_writes(), [(1, 1)])
        self.assertEqual(self.pen_mock().InProgressCount(PEN, CONTROL_UUID), 3)
        self.no_events(self.TROUBLE, 0.3)

    def test_transport_failure_is_a_link_error_not_a_pen_fault(self):
        self.connect_pen()
        for seq, name in enumerate(('org.bluez.Error.Failed', 'org.bluez.Error.NotConnected'), 3):
            self.pen_mock().SetWriteError(PEN, CONTROL_UUID, name)
            self.assertEqual(self.result(f'stop {seq}'), 0)
            failed = self.wait_event('link_error', what='control')
            self.assertIn('refused by the mock', failed['error'])
        self.assertNotIn('write_failed', [e['event'] for e in self.seen])
        self.assertNotIn('malformed', [e['event'] for e in self.seen])
        self.assertNotIn('control_answered', [e['event'] for e in self.seen])

    def test_pen_refusals_of_run_are_answers_with_their_code(self):
        # §3.1: 0x80 depth above cartridge, 0x81 fault, 0x82 no cartridge,
        # 0x83 no heartbeat; bluetoothd: Failed "... ATT error: 0x83".
        self.connect_pen()
        for seq, code in enumerate((0x80, 0x81, 0x82, 0x83), 10):
            self.pen_mock().SetWriteAttError(PEN, CONTROL_UUID, dbus.Byte(code))
            self.assertEqual(self.result(f'run {seq}'), 0)
            self.wait_event('control_answered', run=True, seq=seq, att_error=code)
        self.pen_mock().SetWriteAttError(PEN, CONTROL_UUID, dbus.Byte(0))
        self.assertEqual(self.result('run 20'), 0)
        self.wait_event('control_answered', run=True, seq=20, att_error=0)
        self.no_events(self.TROUBLE, 0.3)

    def test_control_answer_outside_the_documented_set_is_a_protocol_error(self):
        self.connect_pen()
        self.pen_mock().SetWriteAttError(PEN, CONTROL_UUID, dbus.Byte(0x84))
        self.assertEqual(self.result('run 1'), 0)
        bad = self.wait_event('malformed', what='control')
        self.assertIn('0x84', bad['error'])
        # A well-formed STOP is always applied (§3.1): refusing one is a violation.
        self.pen_mock().SetWriteAttError(PEN, CONTROL_UUID, dbus.Byte(0x81))
        self.assertEqual(self.result('stop 2'), 0)
        bad = self.wait_event('malformed', what='control')
        self.assertIn('0x81', bad['error'])
        self.assertNotIn('control_answered', [e['event'] for e in self.seen])

    def test_depth_refused_by_the_pen_is_write_failed_transport_is_link_error(self):
        self.connect_pen()
        self.pen_mock().SetWriteAttError(PEN, DEPTH_UUID, dbus.Byte(0x80))
        self.assertEqual(self.result('depth 2000'), 0)
        refused = self.wait_event('write_failed', what='depth')
        self.assertIn('0x80', refused['error'])
        self.pen_mock().SetWriteAttError(PEN, DEPTH_UUID, dbus.Byte(0))
        self.pen_mock().SetWriteError(PEN, DEPTH_UUID, 'org.bluez.Error.Failed')
        self.assertEqual(self.result('depth 600'), 0)
        self.wait_event('link_error', what='depth')

    def test_depth_writes_newest_wins(self):
        self.connect_pen()
        self.pen_mock().SetWriteDelay(PEN, DEPTH_UUID, dbus.UInt32(150))
        for depth in (600, 700, 800):
            self.assertEqual(self.result(f'depth {depth}'), 0)
        self.wait_for(lambda: len(self.writes(DEPTH_UUID)) == 2)
        self.assertEqual([int.from_bytes(d, 'little') for d, _ in self.writes(DEPTH_UUID)],
                         [600, 800])
        self.no_events(self.TROUBLE, 0.4)
        self.assertEqual(self.pen_mock().InProgressCount(PEN, DEPTH_UUID), 0)

    def test_watchdog_written_at_run_time(self):
        self.start_probe()
        self.assertEqual(self.result('watchdog 1000'), -ENOTCONN)
        self.stop_probe_for_pen()
        self.connect_pen('--watchdog-ms', '750')
        self.assertEqual(self.result('watchdog 2000'), 0)
        self.assertEqual(self.result('watchdog 50'), -ERANGE)
        # The daemon changes its heartbeat interval only once the pen applied it.
        self.wait_event('watchdog_written', watchdog_ms=2000)
        self.assertEqual(self.writes(WATCHDOG_UUID), [(b'\xee\x02', 'request'),
                                                      (b'\xd0\x07', 'request')])
        self.no_events(self.TROUBLE, 0.3)
        self.assertEqual([e['event'] for e in self.seen].count('watchdog_written'), 1)
        # It is also what the next connection writes.
        self.command('drop')
        self.wait_event('connected')
        self.assertEqual(self.writes(WATCHDOG_UUID)[-1], (b'\xd0\x07', 'request'))
        # A refused value is the pen's answer, not the link's.
        self.pen_mock().SetWriteAttError(PEN, WATCHDOG_UUID, dbus.Byte(0x0e))
        self.assertEqual(self.result('watchdog 3000'), 0)
        self.wait_event('write_failed', what='watchdog')

    # ---- malformed values (§7) ----

    def test_malformed_depth_or_speed_notification_is_ignored(self):
        # The engine does not use them: logged, not a protocol error.
        self.connect_pen()
        self.notify(DEPTH_UUID, b'\x01')
        self.notify(DEPTH_UUID, b'\x10\x27')
        self.notify(SPEED_UUID, b'\xff\xff')
        self.notify(DEPTH_UUID, b'\x20\x03')
        self.wait_event('depth', depth_um=800)
        self.no_events(('malformed',), 0.5)

    def test_cartridge_announced_again_unchanged_is_not_news(self):
        # bluetoothd announces Value after reads: only a change is reported.
        self.connect_pen()
        self.wait_event('status')
        same = bytes([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 12, 0, 0xc4, 0x09])
        for _ in range(3):
            self.notify(CARTRIDGE_UUID, same)
        self.no_events(('cartridge',), 0.5)
        self.notify(CARTRIDGE_UUID, same[:8] + bytes([6, 0, 0xc4, 0x09]))
        changed = self.wait_event('cartridge')
        self.assertEqual(changed['cartridge']['needle_count'], 6)

    def test_disconnect_mid_run_reported_then_reconnected_and_resubscribed(self):
        self.connect_pen()
        self.assertEqual(self.result('run 5'), 0)
        self.pen_mock().DropConnection(PEN)
        lost = self.wait_event('disconnected')
        # bluetoothd drops ServicesResolved before Connected: either is the loss.
        self.assertIn(lost['reason'], ('services unresolved', 'disconnected'))
        self.assertEqual(self.result('run 6'), -ENOTCONN)
        again = self.wait_event('connected')
        self.assertTrue(again['compatible'])
        self.assertEqual(self.journal().count('StartNotify ' + STATUS_UUID), 2)
        self.notify(STATUS_UUID, status_bytes(False, 5, 5, 500, 0, 0, 70, 10))
        self.wait_event('status', stop_cause='disconnect')

    def test_cartridge_read_again_is_reported_even_unchanged(self):
        # A cartridge put back after the cartridge-missing fault must be seen
        # to be the same one: every explicit read is reported.
        self.connect_pen()
        self.command('cartridge')
        event = self.wait_event('cartridge')
        self.assertEqual(event['cartridge']['id'], '1122334455667788')

    def test_drop_disconnects_reports_and_reconnects(self):
        self.connect_pen()
        self.command('drop')
        lost = self.wait_event('disconnected')
        self.assertEqual(lost['reason'], 'dropped by the probe')
        self.wait_for(lambda: 'Disconnect' in self.journal())
        again = self.wait_event('connected')
        self.assertTrue(again['compatible'])

    def test_reconnection_without_connected_announced_is_used(self):
        # bluetoothd 5.66 after a pen-side drop: the link and its services
        # come back, Connected=true never does.  A link with resolved
        # services is a link: no Disconnect to "clear" it.
        connected = self.connect_pen(SilentConnected=True)
        self.assertTrue(connected['compatible'], connected)
        self.assertEqual(self.result('run 1'), 0)
        self.pen_mock().DropConnection(PEN)
        self.wait_event('disconnected')
        again = self.wait_event('connected')
        self.assertTrue(again['compatible'], again)
        self.assertNotIn('Disconnect', self.journal())
        self.assertEqual(self.journal().count('Connect'), 2)

    def test_silent_link_still_discovering_is_waited_for_not_cleared(self):
        # bluetoothd 5.66 answers Connect when the link is up, may never
        # announce Connected=true, and resolves the services only after its
        # GATT discovery: slower than the retry backoff under load.  The
        # link is not stale: no Disconnect in the middle of the discovery.
        self.add_pen(Paired=True, Trusted=True, SilentConnected=True, ResolveDelayMs=2500)
        self.start_probe('--address', PEN)
        connected = self.wait_event('connected', timeout=10)
        self.assertTrue(connected['compatible'], connected)
        self.assertNotIn('Disconnect', self.journal())
        self.assertEqual(self.journal().count('Connect'), 1)

    def test_silent_link_never_resolved_is_cleared_after_the_settle_time(self):
        # A Connect that said yes to a link bluetoothd then never shows
        # (neither Connected nor ServicesResolved): after the settle time it
        # is disconnected and connected afresh, not waited for forever.
        self.add_pen(Paired=True, Trusted=True, SilentConnected=True, ResolveDelayMs=-1)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: 'Connect' in self.journal(), timeout=5)
        connected_at = time.monotonic()
        self.wait_for(lambda: 'Disconnect' in self.journal(), timeout=20)
        waited = time.monotonic() - connected_at
        self.assertGreater(waited, 14.0)
        self.wait_for(lambda: self.journal().count('Connect') == 2, timeout=10)

    def change_pen_after_the_first_connect(self, **first_pen):
        '''PEN (with these mock options) is connected to; once that Connect
        is answered another pen is chosen: the old one gets a Disconnect and
        the other is connected.  Returns the other's address.'''
        other = 'AA:BB:CC:DD:EE:02'
        self.add_pen(Paired=True, Trusted=True, **first_pen)
        self.add_pen(other, Paired=True, Trusted=True)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: 'Connect' in self.journal(), timeout=5)
        # The answer reached the link (a second 'address' is answered
        # after it, in order, by the same main loop).
        self.command('address ' + PEN)
        self.wait_event('address_done')
        self.command('address ' + other)
        self.wait_for(lambda: 'Disconnect' in self.journal(), timeout=2)
        connected = self.wait_event('connected', timeout=3)
        self.assertEqual(connected['address'], other, connected)
        return other

    def test_connect_already_in_progress_is_waited_for_not_cancelled(self):
        # penctld restarted while its Connect waited for an absent pen:
        # bluetoothd still holds that attempt and answers the new Connect
        # "Operation already in progress".  The attempt is not a stale
        # link: it is left to connect on the pen's first advertisement (no
        # Disconnect), asked about again after the backoff, and the link it
        # brings up is set up.
        self.add_pen(Paired=True, Trusted=True, ConnectInProgress=True)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: self.journal().count('Connect') >= 2, timeout=5)
        self.assertNotIn('Disconnect', self.journal())
        self.pen_mock().FinishConnectInProgress(PEN)
        connected = self.wait_event('connected', timeout=10)
        self.assertTrue(connected['compatible'], connected)
        self.assertIn('attempt connected', self.journal())
        self.assertNotIn('Disconnect', self.journal())

    def test_connect_in_progress_that_fails_by_itself_is_followed_by_ours(self):
        # The attempt bluetoothd held ends without a link (the kernel's
        # L2CAP connect timeout): the next retry's Connect is penctld's
        # own and links, still without a Disconnect.
        self.add_pen(Paired=True, Trusted=True, ConnectInProgress=True)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: 'Connect' in self.journal(), timeout=5)
        self.pen_mock().EndConnectInProgress(PEN)
        connected = self.wait_event('connected', timeout=10)
        self.assertTrue(connected['compatible'], connected)
        journal = self.journal()
        self.assertGreater(journal.index('Connect', journal.index('attempt failed')), 0)
        self.assertNotIn('Disconnect', journal)

    def test_pen_changed_while_bluetoothd_holds_an_attempt_cancels_it(self):
        # The attempt bluetoothd holds for the old pen would connect it
        # later, a link nobody set up: another pen chosen cancels it
        # (Disconnect), and the new pen is connected.
        self.change_pen_after_the_first_connect(ConnectInProgress=True)
        self.pen_mock().FinishConnectInProgress(PEN)
        self.assertNotIn('attempt connected', self.journal())

    def test_drop_of_a_link_not_shown_yet_disconnects_it(self):
        # Dropped while bluetoothd holds a link it has not shown (the
        # settle wait): the link is disconnected now, not left to the
        # settle time, and connected afresh after the backoff; it was never
        # reported, so no disconnected event.
        self.add_pen(Paired=True, Trusted=True, SilentConnected=True, ResolveDelayMs=-1)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: 'Connect' in self.journal(), timeout=5)
        # The answer reached the link (a second 'address' is answered
        # after it, in order, by the same main loop).
        self.command('address ' + PEN)
        self.wait_event('address_done')
        self.command('drop')
        self.wait_for(lambda: 'Disconnect' in self.journal(), timeout=2)
        self.assertFalse(self.pen_mock().IsConnected(PEN))
        self.wait_for(lambda: self.journal().count('Connect') == 2, timeout=5)
        self.no_events(['disconnected'], 0.2)

    def test_pen_changed_while_a_link_is_not_shown_yet(self):
        # The old pen's link that bluetoothd never showed is disconnected
        # when another pen is chosen, and the new pen is connected at once.
        self.change_pen_after_the_first_connect(SilentConnected=True, ResolveDelayMs=-1)
        self.assertFalse(self.pen_mock().IsConnected(PEN))

    def test_set_up_failing_on_a_link_that_showed_late_retries_after_the_backoff(self):
        # A link that showed after the wait for it began: a set-up that
        # fails then is retried after the backoff (1 s), not after what is
        # left of the 15 s the link had to show.
        self.add_pen(Paired=True, Trusted=True, SilentConnected=True, ResolveDelayMs=1000)
        self.pen_mock().QueueWriteErrors(PEN, WATCHDOG_UUID, ['org.bluez.Error.Failed'])
        self.start_probe('--address', PEN)
        connected = self.wait_event('connected', timeout=6)
        self.assertTrue(connected['compatible'], connected)
        self.assertEqual(self.journal().count('Connect'), 1)

    def test_pen_side_drop_of_a_set_up_link_reconnects_at_once(self):
        # Device1.Connect on LE waits for the pen's advertisement itself (the
        # kernel's passive scan): no retry timer between the loss and it.
        self.connect_pen()
        self.pen_mock().DropConnection(PEN)
        self.wait_event('disconnected')
        lost_at = time.monotonic()
        self.wait_for(lambda: self.journal().count('Connect') == 2, timeout=2.0)
        self.assertLess(time.monotonic() - lost_at, 0.5)
        self.assertTrue(self.wait_event('connected')['compatible'])

    def test_reconnect_at_once_that_fails_backs_off(self):
        # The at-once Connect is one: when it fails, the next waits for the
        # backoff (no loop while the pen stays away).
        self.connect_pen()
        self.pen_mock().SetConnectError(PEN, 'org.bluez.Error.Failed')
        self.pen_mock().DropConnection(PEN)
        self.wait_event('disconnected')
        self.wait_for(lambda: self.journal().count('Connect') == 2, timeout=2.0)
        time.sleep(0.8)
        self.assertEqual(self.journal().count('Connect'), 2)
        self.pen_mock().SetConnectError(PEN, '')
        self.wait_event('connected')

    def test_device_removed_reported(self):
        self.connect_pen()
        self.pen_mock().RemovePen(PEN)
        lost = self.wait_event('disconnected')
        self.assertEqual(lost['reason'], 'device removed')
        self.no_event('disconnected', 1.5)

    def test_bluetoothd_vanishing_and_returning(self):
        self.connect_pen()
        self.stop_mock()
        lost = self.wait_event('disconnected')
        self.assertEqual(lost['reason'], 'bluetoothd stopped')
        self.wait_event('adapter', present=False)
        self.start_mock()
        self.add_pen(Paired=True, Trusted=True)
        again = self.wait_event('connected')
        self.assertTrue(again['compatible'])
        self.assertIn('StartNotify ' + STATUS_UUID, self.journal())
        # Not pairing: no agent on the new bluetoothd either.
        self.assertEqual(self.calls('/org/bluez', 'RegisterAgent'), [])
        self.notify(STATUS_UUID, status_bytes(False, 0, 42, 500, 0, 0, 70, 10))
        self.wait_event('status', control_seq=42)

    def test_bluetoothd_back_soon_is_connected_at_once_not_after_a_timer(self):
        # Its return is the event (the name, the adapter, the device): no
        # retry timer left over from its leaving delays the Connect.
        self.connect_pen()
        self.stop_mock()
        self.wait_event('disconnected', reason='bluetoothd stopped')
        self.start_mock()
        self.add_pen(Paired=True, Trusted=True)
        added_at = time.monotonic()
        self.wait_for(lambda: 'Connect' in self.journal(), timeout=2.0)
        self.assertLess(time.monotonic() - added_at, 0.3)
        self.wait_event('connected')

    def test_pen_lacking_characteristic_is_incompatible(self):
        connected = self.connect_pen(Omit=dbus.Array([HEARTBEAT_UUID], signature='s'))
        self.assertFalse(connected['compatible'])
        self.assertIn(HEARTBEAT_UUID, connected['incompatibility'])
        self.assertIn('Heartbeat', connected['incompatibility'])
        self.assertEqual(self.result('run 1'), -ENOTCONN)
        # A stop still goes out to a pen we refused.
        self.assertEqual(self.result('stop 2'), 0)
        self.wait_for(lambda: self.writes(CONTROL_UUID) == [(b'\x00\x00\x02\x00', 'request')])

    def test_characteristic_lacking_a_property_is_incompatible(self):
        flags = dbus.Dictionary({STATUS_UUID: dbus.Array(['read'], signature='s'),
                                 CONTROL_UUID: dbus.Array(['read'], signature='s')},
                                signature='sv')
        connected = self.connect_pen(Flags=flags)
        self.assertFalse(connected['compatible'])
        self.assertIn(f'Status ({STATUS_UUID}) lacks notify', connected['incompatibility'])
        self.assertIn(f'Control ({CONTROL_UUID}) lacks write', connected['incompatibility'])
        self.assertEqual(self.writes(WATCHDOG_UUID), [])
        self.assertEqual(self.result('run 1'), -ENOTCONN)

    def test_pen_service_added_after_services_resolved_is_waited_for(self):
        # bluetoothd restarted over a link that outlived it: it resolves the
        # services before the pen registered its own again, and adds them
        # on the pen's Service Changed.
        self.add_pen(Paired=True, Trusted=True, PenServiceLate=True)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: self.pen_mock().IsConnected(PEN))
        self.no_event('connected', 1.0)
        self.pen_mock().AddPenService(PEN)
        connected = self.wait_event('connected')
        self.assertTrue(connected['compatible'], connected)
        self.assertEqual(len(self.writes(WATCHDOG_UUID)), 1)
        self.assertEqual(self.result('run 1'), 0)

    def test_pen_service_added_after_the_grace_period_is_set_up_afresh(self):
        self.add_pen(Paired=True, Trusted=True, PenServiceLate=True)
        self.start_probe('--address', PEN)
        self.wait_for(lambda: self.pen_mock().IsConnected(PEN))
        connected_at = time.monotonic()
        refused = self.wait_event('connected')
        self.assertGreater(time.monotonic() - connected_at, 2.5, 'no grace period')
        self.assertFalse(refused['compatible'])
        self.assertIn(PEN_SERVICE_UUID + ' missing', refused['incompatibility'])
        self.assertEqual(self.writes(WATCHDOG_UUID), [])
        self.pen_mock().AddPenService(PEN)
        self.wait_event('disconnected', reason='pen services changed')
        again = self.wait_event('connected')
        self.assertTrue(again['compatible'], again)
        self.assertEqual(len(self.writes(WATCHDOG_UUID)), 1)
        self.assertEqual(self.result('run 1'), 0)

    def test_unsupported_protocol_version_is_incompatible(self):
        values = dbus.Dictionary({PROTOCOL_INFO_UUID: dbus.ByteArray(b'\x02\x00\x00\x00')},
                                 signature='sv')
        connected = self.connect_pen(Values=values)
        self.assertFalse(connected['compatible'])
        self.assertIn('2.0', connected['incompatibility'])
        self.assertEqual(self.writes(WATCHDOG_UUID), [])

    def test_connect_retried_with_backoff(self):
        self.add_pen(Paired=True, Trusted=True, ConnectError='org.bluez.Error.Failed')
        self.start_probe('--address', PEN)
        seen_at = []
        deadline = time.monotonic() + WAIT
        while len(seen_at) < 3:
            self.assertLess(time.monotonic(), deadline, self.journal())
            count = self.journal().count('Connect')
            seen_at += [time.monotonic()] * (count - len(seen_at))
            time.sleep(0.02)
        # 1 s, then 2 s between attempts (doubling up to 30 s).
        self.assertAlmostEqual(seen_at[1] - seen_at[0], 1.0, delta=0.35)
        self.assertAlmostEqual(seen_at[2] - seen_at[1], 2.0, delta=0.35)
        self.pen_mock().SetConnectError(PEN, '')
        self.wait_event('connected', timeout=WAIT)

    def test_adapter_powered_again_connects_at_once_not_after_the_backoff(self):
        # A Connect failed, its retry timer runs; the adapter goes off and on
        # again: its return is what connects, not the timer.
        self.add_pen(Paired=True, Trusted=True, ConnectError='org.bluez.Error.Failed')
        self.start_probe('--address', PEN)
        self.wait_for(lambda: self.journal().count('Connect') == 2)
        adapter = self.mock('/org/bluez/hci0')
        self.pen_mock().SetConnectError(PEN, '')
        adapter.Set('org.bluez.Adapter1', 'Powered', False,
                    dbus_interface='org.freedesktop.DBus.Properties')
        self.wait_event('adapter', present=True, powered=False)
        adapter.Set('org.bluez.Adapter1', 'Powered', True,
                    dbus_interface='org.freedesktop.DBus.Properties')
        self.wait_event('adapter', present=True, powered=True)
        on_at = time.monotonic()
        self.wait_for(lambda: self.journal().count('Connect') == 3, timeout=3.0)
        self.assertLess(time.monotonic() - on_at, 0.3)
        self.wait_event('connected')

    def test_forget_removes_device_and_disconnects(self):
        self.connect_pen()
        self.command('forget')
        self.wait_event('disconnected')
        done = self.wait_event('forget_done')
        self.assertTrue(done['ok'], done)
        (_, (path,)), = self.calls('/org/bluez/hci0', 'RemoveDevice')
        self.assertEqual(str(path), '/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01')

    # ---- error codes: the daemon maps codes, not messages, to D-Bus names ----

    def done_code(self, command, event):
        self.command(command)
        done = self.wait_event(event)
        self.assertFalse(done['ok'], done)
        return done['code']

    def test_error_bluetoothd_not_running(self):
        self.stop_mock()
        self.start_probe()
        self.assertEqual(self.done_code('scan 1', 'scan_done'), 'bluez-not-running')
        self.assertEqual(self.done_code('pair ' + PEN, 'pair_done'), 'bluez-not-running')

    def test_error_scan_aborted_when_bluetoothd_leaves(self):
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.command('scan 5')
        self.wait_for(lambda: self.calls('/org/bluez/hci0', 'StartDiscovery'))
        self.stop_mock()
        done = self.wait_event('scan_done')
        self.assertFalse(done['ok'], done)
        self.assertEqual(done['code'], 'bluez-not-running')

    def test_error_no_adapter(self):
        self.start_probe('--adapter', 'hci7')
        self.wait_event('adapter', present=False)
        self.assertEqual(self.done_code('scan 1', 'scan_done'), 'no-adapter')
        self.assertEqual(self.done_code('pair ' + PEN, 'pair_done'), 'no-adapter')

    def test_error_adapter_off(self):
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.mock('/org/bluez/hci0').Set('org.bluez.Adapter1', 'Powered', False,
                                         dbus_interface='org.freedesktop.DBus.Properties')
        self.wait_event('adapter', present=True, powered=False)
        self.assertEqual(self.done_code('scan 1', 'scan_done'), 'adapter-off')
        self.assertEqual(self.done_code('pair ' + PEN, 'pair_done'), 'adapter-off')

    def test_error_device_unknown_scan_first(self):
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.assertEqual(self.done_code('pair 11:22:33:44:55:66', 'pair_done'),
                         'device-unknown')

    def test_error_busy(self):
        self.add_pen()
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.command('scan 2')
        self.assertEqual(self.done_code('scan 1', 'scan_done'), 'busy')
        self.assertTrue(self.wait_event('scan_done')['ok'])

    def test_error_invalid_argument(self):
        self.start_probe()
        self.wait_event('adapter', present=True, powered=True)
        self.assertEqual(self.done_code('pair AA:BB', 'pair_done'), 'invalid-argument')
        self.assertEqual(self.done_code('scan 0', 'scan_done'), 'invalid-argument')
        self.assertEqual(self.done_code('address AA:BB:CC', 'address_done'),
                         'invalid-argument')

    def test_error_codes_of_callbacks(self):
        self.connect_pen()
        self.pen_mock().SetWriteError(PEN, DEPTH_UUID, 'org.bluez.Error.Failed')
        self.assertEqual(self.result('depth 600'), 0)
        self.assertEqual(self.wait_event('link_error', what='depth')['code'], 'link')
        self.pen_mock().SetWriteError(PEN, DEPTH_UUID, '')
        self.pen_mock().SetWriteAttError(PEN, DEPTH_UUID, dbus.Byte(0x80))
        self.assertEqual(self.result('depth 2000'), 0)
        self.assertEqual(self.wait_event('write_failed', what='depth')['code'], 'pen-refused')
        self.pen_mock().SetWriteAttError(PEN, CONTROL_UUID, dbus.Byte(0x84))
        self.assertEqual(self.result('run 1'), 0)
        self.assertEqual(self.wait_event('malformed', what='control')['code'], 'incompatible')

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.assertLess(time.monotonic(), deadline, 'condition not met in time')
            time.sleep(0.05)



if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    unittest.main(verbosity=2)
