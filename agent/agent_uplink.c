/* SPDX-License-Identifier: Apache-2.0 */
/* The uplink watcher (agent_uplink.h): looks at most once a period, and
 * reports what it last saw. */
#define MB_LOG_MODULE "uplink"
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"
#include "mb_log.h"

#define MAX_MODEMS 4
#define RETRY_PERIOD_MS 60000 /* after a failed upload, when the link is the question */
#define TOOL_OUT 65536        /* `mmcli -m N -J` of a modem is about 4 KiB */

struct agent_uplink {
        char *host, *sys_dir;
        int period_ms, timeout_ms;
        char mmcli[PATH_MAX], uqmi[PATH_MAX]; /* "" when not on PATH */
        int64_t looked_ms;                    /* INT64_MIN: never */
        char iface[32];
        const char *kind;
        struct agent_modem modem;
        int have_modem;
        char last_err[256]; /* logged once until it changes */
        char *out;          /* the tools' output, TOOL_OUT bytes */
};

/* The URL's host, without an IPv6 literal's brackets; NULL when it has
 * none. */
static char *url_host(const char *url)
{
        CURLU *h = curl_url();
        char *host = NULL, *copy = NULL;

        if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
                size_t n = strlen(host);

                copy = host[0] == '[' && n > 2 ? strndup(host + 1, n - 2) : strdup(host);
        }
        curl_free(host);
        curl_url_cleanup(h);
        return copy;
}

agent_uplink *agent_uplink_new(const struct agent_uplink_opts *o)
{
        agent_uplink *u = calloc(1, sizeof(*u));
        const char *tool = o->tool ? o->tool : "auto";

        if (u == NULL)
                return NULL;
        u->host = o->server_url ? url_host(o->server_url) : NULL;
        u->sys_dir = strdup(o->sys_dir ? o->sys_dir : "/sys");
        u->out = malloc(TOOL_OUT);
        if (!u->host || !u->sys_dir || !u->out) {
                agent_uplink_free(u);
                return NULL;
        }
        u->period_ms = o->period_ms > 0 ? o->period_ms : 300000;
        u->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
        u->looked_ms = INT64_MIN;
        /* looked for once: a tool installed later is found at the next start */
        if ((strcmp(tool, "auto") == 0 || strcmp(tool, "mmcli") == 0) &&
            agent_tool_find("mmcli", u->mmcli, sizeof(u->mmcli)) != MB_OK)
                u->mmcli[0] = '\0';
        if ((strcmp(tool, "auto") == 0 || strcmp(tool, "uqmi") == 0) &&
            agent_tool_find("uqmi", u->uqmi, sizeof(u->uqmi)) != MB_OK)
                u->uqmi[0] = '\0';
        if (strcmp(tool, "auto") != 0 && strcmp(tool, "none") != 0 && !u->mmcli[0] && !u->uqmi[0])
                mb_warn("server.uplink names %s, which is not on PATH: the uplink is reported "
                        "without the modem's signal",
                        tool);
        return u;
}

void agent_uplink_free(agent_uplink *u)
{
        if (u == NULL)
                return;
        free(u->host);
        free(u->sys_dir);
        free(u->out);
        free(u);
}

/* Log msg unless it is what was logged last (a modem that stays missing
 * must not fill the log every five minutes). */
static void note(agent_uplink *u, const char *msg)
{
        if (strcmp(msg, u->last_err) == 0)
                return;
        snprintf(u->last_err, sizeof(u->last_err), "%s", msg);
        if (msg[0])
                mb_warn("%s", msg);
}

/* Run a tool; its output in u->out.  MB_OK, or an error noted. */
static int run(agent_uplink *u, char *const argv[])
{
        char err[200], msg[256];
        int rc = agent_tool_run(argv, u->timeout_ms, u->out, TOOL_OUT, err, sizeof(err));

        if (rc == 0)
                return MB_OK;
        if (rc > 0)
                snprintf(msg, sizeof(msg), "%s %s exited with %d: %s", argv[0], argv[1], rc,
                         err[0] ? err : "(no message)");
        else
                snprintf(msg, sizeof(msg), "%s %s: %s", argv[0], argv[1], err);
        note(u, msg);
        return rc < 0 ? rc : MB_EIO;
}

/* The modem whose net port is u->iface, by ModemManager: MB_OK with
 * u->modem, MB_ENOENT when no modem has it, else an error (noted). */
static int look_mmcli(agent_uplink *u)
{
        int ids[MAX_MODEMS], n, rc;
        char err[200], idx[16];

        if ((rc = run(u, (char *const[]){u->mmcli, "-L", "-J", NULL})) != MB_OK)
                return rc;
        if ((n = agent_mmcli_list(u->out, ids, MAX_MODEMS, err, sizeof(err))) < 0)
                return note(u, err), n;
        for (int i = 0; i < n; i++) {
                snprintf(idx, sizeof(idx), "%d", ids[i]);
                if ((rc = run(u, (char *const[]){u->mmcli, "-m", idx, "-J", NULL})) != MB_OK)
                        return rc;
                rc = agent_mmcli_modem(u->out, u->iface, &u->modem, err, sizeof(err));
                if (rc < 0)
                        return note(u, err), rc;
                if (rc == 1)
                        return MB_OK;
        }
        return MB_ENOENT;
}

/* The QMI modem behind u->iface by uqmi: MB_OK with u->modem, MB_ENOENT
 * when the interface has no QMI device, else an error (noted). */
static int look_uqmi(agent_uplink *u)
{
        char dev[64], err[200];
        int rc;

        if (agent_uplink_qmi_dev(u->sys_dir, u->iface, dev, sizeof(dev)) != MB_OK)
                return MB_ENOENT;
        agent_modem_init(&u->modem, "uqmi");
        if ((rc = run(u, (char *const[]){u->uqmi, "-s", "-d", dev, "--get-signal-info", NULL})) !=
            MB_OK)
                return rc;
        if ((rc = agent_uqmi_signal(u->out, &u->modem, err, sizeof(err))) != MB_OK)
                return note(u, err), rc;
        if ((rc = run(u, (char *const[]){u->uqmi, "-s", "-d", dev, "--get-serving-system",
                                         NULL})) != MB_OK)
                return rc;
        if ((rc = agent_uqmi_serving(u->out, &u->modem, err, sizeof(err))) != MB_OK)
                return note(u, err), rc;
        return MB_OK;
}

static void look(agent_uplink *u)
{
        char err[256];
        int rc = MB_ENOENT;

        u->have_modem = 0;
        u->kind = NULL;
        if (agent_uplink_route(u->host, u->iface, sizeof(u->iface), err, sizeof(err)) != MB_OK) {
                note(u, err);
                return;
        }
        u->kind = agent_uplink_kind(u->sys_dir, u->iface);
        if (u->mmcli[0])
                rc = look_mmcli(u);
        /* uqmi only when ModemManager has no modem there: a tool that failed
         * or timed out has cost this look enough */
        if (rc == MB_ENOENT && u->uqmi[0])
                rc = look_uqmi(u);
        u->have_modem = rc == MB_OK;
        if (u->have_modem)
                u->kind = "cellular";
        if (rc == MB_OK || rc == MB_ENOENT)
                note(u, ""); /* a later failure is logged again */
}

static void put_str(json_object *o, const char *key, const char *v)
{
        if (v && v[0])
                json_object_object_add(o, key, json_object_new_string(v));
}

/* The look's findings (no retries). */
static json_object *describe(const agent_uplink *u)
{
        json_object *o = json_object_new_object();

        if (o == NULL)
                return NULL;
        put_str(o, "interface", u->iface);
        put_str(o, "kind", u->kind);
        if (u->have_modem) {
                const struct agent_modem *m = &u->modem;

                put_str(o, "source", m->source);
                if (m->signal_pct >= 0)
                        json_object_object_add(o, "signal_pct", json_object_new_int(m->signal_pct));
                if (m->rssi_dbm < 0)
                        json_object_object_add(o, "rssi_dbm", json_object_new_int(m->rssi_dbm));
                put_str(o, "technology", m->technology);
                put_str(o, "operator", m->operator_name);
                put_str(o, "operator_code", m->operator_code);
                put_str(o, "state", m->state);
                put_str(o, "registration", m->registration);
        }
        return o;
}

json_object *agent_uplink_json(agent_uplink *u, int64_t now_ms, int retries)
{
        int64_t period =
            retries > 0 && u->period_ms > RETRY_PERIOD_MS ? RETRY_PERIOD_MS : u->period_ms;
        json_object *o;

        if (u->looked_ms == INT64_MIN || now_ms - u->looked_ms >= period) {
                look(u);
                u->looked_ms = now_ms;
        }
        if ((o = describe(u)) != NULL)
                json_object_object_add(o, "retries", json_object_new_int(retries));
        return o;
}

int64_t agent_uplink_looked_ms(const agent_uplink *u)
{
        return u->looked_ms;
}

json_object *agent_uplink_status(agent_uplink *u)
{
        json_object *o = describe(u), *tools = json_object_new_array();

        if (o == NULL || tools == NULL) {
                json_object_put(o);
                json_object_put(tools);
                return NULL;
        }
        if (u->mmcli[0])
                json_object_array_add(tools, json_object_new_string("mmcli"));
        if (u->uqmi[0])
                json_object_array_add(tools, json_object_new_string("uqmi"));
        json_object_object_add(o, "tools", tools);
        put_str(o, "error", u->last_err);
        return o;
}
