/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the modem tools print, read with json-c (agent_uplink.h).
 *
 * mmcli -J (ModemManager's cli/mmcli-output.c): every value is a string,
 * "--" when unknown; lists are arrays of strings.  The keys used here are
 * its field keys split at the dots: modem-list; modem.generic.ports
 * ("wwan0 (net)"), .state, .access-technologies, .signal-quality.value;
 * modem.3gpp.operator-name, .operator-code, .registration-state.
 *
 * uqmi (openwrt/uqmi, commands-nas.c): --get-signal-info prints
 * {"type": "lte", "rssi": -71, "rsrq": ..., "rsrp": ..., "snr": ...}, or an
 * array of two such objects (LTE and 5G NR) with EN-DC; --get-serving-system
 * {"registration": "registered", "plmn_mcc": 460, "plmn_mnc": 0,
 * "plmn_description": "...", "roaming": false}.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"

void agent_modem_init(struct agent_modem *m, const char *source)
{
        memset(m, 0, sizeof(*m));
        m->source = source;
        m->signal_pct = -1;
}

int agent_rssi_pct(int rssi_dbm)
{
        int r = rssi_dbm < -113 ? -113 : rssi_dbm > -51 ? -51 : rssi_dbm;

        return 100 - ((r + 51) * 100 / (-113 + 51));
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        size_t len = s[0] < 0x80                    ? 1
                     : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                     : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                     : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                                    : 0;
        unsigned char lo = 0x80, hi = 0xbf;

        if (len == 0 || len > n)
                return 0;
        if (s[0] == 0xe0)
                lo = 0xa0; /* overlong */
        else if (s[0] == 0xed)
                hi = 0x9f; /* surrogates */
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        for (size_t i = 1; i < len; i++, lo = 0x80, hi = 0xbf)
                if (s[i] < lo || s[i] > hi)
                        return 0;
        return len;
}

/* Copy src into dst[cap] as the server takes text (docs/wire.md): valid
 * UTF-8 without control characters (others become '?'), cut at a whole
 * character.  "--" and "" (mmcli's unknown) leave dst empty. */
static void copy_text(char *dst, size_t cap, const char *src)
{
        const unsigned char *s = (const unsigned char *)src;
        size_t n = src ? strlen(src) : 0, o = 0;

        dst[0] = '\0';
        if (n == 0 || strcmp(src, "--") == 0)
                return;
        for (size_t i = 0; i < n;) {
                size_t k = utf8_seq(s + i, n - i);
                int bad = k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f));

                if (bad)
                        k = 1;
                if (o + (bad ? 1 : k) >= cap)
                        break;
                if (bad)
                        dst[o++] = '?';
                else
                        memcpy(dst + o, s + i, k), o += k;
                i += k;
        }
        dst[o] = '\0';
}

static json_object *parse(const char *json, const char *what, char *err, size_t len)
{
        enum json_tokener_error e;
        json_object *o = json_tokener_parse_verbose(json, &e);

        if (o == NULL)
                snprintf(err, len, "%s: not JSON (%s)", what, json_tokener_error_desc(e));
        else if (!json_object_is_type(o, json_type_object) &&
                 !json_object_is_type(o, json_type_array)) {
                snprintf(err, len, "%s: not a JSON object", what);
                json_object_put(o);
                o = NULL;
        }
        return o;
}

/* o's member at a path of keys ("modem", "generic", "state", NULL). */
static json_object *at(json_object *o, const char *const *keys)
{
        for (; o && *keys; keys++)
                if (!json_object_is_type(o, json_type_object) ||
                    !json_object_object_get_ex(o, *keys, &o))
                        return NULL;
        return o;
}

static const char *str_at(json_object *o, const char *const *keys)
{
        json_object *v = at(o, keys);

        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int agent_mmcli_list(const char *json, int *ids, int max, char *err, size_t len)
{
        json_object *o = parse(json, "mmcli -L -J", err, len), *list;
        int n = 0;

        if (o == NULL)
                return MB_EPROTO;
        list = at(o, (const char *const[]){"modem-list", NULL});
        if (!json_object_is_type(list, json_type_array)) {
                snprintf(err, len, "mmcli -L -J: no \"modem-list\" array");
                json_object_put(o);
                return MB_EPROTO;
        }
        for (size_t i = 0; i < json_object_array_length(list) && n < max; i++) {
                const char *path = json_object_get_string(json_object_array_get_idx(list, i));
                const char *slash = path ? strrchr(path, '/') : NULL;
                char *end;
                long id = slash ? strtol(slash + 1, &end, 10) : -1;

                if (slash && end != slash + 1 && *end == '\0' && id >= 0 && id < 1000000)
                        ids[n++] = (int)id;
        }
        json_object_put(o);
        return n;
}

/* Is "IFACE (net)" among the modem's ports? */
static int has_net_port(json_object *ports, const char *iface)
{
        char want[64];

        snprintf(want, sizeof(want), "%s (net)", iface);
        for (size_t i = 0;
             json_object_is_type(ports, json_type_array) && i < json_object_array_length(ports);
             i++) {
                const char *p = json_object_get_string(json_object_array_get_idx(ports, i));

                if (p && strcmp(p, want) == 0)
                        return 1;
        }
        return 0;
}

/* The access technologies ("lte", or "lte,5gnr"), whole names only. */
static void technologies(char *dst, size_t cap, json_object *a)
{
        size_t o = 0;

        dst[0] = '\0';
        for (size_t i = 0;
             json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++) {
                char t[24];

                copy_text(t, sizeof(t), json_object_get_string(json_object_array_get_idx(a, i)));
                if (t[0] && o + strlen(t) + (o > 0) < cap)
                        o += (size_t)snprintf(dst + o, cap - o, "%s%s", o ? "," : "", t);
        }
}

int agent_mmcli_modem(const char *json, const char *iface, struct agent_modem *m, char *err,
                      size_t len)
{
        static const char *const ports[] = {"modem", "generic", "ports", NULL};
        static const char *const quality[] = {"modem", "generic", "signal-quality", "value", NULL};
        static const char *const state[] = {"modem", "generic", "state", NULL};
        static const char *const tech[] = {"modem", "generic", "access-technologies", NULL};
        static const char *const op[] = {"modem", "3gpp", "operator-name", NULL};
        static const char *const code[] = {"modem", "3gpp", "operator-code", NULL};
        static const char *const reg[] = {"modem", "3gpp", "registration-state", NULL};
        json_object *o = parse(json, "mmcli -m N -J", err, len);
        const char *q;
        char *end;
        long pct;
        int rc = 0;

        if (o == NULL)
                return MB_EPROTO;
        agent_modem_init(m, "mmcli");
        if (at(o, (const char *const[]){"modem", "generic", NULL}) == NULL) {
                snprintf(err, len, "mmcli -m N -J: no \"modem\".\"generic\" object");
                rc = MB_EPROTO;
        } else if (has_net_port(at(o, ports), iface)) {
                q = str_at(o, quality);
                pct = q ? strtol(q, &end, 10) : -1;
                m->signal_pct =
                    q && end != q && *end == '\0' && pct >= 0 && pct <= 100 ? (int)pct : -1;
                copy_text(m->state, sizeof(m->state), str_at(o, state));
                technologies(m->technology, sizeof(m->technology), at(o, tech));
                copy_text(m->operator_name, sizeof(m->operator_name), str_at(o, op));
                copy_text(m->operator_code, sizeof(m->operator_code), str_at(o, code));
                copy_text(m->registration, sizeof(m->registration), str_at(o, reg));
                rc = 1;
        }
        json_object_put(o);
        return rc;
}

/* The LTE (or first) entry of --get-signal-info: an object, or an array of
 * them with EN-DC. */
static json_object *signal_entry(json_object *o)
{
        json_object *first = NULL;

        if (!json_object_is_type(o, json_type_array))
                return o;
        for (size_t i = 0; i < json_object_array_length(o); i++) {
                json_object *e = json_object_array_get_idx(o, i), *t;

                if (!json_object_is_type(e, json_type_object))
                        continue;
                if (first == NULL)
                        first = e;
                if (json_object_object_get_ex(e, "rssi", &t))
                        return e;
        }
        return first;
}

int agent_uqmi_signal(const char *json, struct agent_modem *m, char *err, size_t len)
{
        json_object *o = parse(json, "uqmi --get-signal-info", err, len), *e, *v;

        if (o == NULL)
                return MB_EPROTO;
        e = signal_entry(o);
        if (e == NULL || !json_object_is_type(e, json_type_object)) {
                snprintf(err, len, "uqmi --get-signal-info: no signal object");
                json_object_put(o);
                return MB_EPROTO;
        }
        if (json_object_object_get_ex(e, "type", &v))
                copy_text(m->technology, sizeof(m->technology), json_object_get_string(v));
        if (json_object_object_get_ex(e, "rssi", &v) && json_object_is_type(v, json_type_int) &&
            json_object_get_int(v) < 0 && json_object_get_int(v) > -200) {
                m->rssi_dbm = json_object_get_int(v);
                m->signal_pct = agent_rssi_pct(m->rssi_dbm);
        }
        json_object_put(o);
        return MB_OK;
}

/* uqmi's registration word in ModemManager's (mmcli's) words. */
static const char *registration(const char *qmi, int roaming)
{
        if (qmi == NULL)
                return "";
        if (strcmp(qmi, "registered") == 0)
                return roaming ? "roaming" : "home";
        if (strcmp(qmi, "searching") == 0)
                return "searching";
        if (strcmp(qmi, "registering_denied") == 0)
                return "denied";
        if (strcmp(qmi, "not_registered") == 0)
                return "idle";
        return "unknown";
}

int agent_uqmi_serving(const char *json, struct agent_modem *m, char *err, size_t len)
{
        json_object *o = parse(json, "uqmi --get-serving-system", err, len), *v, *mcc, *mnc;
        int roaming = 0;

        if (o == NULL)
                return MB_EPROTO;
        if (!json_object_is_type(o, json_type_object)) {
                snprintf(err, len, "uqmi --get-serving-system: not a JSON object");
                json_object_put(o);
                return MB_EPROTO;
        }
        if (json_object_object_get_ex(o, "roaming", &v))
                roaming = json_object_get_boolean(v);
        if (json_object_object_get_ex(o, "registration", &v))
                copy_text(m->registration, sizeof(m->registration),
                          registration(json_object_get_string(v), roaming));
        if (json_object_object_get_ex(o, "plmn_description", &v))
                copy_text(m->operator_name, sizeof(m->operator_name), json_object_get_string(v));
        if (json_object_object_get_ex(o, "plmn_mcc", &mcc) &&
            json_object_object_get_ex(o, "plmn_mnc", &mnc) &&
            json_object_is_type(mcc, json_type_int) && json_object_is_type(mnc, json_type_int) &&
            json_object_get_int(mcc) > 0 && json_object_get_int(mcc) < 1000 &&
            json_object_get_int(mnc) >= 0 && json_object_get_int(mnc) < 1000)
                snprintf(m->operator_code, sizeof(m->operator_code), "%03d%0*d",
                         json_object_get_int(mcc), json_object_get_int(mnc) < 100 ? 2 : 3,
                         json_object_get_int(mnc));
        json_object_put(o);
        return MB_OK;
}
