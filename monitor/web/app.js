// ofts live web view: applies the monitor's snapshot and numbered updates
// (docs/monitor.md) and draws them with plain canvas - no library, nothing
// fetched from the network. Redraws at most once per received update.
'use strict';

const params = new URLSearchParams(location.search);
const TOKEN = params.get('token') || '';
const BARS = 40, COLS = 600, TRADES = 600;
const S = { seq: 0, contracts: {}, cur: params.get('contract') || null, p: null, markers: [] };
let ws = null, dirty = false;

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const fmt = (v, d) => (v == null ? '-' : Number(v).toFixed(d == null ? 2 : d));
const dec = (c) => (S.contracts[c] ? S.contracts[c].decimals : 2);
const usd = (cents) => (cents == null ? '-' : (cents < 0 ? '-$' : '$') + (Math.abs(cents) / 100).toFixed(2));
const hhmmss = (ms) => new Date(ms).toISOString().substr(11, 8);

function connect() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/' +
    (TOKEN ? '?token=' + encodeURIComponent(TOKEN) : '');
  ws = new WebSocket(url, 'ofts-web');
  ws.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'conn up'; };
  ws.onclose = () => {
    $('conn').textContent = 'disconnected'; $('conn').className = 'conn down';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === 'cmd') {
      $('cmd-result').textContent = m.cmd + ': ' + (m.ok ? 'acknowledged' : m.error);
      return;
    }
    if (m.type === 'update' && m.seq !== S.seq + 1) { ws.close(); return; }   // lost one: start again
    apply(m);
  };
}

function keepLast(map, n) {
  const keys = Object.keys(map).map(Number).sort((a, b) => a - b);
  for (let i = 0; i < keys.length - n; i++) delete map[keys[i]];
}

function apply(m) {
  if (m.type === 'snapshot') S.contracts = {};
  S.seq = m.seq;
  for (const [name, c] of Object.entries(m.contracts)) {
    const k = S.contracts[name] || (S.contracts[name] = { bars: {}, cols: {}, trades: [], metrics: null, root: c.root });
    k.decimals = c.decimals;
    for (const b of c.bars) k.bars[b.seq] = b;
    for (const col of c.cols) k.cols[col.seq] = col;
    k.trades = k.trades.concat(c.trades).slice(-TRADES);
    k.metrics = c.metrics;
    keepLast(k.bars, BARS);
    keepLast(k.cols, COLS);
  }
  S.p = m;
  if (!S.cur || !S.contracts[S.cur]) S.cur = Object.keys(S.contracts)[0] || null;
  if (!dirty) { dirty = true; requestAnimationFrame(render); }
}

// ---------------------------------------------------------------- panels
function renderHeader() {
  const names = Object.keys(S.contracts);
  const el = $('contracts');
  if (el.dataset.names !== names.join()) {
    el.dataset.names = names.join();
    el.innerHTML = names.map((n) => `<button data-c="${esc(n)}">${esc(n)}</button>`).join('');
  }
  for (const b of el.children) b.className = b.dataset.c === S.cur ? 'on' : '';
  const a = S.p.account;
  const st = $('risk-state');
  const accts = S.p.accounts || [];
  if (accts.length > 1) {
    // Several accounts (docs/accounts.md): each with its own limits, then the total.
    const worst = ['HALTED', 'REDUCING', 'ACTIVE'].find((s) => accts.some((x) => x.state === s));
    st.textContent = worst; st.className = 'state ' + worst;
    $('risk-reason').textContent = accts.filter((x) => x.reason).map((x) => `${x.id}: ${x.reason}`).join(' · ');
    const sum = (k) => accts.reduce((t, x) => t + x[k], 0);
    $('account').innerHTML = accts.map((x) => `${esc(x.id)} <b class="state ${x.state}">${x.state}</b> ` +
      `${usd(x.balance)} day ${usd(x.realized + x.unrealized)}` +
      (x.to_daily_limit != null ? ` to daily limit ${usd(x.to_daily_limit)}` : '') +
      ` to floor ${usd(x.to_floor)}`).join(' · ') +
      ` · total ${usd(sum('balance'))} day ${usd(sum('realized') + sum('unrealized'))}`;
  } else if (a) {
    st.textContent = a.state; st.className = 'state ' + a.state;
    $('risk-reason').textContent = a.reason || '';
    $('account').innerHTML = `balance ${usd(a.balance)} · day P&amp;L ${usd(a.realized + a.unrealized)}` +
      (a.to_daily_limit != null ? ` · to daily limit ${usd(a.to_daily_limit)}` : '') +
      ` · to trailing floor ${usd(a.to_floor)} · open ${a.open_positions}/${a.open_contracts}`;
  }
}

function renderPosition() {
  const rows = S.p.positions.filter((p) => p.qty !== 0);
  $('position').innerHTML = rows.length ? rows.map((p) =>
    `<div class="${p.qty > 0 ? 'BUY' : 'SELL'}">${p.account ? esc(p.account) + ' ' : ''}${esc(p.contract)} ` +
    `${p.qty > 0 ? 'LONG' : 'SHORT'} ${Math.abs(p.qty)}` +
    ` @ ${fmt(p.entry, p.decimals)} · stop ${fmt(p.stop, p.decimals)} · target ${fmt(p.target, p.decimals)}` +
    ` · ${p.protected ? 'protected' : '<b class="dead">UNPROTECTED</b>'} · unrealized ${usd(p.unrealized)}</div>`).join('')
    : 'flat' + S.p.positions.map((p) => ` · ${esc(p.symbol)} realized ${usd(p.realized)}`).join('');
}

function gauge(name, value, shown, thr) {
  const frac = thr ? Math.min(Math.abs(value) / thr, 1.5) / 1.5 : 0;
  const hot = thr && Math.abs(value) >= thr;
  return `<div class="gauge"><span>${name}</span><div class="bar"><div class="fill${hot ? ' hot' : ''}" ` +
    `style="width:${(frac * 100).toFixed(1)}%"></div>` +
    (thr ? `<div class="thr" style="left:${(100 / 1.5).toFixed(1)}%"></div>` : '') +
    `</div><span>${shown} / ${thr == null ? '-' : thr}</span></div>`;
}

function renderGauges(k) {
  const m = k && k.metrics;
  if (!m) { $('gauges').textContent = 'no metrics yet'; return; }
  const t = m.thresholds || {};
  const aggr = Math.max(m.aggr_buy, m.aggr_sell);
  $('gauges').innerHTML =
    gauge('imbalance', m.imbalance, fmt(m.imbalance), t.imbalance) +
    gauge('cum. delta', m.cum_delta, m.cum_delta, t.cum_delta) +
    gauge('aggressive ' + (m.aggr_buy >= m.aggr_sell ? 'buy' : 'sell'), aggr, fmt(aggr), t.aggressive) +
    gauge('depth imbal.', m.depth, fmt(m.depth), t.depth) +
    gauge('intensity x', m.intensity_ratio, fmt(m.intensity_ratio), t.intensity_ratio) +
    `<div>VWAP ${fmt(m.vwap, k.decimals)} · last ${fmt(m.last, k.decimals)} · ${m.window_trades} trades / ${m.window_volume} lots in window</div>`;
}

function renderSignals() {
  $('signals').innerHTML = S.p.signals.slice().reverse().map((s) =>
    `<li class="sig ${s.status}"><span class="tag">${s.status.toUpperCase()}</span> ${hhmmss(s.t)} ` +
    `<span class="${s.side}">${s.side}</span> ${esc(s.contract)} @ ${fmt(s.entry, s.decimals)} stop ${fmt(s.stop, s.decimals)} target ${fmt(s.target, s.decimals)} ` +
    `conf ${fmt(s.confidence)}<br><span class="reasons">${esc(s.reasons)}</span>` +
    (s.reject ? `<br><span class="reject">rejected: ${esc(s.reject)}</span>` : '') + '</li>').join('');
}

function renderFootprint(k) {
  if (!k) return;
  const bars = Object.values(k.bars).slice(-3);
  $('footprint').innerHTML = bars.map((b) => {
    const cells = b.cells.slice().sort((x, y) => y[0] - x[0]);
    const poc = cells.reduce((best, c) => (c[1] + c[2] > best ? c[1] + c[2] : best), 0);
    return `<table class="fp"><tr><th colspan="3">${hhmmss(b.t)}</th></tr>` +
      cells.map((c) => `<tr class="${c[1] + c[2] === poc ? 'poc' : ''}"><td class="px">${fmt(c[0], k.decimals)}</td>` +
        `<td class="bid">${c[1]}</td><td class="ask">${c[2]}</td></tr>`).join('') +
      `<tr><td>delta</td><td colspan="2" class="${b.delta >= 0 ? 'BUY' : 'SELL'}">${b.delta}</td></tr></table>`;
  }).join('');
}

function renderTables() {
  const work = S.p.orders.slice().reverse();
  $('orders').innerHTML = '<tr><th>order</th><th>role</th><th>side</th><th>qty</th><th>price</th><th>status</th></tr>' +
    work.map((o) => `<tr><td>${esc(o.id.slice(-10))}</td><td>${o.role}</td><td class="${o.side}">${o.side}</td>` +
      `<td>${o.filled}/${o.qty}</td><td>${fmt(o.price, dec(o.contract))}</td><td>${o.status}${o.text ? ' ' + esc(o.text) : ''}</td></tr>`).join('');
  $('fills').innerHTML = '<tr><th>time</th><th>role</th><th>side</th><th>qty</th><th>price</th></tr>' +
    S.p.fills.slice().reverse().map((f) => `<tr><td>${hhmmss(f.t)}</td><td>${f.role}</td>` +
      `<td class="${f.side}">${f.side}</td><td>${f.qty}</td><td>${fmt(f.price, dec(f.contract))}</td></tr>`).join('');
  $('health').innerHTML = '<tr><th>service</th><th>state</th><th>pid</th><th>restarts</th><th>seen</th></tr>' +
    S.p.health.map((h) => `<tr class="${h.alive ? '' : 'dead'}"><td>${esc(h.service)}</td><td>${esc(h.state)}</td>` +
      `<td>${h.pid}</td><td>${h.restarts}</td><td>${(h.age_ms / 1000).toFixed(1)} s ago</td></tr>`).join('');
  $('gaps').textContent = S.p.gaps.length
    ? 'bus gaps: ' + S.p.gaps.map((g) => `${g.source} ${g.missing} missing (${g.events}x)`).join(', ')
    : 'bus gaps: none';
}

// ---------------------------------------------------------------- charts
function fit(canvas) {
  const r = canvas.getBoundingClientRect(), d = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(r.width * d) || canvas.height !== Math.round(r.height * d)) {
    canvas.width = Math.round(r.width * d); canvas.height = Math.round(r.height * d);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(d, 0, 0, d, 0, 0);
  return { ctx, w: r.width, h: r.height };
}

function heatColor(f) {   // dark blue -> cyan -> yellow -> white, like a depth heatmap
  const stops = [[13, 17, 40], [20, 90, 160], [40, 200, 200], [240, 220, 60], [255, 255, 255]];
  const x = Math.max(0, Math.min(0.9999, f)) * (stops.length - 1), i = Math.floor(x), t = x - i;
  const c = stops[i].map((v, j) => Math.round(v + (stops[i + 1][j] - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function renderChart(k) {
  const { ctx, w, h } = fit($('chart'));
  ctx.fillStyle = '#0d1117'; ctx.fillRect(0, 0, w, h);
  S.markers = [];
  if (!k) return;
  const cols = Object.values(k.cols), bars = Object.values(k.bars);
  const tmax = Math.max(S.p.event_t, ...cols.map((c) => c.t + 1000), ...bars.map((b) => b.t));
  let tmin = Math.min(...cols.map((c) => c.t), ...bars.map((b) => b.t), ...k.trades.map((t) => t[0]));
  if (!isFinite(tmin) || tmax - tmin > 30 * 60000) tmin = tmax - 30 * 60000;
  if (tmax - tmin < 10000) tmin = tmax - 10000;
  const trades = k.trades.filter((t) => t[0] >= tmin);
  const pos = S.p.positions.find((p) => p.contract === S.cur && p.qty !== 0);
  const sigs = S.p.signals.filter((s) => s.contract === S.cur && s.t >= tmin);
  let lo = Infinity, hi = -Infinity;
  const see = (v) => { if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } };
  trades.forEach((t) => see(t[1]));
  bars.forEach((b) => { see(b.h); see(b.l); });
  sigs.forEach((s) => see(s.entry));
  if (pos) { see(pos.entry); see(pos.stop); see(pos.target); }
  if (!isFinite(lo)) cols.forEach((c) => c.lv.forEach((l) => see(l[0])));
  if (!isFinite(lo)) return;
  const pad = Math.max((hi - lo) * 0.15, 1e-6);
  lo -= pad; hi += pad;
  const L = 4, R = w - 70, T = 6, B = h - 18;
  const X = (t) => L + (t - tmin) / (tmax - tmin) * (R - L);
  const Y = (p) => B - (p - lo) / (hi - lo) * (B - T);
  // heatmap: resting size per price level over time
  let maxSz = 1, tick = Infinity;
  for (const c of cols) for (const l of c.lv) maxSz = Math.max(maxSz, l[1]);
  for (const c of cols) for (let i = 1; i < c.lv.length; i++) {
    const d = Math.abs(c.lv[i][0] - c.lv[i - 1][0]); if (d > 1e-9) tick = Math.min(tick, d);
  }
  if (!isFinite(tick)) tick = (hi - lo) / 50;
  const cellH = Math.max(1, Math.abs(Y(0) - Y(tick)));
  cols.sort((a, b) => a.t - b.t);
  cols.forEach((c, i) => {
    if (c.t + 1000 < tmin) return;
    const x0 = X(c.t), x1 = i + 1 < cols.length ? X(cols[i + 1].t) : X(tmax);
    for (const l of c.lv) {
      ctx.fillStyle = heatColor(Math.log1p(l[1]) / Math.log1p(maxSz));
      ctx.fillRect(x0, Y(l[0]) - cellH / 2, Math.max(1, x1 - x0), cellH);
    }
  });
  // VWAP through the bars
  ctx.strokeStyle = '#d2a8ff'; ctx.lineWidth = 1.5; ctx.beginPath();
  bars.sort((a, b) => a.t - b.t).forEach((b, i) => {
    if (b.vwap == null) return;
    const x = X(Math.max(b.t, tmin)); i ? ctx.lineTo(x, Y(b.vwap)) : ctx.moveTo(x, Y(b.vwap));
  });
  ctx.stroke();
  // trades, sized by volume, coloured by aggressor
  const maxT = Math.max(1, ...trades.map((t) => t[2]));
  for (const t of trades) {
    ctx.fillStyle = t[3] === 1 ? 'rgba(63,185,80,0.8)' : t[3] === 2 ? 'rgba(248,81,73,0.8)' : 'rgba(200,200,200,0.7)';
    ctx.beginPath(); ctx.arc(X(t[0]), Y(t[1]), 2 + 10 * Math.sqrt(t[2] / maxT), 0, 7); ctx.fill();
  }
  // position: entry, stop, target
  if (pos) {
    const line = (p, color, label) => {
      if (p == null) return;
      ctx.strokeStyle = color; ctx.setLineDash([6, 4]); ctx.beginPath();
      ctx.moveTo(L, Y(p)); ctx.lineTo(R, Y(p)); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = color; ctx.fillText(`${label} ${fmt(p, k.decimals)}`, L + 4, Y(p) - 3);
    };
    line(pos.entry, '#f0f6fc', (pos.qty > 0 ? 'LONG ' : 'SHORT ') + Math.abs(pos.qty) + ' entry');
    line(pos.stop, '#f85149', 'stop'); line(pos.target, '#3fb950', 'target');
  }
  // signals: filled triangles approved, hollow grey rejected
  for (const s of sigs) {
    const x = X(s.t), y = Y(s.entry), up = s.side === 'BUY', sz = 8;
    ctx.beginPath();
    ctx.moveTo(x, up ? y + 4 : y - 4); ctx.lineTo(x - sz, up ? y + 4 + sz * 1.5 : y - 4 - sz * 1.5);
    ctx.lineTo(x + sz, up ? y + 4 + sz * 1.5 : y - 4 - sz * 1.5); ctx.closePath();
    if (s.status === 'rejected') { ctx.strokeStyle = '#8b949e'; ctx.lineWidth = 2; ctx.stroke(); }
    else { ctx.fillStyle = up ? '#3fb950' : '#f85149'; ctx.fill(); }
    S.markers.push({ x, y: up ? y + 10 : y - 10, s });
  }
  // axes
  ctx.fillStyle = '#8b949e'; ctx.font = '11px monospace';
  for (let i = 0; i <= 6; i++) {
    const p = lo + (hi - lo) * i / 6; ctx.fillText(fmt(p, k.decimals), R + 4, Y(p) + 4);
  }
  for (let i = 0; i <= 4; i++) {
    const t = tmin + (tmax - tmin) * i / 4; ctx.fillText(hhmmss(t), Math.min(X(t), R - 60), h - 4);
  }
  S.view = { tmin, tmax, L, R };
}

function renderCd(k) {
  const { ctx, w, h } = fit($('cd'));
  ctx.fillStyle = '#0d1117'; ctx.fillRect(0, 0, w, h);
  if (!k || !S.view) return;
  const bars = Object.values(k.bars).filter((b) => b.t + 1 >= S.view.tmin - 60000).sort((a, b) => a.t - b.t);
  if (!bars.length) return;
  const vals = bars.map((b) => b.cd);
  const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals), span = hi - lo || 1;
  const { tmin, tmax, L, R } = S.view;
  const X = (t) => L + (Math.max(t, tmin) - tmin) / (tmax - tmin) * (R - L);
  const Y = (v) => h - 14 - (v - lo) / span * (h - 24);
  ctx.strokeStyle = '#30363d'; ctx.beginPath(); ctx.moveTo(L, Y(0)); ctx.lineTo(R, Y(0)); ctx.stroke();
  ctx.strokeStyle = '#58a6ff'; ctx.lineWidth = 1.5; ctx.beginPath();
  bars.forEach((b, i) => {
    const x = i + 1 < bars.length ? X(bars[i + 1].t) : X(tmax);
    i ? ctx.lineTo(x, Y(b.cd)) : ctx.moveTo(x, Y(b.cd));
  });
  ctx.stroke();
  ctx.fillStyle = '#8b949e'; ctx.font = '11px monospace';
  ctx.fillText(`cumulative delta ${vals[vals.length - 1]} (bar delta ${bars[bars.length - 1].delta})`, L + 4, 12);
}

function render() {
  dirty = false;
  if (!S.p) return;
  const k = S.contracts[S.cur];
  renderHeader(); renderPosition(); renderGauges(k); renderSignals(); renderFootprint(k); renderTables();
  renderChart(k); renderCd(k);
}

// ---------------------------------------------------------------- input
$('contracts').addEventListener('click', (e) => {
  if (e.target.dataset.c) { S.cur = e.target.dataset.c; render(); }
});
$('chart').addEventListener('mousemove', (e) => {
  const r = e.target.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
  const hit = S.markers.find((m) => Math.abs(m.x - x) < 10 && Math.abs(m.y - y) < 14);
  const tip = $('tip');
  if (!hit) { tip.hidden = true; return; }
  const s = hit.s;
  tip.hidden = false; tip.style.left = (x + 14) + 'px'; tip.style.top = (y + 14) + 'px';
  tip.textContent = `${s.side} ${s.contract} @ ${fmt(s.entry, s.decimals)} conf ${fmt(s.confidence)} ${s.status.toUpperCase()}\n` +
    `${s.reasons}${s.reject ? '\nrejected: ' + s.reject : ''}\nstop ${fmt(s.stop, s.decimals)} target ${fmt(s.target, s.decimals)}`;
});
window.addEventListener('resize', () => { if (S.p) render(); });
if (TOKEN) {
  $('commands').hidden = false;
  $('commands').addEventListener('click', (e) => {
    const cmd = e.target.dataset.cmd;
    if (!cmd || (cmd === 'kill' && !confirm('Kill: halt trading and flatten everything?'))) return;
    ws.send(JSON.stringify({ cmd, symbol: '', token: TOKEN }));
  });
}
connect();
