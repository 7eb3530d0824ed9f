/*  risk_fixture - see risk_fixture.h.                                      */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofts_instrument.h"
#include "risk_fixture.h"

int64_t
risk_fx_px(const char *text)
{
    int64_t v = 0;
    assert_true(ofts_price_parse(text, &v));
    return v;
}

Ofts__Signal
risk_fx_signal(const char *id, const char *symbol, const char *entry, const char *stop, const char *take_profit)
{
    Ofts__Signal s = OFTS__SIGNAL__INIT;
    s.id = (char *) id;
    s.symbol = (char *) symbol;
    s.direction = risk_fx_px(stop) < risk_fx_px(entry) ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    s.entry = risk_fx_px(entry);
    s.stop = risk_fx_px(stop);
    s.take_profit = risk_fx_px(take_profit);
    s.confidence = 0.8;
    return s;
}

Ofts__Fill
risk_fx_fill(const char *id, const char *coid, const char *symbol, Ofts__Side side, const char *price,
             uint32_t quantity, Ofts__OrderRole role)
{
    Ofts__Fill fl = OFTS__FILL__INIT;
    fl.fill_id = (char *) id;
    fl.client_order_id = (char *) coid;
    fl.symbol = (char *) symbol;
    fl.side = side;
    fl.price = risk_fx_px(price);
    fl.quantity = quantity;
    fl.role = role;
    return fl;
}

Ofts__Trade
risk_fx_trade(const char *symbol, const char *contract, const char *price, uint32_t size)
{
    Ofts__Trade t = OFTS__TRADE__INIT;
    t.symbol = (char *) symbol;
    t.contract = (char *) contract;
    t.price = risk_fx_px(price);
    t.size = size;
    return t;
}

Ofts__Heartbeat
risk_fx_md_heartbeat(void)
{
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = (char *) "gateway-md";
    return hb;
}
