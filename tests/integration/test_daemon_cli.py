#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctld driven through penctl, on a private system-like bus.

Each test starts a dbus-daemon of <type>system</type> whose configuration
includes the shipped policy (systemd/io.penctld.Penctl1.conf), the mock
bluetoothd (bluez_pen_mock.py) with one adapter and one pen, and penctld
($PENCTLD) as root with a private config and state directory.  Then it runs
penctl ($PENCTL_CLI) the way a practitioner would and checks the text, the
--json output and the exit status; a second uid checks the policy.

Exit statuses: 0 ok, 1 refused, 2 usage, 69 unreachable, 77 denied.
'''

import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import dbus

from bed_accounts import WithBedAccounts

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = os.path.join(HERE, 'bluez_pen_mock.py')
POLICY = os.path.join(SOURCE, 'systemd', 'io.penctld.Penctl1.conf')
SHIPPED_CONFIG = os.path.join(SOURCE, 'daemon', 'penctld.conf')
PENCTLD = os.environ.get('PENCTLD', '')
PENCTL = os.environ.get('PENCTL_CLI', '')

NAME = 'io.penctld.Penctl1'
PATH = '/io/penctld/Penctl1'
PEN = 'AA:BB:CC:DD:EE:01'
OTHER_PEN = 'AA:BB:CC:DD:EE:02'
NOBODY = 65534
WAIT = 15.0

OK, REFUSED, USAGE, UNAVAILABLE, DENIED = 0, 1, 2, 69, 77

# A system bus in miniature: the rules of Debian's system.conf, a test-only
# allowance for the mock bluetoothd, and our policy file, included as
# dbus-daemon would include it from system.d.
BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.bluez"/>
  </policy>
  <policy user="root">
    <allow own="org.bluez"/>
  </policy>
  <include>{policy}</include>
</busconfig>
'''


SANITIZER_REPORTS = ('runtime error:', 'ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                     'SUMMARY: AddressSanitizer', 'SUMMARY: UndefinedBehaviorSanitizer')


def sanitizer_report(text):
    '''The first line of an ASan/UBSan/LSan report in TEXT, or None.  The
    integration tests run the sanitized build too (integration.cmake sets
    ASAN_OPTIONS and the LSan suppressions).'''
    for line in text.splitlines():
        if any(report in line for report in SANITIZER_REPORTS):
            return line
    return None


def config_text(pen_address=''):
    '''The shipped config with a pedal chip that does not exist here (the
    daemon runs without a pedal) and the given pen.'''
    with open(SHIPPED_CONFIG, encoding='utf-8') as f:
        text = f.read()
    text = text.replace('Chip=gpiochip0', 'Chip=/nonexistent/gpiochip-test')
    return text.replace('\nAddress=\n', f'\nAddress={pen_address}\n')


class DaemonCliTest(unittest.TestCase):
    '''One private bus, mock bluetoothd, penctld; penctl per step.'''

    pen_in_config = True
    pen_paired = True

    def setUp(self):
        self.assertTrue(PENCTLD and os.access(PENCTLD, os.X_OK), 'set PENCTLD')
        self.assertTrue(PENCTL and os.access(PENCTL, os.X_OK), 'set PENCTL_CLI')
        self.tmp = tempfile.mkdtemp(prefix='penctl-it-')
        os.chmod(self.tmp, 0o755)  # the second uid must reach the socket
        self.socket = os.path.join(self.tmp, 'system_bus_socket')
        bus_config = os.path.join(self.tmp, 'system.conf')
        with open(bus_config, 'w', encoding='utf-8') as f:
            f.write(BUS_CONFIG.format(socket=self.socket, policy=POLICY))
        # dbus-daemon's warnings go to a file, never to a pipe nobody reads:
        # once a pipe's 64 KiB are full, dbus-daemon blocks in write() and
        # the whole bus stops (it looked like a penctld hang).
        self.bus_log_path = os.path.join(self.tmp, 'dbus-daemon.log')
        self.bus_log = open(self.bus_log_path, 'w')  # pylint: disable=consider-using-with
        self.bus_proc = subprocess.Popen(
            ['dbus-daemon', '--config-file', bus_config, '--nofork', '--print-address=1'],
            stdout=subprocess.PIPE, stderr=self.bus_log, universal_newlines=True)
        self.address = self.bus_proc.stdout.readline().strip()
        self.assertTrue(self.address, 'dbus-daemon gave no address: ' + self.bus_output())
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address, LC_ALL='C.UTF-8')
        self.env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        self.bus = dbus.bus.BusConnection(self.address)
        self.mock_proc = None
        self.daemon = None
        try:
            self.start_mock()
            self.start_daemon()
        except BaseException:
            # unittest runs no tearDown after a failed setUp: without this,
            # a daemon that would not start left its bus and mock behind.
            try:
                self.tearDown()
            except Exception:  # pylint: disable=broad-except
                pass
            raise

    def tearDown(self):
        try:
            self.stop_daemon()
        finally:
            if self.mock_proc:
                self.mock_proc.terminate()
                self.mock_proc.wait()
                self.mock_log.close()
            self.bus.close()
            self.bus_proc.terminate()
            self.bus_proc.wait()
            self.bus_proc.stdout.close()
            self.bus_log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def bus_output(self):
        with open(self.bus_log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    # ---- the world ----

    def wait_for(self, what, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.assertLess(time.monotonic(), deadline, f'timed out waiting for {what}')
            time.sleep(0.05)

    def start_mock(self):
        self.mock_log = open(os.path.join(self.tmp, 'mock.log'), 'w')  # pylint: disable=consider-using-with
        self.mock_proc = subprocess.Popen(
            ['/usr/bin/python3', '-m', 'dbusmock', '--template', TEMPLATE],
            env=self.env, stdout=self.mock_log, stderr=subprocess.STDOUT)
        self.wait_for('the mock bluetoothd', lambda: self.bus.name_has_owner('org.bluez'))
        mock = self.bus.get_object('org.bluez', '/')
        mock.AddAdapter('hci0', 'host', dbus_interface='org.bluez.Mock')
        pens = dbus.Interface(mock, 'org.penctl.PenMock')
        pens.AddPen('hci0', PEN, 'Pen', dbus.Dictionary(
            {'Paired': self.pen_paired, 'Trusted': self.pen_paired}, signature='sv'))

    def start_daemon(self):
        config = os.path.join(self.tmp, 'penctld.conf')
        with open(config, 'w', encoding='utf-8') as f:
            f.write(config_text(PEN if self.pen_in_config else ''))
        state = os.path.join(self.tmp, 'state')
        os.makedirs(state, exist_ok=True)
        self.daemon_log_path = os.path.join(self.tmp, 'penctld.log')
        self.daemon_log = open(self.daemon_log_path, 'w')  # pylint: disable=consider-using-with
        env = dict(self.env, STATE_DIRECTORY=state)
        env.pop('NOTIFY_SOCKET', None)
        env.pop('JOURNAL_STREAM', None)
        self.daemon = subprocess.Popen([PENCTLD, '--config', config], env=env,
                                       stdout=self.daemon_log, stderr=subprocess.STDOUT)

        def up():
            self.assertIsNone(self.daemon.poll(), 'penctld exited:\n' + self.daemon_output())
            return self.bus.name_has_owner(NAME)
        self.wait_for('penctld on the bus', up)

    def stop_daemon(self):
        '''SIGTERM: penctld must stop cleanly (status 0, and under the
        sanitizers without a report).'''
        if not self.daemon:
            return
        status = self.daemon.poll()
        if status is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                status = self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                status = self.daemon.wait()
        self.daemon = None
        self.daemon_log.close()
        output = self.daemon_output()
        self.assertIsNone(sanitizer_report(output), 'penctld:\n' + output)
        # A GLib critical is a bug the daemon survived, not a success.
        self.assertNotIn('-CRITICAL **', output)
        self.assertEqual(status, 0, 'penctld did not stop cleanly:\n' + output)

    def daemon_output(self):
        with open(self.daemon_log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def prop(self, name):
        obj = self.bus.get_object(NAME, PATH)
        return obj.Get(NAME, name, dbus_interface=dbus.PROPERTIES_IFACE)

    def wait_pen_connected(self):
        self.wait_for('the pen to connect', lambda: bool(self.prop('PenConnected')))

    # ---- penctl ----

    def penctl(self, *args, prefix=(), env=None, timeout=60):
        '''(exit status, stdout, stderr) of one penctl run.'''
        proc = subprocess.run([*prefix, PENCTL, *args], env=env or self.env, capture_output=True,
                              universal_newlines=True, timeout=timeout, check=False)
        # In the sanitized build a report is a failure of its own, whatever
        # the exit status the test expected.
        self.assertIsNone(sanitizer_report(proc.stderr),
                          f'penctl {" ".join(args)}:\n{proc.stderr}')
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, *args):
        rc, out, err = self.penctl(*args)
        self.assertEqual(rc, OK, f'penctl {" ".join(args)}: {out}{err}\n{self.daemon_output()}')
        return out

    def ok_json(self, *args):
        return json.loads(self.ok('--json', *args))

    def refused(self, error, *args, status=REFUSED):
        '''Runs penctl --json ARGS, expects STATUS and the error named ERROR;
        returns the message.  Also checks the text form says it on stderr.'''
        rc, out, err = self.penctl('--json', *args)
        self.assertEqual(rc, status, f'penctl {" ".join(args)}: {out}{err}')
        doc = json.loads(out)
        self.assertEqual(doc['error'], error, doc)
        self.assertEqual(doc['exit'], status)
        rc, out, err = self.penctl(*args)
        self.assertEqual(rc, status)
        self.assertIn(doc['message'], err)
        return doc['message']

    def start_session(self, *extra, role='home', area='face'):
        return self.ok_json('session', 'start', '--operator', 'alice', '--role', role,
                            '--area', area, '--client', 'C-17', '--contraindications-checked',
                            *extra)['session_id']


class SessionTest(DaemonCliTest):
    '''A treatment from start to stop, with the refusals on the way.'''

    def test_status_shows_the_idle_daemon_and_the_pen(self):
        self.wait_pen_connected()
        status = self.ok_json('status')
        self.assertEqual(status['State'], 'idle')
        self.assertEqual(status['PenAddress'], PEN)
        self.assertTrue(status['PenConnected'])
        self.assertEqual(status['SessionId'], '')
        self.assertIn('Pedal', status)
        text = self.ok('status')
        self.assertIn('State:     idle', text)
        self.assertIn(PEN, text)
        self.assertIn('Session:   none', text)

    def test_a_whole_session_start_depth_speed_stop(self):
        self.wait_pen_connected()
        session_id = self.start_session()
        self.assertTrue(session_id)

        status = self.ok_json('status')
        self.assertEqual(status['SessionId'], session_id)
        self.assertEqual(status['Operator'], 'alice')
        self.assertEqual(status['Role'], 'home')
        self.assertEqual(status['Area'], 'face')
        self.assertEqual(status['ClientRef'], 'C-17')
        self.assertEqual(status['LimitUm'], 500)
        self.assertIn(status['State'], ('ready', 'running'))

        self.assertEqual(self.ok_json('depth', '0.4')['depth_um'], 400)
        self.assertIn('0.45 mm', self.ok('depth', '0.45'))
        self.assertEqual(self.ok_json('status')['DepthUm'], 450)
        self.assertEqual(self.ok_json('speed', '120')['speed'], 120)
        self.assertEqual(self.ok_json('status')['Speed'], 120)
        text = self.ok('status')
        self.assertIn('0.45 mm (limit 0.50 mm', text)
        self.assertRegex(text, r'Wall: +\d\d:\d\d used, \d\d:\d\d left')

        stop = self.ok_json('session', 'stop')
        self.assertEqual(stop['summary']['session-id'], session_id)
        self.assertIn('wall-ms', stop['summary'])
        self.assertIn('sunscreen', stop['aftercare'])
        self.assertIsNone(stop['advisory'])  # 0.45 mm is below the 0.5 mm threshold
        self.assertEqual(self.ok_json('status')['State'], 'idle')

    def test_session_stop_prints_summary_and_after_care(self):
        self.wait_pen_connected()
        session_id = self.start_session()
        out = self.ok('session', 'stop')
        self.assertIn(f'Session {session_id} ended.', out)
        self.assertRegex(out, r'Wall time: +\d\d:\d\d')
        self.assertRegex(out, r'Deepest: +\d\.\d\d mm')
        self.assertIn('Strokes:', out)
        self.assertIn('Motor stops:', out)
        self.assertIn('sunscreen every day', out)
        self.assertIn('no make-up for 24 hours', out)

    def test_above_the_anesthetic_threshold_penctl_advises(self):
        self.wait_pen_connected()
        self.start_session(role='dermatologist', area='body')
        answer = self.ok_json('depth', '0.8')
        self.assertEqual(answer['depth_um'], 800)
        self.assertIn('anesthetic ointment may be advisable', answer['message'])
        out = self.ok('session', 'stop')
        self.assertIn('no make-up for 24 hours', out)
        # Nothing was needled (the bed has no pedal): the summary's advisory
        # follows the needled depth (TruthfulStatusTest), its wording is
        # checked in tests/unit/test_penctl_format.c.
        self.assertNotIn('deeper than', out)

    def test_depth_above_the_limit_is_refused_with_the_numbers(self):
        self.wait_pen_connected()
        self.start_session()
        message = self.refused('DepthAboveLimit', 'depth', '1.2')
        self.assertIn('1.20 mm', message)
        self.assertIn('0.50 mm', message)
        self.assertIn('home', message)
        self.assertNotEqual(self.ok_json('status')['DepthUm'], 1200)

    def test_depth_and_speed_out_of_range_are_refused(self):
        self.wait_pen_connected()
        self.start_session(role='dermatologist', area='body')
        self.refused('DepthOutOfRange', 'depth', '0.05')
        self.refused('SpeedOutOfRange', 'speed', '5')

    def test_requests_without_a_session_are_refused(self):
        self.refused('NoSession', 'session', 'stop')
        self.refused('NoSession', 'depth', '0.3')

    def test_a_second_session_is_refused(self):
        self.wait_pen_connected()
        self.start_session()
        self.refused('SessionOpen', 'session', 'start', '--operator', 'bob', '--role', 'home',
                     '--area', 'face', '--contraindications-checked')

    def test_session_start_refusals_name_what_is_wrong(self):
        self.wait_pen_connected()
        base = ['session', 'start', '--operator', 'alice']
        message = self.refused('UnknownRole', *base, '--role', 'wizard', '--area', 'face',
                               '--contraindications-checked')
        self.assertIn('wizard', message)
        message = self.refused('UnknownArea', *base, '--role', 'home', '--area', 'elbow',
                               '--contraindications-checked')
        self.assertIn('elbow', message)
        self.refused('ContraindicationsNotChecked', *base, '--role', 'home', '--area', 'face')
        self.refused('NoOperator', 'session', 'start', '--operator', '', '--role', 'home',
                     '--area', 'face', '--contraindications-checked')
        self.assertEqual(self.ok_json('status')['SessionId'], '')

    def test_a_client_ref_or_operator_longer_than_kept_is_refused_not_cut(self):
        '''The engine keeps 63 bytes; cutting "é" in half made ClientRef
        invalid UTF-8 ([Invalid UTF-8], a GLib critical).'''
        self.wait_pen_connected()
        base = ['session', 'start', '--role', 'home', '--area', 'face',
                '--contraindications-checked']
        message = self.refused('InvalidArgument', *base, '--operator', 'alice',
                               '--client', 'C-' + '\u00e9' * 40)
        self.assertIn('client reference is 82 bytes', message)
        self.assertIn('63', message)
        message = self.refused('InvalidArgument', *base, '--operator', 'a' * 64)
        self.assertIn('operator name is 64 bytes', message)
        self.assertEqual(self.ok_json('status')['SessionId'], '')
        # 63 bytes ending in a two-byte character: kept whole.
        client = 'C' + '\u00e9' * 31
        self.ok('session', 'start', *base[2:], '--operator', 'alice', '--client', client)
        self.assertEqual(self.ok_json('status')['ClientRef'], client)

    def test_the_caller_is_named_in_the_record_of_a_change(self):
        self.wait_pen_connected()
        self.start_session()
        self.wait_for('the session-start record',
                      lambda: 'session-start' in self.daemon_output())
        record = [line for line in self.daemon_output().splitlines()
                  if 'session-start' in line][0]
        self.assertIn('uid=0', record.replace('"', ''))
        self.assertIn('alice', record)

    def test_property_changes_are_signalled_time_at_most_once_a_second(self):
        from dbus.mainloop.glib import DBusGMainLoop  # pylint: disable=import-outside-toplevel
        from gi.repository import GLib  # pylint: disable=import-outside-toplevel

        self.wait_pen_connected()
        listener = dbus.bus.BusConnection(self.address, mainloop=DBusGMainLoop())
        changes = []

        def on_changed(interface, changed, _invalidated):
            if interface == NAME:
                changes.append((time.monotonic(), dict(changed)))
        listener.add_signal_receiver(on_changed, 'PropertiesChanged', dbus.PROPERTIES_IFACE,
                                     NAME, PATH)
        loop = GLib.MainLoop()
        GLib.timeout_add(300, lambda: self.start_session() and False)
        GLib.timeout_add(3800, loop.quit)
        loop.run()
        listener.close()

        self.assertTrue(any('SessionId' in c for _, c in changes), changes)
        # Only what changed is sent: the roles never do.
        self.assertFalse(any('Roles' in c for _, c in changes))
        wall = [(t, int(c['WallUsedMs'])) for t, c in changes if 'WallUsedMs' in c]
        self.assertGreaterEqual(len(wall), 2, changes)
        self.assertLessEqual(len(wall), 5, wall)
        for (t0, v0), (t1, v1) in zip(wall, wall[1:]):
            self.assertGreater(v1, v0)
            self.assertEqual(v1 % 1000, 0)
            self.assertGreater(t1 - t0, 0.5)

    def test_limits_come_from_the_daemon(self):
        limits = self.ok_json('limits')
        self.assertEqual(limits['source'], 'daemon')
        table = {(l['role'], l['area']): l['max_depth_um'] for l in limits['Limits']}
        self.assertEqual(table[('home', 'face')], 500)
        self.assertEqual(table[('dermatologist', 'body')], 3000)
        self.assertEqual(table[('physiotherapist', 'neck')], 1000)
        self.assertIn('home', limits['Roles'])
        self.assertEqual(limits['AnestheticAdvisoryUm'], 500)
        text = self.ok('limits')
        self.assertRegex(text, r'dermatologist +body +3\.00 mm')

    def test_usage_errors_exit_2(self):
        for args in (['depth', 'deep'], ['depth'], ['speed', '-3'], ['speed', '70000'],
                     ['session'], ['session', 'pause'], ['frobnicate'], [],
                     ['session', 'start', '--operator', 'alice'],
                     ['scan', '--seconds', '0'], ['status', 'extra']):
            rc, out, err = self.penctl(*args)
            self.assertEqual(rc, USAGE, f'penctl {args}: {out}{err}')
        rc, out, _ = self.penctl('--json', 'depth', 'deep')
        self.assertEqual(rc, USAGE)
        self.assertEqual(json.loads(out)['error'], 'Usage')


class PenTest(DaemonCliTest):
    '''scan, pair and forget, starting with no pen configured.'''

    pen_in_config = False
    pen_paired = False

    def test_scan_lists_the_pen(self):
        found = self.ok_json('scan', '--seconds', '1')['pens']
        self.assertIn(PEN, [p['address'] for p in found])
        pen = [p for p in found if p['address'] == PEN][0]
        self.assertEqual(pen['name'], 'Pen')
        self.assertIsInstance(pen['rssi'], int)
        text = self.ok('scan', '--seconds', '1')
        self.assertIn(PEN, text)

    def test_pair_the_only_pen_then_forget_it(self):
        self.assertEqual(self.ok_json('status')['PenAddress'], '')
        self.assertEqual(self.ok_json('pair')['address'], PEN)
        self.wait_pen_connected()
        self.assertEqual(self.ok_json('status')['PenAddress'], PEN)
        self.assertEqual(self.ok_json('forget'), {'forgotten': True})
        self.wait_for('the pen to disconnect', lambda: not self.prop('PenConnected'))
        self.assertFalse(self.ok_json('status')['PenConnected'])

    def test_pair_by_address(self):
        self.assertIn(f'Paired {PEN}.', self.ok('pair', PEN.lower()))
        self.wait_pen_connected()
        self.assertEqual(self.ok_json('status')['PenAddress'], PEN)

    def test_forget_without_a_pen_is_refused(self):
        self.refused('NoPenPaired', 'forget')

    def test_pair_refuses_what_is_not_an_address(self):
        message = self.refused('InvalidArgument', 'pair', 'AA:BB')
        self.assertIn('AA:BB', message)

    def test_pair_refuses_when_several_pens_are_in_range(self):
        pens = dbus.Interface(self.bus.get_object('org.bluez', '/'), 'org.penctl.PenMock')
        pens.AddPen('hci0', OTHER_PEN, 'Pen 2', dbus.Dictionary({}, signature='sv'))
        self.refused('SeveralPensFound', 'pair')

    def test_settings_need_a_connected_pen(self):
        self.start_session()
        message = self.refused('PenNotConnected', 'depth', '0.3')
        self.assertIn('not connected', message)
        self.refused('PenNotConnected', 'speed', '100')


class PenErrorTest(DaemonCliTest):
    '''A pen operation that fails says why, with the name penctl knows, so
    that it can point to penctl doctor.'''

    def test_pair_without_bluetoothd_is_bluetooth_unavailable_with_the_doctor_hint(self):
        self.mock_proc.terminate()
        self.mock_proc.wait()
        self.mock_proc = None
        self.mock_log.close()
        self.wait_for('org.bluez to go', lambda: not self.bus.name_has_owner('org.bluez'))
        self.assertIn('penctl doctor', self.refused('BluetoothUnavailable', 'pair', PEN))
        self.wait_for('bluetoothd-gone',
                      lambda: any(c[0] == 'bluetoothd-gone'
                                  for c in self.ok_json('status')['Conditions']))

    def test_pair_unknown_device_is_no_pen_found(self):
        self.assertIn('scan first', self.refused('NoPenFound', 'pair', '11:22:33:44:55:66'))


class ReloadTest(DaemonCliTest):
    '''penctl reload (= systemctl reload penctld) and ConfigProblem.
    Needs the daemon's ops->reload and ops->config_problem (penctld.c).'''

    def write_config(self, text):
        with open(os.path.join(self.tmp, 'penctld.conf'), 'w', encoding='utf-8') as f:
            f.write(text)

    def test_a_rejected_file_fails_the_reload_and_shows_in_status(self):
        self.assertEqual(self.ok_json('status')['ConfigProblem'], '')
        good = config_text(PEN)
        self.write_config(good + '\n[Role broken]\nMaxDepthMm=lots\n')
        message = self.refused('ConfigRejected', 'reload')
        self.assertIn('lots', message)
        status = self.ok_json('status')
        self.assertIn('lots', status['ConfigProblem'])
        text = self.ok('status')
        self.assertIn('REJECTED', text)
        self.assertIn('systemctl reload penctld', text)
        # The configuration in force did not change.
        self.assertNotIn('broken', status['Roles'])

        self.write_config(good)
        self.assertEqual(self.ok_json('reload'), {'reloaded': True})
        self.assertEqual(self.ok_json('status')['ConfigProblem'], '')
        self.assertNotIn('REJECTED', self.ok('status'))

    def test_the_unit_reload_command_fails_on_a_rejected_file(self):
        '''ExecReload= of penctld.service, as systemctl would run it.'''
        unit = os.path.join(SOURCE, 'systemd', 'penctld.service.in')
        with open(unit, encoding='utf-8') as f:
            command = [line.split('=', 1)[1].split() for line in f
                       if line.startswith('ExecReload=')][0]
        self.write_config(config_text(PEN) + '\n[Role broken]\nMaxDepthMm=lots\n')
        proc = subprocess.run(command, env=self.env, capture_output=True,
                              universal_newlines=True, check=False, timeout=90)
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn('lots', proc.stderr)
        self.write_config(config_text(PEN))
        proc = subprocess.run(command, env=self.env, capture_output=True,
                              universal_newlines=True, check=False, timeout=90)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


class ReloadWatchdogTest(DaemonCliTest):
    '''A reload to a longer heartbeat and watchdog: the pen gets the new
    watchdog first and the heartbeat slows only once the pen has answered
    that write, so the old watchdog never expires between two beats.'''

    WATCHDOG = '7d1e0008-4c2b-4f6a-9a51-5e3c0d8f1a20'
    HEARTBEAT = '7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20'

    def pen_mock(self):
        return dbus.Interface(self.bus.get_object('org.bluez', '/'), 'org.penctl.PenMock')

    def write_config(self, text):
        with open(os.path.join(self.tmp, 'penctld.conf'), 'w', encoding='utf-8') as f:
            f.write(text)

    def test_the_watchdog_reaches_the_pen_before_the_heartbeat_slows(self):
        self.wait_pen_connected()
        mock = self.pen_mock()
        self.assertEqual([bytes(w[0]) for w in mock.GetWrites(PEN, self.WATCHDOG)],
                         [(1000).to_bytes(2, 'little')])
        # The pen takes its time over the answer: 1.5 s, long enough for
        # two beats at the new pace if the daemon did not wait for it.
        mock.SetWriteDelay(PEN, self.WATCHDOG, 1500)
        text = config_text(PEN).replace('HeartbeatIntervalMs=200', 'HeartbeatIntervalMs=600')
        self.write_config(text.replace('PenWatchdogMs=1000', 'PenWatchdogMs=3000'))
        self.assertEqual(self.ok_json('reload'), {'reloaded': True})

        def watchdog_answered():
            times = mock.GetWriteTimes(PEN, self.WATCHDOG)
            return len(times) == 2 and times[1][1] > 0
        self.wait_for('the pen to answer the new watchdog', watchdog_answered)
        answered = mock.GetWriteTimes(PEN, self.WATCHDOG)[1][1]
        self.assertEqual(bytes(mock.GetWrites(PEN, self.WATCHDOG)[1][0]),
                         (3000).to_bytes(2, 'little'))
        time.sleep(2.0)
        beats = [float(t[0]) for t in mock.GetWriteTimes(PEN, self.HEARTBEAT)]
        gaps = list(zip(beats, beats[1:]))
        # Until the answer, the beats keep the old pace (well within the
        # old 1000 ms watchdog) ...
        before = [b - a for a, b in gaps if b <= answered]
        self.assertTrue(before, 'no heartbeat before the watchdog answer')
        self.assertLess(max(before), 0.5, gaps)
        # ... and slow down to the new interval after it.  The mock stamps
        # the answer when it sends it; a beat that reaches it before penctld
        # has read that answer was armed at the old pace and is followed by
        # one more old-pace gap (a faster beat is safe).  From one old
        # interval after the answer, every gap is at the new pace.
        after = [b - a for a, b in gaps if a >= answered + 0.2]
        self.assertTrue(after and min(after) > 0.45, (answered, gaps))


class UsedCartridgeTest(DaemonCliTest):
    '''The pen's cartridge (the mock's default, id 1122334455667788) is in
    the daemon's record of used cartridges.'''

    def start_daemon(self):
        state = os.path.join(self.tmp, 'state')
        os.makedirs(state, exist_ok=True)
        with open(os.path.join(state, 'state'), 'w', encoding='utf-8') as f:
            f.write('[Pen]\nAddress=\n[Cartridges]\nUsed=1122334455667788;\n')
        super().start_daemon()

    def test_a_used_cartridge_is_refused(self):
        self.wait_pen_connected()
        message = self.refused('CartridgeUsed', 'session', 'start', '--operator', 'alice',
                               '--role', 'home', '--area', 'face', '--contraindications-checked')
        self.assertIn('1122334455667788', message)


class DamagedStateTest(DaemonCliTest):
    '''The used-cartridge list is damaged: new sessions wait for a person's
    acknowledgement (penctl state acknowledge).  Needs the daemon to pass the
    state store's verdict to engine_set_used_list_untrusted() (penctld.c).'''

    def start_daemon(self):
        state = os.path.join(self.tmp, 'state')
        os.makedirs(state, exist_ok=True)
        with open(os.path.join(state, 'state'), 'w', encoding='utf-8') as f:
            f.write('[Pen]\nAddress=\n[Cartridges]\nUsed=00000000000000aa;not-an-id;\n')
        super().start_daemon()

    def test_a_damaged_list_refuses_sessions_until_acknowledged(self):
        self.wait_pen_connected()
        self.assertTrue(self.ok_json('status')['UsedListUntrusted'])
        text = self.ok('status')
        self.assertIn('penctl state acknowledge', text)
        self.refused('UsedListUntrusted', 'session', 'start', '--operator', 'alice', '--role',
                     'home', '--area', 'face', '--contraindications-checked')
        answer = self.ok_json('state', 'acknowledge')
        self.assertTrue(answer['acknowledged'])
        self.assertIn('new sessions may start', answer['message'])
        self.assertFalse(self.ok_json('status')['UsedListUntrusted'])
        self.start_session()
        self.assertIn('state-acknowledged', self.daemon_output())
        self.assertIn('uid=0', self.daemon_output())


class InterruptedSessionTest(DaemonCliTest):
    '''A session cut short (kill -9, a power cut) is closed in the journal
    when penctld starts again, with what the state file knew.'''

    def test_a_session_cut_short_is_closed_at_the_next_start(self):
        self.wait_pen_connected()
        session = self.start_session()
        self.ok('depth', '0.4')
        state_file = os.path.join(self.tmp, 'state', 'state')

        def state_text():
            with open(state_file, encoding='utf-8') as f:
                return f.read()
        self.wait_for('the open session in the state file', lambda: session in state_text())
        self.daemon.kill()
        self.daemon.wait()
        self.daemon = None
        self.daemon_log.close()
        self.assertNotIn('session-interrupted', self.daemon_output())

        self.start_daemon()
        self.wait_for('the record of the interrupted session',
                      lambda: 'session-interrupted' in self.daemon_output())
        out = self.daemon_output()
        line = next(l for l in out.splitlines() if 'session-interrupted' in l)
        self.assertIn(session, line)
        self.assertIn('ended by a daemon restart', out)
        self.assertIn('alice', line)
        # Closed once: the next start has nothing to close.
        self.wait_for('the state file without the session', lambda: session not in state_text())
        self.stop_daemon()
        self.start_daemon()
        self.wait_pen_connected()
        self.assertNotIn('session-interrupted', self.daemon_output())


class ConditionsTest(DaemonCliTest):
    '''penctl status names what keeps a treatment from running, with the fix:
    it never says only "ready" while the pedal or the pen cannot work.'''

    def conditions(self):
        return {c[0]: c for c in self.ok_json('status')['Conditions']}

    def test_a_missing_pedal_is_a_condition_with_its_fix(self):
        # The bed's config names a chip that does not exist.
        self.wait_pen_connected()
        self.wait_for('pedal-missing', lambda: 'pedal-missing' in self.conditions())
        name, meaning, fix = self.conditions()['pedal-missing']
        self.assertIn('/nonexistent/gpiochip-test', meaning)
        self.assertIn('penctl doctor', fix)
        self.assertNotIn('pen-out-of-reach', self.conditions())
        text = self.ok('status')
        self.assertIn('Not ready: The foot pedal cannot be opened', text)

    def test_a_pen_out_of_reach_and_no_adapter_are_conditions(self):
        self.wait_pen_connected()
        mock = self.bus.get_object('org.bluez', '/')
        dbus.Interface(mock, 'org.penctl.PenMock').DropConnection(PEN)
        dbus.Interface(mock, 'org.penctl.PenMock').RemovePen(PEN)
        self.wait_for('pen-out-of-reach', lambda: 'pen-out-of-reach' in self.conditions())
        self.assertIn(PEN, self.conditions()['pen-out-of-reach'][1])
        mock.RemoveAdapterWithDevices('hci0', dbus_interface='org.bluez.Mock')
        self.wait_for('no-adapter', lambda: 'no-adapter' in self.conditions())
        names = list(self.conditions())
        # Root causes first: the adapter before the pen.
        self.assertLess(names.index('no-adapter'), names.index('pen-out-of-reach'))
        self.assertIn('Not ready: No Bluetooth adapter', self.ok('status'))


class TruthfulStatusTest(DaemonCliTest):
    '''What penctl says is what is so (issue 15): help, depths as people
    type them, the summary, the speed, the budgets.'''

    def test_help_shows_each_command_s_arguments(self):
        for args in (['help', 'depth'], ['depth', '--help']):
            rc, out, err = self.penctl(*args)
            self.assertEqual(rc, OK, f'penctl {args}: {out}{err}')
            self.assertIn('penctl depth MM', out)
            self.assertNotIn('Commands:', out)  # not the top-level help
        rc, out, _ = self.penctl('pair', '--help')
        self.assertEqual(rc, OK)
        self.assertIn('penctl pair [ADDRESS]', out)
        rc, out, err = self.penctl('session', '--help')
        self.assertEqual(rc, OK, out + err)
        self.assertIn('--operator', out)
        self.assertIn('penctl session stop', out)
        rc, out, _ = self.penctl('help', 'session')
        self.assertEqual(rc, OK)
        self.assertIn('--contraindications-checked', out)

    def test_a_depth_as_people_type_it(self):
        self.wait_pen_connected()
        self.start_session(role='dermatologist', area='body')
        for text, um in (('0,5', 500), ('.4', 400), ('0.3mm', 300), ('0,25 mm', 250)):
            self.assertEqual(self.ok_json('depth', text)['depth_um'], um, text)
            self.assertEqual(self.prop('DepthUm'), um)
        rc, out, err = self.penctl('depth', '0.5cm')
        self.assertEqual(rc, USAGE)
        self.assertIn('"0.5cm" is not a depth in mm', err)
        self.assertIn('0,5', err)

    def test_the_summary_s_deepest_depth_and_advisory_agree(self):
        '''A depth set but never needled (no pedal in the bed): the summary
        says 0.00 mm and no advisory, not "went deeper than 0.50 mm".'''
        self.wait_pen_connected()
        self.start_session(role='dermatologist', area='body')
        self.assertIn('anesthetic', self.ok_json('depth', '0.8')['message'])
        out = self.ok('session', 'stop')
        self.assertRegex(out, r'Deepest: +0\.00 mm')
        self.assertNotIn('deeper than', out)
        self.start_session(role='dermatologist', area='body')
        self.ok('depth', '0.8')
        stop = self.ok_json('session', 'stop')
        self.assertEqual(stop['summary']['max-depth-um'], 0)
        self.assertFalse(stop['summary']['above-anesthetic'])
        self.assertIsNone(stop['advisory'])

    def test_status_says_the_pen_s_own_speed_until_one_is_set(self):
        self.wait_pen_connected()
        self.start_session()
        text = self.ok('status')
        self.assertIn("Speed:     the pen's own", text)
        self.assertNotIn('not set', text)

    def test_limits_show_a_part_minute_budget(self):
        self.stop_daemon()
        config = os.path.join(self.tmp, 'half-minute.conf')
        with open(config, 'w', encoding='utf-8') as f:
            f.write(config_text().replace('\nMaxMinutes=60\n', '\nMaxMinutes=0.5\n')
                    .replace('\nMaxNeedlingMinutes=20\n', '\nMaxNeedlingMinutes=0.25\n'))
        out = self.ok('--config', config, 'limits')
        self.assertIn('0.5 min wall, 0.25 min needling', out)
        limits = self.ok_json('--config', config, 'limits')
        self.assertEqual(limits['MaxWallMs'], 30000)
        self.assertEqual(limits['MaxNeedlingMs'], 15000)


class ForgottenPenTest(DaemonCliTest):
    '''After penctl forget, status shows no pen.  Needs penctld.c's
    control_snapshot() to show the paired address, empty when none.'''

    pen_in_config = False
    pen_paired = False

    def test_status_forgets_the_forgotten_pen(self):
        self.assertEqual(self.ok_json('pair')['address'], PEN)
        self.wait_pen_connected()
        self.ok('forget')
        self.wait_for('the pen to disconnect', lambda: not self.prop('PenConnected'))
        self.assertEqual(self.ok_json('status')['PenAddress'], '')
        self.assertIn('Pen:       none paired', self.ok('status'))


class IncompatiblePenTest(DaemonCliTest):
    '''A pen without a required characteristic: pair says it is incompatible
    and why (exit 1), status says why, and no session opens with it.'''

    pen_in_config = False
    pen_paired = False
    HEARTBEAT = '7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20'

    def setUp(self):
        super().setUp()
        pens = dbus.Interface(self.bus.get_object('org.bluez', '/'), 'org.penctl.PenMock')
        pens.AddPen('hci0', OTHER_PEN, 'Old pen', dbus.Dictionary(
            {'Omit': dbus.Array([self.HEARTBEAT], signature='s')}, signature='sv'))

    def test_an_incompatible_pen_is_named_so_with_why(self):
        rc, out, err = self.penctl('pair', OTHER_PEN)
        self.assertEqual(rc, REFUSED, out + err + self.daemon_output())
        self.assertIn('incompatible', err)
        why = str(self.prop('PenIncompatibility'))
        self.assertTrue(why)
        self.assertIn(why, err)
        status = self.ok_json('status')
        self.assertFalse(status['PenCompatible'])
        self.assertEqual(status['PenIncompatibility'], why)
        self.assertIn(f'but incompatible ({why})', self.ok('status'))
        message = self.refused('PenIncompatible', 'session', 'start', '--operator', 'alice',
                               '--role', 'home', '--area', 'face',
                               '--contraindications-checked')
        self.assertIn(why, message)
        self.assertEqual(str(self.prop('SessionId')), '')

    def test_a_compatible_pen_pairs_with_exit_0(self):
        rc, out, err = self.penctl('--json', 'pair', PEN)
        self.assertEqual(rc, OK, out + err)
        self.assertEqual(json.loads(out)['address'], PEN)


class DoctorRootCauseTest(DaemonCliTest):
    '''penctl doctor names the root cause first, once, with its fix.'''

    pen_in_config = False

    def doctor(self, env=None):
        rc, out, _ = self.penctl('--json', '--config', os.path.join(self.tmp, 'penctld.conf'),
                                 'doctor', env=env)
        doc = json.loads(out)
        text = self.penctl('--config', os.path.join(self.tmp, 'penctld.conf'), 'doctor',
                           env=env)[1]
        return rc, doc, text

    def test_without_a_system_bus_one_failure_names_the_bus(self):
        env = dict(self.env, DBUS_SYSTEM_BUS_ADDRESS='unix:path=' +
                   os.path.join(self.tmp, 'no-such-socket'))
        rc, doc, text = self.doctor(env)
        self.assertEqual(rc, REFUSED)
        failed = [c['check'] for c in doc['checks'] if not c['ok']]
        self.assertEqual(failed[0], 'system bus', doc)
        self.assertIn('systemctl start dbus', doc['checks'][0]['fix'])
        # The bed's pedal chip does not exist: a cause of its own.  Nothing
        # else that only needs the bus fails again.
        self.assertLessEqual(set(failed), {'system bus', 'GPIO chip and line reachable'}, doc)
        fails = [line for line in text.splitlines() if line.startswith('FAIL')]
        self.assertTrue(fails[0].startswith('FAIL  system bus: no system bus'), text)
        self.assertFalse([line for line in fails if 'bluetoothd' in line.split(':')[0]], text)
        self.assertNotIn('no pen is paired', text)

    def test_no_pen_is_paired_only_when_the_daemon_says_so(self):
        _, doc, _ = self.doctor()
        checks = {c['check']: c for c in doc['checks']}
        self.assertIn('no pen is paired', checks['pen paired and trusted']['detail'])
        self.stop_daemon()
        rc, doc, text = self.doctor()
        self.assertEqual(rc, REFUSED)
        self.assertNotIn('no pen is paired', text)
        failed = [c['check'] for c in doc['checks'] if not c['ok']]
        self.assertIn('service running', failed)
        self.assertNotIn('pen paired and trusted', failed)

    def test_the_pedal_is_the_daemon_s_view(self):
        '''The daemon reads the pedal: doctor reports its pedal-missing
        condition, with its words, not the caller's groups.'''
        self.wait_for('pedal-missing', lambda: 'pedal-missing' in
                      [c[0] for c in self.prop('Conditions')])
        _, doc, _ = self.doctor()
        gpio = {c['check']: c for c in doc['checks']}['GPIO chip and line reachable']
        self.assertFalse(gpio['ok'])
        self.assertIn('penctld says', gpio['detail'])
        self.assertIn('/nonexistent/gpiochip-test', gpio['detail'])
        self.assertNotIn('group gpio', gpio['fix'])

    def test_doctor_checks_the_journal_as_root(self):
        _, doc, _ = self.doctor()
        journal = {c['check']: c for c in doc['checks']}['journal readable']
        self.assertTrue(journal['ok'], journal)


class ReachabilityTest(DaemonCliTest):
    '''Exit 69 without a daemon; doctor and log work without one too.'''

    def test_no_daemon_exits_69(self):
        self.stop_daemon()
        for args in (['status'], ['session', 'stop'], ['depth', '0.3'], ['scan']):
            rc, out, err = self.penctl(*args)
            self.assertEqual(rc, UNAVAILABLE, f'penctl {args}: {out}{err}')
        rc, out, _ = self.penctl('--json', 'status')
        self.assertEqual(rc, UNAVAILABLE)
        self.assertIn(json.loads(out)['error'], ('org.freedesktop.DBus.Error.ServiceUnknown',
                                                 'org.freedesktop.DBus.Error.NameHasNoOwner'))

    def test_no_bus_exits_69(self):
        env = dict(self.env, DBUS_SYSTEM_BUS_ADDRESS='unix:path=' +
                   os.path.join(self.tmp, 'no-such-socket'))
        rc, _, _ = self.penctl('status', env=env)
        self.assertEqual(rc, UNAVAILABLE)

    def test_limits_without_daemon_read_the_config(self):
        self.stop_daemon()
        limits = self.ok_json('--config', SHIPPED_CONFIG, 'limits')
        self.assertEqual(limits['source'], 'config')
        self.assertIn({'role': 'home', 'area': 'face', 'max_depth_um': 500}, limits['Limits'])

    def test_doctor_checks_each_thing_with_a_fix(self):
        rc, out, _ = self.penctl('--json', '--config', os.path.join(self.tmp, 'penctld.conf'),
                                 'doctor')
        doc = json.loads(out)
        checks = {c['check']: c for c in doc['checks']}
        self.assertEqual(set(checks), {
            'bluetoothd running', 'adapter present and powered', 'pen paired and trusted',
            'GPIO chip and line reachable', 'config valid', 'service running',
            'caller in group penctl', 'system bus', 'journal readable'})
        self.assertTrue(checks['bluetoothd running']['ok'])
        self.assertTrue(checks['adapter present and powered']['ok'], checks)
        self.assertTrue(checks['pen paired and trusted']['ok'], checks)
        self.assertTrue(checks['config valid']['ok'])
        self.assertTrue(checks['service running']['ok'])
        gpio = checks['GPIO chip and line reachable']
        self.assertFalse(gpio['ok'])
        self.assertTrue(gpio['fix'])
        self.assertEqual(rc, REFUSED)  # one check failed
        self.assertFalse(doc['ok'])
        text = self.penctl('--config', os.path.join(self.tmp, 'penctld.conf'), 'doctor')[1]
        self.assertEqual(len(text.splitlines()), 9)
        self.assertRegex(text, r'FAIL +GPIO chip and line reachable: .*; fix: ')

    def test_doctor_without_bluetoothd_says_start_it(self):
        self.mock_proc.terminate()
        self.mock_proc.wait()
        self.mock_proc = None
        self.mock_log.close()
        self.wait_for('org.bluez to go', lambda: not self.bus.name_has_owner('org.bluez'))
        out = self.penctl('doctor')[1]
        self.assertRegex(out, r'FAIL +bluetoothd running: .*fix: systemctl start bluetooth')

    def fake_journalctl(self, records):
        '''A journalctl on PATH that prints RECORDS (dicts of fields, in
        export format) whatever it is asked, and writes its argv down.
        Returns (env, argv file).'''
        fake = os.path.join(self.tmp, 'bin')
        os.makedirs(fake, exist_ok=True)
        export = os.path.join(self.tmp, 'records.export')
        with open(export, 'wb') as f:
            for record in records:
                for key, value in record.items():
                    if key == 'MESSAGE':
                        msg = value.encode()
                        f.write(b'MESSAGE\n' + len(msg).to_bytes(8, 'little') + msg + b'\n')
                    else:
                        f.write(f'{key}={value}\n'.encode())
                f.write(b'\n')
        argv_file = os.path.join(self.tmp, 'journalctl.argv')
        with open(os.path.join(fake, 'journalctl'), 'w', encoding='utf-8') as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$@" > {argv_file}\ncat {export}\n')
        os.chmod(os.path.join(fake, 'journalctl'), 0o755)
        return dict(self.env, PATH=fake + ':' + self.env.get('PATH', '/usr/bin:/bin')), argv_file

    @staticmethod
    def penctld_record(session, event, message, **fields):
        '''A record as penctld writes it under systemd: journald adds the
        trusted fields (_SYSTEMD_UNIT, _UID, _PID); nobody else can.'''
        record = {'__REALTIME_TIMESTAMP': '1769250605000000', '_SYSTEMD_UNIT': 'penctld.service',
                  '_UID': '998', '_PID': '412', 'PENCTL_SESSION': session, 'PENCTL_EVENT': event}
        record.update(fields)
        record['MESSAGE'] = message
        return record

    @staticmethod
    def forged_record(session, event, message):
        '''What `logger --journald` by a local user (uid 1000) leaves: the
        same PENCTL_* fields, but journald's trusted fields name the user.'''
        return {'__REALTIME_TIMESTAMP': '1769250609000000', '_SYSTEMD_UNIT': 'session-3.scope',
                '_UID': '1000', '_PID': '4242', 'PENCTL_SESSION': session,
                'PENCTL_EVENT': event, 'MESSAGE': message}

    def test_log_prints_the_session_timeline_from_the_journal(self):
        env, argv_file = self.fake_journalctl([
            self.penctld_record('S1', 'session-start', 'Session S1 started by alice',
                                PENCTL_DEPTH_UM='300'),
            self.penctld_record('S1', 'depth-refused',
                                '1.20 mm is above the limit 0.50 mm for role home',
                                PENCTL_REASON='depth-above-limit', PENCTL_DEPTH_UM='1200'),
            self.penctld_record('S1', 'session-end', 'Session S1 ended')])

        rc, out, err = self.penctl('log', '--session', 'S1', env=env)
        self.assertEqual(rc, OK, err)
        with open(argv_file, encoding='utf-8') as f:
            argv = f.read().split('\n')
        self.assertIn('PENCTL_SESSION=S1', argv)
        self.assertIn('_SYSTEMD_UNIT=penctld.service', argv)
        self.assertIn('export', argv)
        lines = out.splitlines()
        self.assertEqual(len(lines), 3)
        self.assertRegex(lines[1], r'depth-refused +depth-above-limit +1\.20 mm +1\.20 mm is above')

        rc, out, _ = self.penctl('--json', 'log', '--session', 'S1', '--follow', env=env)
        self.assertEqual(rc, OK)
        with open(argv_file, encoding='utf-8') as f:
            self.assertIn('--follow', f.read().split('\n'))
        entries = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([e['event'] for e in entries],
                         ['session-start', 'depth-refused', 'session-end'])
        self.assertEqual(entries[1]['depth_um'], 1200)
        self.assertEqual(entries[1]['reason'], 'depth-above-limit')

    def test_log_json_carries_every_field(self):
        '''Role, area, client and the summary's numbers, as penctld wrote
        them (needs the penctl_log.c change of issue 15).'''
        env, _ = self.fake_journalctl([
            self.penctld_record('S1', 'session-start', 'Session S1 started by alice',
                                PENCTL_OPERATOR='alice', PENCTL_ROLE='aesthetician',
                                PENCTL_AREA='face', PENCTL_CLIENT_REF='C-17',
                                PENCTL_DEPTH_UM='300', PENCTL_LIMIT_UM='1000'),
            self.penctld_record('S1', 'session-end', 'Session S1 ended',
                                PENCTL_WALL_MS='600000', PENCTL_NEEDLING_MS='120000',
                                PENCTL_MAX_DEPTH_UM='800', PENCTL_STROKES='4200',
                                PENCTL_CARTRIDGES='0000000000001234',
                                PENCTL_STOPS='pedal-released=3')])
        rc, out, err = self.penctl('--json', 'log', '--session', 'S1', env=env)
        self.assertEqual(rc, OK, err)
        start, end = [json.loads(line) for line in out.splitlines()]
        self.assertEqual((start['role'], start['area'], start['client_ref']),
                         ('aesthetician', 'face', 'C-17'))
        self.assertEqual(start['limit_um'], 1000)
        self.assertEqual(end['wall_ms'], 600000)
        self.assertEqual(end['needling_ms'], 120000)
        self.assertEqual(end['max_depth_um'], 800)
        self.assertEqual(end['strokes'], 4200)
        self.assertEqual(end['cartridges'], '0000000000001234')
        self.assertEqual(end['stops'], 'pedal-released=3')
        self.assertEqual(end['message'], 'Session S1 ended')

    def test_log_shows_only_records_penctld_wrote(self):
        '''A local user forges a stop and a whole session with logger
        --journald; penctl log shows neither, even from a journalctl that
        ignores the _SYSTEMD_UNIT match.'''
        env, argv_file = self.fake_journalctl([
            self.penctld_record('S1', 'session-start', 'Session S1 started by alice'),
            self.forged_record('S1', 'limit-reached', 'FORGED: depth limit reached'),
            self.penctld_record('S1', 'session-end', 'Session S1 ended'),
            self.forged_record('S9', 'session-start', 'FORGED: Session S9 started')])

        rc, out, err = self.penctl('log', '--session', 'S1', env=env)
        self.assertEqual(rc, OK, err)
        self.assertNotIn('FORGED', out)
        self.assertEqual(len(out.splitlines()), 2, out)

        # Without --session: the newest session penctld started, not S9.
        rc, out, err = self.penctl('--json', 'log', env=env)
        self.assertEqual(rc, OK, err)
        with open(argv_file, encoding='utf-8') as f:
            argv = f.read().split('\n')
        self.assertIn('PENCTL_SESSION=S1', argv)
        self.assertIn('_SYSTEMD_UNIT=penctld.service', argv)
        self.assertNotIn('FORGED', out)


@unittest.skipUnless(os.geteuid() == 0, 'needs root to run penctl as other users')
class PolicyTest(WithBedAccounts, DaemonCliTest):
    '''Only root and group penctl may talk to penctld.'''

    CHANGES = (['session', 'start', '--operator', 'mallory', '--role', 'home', '--area', 'face',
                '--contraindications-checked'],
               ['session', 'stop'], ['depth', '0.3'], ['speed', '100'], ['scan', '--seconds', '1'],
               ['pair'], ['forget'], ['reload'], ['state', 'acknowledge'])

    def make_accounts(self, accounts):
        self.penctl_gid = accounts.group('penctl')
        accounts.user('penctld')  # the service user of the policy (sysusers.d/penctld.conf)

    def as_user(self, groups):
        return ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}',
                '--clear-groups' if not groups else '--groups=' + ','.join(map(str, groups))]

    def test_a_stranger_cannot_change_or_read_anything(self):
        stranger = self.as_user([])
        for args in self.CHANGES + (['status'],):
            rc, out, err = self.penctl(*args, prefix=stranger)
            self.assertEqual(rc, DENIED, f'penctl {args} as a stranger: {out}{err}')
        rc, out, _ = self.penctl('--json', 'depth', '0.3', prefix=stranger)
        self.assertEqual(rc, DENIED)
        self.assertEqual(json.loads(out)['error'], 'org.freedesktop.DBus.Error.AccessDenied')
        rc, _, err = self.penctl('status', prefix=stranger)
        self.assertIn('permission denied', err)
        # ...and nothing happened.
        self.assertEqual(str(self.prop('SessionId')), '')

    def test_a_member_of_group_penctl_may_treat(self):
        member = self.as_user([self.penctl_gid])
        self.wait_pen_connected()
        rc, out, err = self.penctl('--json', 'session', 'start', '--operator', 'alice',
                                   '--role', 'home', '--area', 'face',
                                   '--contraindications-checked', prefix=member)
        self.assertEqual(rc, OK, out + err + self.daemon_output())
        rc, out, err = self.penctl('--json', 'status', prefix=member)
        self.assertEqual(rc, OK, err)
        self.assertEqual(json.loads(out)['Operator'], 'alice')
        rc, out, err = self.penctl('depth', '0.3', prefix=member)
        self.assertEqual(rc, OK, err)
        rc, out, err = self.penctl('session', 'stop', prefix=member)
        self.assertEqual(rc, OK, err)
        # The record names the member's uid.
        self.assertIn(f'uid={NOBODY}', self.daemon_output().replace('"', ''))

    def test_the_bed_survives_64_kib_of_bus_warnings(self):
        '''Each refused call makes dbus-daemon write a warning (~400 bytes)
        to its stderr.  The bed once piped that stderr without reading it:
        after 64 KiB dbus-daemon blocked and the whole bus froze.'''
        script = ('import dbus, sys\n'
                  'bus = dbus.bus.BusConnection(sys.argv[1])\n'
                  'obj = bus.get_object("io.penctld.Penctl1", "/io/penctld/Penctl1",\n'
                  '                     introspect=False)\n'
                  'for _ in range(int(sys.argv[2])):\n'
                  '    try:\n'
                  '        obj.Forget(dbus_interface="io.penctld.Penctl1", timeout=10)\n'
                  '    except dbus.exceptions.DBusException as e:\n'
                  '        if e.get_dbus_name() != "org.freedesktop.DBus.Error.AccessDenied":\n'
                  '            print(e.get_dbus_name()); sys.exit(1)\n')
        proc = subprocess.run([*self.as_user([]), '/usr/bin/python3', '-c', script, self.address,
                               '400'], capture_output=True, universal_newlines=True,
                              check=False, env=self.env, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertGreater(len(self.bus_output()), 64 * 1024, 'too few warnings to fill a pipe')
        self.assertEqual(self.ok_json('status')['State'], 'idle')

    def test_the_service_user_may_reload_and_nothing_else(self):
        '''ExecReload= runs as User=penctld: the policy lets it call Reload
        (whatever the daemon answers) but nothing else.'''
        uid = pwd.getpwnam('penctld').pw_uid
        service_user = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups']
        rc, out, err = self.penctl('--json', 'reload', prefix=service_user)
        self.assertNotEqual(rc, DENIED, out + err)
        for args in (['status'], ['depth', '0.3'], ['state', 'acknowledge']):
            rc, out, err = self.penctl(*args, prefix=service_user)
            self.assertEqual(rc, DENIED, f'penctl {args} as penctld: {out}{err}')

    def test_only_root_or_penctld_may_own_the_name(self):
        stranger = self.as_user([self.penctl_gid])
        script = ('import dbus, sys\n'
                  'bus = dbus.bus.BusConnection(sys.argv[1])\n'
                  'try:\n'
                  '    bus.request_name("io.penctld.Penctl1.Test")\n'
                  '    bus.request_name("io.penctld.Penctl1")\n'
                  'except dbus.exceptions.DBusException as e:\n'
                  '    print(e.get_dbus_name()); sys.exit(77)\n')
        proc = subprocess.run([*stranger, '/usr/bin/python3', '-c', script, self.address],
                              capture_output=True, universal_newlines=True, check=False,
                              env=self.env)
        self.assertEqual(proc.returncode, 77, proc.stdout + proc.stderr)
        self.assertIn('AccessDenied', proc.stdout)

    def test_permission_denied_is_one_sentence_naming_the_group(self):
        rc, out, err = self.penctl('depth', '0.3', prefix=self.as_user([]))
        self.assertEqual(rc, DENIED)
        line = err.strip()
        self.assertEqual(len(line.splitlines()), 1, err)
        self.assertLess(len(line), 160, err)
        self.assertIn('permission denied', line)
        self.assertIn('usermod -aG penctl', line)
        self.assertNotIn('org.freedesktop.DBus', line)
        rc, out, _ = self.penctl('--json', 'depth', '0.3', prefix=self.as_user([]))
        self.assertIn('usermod -aG penctl', json.loads(out)['message'])

    def test_log_without_journal_rights_says_join_systemd_journal(self):
        '''journalctl run by a user outside systemd-journal sees only the
        user's own records: none of penctld's.'''
        fake = os.path.join(self.tmp, 'bin')
        os.makedirs(fake, exist_ok=True)
        with open(os.path.join(fake, 'journalctl'), 'w', encoding='utf-8') as f:
            f.write('#!/bin/sh\nexit 0\n')
        os.chmod(os.path.join(fake, 'journalctl'), 0o755)
        env = dict(self.env, PATH=fake + ':' + self.env.get('PATH', '/usr/bin:/bin'))
        for args in (['log'], ['log', '--session', 'S1']):
            rc, out, err = self.penctl(*args, prefix=self.as_user([self.penctl_gid]), env=env)
            self.assertEqual(rc, DENIED, f'penctl {args}: {out}{err}')
            self.assertIn('permission denied: add yourself to systemd-journal', err)
            self.assertIn('usermod -aG systemd-journal', err)
        rc, out, _ = self.penctl('--json', 'log', prefix=self.as_user([self.penctl_gid]),
                                 env=env)
        self.assertEqual(rc, DENIED)
        self.assertEqual(json.loads(out)['error'], 'PermissionDenied')

    def test_doctor_for_a_stranger_blames_rights_not_the_pen(self):
        stranger = self.as_user([])
        rc, out, _ = self.penctl('--json', '--config', os.path.join(self.tmp, 'penctld.conf'),
                                 'doctor', prefix=stranger)
        self.assertEqual(rc, REFUSED)
        checks = {c['check']: c for c in json.loads(out)['checks']}
        self.assertFalse(checks['caller in group penctl']['ok'])
        self.assertIn('usermod -aG penctl', checks['caller in group penctl']['fix'])
        self.assertNotIn('pen paired and trusted', checks)
        self.assertFalse(checks['journal readable']['ok'])
        self.assertIn('systemd-journal', checks['journal readable']['fix'])
        self.assertNotIn('group gpio', checks['GPIO chip and line reachable']['fix'] or '')


@unittest.skipUnless(os.geteuid() == 0, 'needs root to make users and run penctl as them')
class AccessTest(WithBedAccounts, DaemonCliTest):
    '''Who may take a role and who may stop or change a session, decided by
    penctld from the caller's Unix groups (the bus policy admits all of them:
    they are in group penctl).  Made-up users and groups, removed after.'''

    GROUPS = ('penctl', 'penctl-supervisor', 'penctl-dermatologist')
    USERS = {'penctl-it-alice': ('penctl',),
             'penctl-it-bob': ('penctl',),
             'penctl-it-sup': ('penctl', 'penctl-supervisor'),
             'penctl-it-derm': ('penctl', 'penctl-dermatologist')}

    def make_accounts(self, accounts):
        for group in self.GROUPS:
            accounts.group(group)
        for user, groups in self.USERS.items():
            accounts.user(user, groups)

    def as_(self, user):
        '''The user with the groups the user database gives it.'''
        entry = pwd.getpwnam(user)
        return ['setpriv', f'--reuid={entry.pw_uid}', f'--regid={entry.pw_gid}', '--init-groups']

    def run_as(self, user, *args):
        rc, out, err = self.penctl('--json', *args, prefix=self.as_(user))
        return rc, (json.loads(out) if out.strip() else {}), err

    def start_as(self, user, role='home', area='face'):
        return self.run_as(user, 'session', 'start', '--operator', user, '--role', role,
                           '--area', area, '--contraindications-checked')

    def test_a_role_with_a_group_is_only_for_its_members(self):
        self.wait_pen_connected()
        rc, doc, err = self.start_as('penctl-it-alice', role='dermatologist', area='body')
        self.assertEqual(rc, REFUSED, f'{doc}{err}')
        self.assertEqual(doc['error'], 'RoleNotPermitted')
        self.assertIn('penctl-dermatologist', doc['message'])
        self.assertEqual(self.prop('SessionId'), '')
        self.assertIn('session-refused', self.daemon_output())

        rc, doc, err = self.start_as('penctl-it-derm', role='dermatologist', area='body')
        self.assertEqual(rc, OK, f'{doc}{err}{self.daemon_output()}')
        self.assertEqual(self.run_as('penctl-it-derm', 'session', 'stop')[0], OK)
        # The home role needs only group penctl.
        rc, doc, err = self.start_as('penctl-it-alice')
        self.assertEqual(rc, OK, f'{doc}{err}')

    def test_only_the_owner_root_or_a_supervisor_changes_a_session(self):
        self.wait_pen_connected()
        rc, doc, err = self.start_as('penctl-it-alice')
        self.assertEqual(rc, OK, f'{doc}{err}')
        depth = int(self.prop('DepthUm'))
        for args in (['depth', '0.3'], ['speed', '100'], ['session', 'stop']):
            rc, doc, err = self.run_as('penctl-it-bob', *args)
            self.assertEqual(rc, REFUSED, f'{args}: {doc}{err}')
            self.assertEqual(doc['error'], 'NotPermitted')
            self.assertIn('penctl-supervisor', doc['message'])
        self.assertEqual(self.prop('DepthUm'), depth)
        self.assertEqual(self.run_as('penctl-it-alice', 'depth', '0.3')[0], OK)
        self.assertEqual(self.run_as('penctl-it-sup', 'depth', '0.35')[0], OK)
        self.assertEqual(self.prop('DepthUm'), 350)
        self.assertEqual(self.run_as('penctl-it-sup', 'session', 'stop')[0], OK)

        rc, doc, err = self.start_as('penctl-it-bob')
        self.assertEqual(rc, OK, f'{doc}{err}')
        self.assertEqual(self.penctl('session', 'stop')[0], OK)  # root


@unittest.skipUnless(os.geteuid() == 0, 'needs root to make a group and run penctl as it')
class ViewPolicyTest(WithBedAccounts, DaemonCliTest):
    '''Group penctl-view (issue 15's views): reads every property, introspects
    and receives the signals; calls no method of io.penctld.Penctl1.'''

    def make_accounts(self, accounts):
        self.view_gid = accounts.group('penctl-view')
        self.viewer = ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}',
                       f'--groups={self.view_gid}']

    def test_a_viewer_reads_everything_and_changes_nothing(self):
        self.wait_pen_connected()
        self.start_session()
        rc, out, err = self.penctl('--json', 'status', prefix=self.viewer)
        self.assertEqual(rc, OK, out + err)
        self.assertEqual(json.loads(out)['Operator'], 'alice')
        proc = subprocess.run([*self.viewer, 'gdbus', 'introspect', '--address', self.address,
                               '--dest', NAME, '--object-path', PATH],
                              capture_output=True, universal_newlines=True, check=False,
                              env=self.env, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('Event', proc.stdout)
        for args in PolicyTest.CHANGES:
            rc, out, err = self.penctl(*args, prefix=self.viewer)
            self.assertEqual(rc, DENIED, f'penctl {args} as a viewer: {out}{err}')
        # ...and the session is as it was.
        self.assertEqual(str(self.prop('Operator')), 'alice')

    def test_a_viewer_receives_the_signals(self):
        self.wait_pen_connected()
        monitor = subprocess.Popen(  # pylint: disable=consider-using-with
            [*self.viewer, 'gdbus', 'monitor', '--address', self.address, '--dest', NAME],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0, env=self.env)
        text = ''

        def read_until(*wanted):
            nonlocal text
            deadline = time.monotonic() + WAIT
            while not all(w in text for w in wanted):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([monitor.stdout], [], [], left)[0]:
                    break
                chunk = os.read(monitor.stdout.fileno(), 65536)
                if not chunk:
                    break
                text += chunk.decode('utf-8', 'replace')
            for w in wanted:
                self.assertIn(w, text)

        try:
            # gdbus monitor says so once its match rule is in place.
            read_until('is owned by')
            self.start_session()
            self.ok('session', 'stop')
            read_until('PropertiesChanged', "Event ('session-start'", "Event ('session-end'")
        finally:
            monitor.terminate()
            monitor.wait()
            monitor.stdout.close()

if __name__ == '__main__':
    unittest.main(verbosity=2)
