/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's uplink, reported in each upload (docs/wire.md "uplink",
 * docs/agent.md "The uplink"): the interface the route to the server takes,
 * what kind it is, and, when it is a cellular modem's, its signal,
 * technology, operator and state from ModemManager (`mmcli`) or, on
 * OpenWrt without it, from the QMI modem's tool (`uqmi`).
 *
 * Looking costs a DNS lookup and up to three short-lived tool runs, so the
 * answer is kept for a period (five minutes; one minute after a failed
 * upload, when the link is what the operator wants to know about) and each
 * tool is killed at a timeout.  A tool absent from PATH is not an error: it
 * is looked for once, and never run.  A tool that fails is logged once per
 * distinct message and tried again at the next look.  Only the uploader
 * thread calls this; the bus threads never wait for it.
 */
#ifndef AGENT_UPLINK_H
#define AGENT_UPLINK_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef struct agent_uplink agent_uplink;

struct agent_uplink_opts {
        const char *server_url; /* the route to its host is the uplink */
        const char *tool;       /* "auto", "mmcli", "uqmi" or "none" (server.uplink) */
        const char *sys_dir;    /* where sysfs is: "/sys" (tests: a tree of their own) */
        int period_ms;          /* look again after this long (300000) */
        int timeout_ms;         /* a tool still running after this long is killed (5000) */
};

/* A new uplink watcher (strings copied).  NULL when out of memory or the
 * URL has no host.  Free with agent_uplink_free. */
agent_uplink *agent_uplink_new(const struct agent_uplink_opts *o);
void agent_uplink_free(agent_uplink *u);

/* The "uplink" object for an upload at monotonic time now_ms whose attempts
 * before it failed `retries` times, looking again first when the last look
 * is too old.  A new object the caller owns; NULL when out of memory. */
json_object *agent_uplink_json(agent_uplink *u, int64_t now_ms, int retries);

/* When the last look was (monotonic ms; INT64_MIN before the first): the
 * caller sees a new look by its change. */
int64_t agent_uplink_looked_ms(const agent_uplink *u);
/* What the last look found, for `meterbox-agent status`: the "uplink"
 * object without "retries", with "tools" (the modem tools found on PATH, an
 * array, empty when there is none or server.uplink is "none") and, when the
 * look went wrong, "error" (the message logged).  A new object the caller
 * owns; NULL when out of memory. */
json_object *agent_uplink_status(agent_uplink *u);

/* ---- the parts, for the unit tests and the fuzz target ---- */

/* What a modem tool said about the modem behind the uplink. */
struct agent_modem {
        const char *source; /* "mmcli" or "uqmi" (static) */
        int signal_pct;     /* 0..100 on ModemManager's scale, -1 unknown */
        int rssi_dbm;       /* 0 unknown */
        char technology[32], operator_name[65], operator_code[8], state[24], registration[24];
};

/* Reset m to "nothing known" from source. */
void agent_modem_init(struct agent_modem *m, const char *source);

/* `mmcli -L -J`: the index of each modem (the number that ends its D-Bus
 * path) into ids[0..max-1].  The count, or MB_EPROTO with err saying what
 * is wrong with the text. */
int agent_mmcli_list(const char *json, int *ids, int max, char *err, size_t len);
/* `mmcli -m N -J`: 1 with *m filled when iface is the modem's network port
 * ("wwan0 (net)" among modem.generic.ports), 0 when it is not, MB_EPROTO
 * with err. */
int agent_mmcli_modem(const char *json, const char *iface, struct agent_modem *m, char *err,
                      size_t len);
/* `uqmi -d DEV --get-signal-info` and `--get-serving-system` into *m:
 * MB_OK or MB_EPROTO with err. */
int agent_uqmi_signal(const char *json, struct agent_modem *m, char *err, size_t len);
int agent_uqmi_serving(const char *json, struct agent_modem *m, char *err, size_t len);
/* An RSSI in dBm on ModemManager's percent scale (MM_RSSI_TO_QUALITY:
 * -113 dBm or less is 0, -51 or more is 100). */
int agent_rssi_pct(int rssi_dbm);

/* The interface the route to host takes (resolving it) into buf: MB_OK, or
 * MB_ENOENT with err saying why. */
int agent_uplink_route(const char *host, char *buf, size_t len, char *err, size_t errlen);
/* What kind iface is by sysfs under sys: "cellular" (a wwan device),
 * "wifi", "ethernet", "loopback" or "other" (static). */
const char *agent_uplink_kind(const char *sys, const char *iface);
/* The QMI control device beside iface ("/dev/cdc-wdm0") into buf: MB_OK or
 * MB_ENOENT. */
int agent_uplink_qmi_dev(const char *sys, const char *iface, char *buf, size_t len);

/* Run argv (argv[0] an absolute path) with no input: its standard output
 * into out (at most cap - 1 bytes kept, NUL-terminated), the first line of
 * its standard error into err.  Killed after timeout_ms.  Its exit status
 * (0..255), MB_ETIMEDOUT when it was killed, MB_EIO when it could not
 * start (err says why). */
int agent_tool_run(char *const argv[], int timeout_ms, char *out, size_t cap, char *err,
                   size_t errlen);
/* The absolute path of the executable name on PATH into buf: MB_OK or
 * MB_ENOENT. */
int agent_tool_find(const char *name, char *buf, size_t len);

#endif
