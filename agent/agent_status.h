/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-site commands that work on agent.db beside a running agent:
 * `meterbox-agent status` and `meterbox-agent resend`.
 */
#ifndef AGENT_STATUS_H
#define AGENT_STATUS_H

#include <stdio.h>

#include <json-c/json.h>

/* `meterbox-agent status [--json]`: load config_path (no plugins), read its
 * agent.db read-only and print the gateway's and each meter's state, as text
 * or (as_json) as one JSON object (docs/agent.md, "On site").  Returns the
 * exit status: 0, or 2 after saying on stderr why nothing could be read. */
int agent_status(const char *config_path, int as_json);

/* Print the object agent_status built as the text an installer reads.
 * Returns 0, or -1 when writing to f failed.  status stays the caller's. */
int agent_status_text(json_object *status, FILE *f);

/* `meterbox-agent resend [METER...]`: put the readings the server refused
 * and the agent set aside (acked = 2: a meter not yet bound on the server,
 * say) of the named meters, or of every meter, back into the upload queue,
 * with a readings_resent event each; the running agent sends them at its
 * next sync.  Returns the exit status: 0, 1 when a named meter is not in
 * agent.db, 2 on any other error (said on stderr). */
int agent_resend(const char *config_path, char *const *meters, int n_meters);

#endif
