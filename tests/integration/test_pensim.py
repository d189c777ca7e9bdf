#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''pensim against a mock bluetoothd on a private bus.

Usage: test_pensim.py PATH/TO/pensim

Starts a private dbus-daemon, python-dbusmock with tests/integration/
pensim_mock.py (bluez5 + GattManager1/LEAdvertisingManager1) as org.bluez,
and pensim pointed at it through DBUS_SYSTEM_BUS_ADDRESS.  Then plays
bluetoothd's part: reads pensim's exported GATT application
(GetManagedObjects), calls ReadValue/WriteValue on its characteristics as
bluetoothd would on behalf of a central, connects and disconnects the mock
central, drives the control FIFO, and checks the record file.

Each step is named after the requirement it checks; the steps run in order
(they share one pensim) and the first failure ends the run with exit 1.
Needs: dbus-daemon, python3-dbusmock, python3-gi (Debian's /usr/bin/python3).
'''

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from gi.repository import Gio, GLib

PEN_SERVICE = '7d1e0001-4c2b-4f6a-9a51-5e3c0d8f1a20'
UUIDS = {
    'control': '7d1e0002-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'depth': '7d1e0003-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'speed': '7d1e0004-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'status': '7d1e0005-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'heartbeat': '7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'cartridge': '7d1e0007-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'watchdog': '7d1e0008-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'protocol_info': '7d1e0009-4c2b-4f6a-9a51-5e3c0d8f1a20',
    'battery_level': '00002a19-0000-1000-8000-00805f9b34fb',
    'manufacturer': '00002a29-0000-1000-8000-00805f9b34fb',
    'model_number': '00002a24-0000-1000-8000-00805f9b34fb',
    'firmware': '00002a26-0000-1000-8000-00805f9b34fb',
}
BATTERY_SERVICE = '0000180f-0000-1000-8000-00805f9b34fb'
DIS_SERVICE = '0000180a-0000-1000-8000-00805f9b34fb'
APP_PATH = '/org/penctl/pensim/app'
ADV_PATH = '/org/penctl/pensim/advertisement0'
ADAPTER = '/org/bluez/hci0'
CENTRAL_ADDR = '11:22:33:44:55:66'
CENTRAL = ADAPTER + '/dev_11_22_33_44_55_66'
CHRC = 'org.bluez.GattCharacteristic1'
MOCK = 'org.freedesktop.DBus.Mock'

BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir={dir}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(pred, what, timeout=5.0):
    '''Wait for pred() while letting GLib deliver signals to us.'''
    ctx = GLib.MainContext.default()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        while ctx.iteration(False):
            pass
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise Failure(f'timed out after {timeout} s waiting for {what}')


class Harness:
    def __init__(self, pensim):
        self.pensim_bin = pensim
        self.tmp = tempfile.TemporaryDirectory(prefix='pensim-test-')
        self.procs = []
        self.record = os.path.join(self.tmp.name, 'record.jsonl')
        self.fifo = os.path.join(self.tmp.name, 'control')
        self.log = os.path.join(self.tmp.name, 'pensim.log')
        self.pensim = None
        self.pensim_name = None
        self.chrcs = {}
        self.notified = []

    # -- processes --

    def start_bus(self):
        conf = os.path.join(self.tmp.name, 'bus.conf')
        with open(conf, 'w') as f:
            f.write(BUS_CONFIG.format(dir=self.tmp.name))
        bus = subprocess.Popen(['dbus-daemon', '--config-file=' + conf, '--nofork',
                                '--print-address=1'], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
        self.procs.append(bus)
        self.address = bus.stdout.readline().strip()
        check(self.address, 'dbus-daemon printed its address')
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        self.bus = Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def start_mock(self):
        template = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pensim_mock.py')
        self.mock_proc = subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system',
                                 '--template', template],
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        self.procs.append(self.mock_proc)
        wait_for(lambda: self.name_has_owner('org.bluez'), 'org.bluez on the bus')

    def run_pensim_once(self, *args):
        '''Run pensim to completion (it should fail); return (rc, stderr).'''
        p = subprocess.run([self.pensim_bin, *args], capture_output=True, text=True,
                           timeout=20)
        return p.returncode, p.stderr

    def start_pensim(self, *args):
        logf = open(self.log, 'w')
        self.pensim = subprocess.Popen([self.pensim_bin, '--record', self.record,
                                        '--control', self.fifo, *args],
                                       stdout=subprocess.DEVNULL, stderr=logf)
        self.procs.append(self.pensim)

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    # -- D-Bus helpers --

    def call(self, dest, path, iface, method, args=None, reply='()'):
        return self.bus.call_sync(dest, path, iface, method, args,
                                  GLib.VariantType(reply) if reply else None,
                                  Gio.DBusCallFlags.NONE, 5000, None).unpack()

    def name_has_owner(self, name):
        return self.call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                         'org.freedesktop.DBus', 'NameHasOwner',
                         GLib.Variant('(s)', (name,)), '(b)')[0]

    def mock_calls(self, path, method):
        calls = self.call('org.bluez', path, MOCK, 'GetMethodCalls',
                          GLib.Variant('(s)', (method,)), '(a(tav))')[0]
        return [args for (_, args) in calls]

    def mock(self, method, sig, *args):
        return self.call('org.bluez', '/org/bluez', 'org.bluez.Mock', method,
                         GLib.Variant(sig, args), None)

    def find_pensim_name(self):
        names = self.call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                          'org.freedesktop.DBus', 'ListNames', None, '(as)')[0]
        for n in names:
            if not n.startswith(':'):
                continue
            try:
                pid = self.call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                'org.freedesktop.DBus', 'GetConnectionUnixProcessID',
                                GLib.Variant('(s)', (n,)), '(u)')[0]
            except GLib.Error:
                continue
            if pid == self.pensim.pid:
                return n
        return None

    def read(self, key):
        return bytes(self.call(self.pensim_name, self.chrcs[key], CHRC, 'ReadValue',
                               GLib.Variant('(a{sv})', ({},)), '(ay)')[0])

    def write(self, key, value, kind='request'):
        '''None on success, else the D-Bus error (name, message).'''
        try:
            self.call(self.pensim_name, self.chrcs[key], CHRC, 'WriteValue',
                      GLib.Variant('(aya{sv})', (value, {'type': GLib.Variant('s', kind)})),
                      '()')
            return None
        except GLib.Error as e:
            # "GDBus.Error:org.bluez.Error.Failed: 0x83"
            name, _, message = e.message.removeprefix('GDBus.Error:').partition(': ')
            return (name, message)

    def connect_central(self):
        # Device1.Connect rather than the mock's ConnectDevice: only the
        # former arms the mock's Device1.Disconnect, which pensim calls.
        seen = self.log_count('central connected')
        self.call('org.bluez', CENTRAL, 'org.bluez.Device1', 'Connect', None, '()')
        # pensim learns it from a signal; its log says when.
        wait_for(lambda: self.log_count('central connected') > seen, 'pensim sees the central')

    def log_count(self, text):
        with open(self.log) as f:
            return f.read().count(text)

    def control(self, line):
        with open(self.fifo, 'w') as f:
            f.write(line + '\n')

    def records(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_record(self, n, what):
        return wait_for(lambda: len(self.records()) >= n and self.records(), what)[n - 1]

    def heartbeat(self, counter=0):
        check(self.write('heartbeat', bytes([counter & 0xff, 0]), 'command') is None,
              'a well-formed heartbeat is accepted')

    def run_motor(self, seq):
        '''Heartbeat then RUN; returns when (CLOCK_MONOTONIC us, as pensim's
        record) the heartbeat was sent and answered.'''
        before = time.monotonic_ns() // 1000
        self.heartbeat(seq)
        after = time.monotonic_ns() // 1000
        err = self.write('control', bytes([1, 0, seq & 0xff, seq >> 8]))
        check(err is None, f'RUN seq {seq} accepted (got {err})')
        return before, after


# ---- the steps ----

def fails_cleanly_without_bluez(h):
    rc, err = h.run_pensim_once()
    check(rc == 1, f'exit 1 without org.bluez (got {rc})')
    check('org.bluez is not on the system bus' in err, f'says why: {err!r}')


def fails_cleanly_without_adapter(h):
    h.start_mock()
    rc, err = h.run_pensim_once()
    check(rc == 1, f'exit 1 without an adapter (got {rc})')
    check('no Bluetooth adapter' in err, f'says why: {err!r}')


def registers_application_and_advertisement(h):
    h.mock('AddGattAdapter', '(ss)', 'hci0', 'pensim-test')
    h.mock('AddDevice', '(sss)', 'hci0', CENTRAL_ADDR, 'central')
    # --adapter, as in the VM: pensim then powers that adapter on itself.
    h.start_pensim('--adapter', 'hci0', '--cartridge', '1a2b3c4d5e6f7081',
                   '--readvertise-ms', '200')
    apps = wait_for(lambda: h.mock_calls(ADAPTER, 'RegisterApplication'),
                    'RegisterApplication')
    check(apps[0][0] == APP_PATH, f'application path {apps[0][0]}')
    advs = wait_for(lambda: h.mock_calls(ADAPTER, 'RegisterAdvertisement'),
                    'RegisterAdvertisement')
    check(advs[0][0] == ADV_PATH, f'advertisement path {advs[0][0]}')
    h.pensim_name = wait_for(h.find_pensim_name, "pensim's bus name")


def readvertises_periodically(h):
    wait_for(lambda: len(h.mock_calls(ADAPTER, 'RegisterAdvertisement')) >= 3 and
             h.mock_calls(ADAPTER, 'UnregisterAdvertisement'),
             'three registrations 200 ms apart', timeout=3)


def advertisement_names_pen_service(h):
    props = h.call(h.pensim_name, ADV_PATH, 'org.freedesktop.DBus.Properties', 'GetAll',
                   GLib.Variant('(s)', ('org.bluez.LEAdvertisement1',)), '(a{sv})')[0]
    check(props.get('Type') == 'peripheral', f'Type {props.get("Type")}')
    check(props.get('ServiceUUIDs') == [PEN_SERVICE], f'ServiceUUIDs {props.get("ServiceUUIDs")}')
    check(props.get('LocalName') == 'penctl-sim', f'LocalName {props.get("LocalName")}')


def exports_every_characteristic_by_uuid(h):
    objects = h.call(h.pensim_name, APP_PATH, 'org.freedesktop.DBus.ObjectManager',
                     'GetManagedObjects', None, '(a{oa{sa{sv}}})')[0]
    services = {p: i['org.bluez.GattService1']['UUID']
                for p, i in objects.items() if 'org.bluez.GattService1' in i}
    check(sorted(services.values()) == sorted([PEN_SERVICE, BATTERY_SERVICE, DIS_SERVICE]),
          f'services {services}')
    by_uuid = {}
    for path, ifaces in objects.items():
        if CHRC in ifaces:
            props = ifaces[CHRC]
            check(props['UUID'] not in by_uuid, f'{props["UUID"]} exported once')
            by_uuid[props['UUID']] = (path, props)
    for key, uuid in UUIDS.items():
        check(uuid in by_uuid, f'characteristic {key} ({uuid}) exported')
        h.chrcs[key] = by_uuid[uuid][0]
    pen_path = [p for p, u in services.items() if u == PEN_SERVICE][0]
    required = {
        'control': {'encrypt-write'},
        'depth': {'read', 'encrypt-write', 'notify'},
        'speed': {'read', 'encrypt-write', 'notify'},
        'status': {'read', 'notify'},
        'heartbeat': {'write-without-response'},
        'cartridge': {'read'},
        'watchdog': {'read', 'encrypt-write'},
        'protocol_info': {'read'},
    }
    for key, flags in required.items():
        path, props = by_uuid[UUIDS[key]]
        check(props['Service'] == pen_path, f'{key} belongs to the pen service')
        check(flags <= set(props['Flags']), f'{key} flags {props["Flags"]} include {flags}')
    check({'read', 'notify'} <= set(by_uuid[UUIDS['battery_level']][1]['Flags']),
          'Battery Level is read/notify')


def reads_are_codec_encoded(h):
    check(h.read('protocol_info') == bytes([1, 0, 0, 0]), 'ProtocolInfo is 1.0')
    check(h.read('cartridge') == bytes.fromhex('81706f5e4d3c2b1a0c00c409'),
          f'Cartridge as in docs/pen-protocol.md §10: {h.read("cartridge").hex()}')
    status = h.read('status')
    check(len(status) == 16 and status[0] == 0 and status[1] == 0,
          f'Status: stopped, never ran: {status.hex()}')
    check(h.read('watchdog') == bytes([0xe8, 0x03]), 'Watchdog 1000 ms at power-up')
    check(h.read('battery_level') == bytes([100]), 'Battery Level 100 %')
    check(h.read('manufacturer') == b'penctl project', 'Manufacturer Name')


def run_refused_without_heartbeat(h):
    err = h.write('control', bytes([1, 0, 1, 0]))
    check(err == ('org.bluez.Error.Failed', '0x83'), f'RUN gets 0x83 No Heartbeat: {err}')


def depth_refusals_map_to_att_codes(h):
    check(h.write('depth', (2600).to_bytes(2, 'little')) ==
          ('org.bluez.Error.Failed', '0x80'), 'depth above the cartridge: 0x80')
    err = h.write('depth', (3012).to_bytes(2, 'little'))
    check(err is not None and err[0] == 'org.bluez.Error.InvalidArguments',
          f'depth above 3000: refused (0x13 stand-in): {err}')
    err = h.write('depth', bytes([1, 2, 3]))
    check(err is not None and err[0] == 'org.bluez.Error.InvalidValueLength',
          f'wrong length: 0x0D: {err}')
    check(h.write('depth', (1500).to_bytes(2, 'little')) is None, 'depth 1500 accepted')
    check(h.read('depth') == (1500).to_bytes(2, 'little'), 'Depth reads back 1500')


def status_notified_on_run(h):
    def on_signal(conn, sender, path, iface, name, params):
        changed_iface, changed, _ = params.unpack()
        if changed_iface == CHRC and 'Value' in changed:
            h.notified.append((path, bytes(changed['Value'])))
    h.bus.signal_subscribe(h.pensim_name, 'org.freedesktop.DBus.Properties',
                           'PropertiesChanged', h.chrcs['status'], None,
                           Gio.DBusSignalFlags.NONE, on_signal)
    h.connect_central()
    h.heartbeat_window = h.run_motor(7)
    ev = h.wait_record(1, 'motor-start record')
    check(ev == {'t_us': ev['t_us'], 'event': 'motor-start', 'reason': 'command', 'seq': 7,
                 'depth_um': 1500}, f'record line {ev}')
    note = wait_for(lambda: [v for (_, v) in h.notified if v[0] & 1],
                    'a Status notification showing the motor running')[0]
    check(note[2:4] == bytes([7, 0]), f'seq 7 echoed in Status: {note.hex()}')


def watchdog_stops_motor_without_heartbeats(h):
    before, after = h.heartbeat_window
    ev = h.wait_record(2, 'motor-stop after the watchdog time')
    check(ev['event'] == 'motor-stop' and ev['reason'] == 'watchdog', f'record {ev}')
    # The pen stops exactly 1000 ms (the default watchdog) after the last
    # heartbeat arrived, which was between our send and its answer.
    check(before + 1000000 <= ev['t_us'] <= after + 1000000,
          f"stopped at {ev['t_us']}, heartbeat sent in [{before}, {after}]")
    status = h.read('status')
    check(status[0] == 0 and status[1] == 2, f'Status says stopped by watchdog: {status.hex()}')


def fault_command_stops_motor_and_refuses_run(h):
    h.run_motor(8)
    h.wait_record(3, 'motor-start seq 8')
    h.control('fault 2')
    ev = h.wait_record(4, 'motor-stop by fault')
    check(ev['event'] == 'motor-stop' and ev['reason'] == 'fault' and ev['seq'] == 8,
          f'record {ev}')
    h.heartbeat(9)
    check(h.write('control', bytes([1, 0, 9, 0])) == ('org.bluez.Error.Failed', '0x81'),
          'RUN with a fault gets 0x81')
    h.control('fault 0')
    wait_for(lambda: h.read('status')[8] == 0, 'fault bits cleared')


def cartridge_swap_passes_through_cartridge_missing(h):
    # A daemon learns of a swap from the cartridge-missing fault (it has no
    # notification of its own): the old cartridge goes out, the new one in.
    h.notified.clear()
    h.control('cartridge 00000000000000ff')
    missing = wait_for(lambda: [v for (_, v) in h.notified
                                if int.from_bytes(v[8:10], 'little') & 0x10],
                       'a Status notification with cartridge-missing')[0]
    check(missing[0] & 1 == 0, f'no motor while the cartridge is out: {missing.hex()}')
    wait_for(lambda: h.read('cartridge')[:8] == bytes.fromhex('ff00000000000000'),
             'the new cartridge is read')
    wait_for(lambda: int.from_bytes(h.read('status')[8:10], 'little') == 0,
             'cartridge-missing cleared')


def disconnect_command_drops_link_and_stops_motor(h):
    h.run_motor(10)
    h.wait_record(5, 'motor-start seq 10')
    h.control('disconnect')
    ev = h.wait_record(6, 'motor-stop by disconnect')
    check(ev['event'] == 'motor-stop' and ev['reason'] == 'disconnect', f'record {ev}')
    check(h.mock_calls(CENTRAL, 'Disconnect'), 'Device1.Disconnect called on the central')


def button_stops_motor(h):
    h.connect_central()
    h.run_motor(11)
    h.wait_record(7, 'motor-start seq 11')
    h.control('button')
    ev = h.wait_record(8, 'motor-stop by button')
    check(ev['reason'] == 'button', f'record {ev}')


def bluetoothd_restart_is_survived(h):
    h.run_motor(12)
    h.wait_record(9, 'motor-start seq 12')
    h.mock_proc.terminate()
    h.mock_proc.wait(5)
    ev = h.wait_record(10, 'motor-stop when bluetoothd leaves')
    check(ev['reason'] == 'disconnect', f'record {ev}')
    check(h.pensim.poll() is None, 'pensim keeps running without bluetoothd')
    h.start_mock()
    # The new bluetoothd is still powering the adapter on: Busy, not an exit.
    h.mock('AddStartingGattAdapter', '(ss)', 'hci0', 'pensim-test')
    wait_for(lambda: h.mock_calls(ADAPTER, 'Set'), 'pensim asks to power the adapter on')
    time.sleep(0.3)
    check(h.pensim.poll() is None, 'pensim keeps running when power-on answers Busy')
    check(not h.mock_calls(ADAPTER, 'RegisterApplication'), 'no RegisterApplication unpowered')
    h.call('org.bluez', ADAPTER, MOCK, 'UpdateProperties',
           GLib.Variant('(sa{sv})', ('org.bluez.Adapter1', {'Powered': GLib.Variant('b', True)})),
           None)
    wait_for(lambda: h.mock_calls(ADAPTER, 'RegisterApplication'),
             'RegisterApplication with the new bluetoothd')
    wait_for(lambda: h.mock_calls(ADAPTER, 'RegisterAdvertisement'),
             'RegisterAdvertisement with the new bluetoothd')


def sigterm_unregisters_and_exits_zero(h):
    h.pensim.send_signal(signal.SIGTERM)
    rc = h.pensim.wait(10)
    check(rc == 0, f'exit 0 after SIGTERM (got {rc})')
    check(h.mock_calls(ADAPTER, 'UnregisterApplication'), 'UnregisterApplication called')


STEPS = [
    fails_cleanly_without_bluez,
    fails_cleanly_without_adapter,
    registers_application_and_advertisement,
    readvertises_periodically,
    advertisement_names_pen_service,
    exports_every_characteristic_by_uuid,
    reads_are_codec_encoded,
    run_refused_without_heartbeat,
    depth_refusals_map_to_att_codes,
    status_notified_on_run,
    watchdog_stops_motor_without_heartbeats,
    fault_command_stops_motor_and_refuses_run,
    cartridge_swap_passes_through_cartridge_missing,
    disconnect_command_drops_link_and_stops_motor,
    button_stops_motor,
    bluetoothd_restart_is_survived,
    sigterm_unregisters_and_exits_zero,
]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    h = Harness(sys.argv[1])
    failed = None
    try:
        h.start_bus()
        for step in STEPS:
            try:
                step(h)
                print(f'ok   /pensim/integration/{step.__name__}')
            except (Failure, GLib.Error, subprocess.TimeoutExpired) as e:
                print(f'FAIL /pensim/integration/{step.__name__}: {e}')
                failed = step.__name__
                break
    finally:
        h.stop_all()
        if failed and os.path.exists(h.log):
            print('--- pensim stderr ---')
            with open(h.log) as f:
                sys.stdout.write(f.read())
        if os.environ.get("PENSIM_TEST_SHOW_LOG") and os.path.exists(h.log):
            with open(h.log) as f:
                sys.stdout.write(f.read())
        h.tmp.cleanup()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
