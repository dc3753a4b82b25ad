/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signals for a daemon's main loop: SIGTERM and SIGINT ask it to stop,
 * SIGHUP to reload; SIGPIPE is ignored (a closed socket is an error code,
 * not a death).  The handlers only set flags the main loop reads.
 */
#ifndef MB_SIGNAL_H
#define MB_SIGNAL_H

/* Install the handlers.  Call once, from the main thread. */
void mb_signals_install(void);
/* Block (1) or unblock (0) the three signals in the calling thread.  Block
 * them around starting worker threads, which inherit the mask, so only the
 * main thread takes them. */
void mb_signals_block(int block);
/* Whether a stop was asked for. */
int mb_signal_stop(void);
/* Whether a reload was asked for since the last call (the request is
 * consumed). */
int mb_signal_reload(void);

#endif
