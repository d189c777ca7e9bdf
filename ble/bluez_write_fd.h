/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (a): a characteristic's writes without response through an
 * acquired socket (GattCharacteristic1.AcquireWrite): bluetoothd hands over
 * one end of a socket, and each write() on it is one ATT Write Command, with
 * no D-Bus message, no reply and no GDBus worker thread per write.  While
 * the socket is held bluetoothd refuses WriteValue on the characteristic
 * (NotPermitted); it hangs the socket up when the link goes (the MTU is
 * negotiated again on the next link), and the owner then acquires again.
 *
 * Only a characteristic that offers it (its WriteAcquired property, which
 * bluetoothd gives a write-without-response characteristic) is acquired;
 * when it is not offered, or AcquireWrite fails, bluez_write_fd_write()
 * says so and the owner writes with WriteValue instead.  Knows nothing of
 * pens.  Not a public header.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

struct bluez_client;
struct bluez_write_fd;

/* A socket that hung up (or failed) is acquired again at the next write,
 * this many times in a row without a write going through it; then
 * WriteValue for good. */
#define BLUEZ_WRITE_FD_REACQUIRES 3u

/* Starts acquiring path's socket when the characteristic offers it.  what
 * and address: for the one log line that says which path the writes take. */
struct bluez_write_fd *bluez_write_fd_new(struct bluez_client *client, const char *path,
					  const char *what, const char *address);
/* Closes the socket (bluetoothd releases the characteristic); a reply
 * still out is dropped unseen. */
void bluez_write_fd_free(struct bluez_write_fd *w);

/* Writes value (one ATT Write Command) through the acquired socket: 0 when
 * it went, else a negative errno and nothing was written, and the owner
 * may use WriteValue instead except after -EAGAIN: -ENOTCONN (no socket:
 * not offered, being acquired, lost, or given up), -EMSGSIZE (longer than
 * the MTU allows), -EAGAIN (the socket is full: the link is not carrying,
 * and bluetoothd still holds the characteristic), or the socket's error
 * (the socket is closed). */
int bluez_write_fd_write(struct bluez_write_fd *w, const uint8_t *value, size_t len);

/* After a write that took another way: acquires a lost socket again (not
 * after BLUEZ_WRITE_FD_REACQUIRES losses in a row: then WriteValue for
 * good).  Called after the owner's WriteValue is on the bus, so that
 * bluetoothd takes that write before it locks the characteristic. */
void bluez_write_fd_acquire_again(struct bluez_write_fd *w);
