// Rendering of Feishu messages: text, post, file, image and interactive cards (JSON 2.0, and
// the 1.0 elements still met). A card's callbacks go through opts.act(action), where action is
// the card.action.trigger "action" object (tag, value, form_value, name, option, options,
// checked, input_value).
"use strict";

const Card = (() => {
  const zone = " +0800";

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // txt reads a text object or string: i18n zh_cn first, as a zh_cn client shows it.
  function txt(t) {
    if (t === undefined || t === null) return "";
    if (typeof t === "string") return t;
    if (t.i18n_content && t.i18n_content.zh_cn) return t.i18n_content.zh_cn;
    if (t.i18n && t.i18n.zh_cn) return t.i18n.zh_cn;
    return t.content || t.text || "";
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  // md renders the card markdown subset: headings, lists, bold, italic, strike, code, links,
  // <at>, <font color>, <text_tag>, line breaks.
  function md(src, names) {
    let s = esc(src || "");
    s = s.replace(/&lt;at (?:id|user_id|open_id)=(?:&quot;|&#39;)?([\w-]+)(?:&quot;|&#39;)?&gt;(.*?)&lt;\/at&gt;/g,
      (m, id, name) => '<span class="at">@' + (name || (names && names(id)) || id) + "</span>");
    s = s.replace(/&lt;font color=(?:&quot;|&#39;)?([\w-]+)(?:&quot;|&#39;)?&gt;(.*?)&lt;\/font&gt;/g, '<span class="c-$1">$2</span>');
    s = s.replace(/&lt;text_tag color=(?:&quot;|&#39;)?([\w-]+)(?:&quot;|&#39;)?&gt;(.*?)&lt;\/text_tag&gt;/g, '<span class="tag c-$1">$2</span>');
    s = s.replace(/`([^`]+)`/g, "<code>$1</code>");
    s = s.replace(/\*\*(.+?)\*\*/g, "<b>$1</b>");
    s = s.replace(/~~(.+?)~~/g, "<s>$1</s>");
    s = s.replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<i>$2</i>");
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, t, u) => '<a href="' + u + '" target="_blank" rel="noopener">' + t + "</a>");
    const lines = s.split("\n").map(l => {
      let h = l.match(/^(#{1,6}) (.*)$/);
      if (h) return '<span class="md-h' + h[1].length + '">' + h[2] + "</span>";
      if (/^\s*[-*] /.test(l)) return '<span class="md-li">• ' + l.replace(/^\s*[-*] /, "") + "</span>";
      if (/^\s*\d+\. /.test(l)) return '<span class="md-li">' + l.trim() + "</span>";
      if (/^\s*---\s*$/.test(l)) return '<hr class="md-hr">';
      return l;
    });
    return lines.join("<br>");
  }

  // value of a button: the callback behaviour's value (2.0) or value (1.0).
  function buttonValue(b) {
    if (b.behaviors) for (const x of b.behaviors) if (x.type === "callback") return x.value;
    return b.value;
  }

  function openURL(b) {
    if (b.behaviors) for (const x of b.behaviors) if (x.type === "open_url") return x.default_url;
    return b.url || (b.multi_url && b.multi_url.url);
  }

  // renderCard returns the card's DOM. ctx: {act, people, names, disabled}
  function renderCard(card, ctx) {
    const root = el("div", "card");
    const header = (card.i18n_header && card.i18n_header.zh_cn) || card.header;
    if (header && (header.title || header.subtitle)) {
      const h = el("div", "card-header t-" + (header.template || "default"));
      h.appendChild(el("div", "card-title", txt(header.title)));
      if (header.subtitle) h.appendChild(el("div", "card-subtitle", txt(header.subtitle)));
      if (header.text_tag_list) for (const t of header.text_tag_list) h.appendChild(el("span", "tag c-" + (t.color || "neutral"), txt(t.text)));
      root.appendChild(h);
    }
    let elements = (card.body && card.body.elements) || card.elements || [];
    if (card.i18n_elements && card.i18n_elements.zh_cn) elements = card.i18n_elements.zh_cn;
    if (card.i18n_body && card.i18n_body.zh_cn) elements = card.i18n_body.zh_cn.elements || elements;
    const body = el("div", "card-body");
    renderElements(elements, body, ctx, null);
    root.appendChild(body);
    return root;
  }

  function renderElements(list, parent, ctx, form) {
    for (const e of list || []) {
      const n = renderElement(e, ctx, form);
      if (n) parent.appendChild(n);
    }
  }

  function confirmThen(b, f) {
    if (!b.confirm) return f();
    App.confirm(txt(b.confirm.title), txt(b.confirm.text), f);
  }

  function renderElement(e, ctx, form) {
    switch (e.tag) {
      case "markdown":
      case "lark_md": {
        const d = el("div", "md" + (e.text_align ? " align-" + e.text_align : ""));
        d.innerHTML = md(txt(e), ctx.names);
        return d;
      }
      case "plain_text":
        return el("div", "plain", txt(e));
      case "div": {
        const d = el("div", "div");
        if (e.text) {
          if (e.text.tag === "lark_md") d.innerHTML = md(txt(e.text), ctx.names);
          else d.textContent = txt(e.text);
        }
        if (e.fields) {
          const f = el("div", "fields");
          for (const x of e.fields) {
            const c = el("div", x.is_short ? "field short" : "field");
            c.innerHTML = md(txt(x.text), ctx.names);
            f.appendChild(c);
          }
          d.appendChild(f);
        }
        return d;
      }
      case "hr":
        return el("hr", "card-hr");
      case "note": {
        const d = el("div", "note");
        renderElements(e.elements, d, ctx, form);
        return d;
      }
      case "img":
      case "image":
        return el("div", "img-ph", "[图片 " + (e.img_key || "") + "]");
      case "column_set": {
        const row = el("div", "columns" + (e.flex_mode ? " flex-" + e.flex_mode : ""));
        for (const c of e.columns || []) {
          const col = el("div", "column w-" + (c.width || "auto"));
          if (c.weight) col.style.flexGrow = c.weight;
          if (c.vertical_align) col.classList.add("va-" + c.vertical_align);
          renderElements(c.elements, col, ctx, form);
          row.appendChild(col);
        }
        return row;
      }
      case "action": {
        const row = el("div", "columns flex-flow");
        for (const a of e.actions || []) {
          const n = renderElement(a, ctx, form);
          if (n) row.appendChild(n);
        }
        return row;
      }
      case "collapsible_panel": {
        const d = el("details", "panel");
        if (e.expanded) d.open = true;
        const sum = el("summary", "panel-title", txt(e.header && e.header.title));
        d.appendChild(sum);
        const inner = el("div", "panel-body");
        renderElements(e.elements, inner, ctx, form);
        d.appendChild(inner);
        return d;
      }
      case "table": {
        // As Feishu does: page_size rows a page (default 5), with a pager under the table.
        const wrap = el("div", "card-table-wrap");
        const t = el("table", "card-table");
        const cols = e.columns || [];
        const rows = e.rows || [];
        const size = e.page_size || 5;
        const pages = Math.max(1, Math.ceil(rows.length / size));
        const pager = el("div", "card-table-pager");
        const show = page => {
          t.textContent = "";
          const tr = el("tr");
          for (const c of cols) tr.appendChild(el("th", c.horizontal_align === "right" ? "num" : null, c.display_name || c.name));
          t.appendChild(tr);
          for (const r of rows.slice(page * size, page * size + size)) {
            const row = el("tr");
            for (const c of cols) {
              let v = r[c.name];
              if (Array.isArray(v)) v = v.map(x => (x && x.text) || x).join("、");
              else if (v && typeof v === "object") v = v.text || JSON.stringify(v);
              row.appendChild(el("td", c.horizontal_align === "right" ? "num" : null, v === undefined || v === null ? "" : String(v)));
            }
            t.appendChild(row);
          }
          pager.textContent = "";
          if (pages > 1) {
            const prev = el("button", "pager-btn", "‹");
            const next = el("button", "pager-btn", "›");
            prev.disabled = page === 0;
            next.disabled = page === pages - 1;
            prev.onclick = () => show(page - 1);
            next.onclick = () => show(page + 1);
            pager.append(prev, el("span", "pager-text", (page + 1) + " / " + pages), next);
          }
        };
        show(0);
        wrap.append(t, pager);
        return wrap;
      }
      case "form": {
        const f = el("form", "card-form");
        f.dataset.name = e.name || "";
        f.addEventListener("submit", ev => ev.preventDefault());
        renderElements(e.elements, f, ctx, f);
        return f;
      }
      case "button":
        return renderButton(e, ctx, form);
      case "input":
        return renderInput(e, ctx, form);
      case "select_static":
      case "multi_select_static":
      case "select_person":
      case "multi_select_person":
        return renderSelect(e, ctx, form);
      case "date_picker":
      case "picker_datetime":
      case "picker_time":
        return renderPicker(e, ctx, form);
      case "checker":
        return renderChecker(e, ctx, form);
      default: {
        const d = el("div", "unknown", "[此版本的模拟环境不会显示 " + e.tag + "]");
        return d;
      }
    }
  }

  function fieldWrap(e, control) {
    const w = el("label", "field-wrap" + (e.width === "fill" ? " fill" : ""));
    if (e.label) {
      const l = el("span", "field-label", txt(e.label));
      if (e.required) l.appendChild(el("span", "req", " *"));
      w.appendChild(l);
    }
    w.appendChild(control);
    return w;
  }

  function renderButton(b, ctx, form) {
    const btn = el("button", "btn " + (b.type || "default"), txt(b.text));
    btn.type = "button";
    if (b.name) btn.dataset.name = b.name;
    if (b.disabled || ctx.disabled) btn.disabled = true;
    btn.addEventListener("click", () => {
      const url = openURL(b);
      if (url) { window.open(url, "_blank", "noopener"); return; }
      const value = buttonValue(b);
      if (form && (b.form_action_type === "submit" || b.action_type === "form_submit")) {
        const fv = collect(form);
        if (!fv) return;
        confirmThen(b, () => ctx.act({tag: "button", name: b.name || "", value: value, form_value: fv}));
        return;
      }
      if (form && (b.form_action_type === "reset" || b.action_type === "form_reset")) { form.reset(); return; }
      if (value === undefined && !b.confirm) return;
      confirmThen(b, () => ctx.act({tag: "button", name: b.name || "", value: value}));
    });
    return btn;
  }

  function renderInput(e, ctx, form) {
    const multi = e.input_type === "multiline_text";
    const c = el(multi ? "textarea" : "input", "input");
    if (!multi) c.type = e.input_type === "password" ? "password" : "text";
    else c.rows = e.rows || 3;
    c.name = e.name || "";
    c.placeholder = txt(e.placeholder);
    if (e.default_value) c.value = e.default_value;
    if (e.max_length) c.maxLength = e.max_length;
    c.dataset.required = e.required ? "1" : "";
    c.dataset.kind = "input";
    if (ctx.disabled || e.disabled) c.disabled = true;
    if (!form) {
      c.addEventListener("keydown", ev => {
        if (ev.key === "Enter" && !multi) ctx.act({tag: "input", name: e.name || "", value: e.value, input_value: c.value});
      });
    }
    return fieldWrap(e, c);
  }

  function personOptions(e, ctx) {
    if (e.options && e.options.length) return e.options.map(o => ({value: o.value, text: txt(o.text) || (ctx.names && ctx.names(o.value)) || o.value}));
    return (ctx.people || []).map(p => ({value: p.open_id, text: p.name + "（" + p.branch + "）"}));
  }

  function renderSelect(e, ctx, form) {
    const multi = e.tag.startsWith("multi_");
    const person = e.tag.endsWith("_person");
    const opts = person ? personOptions(e, ctx) : (e.options || []).map(o => ({value: o.value, text: txt(o.text)}));
    const s = el("select", "select");
    s.name = e.name || "";
    s.multiple = multi;
    if (multi) s.size = Math.min(opts.length, 6);
    s.dataset.kind = e.tag;
    s.dataset.required = e.required ? "1" : "";
    if (!multi) {
      const ph = el("option", null, txt(e.placeholder) || "请选择");
      ph.value = "";
      s.appendChild(ph);
    }
    const selected = new Set(e.selected_values || (e.initial_option ? [e.initial_option] : []));
    for (const o of opts) {
      const op = el("option", null, o.text);
      op.value = o.value;
      if (selected.has(o.value)) op.selected = true;
      s.appendChild(op);
    }
    if (ctx.disabled || e.disabled) s.disabled = true;
    if (!form) {
      s.addEventListener("change", () => {
        const vals = Array.from(s.selectedOptions).map(o => o.value);
        const a = {tag: e.tag, name: e.name || "", value: e.value};
        if (multi) a.options = vals; else a.option = vals[0];
        ctx.act(a);
      });
    }
    return fieldWrap(e, s);
  }

  function renderPicker(e, ctx, form) {
    const c = el("input", "input picker");
    c.type = e.tag === "date_picker" ? "date" : e.tag === "picker_time" ? "time" : "datetime-local";
    c.name = e.name || "";
    c.dataset.kind = e.tag;
    c.dataset.required = e.required ? "1" : "";
    const init = e.initial_date || e.initial_datetime || e.initial_time || "";
    if (init) c.value = e.tag === "picker_datetime" ? init.replace(" ", "T") : init;
    if (ctx.disabled || e.disabled) c.disabled = true;
    if (!form) {
      c.addEventListener("change", () => {
        const a = {tag: e.tag, name: e.name || "", value: e.value, option: pickerValue(c)};
        ctx.act(a);
      });
    }
    return fieldWrap(e, c);
  }

  // pickerValue is the value Feishu sends for a picker: "2024-04-01 +0800",
  // "2024-04-29 07:07 +0800", "09:00 +0800".
  function pickerValue(c) {
    if (!c.value) return "";
    return c.value.replace("T", " ") + zone;
  }

  function renderChecker(e, ctx, form) {
    const w = el("label", "checker");
    const c = el("input");
    c.type = "checkbox";
    c.name = e.name || "";
    c.checked = !!e.checked;
    c.dataset.kind = "checker";
    if (ctx.disabled || e.disabled) c.disabled = true;
    w.appendChild(c);
    w.appendChild(el("span", null, txt(e.text)));
    if (!form) {
      c.addEventListener("change", () => {
        const v = buttonValue(e);
        ctx.act({tag: "checker", name: e.name || "", value: v, checked: c.checked});
      });
    }
    return w;
  }

  // collect reads a form's fields into form_value, or returns null (and marks the fields)
  // when a required one is empty, as the Feishu client does before calling back.
  function collect(form) {
    const fv = {};
    let missing = false;
    for (const c of form.querySelectorAll("[data-kind]")) {
      if (!c.name) continue;
      let v;
      switch (c.dataset.kind) {
        case "checker": v = c.checked; break;
        case "multi_select_static":
        case "multi_select_person": v = Array.from(c.selectedOptions).map(o => o.value); break;
        case "date_picker":
        case "picker_datetime":
        case "picker_time": v = pickerValue(c); break;
        default: v = c.value;
      }
      const empty = v === "" || (Array.isArray(v) && v.length === 0);
      c.classList.toggle("invalid", !!(c.dataset.required && empty));
      if (c.dataset.required && empty) missing = true;
      if (empty && c.dataset.kind !== "input") continue;
      fv[c.name] = v;
    }
    if (missing) {
      App.toast({type: "error", content: "请填写必填项"});
      return null;
    }
    return fv;
  }

  // renderPost renders a rich-text message.
  function renderPost(content, ctx) {
    const p = content.zh_cn || content.en_us || content.post && (content.post.zh_cn || content.post.en_us) || content;
    const d = el("div", "post");
    if (p.title) d.appendChild(el("div", "post-title", p.title));
    for (const line of p.content || []) {
      const l = el("div", "post-line");
      for (const x of line) {
        switch (x.tag) {
          case "text": l.appendChild(el("span", null, x.text)); break;
          case "a": { const a = el("a", null, x.text); a.href = x.href; a.target = "_blank"; l.appendChild(a); break; }
          case "at": l.appendChild(el("span", "at", "@" + (x.user_name || (ctx.names && ctx.names(x.user_id)) || x.user_id))); break;
          case "md": { const s = el("span"); s.innerHTML = md(x.text, ctx.names); l.appendChild(s); break; }
          case "hr": l.appendChild(el("hr")); break;
          case "code_block": l.appendChild(el("pre", null, x.text)); break;
          default: l.appendChild(el("span", "unknown", "[" + x.tag + "]"));
        }
      }
      d.appendChild(l);
    }
    return d;
  }

  function renderText(text, ctx) {
    const d = el("div", "text");
    let s = esc(text);
    s = s.replace(/&lt;at (?:user_id|id)=(?:&quot;)?([\w-]+)(?:&quot;)?&gt;(.*?)&lt;\/at&gt;/g, (m, id, n) => '<span class="at">@' + (n || (ctx.names && ctx.names(id)) || id) + "</span>");
    s = s.replace(/@_user_\d+/g, '<span class="at">@工会助手</span>');
    d.innerHTML = s.replace(/\n/g, "<br>");
    return d;
  }

  // render returns the DOM of a message's content.
  function render(msgType, contentStr, ctx) {
    let c;
    try { c = JSON.parse(contentStr); } catch (err) { return el("div", "text", contentStr); }
    switch (msgType) {
      case "text": return renderText(c.text || "", ctx);
      case "post": return renderPost(c, ctx);
      case "interactive": return renderCard(c.type === "card" && c.data ? c.data : c, ctx);
      case "file": {
        const name = c.file_name || ctx.fileName || c.file_key;
        const a = el("a", "file", "附件：" + name);
        a.href = "api/file/" + encodeURIComponent(c.file_key);
        a.setAttribute("download", c.file_name || ctx.fileName || "");
        return a;
      }
      case "image": return el("div", "img-ph", "[图片 " + (c.image_key || "") + "]");
      case "refused": {
        const d = el("div", "refused");
        d.appendChild(el("div", "refused-title", (c.fault ? "模拟故障：" : "飞书开放平台拒绝了机器人的请求：") + "code " + c.code + "（HTTP " + c.status + "）"));
        d.appendChild(el("div", "refused-msg", c.msg || ""));
        d.appendChild(el("div", "refused-call", c.call));
        return d;
      }
      default: return el("div", "unknown", "[" + msgType + "] " + contentStr);
    }
  }

  return {render, md, txt};
})();
