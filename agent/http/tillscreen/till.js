// The till screen's script: live basket over Server-Sent Events, every
// action on a key, everything shown through textContent (no HTML parsing),
// so nothing the agent sends can become markup.
(function () {
  "use strict";
  var cfg = window.TILL, M = cfg.messages, lane = cfg.lane;
  var api = "/v1/lanes/" + encodeURIComponent(lane);
  var $ = function (id) { return document.getElementById(id); };
  var entry = $("entry");
  var state = { basket: null, mode: "scan", ret: null, overlay: false };

  function money(fen) {
    var neg = fen < 0, a = Math.abs(fen), c = a % 100;
    return (neg ? "-" : "") + "¥" + Math.floor(a / 100) + "." + (c < 10 ? "0" : "") + c;
  }
  function qty(milli) {
    if (milli % 1000 === 0) { return String(milli / 1000); }
    var s = String(milli % 1000); while (s.length < 3) { s = "0" + s; }
    return Math.floor(milli / 1000) + "." + s;
  }
  // decimal parses "12", "12.5", "0.250" into integer units of 10^-places
  // without floating point (money and quantities are integers).
  function decimal(text, places) {
    var m = /^(\d{1,9})(?:\.(\d*))?$/.exec(text.trim());
    if (!m) { return null; }
    var frac = (m[2] || "");
    if (frac.length > places) { return null; }
    while (frac.length < places) { frac += "0"; }
    return parseInt(m[1], 10) * Math.pow(10, places) + (places ? parseInt(frac, 10) : 0);
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function ago(sec) {
    if (sec < 120) { return sec + M.s; }
    if (sec < 7200) { return Math.floor(sec / 60) + M.min; }
    return Math.floor(sec / 3600) + M.h;
  }

  // --- errors and prompts ---
  function showError(code, msg) {
    $("error-code").textContent = code ? "[" + code + "]" : "";
    $("error-msg").textContent = msg;
    $("error").hidden = false;
  }
  function clearError() {
    $("error").hidden = true;
    $("error-code").textContent = "";
    $("error-msg").textContent = "";
  }
  function setMode(mode) {
    state.mode = mode;
    $("prompt").textContent = M["m_" + mode] || M.m_scan;
    var keyOf = { sku: "F1", qty: "F2", "void": "F3", card: "F4", reward: "F5", cash: "F6",
      bank: "F7", points: "F8", "return": "F10", return_lines: "F10" };
    document.querySelectorAll("#keys button").forEach(function (b) {
      b.classList.toggle("active", b.dataset.key === keyOf[mode]);
    });
    entry.value = "";
    entry.focus();
  }

  // --- talking to the agent ---
  function call(method, path, body) {
    var opt = { method: method, headers: {} };
    if (body !== undefined) { opt.body = JSON.stringify(body); opt.headers["Content-Type"] = "application/json"; }
    return fetch(path, opt).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) {
          var e = (data && data.error) || {};
          throw { code: e.code || String(resp.status), message: e.message || resp.statusText };
        }
        return data;
      });
    }, function () { throw { code: "", message: M.err_net }; });
  }
  function fail(e) { showError(e.code, e.message); }
  function basketCall(method, path, body) {
    return call(method, api + path, body).then(function (b) { clearError(); applyBasket(b); return b; }, fail);
  }
  function refetch() { return call("GET", api + "/basket").then(applyBasket, fail); }

  // --- the basket ---
  // applyBasket shows b unless it is older than what is shown (events and
  // answers can cross): same basket id and a lower revision.
  function applyBasket(b) {
    var cur = state.basket;
    if (cur && b.basket_id && cur.basket_id === b.basket_id && b.rev < cur.rev) { return; }
    var memberChanged = !cur || JSON.stringify(cur.member || null) !== JSON.stringify(b.member || null);
    state.basket = b;
    renderBasket(b);
    if (b.member) { loadPanel(); } else if (memberChanged) { renderMember(null); }
  }
  function renderBasket(b) {
    var body = $("lines"), lines = b.lines || [];
    body.replaceChildren();
    lines.forEach(function (l, i) {
      var tr = el("tr", null, i === lines.length - 1 ? "last" : "");
      tr.dataset.line = l.line_no;
      tr.appendChild(el("td", String(l.line_no)));
      tr.appendChild(el("td", l.name || l.sku, l.reward_id ? "reward" : ""));
      tr.appendChild(el("td", qty(l.quantity_milli), "n"));
      var price = el("td", null, "n");
      if (l.regular_unit_price_fen) { price.appendChild(el("span", money(l.regular_unit_price_fen), "was")); }
      price.appendChild(document.createTextNode(money(l.unit_price_fen)));
      tr.appendChild(price);
      tr.appendChild(el("td", money(l.line_total_fen), "n"));
      body.appendChild(tr);
    });
    if (lines.length) { body.lastChild.scrollIntoView({ block: "nearest" }); }
    $("empty").hidden = lines.length > 0;
    $("total").textContent = money(b.total_fen || 0);
    $("saving").textContent = money(b.member_saving_fen || 0);
    $("tenders").textContent = (b.tenders || []).map(function (t) {
      var name = { cash: M.k_cash, bank_card: M.k_bank, points: M.k_points }[t.kind] || t.kind;
      return name + " " + money(t.amount_fen) + (t.points ? " (" + t.points + ")" : "");
    }).join(", ");
    var due = b.due_fen || 0;
    $("due-label").textContent = due < 0 ? M.change : M.due;
    $("due").textContent = money(Math.abs(due));
  }
  var panelSeq = 0;
  function loadPanel() {
    var seq = ++panelSeq;
    call("GET", "/till/" + encodeURIComponent(lane) + "/panel").then(function (p) {
      if (seq === panelSeq) { state.panel = p; renderMember(p); }
    }, fail);
  }
  function renderMember(p) {
    var m = p && p.member;
    $("no-member").hidden = !!m;
    $("member-data").hidden = !m;
    $("m-unknown").hidden = !(m && !m.known);
    if (!m) { return; }
    $("m-name").textContent = m.name || "";
    $("m-card").textContent = m.card;
    $("m-phone").textContent = p.phone_last4 ? "****" + p.phone_last4 : "";
    $("m-tier").textContent = m.tier || "";
    $("m-balance").textContent = p.points ? String(p.points.available) : "";
    $("m-pending").textContent = p.points ? String(p.points.pending) : "";
    $("m-earn").textContent = "+" + p.points_this_sale + (p.reward_points ? " / -" + p.reward_points : "");
  }

  // --- receipt and return overlays ---
  function showOverlay(title, rows) {
    $("r-title").textContent = title;
    var dl = $("r-body");
    dl.replaceChildren();
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined) { return; }
      dl.appendChild(el("dt", r[0]));
      var dd = el("dd", String(r[1]));
      if (r[2]) { dd.id = r[2]; }
      dl.appendChild(dd);
    });
    $("receipt").hidden = false;
    state.overlay = true;
  }
  function hideOverlays() {
    $("receipt").hidden = true;
    $("returnsale").hidden = true;
    state.overlay = false;
  }
  function showReceipt(r) {
    var pts = r.points, mem = r.member;
    showOverlay(M.receipt, [
      [M.receipt_no, r.sale.receipt_no, "r-no"],
      [M.total, money(r.sale.total_fen), "r-total"],
      [M.saving, r.member_saving_fen ? money(r.member_saving_fen) : null],
      [M.change, money(r.change_fen), "r-change"],
      [M.member, mem ? (mem.name || "") + " " + mem.card : null],
      [M.points_earned, mem ? "+" + r.points_earned_pending : null, "r-earned"],
      [M.points_redeemed, r.points_redeemed ? String(r.points_redeemed) : null],
      [M.available, pts ? String(pts.available) : null, "r-balance"],
      [M.pending, pts ? String(pts.pending) : null],
      [M.sale_id, r.sale.sale_id, "r-sale"]
    ]);
    state.basket = null;
    renderBasket({ lines: [], total_fen: 0, member_saving_fen: 0, due_fen: 0, tenders: [] });
    renderMember(null);
  }
  function showReturn(rr) {
    showOverlay(M.return_receipt, [
      [M.receipt_no, rr.receipt_no, "r-no"],
      [M.return_of, rr.original_sale_id],
      [M.refund, money(rr.money_refund_fen), "r-refund"],
      [M.points_reversed, rr.points_reversed ? String(rr.points_reversed) : null],
      [M.points_refunded, rr.points_refunded ? String(rr.points_refunded) : null],
      [M.available, rr.points ? String(rr.points.available) : null]
    ]);
  }

  // --- actions ---
  function submit() {
    var text = entry.value.trim(), mode = state.mode;
    entry.value = "";
    if (state.overlay && mode === "scan") { hideOverlays(); if (!text) { return; } }
    clearError();
    var n;
    switch (mode) {
    case "scan":
      if (!text) { return; }
      basketCall("POST", "/scan", { data: text });
      return;
    case "sku":
      var parts = text.split("*"), q = parts.length > 1 ? decimal(parts[1], 3) : 1000;
      if (!parts[0] || q === null) { return showError("", M.err_number); }
      basketCall("POST", "/items", { sku: parts[0], quantity_milli: q }).then(done(mode));
      return;
    case "qty":
      var lq = text.split("*"), no = decimal(lq[0] || "", 0), qq = decimal(lq[1] || "", 3);
      if (no === null || qq === null) { return showError("", M.err_number); }
      basketCall("PATCH", "/lines/" + no, { quantity_milli: qq }).then(done(mode));
      return;
    case "void":
      n = text ? decimal(text, 0) : lastLine();
      if (n === null) { return showError("", M.err_number); }
      basketCall("DELETE", "/lines/" + n).then(done(mode));
      return;
    case "card":
      if (!text) { return showError("", M.err_entry); }
      basketCall("POST", "/member", { card: text }).then(done(mode));
      return;
    case "reward":
      n = decimal(text, 0);
      var items = document.querySelectorAll("#rewards li");
      if (n === null || n < 1 || n > items.length) { return showError("", M.err_reward); }
      basketCall("POST", "/rewards", { reward_id: items[n - 1].dataset.id }).then(done(mode));
      return;
    case "cash":
      var fen = text ? decimal(text, 2) : due();
      if (fen === null) { return showError("", M.err_number); }
      if (fen <= 0) { return showError("", M.err_nothing_due); }
      basketCall("POST", "/tenders", { kind: "cash", amount_fen: fen }).then(done(mode));
      return;
    case "bank":
      if (due() <= 0) { return showError("", M.err_nothing_due); }
      basketCall("POST", "/tenders", { kind: "bank_card", amount_fen: due(), reference: text }).then(done(mode));
      return;
    case "points":
      n = text ? decimal(text, 0) : pointsForDue();
      if (n === null) { return showError("", M.err_number); }
      basketCall("POST", "/tenders", { kind: "points", points: n }).then(done(mode));
      return;
    case "return":
      if (!text) { return showError("", M.err_entry); }
      call("GET", "/v1/sales/" + encodeURIComponent(text)).then(showSaleForReturn, fail);
      return;
    case "return_lines":
      doReturn(text, "cash");
      return;
    }
  }
  // done returns what to do when an action taken in mode succeeded: back
  // to scanning, unless the cashier already pressed another key.
  function done(mode) {
    return function (b) { if (b && state.mode === mode) { setMode("scan"); } };
  }
  function due() { return state.basket ? state.basket.due_fen : 0; }
  function lastLine() {
    var ls = (state.basket && state.basket.lines) || [];
    return ls.length ? ls[ls.length - 1].line_no : null;
  }
  function pointsForDue() {
    var p = state.panel, d = due();
    if (!p || !p.points_tender_fen || d <= 0) { return null; }
    return Math.ceil(d / p.points_tender_fen) * p.points_tender_points;
  }
  function commit() {
    clearError();
    var mode = state.mode;
    call("POST", api + "/commit", {}).then(function (r) { showReceipt(r); done(mode)(r); pollStatus(); }, fail);
  }
  function cancelSale() {
    clearError();
    var mode = state.mode;
    call("DELETE", api + "/basket").then(function (r) { refetch(); done(mode)(r); }, fail);
  }
  function showSaleForReturn(sale) {
    state.ret = sale;
    $("rs-id").textContent = sale.receipt_no || sale.sale_id;
    var body = $("rs-lines");
    body.replaceChildren();
    (sale.lines || []).forEach(function (l) {
      var tr = el("tr");
      tr.appendChild(el("td", String(l.line_no)));
      tr.appendChild(el("td", l.name || l.sku));
      tr.appendChild(el("td", qty(l.quantity_milli), "n"));
      tr.appendChild(el("td", money(l.line_total_fen), "n"));
      body.appendChild(tr);
    });
    $("returnsale").hidden = false;
    setMode("return_lines");
  }
  function doReturn(text, refund) {
    var sale = state.ret, lines = [];
    if (!sale) { return setMode("return"); }
    if (text) {
      var bad = text.split(",").some(function (part) {
        var lq = part.split("*"), no = decimal(lq[0], 0), q = lq.length > 1 ? decimal(lq[1], 3) : 0;
        if (no === null || q === null) { return true; }
        lines.push(q ? { line_no: no, quantity_milli: q } : { line_no: no });
        return false;
      });
      if (bad) { return showError("", M.err_number); }
    } else {
      lines = (sale.lines || []).map(function (l) { return { line_no: l.line_no }; });
    }
    call("POST", "/v1/returns", { lane: lane, sale_id: sale.sale_id, refund: refund, lines: lines })
      .then(function (rr) { $("returnsale").hidden = true; state.ret = null; showReturn(rr); setMode("scan"); pollStatus(); }, fail);
  }

  // --- keyboard: every action has a key; focus stays in the entry ---
  function key(name) {
    if (state.mode === "return_lines" && (name === "F6" || name === "F7")) {
      var text = entry.value.trim();
      entry.value = "";
      return doReturn(text, name === "F6" ? "cash" : "bank_card");
    }
    var modes = { F1: "sku", F2: "qty", F3: "void", F4: "card", F5: "reward", F6: "cash", F7: "bank", F8: "points", F10: "return" };
    if (modes[name]) { hideOverlays(); clearError(); return setMode(modes[name]); }
    if (name === "F9") { return commit(); }
    if (name === "ShiftF3") { return cancelSale(); }
    if (name === "Escape") {
      hideOverlays(); clearError(); state.ret = null; return setMode("scan");
    }
  }
  document.addEventListener("keydown", function (e) {
    var name = (e.shiftKey && e.key === "F3") ? "ShiftF3" : e.key;
    if (/^F([1-9]|1[0-2])$/.test(e.key) || name === "Escape") {
      e.preventDefault();
      key(name);
    } else if (e.key === "Enter" && document.activeElement === entry) {
      e.preventDefault();
      submit();
    } else if (document.activeElement !== entry && e.key.length === 1 && !e.ctrlKey && !e.altKey) {
      entry.focus();
    }
  });
  document.querySelectorAll("#keys button").forEach(function (b) {
    b.addEventListener("click", function () { key(b.dataset.key); entry.focus(); });
  });
  entry.addEventListener("blur", function () { setTimeout(function () { entry.focus(); }, 0); });

  // --- live lane events ---
  function listen() {
    var es = new EventSource("/v1/events?lane=" + encodeURIComponent(lane));
    es.onopen = function () { refetch(); };
    var onBasket = function (ev) {
      var d = JSON.parse(ev.data);
      if (d.basket) {
        if (state.overlay && d.basket.lines && d.basket.lines.length) { hideOverlays(); }
        applyBasket(d.basket);
      }
    };
    ["basket", "scan", "card"].forEach(function (k) { es.addEventListener(k, onBasket); });
    es.addEventListener("sale", function (ev) {
      var d = JSON.parse(ev.data);
      if (d.receipt && !state.overlay) { showReceipt(d.receipt); }
    });
    es.addEventListener("return", function (ev) {
      var d = JSON.parse(ev.data);
      if (d.return && !state.overlay) { showReturn(d.return); }
    });
    es.addEventListener("error", function (ev) {
      if (ev.data) { showError("", JSON.parse(ev.data).message || ""); }
    });
    es.addEventListener("lagged", refetch);
  }

  // --- the store's link to HQ ---
  function pollStatus() {
    call("GET", "/v1/status").then(function (st) {
      var banner = $("banner");
      var sync = st.outbox_depth > 0
        ? M.unsynced + " " + st.outbox_depth + " · " + M.oldest + " " + ago(st.oldest_unsynced_age_seconds)
        : M.synced;
      $("sync").textContent = (st.connected ? M.online : M.offline_short) + " · " + sync;
      if (st.connected) {
        banner.hidden = true;
        return;
      }
      var late = cfg.warn_after_seconds > 0 && st.oldest_unsynced_age_seconds >= cfg.warn_after_seconds;
      banner.className = late ? "banner" : "banner warn";
      banner.textContent = M.offline + " " + M.unsynced + ": " + st.outbox_depth +
        (st.outbox_depth > 0 ? " · " + M.oldest + " " + ago(st.oldest_unsynced_age_seconds) : "") +
        (late ? " · " + M.offline_long : "");
      banner.dataset.unsynced = st.outbox_depth;
      banner.hidden = false;
    }, function () { $("sync").textContent = M.status_err; });
  }

  setMode("scan");
  listen();
  pollStatus();
  setInterval(pollStatus, cfg.status_every_ms || 3000);
})();
