#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>

// curl_easy_setopt and curl_easy_getinfo are variadic; each wrapper calls them with one fixed argument type.
typedef int (*setopt_function)(void *, int, ...);
typedef int (*getinfo_function)(void *, int, ...);

static struct {
    int loaded;
    int (*global_init)(long);
    void *(*easy_init)(void);
    void (*easy_cleanup)(void *);
    int (*easy_perform)(void *);
    setopt_function easy_setopt;
    getinfo_function easy_getinfo;
    const char *(*easy_strerror)(int);
    void *(*slist_append)(void *, const char *);
    void (*slist_free_all)(void *);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    curl.global_init = (int (*)(long))dlsym(library, "curl_global_init");
    curl.easy_init = (void *(*)(void))dlsym(library, "curl_easy_init");
    curl.easy_cleanup = (void (*)(void *))dlsym(library, "curl_easy_cleanup");
    curl.easy_perform = (int (*)(void *))dlsym(library, "curl_easy_perform");
    curl.easy_setopt = (setopt_function)dlsym(library, "curl_easy_setopt");
    curl.easy_getinfo = (getinfo_function)dlsym(library, "curl_easy_getinfo");
    curl.easy_strerror = (const char *(*)(int))dlsym(library, "curl_easy_strerror");
    curl.slist_append = (void *(*)(void *, const char *))dlsym(library, "curl_slist_append");
    curl.slist_free_all = (void (*)(void *))dlsym(library, "curl_slist_free_all");
    if (!curl.global_init || !curl.easy_init || !curl.easy_cleanup || !curl.easy_perform || !curl.easy_setopt
        || !curl.easy_getinfo || !curl.easy_strerror || !curl.slist_append || !curl.slist_free_all) {
        return;
    }
    // CURL_GLOBAL_ALL; reference-counted by libcurl, so FoundationNetworking's own call is unaffected.
    curl.loaded = curl.global_init(3) == 0;
}

int ccurl_load(void) {
    pthread_once(&load_once, load);
    return curl.loaded;
}

void *ccurl_easy_init(void) { return curl.easy_init(); }
void ccurl_easy_cleanup(void *handle) { curl.easy_cleanup(handle); }
long ccurl_easy_perform(void *handle) { return curl.easy_perform(handle); }
long ccurl_setopt_long(void *handle, long option, long value) { return curl.easy_setopt(handle, (int)option, value); }
long ccurl_setopt_offset(void *handle, long option, int64_t value) { return curl.easy_setopt(handle, (int)option, value); }
long ccurl_setopt_pointer(void *handle, long option, const void *value) { return curl.easy_setopt(handle, (int)option, value); }
long ccurl_setopt_data_callback(void *handle, long option, ccurl_data_callback callback) {
    return curl.easy_setopt(handle, (int)option, callback);
}
long ccurl_setopt_progress_callback(void *handle, long option, ccurl_progress_callback callback) {
    return curl.easy_setopt(handle, (int)option, callback);
}
long ccurl_setopt_socket_callback(void *handle, long option, ccurl_socket_callback callback) {
    return curl.easy_setopt(handle, (int)option, callback);
}
long ccurl_setopt_close_callback(void *handle, long option, ccurl_close_callback callback) {
    return curl.easy_setopt(handle, (int)option, callback);
}

long ccurl_response_code(void *handle) {
    long code = 0;
    // CURLINFO_RESPONSE_CODE = CURLINFO_LONG (0x200000) + 2
    if (curl.easy_getinfo(handle, 0x200002, &code) != 0) return 0;
    return code;
}

const char *ccurl_strerror(long code) { return curl.easy_strerror((int)code); }
void *ccurl_slist_append(void *list, const char *line) { return curl.slist_append(list, line); }
void ccurl_slist_free_all(void *list) { curl.slist_free_all(list); }
