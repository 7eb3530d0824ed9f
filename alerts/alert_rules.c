/*  alert_rules - see alert_rules.h.                                       */
#include "alert_rules.h"
#include "health.h"
#include "ofts_instrument.h"
#include "ofts_msg.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACCOUNTS 32

typedef struct {
    char source[24];
    char account[64];
    int state;                      //  Ofts__TradingState last seen; -1 none
    bool loss_warned;               //  armed again once the loss falls below half the level
} s_account_t;

struct _alert_rules_t {
    alert_rules_config_t cfg;
    alert_emit_fn *emit;
    void *arg;
    health_t *health;
    s_account_t accounts[MAX_ACCOUNTS];
    size_t naccounts;
    int64_t broker_down_since;      //  0: connected (or not said)
    bool broker_down_sent;
};

static const char *s_names[ALERT_KINDS] = {
    "signal_approved", "entry_filled", "stop_hit", "target_hit", "daily_loss_warn",
    "halt", "service_down", "bus_gap", "broker_disconnected"
};

const char *alert_kind_name(alert_kind_t kind) { return kind < ALERT_KINDS ? s_names[kind] : "?"; }

int
alert_kind_parse(const char *name)
{
    for (int i = 0; i < ALERT_KINDS; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

int
alert_kind_urgent(alert_kind_t kind)
{
    return kind == ALERT_HALT || kind == ALERT_SERVICE_DOWN || kind == ALERT_BROKER_DISCONNECTED
        || kind == ALERT_DAILY_LOSS_WARN;
}

static void
s_emit(alert_rules_t *self, alert_kind_t kind, int64_t ts, const char *key, const char *title,
       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
s_emit(alert_rules_t *self, alert_kind_t kind, int64_t ts, const char *key, const char *title, const char *fmt, ...)
{
    alert_t a = { .kind = kind, .ts_ns = ts };
    snprintf(a.key, sizeof a.key, "%s", key);
    snprintf(a.title, sizeof a.title, "%s", title);
    va_list args;
    va_start(args, fmt);
    vsnprintf(a.text, sizeof a.text, fmt, args);
    va_end(args);
    self->emit(self->arg, &a);
}

static void
s_on_health(void *arg, health_event_t event, const health_entry_t *entry)
{
    alert_rules_t *self = arg;
    if (event != HEALTH_LOST)
        return;
    char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN];
    snprintf(key, sizeof key, "down:%s", entry->service);
    snprintf(title, sizeof title, "DOWN %s", entry->service);
    s_emit(self, ALERT_SERVICE_DOWN, entry->last_seen_ns, key, title,
           "%s stopped sending heartbeats (last state: %s)", entry->service, entry->state);
}

alert_rules_t *
alert_rules_new(const alert_rules_config_t *config, alert_emit_fn *emit, void *arg)
{
    alert_rules_t *self = calloc(1, sizeof *self);
    self->cfg = *config;
    self->emit = emit;
    self->arg = arg;
    self->health = health_new(config->heartbeat_timeout_ns, s_on_health, self);
    return self;
}

void
alert_rules_destroy(alert_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    health_destroy(&(*self_p)->health);
    free(*self_p);
    *self_p = NULL;
}

static const char *
s_side(int side)
{
    return side == OFTS__SIDE__SIDE_BUY ? "BUY" : side == OFTS__SIDE__SIDE_SELL ? "SELL" : "?";
}

static void
s_on_order(alert_rules_t *self, const Ofts__OrderRequest *o, int64_t ts)
{
    if (o->reduce_only)
        return;
    char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN], e[32], s[32], t[32];
    snprintf(key, sizeof key, "signal:%s", o->client_order_id);
    snprintf(title, sizeof title, "%s %u %s", s_side(o->side), o->quantity, o->symbol);
    s_emit(self, ALERT_SIGNAL_APPROVED, ts, key, title,
           "approved %s %u %s (%s) at %s, stop %s, target %s, confidence %.2f, order %s", s_side(o->side),
           o->quantity, o->symbol, o->contract, ofts_price_str(o->entry, e, sizeof e),
           ofts_price_str(o->stop, s, sizeof s), ofts_price_str(o->take_profit, t, sizeof t), o->confidence,
           o->client_order_id);
}

static void
s_on_fill(alert_rules_t *self, const Ofts__Fill *f, int64_t ts)
{
    static const struct { int role; alert_kind_t kind; const char *what; } map[] = {
        { OFTS__ORDER_ROLE__ROLE_ENTRY, ALERT_ENTRY_FILLED, "entry filled" },
        { OFTS__ORDER_ROLE__ROLE_STOP, ALERT_STOP_HIT, "STOP hit" },
        { OFTS__ORDER_ROLE__ROLE_TARGET, ALERT_TARGET_HIT, "target hit" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if ((int) f->role != map[i].role)
            continue;
        char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN], px[32];
        snprintf(key, sizeof key, "fill:%s", f->fill_id);
        snprintf(title, sizeof title, "%s %s", f->symbol, map[i].what);
        s_emit(self, map[i].kind, ts, key, title, "%s: %s %u %s at %s (order %s)", map[i].what, s_side(f->side),
               f->quantity, f->contract, ofts_price_str(f->price, px, sizeof px), f->client_order_id);
    }
}

static s_account_t *
s_account(alert_rules_t *self, const char *source, const char *account)
{
    for (size_t i = 0; i < self->naccounts; i++)
        if (strcmp(self->accounts[i].source, source) == 0 && strcmp(self->accounts[i].account, account) == 0)
            return &self->accounts[i];
    if (self->naccounts == MAX_ACCOUNTS)
        return NULL;
    s_account_t *a = &self->accounts[self->naccounts++];
    snprintf(a->source, sizeof a->source, "%s", source);
    snprintf(a->account, sizeof a->account, "%s", account);
    a->state = -1;
    return a;
}

//  Loss as a share of the daily limit: warn once on the way up, and only
//  again after it came back below half the level (a new session, a win).
static void
s_check_loss(alert_rules_t *self, s_account_t *acc, const Ofts__AccountState *st, int64_t ts)
{
    int64_t limit = st->daily_loss_limit_cents;
    int64_t loss = -(st->realized_pnl_cents + st->unrealized_pnl_cents);
    if (limit <= 0 || self->cfg.loss_warn_pct <= 0)
        return;
    int64_t level = limit * self->cfg.loss_warn_pct / 100;
    if (acc->loss_warned && loss * 2 < level)
        acc->loss_warned = false;
    if (acc->loss_warned || loss < level)
        return;
    acc->loss_warned = true;
    char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN], l[32], m[32];
    snprintf(key, sizeof key, "loss:%s", acc->account);
    snprintf(title, sizeof title, "%s at %d%% of daily loss", acc->account, (int) (loss * 100 / limit));
    s_emit(self, ALERT_DAILY_LOSS_WARN, ts, key, title, "%s: down %s today, the daily loss limit is %s",
           acc->account, ofts_money_fmt(loss, false, l, sizeof l), ofts_money_fmt(limit, false, m, sizeof m));
}

static void
s_on_account(alert_rules_t *self, const char *source, const Ofts__AccountState *st, int64_t ts)
{
    const char *id = st->account_id && *st->account_id ? st->account_id : "account";
    s_account_t *acc = s_account(self, source, id);
    if (!acc)
        return;
    int was = acc->state;
    acc->state = (int) st->state;
    if (st->state == OFTS__TRADING_STATE__STATE_HALTED && was != OFTS__TRADING_STATE__STATE_HALTED) {
        char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN];
        snprintf(key, sizeof key, "halt:%s:%s", source, id);
        snprintf(title, sizeof title, "HALT %s (%s)", id, source);
        s_emit(self, ALERT_HALT, ts, key, title, "%s HALTED %s: %s", source, id,
               st->state_reason && *st->state_reason ? st->state_reason : "no reason given");
    }
    if (strcmp(source, "risk") == 0)
        s_check_loss(self, acc, st, ts);
}

static void
s_on_heartbeat(alert_rules_t *self, const Ofts__Heartbeat *hb, int64_t now)
{
    health_on_heartbeat(self->health, hb, now);
    if (strcmp(hb->service, "gateway-order") != 0)
        return;
    if (!hb->state || !strstr(hb->state, "BROKER DISCONNECTED")) {
        self->broker_down_since = 0;
        self->broker_down_sent = false;
    }
    else if (!self->broker_down_since)
        self->broker_down_since = now;
}

void
alert_rules_on_message(alert_rules_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns)
{
    int64_t ts = env->header && env->header->ts_event ? env->header->ts_event : now_ns;
    const char *source = env->header && env->header->source ? env->header->source : "?";
    (void) topic;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST: s_on_order(self, env->order_request, ts); break;
    case OFTS__ENVELOPE__BODY_FILL: s_on_fill(self, env->fill, ts); break;
    case OFTS__ENVELOPE__BODY_ACCOUNT: s_on_account(self, source, env->account, ts); break;
    case OFTS__ENVELOPE__BODY_HEARTBEAT: s_on_heartbeat(self, env->heartbeat, now_ns); break;
    default: break;
    }
}

void
alert_rules_on_gap(alert_rules_t *self, const char *source, const char *topic, uint64_t missing, int64_t now_ns)
{
    char key[ALERT_KEY_LEN], title[ALERT_TITLE_LEN];
    snprintf(key, sizeof key, "gap:%s:%s", source, topic);
    snprintf(title, sizeof title, "bus gap from %s", source);
    s_emit(self, ALERT_BUS_GAP, now_ns, key, title, "%llu messages lost from %s on %s",
           (unsigned long long) missing, source, topic);
}

void
alert_rules_tick(alert_rules_t *self, int64_t now_ns)
{
    health_check(self->health, now_ns);
    if (self->broker_down_since && !self->broker_down_sent
        && now_ns - self->broker_down_since >= self->cfg.broker_grace_ns) {
        self->broker_down_sent = true;
        s_emit(self, ALERT_BROKER_DISCONNECTED, now_ns, "broker", "BROKER DISCONNECTED",
               "gateway-order has been disconnected from the broker for %lld s",
               (long long) ((now_ns - self->broker_down_since) / 1000000000LL));
    }
}
