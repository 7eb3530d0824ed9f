/*  md_normalizer - DBN -> ofts envelopes (see md_normalizer.h).           */
#include "md_normalizer.h"
#include <stdlib.h>
#include <string.h>
#include "ofts_bus.h"
#include "ofts_instrument.h"

#define MAX_ALLOW 64
#define CACHE_SIZE 16

//  Contract -> instrument, remembered: the table lookup (longest root
//  prefix over the whole table) is per record otherwise, and a stream has
//  a handful of contracts.
typedef struct {
    char contract[32];
    const ofts_instrument_t *inst;
} cache_t;

struct _md_normalizer_t {
    const ofts_instrument_t *allow[MAX_ALLOW];
    int allow_count;
    bool bbo_from_depth;
    int trade_rtype;                //  -1: any
    md_normalizer_stats_t stats;
    cache_t cache[CACHE_SIZE];
    size_t ncache, next_evict, last;
};

md_normalizer_t *
md_normalizer_new(void)
{
    md_normalizer_t *self = calloc(1, sizeof(*self));
    if (self) {
        self->bbo_from_depth = true;
        self->trade_rtype = -1;
    }
    return self;
}

void
md_normalizer_destroy(md_normalizer_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

int
md_normalizer_allow(md_normalizer_t *self, const char *root)
{
    const ofts_instrument_t *inst = ofts_instrument_find(root);
    if (!inst || self->allow_count >= MAX_ALLOW)
        return -1;
    self->allow[self->allow_count++] = inst;
    return 0;
}

void
md_normalizer_set_bbo_from_depth(md_normalizer_t *self, bool enable)
{
    self->bbo_from_depth = enable;
}

void
md_normalizer_set_trade_rtype(md_normalizer_t *self, int rtype)
{
    self->trade_rtype = rtype;
}

static int
s_schema_rtype(const char *name)
{
    static const struct { const char *name; int rtype; } table[] = {
        { "trades", DBN_RTYPE_MBP0 }, { "mixed", DBN_RTYPE_MBP0 }, { "tbbo", DBN_RTYPE_MBP1 },
        { "mbp-1", DBN_RTYPE_MBP1 }, { "mbp-10", DBN_RTYPE_MBP10 }, { "mbo", DBN_RTYPE_MBO },
        { "cmbp-1", DBN_RTYPE_CMBP1 }, { "tcbbo", DBN_RTYPE_TCBBO },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].rtype;
    return -1;
}

int
md_normalizer_trade_rtype_for(const char *const *schemas, size_t n)
{
    //  Preference order: the trades schema is the exchange's trade print;
    //  the MBP schemas repeat it inside book records.
    static const int order[] = { DBN_RTYPE_MBP0, DBN_RTYPE_MBP1, DBN_RTYPE_TCBBO, DBN_RTYPE_CMBP1,
                                 DBN_RTYPE_MBP10, DBN_RTYPE_MBO };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (size_t i = 0; i < n; i++)
            if (s_schema_rtype(schemas[i] ? schemas[i] : "mixed") == order[k])
                return order[k];
    return -1;
}

int
md_normalizer_trade_source_parse(const char *text)
{
    if (strcmp(text, "auto") == 0)
        return -2;
    if (strcmp(text, "any") == 0)
        return -1;
    int rtype = s_schema_rtype(text);
    return rtype >= 0 && strcmp(text, "mixed") != 0 ? rtype : -3;
}

md_normalizer_stats_t
md_normalizer_stats(md_normalizer_t *self)
{
    return self->stats;
}

static Ofts__Side
s_aggressor(char side)
{
    //  Trades: side is the aggressor, 'B' buy, 'A' sell, 'N' unknown (spec §5.2, §11).
    return side == 'B' ? OFTS__SIDE__SIDE_BUY : side == 'A' ? OFTS__SIDE__SIDE_SELL
                                                            : OFTS__SIDE__SIDE_NONE;
}

typedef struct {
    md_normalizer_t *self;
    const dbn_record_t *rec;
    const char *root, *contract;
    Ofts__Header header;
    md_emit_fn *emit;
    void *arg;
    int emitted;
} ctx_t;

//  ofts_topic() without snprintf: "md.trade" + "GC" -> "md.trade.GC.".
//  This runs for every envelope, where the format parser showed up in
//  profiles as the normaliser's biggest cost.
static void
s_topic(char *buf, size_t size, const char *kind, const char *root)
{
    size_t k = strlen(kind), r = strlen(root);
    if (k + r + 3 > size) {
        ofts_topic(buf, size, kind, root);
        return;
    }
    memcpy(buf, kind, k);
    buf[k] = '.';
    memcpy(buf + k + 1, root, r);
    buf[k + 1 + r] = '.';
    buf[k + 2 + r] = '\0';
}

static void
s_send(ctx_t *c, const char *kind, Ofts__Envelope *env)
{
    char topic[64];
    s_topic(topic, sizeof(topic), kind, c->root);
    env->header = &c->header;
    c->emit(topic, env, c->arg);
    c->emitted++;
}

static void
s_trade(ctx_t *c, int64_t price, uint32_t size, char side, uint8_t flags, uint32_t sequence)
{
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = (char *) c->root;
    trade.contract = (char *) c->contract;
    trade.instrument_id = c->rec->instrument_id;
    trade.price = price;
    trade.size = size;
    trade.aggressor = s_aggressor(side);
    trade.flags = flags;
    trade.exchange_seq = sequence;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    s_send(c, "md.trade", &env);
    c->self->stats.trades++;
}

static void
s_bbo(ctx_t *c, const dbn_level_t *l)
{
    Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
    bbo.symbol = (char *) c->root;
    bbo.contract = (char *) c->contract;
    bbo.instrument_id = c->rec->instrument_id;
    bbo.bid_px = l->bid_px;
    bbo.ask_px = l->ask_px;
    bbo.bid_sz = l->bid_sz;
    bbo.ask_sz = l->ask_sz;
    bbo.bid_ct = l->bid_ct;
    bbo.ask_ct = l->ask_ct;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &bbo;
    s_send(c, "md.bbo", &env);
    c->self->stats.bbos++;
}

static void
s_depth(ctx_t *c, const dbn_mbp_t *m)
{
    Ofts__Level levels[10], *ptrs[10];
    size_t n = m->level_count > 10 ? 10 : m->level_count;
    for (size_t i = 0; i < n; i++) {
        ofts__level__init(&levels[i]);
        levels[i].bid_px = m->levels[i].bid_px;
        levels[i].ask_px = m->levels[i].ask_px;
        levels[i].bid_sz = m->levels[i].bid_sz;
        levels[i].ask_sz = m->levels[i].ask_sz;
        levels[i].bid_ct = m->levels[i].bid_ct;
        levels[i].ask_ct = m->levels[i].ask_ct;
        ptrs[i] = &levels[i];
    }
    Ofts__Depth depth = OFTS__DEPTH__INIT;
    depth.symbol = (char *) c->root;
    depth.contract = (char *) c->contract;
    depth.instrument_id = c->rec->instrument_id;
    depth.n_levels = n;
    depth.levels = ptrs;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    env.depth = &depth;
    s_send(c, "md.book", &env);
    c->self->stats.books++;
}

static bool
s_market_data(const dbn_record_t *rec)
{
    return rec->kind == DBN_KIND_MBP || (rec->kind == DBN_KIND_MBO && rec->mbo.action == 'T');
}

//  Root for the contract, honouring the allow list; NULL to skip (counted).
static const ofts_instrument_t *
s_lookup(md_normalizer_t *self, const char *contract)
{
    //  A trade record and the book record it left come in a row: try the
    //  last contract first.
    if (self->ncache && strcmp(self->cache[self->last].contract, contract) == 0)
        return self->cache[self->last].inst;
    for (size_t i = 0; i < self->ncache; i++)
        if (strcmp(self->cache[i].contract, contract) == 0) {
            self->last = i;
            return self->cache[i].inst;
        }
    const ofts_instrument_t *inst = ofts_instrument_for_contract(contract);
    if (strlen(contract) < sizeof(self->cache[0].contract)) {
        size_t slot = self->ncache < CACHE_SIZE ? self->ncache++ : self->next_evict++ % CACHE_SIZE;
        strcpy(self->cache[slot].contract, contract);
        self->cache[slot].inst = inst;
    }
    return inst;
}

static const ofts_instrument_t *
s_instrument(md_normalizer_t *self, const char *contract)
{
    const ofts_instrument_t *inst = contract ? s_lookup(self, contract) : NULL;
    if (!inst) {
        self->stats.unknown++;
        return NULL;
    }
    if (self->allow_count == 0)
        return inst;
    for (int i = 0; i < self->allow_count; i++)
        if (self->allow[i] == inst)
            return inst;
    self->stats.filtered++;
    return NULL;
}

int
md_normalizer_process(md_normalizer_t *self, const dbn_record_t *rec, const char *contract,
                      md_emit_fn *emit, void *arg)
{
    if (!s_market_data(rec)) {
        self->stats.ignored++;
        return 0;
    }
    const ofts_instrument_t *inst = s_instrument(self, contract);
    if (!inst)
        return 0;
    ctx_t c = { self, rec, inst->root, contract, OFTS__HEADER__INIT, emit, arg, 0 };
    c.header.ts_event = (int64_t) rec->ts_event;
    c.header.ts_recv = (int64_t) dbn_record_ts_index(rec);
    bool trades_here = self->trade_rtype < 0 || rec->rtype == self->trade_rtype;
    if (rec->kind == DBN_KIND_MBO) {
        if (trades_here)
            s_trade(&c, rec->mbo.price, rec->mbo.size, rec->mbo.side, rec->mbo.flags, rec->mbo.sequence);
        return c.emitted;
    }
    const dbn_mbp_t *m = &rec->mbp;
    bool sampled = rec->rtype == DBN_RTYPE_BBO_1S || rec->rtype == DBN_RTYPE_BBO_1M
                || rec->rtype == DBN_RTYPE_CBBO_1S || rec->rtype == DBN_RTYPE_CBBO_1M;
    //  BBO/CBBO price/size are the last trade carried forward, not a new trade.
    if (trades_here && (rec->rtype == DBN_RTYPE_MBP0 || (!sampled && m->action == 'T')))
        s_trade(&c, m->price, m->size, m->side, m->flags, m->sequence);
    if (m->level_count == 0)
        return c.emitted;
    if (!sampled && !(m->flags & DBN_F_LAST)) {
        self->stats.held++;
        return c.emitted;
    }
    if (m->level_count >= 10) {
        s_depth(&c, m);
        if (self->bbo_from_depth)
            s_bbo(&c, &m->levels[0]);
    }
    else
        s_bbo(&c, &m->levels[0]);
    return c.emitted;
}
