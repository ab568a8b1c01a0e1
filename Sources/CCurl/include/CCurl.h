// libcurl's easy interface, loaded at run time from the libcurl.so.4 that the toolchain's FoundationNetworking
// already links against (no curl headers or -lcurl needed). Only what HTTPClient uses is here; the option numbers
// are libcurl's stable ABI (curl/curl.h).
#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>
#include <stdint.h>

enum {
    CCURLOPT_URL = 10002,
    CCURLOPT_WRITEDATA = 10001,
    CCURLOPT_ERRORBUFFER = 10010,
    CCURLOPT_WRITEFUNCTION = 20011,
    CCURLOPT_HTTPHEADER = 10023,
    CCURLOPT_HEADERDATA = 10029,
    CCURLOPT_CUSTOMREQUEST = 10036,
    CCURLOPT_NOPROGRESS = 43,
    CCURLOPT_NOBODY = 44,
    CCURLOPT_FOLLOWLOCATION = 52,
    CCURLOPT_XFERINFODATA = 10057,
    CCURLOPT_HEADERFUNCTION = 20079,
    CCURLOPT_NOSIGNAL = 99,
    CCURLOPT_MAXFILESIZE_LARGE = 30117,
    CCURLOPT_POSTFIELDSIZE_LARGE = 30120,
    CCURLOPT_SOCKOPTFUNCTION = 20148,
    CCURLOPT_SOCKOPTDATA = 10149,
    CCURLOPT_COPYPOSTFIELDS = 10165,
    CCURLOPT_PROTOCOLS = 181,
    CCURLOPT_CLOSESOCKETFUNCTION = 20208,
    CCURLOPT_CLOSESOCKETDATA = 10209,
    CCURLOPT_XFERINFOFUNCTION = 20219,
};

enum {
    CCURLPROTO_HTTP = 1,
    CCURLPROTO_HTTPS = 2,
    CCURLE_OK = 0,
    CCURLE_WRITE_ERROR = 23,
    CCURLE_ABORTED_BY_CALLBACK = 42,
    CCURLE_FILESIZE_EXCEEDED = 63,
    CCURL_ERROR_SIZE = 256,
};

/// Body and header bytes: return `size * count` to go on, anything else to stop the transfer.
typedef size_t (*ccurl_data_callback)(char *bytes, size_t size, size_t count, void *context);
/// Called often while bytes move and about once a second when idle: nonzero stops the transfer.
typedef int (*ccurl_progress_callback)(void *context, int64_t download_total, int64_t downloaded,
                                       int64_t upload_total, int64_t uploaded);
/// Called with each socket curl opens, before it connects: 0 to go on, 1 to fail the transfer.
typedef int (*ccurl_socket_callback)(void *context, int fd, int purpose);
/// Called instead of close(2) for each socket curl is done with: close it and return 0.
typedef int (*ccurl_close_callback)(void *context, int fd);

/// Loads libcurl.so.4 once (thread-safe); 0 if it or one of its functions is missing.
int ccurl_load(void);

void *ccurl_easy_init(void);
void ccurl_easy_cleanup(void *handle);
long ccurl_easy_perform(void *handle);
long ccurl_setopt_long(void *handle, long option, long value);
long ccurl_setopt_offset(void *handle, long option, int64_t value);
long ccurl_setopt_pointer(void *handle, long option, const void *value);
long ccurl_setopt_data_callback(void *handle, long option, ccurl_data_callback callback);
long ccurl_setopt_progress_callback(void *handle, long option, ccurl_progress_callback callback);
long ccurl_setopt_socket_callback(void *handle, long option, ccurl_socket_callback callback);
long ccurl_setopt_close_callback(void *handle, long option, ccurl_close_callback callback);
/// CURLINFO_RESPONSE_CODE of the last response, 0 if none.
long ccurl_response_code(void *handle);
const char *ccurl_strerror(long code);
void *ccurl_slist_append(void *list, const char *line);
void ccurl_slist_free_all(void *list);

#endif
