/*
 * A plugin in plain C: `/counter` (or `/count`, or POST /counter) adds one to a counter kept in the host's
 * storage and answers with its new value. It needs only integration_abi.h.
 */
#include <stdio.h>
#include <string.h>

#include "integration_abi.h"

static int32_t handle(const char *request, size_t request_len, const struct integration_host_api *api,
                      void *host_ctx) {
    (void)request;
    (void)request_len;
    if (api->abi_version != INTEGRATION_ABI_VERSION || api->struct_size < sizeof(struct integration_host_api)) {
        return 500;
    }

    double count = 0;
    int32_t status = api->storage_increment(host_ctx, "count", 5, 1, &count);
    if (status != INTEGRATION_OK) {
        const char *message = "the counter is not a number; erase it with the storage admin command";
        api->error(host_ctx, message, strlen(message));
        return 500;
    }

    char text[64];
    int length = snprintf(text, sizeof text, "count is %.0f", count);
    api->log(host_ctx, INTEGRATION_LOG_INFO, text, (size_t)length);

    const char *options = "{\"color\":\"purple\"}";
    return api->reply(host_ctx, text, (size_t)length, options, strlen(options)) == INTEGRATION_OK ? 0 : 500;
}

static const char *const commands[] = {"counter", "count"};

static const struct integration_route routes[] = {
    {"/counter", "GET,POST"},
};

static const struct integration_plugin plugin = {
    .abi_version = INTEGRATION_ABI_VERSION,
    .struct_size = sizeof(struct integration_plugin),
    .name = "counter",
    .description = "Counts its calls in the host's storage (a plugin in C)",
    .commands = commands,
    .command_count = sizeof commands / sizeof commands[0],
    .routes = routes,
    .route_count = sizeof routes / sizeof routes[0],
    .handle = handle,
};

const struct integration_plugin *integration_plugin_v1(void) { return &plugin; }
