/*  alert_sender - delivers alerts on its own thread, so nothing that hands
    it an alert ever waits on the network.

    alert_sender_push() copies the alert into a bounded queue (one job per
    sink) and returns at once; a full queue drops the new alert, counted and
    logged, rather than block. The thread POSTs each job with libcurl under
    a time-out; 2xx is done; 429 waits the server's Retry-After (or the
    backoff, whichever is longer); 5xx, a time-out or a refused connection
    is retried after a backoff that doubles from retry_min_ms to
    retry_max_ms, up to max_attempts; any other 4xx is given up at once (a
    wrong URL or token does not get better). Every outcome is counted; a
    sink is named by its type in the logs, never by its URL.             */
#ifndef OFTS_ALERT_SENDER_H
#define OFTS_ALERT_SENDER_H
#include <stdint.h>
#include "alert.h"
#include "alert_sink.h"

typedef struct _alert_sender_t alert_sender_t;

typedef struct {
    int timeout_ms;                 //  whole request
    int retry_min_ms;
    int retry_max_ms;
    int max_attempts;               //  per job, the first included
    int queue_max;                  //  jobs waiting or retrying
} alert_sender_config_t;

typedef struct {
    uint64_t queued, delivered, attempts, retries, failed, dropped_full;
    uint64_t waiting;               //  jobs in the queue now (incl. the one in flight)
} alert_sender_stats_t;

alert_sender_t *alert_sender_new(const alert_sender_config_t *config, const alert_sink_t *sinks, size_t nsinks);
//  Stops the thread (an in-flight request is aborted); jobs still queued
//  are logged as not sent.
void alert_sender_destroy(alert_sender_t **self_p);
//  Never blocks on I/O. 0 queued for every sink, -1 when the queue was full.
int alert_sender_push(alert_sender_t *self, const alert_t *alert);
void alert_sender_stats(alert_sender_t *self, alert_sender_stats_t *out);

#endif
