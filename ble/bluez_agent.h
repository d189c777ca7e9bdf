/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (a): the pairing agent (org.bluez.Agent1, NoInputNoOutput),
 * registered with bluetoothd only while one device is being paired, and
 * answering for that device only (why: bluez_agent.c).  Not a public
 * header.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

struct bluez_client;
struct bluez_agent;

#define BLUEZ_AGENT_PATH "/io/penctl/agent"

/* bluetoothd asked to confirm passkey for the device being paired (and
 * was told yes). */
typedef void (*bluez_agent_confirmed)(void *owner, const char *device_path, uint32_t passkey);

struct bluez_agent *bluez_agent_new(struct bluez_client *client, bluez_agent_confirmed confirmed,
				    void *owner);
/* Exports the agent object on the client's bus; false + error when the
 * path is taken (pairing then finds no agent of ours). */
bool bluez_agent_export(struct bluez_agent *agent, GError **error);
/* Unregisters (if pairing) and unexports. */
void bluez_agent_free(struct bluez_agent *agent);

/* The device being paired (NULL: none): the agent answers for it only. */
const char *bluez_agent_pairing(const struct bluez_agent *agent);
/* Remembers device and registers the agent: call before its Pair(), on
 * the same connection (bluetoothd handles our messages in order). */
void bluez_agent_pair_begin(struct bluez_agent *agent, const char *device);
/* Pair() returned: unregister (the device stays the one being paired
 * until bluez_agent_pairing_done()). */
void bluez_agent_pair_end(struct bluez_agent *agent);
/* The pairing of device is over (trusted, failed or cancelled). */
void bluez_agent_pairing_done(struct bluez_agent *agent, const char *device);
/* bluetoothd (re)appeared: a pairing under way needs the agent again. */
void bluez_agent_reregister(struct bluez_agent *agent);
