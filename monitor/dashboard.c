#include "dashboard.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "health.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_msg.h"

#define MAX_SYMBOLS 16
#define MAX_SOURCES 16
#define MAX_ACCOUNTS 8              //  risk.accounts (docs/accounts.md)

//  One account's position in a symbol (several accounts: each its own).
typedef struct {
    char account[48];
    int32_t qty;
    int64_t avg_price, realized_cents, unrealized_cents;
    bool protected_;
} acct_pos_t;

//  An account as risk last described it (risk.account.).
typedef struct {
    char id[48];
    int64_t balance_cents, day_pnl_cents, unrealized_cents, floor_cents, daily_limit_cents;
    int state;
    char state_reason[96];
} acct_row_t;

typedef struct {
    char symbol[16];
    int64_t last_price;
    uint32_t last_size;
    int64_t bid_px, ask_px;
    uint32_t bid_sz, ask_sz;
    bool has_metrics;
    Ofts__Side signal_dir;
    double imbalance, depth_imbalance, intensity, confidence;
    int64_t cum_delta;
    char signal_text[160];
    int64_t signal_entry, signal_stop, signal_tp;
    int64_t signal_ts;
    int32_t position;
    int64_t avg_price;
    int64_t realized_cents, unrealized_cents;
    bool protected_;
    uint64_t trades, signals, fills, rejects;
    char last_reject[96];
    acct_pos_t acc[MAX_ACCOUNTS];       //  per account; the fields above: their sum
    int nacc;
} sym_row_t;

typedef struct {
    char source[48];
    uint64_t missing;
} gap_row_t;

//  A bracket leg or entry still at the broker, from exec.order.*.
typedef struct {
    char coid[64];
    char account[48];               //  ids are unique per account only (FL-GC-1)
    char symbol[16];
    Ofts__OrderRole role;
    Ofts__Side side;
    uint32_t qty;
    int64_t price;
} order_row_t;

#define MAX_ORDERS 32

struct _dashboard_t {
    health_t *health;
    sym_row_t rows[MAX_SYMBOLS];
    int nrows;
    gap_row_t gaps[MAX_SOURCES];
    int ngaps;
    bool has_account;
    int64_t balance_cents, day_pnl_cents, unrealized_cents, floor_cents;
    int64_t daily_limit_cents;
    int state;
    char state_reason[96];
    uint64_t messages;
    int64_t market_ns;              //  newest market-data event time seen
    order_row_t orders[MAX_ORDERS];
    int norders;
    acct_row_t accts[MAX_ACCOUNTS];     //  risk's accounts, when it has several
    int naccts;
    int cols, lines;                //  the terminal: 80x24 unless told
    char hint[160];
};

dashboard_t *
dashboard_new(int64_t timeout_ns)
{
    dashboard_t *self = calloc(1, sizeof *self);
    self->health = health_new(timeout_ns, NULL, NULL);
    self->cols = 80;
    self->lines = 24;
    return self;
}

void
dashboard_set_size(dashboard_t *self, int cols, int lines)
{
    self->cols = cols >= 40 ? (cols > 400 ? 400 : cols) : 80;
    self->lines = lines >= 10 ? lines : 24;
}

void
dashboard_set_hint(dashboard_t *self, const char *hint)
{
    snprintf(self->hint, sizeof self->hint, "%s", hint ? hint : "");
}

//  Working orders: kept while pending/working/partial, dropped when done.
static void
s_on_order(dashboard_t *self, const Ofts__OrderUpdate *o)
{
    const char *account = o->account ? o->account : "";
    int i = 0;
    while (i < self->norders && (strcmp(self->orders[i].coid, o->client_order_id ? o->client_order_id : "") != 0
                                 || strcmp(self->orders[i].account, account) != 0))
        i++;
    bool working = o->status == OFTS__ORDER_STATUS__STATUS_PENDING || o->status == OFTS__ORDER_STATUS__STATUS_WORKING
                || o->status == OFTS__ORDER_STATUS__STATUS_PARTIAL || o->status == OFTS__ORDER_STATUS__STATUS_UNKNOWN;
    if (!working) {
        if (i < self->norders)
            self->orders[i] = self->orders[--self->norders];
        return;
    }
    if (i == self->norders) {
        if (self->norders == MAX_ORDERS)
            return;
        self->norders++;
    }
    order_row_t *r = &self->orders[i];
    snprintf(r->coid, sizeof r->coid, "%s", o->client_order_id ? o->client_order_id : "");
    snprintf(r->account, sizeof r->account, "%s", account);
    snprintf(r->symbol, sizeof r->symbol, "%s", o->symbol ? o->symbol : "");
    r->role = o->role;
    r->side = o->side;
    r->qty = o->quantity - o->filled_quantity;
    r->price = o->price;
}

void
dashboard_destroy(dashboard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    health_destroy(&(*self_p)->health);
    free(*self_p);
    *self_p = NULL;
}

static sym_row_t *
s_row(dashboard_t *self, const char *symbol)
{
    if (!symbol || !*symbol)
        return NULL;
    for (int i = 0; i < self->nrows; i++)
        if (strcmp(self->rows[i].symbol, symbol) == 0)
            return &self->rows[i];
    if (self->nrows == MAX_SYMBOLS)
        return NULL;
    sym_row_t *row = &self->rows[self->nrows++];
    memset(row, 0, sizeof *row);
    snprintf(row->symbol, sizeof row->symbol, "%s", symbol);
    row->last_price = row->bid_px = row->ask_px = OFTS_UNDEF_PRICE;
    return row;
}

void
dashboard_on_gap(dashboard_t *self, const char *source, uint64_t missing)
{
    for (int i = 0; i < self->ngaps; i++)
        if (strcmp(self->gaps[i].source, source) == 0) {
            self->gaps[i].missing += missing;
            return;
        }
    if (self->ngaps < MAX_SOURCES) {
        snprintf(self->gaps[self->ngaps].source, sizeof self->gaps[0].source, "%s", source);
        self->gaps[self->ngaps++].missing = missing;
    }
}

//  A position names its account (several accounts: gateway-order per
//  account); the row shows the sum over the accounts, protected only when
//  every account's part is.
static void
s_on_position(sym_row_t *row, const Ofts__Position *p)
{
    const char *account = p->account ? p->account : "";
    int i = 0;
    while (i < row->nacc && strcmp(row->acc[i].account, account) != 0)
        i++;
    if (i == row->nacc && row->nacc < MAX_ACCOUNTS)
        row->nacc++;
    if (i == MAX_ACCOUNTS)
        return;
    acct_pos_t *a = &row->acc[i];
    snprintf(a->account, sizeof a->account, "%s", account);
    a->qty = p->quantity;
    a->avg_price = p->avg_price;
    a->realized_cents = p->realized_pnl_cents;
    a->unrealized_cents = p->unrealized_pnl_cents;
    a->protected_ = p->protected_;
    row->position = 0;
    row->realized_cents = row->unrealized_cents = 0;
    row->protected_ = true;
    row->avg_price = 0;
    for (int k = 0; k < row->nacc; k++) {
        row->position += row->acc[k].qty;
        row->realized_cents += row->acc[k].realized_cents;
        row->unrealized_cents += row->acc[k].unrealized_cents;
        if (row->acc[k].qty) {
            row->protected_ = row->protected_ && row->acc[k].protected_;
            row->avg_price = row->acc[k].avg_price;     //  the same fills, near enough: the last
        }
    }
}

//  risk's AccountState, one per account (account_id names it).
static void
s_on_account(dashboard_t *self, const Ofts__AccountState *a)
{
    const char *id = a->account_id ? a->account_id : "";
    int i = 0;
    while (i < self->naccts && strcmp(self->accts[i].id, id) != 0)
        i++;
    if (i == MAX_ACCOUNTS)
        return;
    if (i == self->naccts)
        self->naccts++;
    acct_row_t *r = &self->accts[i];
    snprintf(r->id, sizeof r->id, "%s", id);
    r->balance_cents = a->balance_cents;
    r->day_pnl_cents = a->realized_pnl_cents;
    r->unrealized_cents = a->unrealized_pnl_cents;
    r->floor_cents = a->mll_floor_cents;
    r->daily_limit_cents = a->daily_loss_limit_cents;
    r->state = a->state;
    snprintf(r->state_reason, sizeof r->state_reason, "%s", a->state_reason ? a->state_reason : "");
}

void
dashboard_on_message(dashboard_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns)
{
    self->messages++;
    sym_row_t *row = NULL;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_HEARTBEAT:
        health_on_heartbeat(self->health, env->heartbeat, now_ns);
        break;
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE:
        s_on_order(self, env->order_update);
        break;
    case OFTS__ENVELOPE__BODY_TRADE:
        if (env->header && env->header->ts_event > self->market_ns)
            self->market_ns = env->header->ts_event;
        if ((row = s_row(self, env->trade->symbol))) {
            row->last_price = env->trade->price;
            row->last_size = env->trade->size;
            row->trades++;
        }
        break;
    case OFTS__ENVELOPE__BODY_BBO:
        if ((row = s_row(self, env->bbo->symbol))) {
            row->bid_px = env->bbo->bid_px;
            row->ask_px = env->bbo->ask_px;
            row->bid_sz = env->bbo->bid_sz;
            row->ask_sz = env->bbo->ask_sz;
        }
        break;
    case OFTS__ENVELOPE__BODY_METRICS:
        if ((row = s_row(self, env->metrics->symbol))) {
            row->has_metrics = true;
            row->imbalance = env->metrics->imbalance_ratio;
            row->cum_delta = env->metrics->cumulative_delta;
            row->depth_imbalance = env->metrics->depth_imbalance;
            row->intensity = env->metrics->trade_intensity;
        }
        break;
    case OFTS__ENVELOPE__BODY_SIGNAL:
        if ((row = s_row(self, env->signal->symbol))) {
            row->signals++;
            row->signal_dir = env->signal->direction;
            row->confidence = env->signal->confidence;
            row->signal_entry = env->signal->entry;
            row->signal_stop = env->signal->stop;
            row->signal_tp = env->signal->take_profit;
            row->signal_ts = env->header ? env->header->ts_event : 0;
            snprintf(row->signal_text, sizeof row->signal_text, "%s", env->signal->reasons);
        }
        break;
    case OFTS__ENVELOPE__BODY_RISK_REJECT:
        if ((row = s_row(self, env->risk_reject->symbol))) {
            row->rejects++;
            snprintf(row->last_reject, sizeof row->last_reject, "%s", env->risk_reject->text);
        }
        break;
    case OFTS__ENVELOPE__BODY_FILL:
        if ((row = s_row(self, env->fill->symbol)))
            row->fills++;
        break;
    case OFTS__ENVELOPE__BODY_POSITION:
        if ((row = s_row(self, env->position->symbol)))
            s_on_position(row, env->position);
        break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:
        if (topic && strncmp(topic, "risk.", 5) == 0)
            s_on_account(self, env->account);
        self->has_account = true;
        self->balance_cents = env->account->balance_cents;
        self->day_pnl_cents = env->account->realized_pnl_cents;
        self->unrealized_cents = env->account->unrealized_pnl_cents;
        self->floor_cents = env->account->mll_floor_cents;
        self->daily_limit_cents = env->account->daily_loss_limit_cents;
        self->state = env->account->state;
        snprintf(self->state_reason, sizeof self->state_reason, "%s", env->account->state_reason);
        break;
    default:
        break;
    }
}

static const char *
s_px(int64_t px, char *buf)
{
    if (px == OFTS_UNDEF_PRICE || px == 0)
        return "-";
    return ofts_price_str(px, buf, 32);
}

static const char *
s_money(int64_t cents, bool plus, char *buf, size_t size)
{
    return ofts_money_fmt(cents, plus, buf, size);
}

//  The screen: at most `lines` lines of at most `cols` characters. A long
//  line is cut, never wrapped: a wrapped line scrolls the table away.
typedef struct {
    FILE *out;
    int cols, left;
    int dropped;
} screen_t;

static void
s_line(screen_t *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_line(screen_t *sc, const char *fmt, ...)
{
    if (sc->left <= 0) {
        sc->dropped++;
        return;
    }
    char buf[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    buf[sc->cols < (int) sizeof buf ? sc->cols : (int) sizeof buf - 1] = '\0';
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
    fprintf(sc->out, "%s\n", buf);
    sc->left--;
}


//  Distances to the daily loss limit and to the trailing floor, open P&L
//  counted ("off" when the rule is off).
static void
s_distances(const acct_row_t *r, char *dl, size_t dl_size, char *fl, size_t fl_size)
{
    snprintf(dl, dl_size, "off");
    snprintf(fl, fl_size, "off");
    if (r->daily_limit_cents > 0)
        s_money(r->daily_limit_cents + r->day_pnl_cents + r->unrealized_cents, false, dl, dl_size);
    if (r->floor_cents > 0)
        s_money(r->balance_cents + r->unrealized_cents - r->floor_cents, false, fl, fl_size);
}

//  Several accounts: a line each (state, balance, day, open, distances to
//  its own limits), then the total.
static void
s_render_accounts(dashboard_t *self, screen_t *sc)
{
    static const char *states[] = { "ACTIVE", "REDUCING", "HALTED" };
    char a[32], b[32], c[32], dl[48], fl[48];
    acct_row_t sum;
    memset(&sum, 0, sizeof sum);
    s_line(sc, "%-12s %-8s %12s %11s %9s %10s %10s", "ACCOUNT", "STATE", "BALANCE", "DAY", "OPEN", "TO DLL",
           "TO FLOOR");
    for (int i = 0; i < self->naccts; i++) {
        const acct_row_t *r = &self->accts[i];
        s_distances(r, dl, sizeof dl, fl, sizeof fl);
        s_line(sc, "%-12.12s %-8s %12s %11s %9s %10s %10s", r->id,
               r->state >= 0 && r->state <= 2 ? states[r->state] : "?", s_money(r->balance_cents, false, a, sizeof a),
               s_money(r->day_pnl_cents, true, b, sizeof b), s_money(r->unrealized_cents, true, c, sizeof c), dl, fl);
        sum.balance_cents += r->balance_cents;
        sum.day_pnl_cents += r->day_pnl_cents;
        sum.unrealized_cents += r->unrealized_cents;
    }
    s_line(sc, "%-12s %-8s %12s %11s %9s", "total", "", s_money(sum.balance_cents, false, a, sizeof a),
           s_money(sum.day_pnl_cents, true, b, sizeof b), s_money(sum.unrealized_cents, true, c, sizeof c));
}

static void
s_render_header(dashboard_t *self, screen_t *sc, int64_t now_ns)
{
    static const char *states[] = { "ACTIVE", "REDUCING", "HALTED" };
    static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    char mkt[64] = "no market data yet";
    if (self->market_ns) {
        ofts_ct_t ct;
        ofts_ct_from_utc(self->market_ns, &ct);
        snprintf(mkt, sizeof mkt, "market %s %04d-%02d-%02d %02d:%02d:%02d CT", days[ct.wday % 7], ct.year, ct.month,
                 ct.day, ct.hour, ct.minute, ct.second);
    }
    ofts_ct_t wall;
    ofts_ct_from_utc(now_ns, &wall);
    int state = self->state;
    for (int i = 0; self->naccts > 1 && i < self->naccts; i++)
        state = i == 0 || self->accts[i].state > state ? self->accts[i].state : state;   //  the worst
    s_line(sc, "ofts  %-38s now %02d:%02d:%02d CT  %s", mkt, wall.hour, wall.minute, wall.second,
           self->has_account && state >= 0 && state <= 2 ? states[state] : "");
    if (self->naccts > 1) {
        s_render_accounts(self, sc);
        return;
    }
    if (!self->has_account) {
        s_line(sc, "account: no word from risk yet");
        return;
    }
    char a[32], b[32], c[32];
    s_line(sc, "balance %s  day %s  open %s%s%s", s_money(self->balance_cents, false, a, sizeof a),
           s_money(self->day_pnl_cents, true, b, sizeof b), s_money(self->unrealized_cents, true, c, sizeof c),
           *self->state_reason && self->state ? "  " : "", self->state ? self->state_reason : "");
    //  How far the account is from each Topstep rule, with open P&L counted.
    char dl[48], fl[48];
    acct_row_t one = { "", self->balance_cents, self->day_pnl_cents, self->unrealized_cents, self->floor_cents,
                       self->daily_limit_cents, self->state, "" };
    s_distances(&one, dl, sizeof dl, fl, sizeof fl);
    s_line(sc, "to daily loss limit %s   to trailing floor %s (floor %s)", dl, fl,
           self->floor_cents > 0 ? s_money(self->floor_cents, false, a, sizeof a) : "-");
}

static void
s_render_table(dashboard_t *self, screen_t *sc)
{
    char a[32], b[32], c[32], d[32];
    s_line(sc, "%-3s %9s %9s %9s %5s %6s %-4s %3s %9s %11s", "SYM", "LAST", "BID", "ASK", "IMB", "DELTA", "SIG",
           "POS", "AVG", "OPEN P&L");
    for (int i = 0; i < self->nrows; i++) {
        sym_row_t *r = &self->rows[i];
        const char *sig = r->signals == 0 ? "-" : r->signal_dir == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL";
        char pnl[32];
        s_line(sc, "%-3.3s %9s %9s %9s %5.2f %6lld %-4s %+3d %9s %11s%s", r->symbol, s_px(r->last_price, a),
               s_px(r->bid_px, b), s_px(r->ask_px, c), r->imbalance, (long long) r->cum_delta, sig, r->position,
               r->position ? s_px(r->avg_price, d) : "-",
               r->position ? s_money(r->unrealized_cents, true, pnl, sizeof pnl) : "-",
               r->position && !r->protected_ ? " !" : "");
    }
}

//  One symbol's legs, stop first, then target: the two a trader looks for.
static void
s_legs(dashboard_t *self, const char *symbol, char *legs, size_t size)
{
    static const Ofts__OrderRole order[] = { OFTS__ORDER_ROLE__ROLE_ENTRY, OFTS__ORDER_ROLE__ROLE_STOP,
                                             OFTS__ORDER_ROLE__ROLE_TARGET, OFTS__ORDER_ROLE__ROLE_FLATTEN };
    size_t used = 0;
    legs[0] = '\0';
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < self->norders && used < size; i++) {
            const order_row_t *o = &self->orders[i];
            if (o->role != order[k] || strcmp(o->symbol, symbol) != 0)
                continue;
            char px[32];
            used += (size_t) snprintf(legs + used, size - used, "  %s %s %u @ %s", ofts_msg_role_name(o->role),
                                      o->side == OFTS__SIDE__SIDE_BUY ? "buy" : "sell", o->qty,
                                      o->price ? s_px(o->price, px) : "mkt");
        }
}

static void
s_render_orders(dashboard_t *self, screen_t *sc)
{
    bool unprotected = false;
    for (int i = 0; i < self->nrows; i++)
        unprotected |= self->rows[i].position && !self->rows[i].protected_;
    if (self->norders == 0 && !unprotected) {
        s_line(sc, "working orders: none");
        return;
    }
    s_line(sc, "working orders");
    for (int i = 0; i < self->nrows; i++) {
        const sym_row_t *r = &self->rows[i];
        char legs[256];
        s_legs(self, r->symbol, legs, sizeof legs);
        if (r->position && !r->protected_)
            s_line(sc, "  %-4s! UNPROTECTED: no stop at the broker%s", r->symbol, legs);
        else if (*legs)
            s_line(sc, "  %-4s%s", r->symbol, legs);
    }
}

static void
s_render_services(dashboard_t *self, screen_t *sc)
{
    size_t n = health_count(self->health);
    char buf[512] = "";
    size_t used = 0;
    int down = 0;
    for (size_t i = 0; i < n && used < sizeof buf; i++) {
        const health_entry_t *e = health_at(self->health, i);
        down += !e->alive;
        used += (size_t) snprintf(buf + used, sizeof buf - used, " %s %s%s", e->service, e->alive ? "ok" : "DOWN",
                                  e->restarts ? "(restarted)" : "");
    }
    if (n)
        s_line(sc, "services%s", buf);
    for (int i = 0; i < self->ngaps; i++)
        s_line(sc, "gaps: %llu messages from %s missing", (unsigned long long) self->gaps[i].missing,
               self->gaps[i].source);
    if (n == 0 || down == (int) n)
        s_line(sc, "%s", *self->hint ? self->hint
                                     : "nothing is running: start it with `ofts up --replay FILE` or `make demo`");
}

void
dashboard_render(dashboard_t *self, FILE *out, int64_t now_ns, bool ansi)
{
    health_check(self->health, now_ns);
    if (ansi)
        fputs("\033[H\033[2J", out);
    //  The last line stays empty: a newline there would scroll the screen.
    screen_t sc = { out, self->cols, self->lines - 1, 0 };
    s_render_header(self, &sc, now_ns);
    s_render_services(self, &sc);
    s_render_table(self, &sc);
    s_render_orders(self, &sc);
    for (int i = 0; i < self->nrows; i++) {
        sym_row_t *r = &self->rows[i];
        char a[32], b[32], c[32];
        if (r->signals)
            s_line(&sc, "%-4s %-4s %s stop %s target %s: %s", r->symbol,
                   r->signal_dir == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL", s_px(r->signal_entry, a),
                   s_px(r->signal_stop, b), s_px(r->signal_tp, c), r->signal_text);
    }
    fflush(out);
}
