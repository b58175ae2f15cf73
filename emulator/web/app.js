// The emulator page: personas, conversations, the composer, the clock and the log. Messages
// and log lines come from /api/feed (long polling); sending and clicking go to /api/send and
// /api/action, which deliver them to the bot as Feishu events.
"use strict";

const App = (() => {
  const state = {personas: [], groups: [], bot: null, me: null, chat: null, seq: 0, messages: new Map(), order: [], log: []};
  const $ = s => document.querySelector(s);

  async function api(path, body) {
    const r = await fetch(path, body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    const j = await r.json().catch(() => ({error: "HTTP " + r.status}));
    if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
    return j;
  }

  function names(id) {
    const p = state.personas.find(p => p.open_id === id);
    if (p) return p.name;
    if (state.bot && id === state.bot.open_id) return state.bot.name;
    return null;
  }

  function toast(t) {
    if (!t) return;
    const d = document.createElement("div");
    d.className = "toast " + (t.type || "info");
    d.textContent = (t.i18n && t.i18n.zh_cn) || t.content || "";
    $("#toasts").appendChild(d);
    setTimeout(() => d.remove(), 4000);
  }

  function confirm(title, text, ok) {
    const m = $("#modal");
    m.querySelector(".modal-title").textContent = title || "请确认";
    m.querySelector(".modal-text").textContent = text || "";
    m.hidden = false;
    const done = go => { m.hidden = true; m.querySelector(".modal-ok").onclick = null; m.querySelector(".modal-cancel").onclick = null; if (go) ok(); };
    m.querySelector(".modal-ok").onclick = () => done(true);
    m.querySelector(".modal-cancel").onclick = () => done(false);
  }

  function chatsOf(p) {
    return [{id: p.chat, name: "工会助手（单聊）", group: false}].concat(state.groups);
  }

  function renderPersona() {
    const p = state.me;
    const info = $("#persona-info");
    info.innerHTML = "";
    const line = (k, v) => { const d = document.createElement("div"); d.className = "pi"; d.innerHTML = "<span></span><b></b>"; d.firstChild.textContent = k; d.lastChild.textContent = v; info.appendChild(d); };
    line("姓名", p.name);
    line("工号", p.employee_no);
    line("分工会", p.branch);
    line("角色", ["会员"].concat(p.role_names || []).join("、"));
    line("open_id", p.open_id);
    const ul = $("#convs");
    ul.innerHTML = "";
    for (const c of chatsOf(p)) {
      const li = document.createElement("li");
      li.className = "conv" + (c.id === state.chat ? " active" : "");
      li.dataset.chat = c.id;
      const badge = document.createElement("span");
      badge.className = "conv-badge" + (c.group ? " group" : "");
      badge.textContent = c.group ? "群" : "私";
      li.appendChild(badge);
      li.appendChild(document.createTextNode(c.name));
      li.onclick = () => { state.chat = c.id; renderPersona(); renderMessages(); };
      ul.appendChild(li);
    }
    const cur = chatsOf(p).find(c => c.id === state.chat);
    $("#chat-title").textContent = cur ? cur.name + (cur.group ? "（群聊：消息会 @工会助手）" : "") : "";
    $("#mention-hint").hidden = !(cur && cur.group);
  }

  function selectPersona(openID) {
    state.me = state.personas.find(p => p.open_id === openID || p.employee_no === openID) || state.personas[0];
    $("#persona").value = state.me.open_id;
    if (!state.chat || !state.groups.some(g => g.id === state.chat)) state.chat = state.me.chat;
    localStorage.setItem("emulator.persona", state.me.open_id);
    $("#toasts").replaceChildren(); // toasts answer the previous persona's clicks
    renderPersona();
    renderMessages();
  }

  async function act(msg, action) {
    const body = Object.assign({as: state.me.open_id, message_id: msg.id}, action);
    try {
      const ans = await api("api/action", body);
      if (ans.toast) toast(ans.toast);
    } catch (e) {
      toast({type: "error", content: "回调失败：" + e.message});
    }
  }

  function messageNode(m) {
    const mine = m.from === state.me.open_id;
    const d = document.createElement("div");
    d.className = "msg " + (m.from === "bot" ? "bot" : m.from === "platform" ? "platform" : mine ? "mine" : "other");
    d.dataset.id = m.id;
    d.dataset.type = m.msg_type;
    const head = document.createElement("div");
    head.className = "msg-head";
    head.textContent = m.from_name + " · " + m.at + (m.updated ? " · 已更新" : "");
    const raw = document.createElement("button");
    raw.type = "button";
    raw.className = "raw-toggle";
    raw.textContent = "{ }";
    raw.title = "飞书传送的原始 JSON";
    head.appendChild(raw);
    d.appendChild(head);
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.appendChild(Card.render(m.msg_type, m.content, {act: a => act(m, a), people: state.personas, names, fileName: m.file_name}));
    d.appendChild(bubble);
    const pre = document.createElement("pre");
    pre.className = "raw";
    pre.hidden = true;
    raw.onclick = () => {
      if (!pre.textContent) {
        let v;
        try { v = JSON.parse(JSON.stringify(m.raw)); } catch (e) { v = m.raw; }
        const msgObj = (v && v.event && v.event.message) || v;
        if (msgObj && msgObj.body && typeof msgObj.body.content === "string") {
          try { msgObj.body.content_parsed = JSON.parse(msgObj.body.content); } catch (e) {}
        } else if (msgObj && typeof msgObj.content === "string") {
          try { msgObj.content_parsed = JSON.parse(msgObj.content); } catch (e) {}
        }
        pre.textContent = JSON.stringify(v, null, 2);
      }
      pre.hidden = !pre.hidden;
    };
    d.appendChild(pre);
    return d;
  }

  function renderMessages() {
    const box = $("#messages");
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.innerHTML = "";
    for (const id of state.order) {
      const m = state.messages.get(id);
      if (m.chat === state.chat) box.appendChild(messageNode(m));
    }
    if (atEnd || true) box.scrollTop = box.scrollHeight;
  }

  function updateMessage(m) {
    const known = state.messages.has(m.id);
    state.messages.set(m.id, m);
    if (!known) state.order.push(m.id);
    if (m.chat !== state.chat) return;
    const old = document.querySelector('.msg[data-id="' + CSS.escape(m.id) + '"]');
    if (old) old.replaceWith(messageNode(m));
    else {
      const box = $("#messages");
      box.appendChild(messageNode(m));
      box.scrollTop = box.scrollHeight;
    }
  }

  function logLine(n) {
    if (n.kind === "event" && !$("#log-events").checked) return;
    const d = document.createElement("details");
    d.className = "log-line " + n.kind + (n.data.code || n.data.error ? " bad" : "");
    const s = document.createElement("summary");
    const x = n.data;
    const at = n.at.slice(5, 16);
    if (n.kind === "call") s.textContent = at + " " + x.status + " " + (x.code ? "code " + x.code + " " : "") + x.method + " " + x.path.replace("/open-apis/", "");
    else if (n.kind === "event") s.textContent = at + " 事件 " + (x.error || x.ack_code) + " " + x.type;
    else if (n.kind === "fault") s.textContent = at + " 故障开关 " + x.mode + (x.seconds ? "，" + x.seconds + " 秒" : "");
    else s.textContent = at + " 时钟 " + x.from + " → " + x.to + "，唤醒 " + (x.jobs || []).map(j => j.job).join("、");
    d.appendChild(s);
    const pre = document.createElement("pre");
    const pretty = v => { try { return JSON.stringify(JSON.parse(v), null, 2); } catch (e) { return v; } };
    pre.textContent = n.kind === "call"
      ? (x.query ? "?" + x.query + "\n" : "") + (x.request ? "请求：\n" + pretty(x.request) + "\n" : "") + "应答：\n" + pretty(x.answer || "")
      : n.kind === "event" ? "事件：\n" + pretty(x.payload) + (x.answer ? "\n机器人的应答：\n" + pretty(x.answer) : "") : JSON.stringify(x, null, 2);
    d.appendChild(pre);
    const log = $("#log");
    log.appendChild(d);
    while (log.childNodes.length > 400) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  // showClock shows the emulated time, which runs at the real pace between updates.
  let clockBase = null;
  function showClock(iso) {
    const z = iso.match(/([+-])(\d\d):(\d\d)$/); // the union's offset, to show its wall-clock time
    const offset = z ? (z[1] === "-" ? -1 : 1) * (z[2] * 3600e3 + z[3] * 60e3) : 0;
    clockBase = {emulated: Date.parse(iso), local: Date.now(), offset};
    tick();
  }
  function tick() {
    if (!clockBase) return;
    const t = new Date(clockBase.emulated + Date.now() - clockBase.local + clockBase.offset).toISOString();
    $("#clock").textContent = t.slice(0, 10) + " " + t.slice(11, 16);
  }
  setInterval(tick, 5000);

  async function poll() {
    for (;;) {
      try {
        const f = await api("api/feed?since=" + state.seq + "&wait=20");
        state.seq = f.seq;
        showClock(f.clock);
        for (const m of f.messages) updateMessage(m);
        for (const n of f.log) {
          logLine(n);
          if (n.kind === "fault" && n.data.mode === "off") $("#fault").value = "off";
        }
      } catch (e) {
        await new Promise(r => setTimeout(r, 1000));
      }
    }
  }

  async function send(ev) {
    ev.preventDefault();
    const t = $("#text");
    const text = t.value.trim();
    if (!text) return;
    t.value = "";
    try {
      await api("api/send", {as: state.me.open_id, chat: state.chat, text});
    } catch (e) {
      toast({type: "error", content: "发送失败：" + e.message});
    }
  }

  // attach sends the chosen file as a photo (an image type) or a file message, as a member
  // sends a material into the chat.
  async function attach() {
    const input = $("#attach");
    const f = input.files[0];
    input.value = "";
    if (!f) return;
    try {
      const data = await new Promise((ok, fail) => {
        const r = new FileReader();
        r.onload = () => ok(String(r.result).replace(/^data:[^,]*,/, ""));
        r.onerror = () => fail(r.error);
        r.readAsDataURL(f);
      });
      const type = f.type.startsWith("image/") ? "image" : "file";
      await api("api/send", {as: state.me.open_id, chat: state.chat, file: {name: f.name, type, data}});
    } catch (e) {
      toast({type: "error", content: "发送失败：" + e.message});
    }
  }

  async function jump() {
    const to = $("#clock-input").value.trim();
    if (!to) return;
    try {
      const r = await api("api/clock", {to});
      showClock(r.clock);
      toast({type: "info", content: "模拟时间已调到 " + to + (r.jobs.length ? "，运行了 " + r.jobs.length + " 个定时任务" : "")});
    } catch (e) {
      toast({type: "error", content: e.message});
    }
  }

  async function init() {
    const s = await api("api/state");
    state.personas = s.personas;
    state.groups = s.groups;
    state.bot = s.bot;
    showClock(s.clock);
    const sel = $("#persona");
    for (const p of s.personas) {
      const o = document.createElement("option");
      o.value = p.open_id;
      o.textContent = p.name + " · " + p.branch + (p.role_names && p.role_names.length ? " · " + p.role_names.join("、") : "");
      sel.appendChild(o);
    }
    sel.onchange = () => { state.chat = null; selectPersona(sel.value); };
    $("#composer").addEventListener("submit", send);
    $("#attach").addEventListener("change", attach);
    $("#text").addEventListener("keydown", ev => { if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) send(ev); });
    $("#clock-go").onclick = jump;
    $("#fault").onchange = async () => {
      try {
        await api("api/faults", {mode: $("#fault").value, seconds: 30});
        toast({type: "warning", content: $("#fault").value === "off" ? "故障已关闭" : "故障已开启 30 秒：" + $("#fault").selectedOptions[0].textContent});
      } catch (e) { toast({type: "error", content: e.message}); }
    };
    $("#clock-input").addEventListener("keydown", ev => { if (ev.key === "Enter") jump(); });
    const want = new URLSearchParams(location.search).get("as") || localStorage.getItem("emulator.persona");
    selectPersona(want);
    document.body.dataset.ready = "1";
    poll();
  }

  window.addEventListener("DOMContentLoaded", init);
  return {toast, confirm, state};
})();
