/*  projectx_hubws - the WebSocket transport for projectx_userhub, on
    libwebsockets (client only). It owns one lws context; the gateway loop
    calls projectx_hubws_service() every turn (it returns within timeout_ms),
    which also ticks the hub (pings, time-outs, reconnects).

    Usage:
        projectx_hubws_t *ws = projectx_hubws_new();
        projectx_hub_transport_t t;
        projectx_hubws_transport(ws, &t);
        projectx_userhub_t *hub = projectx_userhub_new(url, account, NULL, &t, &handler);
        projectx_hubws_attach(ws, hub);
        for (;;) projectx_hubws_service(ws, 50);

    The URL carries the token (access_token=...), so lws's own log lines go
    through a filter that cuts anything after "access_token=".             */
#ifndef PROJECTX_HUBWS_H
#define PROJECTX_HUBWS_H
#include "projectx_userhub.h"

typedef struct _projectx_hubws_t projectx_hubws_t;

projectx_hubws_t *projectx_hubws_new(void);
void projectx_hubws_destroy(projectx_hubws_t **self_p);
//  The transport callbacks to give projectx_userhub_new().
void projectx_hubws_transport(projectx_hubws_t *self, projectx_hub_transport_t *out);
void projectx_hubws_attach(projectx_hubws_t *self, projectx_userhub_t *hub);
//  Run the network for at most timeout_ms, then tick the hub. After the hub
//  is destroyed, attach NULL and service a little more: a Close the hub
//  sent on its way out is written before its socket closes.
void projectx_hubws_service(projectx_hubws_t *self, int timeout_ms);
//  The filter lws log lines go through: cuts everything after
//  "access_token=" and trailing newlines, in place. Returns line.
char *projectx_hubws_redact(char *line);

#endif
