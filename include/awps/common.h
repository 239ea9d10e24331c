/* libawps — error codes, version, logging.
 *
 * Thread-safety: every function here may be called from any thread.
 */
#ifndef AWPS_COMMON_H
#define AWPS_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define AWPS_EXPORT __attribute__((visibility("default")))
#else
#define AWPS_EXPORT
#endif

/* Error codes. Values never change; new codes are only ever appended. */
typedef enum awps_code {
    AWPS_OK = 0,            /* success */
    AWPS_E_INVALID = 1,     /* an argument is NULL, out of range or malformed */
    AWPS_E_NOMEM = 2,       /* out of memory */
    AWPS_E_DONE = 3,        /* the reply was already completed (or timed out) */
    AWPS_E_WRONG_EVENT = 4, /* the call does not apply to this event type */
    AWPS_E_NOT_FOUND = 5,   /* no such item (e.g. removing an unknown key) */
    AWPS_E_URL = 6,         /* a URL could not be parsed */
    AWPS_E_BUSY = 7,        /* the object is in use (e.g. already serving) */
    AWPS_E_SYSTEM = 8,      /* a system call failed; see errno */
    AWPS_E_HTTPD = 9,       /* libmicrohttpd refused (e.g. address in use) */
    AWPS_E_NOT_RUNNING = 10,/* the server is not running */
    AWPS_E_TOO_LARGE = 11,  /* a value exceeds a configured limit */
    AWPS_E_CONNSTR = 12,    /* the connection string is not valid */
    AWPS_E_HTTP = 13,       /* the service answered with an error status */
    AWPS_E_TRANSPORT = 14,  /* the service could not be reached */
    AWPS_E_TOKEN = 15,      /* a token could not be signed */
    AWPS_E_LAST_ = 16       /* one past the last code; grows as codes are added */
} awps_code;

/* Short English text for an error code; never NULL, static storage. */
AWPS_EXPORT const char *awps_strerror(int code);

/* Library version as "MAJOR.MINOR.PATCH"; static storage. */
AWPS_EXPORT const char *awps_version(void);

/* Log levels, most severe first. */
typedef enum awps_log_level {
    AWPS_LOG_ERROR = 0,
    AWPS_LOG_WARN = 1,
    AWPS_LOG_INFO = 2,
    AWPS_LOG_DEBUG = 3
} awps_log_level;

/* Log callback: msg is one line without a newline, valid only during the call.
 * May be called from any thread the library runs on. */
typedef void (*awps_log_cb)(void *data, awps_log_level level, const char *msg);

#ifdef __cplusplus
}
#endif
#endif
