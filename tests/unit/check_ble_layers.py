#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''The ble/ layers go one way (docs/architecture-ble.md).

Parses the #include "..." lines of ble/*.c and ble/*.h (and of the public
penctl/ headers they reach), and the calls each ble/*.c makes to functions
another ble/*.c defines (a name followed by "(", so a call through a
function pointer, the way a lower layer reports upwards, is not one).  Fails
on an include cycle, a call cycle between files, or a file including or
calling a layer above its own:

  0 pure      bt_address, bluez_objects, pen_codec, pen_protocol.h
  1 bus       bluez_client, bluez_gatt, bluez_write_fd, bluez_agent  (a: knows no pens)
  2 profile   pen_profile.h, pen_profiles, pen_profile_v1, pen_write_queue   (c)
  3 link      pen_link, pen_link_fsm, pen_scan, pen_link_error, penctl/pen_link.h (b)

The profile may name the link's public header (penctl/pen_link.h: the
callbacks and error codes it reports with), never the link's files; the
link reaches a profile only through pen_profile.h.

Usage: check_ble_layers.py BLE_DIR   (exit 1 with the offending edges)
'''
import os
import re
import sys

LAYERS = {
    'bt_address': 0, 'bluez_objects': 0, 'pen_codec': 0, 'pen_protocol': 0,
    'backoff': 0,  # common/: below every layer
    'bluez_client': 1, 'bluez_gatt': 1, 'bluez_write_fd': 1, 'bluez_agent': 1,
    'pen_profile': 2, 'pen_profiles': 2, 'pen_profile_v1': 2, 'pen_write_queue': 2,
    'pen_link': 3, 'pen_scan': 3, 'pen_link_error': 3, 'pen_link_fsm': 3,
}
# Headers a lower layer may include although they sit higher: the public
# face's types (callbacks, error codes), not its code.
PUBLIC_FACE = {'penctl/pen_link.h'}
# Only the link's state machine may name a concrete profile's file list.
PROFILE_INTERNALS = {'pen_profile_v1.h', 'pen_write_queue.h'}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(name):
    base = os.path.basename(name)
    return os.path.splitext(base)[0]


def cycles(kind, graph):
    '''Every cycle found by a depth-first walk of graph (node -> [node]).'''
    found = []
    state = {}

    def visit(node, path):
        state[node] = 'open'
        for target in graph.get(node, []):
            if target not in graph:
                continue
            if state.get(target) == 'open':
                found.append(f'{kind} cycle: ' + ' -> '.join(path[path.index(target):] +
                                                             [target]))
            elif target not in state:
                visit(target, path + [target])
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


DEFINITION = re.compile(r'^(?!static\b)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{]*$', re.M)
CALL = re.compile(r'\b(\w+)\s*\(')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def call_graph(ble):
    '''module -> set of other modules whose functions it calls by name.'''
    texts = {}
    for name in sorted(os.listdir(ble)):
        if name.endswith('.c'):
            with open(os.path.join(ble, name), encoding='utf-8') as source:
                texts[module(name)] = COMMENT.sub('', source.read())
    owner = {}
    for mod, text in texts.items():
        for function in DEFINITION.findall(text):
            owner.setdefault(function, mod)
    graph = {}
    for mod, text in texts.items():
        graph[mod] = {owner[f] for f in CALL.findall(text) if f in owner and owner[f] != mod}
    return graph


def main():
    ble = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                            '..', '..', 'ble')
    include_dir = os.path.join(ble, '..', 'include')
    graph = {}
    todo = [f for f in sorted(os.listdir(ble)) if f.endswith(('.c', '.h'))]
    files = {f: os.path.join(ble, f) for f in todo}
    problems = []
    while todo:
        name = todo.pop()
        if name in graph:
            continue
        with open(files[name], encoding='utf-8') as source:
            targets = INCLUDE.findall(source.read())
        graph[name] = targets
        for target in targets:
            if target in files:
                pass
            elif os.path.exists(os.path.join(ble, target)):
                files[target] = os.path.join(ble, target)
            elif os.path.exists(os.path.join(include_dir, target)):
                files[target] = os.path.join(include_dir, target)
            else:
                continue
            todo.append(target)

    for name, targets in sorted(graph.items()):
        src = module(name)
        if src not in LAYERS:
            problems.append(f'{name}: not assigned to a layer (add it to {__file__})')
            continue
        for target in targets:
            dst = module(target)
            if target not in files or dst not in LAYERS:
                continue
            if LAYERS[dst] > LAYERS[src] and target not in PUBLIC_FACE:
                problems.append(f'{name} -> {target}: layer {LAYERS[src]} includes layer '
                                f'{LAYERS[dst]} (upwards)')
            if LAYERS[src] == 3 and target in PROFILE_INTERNALS:
                problems.append(f'{name} -> {target}: the link reaches profiles only '
                                'through pen_profile.h')
            if LAYERS[src] == 1 and target == 'penctl/pen_link.h':
                problems.append(f'{name} -> {target}: the bus client knows no pens')

    problems += cycles('include', graph)

    calls = call_graph(ble)
    for src, targets in sorted(calls.items()):
        for dst in sorted(targets):
            if src in LAYERS and dst in LAYERS and LAYERS[dst] > LAYERS[src]:
                problems.append(f'{src}.c calls {dst}.c: layer {LAYERS[src]} calls layer '
                                f'{LAYERS[dst]} (upwards)')
    problems += cycles('call', {k: sorted(v) for k, v in calls.items()})

    for problem in problems:
        print(problem)
    print(f'{len(graph)} files, {sum(len(t) for t in graph.values())} includes, '
          f'{len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
