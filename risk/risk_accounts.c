/*  risk_accounts - see risk_accounts.h.                                   */
#include "risk_accounts.h"
#include "ofts_fs.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _risk_accounts_t {
    risk_account_config_t acc[RISK_MAX_ACCOUNTS];
    risk_engine_t *engines[RISK_MAX_ACCOUNTS];
    int n;
};

static int64_t
s_dollars(json_t *obj, const char *key, int64_t def_cents)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? (int64_t) (json_number_value(v) * 100.0 + 0.5) : def_cents;
}

static int
s_int(json_t *obj, const char *key, int def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int) json_integer_value(v) : def;
}

static int
s_read_one(const risk_config_t *base, json_t *one, risk_account_config_t *a, char *err, size_t errlen)
{
    static const char *keys[] = { "id", "type", "size", "sizing", "fixed_contracts", "risk_dollars_per_trade",
                                  "max_contracts", "daily_loss_limit_dollars", "max_loss_limit_dollars",
                                  "symbols", "enabled", "journal", NULL };
    const char *key;
    json_t *v;
    json_object_foreach(one, key, v) {
        bool known = false;
        for (int k = 0; keys[k]; k++)
            known |= strcmp(key, keys[k]) == 0;
        if (!known) {
            snprintf(err, errlen, "risk.accounts: unknown key '%s'", key);
            return -1;
        }
    }
    const char *id = json_string_value(json_object_get(one, "id"));
    if (!id || !*id || strlen(id) >= sizeof a->cfg.account_id) {
        snprintf(err, errlen, "risk.accounts: every account needs an \"id\" (the ProjectX account name)");
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->cfg = *base;
    a->cfg.multi_account = true;
    snprintf(a->cfg.account_id, sizeof a->cfg.account_id, "%s", id);
    const char *type = json_string_value(json_object_get(one, "type"));
    snprintf(a->type, sizeof a->type, "%s", type ? type : "combine");
    if (strcmp(a->type, "combine") != 0 && strcmp(a->type, "xfa") != 0) {
        snprintf(err, errlen, "risk.accounts.%s.type: expected \"combine\" or \"xfa\"", id);
        return -1;
    }
    json_t *size = json_object_get(one, "size");
    if (size) {
        int64_t dollars = json_integer_value(size);
        if (!risk_config_account_defaults(dollars, &a->cfg.max_loss_limit_cents, &a->cfg.daily_loss_limit_cents,
                                          &a->cfg.max_contracts)) {
            snprintf(err, errlen, "risk.accounts.%s.size: must be 50000, 100000 or 150000 (Topstep table)", id);
            return -1;
        }
        a->cfg.account_size = dollars;
        a->cfg.start_balance_cents = dollars * 100;
    }
    //  XFA scaling plan, 50K first tier: 2 contracts (spec/topstepx.md §8.3);
    //  other sizes are UNCONFIRMED there: set max_contracts yourself.
    if (strcmp(a->type, "xfa") == 0 && a->cfg.account_size == 50000)
        a->cfg.max_contracts = 2;
    a->cfg.max_contracts = s_int(one, "max_contracts", a->cfg.max_contracts);
    a->cfg.daily_loss_limit_cents = s_dollars(one, "daily_loss_limit_dollars", a->cfg.daily_loss_limit_cents);
    a->cfg.max_loss_limit_cents = s_dollars(one, "max_loss_limit_dollars", a->cfg.max_loss_limit_cents);
    const char *sizing = json_string_value(json_object_get(one, "sizing"));
    if (sizing && strcmp(sizing, "fixed") != 0 && strcmp(sizing, "risk") != 0) {
        snprintf(err, errlen, "risk.accounts.%s.sizing: expected \"fixed\" or \"risk\"", id);
        return -1;
    }
    if (sizing)
        a->cfg.sizing = strcmp(sizing, "risk") == 0 ? RISK_SIZING_RISK : RISK_SIZING_FIXED;
    a->cfg.fixed_contracts = s_int(one, "fixed_contracts", a->cfg.fixed_contracts);
    a->cfg.risk_per_trade_cents = s_dollars(one, "risk_dollars_per_trade", a->cfg.risk_per_trade_cents);
    json_t *enabled = json_object_get(one, "enabled");
    a->enabled = !enabled || json_is_true(enabled);
    const char *journal = json_string_value(json_object_get(one, "journal"));
    if (journal)
        snprintf(a->cfg.journal, sizeof a->cfg.journal, "%s", journal);
    else
        ofts_path_with_tag(base->journal, id, a->cfg.journal, sizeof a->cfg.journal);
    size_t i;
    json_array_foreach(json_object_get(one, "symbols"), i, v) {
        const char *sym = json_string_value(v);
        if (!sym || !ofts_instrument_find(sym) || a->nsymbols == RISK_MAX_FULL_ROOTS) {
            snprintf(err, errlen, "risk.accounts.%s.symbols: '%s' is not a known root", id, sym ? sym : "?");
            return -1;
        }
        snprintf(a->symbols[a->nsymbols++], sizeof a->symbols[0], "%s", sym);
    }
    return 0;
}

int
risk_accounts_read(const risk_config_t *base, json_t *list, risk_account_config_t *out, int max, char *err,
                   size_t errlen)
{
    err[0] = '\0';
    if (!list) {
        memset(&out[0], 0, sizeof out[0]);
        out[0].cfg = *base;
        out[0].enabled = true;
        snprintf(out[0].type, sizeof out[0].type, "combine");
        return 1;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 || (int) json_array_size(list) > max) {
        snprintf(err, errlen, "risk.accounts: expected an array of 1 to %d accounts", max);
        return -1;
    }
    size_t i;
    json_t *one;
    json_array_foreach(list, i, one) {
        if (!json_is_object(one) || s_read_one(base, one, &out[i], err, errlen) != 0) {
            if (!*err)
                snprintf(err, errlen, "risk.accounts[%zu]: expected an object", i);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(out[k].cfg.account_id, out[i].cfg.account_id) == 0
                || strcmp(out[k].cfg.journal, out[i].cfg.journal) == 0) {
                snprintf(err, errlen, "risk.accounts: '%s' twice (id or journal)", out[i].cfg.account_id);
                return -1;
            }
    }
    return (int) json_array_size(list);
}

//  Same underlying: GC and MGC, NQ and MNQ (a hedge in the micro is one).
static bool
s_same_underlying(const char *a, const char *b)
{
    const ofts_instrument_t *x = ofts_instrument_find(a), *y = ofts_instrument_find(b);
    if (!x || !y)
        return false;
    const char *ux = x->full_size ? x->full_size : x->root;
    const char *uy = y->full_size ? y->full_size : y->root;
    return strcmp(ux, uy) == 0;
}

static void
s_peers(void *arg, risk_engine_t *me, const char *root, int *other_long, int *other_short, const char **other)
{
    risk_accounts_t *self = arg;
    for (int i = 0; i < self->n; i++) {
        for (size_t k = 0; k < ofts_instrument_count(); k++) {
            const char *r = ofts_instrument_at(k)->root;
            //  The account's own position in this very root is the
            //  position_open rule's; its micro/full twin counts here.
            if (!s_same_underlying(root, r) || (self->engines[i] == me && strcmp(r, root) == 0))
                continue;
            int32_t x = risk_engine_exposure(self->engines[i], r);
            if (x > 0)
                (*other_long)++;
            if (x < 0)
                (*other_short)++;
            if (x != 0)
                *other = risk_engine_account_id(self->engines[i]);
        }
    }
}

risk_accounts_t *
risk_accounts_new(const risk_account_config_t *accounts, int n, const risk_engine_callbacks_t *cb, void *arg)
{
    risk_accounts_t *self = calloc(1, sizeof *self);
    self->n = n < RISK_MAX_ACCOUNTS ? n : RISK_MAX_ACCOUNTS;
    for (int i = 0; i < self->n; i++) {
        self->acc[i] = accounts[i];
        self->engines[i] = risk_engine_new(&accounts[i].cfg, cb, arg);
        if (self->n > 1)
            risk_engine_set_peers(self->engines[i], s_peers, self);
    }
    return self;
}

void
risk_accounts_destroy(risk_accounts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int i = 0; i < (*self_p)->n; i++)
        risk_engine_destroy(&(*self_p)->engines[i]);
    free(*self_p);
    *self_p = NULL;
}

int risk_accounts_count(risk_accounts_t *self) { return self->n; }
risk_engine_t *risk_accounts_engine(risk_accounts_t *self, int i) { return i >= 0 && i < self->n ? self->engines[i] : NULL; }

risk_engine_t *
risk_accounts_find(risk_accounts_t *self, const char *account)
{
    for (int i = 0; i < self->n; i++)
        if (account && strcmp(self->acc[i].cfg.account_id, account) == 0)
            return self->engines[i];
    return NULL;
}

static bool
s_trades(const risk_account_config_t *a, const char *symbol)
{
    if (!a->enabled)
        return false;
    if (a->nsymbols == 0)
        return true;
    for (int i = 0; i < a->nsymbols; i++)
        if (symbol && strcmp(a->symbols[i], symbol) == 0)
            return true;
    return false;
}

void
risk_accounts_on_signal(risk_accounts_t *self, const Ofts__Signal *sig, int64_t now)
{
    for (int i = 0; i < self->n; i++)
        if (self->n == 1 || s_trades(&self->acc[i], sig->symbol))
            risk_engine_on_signal(self->engines[i], sig, now);
}

//  The engine a fill or order update belongs to: the one that approved its
//  client order id; NULL when nobody did (logged by the caller).
static risk_engine_t *
s_owner(risk_accounts_t *self, const char *coid)
{
    if (self->n == 1)
        return self->engines[0];
    for (int i = 0; i < self->n; i++)
        if (risk_engine_owns(self->engines[i], coid))
            return self->engines[i];
    return NULL;
}

//  The engine a message from gateway-order is for. gateway-order names the
//  account on every fill, order update and position (order_accounts.h):
//  that account's, even for ids risk did not make (its flattens "FL-...").
//  Unnamed (a gateway-order serving one account): the engine that made the
//  client order id; a position (no such id) only when there is one account.
static const char *
s_kind(const Ofts__Envelope *env)
{
    return env->body_case == OFTS__ENVELOPE__BODY_FILL ? "fill"
         : env->body_case == OFTS__ENVELOPE__BODY_POSITION ? "position" : "order update";
}

static risk_engine_t *
s_engine_for(risk_accounts_t *self, const Ofts__Envelope *env)
{
    const char *account = NULL, *coid = NULL;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_FILL:
        account = env->fill->account;
        coid = env->fill->client_order_id;
        break;
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE:
        account = env->order_update->account;
        coid = env->order_update->client_order_id;
        break;
    case OFTS__ENVELOPE__BODY_POSITION:
        account = env->position->account;
        break;
    default:
        return NULL;
    }
    if (account && *account) {
        risk_engine_t *e = risk_accounts_find(self, account);
        if (!e)
            log_warn("%s for account '%s': not one of ours; ignored", s_kind(env), account);
        return e;
    }
    if (coid && *coid) {
        risk_engine_t *e = s_owner(self, coid);
        if (!e)
            log_warn("%s for %s: no account of ours owns it; ignored", s_kind(env), coid);
        return e;
    }
    return self->n == 1 ? self->engines[0] : NULL;
}

//  gateway-order's trading state: the account it names, else (a gateway
//  serving one account, named after its broker) every account.
static void
s_order_state(risk_accounts_t *self, const Ofts__Envelope *env, int64_t now, bool reconcile)
{
    risk_engine_t *e = self->n > 1 ? risk_accounts_find(self, env->account->account_id) : NULL;
    for (int i = 0; i < self->n; i++)
        if (!e || e == self->engines[i]) {
            if (reconcile)
                risk_engine_on_order_state(self->engines[i], env->account, now);
            else
                risk_engine_on_envelope(self->engines[i], env, now);
        }
}

void
risk_accounts_on_envelope(risk_accounts_t *self, const Ofts__Envelope *env, int64_t now)
{
    risk_engine_t *e;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_SIGNAL:
        risk_accounts_on_signal(self, env->signal, now);
        break;
    case OFTS__ENVELOPE__BODY_FILL:
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE:
    case OFTS__ENVELOPE__BODY_POSITION:
        if ((e = s_engine_for(self, env)))
            risk_engine_on_envelope(e, env, now);
        break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:
        s_order_state(self, env, now, false);
        break;
    case OFTS__ENVELOPE__BODY_COMMAND:
        risk_accounts_on_command(self, env->command, now);
        break;
    default:
        for (int i = 0; i < self->n; i++)
            risk_engine_on_envelope(self->engines[i], env, now);
        break;
    }
}

int
risk_accounts_on_command(risk_accounts_t *self, const Ofts__Command *cmd, int64_t now)
{
    const char *account = cmd->account;
    if (account && *account) {
        risk_engine_t *e = risk_accounts_find(self, account);
        if (!e)
            return -1;
        risk_engine_on_command(e, cmd, now);
        return 0;
    }
    for (int i = 0; i < self->n; i++)
        risk_engine_on_command(self->engines[i], cmd, now);
    return 0;
}

void
risk_accounts_reconcile_begin(risk_accounts_t *self)
{
    for (int i = 0; i < self->n; i++)
        risk_engine_reconcile_begin(self->engines[i]);
}

void
risk_accounts_reconcile_item(risk_accounts_t *self, const Ofts__Envelope *env, int64_t now)
{
    if (env->body_case == OFTS__ENVELOPE__BODY_ACCOUNT) {
        s_order_state(self, env, now, true);
        return;
    }
    risk_engine_t *e = s_engine_for(self, env);
    if (!e)
        return;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_POSITION:
        risk_engine_reconcile_position(e, env->position, now);
        break;
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE:     //  a working order (or one that died meanwhile)
        risk_engine_reconcile_order(e, env->order_update, now);
        break;
    case OFTS__ENVELOPE__BODY_FILL:             //  a fill missed while down
        risk_engine_on_fill(e, env->fill, now);
        break;
    default:
        break;
    }
}

void
risk_accounts_reconcile_end(risk_accounts_t *self, int64_t now)
{
    for (int i = 0; i < self->n; i++)
        risk_engine_reconcile_end(self->engines[i], now);
}

void
risk_accounts_reconcile_abort(risk_accounts_t *self)
{
    for (int i = 0; i < self->n; i++)
        risk_engine_reconcile_abort(self->engines[i]);
}

bool
risk_accounts_reconciled(risk_accounts_t *self)
{
    for (int i = 0; i < self->n; i++)
        if (!risk_engine_reconciled(self->engines[i]))
            return false;
    return true;
}

void
risk_accounts_tick(risk_accounts_t *self, int64_t now)
{
    for (int i = 0; i < self->n; i++)
        risk_engine_tick(self->engines[i], now);
}
