/*  projectx_hubws - see projectx_hubws.h.

    lws calls back from inside lws_service() (and sometimes from inside
    lws_client_connect_via_info()); events for the hub are delivered only
    from service(), and a failure during open() is reported after open()
    returned, so the hub is never re-entered.                                */
#include "projectx_hubws.h"
#include "ofts_log.h"
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct frame_t {
    struct frame_t *next;
    size_t len;
    unsigned char data[];       //  LWS_PRE bytes of headroom, then the text
} frame_t;

struct _projectx_hubws_t {
    struct lws_context *context;
    projectx_userhub_t *hub;
    struct lws *wsi;            //  the current connection (NULL: none)
    frame_t *head, *tail;       //  outbound frames for wsi
    struct lws *closing;        //  a connection we closed with frames still to send
    frame_t *closing_head;      //  (the SignalR Close): sent, then the socket closes
    bool in_open;
    bool lost_pending;          //  a failure to report at the next service()
    char lost_reason[160];
    lws_sorted_usec_list_t wake;
};

//  The hub's timers run on the projectx clock (accelerated in the soak).
static int64_t mono_ms(void) { return projectx_time_mono_ms(); }

static void
frames_free(frame_t **head)
{
    while (*head) {
        frame_t *next = (*head)->next;
        free(*head);
        *head = next;
    }
}

char *
projectx_hubws_redact(char *line)
{
    char *token = strstr(line, "access_token=");
    if (token)
        token[13] = 0;      //  keep the name, drop the value and the rest
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = 0;
    return line;
}

//  lws log lines may quote the request path, which holds the token.
static void
log_emit(int level, const char *line)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", line);
    projectx_hubws_redact(copy);
    if (level & LLL_ERR)
        log_error("lws: %s", copy);
    else
        log_debug("lws: %s", copy);
}

static void
outbox_clear(projectx_hubws_t *self)
{
    frames_free(&self->head);
    self->tail = NULL;
}

//  Write the first queued frame; false on a short write.
static bool
write_head(struct lws *wsi, frame_t **head)
{
    frame_t *f = *head;
    int n = lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT);
    if (n < (int) f->len)
        return false;
    *head = f->next;
    free(f);
    return true;
}

static void
report_lost(projectx_hubws_t *self, const char *reason)
{
    self->wsi = NULL;
    outbox_clear(self);
    self->lost_pending = true;
    snprintf(self->lost_reason, sizeof self->lost_reason, "%s", reason);
}

static int
on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void) user;
    struct lws_context *context = lws_get_context(wsi);
    projectx_hubws_t *self = context ? lws_context_user(context) : NULL;
    if (!self)
        return 0;
    bool current = wsi == self->wsi;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (current && self->hub)
            projectx_userhub_opened(self->hub, mono_ms());
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (current && self->hub)
            projectx_userhub_received(self->hub, in, len, mono_ms());
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!current && wsi == self->closing && self->closing_head) {
            //  Our goodbye first, then the socket.
            if (!write_head(wsi, &self->closing_head) || !self->closing_head) {
                frames_free(&self->closing_head);
                self->closing = NULL;
                return -1;
            }
            lws_callback_on_writable(wsi);
            break;
        }
        if (!current)
            return -1;      //  a connection we closed: finish it
        if (!self->head)
            break;
        if (!write_head(wsi, &self->head))
            return -1;
        if (!self->head)
            self->tail = NULL;
        if (self->head)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (current) {
            char reason_text[160];
            snprintf(reason_text, sizeof reason_text, "WebSocket connect failed: %s",
                     in ? (const char *) in : "unknown");
            report_lost(self, reason_text);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (current)
            report_lost(self, "WebSocket closed by the server");
        if (wsi == self->closing) {
            frames_free(&self->closing_head);
            self->closing = NULL;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "ofts-signalr", on_lws, 0, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

projectx_hubws_t *
projectx_hubws_new(void)
{
    projectx_hubws_t *self = calloc(1, sizeof *self);
    lws_set_log_level(LLL_ERR, log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = self;
    info.gid = -1;
    info.uid = -1;
    self->context = lws_create_context(&info);
    if (!self->context) {
        log_error("projectx: cannot create the libwebsockets context");
        free(self);
        return NULL;
    }
    return self;
}

void
projectx_hubws_destroy(projectx_hubws_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    projectx_hubws_t *self = *self_p;
    self->hub = NULL;
    self->wsi = NULL;
    lws_context_destroy(self->context);
    outbox_clear(self);
    frames_free(&self->closing_head);
    free(self);
    *self_p = NULL;
}

//  ws[s]://host[:port]/path?query -> parts; the url holds the token.
static int
t_open(void *arg, const char *url)
{
    projectx_hubws_t *self = arg;
    bool tls = strncmp(url, "wss://", 6) == 0;
    if (!tls && strncmp(url, "ws://", 5) != 0)
        return -1;
    char copy[2048];
    snprintf(copy, sizeof copy, "%s", url + (tls ? 6 : 5));
    char *slash = strchr(copy, '/');
    char path[2048] = "/";
    if (slash) {
        snprintf(path, sizeof path, "%s", slash);
        *slash = 0;
    }
    int port = tls ? 443 : 80;
    char *colon = strrchr(copy, ':');
    if (colon && !strchr(colon, ']')) {
        port = atoi(colon + 1);
        *colon = 0;
    }
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = self->context;
    info.address = copy;
    info.port = port;
    info.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    info.path = path;
    info.host = copy;
    info.origin = copy;
    info.protocol = NULL;       //  SignalR takes no WebSocket sub-protocol
    info.local_protocol_name = "ofts-signalr";
    info.pwsi = &self->wsi;
    outbox_clear(self);
    self->lost_pending = false;
    self->in_open = true;
    struct lws *wsi = lws_client_connect_via_info(&info);
    self->in_open = false;
    memset(path, 0, sizeof path);
    memset(copy, 0, sizeof copy);
    if (!wsi) {
        self->wsi = NULL;
        self->lost_pending = false;     //  open() itself reports the failure
        return -1;
    }
    return 0;
}

static void
t_send(void *arg, const char *text, size_t len)
{
    projectx_hubws_t *self = arg;
    if (!self->wsi)
        return;
    frame_t *f = malloc(sizeof *f + LWS_PRE + len);
    f->next = NULL;
    f->len = len;
    memcpy(f->data + LWS_PRE, text, len);
    if (self->tail)
        self->tail->next = f;
    else
        self->head = f;
    self->tail = f;
    lws_callback_on_writable(self->wsi);
}

static void
t_close(void *arg)
{
    projectx_hubws_t *self = arg;
    struct lws *old = self->wsi;
    self->wsi = NULL;
    //  Frames still queued (the SignalR Close) go out before the socket
    //  closes; an older closing connection is simply dropped.
    frames_free(&self->closing_head);
    self->closing = old && self->head ? old : NULL;
    if (self->closing)
        self->closing_head = self->head;
    else
        frames_free(&self->head);
    self->head = self->tail = NULL;
    self->lost_pending = false;     //  the hub asked: nothing to report
    if (old)
        lws_callback_on_writable(old);      //  WRITEABLE on a stale wsi closes it
}

void
projectx_hubws_transport(projectx_hubws_t *self, projectx_hub_transport_t *out)
{
    out->open = t_open;
    out->send = t_send;
    out->close = t_close;
    out->arg = self;
}

void
projectx_hubws_attach(projectx_hubws_t *self, projectx_userhub_t *hub)
{
    self->hub = hub;
}

static void
on_wake(lws_sorted_usec_list_t *sul)
{
    (void) sul;     //  only ends the poll wait
}

void
projectx_hubws_service(projectx_hubws_t *self, int timeout_ms)
{
    lws_sul_schedule(self->context, 0, &self->wake, on_wake,
                     (lws_usec_t) (timeout_ms > 0 ? timeout_ms : 1) * 1000);
    lws_service(self->context, 0);
    lws_sul_schedule(self->context, 0, &self->wake, on_wake, LWS_SET_TIMER_USEC_CANCEL);
    if (self->lost_pending && self->hub) {
        self->lost_pending = false;
        projectx_userhub_lost(self->hub, self->lost_reason, mono_ms());
    }
    if (self->hub)
        projectx_userhub_tick(self->hub, mono_ms());
}
