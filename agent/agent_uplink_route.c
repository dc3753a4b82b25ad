/* SPDX-License-Identifier: Apache-2.0 */
/* Which interface the route to the server takes, and what kind it is
 * (agent_uplink.h).  The kernel answers the first: a UDP socket connected
 * to the server's address sends nothing but is given the source address
 * its route would use, and that address is one interface's.  Sysfs answers
 * the second. */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"

/* Does the interface address a have the same address as s? */
static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *s)
{
        if (a == NULL || a->sa_family != s->ss_family)
                return 0;
        if (a->sa_family == AF_INET)
                return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                              &((const struct sockaddr_in *)s)->sin_addr,
                              sizeof(struct in_addr)) == 0;
        if (a->sa_family == AF_INET6)
                return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                              &((const struct sockaddr_in6 *)s)->sin6_addr,
                              sizeof(struct in6_addr)) == 0;
        return 0;
}

/* The name of the interface holding local address s into buf. */
static int iface_of(const struct sockaddr_storage *s, char *buf, size_t len)
{
        struct ifaddrs *all, *i;
        int rc = MB_ENOENT;

        if (getifaddrs(&all) != 0)
                return MB_EIO;
        for (i = all; i && rc != MB_OK; i = i->ifa_next)
                if (same_addr(i->ifa_addr, s) && strlen(i->ifa_name) < len) {
                        strcpy(buf, i->ifa_name);
                        rc = MB_OK;
                }
        freeifaddrs(all);
        return rc;
}

int agent_uplink_route(const char *host, char *buf, size_t len, char *err, size_t errlen)
{
        struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG}, *ai, *p;
        int rc, found = MB_ENOENT;

        buf[0] = '\0';
        if ((rc = getaddrinfo(host, "9", &hints, &ai)) != 0) {
                snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
                return MB_ENOENT;
        }
        for (p = ai; p && found != MB_OK; p = p->ai_next) {
                struct sockaddr_storage local;
                socklen_t sl = sizeof(local);
                int fd = socket(p->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                if (fd < 0)
                        continue;
                if (connect(fd, p->ai_addr, p->ai_addrlen) == 0 &&
                    getsockname(fd, (struct sockaddr *)&local, &sl) == 0)
                        found = iface_of(&local, buf, len);
                close(fd);
        }
        freeaddrinfo(ai);
        if (found != MB_OK)
                snprintf(err, errlen, "no route to %s from any interface", host);
        return found;
}

/* The first line of SYS/class/net/IFACE/NAME into buf ("" when absent). */
static void sys_read(const char *sys, const char *iface, const char *name, char *buf, size_t len)
{
        char path[512];
        FILE *f;

        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/class/net/%s/%s", sys, iface, name);
        if ((f = fopen(path, "r")) == NULL)
                return;
        if (fgets(buf, (int)len, f) == NULL)
                buf[0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
}

/* DEVTYPE= of the interface's uevent ("wwan", "wlan", ...) into buf. */
static void devtype(const char *sys, const char *iface, char *buf, size_t len)
{
        char path[512], line[128];
        FILE *f;

        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/class/net/%s/uevent", sys, iface);
        if ((f = fopen(path, "r")) == NULL)
                return;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "DEVTYPE=", 8) == 0) {
                        snprintf(buf, len, "%.*s", (int)strcspn(line + 8, "\n"), line + 8);
                        break;
                }
        fclose(f);
}

const char *agent_uplink_kind(const char *sys, const char *iface)
{
        char dt[32], type[16], path[512];
        struct stat st;

        devtype(sys, iface, dt, sizeof(dt));
        /* usbnet drivers of modems (qmi_wwan, cdc_mbim, ...) say wwan */
        if (strcmp(dt, "wwan") == 0)
                return "cellular";
        snprintf(path, sizeof(path), "%s/class/net/%s/wireless", sys, iface);
        if (strcmp(dt, "wlan") == 0 || stat(path, &st) == 0)
                return "wifi";
        sys_read(sys, iface, "type", type, sizeof(type));
        if (strcmp(type, "772") == 0) /* ARPHRD_LOOPBACK */
                return "loopback";
        if (strcmp(type, "1") == 0) /* ARPHRD_ETHER */
                return "ethernet";
        return "other";
}

int agent_uplink_qmi_dev(const char *sys, const char *iface, char *buf, size_t len)
{
        /* qmi_wwan's control port sits beside the net device: usbmisc/ on
         * current kernels, usb/ on old ones. */
        static const char *const dirs[] = {"device/usbmisc", "device/usb"};

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char path[512];
                struct dirent **names;
                int n;

                snprintf(path, sizeof(path), "%s/class/net/%s/%s", sys, iface, dirs[i]);
                if ((n = scandir(path, &names, NULL, alphasort)) < 0)
                        continue;
                buf[0] = '\0';
                for (int k = 0; k < n; k++) {
                        if (!buf[0] && strncmp(names[k]->d_name, "cdc-wdm", 7) == 0)
                                snprintf(buf, len, "/dev/%s", names[k]->d_name);
                        free(names[k]);
                }
                free(names);
                if (buf[0])
                        return MB_OK;
        }
        return MB_ENOENT;
}
