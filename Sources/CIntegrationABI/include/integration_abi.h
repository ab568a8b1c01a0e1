/*
 * integration_abi.h: the one thing a compiled integration plugin and integration-host share.
 *
 * A plugin is a shared library (.so on Linux, .dylib on macOS) dropped into the integrations directory. It exports
 * one C function:
 *
 *     const struct integration_plugin *integration_plugin_v1(void);
 *
 * The host calls it once, right after dlopen, and checks the descriptor it returns (abi_version, struct_size, name,
 * commands, routes). Then, for every notification addressed to the plugin, the host calls
 *
 *     descriptor->handle(request, request_len, api, host_ctx)
 *
 * on one of its plugin worker threads. Calls for the same plugin run concurrently on several threads: handle must
 * be thread-safe, and keeps shared state in the host's storage (whose increment and compare-and-set are atomic)
 * rather than in globals.
 *
 * Ownership and lifetime, for every buffer:
 *
 *  - The descriptor, and every string and array it points to, belong to the plugin and must stay valid and
 *    unchanged for the life of the process (static storage, or allocated once and never freed). The host reads
 *    them at load time and again later; it never writes or frees them.
 *  - `request` belongs to the host. It is valid only until handle returns, is `request_len` bytes of UTF-8 JSON,
 *    and is also NUL-terminated (request[request_len] == 0) for convenience.
 *  - Every buffer the host hands out through `struct integration_string` (storage values, the key list, tokens)
 *    belongs to the host: it is valid only until the current handle call returns, is NUL-terminated at
 *    data[length], and must not be written to or freed by the plugin. Copy what you want to keep.
 *  - Every buffer the plugin passes to a host_api function (keys, JSON values, messages, reply text) belongs to
 *    the plugin and is given as pointer plus explicit length; it need not be NUL-terminated. The host copies what
 *    it keeps before the function returns, so the plugin may free or reuse the buffer right away.
 *  - `api` and `host_ctx` are valid only until handle returns. Call the api only during the handle call (from the
 *    thread running it, or from threads it waits for before returning), and always pass the host_ctx you got.
 *
 * Text is UTF-8 everywhere. Storage values, the key list and reply options are JSON text.
 *
 * Building: plugins written in Swift must be built with the same Swift toolchain as the host (Swift has no stable
 * ABI on Linux). Plugins in C need only this header. The host loads plugins with
 * dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE), never unloads them, and loads a changed file by copying it to a
 * fresh name first, so an old version keeps running until its calls return.
 */
#ifndef INTEGRATION_ABI_H
#define INTEGRATION_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. A plugin built against another version is refused at load time. */
#define INTEGRATION_ABI_VERSION 1

/** The name of the symbol a plugin exports, as a string for dlsym. */
#define INTEGRATION_PLUGIN_SYMBOL "integration_plugin_v1"

/**
 * Status codes returned by host_api functions. Zero is success; failures are negative, so they never collide with
 * the HTTP statuses handle may return.
 */
enum integration_status {
    INTEGRATION_OK = 0,
    /** storage_get, storage_delete, token: there is no such key or token. */
    INTEGRATION_NOT_FOUND = -1,
    /** A JSON argument (value, expected value, reply options) is not valid JSON. */
    INTEGRATION_INVALID_JSON = -2,
    /** storage_increment: the key holds something other than a number. */
    INTEGRATION_TYPE_MISMATCH = -3,
    /** A required pointer is NULL, a key is empty, or text is not valid UTF-8. */
    INTEGRATION_INVALID_ARGUMENT = -4,
    /** storage_compare_and_set: the key did not hold the expected value; nothing changed. */
    INTEGRATION_CONFLICT = -5,
    /** storage_set, storage_increment, storage_compare_and_set: the write would pass the plugin's storage quota
     *  (keys or bytes); nothing changed. Added after version 1 without changing it: older plugins see a failure. */
    INTEGRATION_QUOTA_EXCEEDED = -6,
};

/** Log levels for host_api.log, from most to least verbose (the host's LOG_LEVEL filters them). */
enum integration_log_level {
    INTEGRATION_LOG_TRACE = 0,
    INTEGRATION_LOG_DEBUG = 1,
    INTEGRATION_LOG_INFO = 2,
    INTEGRATION_LOG_NOTICE = 3,
    INTEGRATION_LOG_WARNING = 4,
    INTEGRATION_LOG_ERROR = 5,
};

/** A host-owned string handed to the plugin: `length` bytes at `data`, NUL-terminated, valid until handle returns. */
struct integration_string {
    const char *data;
    size_t length;
};

/**
 * What the host offers a running plugin. Every function takes the `host_ctx` that handle received.
 *
 * Check `struct_size` before using a member added after version 1: a member is present when
 * offsetof(struct integration_host_api, member) < struct_size.
 */
struct integration_host_api {
    /** INTEGRATION_ABI_VERSION of the host. */
    uint32_t abi_version;
    /** sizeof(struct integration_host_api) in the host. */
    uint32_t struct_size;

    /** Writes one line to the host's log, tagged with the plugin name and request id. `level` is an
     *  integration_log_level; other values log as error. Tokens the host knows are redacted. */
    void (*log)(void *host_ctx, int32_t level, const char *message, size_t message_len);

    /** Reads `key` of the plugin's storage namespace into `*value_json` (JSON text, host-owned).
     *  INTEGRATION_OK, INTEGRATION_NOT_FOUND (value_json is then {NULL, 0}) or INTEGRATION_INVALID_ARGUMENT. */
    int32_t (*storage_get)(void *host_ctx, const char *key, size_t key_len, struct integration_string *value_json);

    /** Sets `key` to the JSON value `value_json`. INTEGRATION_OK, INTEGRATION_INVALID_JSON,
     *  INTEGRATION_QUOTA_EXCEEDED or INTEGRATION_INVALID_ARGUMENT. */
    int32_t (*storage_set)(void *host_ctx, const char *key, size_t key_len, const char *value_json,
                           size_t value_len);

    /** Removes `key`. INTEGRATION_OK if it was there, INTEGRATION_NOT_FOUND if not. */
    int32_t (*storage_delete)(void *host_ctx, const char *key, size_t key_len);

    /** The namespace's keys as a sorted JSON array of strings (host-owned). INTEGRATION_OK. */
    int32_t (*storage_keys)(void *host_ctx, struct integration_string *keys_json);

    /** Atomically adds `delta` to the number at `key` (a missing key counts as 0) and stores the result in
     *  `*new_value` when it is not NULL. INTEGRATION_OK, INTEGRATION_TYPE_MISMATCH or INTEGRATION_INVALID_ARGUMENT. */
    int32_t (*storage_increment)(void *host_ctx, const char *key, size_t key_len, double delta, double *new_value);

    /** Atomically sets `key` to `new_json` if it currently holds `expected_json`. Values are compared as JSON
     *  documents, not as text. `expected_json == NULL` means "the key is absent"; `new_json == NULL` deletes the
     *  key. INTEGRATION_OK (swapped), INTEGRATION_CONFLICT (not swapped), INTEGRATION_INVALID_JSON or
     *  INTEGRATION_INVALID_ARGUMENT. */
    int32_t (*storage_compare_and_set)(void *host_ctx, const char *key, size_t key_len, const char *expected_json,
                                       size_t expected_len, const char *new_json, size_t new_len);

    /** Sets the reply (a later call replaces an earlier one). `text` is what the chat shows. `options_json` may be
     *  NULL, or a JSON object with any of:
     *    "color": "yellow" | "green" | "red" | "purple" | "gray" | "random"   (HipChat)
     *    "notify": true | false                                                (HipChat)
     *    "visibility": "ephemeral" | "in_channel"   (Slack, Mattermost; absent: the platform's default)
     *    "json": { ... }       a platform-specific body sent as it is instead of rendering `text`
     *    "status": 200..599    the HTTP status for generic webhooks
     *    "headers": { "Name": "value", ... }  extra response headers for generic webhooks
     *  INTEGRATION_OK, INTEGRATION_INVALID_JSON or INTEGRATION_INVALID_ARGUMENT. */
    int32_t (*reply)(void *host_ctx, const char *text, size_t text_len, const char *options_json,
                     size_t options_len);

    /** Looks up a token into `*value` (host-owned). With `name == NULL` it is the plugin's own token (the one
     *  configured for this room and this integration); otherwise the global token called `name`.
     *  INTEGRATION_OK or INTEGRATION_NOT_FOUND (value is then {NULL, 0}). Never log token values. */
    int32_t (*token)(void *host_ctx, const char *name, size_t name_len, struct integration_string *value);

    /** Gives the message for a failing handle call (a later call replaces an earlier one). The host answers with
     *  {"error": message} and the status handle returned. */
    void (*error)(void *host_ctx, const char *message, size_t message_len);
};

/** An HTTP route the plugin answers besides /hooks/NAME. */
struct integration_route {
    /** A path pattern such as "/deploy/<env>": literal segments and named parameters of one whole segment. */
    const char *pattern;
    /** Comma-separated methods such as "POST" or "GET,POST"; NULL means "POST". */
    const char *methods;
};

/**
 * Handles one notification. `request` is a JSON object (see below); `api` and `host_ctx` give storage, logging,
 * tokens and the reply.
 *
 * Returns 0 on success: the reply set with api->reply is sent, or none if reply was not called. Any other value
 * fails the request: a value from 400 to 599 is used as the HTTP status, anything else becomes 500, and the body
 * is {"error": message} with the message given to api->error (or a generic one).
 *
 * The request object has these members (absent values are null):
 *   "abi_version":      1
 *   "integration":      the plugin's name
 *   "request_id":       the host's id for this request, also sent back as X-Request-Id
 *   "query":            what followed the command ("/echo hello" -> "hello"), or the whole text for routes
 *   "token":            this integration's token for this room, or null
 *   "all_tokens":       {"global": {"NAME": "value", ...},
 *                        "rooms": [{"room": "1234", "integration": "name", "value": "..."}, ...]}
 *   "route_parameters": {"env": "prod", ...}  (empty unless a route with parameters matched)
 *   "method", "path":   the HTTP request's method ("POST") and percent-decoded path ("/deploy/prod")
 *   "notification": {    (the same shape manifests see as {{notification.…}})
 *       "platform":     "hipchat" | "slack" | "mattermost" | "teams" | "github" | "gitlab" | "generic"
 *       "team", "command", "response_url", "event": strings or null
 *       "text":         the message text
 *       "channel":      {"id": "...", "name": "..."} or null
 *       "sender":       {"id": "...", "name": "...", "handle": "..."} or null
 *       "timestamp":    "2023-11-14T22:13:20Z" (UTC, with milliseconds when there are any) or null
 *       "headers":      {"content-type": "...", ...}  names lowercased, repeated fields joined with ", "
 *       "raw_body":     the body as text (invalid UTF-8 replaced by U+FFFD)
 *       "payload":      the decoded body: the JSON document, or form fields as an object of strings
 *       "hipchat":      for HipChat room_message notifications, {"sender_id": 123, "sender_name": "...",
 *                       "mention_name": "...", "room_id": 123, "room_name": "...", "message": "...",
 *                       "date": "2017-05-30T17:14:12.417069+00:00"}, else null
 *   }
 * Hosts may add members; plugins ignore the ones they do not know.
 */
typedef int32_t (*integration_handle_fn)(const char *request, size_t request_len,
                                         const struct integration_host_api *api, void *host_ctx);

/** What a plugin is: returned by integration_plugin_v1(). All of it must live as long as the process. */
struct integration_plugin {
    /** INTEGRATION_ABI_VERSION the plugin was built against. */
    uint32_t abi_version;
    /** sizeof(struct integration_plugin) in the plugin; the host refuses smaller ones. */
    uint32_t struct_size;
    /** The catalog name, [A-Za-z0-9_-]{1,64}, unique in the integrations directory. NUL-terminated. */
    const char *name;
    /** One line for listings and logs. NUL-terminated; may be NULL. */
    const char *description;
    /** The slash commands it answers, without slashes, each [A-Za-z0-9_-]{1,64}. With command_count == 0 it
     *  answers its name. */
    const char *const *commands;
    size_t command_count;
    /** Extra HTTP routes; route_count may be 0 and routes NULL. */
    const struct integration_route *routes;
    size_t route_count;
    /** Handles one notification; see integration_handle_fn. Must not be NULL. */
    integration_handle_fn handle;
};

/** The one symbol a plugin exports. Must return the same descriptor every time, never NULL. */
typedef const struct integration_plugin *(*integration_plugin_v1_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* INTEGRATION_ABI_H */
