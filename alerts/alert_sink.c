/*  alert_sink - see alert_sink.h.                                         */
#include "alert_sink.h"
#include "ofts_clock.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
alert_sink_name(alert_sink_type_t type)
{
    static const char *names[] = { "discord", "slack", "telegram", "ntfy", "json" };
    return type <= SINK_JSON ? names[type] : "?";
}

static void
s_add(alert_sink_t *sinks, size_t max, size_t *n, alert_sink_type_t type, const char *url)
{
    if (*n == max || !url || !*url)
        return;
    alert_sink_t *s = &sinks[(*n)++];
    memset(s, 0, sizeof *s);
    s->type = type;
    snprintf(s->url, sizeof s->url, "%s", url);
}

size_t
alert_sinks_from_env(alert_sink_t *sinks, size_t max, const char *telegram_api, char *err, size_t errlen)
{
    size_t n = 0;
    err[0] = '\0';
    s_add(sinks, max, &n, SINK_DISCORD, getenv("OFTS_ALERT_DISCORD_URL"));
    s_add(sinks, max, &n, SINK_SLACK, getenv("OFTS_ALERT_SLACK_URL"));
    s_add(sinks, max, &n, SINK_NTFY, getenv("OFTS_ALERT_NTFY_URL"));
    s_add(sinks, max, &n, SINK_JSON, getenv("OFTS_ALERT_WEBHOOK_URL"));
    const char *token = getenv("OFTS_ALERT_TELEGRAM_TOKEN");
    const char *chat = getenv("OFTS_ALERT_TELEGRAM_CHAT_ID");
    if ((token && *token) != (chat && *chat))
        snprintf(err, errlen, "telegram needs both OFTS_ALERT_TELEGRAM_TOKEN and OFTS_ALERT_TELEGRAM_CHAT_ID");
    else if (token && *token && n < max) {
        char url[ALERT_URL_LEN];
        snprintf(url, sizeof url, "%s/bot%s/sendMessage", telegram_api, token);
        s_add(sinks, max, &n, SINK_TELEGRAM, url);
        snprintf(sinks[n - 1].chat_id, sizeof sinks[n - 1].chat_id, "%s", chat);
    }
    return n;
}

static char *
s_dump(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

static char *
s_json_body(const alert_t *a)
{
    char ts[40], ns[24];
    ofts_clock_format(a->ts_ns, ts, sizeof ts);
    snprintf(ns, sizeof ns, "%lld", (long long) a->ts_ns);
    return s_dump(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "key", a->key, "kind", alert_kind_name(a->kind),
                            "title", a->title, "text", a->text, "ts", ts, "ts_ns", ns,
                            "suppressed", (int) a->suppressed));
}

int
alert_request_make(const alert_sink_t *sink, const alert_t *a, alert_request_t *req)
{
    memset(req, 0, sizeof *req);
    snprintf(req->url, sizeof req->url, "%s", sink->url);
    char line[ALERT_TITLE_LEN + ALERT_TEXT_LEN + 64], more[32] = "";
    if (a->suppressed)
        snprintf(more, sizeof more, " (+%u more held back)", a->suppressed);
    snprintf(line, sizeof line, "%s\n%s%s", a->title, a->text, more);
    const char *json = "Content-Type: application/json";
    switch (sink->type) {
    case SINK_DISCORD:
        req->body = s_dump(json_pack("{s:s}", "content", line));
        break;
    case SINK_SLACK:
        req->body = s_dump(json_pack("{s:s}", "text", line));
        break;
    case SINK_TELEGRAM:
        req->body = s_dump(json_pack("{s:s, s:s, s:b}", "chat_id", sink->chat_id, "text", line,
                                     "disable_notification", !alert_kind_urgent(a->kind)));
        break;
    case SINK_NTFY:
        req->body = strdup(line);
        json = "Content-Type: text/plain; charset=utf-8";
        snprintf(req->headers[req->nheaders++], sizeof req->headers[0], "Title: %.150s", a->title);
        snprintf(req->headers[req->nheaders++], sizeof req->headers[0], "Priority: %d",
                 alert_kind_urgent(a->kind) ? 5 : 3);
        snprintf(req->headers[req->nheaders++], sizeof req->headers[0], "Tags: %s", alert_kind_name(a->kind));
        break;
    case SINK_JSON:
        req->body = s_json_body(a);
        snprintf(req->headers[req->nheaders++], sizeof req->headers[0], "Idempotency-Key: %.120s@%lld", a->key,
                 (long long) a->ts_ns);
        break;
    }
    snprintf(req->headers[req->nheaders++], sizeof req->headers[0], "%s", json);
    return req->body ? 0 : -1;
}

void
alert_request_free(alert_request_t *req)
{
    free(req->body);
    req->body = NULL;
}
