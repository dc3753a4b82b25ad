/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tell the service manager how the daemon is doing: the sd_notify protocol,
 * written here so the daemons need no libsystemd (OpenWrt has none).
 *
 * Each message is one datagram of "KEY=VALUE" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET: a file system path, or with a leading '@' an
 * abstract socket name.  systemd sets it for Type=notify units.  Without it
 * (started by hand, under procd) every function here does nothing and
 * returns MB_OK, so callers need not care how they were started.
 *
 * Errors: MB_OK (0) when the message was sent or there is nowhere to send
 * it; MB_EINVAL when $NOTIFY_SOCKET is not a name we can use (too long, or a
 * vsock: address); MB_EIO when the socket could not be reached (errno is
 * kept).  A failure is logged as a warning once per process and at debug
 * level after that, so a caller may ignore the result.
 *
 * Ownership: nothing is allocated; no function keeps a pointer it was given.
 * Thread safety: call from one thread (the daemon's main loop); the
 * watchdog keeps the time of its last message in a static.
 */
#ifndef MB_NOTIFY_H
#define MB_NOTIFY_H

#include <stdint.h>

/* Send state, e.g. "READY=1" or "STATUS=polling 3 meters" (lines joined
 * with '\n').  See sd_notify(3) for the keys systemd knows. */
int mb_notify(const char *state);

/* Start-up finished: "READY=1". */
int mb_notify_ready(void);
/* A configuration reload begins: "RELOADING=1" with MONOTONIC_USEC (which
 * Type=notify-reload needs); send mb_notify_ready() when it has finished,
 * whether or not the new configuration was taken. */
int mb_notify_reloading(void);
/* Shutdown begins: "STOPPING=1". */
int mb_notify_stopping(void);

/* The watchdog interval systemd expects WATCHDOG=1 within, in microseconds
 * ($WATCHDOG_USEC), or 0 when none is armed for this process (unset, not a
 * number, or $WATCHDOG_PID names another process). */
int64_t mb_notify_watchdog_usec(void);
/* Call often (every loop turn): sends "WATCHDOG=1" on the first call and
 * then whenever half the watchdog interval has passed since the last one.
 * Does nothing when no watchdog is armed. */
int mb_notify_watchdog(void);

#endif
