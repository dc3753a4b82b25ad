/* SPDX-License-Identifier: Apache-2.0 */
/* The uplink watcher: what it reads of recorded mmcli and uqmi output,
 * how it runs a tool (its output, its exit status, killed at the timeout),
 * what sysfs says an interface is, and that a look is kept for its period
 * rather than repeated for every upload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"

static char *slurp(const char *name)
{
        char path[512], *buf = calloc(1, 65536);
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", MB_UPLINK_DATA, name);
        assert_non_null(f = fopen(path, "r"));
        assert_true(fread(buf, 1, 65535, f) > 0);
        fclose(f);
        return buf;
}

static void write_file(const char *path, const char *text, int mode)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        chmod(path, (mode_t)mode);
}

static void mmcli_list_and_modem(void **state)
{
        char *list = slurp("mmcli-L.json"), *m0 = slurp("mmcli-m0.json"), err[200];
        struct agent_modem m;
        int ids[4];

        assert_int_equal(agent_mmcli_list(list, ids, 4, err, sizeof(err)), 1);
        assert_int_equal(ids[0], 0);
        assert_int_equal(agent_mmcli_modem(m0, "wwan0", &m, err, sizeof(err)), 1);
        assert_string_equal(m.source, "mmcli");
        assert_int_equal(m.signal_pct, 18);
        assert_string_equal(m.technology, "lte");
        assert_string_equal(m.operator_name, "CHINA MOBILE");
        assert_string_equal(m.operator_code, "46000");
        assert_string_equal(m.state, "connected");
        assert_string_equal(m.registration, "home");
        /* another interface is not this modem's */
        assert_int_equal(agent_mmcli_modem(m0, "eth0", &m, err, sizeof(err)), 0);
        free(list);
        free(m0);
}

static void mmcli_searching_leaves_unknowns_out(void **state)
{
        char *m0 = slurp("mmcli-m0-searching.json"), err[200];
        struct agent_modem m;

        assert_int_equal(agent_mmcli_modem(m0, "wwan0", &m, err, sizeof(err)), 1);
        assert_int_equal(m.signal_pct, 0);
        assert_string_equal(m.state, "searching");
        assert_string_equal(m.operator_name, ""); /* "--" is mmcli's unknown */
        assert_string_equal(m.technology, "");
        free(m0);
}

static void mmcli_bad_output_is_named(void **state)
{
        struct agent_modem m;
        char err[200];
        int ids[4];

        assert_int_equal(agent_mmcli_list("modem-list: none", ids, 4, err, sizeof(err)), MB_EPROTO);
        assert_non_null(strstr(err, "mmcli -L -J: not JSON"));
        assert_int_equal(agent_mmcli_list("{\"modems\":[]}", ids, 4, err, sizeof(err)), MB_EPROTO);
        assert_non_null(strstr(err, "modem-list"));
        assert_int_equal(agent_mmcli_modem("{\"modem\":{}}", "wwan0", &m, err, sizeof(err)),
                         MB_EPROTO);
        assert_non_null(strstr(err, "mmcli -m N -J: no \"modem\".\"generic\""));
        /* a signal that is no percent is unknown, not a number made up */
        assert_int_equal(agent_mmcli_modem("{\"modem\":{\"generic\":{\"ports\":[\"wwan0 (net)\"],"
                                           "\"signal-quality\":{\"value\":\"180\"},"
                                           "\"state\":\"con\\u0001nected\"}}}",
                                           "wwan0", &m, err, sizeof(err)),
                         1);
        assert_int_equal(m.signal_pct, -1);
        assert_string_equal(m.state, "con?nected");
}

static void uqmi_signal_and_serving(void **state)
{
        char *sig = slurp("uqmi-signal.json"), *srv = slurp("uqmi-serving.json"), err[200];
        struct agent_modem m;

        agent_modem_init(&m, "uqmi");
        assert_int_equal(agent_uqmi_signal(sig, &m, err, sizeof(err)), MB_OK);
        assert_int_equal(m.rssi_dbm, -97);
        assert_int_equal(m.signal_pct, agent_rssi_pct(-97));
        assert_string_equal(m.technology, "lte");
        assert_int_equal(agent_uqmi_serving(srv, &m, err, sizeof(err)), MB_OK);
        assert_string_equal(m.operator_code, "46001");
        assert_string_equal(m.operator_name, "CHN-UNICOM");
        assert_string_equal(m.registration, "home");
        assert_int_equal(agent_uqmi_signal("\"lte\"", &m, err, sizeof(err)), MB_EPROTO);
        assert_non_null(strstr(err, "uqmi --get-signal-info"));
        /* ModemManager's scale: -113 dBm and below 0, -51 and above 100 */
        assert_int_equal(agent_rssi_pct(-120), 0);
        assert_int_equal(agent_rssi_pct(-51), 100);
        assert_int_equal(agent_rssi_pct(-82), 50);
        free(sig);
        free(srv);
}

static void tool_output_status_and_timeout(void **state)
{
        char dir[] = "/tmp/mb-uplink-XXXXXX", path[256], script[256], out[64], err[128];
        FILE *f;
        int child;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/tool", dir);
        write_file(path, "#!/bin/sh\necho \"$1 out\"; echo \"$1 err\" >&2; exit \"$2\"\n", 0755);
        assert_int_equal(agent_tool_run((char *const[]){path, "a", "0", NULL}, 5000, out,
                                        sizeof(out), err, sizeof(err)),
                         0);
        assert_string_equal(out, "a out\n");
        assert_int_equal(agent_tool_run((char *const[]){path, "b", "3", NULL}, 5000, out,
                                        sizeof(out), err, sizeof(err)),
                         3);
        assert_string_equal(err, "b err");
        /* not exec: the shell's child must die with it */
        snprintf(script, sizeof(script),
                 "#!/bin/sh\necho started; sleep 30 & echo $! >%s/child; wait\n", dir);
        write_file(path, script, 0755);
        assert_int_equal(
            agent_tool_run((char *const[]){path, NULL}, 300, out, sizeof(out), err, sizeof(err)),
            MB_ETIMEDOUT);
        assert_non_null(strstr(err, "killed"));
        snprintf(script, sizeof(script), "%s/child", dir);
        assert_non_null(f = fopen(script, "r"));
        assert_int_equal(fscanf(f, "%d", &child), 1);
        fclose(f);
        for (int i = 0; i < 100 && kill(child, 0) == 0; i++)
                usleep(20000); /* until init reaps it */
        assert_int_not_equal(kill(child, 0), 0);
        snprintf(path, sizeof(path), "%s/absent", dir);
        assert_int_equal(
            agent_tool_run((char *const[]){path, NULL}, 200, out, sizeof(out), err, sizeof(err)),
            MB_EIO);
        assert_non_null(strstr(err, "cannot run"));
        snprintf(path, sizeof(path), "rm -rf %s", dir);
        assert_int_equal(system(path), 0);
}

/* A sysfs of three interfaces under dir. */
static void fake_sys(const char *dir)
{
        static const char *const files[][2] = {{"wwan0/uevent", "DEVTYPE=wwan\nINTERFACE=wwan0\n"},
                                               {"wwan0/type", "65534\n"},
                                               {"wlan0/uevent", "DEVTYPE=wlan\n"},
                                               {"wlan0/type", "1\n"},
                                               {"eth0/uevent", "INTERFACE=eth0\n"},
                                               {"eth0/type", "1\n"},
                                               {"lo/type", "772\n"}};
        char path[512];

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(path, sizeof(path), "mkdir -p %s/class/net/%.*s", dir,
                         (int)strcspn(files[i][0], "/"), files[i][0]);
                assert_int_equal(system(path), 0);
                snprintf(path, sizeof(path), "%s/class/net/%s", dir, files[i][0]);
                write_file(path, files[i][1], 0644);
        }
        snprintf(path, sizeof(path), "mkdir -p %s/class/net/wwan0/device/usbmisc/cdc-wdm1", dir);
        assert_int_equal(system(path), 0);
}

static void kind_and_qmi_device_from_sysfs(void **state)
{
        char dir[] = "/tmp/mb-uplink-XXXXXX", dev[64], cmd[128];

        assert_non_null(mkdtemp(dir));
        fake_sys(dir);
        assert_string_equal(agent_uplink_kind(dir, "wwan0"), "cellular");
        assert_string_equal(agent_uplink_kind(dir, "wlan0"), "wifi");
        assert_string_equal(agent_uplink_kind(dir, "eth0"), "ethernet");
        assert_string_equal(agent_uplink_kind(dir, "lo"), "loopback");
        assert_string_equal(agent_uplink_kind(dir, "tun0"), "other");
        assert_int_equal(agent_uplink_qmi_dev(dir, "wwan0", dev, sizeof(dev)), MB_OK);
        assert_string_equal(dev, "/dev/cdc-wdm1");
        assert_int_equal(agent_uplink_qmi_dev(dir, "eth0", dev, sizeof(dev)), MB_ENOENT);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

static int count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        int n = 0, c;

        while (f && (c = fgetc(f)) != EOF)
                n += c == '\n';
        if (f)
                fclose(f);
        return n;
}

/* The route to 127.0.0.1 is over lo; a fake mmcli on PATH claims lo as its
 * modem's port.  Looked at once per period, and sooner after a failure. */
static void looks_once_a_period(void **state)
{
        char dir[] = "/tmp/mb-uplink-XXXXXX", path[512], script[1024], runs[300], *old;
        struct agent_uplink_opts o = {"http://127.0.0.1:1/", "auto", NULL, 300000, 5000};
        agent_uplink *u;
        json_object *j, *v;

        assert_non_null(mkdtemp(dir));
        snprintf(runs, sizeof(runs), "%s/runs", dir);
        snprintf(script, sizeof(script),
                 "#!/bin/sh\necho \"$*\" >>%s\ncase \"$*\" in\n"
                 "'-L -J') cat %s/mmcli-L.json ;;\n"
                 "'-m 0 -J') sed 's/wwan0 (net)/lo (net)/' %s/mmcli-m0.json ;;\n"
                 "*) echo \"error: $*\" >&2; exit 1 ;;\nesac\n",
                 runs, MB_UPLINK_DATA, MB_UPLINK_DATA);
        snprintf(path, sizeof(path), "%s/mmcli", dir);
        write_file(path, script, 0755);
        old = strdup(getenv("PATH"));
        setenv("PATH", dir, 1);
        u = agent_uplink_new(&o);
        setenv("PATH", old, 1);
        free(old);
        assert_non_null(u);
        j = agent_uplink_json(u, 1000, 0);
        assert_true(json_object_object_get_ex(j, "interface", &v));
        assert_string_equal(json_object_get_string(v), "lo");
        assert_true(json_object_object_get_ex(j, "kind", &v));
        assert_string_equal(json_object_get_string(v), "cellular");
        assert_true(json_object_object_get_ex(j, "signal_pct", &v));
        assert_int_equal(json_object_get_int(v), 18);
        assert_true(json_object_object_get_ex(j, "operator", &v));
        assert_string_equal(json_object_get_string(v), "CHINA MOBILE");
        json_object_put(j);
        assert_int_equal(count_lines(runs), 2); /* -L, then -m 0 */
        /* the next uploads within the period: what was seen, no tool run */
        j = agent_uplink_json(u, 1000 + 299000, 0);
        assert_true(json_object_object_get_ex(j, "retries", &v));
        assert_int_equal(json_object_get_int(v), 0);
        json_object_put(j);
        assert_int_equal(count_lines(runs), 2);
        /* after a failed upload, a minute is old enough */
        json_object_put(agent_uplink_json(u, 1000 + 61000, 2));
        assert_int_equal(count_lines(runs), 4);
        agent_uplink_free(u);
        snprintf(path, sizeof(path), "rm -rf %s", dir);
        assert_int_equal(system(path), 0);
}

/* No tool on PATH is not an error: the interface is still reported. */
static void no_tool_reports_the_interface(void **state)
{
        struct agent_uplink_opts o = {"http://[::1]:1/", "auto", NULL, 300000, 5000};
        char *old = strdup(getenv("PATH"));
        agent_uplink *u;
        json_object *j, *v;

        setenv("PATH", "/nonexistent", 1);
        u = agent_uplink_new(&o);
        setenv("PATH", old, 1);
        free(old);
        assert_non_null(u);
        j = agent_uplink_json(u, 0, 1);
        if (json_object_object_get_ex(j, "interface", &v)) /* a host without IPv6: none */
                assert_string_equal(json_object_get_string(v), "lo");
        assert_false(json_object_object_get_ex(j, "signal_pct", &v));
        assert_true(json_object_object_get_ex(j, "retries", &v));
        assert_int_equal(json_object_get_int(v), 1);
        json_object_put(j);
        agent_uplink_free(u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(mmcli_list_and_modem),
            cmocka_unit_test(mmcli_searching_leaves_unknowns_out),
            cmocka_unit_test(mmcli_bad_output_is_named),
            cmocka_unit_test(uqmi_signal_and_serving),
            cmocka_unit_test(tool_output_status_and_timeout),
            cmocka_unit_test(kind_and_qmi_device_from_sysfs),
            cmocka_unit_test(looks_once_a_period),
            cmocka_unit_test(no_tool_reports_the_interface),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
