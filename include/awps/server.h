/* libawps — serving handlers over HTTP with libmicrohttpd.
 *
 * Two ways: awps_server, a standalone server for one or more hubs; or
 * awps_mhd, glue that mounts handlers inside an application's own MHD daemon,
 * where requests that are not Web PubSub requests go on to the application's
 * own access handler (the `next()` of express).
 *
 * Thread-safety: configure before starting; awps_server_port(),
 * awps_server_in_flight(), awps_server_stop(), awps_server_set_body_memory(),
 * awps_mhd_in_flight(), awps_mhd_drain() and awps_mhd_set_body_memory() may
 * be called from any thread, also while serving.
 */
#ifndef AWPS_SERVER_H
#define AWPS_SERVER_H

#include <stddef.h>
#include <microhttpd.h>
#include <awps/common.h>
#include <awps/handler.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- glue for an application's own MHD daemon ---- */

typedef struct awps_mhd awps_mhd;

/* New glue. `next` (may be NULL: then declined requests get 404) is the
 * application's own access handler, called with its own *con_cls slot for
 * every request the handlers decline. */
AWPS_EXPORT awps_mhd *awps_mhd_new(MHD_AccessHandlerCallback next, void *next_cls);
/* Mount a handler (the glue takes its own reference). Before serving. */
AWPS_EXPORT int awps_mhd_add_handler(awps_mhd *m, awps_handler *h);
/* The application's request-completed callback, chained for its requests. */
AWPS_EXPORT void awps_mhd_set_completed(awps_mhd *m, MHD_RequestCompletedCallback cb,
                                        void *cls);
AWPS_EXPORT void awps_mhd_set_log(awps_mhd *m, awps_log_cb cb, void *data,
                                  awps_log_level max_level);
/* Tell the glue the daemon's MHD_OPTION_CONNECTION_MEMORY_LIMIT (default:
 * libmicrohttpd's 32 KiB; at least 1024). An answer whose headers (a large
 * ce-connectionState) would not fit in it beside the request's is answered
 * 500 with the reason instead: libmicrohttpd would close the connection. */
AWPS_EXPORT int awps_mhd_set_connection_memory(awps_mhd *m, size_t bytes);
/* Limit the memory the bodies of all requests in flight may take at once
 * (default AWPS_DEFAULT_BODY_MEMORY, 256 MiB; more than 0): a request whose
 * body would go over it is answered 503 and no callback runs. A body
 * counts from its first byte until its request is over (a held reply's
 * too). May be called at any time. */
#define AWPS_DEFAULT_BODY_MEMORY ((size_t)256 * 1024 * 1024)
AWPS_EXPORT int awps_mhd_set_body_memory(awps_mhd *m, size_t bytes);
/* Pass these two to MHD_start_daemon with the glue as their cls; the daemon
 * needs MHD_ALLOW_SUSPEND_RESUME for replies completed after the callback. */
AWPS_EXPORT enum MHD_Result awps_mhd_access(void *cls, struct MHD_Connection *c,
                                            const char *url, const char *method,
                                            const char *version, const char *upload_data,
                                            size_t *upload_data_size, void **con_cls);
AWPS_EXPORT void awps_mhd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                    enum MHD_RequestTerminationCode toe);
/* Requests the glue has accepted and not yet finished. */
AWPS_EXPORT unsigned awps_mhd_in_flight(const awps_mhd *m);
/* Refuse new requests (503), wait up to timeout_ms for those accepted
 * before to finish, then answer the replies still pending with 503. Call
 * before MHD_stop_daemon(). AWPS_OK when nothing is left in flight,
 * AWPS_E_BUSY when requests remain (e.g. a client still sending its body). */
AWPS_EXPORT int awps_mhd_drain(awps_mhd *m, unsigned timeout_ms);
/* Free after the daemon has stopped. NULL is ignored. */
AWPS_EXPORT void awps_mhd_free(awps_mhd *m);

/* ---- standalone server ---- */

typedef struct awps_server awps_server;

/* New server: 127.0.0.1:8080, one thread per CPU. NULL on out of memory. */
AWPS_EXPORT awps_server *awps_server_new(void);
AWPS_EXPORT int awps_server_add_handler(awps_server *s, awps_handler *h);
/* Numeric IPv4/IPv6 address (copied) and port; port 0 picks a free port. */
AWPS_EXPORT int awps_server_set_listen(awps_server *s, const char *address, unsigned port);
/* Worker threads (0 = one per CPU the process may run on: its affinity mask). */
AWPS_EXPORT int awps_server_set_threads(awps_server *s, unsigned threads);
/* Memory per connection for the request line, headers and read buffer
 * (default 16 KiB; at least 4 KiB). Requests whose headers do not fit get
 * 431; raise it for large ce-connectionState values. */
AWPS_EXPORT int awps_server_set_connection_memory(awps_server *s, size_t bytes);
/* The limit of awps_mhd_set_body_memory() for this server's requests. */
AWPS_EXPORT int awps_server_set_body_memory(awps_server *s, size_t bytes);
/* Connections served at once (default 4096, or the open-file limit less 64
 * when lower); further ones wait in the listen queue. */
AWPS_EXPORT int awps_server_set_connection_limit(awps_server *s, unsigned connections);
/* Seconds of inactivity after which a connection is closed (default 60;
 * 1 to 86400). Connections waiting for a pending reply are exempt. */
AWPS_EXPORT int awps_server_set_connection_timeout(awps_server *s, unsigned seconds);
/* Handler for requests no hub takes (default: 404 with a reason). */
AWPS_EXPORT int awps_server_set_fallback(awps_server *s, MHD_AccessHandlerCallback cb,
                                         void *cls);
/* Request-completed callback for the fallback's requests (to free what it
 * stored in *con_cls). */
AWPS_EXPORT int awps_server_set_fallback_completed(awps_server *s,
                                                   MHD_RequestCompletedCallback cb, void *cls);
AWPS_EXPORT void awps_server_set_log(awps_server *s, awps_log_cb cb, void *data,
                                     awps_log_level max_level);
/* Start listening; AWPS_E_HTTPD when the address cannot be bound. */
AWPS_EXPORT int awps_server_start(awps_server *s);
/* The bound port once started (the real one for port 0), else 0. */
AWPS_EXPORT unsigned awps_server_port(const awps_server *s);
/* Requests accepted and not yet finished (replies pending included). */
AWPS_EXPORT unsigned awps_server_in_flight(const awps_server *s);
/* Stop taking requests (new ones are answered 503), finish requests in flight up to timeout_ms, answer the rest
 * 503, stop. Returns AWPS_E_NOT_RUNNING when not started. */
AWPS_EXPORT int awps_server_stop(awps_server *s, unsigned timeout_ms);
/* Stops the server if running (5 s grace) and frees it. NULL is ignored. */
AWPS_EXPORT void awps_server_free(awps_server *s);

#ifdef __cplusplus
}
#endif
#endif
