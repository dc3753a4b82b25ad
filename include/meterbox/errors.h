/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterbox error codes, shared by the host, plugins, the server and tools.
 *
 * Functions return MB_OK (0) on success and a negative MB_E* code on failure,
 * so `if (rc < 0)` reads naturally.  mb_strerror() names any code.
 */
#ifndef MB_ERRORS_H
#define MB_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

enum mb_errcode {
        MB_OK = 0,
        MB_EINVAL = -1,    /* bad argument or bad value */
        MB_ENOMEM = -2,    /* out of memory */
        MB_EIO = -3,       /* I/O error on a device, socket or file */
        MB_ETIMEDOUT = -4, /* no answer within the timeout */
        MB_EPROTO = -5,    /* answer received but malformed (checksum, length, garbage) */
        MB_ENOTSUP = -6,   /* operation not supported by this meter or plugin */
        MB_ECONFIG = -7,   /* configuration error (the message names file and line) */
        MB_ENOENT = -8,    /* not found (config key, meter, file) */
        MB_EADDR = -9,     /* answer from a different address than asked */
        MB_EDEVICE = -10,  /* the meter answered with an error/exception code */
        MB_ESTORE = -11,   /* local database error */
        MB_EABI = -12,     /* plugin ABI mismatch */
        MB_EBUSY = -13,    /* resource busy; try again later */
        MB_ENOSPC = -14,   /* storage full */
        MB_ERANGE = -15,   /* value outside its representable or allowed range */
        MB_EEXIST = -16,   /* already exists with different content */
        MB_ESTATE = -17,   /* operation not allowed in the current state */
        MB_EAUTH = -18,    /* authentication or authorisation failed */
};

/* Return a static, never-NULL description of code (unknown codes included).
 * Inline so that plugins can use it without linking against the host. */
static inline const char *mb_strerror(int code)
{
        switch (code) {
        case MB_OK:
                return "success";
        case MB_EINVAL:
                return "invalid argument";
        case MB_ENOMEM:
                return "out of memory";
        case MB_EIO:
                return "I/O error";
        case MB_ETIMEDOUT:
                return "timed out";
        case MB_EPROTO:
                return "protocol error";
        case MB_ENOTSUP:
                return "not supported";
        case MB_ECONFIG:
                return "configuration error";
        case MB_ENOENT:
                return "not found";
        case MB_EADDR:
                return "wrong address";
        case MB_EDEVICE:
                return "device reported an error";
        case MB_ESTORE:
                return "storage error";
        case MB_EABI:
                return "plugin ABI mismatch";
        case MB_EBUSY:
                return "busy";
        case MB_ENOSPC:
                return "storage full";
        case MB_ERANGE:
                return "value out of range";
        case MB_EEXIST:
                return "already exists with different content";
        case MB_ESTATE:
                return "not allowed in the current state";
        case MB_EAUTH:
                return "not authorised";
        default:
                return "unknown error";
        }
}

#ifdef __cplusplus
}
#endif
#endif
