/*  http_recorder - a tiny HTTP server on 127.0.0.1 (ephemeral port) for
    tests: it records what arrived, and fails on purpose when told to.

    plan: a comma list of answers for the next requests, in order, each
    "200", "500", "429" (with Retry-After: 1) or "hang" (read the request,
    answer nothing for hang_ms, close); after the plan, 200. A request is
    RECORDED only when answered 2xx: what a receiver really accepted.     */
#ifndef HTTP_RECORDER_H
#define HTTP_RECORDER_H
#include <stddef.h>

typedef struct _http_recorder_t http_recorder_t;

typedef struct {
    char path[256];
    char idempotency_key[200];
    char *body;
} http_record_t;

http_recorder_t *http_recorder_new(void);
void http_recorder_destroy(http_recorder_t **self_p);
int http_recorder_port(http_recorder_t *self);
void http_recorder_plan(http_recorder_t *self, const char *plan, int hang_ms);
//  From now on every request hangs, unanswered, until hang_all(self, 0)
//  (then its connection is closed without an answer).
void http_recorder_hang_all(http_recorder_t *self, int on);
size_t http_recorder_requests(http_recorder_t *self);     //  all, answered or not
size_t http_recorder_count(http_recorder_t *self);        //  recorded (2xx)
//  Copy of record i (body malloc'd; free it); 0, or -1 when none.
int http_recorder_get(http_recorder_t *self, size_t i, http_record_t *out);
//  How many recorded bodies contain needle.
size_t http_recorder_count_matching(http_recorder_t *self, const char *needle);

#endif
