/*  projectx_model - see projectx_model.h.                                    */
#include "projectx_model.h"
#include "ofts_instrument.h"
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool
projectx_time_parse(const char *text, int64_t *ns)
{
    if (!text)
        return false;
    int y, mo, d, h, mi, s, consumed = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6)
        return false;
    const char *p = text + consumed;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char) *p); p++, digits++)
            if (digits < 9)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return false;
        offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = s };
    int64_t secs = (int64_t) timegm(&tm) - offset_s;
    *ns = secs * 1000000000LL + frac;
    return true;
}

void
projectx_time_format(int64_t ns, char *buf, size_t size)
{
    time_t secs = (time_t) (ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int) ((ns % 1000000000LL) / 1000000));
}

int64_t
projectx_price_from_json(const json_t *value)
{
    if (json_is_number(value))
        return ofts_price_from_double(json_number_value(value));
    int64_t price;
    if (json_is_string(value) && ofts_price_parse(json_string_value(value), &price))
        return price;
    return OFTS_UNDEF_PRICE;
}

json_t *
projectx_price_to_json(int64_t price)
{
    if (price == OFTS_UNDEF_PRICE)
        return json_null();
    //  Exact in decimal; the double is the nearest to it, and dumping with 15
    //  significant digits (JSON_REAL_PRECISION(15)) prints the decimal back.
    return json_real((double) price / (double) OFTS_PRICE_SCALE);
}

int64_t
projectx_cents_from_json(const json_t *value)
{
    if (!json_is_number(value))
        return 0;
    return (int64_t) llround(json_number_value(value) * 100.0);
}

static void
copy_string(char *dst, size_t size, const json_t *value)
{
    const char *text = json_string_value(value);
    snprintf(dst, size, "%s", text ? text : "");
}

//  Integers may arrive as JSON reals ("3408995735.0") in hand-made payloads.
static bool
get_int(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = (int64_t) llround(json_real_value(v));
        return true;
    }
    return false;
}

static int64_t
int_or(const json_t *obj, const char *key, int64_t def)
{
    int64_t v;
    return get_int(obj, key, &v) ? v : def;
}

static int64_t
time_or_zero(const json_t *obj, const char *key)
{
    int64_t ns = 0;
    if (!projectx_time_parse(json_string_value(json_object_get(obj, key)), &ns))
        return 0;
    return ns;
}

bool
projectx_account_parse(const json_t *json, projectx_account_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json) || !get_int(json, "id", &out->id))
        return false;
    copy_string(out->name, sizeof out->name, json_object_get(json, "name"));
    out->balance_cents = projectx_cents_from_json(json_object_get(json, "balance"));
    out->can_trade = json_is_true(json_object_get(json, "canTrade"));
    out->is_visible = json_is_true(json_object_get(json, "isVisible"));
    out->simulated = json_is_true(json_object_get(json, "simulated"));
    return true;
}

bool
projectx_contract_parse(const json_t *json, projectx_contract_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json) || !json_is_string(json_object_get(json, "id")))
        return false;
    copy_string(out->id, sizeof out->id, json_object_get(json, "id"));
    copy_string(out->name, sizeof out->name, json_object_get(json, "name"));
    copy_string(out->description, sizeof out->description, json_object_get(json, "description"));
    copy_string(out->symbol_id, sizeof out->symbol_id, json_object_get(json, "symbolId"));
    out->tick_size = projectx_price_from_json(json_object_get(json, "tickSize"));
    out->tick_value_cents = projectx_cents_from_json(json_object_get(json, "tickValue"));
    out->active = json_is_true(json_object_get(json, "activeContract"));
    return true;
}

bool
projectx_order_parse(const json_t *json, projectx_order_info_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json) || !get_int(json, "id", &out->id))
        return false;
    out->account_id = int_or(json, "accountId", 0);
    copy_string(out->contract_id, sizeof out->contract_id, json_object_get(json, "contractId"));
    copy_string(out->symbol_id, sizeof out->symbol_id, json_object_get(json, "symbolId"));
    out->created_ns = time_or_zero(json, "creationTimestamp");
    out->updated_ns = time_or_zero(json, "updateTimestamp");
    out->status = (int) int_or(json, "status", PROJECTX_STATUS_NONE);
    out->type = (int) int_or(json, "type", 0);
    out->side = (int) int_or(json, "side", -1);
    out->size = (int32_t) int_or(json, "size", 0);
    out->fill_volume = (int32_t) int_or(json, "fillVolume", 0);
    out->limit_price = projectx_price_from_json(json_object_get(json, "limitPrice"));
    out->stop_price = projectx_price_from_json(json_object_get(json, "stopPrice"));
    out->filled_price = projectx_price_from_json(json_object_get(json, "filledPrice"));
    copy_string(out->custom_tag, sizeof out->custom_tag, json_object_get(json, "customTag"));
    out->parent_id = int_or(json, "parentOrderId", 0);
    out->linked_id = int_or(json, "linkedOrderId", 0);
    return true;
}

bool
projectx_position_parse(const json_t *json, projectx_position_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json) || !get_int(json, "id", &out->id))
        return false;
    out->account_id = int_or(json, "accountId", 0);
    copy_string(out->contract_id, sizeof out->contract_id, json_object_get(json, "contractId"));
    out->created_ns = time_or_zero(json, "creationTimestamp");
    out->type = (int) int_or(json, "type", 0);
    out->size = (int32_t) int_or(json, "size", 0);
    out->avg_price = projectx_price_from_json(json_object_get(json, "averagePrice"));
    return true;
}

bool
projectx_trade_parse(const json_t *json, projectx_trade_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(json) || !get_int(json, "id", &out->id))
        return false;
    out->order_id = int_or(json, "orderId", 0);
    out->account_id = int_or(json, "accountId", 0);
    copy_string(out->contract_id, sizeof out->contract_id, json_object_get(json, "contractId"));
    out->created_ns = time_or_zero(json, "creationTimestamp");
    out->price = projectx_price_from_json(json_object_get(json, "price"));
    const json_t *pnl = json_object_get(json, "profitAndLoss");
    out->has_pnl = json_is_number(pnl);
    out->pnl_cents = projectx_cents_from_json(pnl);
    out->fees_cents = projectx_cents_from_json(json_object_get(json, "fees"));
    out->side = (int) int_or(json, "side", -1);
    out->size = (int32_t) int_or(json, "size", 0);
    out->voided = json_is_true(json_object_get(json, "voided"));
    return true;
}

bool
projectx_status_terminal(int status)
{
    return status >= PROJECTX_STATUS_FILLED && status <= PROJECTX_STATUS_REJECTED;
}

bool
projectx_status_working(int status)
{
    return status == PROJECTX_STATUS_OPEN || status == PROJECTX_STATUS_PENDING
        || status == PROJECTX_STATUS_PENDING_CANCEL || status == PROJECTX_STATUS_SUSPENDED;
}

const char *
projectx_status_name(int status)
{
    static const char *names[] = { "None",     "Open",    "Filled",
                                   "Cancelled", "Expired", "Rejected",
                                   "Pending",  "PendingCancellation", "Suspended" };
    return status >= 0 && status <= 8 ? names[status] : "Unknown";
}

int
projectx_bracket_sl_ticks(int side, int distance)
{
    int d = abs(distance);
    return side == PROJECTX_SIDE_BUY ? -d : d;
}

int
projectx_bracket_tp_ticks(int side, int distance)
{
    int d = abs(distance);
    return side == PROJECTX_SIDE_BUY ? d : -d;
}

static int
b64url_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

int64_t
projectx_jwt_exp(const char *token)
{
    const char *dot1 = token ? strchr(token, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || dot2 - dot1 - 1 > 4096)
        return -1;
    char decoded[3200];
    size_t out = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = dot1 + 1; p < dot2; p++) {
        int v = b64url_value((unsigned char) *p);
        if (v < 0)
            break;      //  '=' padding or junk ends the payload
        acc = (acc << 6) | (uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded[out++] = (char) ((acc >> bits) & 0xFF);
        }
    }
    json_error_t err;
    json_t *claims = json_loadb(decoded, out, 0, &err);
    int64_t exp = -1;
    const json_t *v = json_object_get(claims, "exp");
    if (json_is_integer(v))
        exp = json_integer_value(v);
    else if (json_is_real(v))
        exp = (int64_t) json_real_value(v);
    json_decref(claims);
    return exp;
}

//  --------------------------------------------------------------------------
//  Clock (see the header)

static double s_scale = 1.0;
static int64_t s_epoch_ms, s_mono_epoch_ms;
static pthread_once_t s_time_once = PTHREAD_ONCE_INIT;

static int64_t
s_clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_time_init(void)
{
    const char *scale = getenv("OFTS_PROJECTX_TIME_SCALE");
    const char *epoch = getenv("OFTS_PROJECTX_TIME_EPOCH_MS");
    double k = scale ? atof(scale) : 1.0;
    if (k > 1.0 && k <= 100000.0) {
        s_scale = k;
        s_epoch_ms = epoch ? strtoll(epoch, NULL, 10) : s_clock_ms(CLOCK_REALTIME);
        //  The monotonic clock is scaled from the same real moment.
        s_mono_epoch_ms = s_clock_ms(CLOCK_MONOTONIC) - (s_clock_ms(CLOCK_REALTIME) - s_epoch_ms);
    }
}

double
projectx_time_scale(void)
{
    pthread_once(&s_time_once, s_time_init);
    return s_scale;
}

int64_t
projectx_time_now_ms(void)
{
    int64_t real = s_clock_ms(CLOCK_REALTIME);
    if (projectx_time_scale() == 1.0)
        return real;
    return s_epoch_ms + (int64_t) ((double) (real - s_epoch_ms) * s_scale);
}

int64_t
projectx_time_mono_ms(void)
{
    int64_t real = s_clock_ms(CLOCK_MONOTONIC);
    if (projectx_time_scale() == 1.0)
        return real;
    return s_mono_epoch_ms + (int64_t) ((double) (real - s_mono_epoch_ms) * s_scale);
}

void
projectx_time_sleep_ms(int64_t sim_ms)
{
    if (sim_ms <= 0)
        return;
    int64_t us = (int64_t) ((double) sim_ms * 1000.0 / projectx_time_scale());
    struct timespec ts = { (time_t) (us / 1000000), (long) (us % 1000000) * 1000L };
    if (ts.tv_sec == 0 && ts.tv_nsec < 1000)
        ts.tv_nsec = 1000;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}
