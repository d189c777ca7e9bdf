#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""other-central.py ADAPTER ADDRESS AGENT_LOG

Someone else on the same machine pairing another device (a keyboard,
headphones), the way bluetoothctl does it: an agent registered with
RegisterAgent (bluetoothctl asks to be the default agent only on its
`default-agent` command, so not here), discovery on ADAPTER until ADDRESS
shows, then Device1.Pair().  The agent accepts every request and writes
each as a JSON line {"method", "device"} to AGENT_LOG: whoever asks the
system's agent about the device's side of the pairing shows there.

Exit 0 when Pair() succeeded, 1 otherwise (the reason on stderr).
Debian's /usr/bin/python3 with python3-gi (setup-host.sh installs it).
"""
import json
import sys

from gi.repository import Gio, GLib

BLUEZ = 'org.bluez'
AGENT_PATH = '/org/penctl/test/other_agent'
DISCOVERY_LIMIT_S = 30   # btvirt may drop the first advertisement: 10.24 s
PAIR_TIMEOUT_MS = 60000

AGENT_XML = '''
<node>
 <interface name='org.bluez.Agent1'>
  <method name='Release'/>
  <method name='RequestPinCode'><arg type='o' direction='in'/><arg type='s' direction='out'/></method>
  <method name='DisplayPinCode'><arg type='o' direction='in'/><arg type='s' direction='in'/></method>
  <method name='RequestPasskey'><arg type='o' direction='in'/><arg type='u' direction='out'/></method>
  <method name='DisplayPasskey'><arg type='o' direction='in'/><arg type='u' direction='in'/>
   <arg type='q' direction='in'/></method>
  <method name='RequestConfirmation'><arg type='o' direction='in'/><arg type='u' direction='in'/></method>
  <method name='RequestAuthorization'><arg type='o' direction='in'/></method>
  <method name='AuthorizeService'><arg type='o' direction='in'/><arg type='s' direction='in'/></method>
  <method name='Cancel'/>
 </interface>
</node>'''


def say(text):
    print('other-central: ' + text, file=sys.stderr, flush=True)


class OtherCentral:
    def __init__(self, adapter, address, agent_log):
        self.bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
        self.adapter_path = '/org/bluez/' + adapter
        self.device_path = self.adapter_path + '/dev_' + address.upper().replace(':', '_')
        self.agent_log = open(agent_log, 'a', encoding='utf-8')
        self.loop = GLib.MainLoop()
        self.result = 1
        self.pairing = False

    def call(self, path, iface, method, args=None, timeout_ms=10000):
        return self.bus.call_sync(BLUEZ, path, iface, method, args, None,
                                  Gio.DBusCallFlags.NONE, timeout_ms, None)

    def agent_call(self, _bus, _sender, _path, _iface, method, params, invocation):
        device = params.unpack()[0] if params.n_children() else ''
        self.agent_log.write(json.dumps({'method': method, 'device': device}) + '\n')
        self.agent_log.flush()
        say(f'agent: {method} {device}: yes')
        if method == 'RequestPinCode':
            invocation.return_value(GLib.Variant('(s)', ('0000',)))
        elif method == 'RequestPasskey':
            invocation.return_value(GLib.Variant('(u)', (0,)))
        else:
            invocation.return_value(None)

    def on_interfaces_added(self, _bus, _sender, _path, _iface, _signal, params):
        if params.unpack()[0] == self.device_path:
            self.device_seen()

    def device_seen(self):
        if self.pairing:
            return
        self.pairing = True
        say(f'found {self.device_path}; pairing')
        try:
            self.call(self.adapter_path, 'org.bluez.Adapter1', 'StopDiscovery')
        except GLib.Error as e:
            say(f'StopDiscovery: {e.message}')
        self.bus.call(BLUEZ, self.device_path, 'org.bluez.Device1', 'Pair', None, None,
                      Gio.DBusCallFlags.NONE, PAIR_TIMEOUT_MS, None, self.pair_done)

    def pair_done(self, bus, result):
        try:
            bus.call_finish(result)
            say('Pair() succeeded')
            self.result = 0
        except GLib.Error as e:
            say(f'Pair() failed: {e.message}')
        self.loop.quit()

    def discovery_limit(self):
        if not self.pairing:
            say(f'{self.device_path} not found in {DISCOVERY_LIMIT_S} s')
            self.loop.quit()
        return GLib.SOURCE_REMOVE

    def run(self):
        node = Gio.DBusNodeInfo.new_for_xml(AGENT_XML)
        self.bus.register_object(AGENT_PATH, node.interfaces[0], self.agent_call, None, None)
        self.call('/org/bluez', 'org.bluez.AgentManager1', 'RegisterAgent',
                  GLib.Variant('(os)', (AGENT_PATH, 'NoInputNoOutput')))
        say('agent registered (not as the default agent, as bluetoothctl does)')
        self.bus.signal_subscribe(BLUEZ, 'org.freedesktop.DBus.ObjectManager',
                                  'InterfacesAdded', '/', None, Gio.DBusSignalFlags.NONE,
                                  self.on_interfaces_added)
        self.call(self.adapter_path, 'org.bluez.Adapter1', 'SetDiscoveryFilter',
                  GLib.Variant('(a{sv})', ({'Transport': GLib.Variant('s', 'le')},)))
        self.call(self.adapter_path, 'org.bluez.Adapter1', 'StartDiscovery')
        objects = self.call('/', 'org.freedesktop.DBus.ObjectManager',
                            'GetManagedObjects').unpack()[0]
        if self.device_path in objects:
            self.device_seen()
        GLib.timeout_add_seconds(DISCOVERY_LIMIT_S, self.discovery_limit)
        self.loop.run()
        return self.result


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return OtherCentral(*sys.argv[1:]).run()
    except GLib.Error as e:
        say(e.message)
        return 1


if __name__ == '__main__':
    sys.exit(main())
