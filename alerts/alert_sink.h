/*  alert_sink - where alerts go, and what one request looks like there.

    Every destination is a secret (a webhook URL is a password; a Telegram
    bot token is one), so sinks come only from the environment, never from a
    config file, and their URLs are never logged - a sink is named by its
    type ("discord") in every log line:

      OFTS_ALERT_DISCORD_URL     Discord webhook      {"content": ...}
      OFTS_ALERT_SLACK_URL       Slack incoming hook  {"text": ...}
      OFTS_ALERT_TELEGRAM_TOKEN  Telegram bot API     POST <api>/bot<token>/sendMessage
      OFTS_ALERT_TELEGRAM_CHAT_ID   ... and the chat  {"chat_id": ..., "text": ...}
      OFTS_ALERT_NTFY_URL        ntfy topic URL       text body, Title/Priority/Tags headers
      OFTS_ALERT_WEBHOOK_URL     plain JSON POST      {"id","kind","title","text","ts",...}

    The JSON POST carries an Idempotency-Key header (the alert's key and
    time): a receiver can drop a retry of a request whose answer we lost. */
#ifndef OFTS_ALERT_SINK_H
#define OFTS_ALERT_SINK_H
#include <stddef.h>
#include "alert.h"

typedef enum { SINK_DISCORD = 0, SINK_SLACK, SINK_TELEGRAM, SINK_NTFY, SINK_JSON } alert_sink_type_t;

#define ALERT_URL_LEN 1024

typedef struct {
    alert_sink_type_t type;
    char url[ALERT_URL_LEN];        //  SECRET: never log
    char chat_id[64];               //  telegram
} alert_sink_t;

//  One HTTP request, ready for libcurl (headers: up to 4 "Name: value").
typedef struct {
    char url[ALERT_URL_LEN + 64];
    char *body;                     //  malloc'd
    char headers[4][200];
    int nheaders;
} alert_request_t;

const char *alert_sink_name(alert_sink_type_t type);
//  Sinks named by the environment, up to max. telegram_api is the bot API's
//  base URL ("https://api.telegram.org"; a test points it at itself).
//  Returns how many; a half-set sink (a token without a chat id) is skipped
//  and named in err (err[0] = 0 when none).
size_t alert_sinks_from_env(alert_sink_t *sinks, size_t max, const char *telegram_api, char *err, size_t errlen);
//  Fill req for alert on sink. 0, or -1 (cannot happen but for memory).
int alert_request_make(const alert_sink_t *sink, const alert_t *alert, alert_request_t *req);
void alert_request_free(alert_request_t *req);

#endif
