/*  order_accounts - see order_accounts.h.                                 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "order_accounts.h"
#include "ofts_bus.h"
#include "ofts_log.h"

struct _order_accounts_t {
    order_manager_t *om[ORDER_ACCOUNTS_MAX];
    size_t n;
    order_manager_publish_fn *publish;
    void *publish_arg;
};

order_accounts_t *
order_accounts_new(order_manager_publish_fn *fn, void *arg)
{
    order_accounts_t *self = calloc(1, sizeof(*self));
    self->publish = fn;
    self->publish_arg = arg;
    return self;
}

void
order_accounts_destroy(order_accounts_t **self_p)
{
    order_accounts_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        order_manager_destroy(&self->om[i]);
    free(self);
    *self_p = NULL;
}

order_manager_t *
order_accounts_add(order_accounts_t *self, const char *account, broker_t *broker, order_store_t *store,
                   const order_manager_config_t *cfg)
{
    account = account ? account : "";
    if (self->n == ORDER_ACCOUNTS_MAX || order_accounts_find(self, account))
        return NULL;
    order_manager_t *om = order_manager_new(broker, store, cfg);
    order_manager_set_account(om, account);
    order_manager_set_publisher(om, self->publish, self->publish_arg);
    self->om[self->n++] = om;
    return om;
}

size_t
order_accounts_count(order_accounts_t *self)
{
    return self->n;
}

order_manager_t *
order_accounts_at(order_accounts_t *self, size_t index)
{
    return index < self->n ? self->om[index] : NULL;
}

order_manager_t *
order_accounts_find(order_accounts_t *self, const char *account)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(order_manager_account(self->om[i]), account ? account : "") == 0)
            return self->om[i];
    return NULL;
}

void
order_accounts_start(order_accounts_t *self, int64_t now_ns)
{
    for (size_t i = 0; i < self->n; i++)
        order_manager_start(self->om[i], now_ns);
}

//  Nobody here serves the account the request names: say so, on the
//  request's own topic and with its account, so risk books the refusal
//  against the account that asked.
static void
s_refuse(order_accounts_t *self, const Ofts__OrderRequest *req, const char *why)
{
    log_error("request %s for account '%s': refused: %s", req->client_order_id ? req->client_order_id : "?",
              req->account ? req->account : "", why);
    if (!self->publish)
        return;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__OrderUpdate up = OFTS__ORDER_UPDATE__INIT;
    up.client_order_id = req->client_order_id;
    up.symbol = req->symbol;
    up.contract = req->contract;
    up.role = req->reduce_only ? OFTS__ORDER_ROLE__ROLE_FLATTEN : OFTS__ORDER_ROLE__ROLE_ENTRY;
    up.side = req->side;
    up.type = req->type;
    up.quantity = req->quantity;
    up.price = req->entry;
    up.status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    up.text = (char *) why;
    up.account = req->account;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE;
    env.order_update = &up;
    char topic[64];
    self->publish(self->publish_arg, ofts_topic(topic, sizeof(topic), "exec.order", req->symbol ? req->symbol : ""),
                  &env);
}

void
order_accounts_on_request(order_accounts_t *self, const Ofts__OrderRequest *req, int64_t now_ns)
{
    const char *account = req->account ? req->account : "";
    //  One unnamed account: it judges the request itself (and refuses one
    //  that names an account, as it always did).
    order_manager_t *om = self->n == 1 && !order_manager_account(self->om[0])[0] ? self->om[0]
                        : order_accounts_find(self, account);
    if (om) {
        order_manager_on_request(om, req, now_ns);
        return;
    }
    char why[BROKER_TEXT_LEN];
    snprintf(why, sizeof(why), account[0] ? "account '%s' is not served by this gateway-order (risk.accounts)"
                                          : "%sno account named: this gateway-order serves several (risk.accounts)",
             account);
    s_refuse(self, req, why);
}

int
order_accounts_on_command(order_accounts_t *self, const Ofts__Command *cmd, int64_t now_ns)
{
    const char *account = cmd->account ? cmd->account : "";
    if (account[0]) {
        order_manager_t *om = order_accounts_find(self, account);
        if (!om) {
            log_warn("command for account '%s': not served here; ignored", account);
            return -1;
        }
        order_manager_on_command(om, cmd, now_ns);
        return 0;
    }
    for (size_t i = 0; i < self->n; i++)
        order_manager_on_command(self->om[i], cmd, now_ns);
    return 0;
}

void
order_accounts_on_envelope(order_accounts_t *self, const Ofts__Envelope *env, int64_t now_ns)
{
    if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST && env->order_request)
        order_accounts_on_request(self, env->order_request, now_ns);
    else if (env->body_case == OFTS__ENVELOPE__BODY_COMMAND && env->command)
        order_accounts_on_command(self, env->command, now_ns);
}

void
order_accounts_mark(order_accounts_t *self, const char *symbol, const char *contract, int64_t price)
{
    for (size_t i = 0; i < self->n; i++)
        order_manager_mark(self->om[i], symbol, contract, price);
}

void
order_accounts_publish_marks(order_accounts_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        order_manager_publish_marks(self->om[i]);
}

void
order_accounts_tick(order_accounts_t *self, int64_t now_ns)
{
    for (size_t i = 0; i < self->n; i++)
        order_manager_tick(self->om[i], now_ns);
}

int
order_accounts_snapshot(order_accounts_t *self, const char *prefix, order_manager_publish_fn *fn, void *arg)
{
    int count = 0;
    for (size_t i = 0; i < self->n; i++)
        count += order_manager_snapshot(self->om[i], prefix, fn, arg);
    return count;
}

static uint64_t
s_sum(order_accounts_t *self, uint64_t (*get)(order_manager_t *))
{
    uint64_t sum = 0;
    for (size_t i = 0; i < self->n; i++)
        sum += get(self->om[i]);
    return sum;
}

uint64_t order_accounts_placed(order_accounts_t *self) { return s_sum(self, order_manager_placed); }
uint64_t order_accounts_fills(order_accounts_t *self) { return s_sum(self, order_manager_fills); }
uint64_t order_accounts_flattens(order_accounts_t *self) { return s_sum(self, order_manager_flattens); }

static int
s_names(order_accounts_t *self, bool (*test)(order_manager_t *), char *buf, size_t size)
{
    int count = 0;
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < self->n; i++) {
        if (!test(self->om[i]))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", count ? "," : "", order_manager_account(self->om[i]));
        if (w > 0 && (size_t) w < size - len)
            len += (size_t) w;
        count++;
    }
    return count;
}

int
order_accounts_halted(order_accounts_t *self, char *buf, size_t size)
{
    return s_names(self, order_manager_halted, buf, size);
}

int
order_accounts_reducing(order_accounts_t *self, char *buf, size_t size)
{
    return s_names(self, order_manager_reducing, buf, size);
}
