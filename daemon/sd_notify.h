/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sd_notify(3) protocol without libsystemd: one datagram to
 * $NOTIFY_SOCKET.  Without that variable (not under systemd) it does nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Send STATE ("READY=1", "WATCHDOG=1", ...).  0, or a negative errno;
 * never blocks: -EAGAIN when the socket's reader has fallen behind. */
int sd_notify_send(const char *state);

/* The watchdog interval systemd asked for ($WATCHDOG_USEC, for this
 * process per $WATCHDOG_PID), or 0 when none. */
uint64_t sd_notify_watchdog_usec(void);

/* Pings systemd's watchdog (WATCHDOG=1) twice per interval from the main
 * loop, so one dropped ping is not yet a restart: a hung loop stops the
 * pings.  The source id, or 0 when systemd asked for no watchdog. */
unsigned sd_notify_watchdog_start(void);
