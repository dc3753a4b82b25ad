/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz what the agent reads of its modem tools (agent_uplink_modem.c):
 * `mmcli -L -J`, `mmcli -m N -J`, `uqmi --get-signal-info` and
 * `--get-serving-system`.  A tool that prints anything (a newer version, a
 * broken modem, garbage) gives a modem description or a message, never a
 * crash, a leak or text the server would refuse (docs/wire.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the upload carries must be within the wire's bounds. */
static void check(const struct agent_modem *m)
{
        if (m->signal_pct < -1 || m->signal_pct > 100 || m->rssi_dbm > 0 || m->rssi_dbm <= -200)
                __builtin_trap();
        if (strlen(m->operator_name) > 64 || strlen(m->technology) > 31 || strlen(m->state) > 23)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), err[200];
        struct agent_modem m;
        int ids[4], rc;

        if (text == NULL)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        err[0] = '\0';
        rc = agent_mmcli_list(text, ids, 4, err, sizeof(err));
        if (rc > 4 || (rc < 0 && err[0] == '\0'))
                __builtin_trap();
        err[0] = '\0';
        rc = agent_mmcli_modem(text, "wwan0", &m, err, sizeof(err));
        if (rc == 1)
                check(&m);
        else if (rc < 0 && err[0] == '\0')
                __builtin_trap();
        agent_modem_init(&m, "uqmi");
        if (agent_uqmi_signal(text, &m, err, sizeof(err)) == MB_OK)
                check(&m);
        if (agent_uqmi_serving(text, &m, err, sizeof(err)) == MB_OK)
                check(&m);
        free(text);
        return 0;
}
