/*  report_html - the backtest as one self-contained HTML page.

    Charts are drawn by Chart.js (Debian's libjs-chart.js, pinned by the
    distribution, installed by make deps), inlined into the page so the
    file opens anywhere without a network. The data goes in as one JSON
    block; a short script turns it into the charts. Times are shown in
    Central Time (the exchange's clock), prices as plain decimals of the
    contract's tick. Tables are written here in C, so they read without
    JavaScript too.                                                      */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "report.h"
#include "research.h"

#ifndef OFTS_CHARTJS
#define OFTS_CHARTJS "/usr/share/javascript/chart.js/chart.min.js"
#endif

const char *
report_chartjs_path(void)
{
    const char *env = getenv("OFTS_CHARTJS");
    return env && *env ? env : OFTS_CHARTJS;
}

//  Decimals of a root's tick (GC 0.1 -> 1, HG 0.0005 -> 4, NQ 0.25 -> 2).
static int
s_decimals(const char *symbol)
{
    const ofts_instrument_t *in = ofts_instrument_find(symbol);
    return in ? in->decimals : 4;
}

static double s_ms(int64_t ns) { return (double) (ns / 1000000); }

//  "2026-12-01 08:31:05 CST"
static void
s_ct(int64_t ts, char *buf, size_t size)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ts, &ct);
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d %s", ct.year, ct.month, ct.day, ct.hour, ct.minute, ct.second,
             ct.utc_offset_min == -300 ? "CDT" : "CST");
}

static void
s_price(FILE *out, int64_t px, int decimals)
{
    fprintf(out, "%.*f", decimals, (double) px / 1e9);
}

//  --- the data block -----------------------------------------------------------

static void
s_json_symbol(FILE *out, const bt_series_t *s, const bt_trade_t *trades, size_t nt, const bt_trade_t *open,
              size_t nopen)
{
    int dec = s_decimals(s->symbol);
    fprintf(out, "{\"symbol\":\"%s\",\"decimals\":%d,\"prices\":[", s->symbol, dec);
    for (size_t i = 0; i < s->nprices; i++) {
        fprintf(out, "%s[%.0f,", i ? "," : "", s_ms(s->prices[i].ts));
        s_price(out, s->prices[i].value, dec);
        fputc(']', out);
    }
    fputs("],\"deltas\":[", out);
    for (size_t i = 0; i < s->ndeltas; i++)
        fprintf(out, "%s[%.0f,%lld]", i ? "," : "", s_ms(s->deltas[i].ts), (long long) s->deltas[i].value);
    fputs("],\"signals\":[", out);
    bool first = true;
    for (size_t i = 0; i < s->nmarks; i++) {
        const bt_mark_t *m = &s->marks[i];
        if (m->kind != 'A' && m->kind != 'R')
            continue;
        fprintf(out, "%s[%.0f,", first ? "" : ",", s_ms(m->ts));
        s_price(out, m->price, dec);
        fprintf(out, ",%d,%d]", m->direction, m->kind == 'A');
        first = false;
    }
    //  Round trips: entry and exit linked, with the bracket's stop and target.
    fputs("],\"trades\":[", out);
    first = true;
    for (size_t k = 0; k < nt + nopen; k++) {
        const bt_trade_t *t = k < nt ? &trades[k] : &open[k - nt];
        if (strcmp(t->symbol, s->symbol) != 0)
            continue;
        int64_t exit_ts = t->exit_ts ? t->exit_ts : (s->nprices ? s->prices[s->nprices - 1].ts : t->entry_ts);
        fprintf(out, "%s[%.0f,", first ? "" : ",", s_ms(t->entry_ts));
        s_price(out, t->entry_px, dec);
        fprintf(out, ",%.0f,", s_ms(exit_ts));
        s_price(out, t->exit_px, dec);
        fprintf(out, ",%d,", t->direction);
        s_price(out, t->stop_px, dec);
        fputc(',', out);
        s_price(out, t->target_px, dec);
        fprintf(out, ",%.2f,%d]", (double) t->pnl_cents / 100.0, t->exit_ts == 0);
        first = false;
    }
    fputs("]}", out);
}

typedef struct {
    int trades, wins;
    int64_t net_cents;
} s_bucket_t;

static void
s_bucket_add(s_bucket_t *b, const bt_trade_t *t)
{
    b->trades++;
    b->wins += t->pnl_cents > 0;
    b->net_cents += t->pnl_cents;
}

static void
s_json_data(FILE *out, backtest_t *bt, const bt_trade_t *trades, size_t nt, const bt_trade_t *open, size_t nopen,
            const int64_t *daily, const int64_t *days, size_t ndays, const s_bucket_t hours[24])
{
    const bt_series_t *series;
    size_t ns = backtest_series(bt, &series);
    fputs("<script id='data' type='application/json'>{\"symbols\":[", out);
    for (size_t i = 0; i < ns; i++) {
        if (i)
            fputc(',', out);
        s_json_symbol(out, &series[i], trades, nt, open, nopen);
    }
    //  Realized equity from 0 at the first entry, and its drawdown.
    fputs("],\"equity\":[", out);
    int64_t equity = 0;
    if (nt)
        fprintf(out, "[%.0f,0]", s_ms(trades[0].entry_ts));
    for (size_t i = 0; i < nt; i++) {
        equity += trades[i].pnl_cents;
        fprintf(out, ",[%.0f,%.2f]", s_ms(trades[i].exit_ts), (double) equity / 100.0);
    }
    fputs("],\"days\":[", out);
    for (size_t d = 0; d < ndays; d++)
        fprintf(out, "%s[\"%d\",%.2f]", d ? "," : "", ofts_session_day(days[d] + 3600 * OFTS_NS_PER_SEC),
                (double) daily[d] / 100.0);
    fputs("],\"hours\":[", out);
    bool any = false;
    for (int h = 0; h < 24; h++)
        if (hours[h].trades) {
            fprintf(out, "%s[%d,%d,%.2f]", any ? "," : "", h, hours[h].trades, (double) hours[h].net_cents / 100.0);
            any = true;
        }
    fputs("]}</script>\n", out);
}

//  --- the tables ---------------------------------------------------------------

static void
s_html_table(FILE *out, const char *title, const report_row_t *rows, size_t n)
{
    fprintf(out, "<h3>%s</h3><table><tr><th></th><th>trades</th><th>win rate</th><th>net P&amp;L $</th>"
                 "<th>fees $</th><th>profit factor</th></tr>\n", title);
    for (size_t i = 0; i < n; i++) {
        double pf = report_profit_factor(&rows[i]);
        char pfs[32];
        if (isinf(pf))
            snprintf(pfs, sizeof pfs, "&infin;");
        else
            snprintf(pfs, sizeof pfs, "%.2f", pf);
        fputs("<tr><td>", out);
        research_html_text(out, rows[i].key);
        fprintf(out, "</td><td>%d</td><td>%.1f%%</td><td>%.2f</td><td>%.2f</td><td>%s</td></tr>\n", rows[i].trades,
                rows[i].trades ? 100.0 * rows[i].wins / rows[i].trades : 0.0, rows[i].pnl_cents / 100.0,
                rows[i].fees_cents / 100.0, pfs);
    }
    fputs("</table>\n", out);
}

static void
s_bucket_table(FILE *out, const char *title, const char *first_col, const char *const *labels,
               const s_bucket_t *b, size_t n)
{
    fprintf(out, "<h3>%s</h3><table><tr><th>%s</th><th>trades</th><th>win rate</th><th>net P&amp;L $</th></tr>\n",
            title, first_col);
    for (size_t i = 0; i < n; i++)
        if (b[i].trades)
            fprintf(out, "<tr><td>%s</td><td>%d</td><td>%.1f%%</td><td>%.2f</td></tr>\n", labels[i], b[i].trades,
                    100.0 * b[i].wins / b[i].trades, (double) b[i].net_cents / 100.0);
    fputs("</table>\n", out);
}

static void
s_trades_table(FILE *out, const bt_trade_t *trades, size_t nt, const bt_trade_t *open, size_t nopen)
{
    fputs("<h2>Trades</h2><p class='sub'>Every round trip in exit order, then the positions still open "
          "(marked to the last trade). Times in Central Time; MAE / MFE: worst / best open P&amp;L while held.</p>"
          "<table id='trades'><tr><th>#</th><th>symbol</th><th>contract</th><th>side</th><th>qty</th><th>entry (CT)</th>"
          "<th>exit (CT)</th><th>duration</th><th>entry</th><th>exit</th><th>stop</th><th>target</th><th>exit by</th>"
          "<th>fees $</th><th>gross $</th><th>net $</th><th>MAE $</th><th>MFE $</th><th>confidence</th>"
          "<th>reasons</th></tr>\n", out);
    for (size_t k = 0; k < nt + nopen; k++) {
        const bt_trade_t *t = k < nt ? &trades[k] : &open[k - nt];
        int dec = s_decimals(t->symbol);
        char entry[48], exit[48] = "open", dur[32] = "";
        s_ct(t->entry_ts, entry, sizeof entry);
        if (t->exit_ts) {
            s_ct(t->exit_ts, exit, sizeof exit);
            int64_t secs = (t->exit_ts - t->entry_ts) / OFTS_NS_PER_SEC;
            snprintf(dur, sizeof dur, "%lldm %02llds", (long long) (secs / 60), (long long) (secs % 60));
        }
        fprintf(out, "<tr%s><td>%zu</td><td>%s</td><td>%s</td><td>%s</td><td>%u</td><td>%s</td><td>%s</td>"
                     "<td>%s</td><td>", t->exit_ts ? "" : " class='open'", k + 1, t->symbol, t->contract,
                t->direction > 0 ? "long" : "short", t->quantity, entry, exit, dur);
        s_price(out, t->entry_px, dec);
        fputs("</td><td>", out);
        s_price(out, t->exit_px, dec);
        fputs("</td><td>", out);
        if (t->stop_px)
            s_price(out, t->stop_px, dec);
        fputs("</td><td>", out);
        if (t->target_px)
            s_price(out, t->target_px, dec);
        fprintf(out, "</td><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>"
                     "<td style='text-align:left'>", t->exit_role, t->fees_cents / 100.0,
                (t->pnl_cents + t->fees_cents) / 100.0, t->pnl_cents / 100.0, t->mae_cents / 100.0,
                t->mfe_cents / 100.0, t->confidence);
        research_html_text(out, t->reasons);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

//  --- the charts -----------------------------------------------------------------

//  Chart.js from the package, inlined. false when it cannot be read: the
//  page then says so and keeps its tables.
static bool
s_inline_chartjs(FILE *out)
{
    FILE *f = fopen(report_chartjs_path(), "r");
    if (!f)
        return false;
    fputs("<script>\n", out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, out);
    fclose(f);
    fputs("\n</script>\n", out);
    return true;
}

//  The page's own script: Chart.js line charts on a linear time axis
//  (ms since the epoch) labelled in Central Time, prices to the tick.
static const char *s_script =
    "<script>\n"
    "(function(){\n"
    "const D=JSON.parse(document.getElementById('data').textContent);\n"
    "const st=document.getElementById('status');\n"
    "const ctf=new Intl.DateTimeFormat('en-US',{timeZone:'America/Chicago',month:'short',day:'numeric',hour:'2-digit',minute:'2-digit',hour12:false});\n"
    "const ctl=v=>ctf.format(new Date(v))+' CT';\n"
    "let n=0,first=null;\n"
    "function chart(id,type,datasets,yfmt,xtime){\n"
    "  const x=xtime?{type:'linear',ticks:{callback:ctl,maxTicksLimit:8,maxRotation:0}}:{type:'category'};\n"
    "  const c=new Chart(document.getElementById(id),{type:type,data:xtime?{datasets:datasets}:datasets,\n"
    "    options:{animation:false,parsing:xtime?false:true,responsive:false,spanGaps:false,\n"
    "      interaction:{mode:'nearest',intersect:false},\n"
    "      scales:{x:x,y:{ticks:{callback:yfmt}}},\n"
    "      plugins:{tooltip:{callbacks:{title:it=>xtime&&it.length?ctl(it[0].parsed.x):(it.length?it[0].label:'')}}}}});\n"
    "  n++;return c;}\n"
    "const pts=a=>a.map(p=>({x:p[0],y:p[1]}));\n"
    "function seg(trades,f){const out=[];for(const t of trades){const a=f(t);if(a){out.push(a[0],a[1],{x:a[1].x,y:null});}}return out;}\n"
    "for(const s of D.symbols){\n"
    "  const fmt=v=>Number(v).toFixed(s.decimals);\n"
    "  const sig=s.signals.filter(g=>g[3]===1),rej=s.signals.filter(g=>g[3]===0);\n"
    "  const ds=[{label:'price',data:pts(s.prices),borderColor:'#333',borderWidth:1,pointRadius:0},\n"
    "   {label:'approved signal',data:sig.map(g=>({x:g[0],y:g[1]})),showLine:false,pointStyle:'triangle',pointRadius:7,\n"
    "    rotation:sig.map(g=>g[2]>0?0:180),backgroundColor:sig.map(g=>g[2]>0?'#1a9850':'#d73027'),borderColor:'#000'},\n"
    "   {label:'rejected signal',data:rej.map(g=>({x:g[0],y:g[1]})),showLine:false,pointStyle:'crossRot',pointRadius:5,borderColor:'#999'},\n"
    "   {label:'trade (entry to exit)',data:seg(s.trades,t=>[{x:t[0],y:t[1]},{x:t[2],y:t[3]}]),borderColor:'#2166ac',borderWidth:2,\n"
    "    pointRadius:4,pointBackgroundColor:'#2166ac',pointStyle:'circle'},\n"
    "   {label:'stop',data:seg(s.trades,t=>t[5]?[{x:t[0],y:t[5]},{x:t[2],y:t[5]}]:null),borderColor:'#d73027',borderDash:[4,3],borderWidth:1,pointRadius:0},\n"
    "   {label:'target',data:seg(s.trades,t=>t[6]?[{x:t[0],y:t[6]},{x:t[2],y:t[6]}]:null),borderColor:'#1a9850',borderDash:[4,3],borderWidth:1,pointRadius:0}];\n"
    "  const c=chart('price-'+s.symbol,'line',ds,fmt,true);if(!first)first=c;\n"
    "  chart('delta-'+s.symbol,'line',[{label:'cumulative delta',data:pts(s.deltas),borderColor:'#5e3c99',borderWidth:1,pointRadius:0}],v=>v,true);\n"
    "}\n"
    "const usd=v=>'$'+Number(v).toFixed(0);\n"
    "let peak=0;const dd=D.equity.map(p=>{peak=Math.max(peak,p[1]);return {x:p[0],y:p[1]-peak};});\n"
    "chart('equity','line',[{label:'realized equity $',data:pts(D.equity),borderColor:'#1a9850',stepped:true,pointRadius:2}],usd,true);\n"
    "chart('drawdown','line',[{label:'drawdown $',data:dd,borderColor:'#d73027',backgroundColor:'rgba(215,48,39,0.2)',fill:true,stepped:true,pointRadius:0}],usd,true);\n"
    "chart('days','bar',{labels:D.days.map(d=>d[0]),datasets:[{label:'net P&L $ per day',data:D.days.map(d=>d[1]),\n"
    "  backgroundColor:D.days.map(d=>d[1]>=0?'#1a9850':'#d73027')}]},usd,false);\n"
    "chart('hours','bar',{labels:D.hours.map(h=>h[0]+':00 CT'),datasets:[{label:'net P&L $ by entry hour',data:D.hours.map(h=>h[2]),\n"
    "  backgroundColor:D.hours.map(h=>h[2]>=0?'#1a9850':'#d73027')}]},usd,false);\n"
    "st.dataset.charts=n;\n"
    "if(first){st.dataset.xticks=first.scales.x.ticks.map(t=>ctl(t.value)).join('|');\n"
    "  st.dataset.yticks=first.scales.y.ticks.map(t=>Number(t.value).toFixed(D.symbols[0].decimals)).join('|');}\n"
    "st.textContent=n+' charts drawn';\n"
    "})();\n"
    "</script>\n";

static void
s_canvases(FILE *out, backtest_t *bt)
{
    const bt_series_t *series;
    size_t ns = backtest_series(bt, &series);
    fputs("<h2>Equity and drawdown</h2><canvas id='equity' width='960' height='220'></canvas>\n"
          "<canvas id='drawdown' width='960' height='140'></canvas>\n"
          "<h2>P&amp;L per day and by time of day</h2><canvas id='days' width='960' height='200'></canvas>\n"
          "<canvas id='hours' width='960' height='200'></canvas>\n"
          "<h2>Price, signals and trades</h2><p class='sub'>Triangles: approved signals (green buy, red sell); "
          "grey crosses: signals risk rejected; blue lines join each entry to its exit; dashed: the bracket's "
          "stop (red) and target (green) while the position was held. Time axis in Central Time.</p>\n", out);
    for (size_t i = 0; i < ns; i++)
        fprintf(out, "<h3>%s</h3><canvas id='price-%s' width='960' height='300'></canvas>\n"
                     "<canvas id='delta-%s' width='960' height='120'></canvas>\n",
                series[i].symbol, series[i].symbol, series[i].symbol);
}

void
report_html(report_t *self, backtest_t *bt, FILE *out)
{
    const bt_trade_t *trades;
    size_t nt = backtest_trades(bt, &trades), nopen;
    bt_trade_t *open = backtest_open_trades(bt, &nopen);
    const int64_t *days;
    size_t ndays = backtest_days(bt, &days);
    int64_t *daily = calloc(ndays ? ndays : 1, sizeof *daily);
    research_summary_t sum;
    memset(&sum, 0, sizeof sum);
    risk_config_t rcfg;
    risk_config_defaults(&rcfg);
    research_summarize(trades, nt, days, ndays, &rcfg, &sum, daily);
    s_bucket_t sides[2] = { { 0 } }, hours[24] = { { 0 } };
    for (size_t i = 0; i < nt; i++) {
        s_bucket_add(&sides[trades[i].direction > 0 ? 0 : 1], &trades[i]);
        s_bucket_add(&hours[ofts_ct_minute_of_day(trades[i].entry_ts) / 60 % 24], &trades[i]);
    }
    fputs("<!doctype html><html><head><meta charset='utf-8'><title>ofts backtest</title>"
          "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;margin-bottom:8px}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
          "tr.open{background:#fff6d5}.sub{font-size:12px;color:#555}canvas{display:block}</style></head><body>\n"
          "<h1>ofts backtest</h1>\n", out);
    fprintf(out, "<p>%llu market events, %llu signals, %llu approved, %llu rejected; %d trades over %zu day(s), "
                 "win rate %.1f%%, net P&amp;L $%.2f after $%.2f fees, max drawdown $%.2f, %zu position(s) open at "
                 "the end (open P&amp;L $%.2f)</p>\n",
            (unsigned long long) backtest_events(bt), (unsigned long long) backtest_signals(bt),
            (unsigned long long) backtest_approved(bt), (unsigned long long) backtest_rejected(bt),
            self->total.trades, ndays, self->total.trades ? 100.0 * self->total.wins / self->total.trades : 0.0,
            self->total.pnl_cents / 100.0, self->total.fees_cents / 100.0, self->max_drawdown_cents / 100.0, nopen,
            backtest_open_pnl_cents(bt) / 100.0);
    fputs("<p id='status' class='sub'>charts not drawn (JavaScript off?)</p>\n", out);
    s_html_table(out, "Overall", &self->total, 1);
    static const char *side_labels[] = { "long", "short" };
    s_bucket_table(out, "Long and short", "side", side_labels, sides, 2);
    s_html_table(out, "By symbol", self->by_symbol, self->nsymbols);
    s_html_table(out, "By signal reason", self->by_reason, self->nreasons);
    const char *hour_labels[24];
    char hour_text[24][16];
    for (int h = 0; h < 24; h++) {
        snprintf(hour_text[h], sizeof hour_text[h], "%02d:00 CT", h);
        hour_labels[h] = hour_text[h];
    }
    s_bucket_table(out, "By time of day (entry hour)", "hour", hour_labels, hours, 24);
    s_canvases(out, bt);
    s_trades_table(out, trades, nt, open, nopen);
    s_json_data(out, bt, trades, nt, open, nopen, daily, days, ndays, hours);
    if (s_inline_chartjs(out))
        fputs(s_script, out);
    else
        fprintf(out, "<p>Charts need Chart.js: %s was not found (Debian package libjs-chart.js, installed by "
                     "make deps; or set OFTS_CHARTJS).</p>\n", report_chartjs_path());
    fputs("</body></html>\n", out);
    free(open);
    free(daily);
}
