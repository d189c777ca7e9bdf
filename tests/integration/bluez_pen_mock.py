# SPDX-License-Identifier: GPL-2.0-or-later
'''bluetoothd mock with a penctl pen: python-dbusmock's bluez5 template plus
a device that offers the pen GATT profile (docs/pen-protocol.md).

Run it on a private bus that the code under test sees as its system bus:

    DBUS_SYSTEM_BUS_ADDRESS=$addr /usr/bin/python3 -m dbusmock \
        --template tests/integration/bluez_pen_mock.py

Everything of bluez5 is there (org.bluez.Mock on "/": AddAdapter(name,
alias), AddDevice, PairDevice(adapter, address, class), RemoveAdapter, ...;
Adapter1 SetDiscoveryFilter/StartDiscovery/StopDiscovery/RemoveDevice;
AgentManager1 RegisterAgent/RequestDefaultAgent/UnregisterAgent).  Every
call is in the called object's log: org.freedesktop.DBus.Mock GetCalls() /
GetMethodCalls(name) on that object path (e.g. the adapter's
SetDiscoveryFilter, a characteristic's WriteValue).

Test helpers, interface org.penctl.PenMock on object "/":

  AddPen(adapter s, address s, name s, options a{sv}) -> o
      A pen device under /org/bluez/<adapter> (AddAdapter first), with the
      pen service UUID in its UUIDs.  Its GATT objects exist only while it
      is connected, as with bluetoothd.  options (all optional):
        ServiceName s   last path element of the service ("service0010")
        CharNames a{ss} UUID -> last path element of that characteristic
                        (default char0011, char0012, ... in profile order)
        Omit as         characteristic UUIDs the pen lacks
        Flags a{sas}    UUID -> the characteristic's Flags, instead of the
                        profile's (docs/pen-protocol.md §2.1)
        Values a{sv}    UUID -> ay: initial value of a characteristic
                        (defaults: ProtocolInfo 1.0, a cartridge, a stopped
                        Status, Depth 500, Speed 100, Battery Level 80)
        Battery b       offer the Battery service (default true)
        Paired b, Trusted b   initial state (default false)
        ConnectError s  Connect fails with this D-Bus error name
        PenServiceLate b  bluetoothd resolves the services without the pen
                        service (as after a restart over a surviving link,
                        before the pen registered it again); AddPenService
                        adds it, as on the pen's Service Changed
        SilentConnected b  Connect sets the link up and resolves the services
                        but never announces Connected=true (bluetoothd 5.66
                        after a pen-side drop: "device_add_connection() ...
                        is already connected"); a drop still announces both
                        false
        ResolveDelayMs i  with SilentConnected: Connect answers at once, the
                        services resolve this many ms later (bluetoothd's
                        GATT discovery over a slow link); -1: never (a
                        Connect that said yes to a link that is not there)
        ConnectInProgress b  bluetoothd holds an LE connection attempt to
                        the pen that an earlier caller started (5.66
                        device_connect_le(): att_io pending, its caller
                        gone): Connect fails at once with
                        org.bluez.Error.Failed "Operation already in
                        progress"; Disconnect cancels the attempt (and
                        answers, the device not being connected);
                        FinishConnectInProgress connects it
        PairPasskey u   Pair asks the registered agent RequestConfirmation(
                        device, passkey) first and fails with
                        org.bluez.Error.AuthenticationRejected if it refuses
        AcquireWrite b  write-without-response characteristics offer
                        AcquireWrite (WriteAcquired), as bluetoothd does: a
                        SOCK_SEQPACKET socket and MTU 23; each packet read is
                        a write of type 'acquired' (GetWrites).  While one is
                        held WriteValue fails with NotPermitted; a drop hangs
                        it up.  Default false: the bed without it tests the
                        WriteValue fallback.
        AcquireError s  AcquireWrite fails with this D-Bus error name
  HangUpAcquired(address s, uuid s)
      bluetoothd lets go of an acquired socket (closes its end: a HUP) while
      the link stays.
  EmitValue(address s, uuid s, value ay)
      Sets a characteristic's Value and emits PropertiesChanged(Value) on it:
      a notification.  The pen must be connected.
  SetValue(address s, uuid s, value ay)
      What later ReadValue calls return (kept over reconnects), no signal.
  SetWriteError(address s, uuid s, error s)
      WriteValue on that characteristic fails with D-Bus error `error`
      ('' = succeed again), as a transport failure (message "write refused
      by the mock").
  SetWriteAttError(address s, uuid s, code y)
      The pen answers WriteValue on that characteristic with ATT error
      `code` (0 = success again), and the caller gets the D-Bus error
      bluetoothd 5.66 makes of it (src/gatt-client.c create_gatt_dbus_error):
      0x80..0x9f and other codes -> org.bluez.Error.Failed "Operation failed
      with ATT error: 0x83"; 0x0d -> org.bluez.Error.InvalidArguments
      "Invalid Length"; 0x05, 0x0f -> org.bluez.Error.NotPermitted "Not
      paired".
  QueueWriteErrors(address s, uuid s, errors as)
      The next WriteValue calls on that characteristic fail at once with
      these D-Bus error names, one each, in order (as when another client's
      write holds the characteristic: org.bluez.Error.InProgress); then
      writes behave as before.  They are not in GetWrites.
  SetWriteDelay(address s, uuid s, ms u)
      The pen answers WriteValue on that characteristic ms later (0 = at
      once).  As bluetoothd 5.66 (src/gatt-client.c,
      characteristic_write_value: `if (chrc->write_op) return
      btd_error_in_progress(msg)`), any further WriteValue on the same
      characteristic while one is unanswered fails at once with
      org.bluez.Error.InProgress, whatever its type, and never reaches the
      pen (not in GetWrites; counted by InProgressCount).
  InProgressCount(address s, uuid s) -> u
      How many WriteValue calls on that characteristic were refused with
      org.bluez.Error.InProgress (pending write or QueueWriteErrors).
  SetConnectError(address s, error s)   ('' = Connect works again)
  FinishConnectInProgress(address s)
      The attempt of ConnectInProgress connects (the pen advertised): as
      5.66's att_connect_cb(), the link is up without Connected=true being
      announced, and the services resolve (ServicesResolved=true).  Nothing
      if Disconnect cancelled it.
  EndConnectInProgress(address s)
      The attempt of ConnectInProgress fails by itself (the kernel's L2CAP
      connect timeout, 40 s): the next Connect is an attempt of its own.
  AddPenService(address s)
      A pen added with PenServiceLate gets its pen service (InterfacesAdded),
      now if connected, else at its next connection.
  DropConnection(address s)
      The pen goes away: ServicesResolved=false, GATT objects removed
      (InterfacesRemoved), Connected=false.
  RemovePen(address s)
      Removes the device object (InterfacesRemoved Device1), then its GATT
      objects, without a Connected=false first.
  GetWrites(address s, uuid s) -> a(ays)
      Every WriteValue to that characteristic since AddPen that reached the
      pen, over all connections: (bytes, options["type"] or "").
  GetWriteTimes(address s, uuid s) -> a(dd)
      For each of those: (when it reached the pen, when it was answered),
      in seconds of the mock's monotonic clock.
  GetJournal(address s) -> as
      What was done to the pen, in order: "Pair", "Set Trusted=True",
      "Connect", "Disconnect", "ReadValue <uuid>", "WriteValue <uuid>",
      "StartNotify <uuid>", "StopNotify <uuid>", "AcquireWrite <uuid>",
      "ReleaseWrite <uuid>".
  CharPath(address s, uuid s) -> s
      The characteristic's current object path ('' while disconnected).
  IsConnected(address s) -> b   (a link, announced or silent)
  AgentCall(method s, address s, extra av) -> s
      Calls org.bluez.Agent1.<method>(device path of address, *extra) on
      the registered default agent, from bluetoothd's own connection as
      the real one does; returns '' on success, else the D-Bus error name.
'''

import socket
import time

import dbus
import dbus.service
from gi.repository import GLib

from dbusmock import OBJECT_MANAGER_IFACE, mockobject
from dbusmock.templates import bluez5
# Re-export bluez5's D-Bus methods: dbusmock attaches every decorated
# function found in the template module.
from dbusmock.templates.bluez5 import *  # noqa: F401,F403 pylint: disable=wildcard-import,unused-wildcard-import

BUS_NAME = bluez5.BUS_NAME
MAIN_OBJ = bluez5.MAIN_OBJ
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

PEN_MOCK_IFACE = 'org.penctl.PenMock'
DEVICE_IFACE = 'org.bluez.Device1'
GATT_SERVICE_IFACE = 'org.bluez.GattService1'
GATT_CHAR_IFACE = 'org.bluez.GattCharacteristic1'

# The pen GATT profile, version 1 (include/penctl/pen_protocol.h).
PEN_SERVICE_UUID = '7d1e0001-4c2b-4f6a-9a51-5e3c0d8f1a20'
CONTROL_UUID = '7d1e0002-4c2b-4f6a-9a51-5e3c0d8f1a20'
DEPTH_UUID = '7d1e0003-4c2b-4f6a-9a51-5e3c0d8f1a20'
SPEED_UUID = '7d1e0004-4c2b-4f6a-9a51-5e3c0d8f1a20'
STATUS_UUID = '7d1e0005-4c2b-4f6a-9a51-5e3c0d8f1a20'
HEARTBEAT_UUID = '7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20'
CARTRIDGE_UUID = '7d1e0007-4c2b-4f6a-9a51-5e3c0d8f1a20'
WATCHDOG_UUID = '7d1e0008-4c2b-4f6a-9a51-5e3c0d8f1a20'
PROTOCOL_INFO_UUID = '7d1e0009-4c2b-4f6a-9a51-5e3c0d8f1a20'
BATTERY_SERVICE_UUID = '0000180f-0000-1000-8000-00805f9b34fb'
BATTERY_LEVEL_UUID = '00002a19-0000-1000-8000-00805f9b34fb'
DEVICE_INFO_SERVICE_UUID = '0000180a-0000-1000-8000-00805f9b34fb'
MODEL_NUMBER_UUID = '00002a24-0000-1000-8000-00805f9b34fb'
FIRMWARE_REVISION_UUID = '00002a26-0000-1000-8000-00805f9b34fb'

PEN_CHARACTERISTICS = [
    (CONTROL_UUID, ['write']),
    (DEPTH_UUID, ['read', 'write', 'notify']),
    (SPEED_UUID, ['read', 'write', 'notify']),
    (STATUS_UUID, ['read', 'notify']),
    (HEARTBEAT_UUID, ['write-without-response']),
    (CARTRIDGE_UUID, ['read']),
    (WATCHDOG_UUID, ['read', 'write']),
    (PROTOCOL_INFO_UUID, ['read']),
]

# Defaults: a well-formed pen, stopped, with a cartridge.
DEFAULT_VALUES = {
    PROTOCOL_INFO_UUID: [1, 0, 0, 0],
    # id 0x1122334455667788, 12 needles, 2500 um
    CARTRIDGE_UUID: [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 12, 0, 0xc4, 0x09],
    # not running, never ran, seq 0, depth 500, speed 0, no faults, 80 %, 0 strokes
    STATUS_UUID: [0, 0, 0, 0, 0xf4, 0x01, 0, 0, 0, 0, 80, 0, 0, 0, 0, 0],
    DEPTH_UUID: [0xf4, 0x01],
    SPEED_UUID: [100, 0],
    WATCHDOG_UUID: [0xf4, 0x01],
    CONTROL_UUID: [],
    HEARTBEAT_UUID: [],
    BATTERY_LEVEL_UUID: [80],
}

# device path -> pen state (dict)
pens = {}


def _bytes(value):
    return dbus.Array([dbus.Byte(int(b)) for b in value], signature='y')


def _manager():
    return mockobject.objects['/']


def _device_path(adapter, address):
    return '/org/bluez/' + adapter + '/dev_' + address.replace(':', '_').upper()


def _pen_by_address(address):
    for pen in pens.values():
        if pen['address'].upper() == str(address).upper():
            return pen
    raise dbus.exceptions.DBusException('no pen ' + address, name=PEN_MOCK_IFACE + '.NoSuchPen')


def _set_props(obj, iface, changes):
    for name, value in changes.items():
        obj.props[iface][name] = value
    obj.EmitSignal(dbus.PROPERTIES_IFACE, 'PropertiesChanged', 'sa{sv}as', [
        iface, changes, dbus.Array([], signature='s')])


def _emit_added(path, iface, props):
    _manager().EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesAdded', 'oa{sa{sv}}', [
        dbus.ObjectPath(path), {iface: props}])


def _emit_removed(path, ifaces):
    _manager().EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesRemoved', 'oas', [
        dbus.ObjectPath(path), dbus.Array(ifaces, signature='s')])


def _char_pen(char):
    return pens[char.pen_device]


def CharReadValue(char, _options):
    pen = _char_pen(char)
    pen['journal'].append('ReadValue ' + char.uuid)
    return _bytes(pen['values'][char.uuid])


def _att_error_as_bluez(code):
    '''The D-Bus error bluetoothd 5.66 answers WriteValue with when the pen
    answered ATT error code (src/gatt-client.c, create_gatt_dbus_error).'''
    if code in (0x05, 0x0f, 0x0c):
        return dbus.exceptions.DBusException('Not paired', name='org.bluez.Error.NotPermitted')
    if code == 0x03:
        return dbus.exceptions.DBusException('Write not permitted',
                                             name='org.bluez.Error.NotPermitted')
    if code == 0x0d:
        return dbus.exceptions.DBusException('Invalid Length',
                                             name='org.bluez.Error.InvalidArguments')
    return dbus.exceptions.DBusException(f'Operation failed with ATT error: 0x{code:02x}',
                                         name='org.bluez.Error.Failed')


def _write_answer(pen, uuid):
    '''None for success, else the DBusException the caller gets.'''
    error = pen['write_errors'].get(uuid)
    if error:
        return dbus.exceptions.DBusException('write refused by the mock', name=error)
    code = pen['att_errors'].get(uuid, 0)
    if code:
        return _att_error_as_bluez(code)
    return None


def CharWriteValue(char, value, options, ok, err):
    '''WriteValue, answered when the pen answers (SetWriteDelay).'''
    pen = _char_pen(char)
    uuid = char.uuid
    pen['journal'].append('WriteValue ' + uuid)
    char.call_log.append((int(time.time()), 'WriteValue', [value, options]))
    if uuid in pen['acquired']:
        err(dbus.exceptions.DBusException('Write acquired', name='org.bluez.Error.NotPermitted'))
        return
    queued = pen['queued_errors'].get(uuid)
    if queued:
        name = queued.pop(0)
        if name == 'org.bluez.Error.InProgress':
            pen['in_progress'][uuid] = pen['in_progress'].get(uuid, 0) + 1
        err(dbus.exceptions.DBusException('queued by the mock', name=name))
        return
    if uuid in pen['pending']:
        # bluetoothd keeps one write operation per characteristic.
        pen['in_progress'][uuid] = pen['in_progress'].get(uuid, 0) + 1
        err(dbus.exceptions.DBusException('In Progress', name='org.bluez.Error.InProgress'))
        return
    kind = str(options.get('type', ''))
    pen['writes'].setdefault(uuid, []).append((bytes(bytearray(value)), kind))
    times = pen['write_times'].setdefault(uuid, [])
    times.append([time.monotonic(), 0.0])
    answer = _write_answer(pen, uuid)

    def reply():
        pen['pending'].discard(uuid)
        times[-1][1] = time.monotonic()
        if answer is None:
            ok()
        else:
            err(answer)
        return False

    delay = pen['write_delays'].get(uuid, 0)
    if delay and kind != 'command':
        pen['pending'].add(uuid)
        GLib.timeout_add(delay, reply)
    else:
        reply()


def _async_write_method():
    '''WriteValue as a dbus-python method that answers later.'''
    def write_value(self, value, options, ok, err):
        CharWriteValue(self, value, options, ok, err)
    method = dbus.service.method(GATT_CHAR_IFACE, in_signature='aya{sv}', out_signature='',
                                 async_callbacks=('ok', 'err'))(write_value)
    method.__name__ = 'WriteValue'
    return method


ACQUIRED_MTU = 23


def _release_acquired(pen, uuid):
    '''bluetoothd's end of an acquired socket closes (the other end sees HUP,
    if still open) and the characteristic may be written or acquired again.'''
    held = pen['acquired'].pop(uuid, None)
    if not held:
        return
    sock, watch = held
    if watch:
        GLib.source_remove(watch)
    sock.close()
    pen['journal'].append('ReleaseWrite ' + uuid)
    path = pen['chars'].get(uuid)
    if path:
        _set_props(mockobject.objects[path], GATT_CHAR_IFACE,
                   {'WriteAcquired': dbus.Boolean(False, variant_level=1)})


def CharAcquireWrite(char, _options):
    pen = _char_pen(char)
    uuid = char.uuid
    pen['journal'].append('AcquireWrite ' + uuid)
    if pen['acquire_error']:
        raise dbus.exceptions.DBusException('acquire refused by the mock',
                                            name=pen['acquire_error'])
    if uuid in pen['acquired']:
        raise dbus.exceptions.DBusException('Write acquired', name='org.bluez.Error.NotPermitted')
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours.setblocking(False)

    def readable(_fd, _condition):
        try:
            data = ours.recv(ACQUIRED_MTU)
        except BlockingIOError:
            return True
        except OSError:
            data = b''
        if not data:
            # The caller closed its end: bluetoothd releases the lock.
            pen['acquired'][uuid] = (ours, 0)
            _release_acquired(pen, uuid)
            return False
        now = time.monotonic()
        pen['writes'].setdefault(uuid, []).append((data, 'acquired'))
        pen['write_times'].setdefault(uuid, []).append([now, now])
        return True

    watch = GLib.io_add_watch(ours.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, readable)
    pen['acquired'][uuid] = (ours, watch)
    _set_props(char, GATT_CHAR_IFACE, {'WriteAcquired': dbus.Boolean(True, variant_level=1)})
    fd = dbus.types.UnixFd(theirs)  # a copy of the fd: this one closes now
    theirs.close()
    return (fd, dbus.UInt16(ACQUIRED_MTU))


def CharStartNotify(char):
    pen = _char_pen(char)
    pen['journal'].append('StartNotify ' + char.uuid)
    _set_props(char, GATT_CHAR_IFACE, {'Notifying': dbus.Boolean(True, variant_level=1)})


def CharStopNotify(char):
    pen = _char_pen(char)
    pen['journal'].append('StopNotify ' + char.uuid)
    _set_props(char, GATT_CHAR_IFACE, {'Notifying': dbus.Boolean(False, variant_level=1)})


def _add_object(path, iface, props, methods):
    _manager().AddObject(path, iface, props, methods)
    _emit_added(path, iface, props)
    return mockobject.objects[path]


def _add_service(pen, name, uuid, chars):
    service_path = pen['path'] + '/' + name
    _add_object(service_path, GATT_SERVICE_IFACE, {
        'UUID': dbus.String(uuid, variant_level=1),
        'Device': dbus.ObjectPath(pen['path'], variant_level=1),
        'Primary': dbus.Boolean(True, variant_level=1),
        'Includes': dbus.Array([], signature='o', variant_level=1),
    }, [])
    pen['gatt'].append((service_path, GATT_SERVICE_IFACE))
    for uuid_, flags, char_name in chars:
        path = service_path + '/' + char_name
        props = {
            'UUID': dbus.String(uuid_, variant_level=1),
            'Service': dbus.ObjectPath(service_path, variant_level=1),
            'Value': dbus.Array(pen['values'][uuid_], signature='y', variant_level=1),
            'Notifying': dbus.Boolean(False, variant_level=1),
            'Flags': dbus.Array(flags, signature='s', variant_level=1),
        }
        methods = [
            ('ReadValue', 'a{sv}', 'ay', CharReadValue),
            ('StartNotify', '', '', CharStartNotify),
            ('StopNotify', '', '', CharStopNotify),
        ]
        # bluetoothd offers AcquireWrite on a write-without-response
        # characteristic (src/gatt-client.c: WriteAcquired).
        if pen['acquire_write'] and 'write-without-response' in flags:
            props['WriteAcquired'] = dbus.Boolean(False, variant_level=1)
            methods.append(('AcquireWrite', 'a{sv}', 'hq', CharAcquireWrite))
        char = _add_object(path, GATT_CHAR_IFACE, props, methods)
        # dbusmock's methods answer before returning; bluetoothd answers a
        # write when the pen does, and refuses a second one meanwhile.
        char.methods[GATT_CHAR_IFACE]['WriteValue'] = ('aya{sv}', '', None, _async_write_method())
        char.pen_device = pen['path']
        char.uuid = uuid_
        pen['chars'][uuid_] = path
        pen['gatt'].append((path, GATT_CHAR_IFACE))


def _pen_chars(pen):
    chars = []
    number = 0x11
    for uuid, flags in PEN_CHARACTERISTICS:
        name = pen['char_names'].get(uuid, f'char{number:04x}')
        number += 1
        if uuid not in pen['omit']:
            chars.append((uuid, pen['flags'].get(uuid, flags), name))
    return chars


def _add_gatt(pen):
    if not pen['service_late']:
        _add_service(pen, pen['service_name'], PEN_SERVICE_UUID, _pen_chars(pen))
    if pen['battery']:
        _add_service(pen, 'service0030', BATTERY_SERVICE_UUID,
                     [(BATTERY_LEVEL_UUID, ['read', 'notify'], 'char0031')])
    if pen['device_info']:
        info = pen['device_info']
        pen['values'][MODEL_NUMBER_UUID] = list(info.get('Model', '').encode())
        pen['values'][FIRMWARE_REVISION_UUID] = list(info.get('Firmware', '').encode())
        _add_service(pen, 'service0040', DEVICE_INFO_SERVICE_UUID,
                     [(MODEL_NUMBER_UUID, ['read'], 'char0041'),
                      (FIRMWARE_REVISION_UUID, ['read'], 'char0043')])


def _remove_gatt(pen):
    # The link's acquired sockets hang up with it.
    for uuid in list(pen['acquired']):
        _release_acquired(pen, uuid)
    # Characteristics first, then services, as bluetoothd does.
    for path, iface in reversed(pen['gatt']):
        _manager().RemoveObject(path)
        _emit_removed(path, [iface])
    pen['gatt'] = []
    pen['chars'] = {}
    # Unanswered writes die with the link (their late answers are dropped
    # by the caller's cancellation, or fail).
    pen['pending'].clear()


def _linked(pen):
    device = mockobject.objects[pen['path']]
    return bool(device.props[DEVICE_IFACE]['Connected']) or pen['silent_link']


def _drop(pen):
    device = mockobject.objects[pen['path']]
    if not _linked(pen):
        return
    pen['silent_link'] = False
    pen['resolving'] += 1
    _set_props(device, DEVICE_IFACE, {'ServicesResolved': dbus.Boolean(False, variant_level=1)})
    _remove_gatt(pen)
    _set_props(device, DEVICE_IFACE, {'Connected': dbus.Boolean(False, variant_level=1)})


def PenConnect(device):
    pen = pens[device.path]
    pen['journal'].append('Connect')
    if pen['connect_error']:
        raise dbus.exceptions.DBusException('connect refused by the mock',
                                            name=pen['connect_error'])
    if pen['connect_in_progress']:
        raise dbus.exceptions.DBusException('Operation already in progress',
                                            name='org.bluez.Error.Failed')
    if _linked(pen):
        raise dbus.exceptions.DBusException('Already Connected',
                                            name='org.bluez.Error.AlreadyConnected')
    if pen['silent_connected']:
        pen['silent_link'] = True
    else:
        _set_props(device, DEVICE_IFACE, {'Connected': dbus.Boolean(True, variant_level=1)})
    if pen['silent_connected'] and pen['resolve_delay_ms'] != 0:
        pen['resolving'] += 1
        if pen['resolve_delay_ms'] > 0:
            GLib.timeout_add(pen['resolve_delay_ms'], _resolve_later, pen, pen['resolving'])
        return
    _resolve(pen)


def _resolve(pen):
    _add_gatt(pen)
    _set_props(mockobject.objects[pen['path']], DEVICE_IFACE,
               {'ServicesResolved': dbus.Boolean(True, variant_level=1)})


def _resolve_later(pen, resolving):
    # Only the link it was started for (a drop in between ends it).
    if pen['silent_link'] and pen['resolving'] == resolving:
        _resolve(pen)
    return False


def PenDisconnect(device):
    pen = pens[device.path]
    pen['journal'].append('Disconnect')
    if pen['connect_in_progress']:
        pen['connect_in_progress'] = False
        return
    if not _linked(pen):
        raise dbus.exceptions.DBusException('Not Connected', name='org.bluez.Error.NotConnected')
    _drop(pen)


def _call_agent(method, device_path, extra):
    manager = mockobject.objects['/org/bluez']
    owner = getattr(manager, 'agent_owner', None)
    if not owner or not manager.default_agent:
        return 'org.bluez.Error.NoAgent'
    signature = 'o' + {'RequestConfirmation': 'u', 'DisplayPasskey': 'uq',
                       'DisplayPinCode': 's', 'AuthorizeService': 's'}.get(method, '')
    try:
        manager.connection.call_blocking(owner, manager.default_agent, 'org.bluez.Agent1',
                                         method, signature,
                                         [dbus.ObjectPath(device_path), *extra], timeout=10)
    except dbus.exceptions.DBusException as e:
        return e.get_dbus_name()
    return ''


def PenPair(device):
    pen = pens[device.path]
    pen['journal'].append('Pair')
    if pen['pair_passkey'] is not None:
        error = _call_agent('RequestConfirmation', device.path,
                            [dbus.UInt32(pen['pair_passkey'])])
        pen['journal'].append('RequestConfirmation ' + (error or 'accepted'))
        if error:
            raise dbus.exceptions.DBusException('agent refused: ' + error,
                                                name='org.bluez.Error.AuthenticationRejected')
    if device.props[DEVICE_IFACE]['Paired']:
        raise dbus.exceptions.DBusException('Device already paired',
                                            name='org.bluez.Error.AlreadyExists')
    _set_props(device, DEVICE_IFACE, {'Paired': dbus.Boolean(True, variant_level=1),
                                      'Bonded': dbus.Boolean(True, variant_level=1)})


def PenSetProperty(device, iface, name, value):
    pen = pens[device.path]
    pen['journal'].append(f'Set {name}={value}')
    if iface != DEVICE_IFACE or name not in ('Trusted', 'Blocked', 'Alias'):
        raise dbus.exceptions.DBusException('read-only property ' + name,
                                            name='org.freedesktop.DBus.Error.PropertyReadOnly')
    _set_props(device, DEVICE_IFACE, {name: value})


@dbus.service.method(PEN_MOCK_IFACE, in_signature='sssa{sv}', out_signature='o')
def AddPen(self, adapter, address, name, options):
    '''Add a pen device; see the module documentation.'''
    path = bluez5.AddDevice(self, adapter, address, name)
    device = mockobject.objects[path]
    values = {uuid: list(value) for uuid, value in DEFAULT_VALUES.items()}
    for uuid, value in dict(options.get('Values', {})).items():
        values[str(uuid).lower()] = [int(b) for b in value]
    pens[path] = {
        'path': path,
        'address': str(address),
        'service_name': str(options.get('ServiceName', 'service0010')),
        'char_names': {str(k).lower(): str(v) for k, v in dict(options.get('CharNames', {})).items()},
        'omit': [str(u).lower() for u in options.get('Omit', [])],
        'flags': {str(k).lower(): [str(f) for f in v]
                  for k, v in dict(options.get('Flags', {})).items()},
        'battery': bool(options.get('Battery', True)),
        # DeviceInfo: {'Model': s, 'Firmware': s} adds Device Information (0x180a).
        'device_info': {str(k): str(v) for k, v in dict(options.get('DeviceInfo', {})).items()},
        'service_late': bool(options.get('PenServiceLate', False)),
        'silent_connected': bool(options.get('SilentConnected', False)),
        'silent_link': False,
        'resolve_delay_ms': int(options.get('ResolveDelayMs', 0)),
        'resolving': 0,
        'connect_error': str(options.get('ConnectError', '')),
        'connect_in_progress': bool(options.get('ConnectInProgress', False)),
        'pair_passkey': int(options['PairPasskey']) if 'PairPasskey' in options else None,
        'acquire_write': bool(options.get('AcquireWrite', False)),
        'acquire_error': str(options.get('AcquireError', '')),
        'acquired': {},
        'values': values,
        'writes': {},
        'write_times': {},
        'write_errors': {},
        'att_errors': {},
        'queued_errors': {},
        'write_delays': {},
        'pending': set(),
        'in_progress': {},
        'journal': [],
        'gatt': [],
        'chars': {},
    }
    device.AddMethods(DEVICE_IFACE, [
        ('Connect', '', '', PenConnect),
        ('Disconnect', '', '', PenDisconnect),
        ('Pair', '', '', PenPair),
    ])
    device.AddMethod(dbus.PROPERTIES_IFACE, 'Set', 'ssv', '', PenSetProperty)
    device.props[DEVICE_IFACE]['Bonded'] = dbus.Boolean(False, variant_level=1)
    _set_props(device, DEVICE_IFACE, {
        'UUIDs': dbus.Array([PEN_SERVICE_UUID, BATTERY_SERVICE_UUID], signature='s',
                            variant_level=1),
        'Paired': dbus.Boolean(bool(options.get('Paired', False)), variant_level=1),
        'Trusted': dbus.Boolean(bool(options.get('Trusted', False)), variant_level=1),
        'Icon': dbus.String('', variant_level=1),
    })
    return dbus.ObjectPath(path)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='')
def AddPenService(_self, address):
    '''The late pen service arrives; see the module documentation.'''
    pen = _pen_by_address(address)
    pen['service_late'] = False
    if _linked(pen):
        _add_service(pen, pen['service_name'], PEN_SERVICE_UUID, _pen_chars(pen))


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssay', out_signature='')
def EmitValue(_self, address, uuid, value):
    '''A notification: set Value and emit PropertiesChanged on the characteristic.'''
    pen = _pen_by_address(address)
    uuid = str(uuid).lower()
    if uuid not in pen['chars']:
        raise dbus.exceptions.DBusException('not connected or no such characteristic',
                                            name=PEN_MOCK_IFACE + '.NoSuchCharacteristic')
    pen['values'][uuid] = [int(b) for b in value]
    char = mockobject.objects[pen['chars'][uuid]]
    _set_props(char, GATT_CHAR_IFACE, {
        'Value': dbus.Array(pen['values'][uuid], signature='y', variant_level=1)})


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssay', out_signature='')
def SetValue(_self, address, uuid, value):
    '''What ReadValue returns from now on.'''
    _pen_by_address(address)['values'][str(uuid).lower()] = [int(b) for b in value]


@dbus.service.method(PEN_MOCK_IFACE, in_signature='sss', out_signature='')
def SetWriteError(_self, address, uuid, error):
    '''Make WriteValue on uuid fail with D-Bus error `error` ('' = succeed).'''
    _pen_by_address(address)['write_errors'][str(uuid).lower()] = str(error)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssy', out_signature='')
def SetWriteAttError(_self, address, uuid, code):
    '''The pen answers WriteValue on uuid with ATT error code (0 = success).'''
    _pen_by_address(address)['att_errors'][str(uuid).lower()] = int(code)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssas', out_signature='')
def QueueWriteErrors(_self, address, uuid, errors):
    '''The next WriteValue calls on uuid fail with these error names, in order.'''
    _pen_by_address(address)['queued_errors'].setdefault(str(uuid).lower(), []).extend(
        str(e) for e in errors)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssu', out_signature='')
def SetWriteDelay(_self, address, uuid, ms):
    '''The pen answers WriteValue on uuid ms later.'''
    _pen_by_address(address)['write_delays'][str(uuid).lower()] = int(ms)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='u')
def InProgressCount(_self, address, uuid):
    '''WriteValue calls on uuid refused with org.bluez.Error.InProgress.'''
    return dbus.UInt32(_pen_by_address(address)['in_progress'].get(str(uuid).lower(), 0))


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='a(dd)')
def GetWriteTimes(_self, address, uuid):
    '''(reached the pen, answered) for each write in GetWrites.'''
    times = _pen_by_address(address)['write_times'].get(str(uuid).lower(), [])
    return dbus.Array([dbus.Struct((t[0], t[1]), signature='dd') for t in times],
                      signature='(dd)')


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='')
def SetConnectError(_self, address, error):
    '''Make Connect fail with D-Bus error `error` ('' = succeed).'''
    _pen_by_address(address)['connect_error'] = str(error)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='')
def FinishConnectInProgress(_self, address):
    '''The attempt bluetoothd held connects; see the module documentation.'''
    pen = _pen_by_address(address)
    if not pen['connect_in_progress']:
        return
    pen['connect_in_progress'] = False
    pen['journal'].append('attempt connected')
    pen['silent_link'] = True
    _resolve(pen)


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='')
def EndConnectInProgress(_self, address):
    '''The attempt bluetoothd held fails by itself.'''
    pen = _pen_by_address(address)
    if pen['connect_in_progress']:
        pen['connect_in_progress'] = False
        pen['journal'].append('attempt failed')


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='')
def DropConnection(_self, address):
    '''The pen goes out of range or off.'''
    _drop(_pen_by_address(address))


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='')
def HangUpAcquired(_self, address, uuid):
    '''bluetoothd lets go of an acquired socket; see the module documentation.'''
    _release_acquired(_pen_by_address(address), str(uuid).lower())


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='')
def RemovePen(_self, address):
    '''bluetoothd forgets the pen (its device object goes away).'''
    pen = _pen_by_address(address)
    # The device object goes first, as when bluetoothd forgets a device
    # it is connected to: clients must cope without Connected=false.
    _manager().RemoveObject(pen['path'])
    _emit_removed(pen['path'], [DEVICE_IFACE])
    _remove_gatt(pen)
    del pens[pen['path']]


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='a(ays)')
def GetWrites(_self, address, uuid):
    '''(bytes, type) of every WriteValue to uuid.'''
    writes = _pen_by_address(address)['writes'].get(str(uuid).lower(), [])
    return dbus.Array([dbus.Struct((_bytes(data), kind), signature='ays') for data, kind in writes],
                      signature='(ays)')


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='as')
def GetJournal(_self, address):
    '''What was done to the pen, in order.'''
    return dbus.Array(_pen_by_address(address)['journal'], signature='s')


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ss', out_signature='s')
def CharPath(_self, address, uuid):
    '''The characteristic's object path now ('' while disconnected).'''
    return _pen_by_address(address)['chars'].get(str(uuid).lower(), '')


@dbus.service.method(PEN_MOCK_IFACE, in_signature='s', out_signature='b')
def IsConnected(_self, address):
    '''Whether the pen has a link (announced as Connected or not).'''
    return _linked(_pen_by_address(address))


@dbus.service.method(PEN_MOCK_IFACE, in_signature='ssav', out_signature='s')
def AgentCall(_self, method, address, extra):
    '''Call the default agent about address; '' or the error name.'''
    path = None
    for pen in pens.values():
        if pen['address'].upper() == str(address).upper():
            path = pen['path']
    return _call_agent(str(method), path or _device_path('hci0', str(address)), list(extra))


@dbus.service.method(bluez5.AGENT_MANAGER_IFACE, in_signature='os', out_signature='',
                     sender_keyword='sender')
def RegisterAgentRecordingOwner(manager, agent_path, capability, sender=None):
    '''bluez5's RegisterAgent, also remembering who registered (to call it).'''
    manager.call_log.append((int(time.time()), 'RegisterAgent', [agent_path, capability]))
    bluez5.RegisterAgent(manager, agent_path, capability)
    manager.agent_owner = sender


def load(mock, parameters):
    bluez5.load(mock, parameters)
    # dbusmock's own methods get no sender; this one does.
    manager = mockobject.objects['/org/bluez']
    manager.methods[bluez5.AGENT_MANAGER_IFACE]['RegisterAgent'] = (
        'os', '', '', RegisterAgentRecordingOwner)
