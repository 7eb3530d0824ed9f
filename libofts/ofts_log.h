/*  ofts_log - one line per event, levelled, tagged with the service name.

    Lines go to stderr as
        2026-11-30T03:26:14.123456Z INFO  risk: approved GC buy 1 @ 2350.1
    `ofts up` collects every child's stderr into the service's own log and into
    orderflow_trading.log, so services never open log files themselves.
    Never pass a secret to these functions.                                   */
#ifndef OFTS_LOG_H
#define OFTS_LOG_H
#include <stdarg.h>
#include <stdio.h>

typedef enum { OFTS_LOG_DEBUG = 0, OFTS_LOG_INFO, OFTS_LOG_WARN, OFTS_LOG_ERROR } ofts_log_level_t;

//  Name used on every line; call once at start. Level from the argument,
//  overridden by OFTS_LOG_LEVEL (debug|info|warn|error) when set.
void ofts_log_init(const char *service, ofts_log_level_t level);
void ofts_log_set_level(ofts_log_level_t level);
ofts_log_level_t ofts_log_level(void);
//  Parse "debug|info|warn|error"; -1 when unknown.
int ofts_log_level_parse(const char *text);
const char *ofts_log_service(void);
//  Also append every line to this stream (NULL to stop); used by `ofts up`
//  to put its own lines into orderflow_trading.log.
void ofts_log_set_tee(FILE *tee);

void ofts_log(ofts_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ofts_logv(ofts_log_level_t level, const char *fmt, va_list args);

#define log_debug(...) do { if (ofts_log_level() <= OFTS_LOG_DEBUG) ofts_log(OFTS_LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  ofts_log(OFTS_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  ofts_log(OFTS_LOG_WARN, __VA_ARGS__)
#define log_error(...) ofts_log(OFTS_LOG_ERROR, __VA_ARGS__)

#endif
