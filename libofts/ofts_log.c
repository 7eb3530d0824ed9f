#include "ofts_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char s_service[64] = "ofts";
static ofts_log_level_t s_level = OFTS_LOG_INFO;
static FILE *s_tee = NULL;
static const char *s_names[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };

int
ofts_log_level_parse(const char *text)
{
    static const char *names[] = { "debug", "info", "warn", "error" };
    for (int i = 0; text && i < 4; i++)
        if (strcasecmp(text, names[i]) == 0)
            return i;
    return -1;
}

void
ofts_log_init(const char *service, ofts_log_level_t level)
{
    snprintf(s_service, sizeof s_service, "%s", service ? service : "ofts");
    s_level = level;
    int env = ofts_log_level_parse(getenv("OFTS_LOG_LEVEL"));
    if (env >= 0)
        s_level = (ofts_log_level_t) env;
}

void ofts_log_set_tee(FILE *tee) { s_tee = tee; }
void ofts_log_set_level(ofts_log_level_t level) { s_level = level; }
ofts_log_level_t ofts_log_level(void) { return s_level; }
const char *ofts_log_service(void) { return s_service; }

void
ofts_logv(ofts_log_level_t level, const char *fmt, va_list args)
{
    if (level < s_level)
        return;
    //  Build the whole line first and write it with one call, so lines from
    //  several processes sharing a pipe never interleave mid-line.
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000, s_names[level], s_service);
    int m = vsnprintf(line + n, sizeof line - (size_t) n - 1, fmt, args);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    //  One event, one line: fold embedded newlines.
    for (size_t i = (size_t) n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
    fflush(stderr);
    if (s_tee) {
        fwrite(line, 1, len, s_tee);
        fflush(s_tee);
    }
}

void
ofts_log(ofts_log_level_t level, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    ofts_logv(level, fmt, args);
    va_end(args);
}
