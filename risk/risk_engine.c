#include "risk_engine.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "risk_order.h"
#include "risk_rules.h"
#include "risk_sizing.h"
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS 32
#define RATE_WINDOW_NS (60LL * OFTS_NS_PER_SEC)
//  A position that will not close (market shut for the weekend, broker
//  down) is asked again at most once a minute, not every 5 s all weekend.
#define MAX_FLATTEN_EVERY_NS (60LL * OFTS_NS_PER_SEC)
//  An approval younger than this may not have reached gateway-order yet:
//  its absence from a snapshot proves nothing.
#define WORKING_GRACE_NS (10LL * OFTS_NS_PER_SEC)
//  A fill this soon after an exec.position that moved the position by as
//  much, in its direction, is the trade that move already showed.
#define MOVED_GRACE_NS (60LL * OFTS_NS_PER_SEC)
//  An approval gateway-order never saw (published while it was down or still
//  subscribing: pub/sub drops it) is published again, at most this often.
//  The client order id is the same, so gateway-order places it at most once.
#define MAX_RESENDS 2
//  Months (and contracts without a month: a feed that names none) kept per
//  root: the lead, the next, a position's own month and a few stray ones.
#define MAX_MONTHS 6
//  Volume weights are fixed point, so the lead decision is the same integer
//  arithmetic in the service and in a backtest.
#define VOLUME_ONE 1024

//  now 0: no time yet - a market clock before its first market data. The
//  day and the state wait for it rather than take the wall clock's (a
//  replay's Tuesday run on a Saturday went REDUCING "weekend" and sent a
//  flatten-all at its reconcile, before its first trade).
#define NO_TIME_YET(now) ((now) == 0)

//  What risk knows about one contract month of a root (DESIGN.md principle
//  10): prices, data age and recent volume are never shared between months.
typedef struct {
    char contract[32];                  //  "GCZ6"; "" for md that names no contract
    bool has_price;
    int64_t last_price, last_md_ns;
    int64_t volume;                     //  exponentially weighted over the root's
                                        //  last cfg.roll_trades trades, x VOLUME_ONE
    uint32_t gen;                       //  which month this place holds (a caller's memo)
} risk_month_t;

//  Everything risk knows about one root symbol.
typedef struct {
    const ofts_instrument_t *ins;
    char contract[32];
    int32_t qty;                        //  signed position
    int64_t avg;                        //  average entry, 1e-9 units
    char pos_coid[RISK_CLIENT_ID_SIZE];
    bool has_broker_upnl;               //  gateway-order's unrealized, used without a price
    int64_t broker_upnl;
    risk_month_t months[MAX_MONTHS];
    size_t nmonths;
    uint32_t month_gen;                 //  months made so far: each a new gen
    bool has_lead;
    char lead[32];                      //  the traded contract: entries only here
    int64_t lead_hold;                  //  trades of the root before a lead the
                                        //  journal gave back may roll (volume
                                        //  is not journaled: it is re-learnt)
    bool has_approval;                  //  cooldown start and the last order
    int64_t last_approval_ns;
    Ofts__OrderRequest last;
    char last_coid[RISK_CLIENT_ID_SIZE], last_signal[132], last_contract[32];
    uint32_t work_qty;                  //  working entry, 0 = none
    char work_coid[RISK_CLIENT_ID_SIZE];
    int64_t work_ns;
    int work_resends;                   //  approvals re-published for this entry
    bool seen_in_reconcile;             //  the broker's position, applied at reconcile_end
    bool work_seen_in_reconcile;
    int32_t rec_qty;
    int64_t rec_avg, rec_upnl;
    char rec_contract[32], rec_coid[RISK_CLIENT_ID_SIZE];
    //  Contracts exec.position moved the position by that no fill has
    //  explained yet (the broker's position read before its trade), and the
    //  position as the fills knew it then: the late fill's P&L counts from
    //  its average, and the fill does not move the position again.
    int32_t moved_qty;
    int32_t moved_from_qty;
    int64_t moved_from_avg;
    int64_t moved_ns;
} risk_slot_t;

struct _risk_engine_t {
    risk_config_t cfg;
    risk_engine_callbacks_t cb;
    void *arg;
    risk_journal_t *journal;
    risk_slot_t slots[MAX_SLOTS];
    size_t nslots;
    zhashx_t *seen_signals;             //  approved signal ids
    zhashx_t *seen_fills;
    int64_t *rate;                      //  ring of approval times
    int rate_next;
    bool has_md_heartbeat;
    int64_t md_heartbeat_ns;
    risk_rule_verdict_fn *verdict_fn;   //  explain tools only
    void *verdict_arg;
    risk_engine_peers_fn *peers_fn;     //  several accounts: the others' exposure
    void *peers_arg;
    bool reconciled, reconciling;
    //  Account
    int day;                            //  trading day yyyymmdd (17:00 CT roll)
    int64_t day_open_cache;             //  session open s_roll_day last worked out ...
    int day_cache;                      //  ... and the day it gives
    int64_t realized_total, realized_today, peak_eod;
    int daily_halt_day;
    bool mll_breached, journal_failed;
    bool order_gw_reducing;             //  gateway-order says it opens nothing (store failed)
    char order_gw_reason[160];
    Ofts__TradingState cmd_state;
    char cmd_reason[160];
    //  Effective state
    Ofts__TradingState state;
    char state_reason[192];
    int64_t last_flatten_ns, last_account_ns;
    int64_t flatten_every_ns;           //  repeat interval, doubling to MAX_FLATTEN_EVERY
    Ofts__AccountState published;
    char published_reason[192];
    bool has_published;
    uint64_t approved, rejected;
    int64_t window_minute;              //  UTC minute the flatten window was worked out for (-1 none)
    bool window_flatten;
    risk_day_hours_t window_hours;      //  ... and that CT date's hours
};

static void s_evaluate(risk_engine_t *self, int64_t now);
static void s_roll_day(risk_engine_t *self, int64_t now);

//  --- small helpers --------------------------------------------------------

static risk_slot_t *
s_slot(risk_engine_t *self, const char *symbol)
{
    const ofts_instrument_t *ins = symbol ? ofts_instrument_find(symbol) : NULL;
    if (!ins)
        return NULL;
    for (size_t i = 0; i < self->nslots; i++)
        if (self->slots[i].ins == ins)
            return &self->slots[i];
    return NULL;
}

//  The month with the least recent volume that is neither the lead nor the
//  position's: the one a new month may replace. Evicting by place instead
//  (the first such month) throws away the next contract's volume whenever
//  a thin month prints, and a parent-symbol feed (GC.FUT) has a dozen thin
//  months: the roll would then wait for the volume to be learnt again.
static risk_month_t *
s_quietest_month(risk_slot_t *sl)
{
    risk_month_t *q = NULL;
    for (size_t i = 0; i < sl->nmonths; i++) {
        risk_month_t *c = &sl->months[i];
        if ((sl->has_lead && strcmp(c->contract, sl->lead) == 0) || strcmp(c->contract, sl->contract) == 0)
            continue;
        if (!q || c->volume < q->volume)
            q = c;
    }
    return q;
}

//  The month entry of contract (NULL = ""), or NULL. With create, a new
//  month takes a free place or the quietest one that is neither the lead
//  nor the position's.
static risk_month_t *
s_month(risk_slot_t *sl, const char *contract, bool create)
{
    if (!contract)
        contract = "";
    for (size_t i = 0; i < sl->nmonths; i++)
        if (ofts_same_name(sl->months[i].contract, contract))
            return &sl->months[i];
    if (!create || strlen(contract) >= sizeof sl->months[0].contract)
        return NULL;
    risk_month_t *m = sl->nmonths < MAX_MONTHS ? &sl->months[sl->nmonths++] : s_quietest_month(sl);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    snprintf(m->contract, sizeof m->contract, "%s", contract);
    m->gen = ++sl->month_gen;
    return m;
}

//  The price a position is marked with: its own month's, never another's.
static const risk_month_t *
s_position_month(risk_slot_t *sl)
{
    const risk_month_t *m = s_month(sl, sl->contract, false);
    return m && m->has_price ? m : NULL;
}

static int64_t
s_position_upnl(risk_slot_t *sl)
{
    const risk_month_t *m = s_position_month(sl);
    if (m)
        return ofts_instrument_pnl_cents(sl->ins, sl->avg, m->last_price, sl->qty);
    return sl->has_broker_upnl ? sl->broker_upnl : 0;
}

static int64_t
s_balance(risk_engine_t *self)
{
    return self->cfg.start_balance_cents + self->realized_total;
}

//  Trailing MLL floor, spec/topstepx.md §8.2 (GT TOPSTEP-POLICY):
//  min(S, S - D + max(0, H - S)), H = highest end-of-day balance.
static int64_t
s_mll_floor(risk_engine_t *self)
{
    int64_t s = self->cfg.start_balance_cents, d = self->cfg.max_loss_limit_cents;
    int64_t gain = self->peak_eod > s ? self->peak_eod - s : 0;
    int64_t floor = s - d + gain;
    return floor < s ? floor : s;
}

static int64_t
s_unrealized(risk_engine_t *self)
{
    int64_t sum = 0;
    for (size_t i = 0; i < self->nslots; i++) {
        risk_slot_t *sl = &self->slots[i];
        if (sl->qty != 0)
            sum += s_position_upnl(sl);
    }
    return sum;
}

static bool
s_exposed(risk_engine_t *self)
{
    for (size_t i = 0; i < self->nslots; i++)
        if (self->slots[i].qty != 0 || self->slots[i].work_qty > 0)
            return true;
    return false;
}

static int
s_open_positions(risk_engine_t *self)
{
    int n = 0;
    for (size_t i = 0; i < self->nslots; i++)
        n += self->slots[i].qty != 0 || self->slots[i].work_qty > 0;
    return n;
}

static int64_t
s_used_tenths(risk_engine_t *self)
{
    int64_t sum = 0;
    for (size_t i = 0; i < self->nslots; i++) {
        risk_slot_t *sl = &self->slots[i];
        int64_t q = sl->qty < 0 ? -(int64_t) sl->qty : sl->qty;
        sum += (q + sl->work_qty) * risk_sizing_weight(&self->cfg, sl->ins);
    }
    return sum;
}

static int
s_orders_last_minute(risk_engine_t *self, int64_t now)
{
    int n = 0;
    for (int i = 0; i < self->cfg.max_orders_per_minute; i++)
        n += self->rate[i] != INT64_MIN && self->rate[i] > now - RATE_WINDOW_NS;
    return n;
}

static const char *
s_state_name(Ofts__TradingState st)
{
    return st == OFTS__TRADING_STATE__STATE_HALTED ? "HALTED"
         : st == OFTS__TRADING_STATE__STATE_REDUCING ? "REDUCING" : "ACTIVE";
}

//  Journal writes outside the approval path: a failure halts trading (we
//  could no longer promise to remember), but the event itself is applied.
static void
s_journal_check(risk_engine_t *self, int rc, const char *what)
{
    if (rc == 0 || !self->journal)
        return;
    log_error("journal write failed (%s): %s", what, risk_journal_error(self->journal));
    self->journal_failed = true;
}

static void
s_save_state(risk_engine_t *self, const char *key, int64_t value, const char *text, int64_t now)
{
    if (self->journal)
        s_journal_check(self, risk_journal_state(self->journal, key, value, text, now), key);
}

//  --- life cycle -------------------------------------------------------------

risk_engine_t *
risk_engine_new(const risk_config_t *cfg, const risk_engine_callbacks_t *cb, void *arg)
{
    risk_engine_t *self = calloc(1, sizeof *self);
    self->cfg = *cfg;
    if (cb)
        self->cb = *cb;
    self->arg = arg;
    for (size_t i = 0; i < ofts_instrument_count() && i < MAX_SLOTS; i++) {
        risk_slot_t *sl = &self->slots[self->nslots++];
        sl->ins = ofts_instrument_at(i);
        const char *pin = risk_config_traded_contract(cfg, sl->ins->root);
        if (pin) {
            sl->has_lead = true;
            snprintf(sl->lead, sizeof sl->lead, "%s", pin);
        }
    }
    self->seen_signals = zhashx_new();
    self->seen_fills = zhashx_new();
    self->rate = malloc(sizeof(int64_t) * (size_t) cfg->max_orders_per_minute);
    for (int i = 0; i < cfg->max_orders_per_minute; i++)
        self->rate[i] = INT64_MIN;
    self->reconciled = !cfg->require_reconcile;
    self->peak_eod = cfg->start_balance_cents;
    self->cmd_state = OFTS__TRADING_STATE__STATE_ACTIVE;
    self->state = OFTS__TRADING_STATE__STATE_ACTIVE;
    snprintf(self->state_reason, sizeof self->state_reason, "ok");
    self->last_flatten_ns = INT64_MIN;
    self->flatten_every_ns = cfg->flatten_repeat_ns;
    self->last_account_ns = INT64_MIN;
    self->window_minute = -1;
    return self;
}

void
risk_engine_destroy(risk_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    risk_engine_t *self = *self_p;
    zhashx_destroy(&self->seen_signals);
    zhashx_destroy(&self->seen_fills);
    free(self->rate);
    free(self);
    *self_p = NULL;
}

//  --- journal replay ---------------------------------------------------------

static void
s_remember_approval(risk_engine_t *self, risk_slot_t *sl, const Ofts__OrderRequest *req, int64_t ts)
{
    zhashx_insert(self->seen_signals, req->signal_id, (void *) 1);
    self->rate[self->rate_next] = ts;
    self->rate_next = (self->rate_next + 1) % self->cfg.max_orders_per_minute;
    sl->has_approval = true;
    sl->last_approval_ns = ts;
    sl->last = *req;
    snprintf(sl->last_coid, sizeof sl->last_coid, "%s", req->client_order_id);
    snprintf(sl->last_signal, sizeof sl->last_signal, "%s", req->signal_id);
    snprintf(sl->last_contract, sizeof sl->last_contract, "%s", req->contract ? req->contract : "");
    sl->last.client_order_id = sl->last_coid;
    sl->last.signal_id = sl->last_signal;
    sl->last.symbol = (char *) sl->ins->root;
    sl->last.contract = sl->last_contract;
    sl->last.reasons = (char *) "";
}

//  The traded contract risk had chosen before the restart (a pin in the
//  config wins: it may have changed on purpose).
static void
s_replay_lead(risk_engine_t *self, const char *root, const char *contract)
{
    risk_slot_t *sl = s_slot(self, root);
    if (!sl || !contract || !contract[0] || risk_config_traded_contract(&self->cfg, root))
        return;
    sl->has_lead = true;
    snprintf(sl->lead, sizeof sl->lead, "%s", contract);
    sl->lead_hold = self->cfg.roll_trades;
    log_info("%s traded contract is %s (journal; held for the next %d trades while volume is re-learnt)", root,
             contract, self->cfg.roll_trades);
}

//  A move exec.position showed before its fill, kept across a restart: the
//  fill may come after risk is back (text: "from_qty from_avg moved_ns").
static void
s_replay_moved(risk_engine_t *self, const char *root, int32_t moved, const char *text)
{
    risk_slot_t *sl = s_slot(self, root);
    int32_t from_qty;
    int64_t from_avg, ns;
    if (!sl || !text || sscanf(text, "%" SCNd32 " %" SCNd64 " %" SCNd64, &from_qty, &from_avg, &ns) != 3) {
        log_warn("journal: move of '%s' unreadable ('%s'): ignored", root, text ? text : "");
        return;
    }
    sl->moved_qty = moved;
    sl->moved_from_qty = from_qty;
    sl->moved_from_avg = from_avg;
    sl->moved_ns = ns;
}

static void
s_replay_state(void *arg, const char *key, int64_t value, const char *text)
{
    risk_engine_t *self = arg;
    if (strcmp(key, "realized_total_cents") == 0)
        self->realized_total = value;
    else if (strcmp(key, "realized_today_cents") == 0)
        self->realized_today = value;
    else if (strcmp(key, "peak_eod_cents") == 0)
        self->peak_eod = value;
    else if (strcmp(key, "session_day") == 0)
        self->day = (int) value;
    else if (strcmp(key, "daily_halt_day") == 0)
        self->daily_halt_day = (int) value;
    else if (strcmp(key, "mll_breached") == 0)
        self->mll_breached = value != 0;
    else if (strcmp(key, "cmd_state") == 0) {
        self->cmd_state = (Ofts__TradingState) value;
        snprintf(self->cmd_reason, sizeof self->cmd_reason, "%s", text);
    }
    else if (strncmp(key, "lead.", 5) == 0)
        s_replay_lead(self, key + 5, text);
    else if (strncmp(key, "moved.", 6) == 0)
        s_replay_moved(self, key + 6, (int32_t) value, text);
}

static void
s_replay_approval(void *arg, const Ofts__OrderRequest *req, int64_t ts)
{
    risk_engine_t *self = arg;
    risk_slot_t *sl = s_slot(self, req->symbol);
    if (sl)
        s_remember_approval(self, sl, req, ts);
}

static void
s_replay_cooldown(void *arg, const char *symbol, int64_t last)
{
    risk_slot_t *sl = s_slot(arg, symbol);
    if (sl && (!sl->has_approval || last > sl->last_approval_ns)) {
        sl->has_approval = true;
        sl->last_approval_ns = last;
    }
}

static void
s_replay_working(void *arg, const char *symbol, const char *coid, uint32_t qty, int64_t ts)
{
    risk_slot_t *sl = s_slot(arg, symbol);
    if (!sl)
        return;
    sl->work_qty = qty;
    sl->work_ns = ts;
    sl->work_resends = 0;
    snprintf(sl->work_coid, sizeof sl->work_coid, "%s", coid);
}

static void
s_replay_position(void *arg, const char *symbol, const char *contract, int32_t qty, int64_t avg,
                  const char *coid)
{
    risk_slot_t *sl = s_slot(arg, symbol);
    if (!sl)
        return;
    sl->qty = qty;
    sl->avg = avg;
    snprintf(sl->contract, sizeof sl->contract, "%s", contract);
    snprintf(sl->pos_coid, sizeof sl->pos_coid, "%s", coid);
}

static void
s_replay_fill(void *arg, const char *fill_id)
{
    risk_engine_t *self = arg;
    zhashx_insert(self->seen_fills, fill_id, (void *) 1);
}

int
risk_engine_attach_journal(risk_engine_t *self, risk_journal_t *journal, int64_t now)
{
    self->journal = journal;
    risk_journal_replay_t fns = { s_replay_state, s_replay_approval, s_replay_cooldown,
                                  s_replay_working, s_replay_position, s_replay_fill };
    if (risk_journal_replay(journal, &fns, self)) {
        log_error("journal replay failed: %s", risk_journal_error(journal));
        return -1;
    }
    int positions = 0;
    for (size_t i = 0; i < self->nslots; i++)
        positions += self->slots[i].qty != 0;
    log_info("journal %s replayed: %zu approved signals, %zu fills, %d positions, balance $%.2f, "
             "today $%.2f, peak EOD $%.2f, day %d", risk_journal_path(journal),
             zhashx_size(self->seen_signals), zhashx_size(self->seen_fills), positions,
             (double) s_balance(self) / 100, (double) self->realized_today / 100,
             (double) self->peak_eod / 100, self->day);
    if (NO_TIME_YET(now)) {
        log_info("trading state: worked out at the first market data (market clock)");
        return 0;
    }
    s_roll_day(self, now);
    s_evaluate(self, now);
    log_info("trading state %s: %s", s_state_name(self->state), self->state_reason);
    return 0;
}

//  --- trading day, state machine, flatten, account ---------------------------

static void
s_roll_day(risk_engine_t *self, int64_t now)
{
    if (NO_TIME_YET(now))
        return;
    //  Called for every event; the day changes only at a 17:00 CT open and
    //  opens are 23 h or more apart, so inside the session last worked out
    //  the answer is known without the CT calendar (a profile hot spot in
    //  backtests).
    if (self->day != 0 && self->day == self->day_cache && now >= self->day_open_cache
        && now - self->day_open_cache < 23 * 3600 * OFTS_NS_PER_SEC)
        return;
    int day = ofts_session_day(now);
    self->day_open_cache = ofts_session_open_ns(now);
    self->day_cache = day;
    if (day == self->day)
        return;
    if (self->day != 0 && day > self->day) {
        //  End of a trading day: the trailing MLL moves only here (§8.2).
        int64_t eod = s_balance(self);
        if (eod > self->peak_eod)
            self->peak_eod = eod;
        if (self->journal)
            s_journal_check(self, risk_journal_day(self->journal, self->day, self->realized_today, eod), "day");
        log_info("trading day %d closed: realized $%.2f, balance $%.2f, peak EOD $%.2f; now day %d",
                 self->day, (double) self->realized_today / 100, (double) eod / 100,
                 (double) self->peak_eod / 100, day);
        self->realized_today = 0;
    }
    else if (self->day != 0)
        return;                         //  clock went backwards: keep the later day
    self->day = day;
    if (self->journal) {
        s_journal_check(self, risk_journal_begin(self->journal), "begin");
        s_save_state(self, "session_day", day, NULL, now);
        s_save_state(self, "realized_today_cents", self->realized_today, NULL, now);
        s_save_state(self, "peak_eod_cents", self->peak_eod, NULL, now);
        s_journal_check(self, risk_journal_commit(self->journal), "commit");
    }
}

static void
s_forward(risk_engine_t *self, Ofts__CommandType type, const char *symbol, const char *reason)
{
    Ofts__Command cmd;
    ofts__command__init(&cmd);
    cmd.type = type;
    cmd.symbol = (char *) (symbol ? symbol : "");
    cmd.reason = (char *) reason;
    cmd.issued_by = (char *) "risk";
    if (self->cfg.multi_account)
        cmd.account = self->cfg.account_id;     //  gateway-order: this account only
    if (self->cb.command)
        self->cb.command(self->arg, &cmd);
}

static void
s_flatten(risk_engine_t *self, const char *symbol, const char *reason, int64_t now)
{
    Ofts__Command cmd;
    ofts__command__init(&cmd);
    cmd.type = OFTS__COMMAND_TYPE__CMD_FLATTEN;
    cmd.symbol = (char *) (symbol ? symbol : "");
    cmd.reason = (char *) reason;
    cmd.issued_by = (char *) "risk";
    log_warn("flatten %s: %s", *cmd.symbol ? cmd.symbol : "all", reason);
    if (!*cmd.symbol)
        self->last_flatten_ns = now;
    if (self->cfg.multi_account)
        cmd.account = self->cfg.account_id;     //  gateway-order: this account only
    if (self->cb.command)
        self->cb.command(self->arg, &cmd);
}

//  In the flatten window (or the weekend) at now? Worked out once a UTC
//  minute: CT is whole hours off UTC and changes on the hour, so the CT
//  minute - all the window depends on - is the same through a UTC minute,
//  and this runs on every trade while a position is open.
static bool
s_flatten_window(risk_engine_t *self, int64_t now)
{
    int64_t minute = now >= 0 ? now / (60 * OFTS_NS_PER_SEC) : -1;
    if (minute >= 0 && minute == self->window_minute)
        return self->window_flatten;
    bool closed, flatten;
    self->window_hours = risk_rules_hours_at(&self->cfg, now, &closed, &flatten);
    self->window_minute = minute;
    self->window_flatten = flatten;
    return flatten;
}

//  The strongest of every reason to be less than ACTIVE.
static Ofts__TradingState
s_effective(risk_engine_t *self, int64_t now, char *why, size_t size, bool *must_flatten)
{
    Ofts__TradingState st = OFTS__TRADING_STATE__STATE_ACTIVE;
    snprintf(why, size, "ok");
    bool flatten_window = s_flatten_window(self, now);
    if (flatten_window) {
        st = OFTS__TRADING_STATE__STATE_REDUCING;
        const risk_day_hours_t *h = &self->window_hours;
        if (h->close_min >= 0)
            snprintf(why, size, "flatten window %02d:%02d-17:00 CT (CME early close %02d:%02d CT today)",
                     h->flatten_min / 60, h->flatten_min % 60, h->close_min / 60, h->close_min % 60);
        else
            snprintf(why, size, "flatten window %02d:%02d-17:00 CT / weekend (Topstep: flat before 15:10 CT)",
                     h->flatten_min / 60, h->flatten_min % 60);
    }
    if (self->cmd_state > st) {
        st = self->cmd_state;
        snprintf(why, size, "%s", self->cmd_reason);
    }
    if (self->daily_halt_day == self->day && self->day != 0) {
        st = OFTS__TRADING_STATE__STATE_HALTED;
        snprintf(why, size, "daily loss limit $%.2f reached (until the 17:00 CT open)",
                 (double) self->cfg.daily_loss_limit_cents / 100);
    }
    if (self->mll_breached) {
        st = OFTS__TRADING_STATE__STATE_HALTED;
        snprintf(why, size, "maximum loss limit reached (floor $%.2f): account rule broken",
                 (double) s_mll_floor(self) / 100);
    }
    if (self->order_gw_reducing && st < OFTS__TRADING_STATE__STATE_REDUCING) {
        st = OFTS__TRADING_STATE__STATE_REDUCING;
        snprintf(why, size, "gateway-order: %s", self->order_gw_reason);
    }
    if (self->journal_failed) {
        st = OFTS__TRADING_STATE__STATE_HALTED;
        snprintf(why, size, "journal write failed: cannot remember approvals");
    }
    *must_flatten = st == OFTS__TRADING_STATE__STATE_HALTED || flatten_window;
    return st;
}

static void
s_check_limits(risk_engine_t *self, int64_t now)
{
    int64_t upnl = s_unrealized(self);
    if (self->cfg.daily_loss_limit_cents > 0 && self->daily_halt_day != self->day
        && self->realized_today + upnl <= -self->cfg.daily_loss_limit_cents) {
        self->daily_halt_day = self->day;
        log_error("daily loss limit hit: realized $%.2f + unrealized $%.2f <= -$%.2f",
                  (double) self->realized_today / 100, (double) upnl / 100,
                  (double) self->cfg.daily_loss_limit_cents / 100);
        s_save_state(self, "daily_halt_day", self->day, NULL, now);
    }
    if (self->cfg.max_loss_limit_cents > 0 && !self->mll_breached
        && s_balance(self) + upnl <= s_mll_floor(self)) {
        self->mll_breached = true;
        log_error("maximum loss limit hit: equity $%.2f <= floor $%.2f",
                  (double) (s_balance(self) + upnl) / 100, (double) s_mll_floor(self) / 100);
        s_save_state(self, "mll_breached", 1, NULL, now);
    }
}

void
risk_engine_account(risk_engine_t *self, Ofts__AccountState *a)
{
    ofts__account_state__init(a);
    a->account_id = self->cfg.account_id;
    a->balance_cents = s_balance(self);
    a->realized_pnl_cents = self->realized_today;
    a->unrealized_pnl_cents = s_unrealized(self);
    a->peak_balance_cents = self->peak_eod;
    a->mll_floor_cents = self->cfg.max_loss_limit_cents > 0 ? s_mll_floor(self) : 0;
    a->state = self->state;
    a->state_reason = self->state_reason;
    a->open_positions = (uint32_t) s_open_positions(self);
    uint32_t contracts = 0;
    for (size_t i = 0; i < self->nslots; i++)
        contracts += (uint32_t) abs(self->slots[i].qty);
    a->open_contracts = contracts;
    a->daily_loss_limit_cents = self->cfg.daily_loss_limit_cents;
}

//  Publish on any change except unrealized P&L (which moves with every
//  trade and goes out with the periodic publication instead).
static void
s_publish_account(risk_engine_t *self, int64_t now, bool force)
{
    Ofts__AccountState a;
    risk_engine_account(self, &a);
    Ofts__AccountState *p = &self->published;
    bool changed = !self->has_published || p->balance_cents != a.balance_cents
        || p->realized_pnl_cents != a.realized_pnl_cents || p->peak_balance_cents != a.peak_balance_cents
        || p->mll_floor_cents != a.mll_floor_cents || p->state != a.state
        || p->open_positions != a.open_positions || p->open_contracts != a.open_contracts
        || strcmp(self->published_reason, a.state_reason) != 0;
    bool due = self->last_account_ns == INT64_MIN || now - self->last_account_ns >= self->cfg.account_publish_ns;
    if (!changed && !due && !force)
        return;
    self->published = a;
    snprintf(self->published_reason, sizeof self->published_reason, "%s", a.state_reason);
    self->has_published = true;
    self->last_account_ns = now;
    if (self->cb.account)
        self->cb.account(self->arg, &a);
}

static void
s_evaluate(risk_engine_t *self, int64_t now)
{
    if (NO_TIME_YET(now))
        return;
    s_check_limits(self, now);
    char why[192];
    bool must_flatten = false;
    Ofts__TradingState st = s_effective(self, now, why, sizeof why, &must_flatten);
    bool changed = st != self->state || strcmp(why, self->state_reason) != 0;
    if (changed) {
        self->flatten_every_ns = self->cfg.flatten_repeat_ns;
        log_info("state %s -> %s: %s", s_state_name(self->state), s_state_name(st), why);
        self->state = st;
        snprintf(self->state_reason, sizeof self->state_reason, "%s", why);
        s_save_state(self, "state", st, why, now);
    }
    //  On entering a must-be-flat state, and again while exposure is known:
    //  pub/sub may lose one command, so flattening is repeated, idempotently.
    if (must_flatten && self->last_flatten_ns != now && !changed && s_exposed(self)
        && now - self->last_flatten_ns >= self->flatten_every_ns) {
        s_flatten(self, "", why, now);
        self->flatten_every_ns = self->flatten_every_ns * 2 < MAX_FLATTEN_EVERY_NS
                               ? self->flatten_every_ns * 2 : MAX_FLATTEN_EVERY_NS;
    }
    else if (must_flatten && self->last_flatten_ns != now && changed)
        s_flatten(self, "", why, now);
    s_publish_account(self, now, false);
}

void
risk_engine_tick(risk_engine_t *self, int64_t now)
{
    s_roll_day(self, now);
    s_evaluate(self, now);
}

//  --- signals -----------------------------------------------------------------

static void
s_view(risk_engine_t *self, const Ofts__Signal *sig, int64_t now, risk_view_t *v)
{
    memset(v, 0, sizeof *v);
    v->cfg = &self->cfg;
    v->now = now;
    risk_slot_t *sl = s_slot(self, sig->symbol);
    v->ins = sl ? sl->ins : NULL;
    v->seen_signal = sig->id && zhashx_lookup(self->seen_signals, sig->id) != NULL;
    if (sl) {
        //  Prices and data age of the signal's own month only.
        const risk_month_t *m = s_month(sl, sig->contract, false);
        v->has_approval = sl->has_approval;
        v->last_approval_ns = sl->last_approval_ns;
        v->has_price = m && m->has_price;
        v->last_price = m ? m->last_price : 0;
        v->last_md_ns = m ? m->last_md_ns : 0;
        v->has_lead = sl->has_lead;
        v->lead = sl->lead;
        v->position_qty = sl->qty;
        v->working_entry = sl->work_qty > 0;
    }
    v->has_md_heartbeat = self->has_md_heartbeat;
    v->last_md_heartbeat_ns = self->md_heartbeat_ns;
    v->open_positions = s_open_positions(self);
    v->used_tenths = s_used_tenths(self);
    int64_t upnl = s_unrealized(self);
    v->day_pnl_cents = self->realized_today + upnl;
    v->equity_cents = s_balance(self) + upnl;
    v->mll_floor_cents = s_mll_floor(self);
    v->orders_last_minute = s_orders_last_minute(self, now);
    v->reconciled = self->reconciled;
    v->state = self->state;
    v->state_reason = self->state_reason;
    if (self->peers_fn && sl)
        self->peers_fn(self->peers_arg, self, sl->ins->root, &v->other_long, &v->other_short, &v->other_account);
}

static void
s_reject(risk_engine_t *self, const Ofts__Signal *sig, Ofts__RejectCode code, const char *text, int64_t now)
{
    Ofts__RiskReject rej;
    ofts__risk_reject__init(&rej);
    rej.signal_id = sig->id;
    rej.symbol = sig->symbol;
    rej.code = code;
    rej.text = (char *) text;
    if (self->cfg.multi_account)
        rej.account = self->cfg.account_id;
    self->rejected++;
    log_info("reject %s %s %s: %s", sig->symbol ? sig->symbol : "", sig->id ? sig->id : "",
             risk_reject_name(code), text);
    if (self->journal && risk_journal_reject(self->journal, &rej, now, self->day))
        log_warn("journal: reject not recorded: %s", risk_journal_error(self->journal));
    if (self->cb.reject)
        self->cb.reject(self->arg, &rej);
}

static void
s_approve(risk_engine_t *self, const Ofts__Signal *sig, const risk_plan_t *plan, int64_t now)
{
    risk_slot_t *sl = s_slot(self, sig->symbol);
    char coid[RISK_CLIENT_ID_SIZE];
    if (self->cfg.multi_account)
        risk_order_account_client_id(sig->id, self->cfg.account_id, coid, sizeof coid);
    else
        risk_order_client_id(sig->id, coid, sizeof coid);
    Ofts__OrderRequest req;
    risk_order_from_signal(&req, sig, plan, &self->cfg, coid);
    //  Durable first: an order we publish and then forget could be doubled.
    if (self->journal && risk_journal_approval(self->journal, &req, now, self->day)) {
        log_error("journal: approval of %s not durable: %s", sig->id, risk_journal_error(self->journal));
        self->journal_failed = true;
        s_evaluate(self, now);
        s_reject(self, sig, OFTS__REJECT_CODE__REJECT_HALTED, "journal write failed: trading HALTED", now);
        return;
    }
    s_remember_approval(self, sl, &req, now);
    sl->work_qty = plan->quantity;
    sl->work_ns = now;
    sl->work_resends = 0;
    snprintf(sl->work_coid, sizeof sl->work_coid, "%s", coid);
    if (sig->contract && *sig->contract)
        snprintf(sl->contract, sizeof sl->contract, "%s", sig->contract);
    self->approved++;
    char e[32], s[32], t[32];
    log_info("approve %s %s %s %u @ %s stop %s target %s (%s)", sig->symbol, coid,
             plan->side == OFTS__SIDE__SIDE_BUY ? "buy" : "sell", plan->quantity,
             ofts_price_str(plan->entry, e, sizeof e), ofts_price_str(plan->stop, s, sizeof s),
             ofts_price_str(plan->take_profit, t, sizeof t), sig->id);
    if (self->cb.order)
        self->cb.order(self->arg, &req);
}

void
risk_engine_set_verdict_fn(risk_engine_t *self, risk_rule_verdict_fn *fn, void *arg)
{
    self->verdict_fn = fn;
    self->verdict_arg = arg;
}

void
risk_engine_on_signal(risk_engine_t *self, const Ofts__Signal *sig, int64_t now)
{
    s_roll_day(self, now);
    s_evaluate(self, now);              //  the state gate must see `now`
    risk_view_t v;
    s_view(self, sig, now, &v);
    if (self->verdict_fn)
        risk_rules_each(&v, sig, self->verdict_fn, self->verdict_arg);
    risk_plan_t plan;
    char text[256];
    Ofts__RejectCode code = risk_rules_check(&v, sig, &plan, text, sizeof text);
    if (code == OFTS__REJECT_CODE__REJECT_NONE)
        s_approve(self, sig, &plan, now);
    else
        s_reject(self, sig, code, text, now);
    s_evaluate(self, now);
}

//  --- market data, heartbeats -------------------------------------------------

//  The traded contract of a root: pinned by config (risk.traded_contracts),
//  else the month with the most volume over the root's last roll_trades
//  trades, exponentially weighted - what Databento's volume-ranked
//  continuous symbol (GC.v.0) names. A challenger must lead by roll_margin
//  to take over, so two months trading alike do not flap.
//  The decision is journaled (state "lead.<ROOT>"): a restarted risk keeps
//  trading the same contract, and holds it until it has seen roll_trades
//  trades of the root again - the weights it decides by start from zero,
//  and the first print of a thin month must not become the traded contract.
static void
s_rank_volume(risk_engine_t *self, risk_slot_t *sl, risk_month_t *m, uint32_t size, int64_t now)
{
    int64_t keep = self->cfg.roll_trades;
    for (size_t i = 0; i < sl->nmonths; i++)
        sl->months[i].volume -= sl->months[i].volume / keep;
    m->volume += (int64_t) size * VOLUME_ONE;
    if (risk_config_traded_contract(&self->cfg, sl->ins->root))
        return;                         //  pinned: set at start, never rolls by itself
    if (sl->lead_hold > 0) {
        sl->lead_hold--;
        return;
    }
    if (sl->has_lead && ofts_same_name(sl->lead, m->contract))
        return;
    const risk_month_t *lead = sl->has_lead ? s_month(sl, sl->lead, false) : NULL;
    if (lead && (double) m->volume <= (double) lead->volume * self->cfg.roll_margin)
        return;
    if (sl->has_lead)
        log_info("%s traded contract rolls %s -> %s: %s now leads the volume (no new entries in %s)",
                 sl->ins->root, sl->lead, m->contract, m->contract, sl->lead);
    else
        log_info("%s traded contract is %s (the most volume so far)", sl->ins->root, m->contract);
    sl->has_lead = true;
    snprintf(sl->lead, sizeof sl->lead, "%s", m->contract);
    char key[48];
    snprintf(key, sizeof key, "lead.%s", sl->ins->root);
    s_save_state(self, key, 0, sl->lead, now);
}

static void
s_on_trade(risk_engine_t *self, risk_slot_t *sl, risk_month_t *m, const Ofts__Trade *t, int64_t now)
{
    m->has_price = true;
    m->last_price = t->price;
    m->last_md_ns = now;
    s_rank_volume(self, sl, m, t->size ? t->size : 1, now);
    //  Only the position's own month moves its unrealized P&L.
    if (sl->qty != 0 && ofts_same_name(m->contract, sl->contract)) {
        s_roll_day(self, now);
        s_evaluate(self, now);          //  unrealized moved: loss limits
    }
}

static bool
s_price_ok(int64_t price)
{
    return price > 0 && price != OFTS_UNDEF_PRICE;
}

void
risk_engine_on_trade(risk_engine_t *self, const Ofts__Trade *t, int64_t now)
{
    risk_slot_t *sl = s_slot(self, t->symbol);
    if (!sl || !s_price_ok(t->price))
        return;
    risk_month_t *m = s_month(sl, t->contract, true);
    if (m)
        s_on_trade(self, sl, m, t, now);
}

//  Quotes keep the data fresh between trades (quiet overnight metals), but
//  only trades set the price the fat-finger band is measured from.
void
risk_engine_on_bbo(risk_engine_t *self, const Ofts__TopOfBook *bbo, int64_t now)
{
    risk_slot_t *sl = s_slot(self, bbo->symbol);
    risk_month_t *m = sl ? s_month(sl, bbo->contract, true) : NULL;
    if (m)
        m->last_md_ns = now;
}

//  The month memo names, found again by name (and made, as by name) when it
//  is new or its place now holds another month.
static risk_month_t *
s_memo_month(risk_engine_t *self, risk_market_memo_t *memo, const char *symbol, const char *contract,
             risk_slot_t **sl_out)
{
    if (memo->slot < 0)
        return NULL;                    //  not a symbol risk knows (slots never change)
    if (memo->slot > 0) {
        risk_slot_t *sl = &self->slots[memo->slot - 1];
        if (memo->month < sl->nmonths && sl->months[memo->month].gen == memo->gen) {
            *sl_out = sl;
            return &sl->months[memo->month];
        }
    }
    risk_slot_t *sl = s_slot(self, symbol);
    if (!sl) {
        memo->slot = -1;
        return NULL;
    }
    memo->slot = (int32_t) (sl - self->slots) + 1;
    risk_month_t *m = s_month(sl, contract, true);
    memo->month = m ? (uint32_t) (m - sl->months) : 0;
    memo->gen = m ? m->gen : 0;         //  gens start at 1: 0 never matches
    *sl_out = sl;
    return m;
}

void
risk_engine_on_trade_memo(risk_engine_t *self, risk_market_memo_t *memo, const Ofts__Trade *t, int64_t now)
{
    risk_slot_t *sl = NULL;
    if (!s_price_ok(t->price))
        return;                         //  before the month: by name, no month is made either
    risk_month_t *m = s_memo_month(self, memo, t->symbol, t->contract, &sl);
    if (m)
        s_on_trade(self, sl, m, t, now);
}

void
risk_engine_on_bbo_memo(risk_engine_t *self, risk_market_memo_t *memo, const Ofts__TopOfBook *bbo, int64_t now)
{
    risk_slot_t *sl = NULL;
    risk_month_t *m = s_memo_month(self, memo, bbo->symbol, bbo->contract, &sl);
    if (m)
        m->last_md_ns = now;
}

void
risk_engine_on_heartbeat(risk_engine_t *self, const Ofts__Heartbeat *hb, int64_t now)
{
    if (hb->service && strcmp(hb->service, "gateway-md") == 0) {
        self->has_md_heartbeat = true;
        self->md_heartbeat_ns = now;
    }
}

//  --- executions ----------------------------------------------------------------

//  Apply a fill to a position (qty, avg); returns realized cents (before fees).
static int64_t
s_apply_fill(const ofts_instrument_t *ins, int32_t *qty, int64_t *avg, int32_t signed_qty, int64_t price)
{
    int64_t realized = 0;
    if (*qty == 0 || (*qty > 0) == (signed_qty > 0)) {
        int64_t old = abs(*qty), add = abs(signed_qty);
        *avg = (*avg * old + price * add) / (old + add);
        *qty += signed_qty;
        return 0;
    }
    int32_t closed = abs(signed_qty) < abs(*qty) ? abs(signed_qty) : abs(*qty);
    realized = ofts_instrument_pnl_cents(ins, *avg, price, *qty > 0 ? closed : -closed);
    *qty += signed_qty;
    if (*qty == 0)
        *avg = 0;
    else if ((*qty > 0) == (signed_qty > 0))
        *avg = price;                   //  flipped through flat
    return realized;
}

//  exec.position moved the position to qty without a fill (yet).
static void
s_note_move(risk_slot_t *sl, int32_t qty, int64_t now)
{
    if (qty == sl->qty)
        return;
    if (sl->moved_qty == 0 || now - sl->moved_ns >= MOVED_GRACE_NS) {
        sl->moved_qty = 0;
        sl->moved_from_qty = sl->qty;
        sl->moved_from_avg = sl->avg;
    }
    sl->moved_qty += qty - sl->qty;
    sl->moved_ns = now;
}

//  The part of a fill (signed) that a recent exec.position already showed.
static int32_t
s_explained(risk_slot_t *sl, int32_t signed_qty, int64_t now)
{
    if (sl->moved_qty == 0 || now - sl->moved_ns >= MOVED_GRACE_NS || (sl->moved_qty > 0) != (signed_qty > 0))
        return 0;
    int32_t part = abs(signed_qty) < abs(sl->moved_qty) ? signed_qty : sl->moved_qty;
    sl->moved_qty -= part;
    return part;
}

static void
s_save_moved(risk_engine_t *self, risk_slot_t *sl, int64_t now)
{
    if (!self->journal || sl->moved_ns == 0)
        return;
    char key[48], text[80];
    snprintf(key, sizeof key, "moved.%s", sl->ins->root);
    snprintf(text, sizeof text, "%" PRId32 " %" PRId64 " %" PRId64, sl->moved_from_qty, sl->moved_from_avg,
             sl->moved_ns);
    s_save_state(self, key, sl->moved_qty, text, now);
}

//  Apply a fill: the part a position already showed moves only the fills'
//  view (for its P&L), the rest the position.
static int64_t
s_fill_position(risk_slot_t *sl, int32_t signed_qty, int64_t price, int64_t now)
{
    int32_t shown = s_explained(sl, signed_qty, now);
    int64_t realized = 0;
    if (shown) {
        realized = s_apply_fill(sl->ins, &sl->moved_from_qty, &sl->moved_from_avg, shown, price);
        log_info("%s fill of %d: already in the broker's position (exec.position came first): P&L counted, "
                 "position kept at %d", sl->ins->root, shown, sl->qty);
    }
    if (signed_qty != shown)
        realized += s_apply_fill(sl->ins, &sl->qty, &sl->avg, signed_qty - shown, price);
    return realized;
}

static void
s_clear_working(risk_engine_t *self, risk_slot_t *sl, int64_t now, const char *why)
{
    log_info("%s entry %s no longer working: %s", sl->ins->root, sl->work_coid, why);
    sl->work_qty = 0;
    sl->work_coid[0] = '\0';
    if (self->journal)
        s_journal_check(self, risk_journal_working(self->journal, sl->ins->root, "", 0, now), "working");
}

void
risk_engine_on_fill(risk_engine_t *self, const Ofts__Fill *f, int64_t now)
{
    s_roll_day(self, now);
    risk_slot_t *sl = s_slot(self, f->symbol);
    if (!f->fill_id || !*f->fill_id || !sl || f->quantity == 0
        || (f->side != OFTS__SIDE__SIDE_BUY && f->side != OFTS__SIDE__SIDE_SELL)) {
        log_warn("fill ignored: bad fields (id '%s', symbol '%s', qty %u)", f->fill_id ? f->fill_id : "",
                 f->symbol ? f->symbol : "", f->quantity);
        return;
    }
    if (zhashx_lookup(self->seen_fills, f->fill_id)) {
        log_debug("fill %s already applied", f->fill_id);
        return;
    }
    zhashx_insert(self->seen_fills, f->fill_id, (void *) 1);
    int32_t q = (int32_t) f->quantity;
    int64_t realized = s_fill_position(sl, f->side == OFTS__SIDE__SIDE_BUY ? q : -q, f->price, now) - f->fees_cents;
    self->realized_today += realized;
    self->realized_total += realized;
    if (f->contract && *f->contract)
        snprintf(sl->contract, sizeof sl->contract, "%s", f->contract);
    if (f->role == OFTS__ORDER_ROLE__ROLE_ENTRY && f->client_order_id)
        snprintf(sl->pos_coid, sizeof sl->pos_coid, "%s", f->client_order_id);
    sl->has_broker_upnl = false;
    char px[32];
    log_info("fill %s %s %s %u @ %s: position %d, realized $%.2f (today $%.2f)", f->fill_id, f->symbol,
             f->side == OFTS__SIDE__SIDE_BUY ? "buy" : "sell", f->quantity, ofts_price_str(f->price, px, sizeof px),
             sl->qty, (double) realized / 100, (double) self->realized_today / 100);
    if (self->journal) {
        risk_journal_t *j = self->journal;
        s_journal_check(self, risk_journal_begin(j), "begin");
        s_journal_check(self, risk_journal_fill(j, f, realized, now, self->day), "fill");
        s_save_moved(self, sl, now);
        s_journal_check(self, risk_journal_position(j, sl->ins->root, sl->contract, sl->qty, sl->avg,
                                                    sl->pos_coid, now), "position");
        s_save_state(self, "realized_total_cents", self->realized_total, NULL, now);
        s_save_state(self, "realized_today_cents", self->realized_today, NULL, now);
        s_journal_check(self, risk_journal_commit(j), "commit");
    }
    if (sl->work_qty > 0 && f->client_order_id && strcmp(f->client_order_id, sl->work_coid) == 0) {
        sl->work_qty = f->quantity >= sl->work_qty ? 0 : sl->work_qty - f->quantity;
        if (sl->work_qty == 0)
            s_clear_working(self, sl, now, "filled");
    }
    s_evaluate(self, now);
}

//  gateway-order's position is the truth: it talks to the broker.
static void
s_set_position(risk_engine_t *self, risk_slot_t *sl, const Ofts__Position *p, int64_t now, const char *why)
{
    if (sl->qty != p->quantity || (p->quantity != 0 && sl->avg != p->avg_price)) {
        char a[32], b[32];
        log_info("%s: %s position %d @ %s -> broker %d @ %s", why, sl->ins->root, sl->qty,
                 ofts_price_str(sl->avg, a, sizeof a), p->quantity, ofts_price_str(p->avg_price, b, sizeof b));
    }
    sl->qty = p->quantity;
    sl->avg = p->quantity != 0 ? p->avg_price : 0;
    sl->has_broker_upnl = true;
    sl->broker_upnl = p->unrealized_pnl_cents;
    if (p->contract && *p->contract)
        snprintf(sl->contract, sizeof sl->contract, "%s", p->contract);
    if (p->client_order_id && *p->client_order_id)
        snprintf(sl->pos_coid, sizeof sl->pos_coid, "%s", p->client_order_id);
    if (self->journal)
        s_journal_check(self, risk_journal_position(self->journal, sl->ins->root, sl->contract, sl->qty,
                                                    sl->avg, sl->pos_coid, now), "position");
}

//  A position the fills we know do not explain (yet): the move is noted, so
//  the fill that comes later is not counted on top of it, and journaled
//  with the position in one transaction - a restart in between must not
//  forget it.
static void
s_move_position(risk_engine_t *self, risk_slot_t *sl, const Ofts__Position *p, int64_t now, const char *why)
{
    if (self->journal)
        s_journal_check(self, risk_journal_begin(self->journal), "begin");
    s_note_move(sl, p->quantity, now);
    s_save_moved(self, sl, now);
    s_set_position(self, sl, p, now, why);
    if (self->journal)
        s_journal_check(self, risk_journal_commit(self->journal), "commit");
}

void
risk_engine_on_position(risk_engine_t *self, const Ofts__Position *p, int64_t now)
{
    risk_slot_t *sl = s_slot(self, p->symbol);
    if (!sl) {
        log_warn("position for unknown symbol '%s' ignored", p->symbol ? p->symbol : "");
        return;
    }
    if (self->reconciling) {
        risk_engine_reconcile_position(self, p, now);
        return;
    }
    s_roll_day(self, now);
    s_move_position(self, sl, p, now, "exec.position");
    s_evaluate(self, now);
}

void
risk_engine_on_order_update(risk_engine_t *self, const Ofts__OrderUpdate *u, int64_t now)
{
    risk_slot_t *sl = s_slot(self, u->symbol);
    if (!sl || !u->client_order_id || sl->work_qty == 0 || strcmp(u->client_order_id, sl->work_coid) != 0)
        return;
    switch (u->status) {
    case OFTS__ORDER_STATUS__STATUS_FILLED:
    case OFTS__ORDER_STATUS__STATUS_CANCELLED:
    case OFTS__ORDER_STATUS__STATUS_REJECTED:
    case OFTS__ORDER_STATUS__STATUS_EXPIRED: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&ofts__order_status__descriptor,
                                                                            (int) u->status);
        char why[192];
        snprintf(why, sizeof why, "%s%s%s", ev ? ev->name : "?", u->text && *u->text ? ": " : "",
                 u->text ? u->text : "");
        s_clear_working(self, sl, now, why);
        s_evaluate(self, now);
        break;
    }
    default:
        break;
    }
}

//  --- reconciliation --------------------------------------------------------

void
risk_engine_reconcile_begin(risk_engine_t *self)
{
    self->reconciling = true;
    for (size_t i = 0; i < self->nslots; i++) {
        self->slots[i].seen_in_reconcile = false;
        self->slots[i].work_seen_in_reconcile = false;
    }
}

void
risk_engine_reconcile_order(risk_engine_t *self, const Ofts__OrderUpdate *u, int64_t now)
{
    risk_slot_t *sl = s_slot(self, u->symbol);
    if (sl && u->client_order_id && sl->work_qty > 0 && strcmp(u->client_order_id, sl->work_coid) == 0)
        sl->work_seen_in_reconcile = true;
    risk_engine_on_order_update(self, u, now);
}

//  Kept aside and applied at the end, so fills in the same snapshot (applied
//  as they come, with the journal's position as context) can never be
//  counted on top of a position that already contains them.
void
risk_engine_reconcile_position(risk_engine_t *self, const Ofts__Position *p, int64_t now)
{
    (void) now;
    risk_slot_t *sl = s_slot(self, p->symbol);
    if (!sl || !self->reconciling)
        return;
    sl->seen_in_reconcile = true;
    sl->rec_qty = p->quantity;
    sl->rec_avg = p->avg_price;
    sl->rec_upnl = p->unrealized_pnl_cents;
    snprintf(sl->rec_contract, sizeof sl->rec_contract, "%s", p->contract ? p->contract : "");
    snprintf(sl->rec_coid, sizeof sl->rec_coid, "%s", p->client_order_id ? p->client_order_id : "");
}

//  Resend only the approval this entry came from, only while trading is
//  ACTIVE, and only while the market is still within the fat-finger band of
//  the approved entry: a stale approval must not become a fresh order.
static bool
s_resend_sensible(risk_engine_t *self, risk_slot_t *sl)
{
    if (sl->work_resends >= MAX_RESENDS || !sl->has_approval || strcmp(sl->last_coid, sl->work_coid) != 0
        || self->state != OFTS__TRADING_STATE__STATE_ACTIVE || !self->cb.order)
        return false;
    const risk_month_t *m = s_month(sl, sl->last.contract, false);
    if (m && m->has_price && sl->last.entry) {
        int64_t ticks = llabs(m->last_price - sl->last.entry) / sl->ins->tick;
        if (ticks > self->cfg.max_entry_ticks)
            return false;
    }
    return true;
}

static void
s_resend(risk_engine_t *self, risk_slot_t *sl)
{
    sl->work_resends++;
    log_warn("%s approval %s not at gateway-order (reconcile): publishing it again (%d of %d)", sl->ins->root,
             sl->work_coid, sl->work_resends, MAX_RESENDS);
    self->cb.order(self->arg, &sl->last);
}

void
risk_engine_reconcile_end(risk_engine_t *self, int64_t now)
{
    for (size_t i = 0; i < self->nslots; i++) {
        risk_slot_t *sl = &self->slots[i];
        Ofts__Position p;
        ofts__position__init(&p);
        p.symbol = (char *) sl->ins->root;
        if (sl->seen_in_reconcile) {
            p.contract = sl->rec_contract;
            p.quantity = sl->rec_qty;
            p.avg_price = sl->rec_avg;
            p.unrealized_pnl_cents = sl->rec_upnl;
            p.client_order_id = sl->rec_coid;
            s_move_position(self, sl, &p, now, "reconcile");
        }
        else if (sl->qty != 0)
            s_move_position(self, sl, &p, now, "reconcile (broker reports none)");
        //  An entry gateway-order does not list as working and that did not
        //  become a position was cancelled, rejected or lost on the way:
        //  publish the same approval again (idempotent by client order id)
        //  while that is still sensible, else give the entry up.
        if (sl->work_qty > 0 && !sl->work_seen_in_reconcile && sl->qty == 0) {
            if (s_resend_sensible(self, sl))
                s_resend(self, sl);
            else if (now - sl->work_ns >= WORKING_GRACE_NS)
                s_clear_working(self, sl, now, "gateway-order does not list it (reconcile)");
        }
        else if (sl->work_qty > 0 && sl->qty != 0 && !sl->work_seen_in_reconcile)
            s_clear_working(self, sl, now, "position open at the broker (reconcile)");
    }
    self->reconciling = false;
    if (!self->reconciled)
        log_info("positions reconciled with gateway-order");
    self->reconciled = true;
    s_evaluate(self, now);
}

void
risk_engine_reconcile_abort(risk_engine_t *self)
{
    self->reconciling = false;
}

bool risk_engine_reconciled(risk_engine_t *self) { return self->reconciled; }

//  --- commands --------------------------------------------------------------------

static void
s_set_cmd_state(risk_engine_t *self, Ofts__TradingState st, const char *verb, const Ofts__Command *c,
                int64_t now)
{
    self->cmd_state = st;
    snprintf(self->cmd_reason, sizeof self->cmd_reason, "%s by %s%s%s", verb,
             c->issued_by && *c->issued_by ? c->issued_by : "operator", c->reason && *c->reason ? ": " : "",
             c->reason ? c->reason : "");
    s_save_state(self, "cmd_state", st, self->cmd_reason, now);
}

void
risk_engine_on_command(risk_engine_t *self, const Ofts__Command *c, int64_t now)
{
    s_roll_day(self, now);
    char why[192];
    switch (c->type) {
    case OFTS__COMMAND_TYPE__CMD_PAUSE:
        s_set_cmd_state(self, OFTS__TRADING_STATE__STATE_REDUCING, "paused", c, now);
        break;
    case OFTS__COMMAND_TYPE__CMD_RESUME:
        s_set_cmd_state(self, OFTS__TRADING_STATE__STATE_ACTIVE, "resumed", c, now);
        s_forward(self, OFTS__COMMAND_TYPE__CMD_RESUME, "", self->cmd_reason);   //  lift gateway-order's halt
        break;
    case OFTS__COMMAND_TYPE__CMD_FLATTEN:
        snprintf(why, sizeof why, "flatten requested by %s%s%s",
                 c->issued_by && *c->issued_by ? c->issued_by : "operator", c->reason && *c->reason ? ": " : "",
                 c->reason ? c->reason : "");
        s_flatten(self, c->symbol, why, now);
        break;
    case OFTS__COMMAND_TYPE__CMD_KILL:
        s_set_cmd_state(self, OFTS__TRADING_STATE__STATE_HALTED, "killed", c, now);
        //  gateway-order flattens everything and halts itself too (defence in
        //  depth: it refuses entries even if one was already on its way).
        log_warn("kill: forwarding CMD_KILL to gateway-order: %s", self->cmd_reason);
        s_forward(self, OFTS__COMMAND_TYPE__CMD_KILL, "", self->cmd_reason);
        self->last_flatten_ns = now;
        break;
    default:
        log_warn("command type %d ignored", (int) c->type);
        break;
    }
    s_evaluate(self, now);
}

//  gateway-order's own trading state (exec.account.): REDUCING when its
//  order store failed or a kill holds it. Approving entries it will refuse
//  would only burn cooldowns; risk says REDUCING too, with its reason.
void
risk_engine_on_order_state(risk_engine_t *self, const Ofts__AccountState *a, int64_t now)
{
    bool reducing = a->state != OFTS__TRADING_STATE__STATE_ACTIVE;
    const char *why = a->state_reason && *a->state_reason ? a->state_reason : "not active";
    if (reducing != self->order_gw_reducing)
        ofts_log(reducing ? OFTS_LOG_WARN : OFTS_LOG_INFO, "gateway-order is %s%s%s",
                 reducing ? "REDUCING" : "ACTIVE again", reducing ? ": " : "", reducing ? why : "");
    self->order_gw_reducing = reducing;
    snprintf(self->order_gw_reason, sizeof self->order_gw_reason, "%s", reducing ? why : "");
    s_evaluate(self, now);
}

void
risk_engine_on_envelope(risk_engine_t *self, const Ofts__Envelope *env, int64_t now)
{
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_SIGNAL:       risk_engine_on_signal(self, env->signal, now); break;
    case OFTS__ENVELOPE__BODY_TRADE:        risk_engine_on_trade(self, env->trade, now); break;
    case OFTS__ENVELOPE__BODY_BBO:          risk_engine_on_bbo(self, env->bbo, now); break;
    case OFTS__ENVELOPE__BODY_HEARTBEAT:    risk_engine_on_heartbeat(self, env->heartbeat, now); break;
    case OFTS__ENVELOPE__BODY_FILL:         risk_engine_on_fill(self, env->fill, now); break;
    case OFTS__ENVELOPE__BODY_POSITION:     risk_engine_on_position(self, env->position, now); break;
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE: risk_engine_on_order_update(self, env->order_update, now); break;
    case OFTS__ENVELOPE__BODY_COMMAND:      risk_engine_on_command(self, env->command, now); break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:      //  only gateway-order publishes one risk hears
        if (env->header && env->header->source && strcmp(env->header->source, "gateway-order") == 0)
            risk_engine_on_order_state(self, env->account, now);
        break;
    default: break;
    }
}

//  --- snapshot, getters --------------------------------------------------------

static void
s_item(risk_engine_item_fn *fn, void *arg, const char *kind, const char *symbol, Ofts__Envelope *env,
       int64_t ts_event)
{
    char topic[64];
    if (symbol)
        snprintf(topic, sizeof topic, "%s.%s.", kind, symbol);
    else
        snprintf(topic, sizeof topic, "%s.", kind);
    Ofts__Header h;
    ofts__header__init(&h);
    h.source = (char *) "risk";
    h.ts_event = ts_event;
    env->header = &h;
    fn(arg, topic, env);
    env->header = NULL;
}

void
risk_engine_snapshot(risk_engine_t *self, risk_engine_item_fn *fn, void *arg)
{
    Ofts__Envelope env;
    ofts__envelope__init(&env);
    Ofts__AccountState a;
    risk_engine_account(self, &a);
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    s_item(fn, arg, "risk.account", NULL, &env, self->last_account_ns == INT64_MIN ? 0 : self->last_account_ns);
    for (size_t i = 0; i < self->nslots; i++) {
        risk_slot_t *sl = &self->slots[i];
        if (sl->qty != 0) {
            Ofts__Position p;
            ofts__position__init(&p);
            p.symbol = (char *) sl->ins->root;
            p.contract = sl->contract;
            p.quantity = sl->qty;
            p.avg_price = sl->avg;
            p.client_order_id = sl->pos_coid;
            p.unrealized_pnl_cents = s_position_upnl(sl);
            env.body_case = OFTS__ENVELOPE__BODY_POSITION;
            env.position = &p;
            s_item(fn, arg, "risk.position", sl->ins->root, &env, 0);
        }
        if (sl->has_approval) {
            Ofts__OrderRequest last = sl->last;
            if (!last.client_order_id) {        //  cooldown row without an approvals row
                ofts__order_request__init(&last);
                last.symbol = (char *) sl->ins->root;
            }
            env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
            env.order_request = &last;
            s_item(fn, arg, "risk.order", sl->ins->root, &env, sl->last_approval_ns);
        }
        if (sl->work_qty > 0) {
            Ofts__OrderUpdate u;
            ofts__order_update__init(&u);
            u.client_order_id = sl->work_coid;
            u.symbol = (char *) sl->ins->root;
            u.contract = sl->contract;
            u.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
            u.status = OFTS__ORDER_STATUS__STATUS_PENDING;
            u.quantity = sl->work_qty;
            env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE;
            env.order_update = &u;
            s_item(fn, arg, "risk.working", sl->ins->root, &env, sl->work_ns);
        }
    }
}

Ofts__TradingState risk_engine_state(risk_engine_t *self) { return self->state; }
const char *risk_engine_state_reason(risk_engine_t *self) { return self->state_reason; }
uint64_t risk_engine_approved(risk_engine_t *self) { return self->approved; }
uint64_t risk_engine_rejected(risk_engine_t *self) { return self->rejected; }

int32_t
risk_engine_position(risk_engine_t *self, const char *symbol)
{
    risk_slot_t *sl = s_slot(self, symbol);
    return sl ? sl->qty : 0;
}

void
risk_engine_set_peers(risk_engine_t *self, risk_engine_peers_fn *fn, void *arg)
{
    self->peers_fn = fn;
    self->peers_arg = arg;
}

int32_t
risk_engine_exposure(risk_engine_t *self, const char *root)
{
    risk_slot_t *sl = s_slot(self, root);
    if (!sl)
        return 0;
    if (sl->qty != 0)
        return sl->qty;
    if (sl->work_qty == 0)
        return 0;
    return sl->last.side == OFTS__SIDE__SIDE_SELL ? -(int32_t) sl->work_qty : (int32_t) sl->work_qty;
}

const char *risk_engine_account_id(risk_engine_t *self) { return self->cfg.account_id; }

bool
risk_engine_owns(risk_engine_t *self, const char *coid)
{
    if (!coid || !*coid)
        return false;
    for (size_t i = 0; i < self->nslots; i++) {
        const risk_slot_t *sl = &self->slots[i];
        const char *ids[] = { sl->work_coid, sl->pos_coid, sl->last_coid };
        for (size_t k = 0; k < 3; k++) {
            size_t len = strlen(ids[k]);
            if (len && strncmp(coid, ids[k], len) == 0 && (coid[len] == '\0' || coid[len] == '-'))
                return true;
        }
    }
    return false;
}

const char *
risk_engine_traded_contract(risk_engine_t *self, const char *symbol)
{
    risk_slot_t *sl = s_slot(self, symbol);
    return sl && sl->has_lead ? sl->lead : NULL;
}

bool
risk_engine_working(risk_engine_t *self, const char *symbol)
{
    risk_slot_t *sl = s_slot(self, symbol);
    return sl && sl->work_qty > 0;
}
