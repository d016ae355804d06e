/**
 * The console's browser script, /console/app.js (see console-server.ts). A TypeScript string so it ships inside
 * dist/ with the server; the text between the backticks is the file as the browser gets it.
 *
 * Rules for editing it: plain modern JavaScript, no framework, no build step; no backticks and no dollar-brace
 * (this is a String.raw template); every string that came from the server reaches the page through textContent
 * or a DOM property, never through innerHTML (node names and data are untrusted).
 */
export const CONSOLE_APP_JS = String.raw`"use strict";
(function () {
  var PAGE_SIZE = 100;
  var PAGE_RELOAD_MAX = 500;
  var HEX_BYTES_MAX = 64 * 1024;
  var REFRESH_MS = 5000;

  var state = {
    readOnly: false,
    tab: "tree",
    tree: new Map(),        // path -> tree entry
    selected: null,         // selected path
    node: null,             // details of the selected node, as the API gave them
    format: null,           // "text" | "json" | "hex"
    editing: null,          // { version } while the edit form is open
    events: null,           // EventSource
    root: "/"
  };

  function byId(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        if (key === "text") node.textContent = props[key];
        else if (key === "className") node.className = props[key];
        else if (key === "dataset") Object.assign(node.dataset, props[key]);
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), props[key]);
        else node.setAttribute(key, props[key]);
      });
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.append(child);
    });
    return node;
  }

  function parentOf(path) {
    if (path === "/") return null;
    var i = path.lastIndexOf("/");
    return i === 0 ? "/" : path.slice(0, i);
  }

  function join(parent, name) { return parent === "/" ? "/" + name : parent + "/" + name; }

  // ------------------------------------------------------------------ API

  function api(method, route, params, body) {
    var url = "api/" + route + (params ? "?" + new URLSearchParams(params).toString() : "");
    var init = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return { error: "HTTP " + res.status }; }).then(function (data) {
        if (!res.ok) {
          var err = new Error((data && data.error) || ("HTTP " + res.status));
          err.status = res.status;
          err.code = data && data.code;
          throw err;
        }
        return data;
      });
    });
  }

  var toastTimer = null;
  function toast(text, isError) {
    var t = byId("toast");
    t.textContent = text;
    t.className = "toast" + (isError ? " error" : "");
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, isError ? 6000 : 2500);
  }

  // ------------------------------------------------------------------ header: overview and auth

  function formatDuration(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m";
    var h = Math.floor(m / 60);
    if (h < 48) return h + "h " + (m % 60) + "m";
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }

  function loadOverview() {
    return api("GET", "overview").then(function (o) {
      var badge = byId("server-state");
      badge.textContent = o.serving ? o.serverState : "not serving";
      badge.className = "badge " + (o.serving ? o.serverState : "down");
      byId("server-summary").textContent = "zxid " + o.lastZxid + " \u00b7 " + o.nodeCount + " znodes \u00b7 " + o.sessionCount +
        " sessions \u00b7 " + (o.watchCount === null ? "?" : o.watchCount) + " watches \u00b7 up " + formatDuration(o.uptimeMs);
      if (o.consoleReadOnly !== state.readOnly) {
        state.readOnly = o.consoleReadOnly;
        document.body.classList.toggle("read-only", state.readOnly);
      }
    }).catch(function () {
      var badge = byId("server-state");
      badge.textContent = "unreachable";
      badge.className = "badge down";
    });
  }

  function showAuth(info) {
    var users = info.users || [];
    byId("auth-users").textContent = users.length === 0 ? "anonymous" : "digest: " + users.join(", ");
    byId("auth-reset").hidden = users.length === 0;
  }

  function loadAuth() { return api("GET", "auth").then(showAuth).catch(function () {}); }

  function onAuthSubmit(ev) {
    ev.preventDefault();
    var input = byId("auth-credentials");
    if (input.value.indexOf(":") < 1) { toast("Credentials are user:password", true); return; }
    api("POST", "auth", null, { scheme: "digest", credentials: input.value }).then(function (info) {
      input.value = "";
      showAuth(info);
      toast("Authenticated");
      reloadSelected();
    }).catch(function (err) { toast(err.message, true); });
  }

  function onAuthReset() {
    api("DELETE", "auth").then(function (info) {
      showAuth(info);
      toast("Credentials forgotten: new anonymous connection");
      reloadSelected();
    }).catch(function (err) { toast(err.message, true); });
  }

  // ------------------------------------------------------------------ tree

  function makeEntry(path, name) {
    var entry = { path: path, name: name, expanded: false, loaded: false, shown: 0, total: 0, numChildren: null };
    entry.twisty = el("button", { type: "button", className: "twisty", "aria-label": "expand", text: "\u25b8",
      onclick: function (ev) { ev.stopPropagation(); toggle(entry); } });
    entry.nameEl = el("span", { className: "name", text: name });
    entry.countEl = el("span", { className: "count" });
    entry.tagEl = el("span", { className: "tag", hidden: "" });
    entry.row = el("div", { className: "row", onclick: function () { select(path); } },
      [entry.twisty, entry.nameEl, entry.countEl, entry.tagEl]);
    entry.childList = el("ul", { role: "group", hidden: "" });
    entry.li = el("li", { role: "treeitem", dataset: { path: path } }, [entry.row, entry.childList]);
    state.tree.set(path, entry);
    return entry;
  }

  function describeEntry(entry, info) {
    entry.numChildren = info.numChildren;
    entry.countEl.textContent = info.numChildren ? String(info.numChildren) : "";
    entry.twisty.classList.toggle("leaf", info.numChildren === 0);
    entry.tagEl.hidden = !info.ephemeral;
    entry.tagEl.textContent = info.ephemeral ? "ephemeral" : "";
    if (info.numChildren === null) entry.tagEl.hidden = true;
  }

  function forget(entry) {
    state.tree.forEach(function (other, path) {
      if (path === entry.path || path.indexOf(entry.path === "/" ? "/" : entry.path + "/") === 0) state.tree.delete(path);
    });
  }

  function toggle(entry) {
    if (entry.expanded) collapse(entry);
    else expand(entry);
  }

  function collapse(entry) {
    entry.expanded = false;
    entry.twisty.textContent = "\u25b8";
    entry.childList.hidden = true;
  }

  function expand(entry) {
    entry.expanded = true;
    entry.twisty.textContent = "\u25be";
    entry.childList.hidden = false;
    if (entry.loaded) return Promise.resolve();
    return loadChildren(entry, false);
  }

  /**
   * Loads the entry's children: from the start (keeping the subtrees of children that are still there, so what
   * is expanded stays expanded) or, with append, the next page.
   */
  function loadChildren(entry, append) {
    var offset = append ? entry.shown : 0;
    var limit = append ? PAGE_SIZE : Math.min(PAGE_RELOAD_MAX, Math.max(PAGE_SIZE, entry.shown));
    if (!entry.loaded) entry.childList.replaceChildren(el("li", { className: "loading", text: "loading\u2026" }));
    return api("GET", "children", { path: entry.path, offset: String(offset), limit: String(limit) }).then(function (page) {
      var items = append ? Array.prototype.filter.call(entry.childList.children, function (li) { return li.dataset.path; }) : [];
      var keep = new Set(page.children.map(function (c) { return c.path; }));
      if (!append) {
        Array.prototype.forEach.call(entry.childList.children, function (li) {
          var old = li.dataset.path && state.tree.get(li.dataset.path);
          if (old && !keep.has(old.path)) forget(old);
        });
      }
      page.children.forEach(function (child) {
        var childEntry = state.tree.get(child.path) || makeEntry(child.path, child.name);
        describeEntry(childEntry, child);
        if (childEntry.path === state.selected) childEntry.row.classList.add("selected");
        items.push(childEntry.li);
      });
      entry.shown = offset + page.children.length;
      entry.total = page.total;
      entry.loaded = true;
      var remaining = page.total - entry.shown;
      if (remaining > 0) {
        items.push(el("li", { className: "more" }, [el("button", { type: "button",
          text: "Show " + Math.min(PAGE_SIZE, remaining) + " more (" + remaining + " not shown)",
          onclick: function () { loadChildren(entry, true); } })]));
      }
      entry.childList.replaceChildren.apply(entry.childList, items);
      describeEntry(entry, { numChildren: page.total, ephemeral: !entry.tagEl.hidden });
    }).catch(function (err) {
      if (err.status === 404 && entry.path !== "/") {
        var parent = state.tree.get(parentOf(entry.path));
        if (parent && parent.loaded) return loadChildren(parent, false);
      }
      entry.childList.replaceChildren(el("li", { className: "error", text: err.message }));
    });
  }

  function flash(path) {
    var entry = state.tree.get(path);
    if (!entry) return;
    entry.row.classList.remove("flash");
    void entry.row.offsetWidth; // restart the animation
    entry.row.classList.add("flash");
  }

  function initTree() {
    var root = makeEntry("/", "/");
    byId("tree").replaceChildren(root.li);
    return expand(root);
  }

  /** Expands the ancestors of path (as far as their loaded pages reach) and selects it. */
  function goTo(path) {
    var parts = path.split("/").filter(function (p) { return p !== ""; });
    var chain = Promise.resolve();
    var current = "/";
    parts.forEach(function (part) {
      var parent = current;
      current = join(current, part);
      chain = chain.then(function () {
        var entry = state.tree.get(parent);
        if (entry && !entry.expanded) return expand(entry);
      });
    });
    return chain.then(function () {
      select(path);
      var entry = state.tree.get(path);
      if (entry) entry.row.scrollIntoView({ block: "nearest" });
    });
  }

  // ------------------------------------------------------------------ node view

  function select(path) {
    if (state.selected !== path) {
      state.format = null;
      closeForms();
    }
    var previous = state.tree.get(state.selected);
    if (previous) previous.row.classList.remove("selected");
    state.selected = path;
    var entry = state.tree.get(path);
    if (entry) entry.row.classList.add("selected");
    if (location.hash !== "#" + path) history.replaceState(null, "", "#" + path);
    return loadNode(path);
  }

  function reloadSelected() {
    if (state.selected !== null) loadNode(state.selected);
  }

  function loadNode(path) {
    return api("GET", "node", { path: path }).then(function (node) {
      if (state.selected !== path) return;
      state.node = node;
      renderNode();
    }).catch(function (err) {
      if (state.selected !== path) return;
      state.node = null;
      byId("node-empty").hidden = true;
      byId("node-view").hidden = false;
      byId("node-path").textContent = path;
      showMessage(err.status === 404 ? path + " does not exist (any more)." : err.message);
      byId("node-data").textContent = "";
      byId("node-stat").replaceChildren();
      byId("node-acl").replaceChildren();
    });
  }

  function showMessage(text, ok) {
    var m = byId("node-message");
    m.textContent = text;
    m.className = "message" + (ok ? " ok" : "");
    m.hidden = !text;
  }

  function showBanner(text) {
    var b = byId("node-banner");
    b.textContent = text;
    b.hidden = !text;
  }

  function decodeBase64(text) {
    var bin = atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function asText(bytes) { return new TextDecoder("utf-8").decode(bytes); }

  function asJson(bytes) {
    try {
      var text = asText(bytes).trim();
      if (text === "") return null;
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return null;
    }
  }

  function hex2(n) { return (n < 16 ? "0" : "") + n.toString(16); }

  /** 16 bytes per line: offset, bytes in two groups of 8, printable ASCII. */
  function asHexDump(bytes) {
    var lines = [];
    var end = Math.min(bytes.length, HEX_BYTES_MAX);
    for (var off = 0; off < end; off += 16) {
      var hex = "";
      var ascii = "";
      for (var i = 0; i < 16; i++) {
        if (off + i < end) {
          var b = bytes[off + i];
          hex += hex2(b) + " ";
          ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
        } else {
          hex += "   ";
        }
        if (i === 7) hex += " ";
      }
      lines.push(("00000000" + off.toString(16)).slice(-8) + "  " + hex + " |" + ascii + "|");
    }
    return lines.join("\n");
  }

  function asHexEditable(bytes) {
    var out = [];
    for (var i = 0; i < bytes.length; i++) out.push(hex2(bytes[i]) + ((i % 16 === 15) ? "\n" : " "));
    return out.join("").trim();
  }

  function preferredFormat(node, bytes) {
    if (!node.data.utf8) return "hex";
    return asJson(bytes) !== null ? "json" : "text";
  }

  function renderData(node) {
    var pre = byId("node-data");
    var note = "";
    pre.className = "data";
    if (node.data === null) {
      pre.textContent = node.dataError || "data not readable";
      pre.classList.add("empty");
      byId("node-size").textContent = "";
      byId("data-note").hidden = true;
      return;
    }
    var bytes = decodeBase64(node.data.base64);
    byId("node-size").textContent = "(" + node.data.bytes + " bytes)";
    if (state.format === null) state.format = preferredFormat(node, bytes);
    Array.prototype.forEach.call(byId("data-format").children, function (b) {
      b.classList.toggle("active", b.dataset.format === state.format);
    });
    if (bytes.length === 0) {
      pre.textContent = "(empty)";
      pre.classList.add("empty");
    } else if (state.format === "hex") {
      pre.textContent = asHexDump(bytes);
      pre.classList.add("hex");
      if (bytes.length > HEX_BYTES_MAX) note = "Showing the first " + HEX_BYTES_MAX + " of " + bytes.length + " bytes.";
    } else if (state.format === "json") {
      var pretty = asJson(bytes);
      pre.textContent = pretty === null ? asText(bytes) : pretty;
      if (pretty === null) note = "Not valid JSON: shown as text.";
    } else {
      pre.textContent = asText(bytes);
      if (!node.data.utf8) note = "Not valid UTF-8: invalid bytes are shown as \ufffd. Use Hex to see them.";
    }
    byId("data-note").textContent = note;
    byId("data-note").hidden = note === "";
  }

  function kvRow(key, value) {
    return el("tr", null, [el("td", { text: key }), el("td", { text: String(value) })]);
  }

  function renderStat(stat) {
    var time = function (ms) { return ms === 0 ? "0" : new Date(ms).toISOString() + "  (" + ms + ")"; };
    byId("node-stat").replaceChildren(
      kvRow("version", stat.version), kvRow("cversion", stat.cversion), kvRow("aversion", stat.aversion),
      kvRow("dataLength", stat.dataLength), kvRow("numChildren", stat.numChildren),
      kvRow("czxid", stat.czxid), kvRow("mzxid", stat.mzxid), kvRow("pzxid", stat.pzxid),
      kvRow("ctime", time(stat.ctime)), kvRow("mtime", time(stat.mtime)),
      kvRow("ephemeralOwner", stat.ephemeralOwner === "0x0" ? "0x0 (persistent)" : stat.ephemeralOwner));
  }

  function renderAcl(node) {
    var table = byId("node-acl");
    if (node.acl === null) {
      table.replaceChildren(el("tr", null, [el("td", { text: node.aclError || "ACL not readable" })]));
      return;
    }
    var head = el("tr", null, [el("th", { text: "scheme" }), el("th", { text: "id" }), el("th", { text: "perms" })]);
    var rows = node.acl.map(function (a) {
      return el("tr", null, [el("td", { text: a.scheme }), el("td", { className: "mono", text: a.id }), el("td", { className: "mono", text: a.perms })]);
    });
    table.replaceChildren.apply(table, [head].concat(rows));
  }

  function renderNode() {
    var node = state.node;
    byId("node-empty").hidden = true;
    byId("node-view").hidden = false;
    byId("node-path").textContent = node.path;
    byId("node-delete").disabled = node.path === "/";
    byId("node-edit").disabled = node.data === null;
    showMessage("");
    renderData(node);
    renderStat(node.stat);
    renderAcl(node);
    if (state.editing && node.stat.version !== state.editing.version) {
      showBanner("Changed on the server while you were editing: it is now at version " + node.stat.version +
        ", you are editing version " + state.editing.version + ". Saving will fail with a version conflict.");
    } else {
      showBanner("");
    }
    var entry = state.tree.get(node.path);
    if (entry) describeEntry(entry, { numChildren: node.stat.numChildren, ephemeral: node.stat.ephemeralOwner !== "0x0" });
  }

  function closeForms() {
    state.editing = null;
    byId("edit-form").hidden = true;
    byId("create-form").hidden = true;
    byId("delete-confirm").hidden = true;
    showBanner("");
  }

  // ------------------------------------------------------------------ edit, create, delete

  function startEdit() {
    var node = state.node;
    if (!node || node.data === null) return;
    closeForms();
    var bytes = decodeBase64(node.data.base64);
    var encoding = node.data.utf8 ? "utf8" : "hex";
    state.editing = { version: node.stat.version, path: node.path };
    byId("edit-version").textContent = String(node.stat.version);
    byId("edit-encoding").value = encoding;
    byId("edit-data").value = encoding === "utf8" ? asText(bytes) : asHexEditable(bytes);
    byId("edit-form").hidden = false;
    byId("edit-data").focus();
  }

  function saveEdit(ev) {
    ev.preventDefault();
    var editing = state.editing;
    if (!editing) return;
    var body = { path: editing.path, data: byId("edit-data").value, encoding: byId("edit-encoding").value, version: editing.version };
    byId("edit-save").disabled = true;
    api("PUT", "node", null, body).then(function (result) {
      closeForms();
      toast("Saved " + result.path + " (now version " + result.stat.version + ")");
      return loadNode(result.path);
    }).catch(function (err) {
      showMessage(err.message);
    }).then(function () { byId("edit-save").disabled = false; });
  }

  function startCreate() {
    if (!state.node) return;
    closeForms();
    byId("create-parent").textContent = state.node.path;
    byId("create-name").value = "";
    byId("create-data").value = "";
    byId("create-form").hidden = false;
    byId("create-name").focus();
  }

  function submitCreate(ev) {
    ev.preventDefault();
    var parent = state.node.path;
    var name = byId("create-name").value;
    var mode = byId("create-mode").value;
    // A sequential create may be named by its parent alone: the server appends the counter.
    var path = name === "" ? parent + "/" : join(parent, name);
    var body = { path: path, data: byId("create-data").value, encoding: "utf8", mode: mode, acl: byId("create-acl").value };
    api("POST", "node", null, body).then(function (result) {
      closeForms();
      toast("Created " + result.path);
      var entry = state.tree.get(parent);
      var refresh = entry ? (entry.expanded ? loadChildren(entry, false) : expand(entry)) : Promise.resolve();
      return refresh.then(function () { return select(result.path); });
    }).catch(function (err) { showMessage(err.message); });
  }

  function askDelete() {
    var node = state.node;
    if (!node) return;
    closeForms();
    byId("delete-question").textContent = "Delete " + node.path + " at version " + node.stat.version + "?";
    byId("delete-confirm").hidden = false;
  }

  function confirmDelete() {
    var node = state.node;
    if (!node) return;
    api("DELETE", "node", { path: node.path, version: String(node.stat.version) }).then(function () {
      closeForms();
      toast("Deleted " + node.path);
      var parent = parentOf(node.path);
      var entry = state.tree.get(parent);
      var refresh = entry && entry.loaded ? loadChildren(entry, false) : Promise.resolve();
      return refresh.then(function () { return select(parent); });
    }).catch(function (err) {
      byId("delete-confirm").hidden = true;
      showMessage(err.message);
    });
  }

  // ------------------------------------------------------------------ live updates

  function setLive(on, title) {
    var live = byId("live");
    live.className = "live " + (on ? "on" : "off");
    live.title = title;
  }

  function openEvents() {
    if (state.events) state.events.close();
    var source = new EventSource("api/events?" + new URLSearchParams({ path: state.root }).toString());
    state.events = source;
    source.addEventListener("ready", function () { setLive(true, "Live updates on " + state.root); });
    source.addEventListener("changes", function (ev) { onChanges(JSON.parse(ev.data)); });
    source.addEventListener("session", function (ev) {
      var s = JSON.parse(ev.data).state;
      setLive(s === "connected", "console connection: " + s);
    });
    source.addEventListener("failed", function (ev) { setLive(false, JSON.parse(ev.data).error); });
    source.onerror = function () { setLive(false, "Live updates disconnected: reconnecting"); };
  }

  function onChanges(batch) {
    var reloadParents = new Set();
    var reloadNode = false;
    if (batch.overflow) {
      state.tree.forEach(function (entry) { if (entry.loaded) reloadParents.add(entry.path); });
      reloadNode = true;
    }
    batch.events.forEach(function (ev) {
      var parent = parentOf(ev.path);
      if (ev.type === "NodeCreated" || ev.type === "NodeDeleted") {
        if (parent !== null && state.tree.has(parent) && state.tree.get(parent).loaded) reloadParents.add(parent);
        if (parent === state.selected) reloadNode = true;
      }
      if (ev.path === state.selected) reloadNode = true;
      flash(ev.path);
    });
    reloadParents.forEach(function (path) {
      var entry = state.tree.get(path);
      if (entry) loadChildren(entry, false).then(function () {
        batch.events.forEach(function (ev) { if (parentOf(ev.path) === path) flash(ev.path); });
      });
    });
    if (reloadNode) reloadSelected();
    scheduleOverview();
  }

  var overviewPending = false;
  function scheduleOverview() {
    if (overviewPending) return;
    overviewPending = true;
    setTimeout(function () { overviewPending = false; loadOverview(); }, 1000);
  }

  // ------------------------------------------------------------------ sessions, watches, ensemble

  function table(id, headers, rows) {
    var head = el("tr", null, headers.map(function (h) { return el("th", { text: h }); }));
    var body = rows.length === 0 ? [el("tr", null, [el("td", { text: "none", colspan: String(headers.length) })])] : rows;
    byId(id).replaceChildren.apply(byId(id), [head].concat(body));
  }

  function cell(text, className) { return el("td", { text: text === null || text === undefined ? "\u2013" : String(text), className: className || "" }); }

  function loadSessions() {
    return api("GET", "sessions").then(function (r) {
      var now = Date.now();
      table("sessions-table", ["session", "timeout", "expires in", "client", "last op", "recv / sent", "ephemerals", "watched paths"],
        r.sessions.map(function (s) {
          var id = el("td", { className: "mono", text: s.sessionId });
          if (s.yours) id.append(el("span", { className: "pill you", text: "this browser" }));
          else if (s.console) id.append(el("span", { className: "pill", text: "console" }));
          var c = s.connection;
          return el("tr", { dataset: { session: s.sessionId } }, [
            id,
            cell(s.timeoutMs === null ? null : (s.timeoutMs / 1000) + " s"),
            cell(s.expiresAtMs === null ? null : formatDuration(Math.max(0, s.expiresAtMs - now))),
            cell(c ? c.remoteAddress : "(disconnected)", "mono"),
            cell(c ? c.lastOperation : null),
            cell(c ? c.packetsReceived + " / " + c.packetsSent : null),
            cell(s.ephemerals.length === 0 ? "" : s.ephemerals.join("\n"), "mono"),
            cell(s.watchedPaths)
          ]);
        }));
      table("connections-table", ["client", "last op", "recv / sent", "outstanding"],
        r.otherConnections.map(function (c) {
          return el("tr", null, [cell(c.remoteAddress, "mono"), cell(c.lastOperation), cell(c.packetsReceived + " / " + c.packetsSent), cell(c.outstandingRequests)]);
        }));
      byId("sessions-summary").textContent = r.sessions.length + " sessions" + (r.truncated ? " (list truncated)" : "");
    }).catch(function (err) { byId("sessions-summary").textContent = err.message; });
  }

  function loadWatches() {
    return api("GET", "watches").then(function (r) {
      byId("watches-summary").textContent = r.summary.watches + " watches on " + r.summary.paths + " paths from " +
        r.summary.connections + " connections" + (r.truncated ? " (lists truncated)" : "");
      table("watches-by-path", ["path", "sessions"], r.byPath.map(function (w) {
        return el("tr", null, [cell(w.path, "mono"), cell(w.sessions.join("\n"), "mono")]);
      }));
      table("watches-by-session", ["session", "paths"], r.bySession.map(function (w) {
        return el("tr", null, [cell(w.sessionId, "mono"), cell(w.paths.join("\n"), "mono")]);
      }));
    }).catch(function (err) { byId("watches-summary").textContent = err.message; });
  }

  function loadEnsemble() {
    return api("GET", "ensemble").then(function (r) {
      byId("ensemble-mode").textContent = r.mode === "standalone" ? "Standalone server: no ensemble configured." : r.members.length + " members";
      table("ensemble-table", ["server", "address", "role", "last zxid", "lag (txns)", ""], r.members.map(function (m) {
        return el("tr", null, [cell(m.serverId === null ? "\u2013" : m.serverId), cell(m.address, "mono"), cell(m.role),
          cell(m.lastZxid, "mono"), cell(m.lagTxns), cell(m.self ? "this server" : "")]);
      }));
    }).catch(function (err) { byId("ensemble-mode").textContent = err.message; });
  }

  var TAB_LOADERS = { sessions: loadSessions, watches: loadWatches, ensemble: loadEnsemble };

  function showTab(name) {
    state.tab = name;
    Array.prototype.forEach.call(byId("tabs").children, function (b) { b.classList.toggle("active", b.dataset.tab === name); });
    ["tree", "sessions", "watches", "ensemble"].forEach(function (t) { byId("tab-" + t).hidden = t !== name; });
    if (TAB_LOADERS[name]) TAB_LOADERS[name]();
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    byId("auth-form").addEventListener("submit", onAuthSubmit);
    byId("auth-reset").addEventListener("click", onAuthReset);
    Array.prototype.forEach.call(byId("tabs").children, function (b) {
      b.addEventListener("click", function () { showTab(b.dataset.tab); });
    });
    byId("goto-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var path = byId("goto-path").value.trim();
      if (path.charAt(0) === "/") goTo(path.length > 1 ? path.replace(/\/+$/, "") : path);
    });
    Array.prototype.forEach.call(byId("data-format").children, function (b) {
      b.addEventListener("click", function () { state.format = b.dataset.format; if (state.node) renderData(state.node); });
    });
    byId("node-reload").addEventListener("click", reloadSelected);
    byId("node-edit").addEventListener("click", startEdit);
    byId("edit-form").addEventListener("submit", saveEdit);
    byId("edit-cancel").addEventListener("click", closeForms);
    byId("node-create-child").addEventListener("click", startCreate);
    byId("create-form").addEventListener("submit", submitCreate);
    byId("create-cancel").addEventListener("click", closeForms);
    byId("node-delete").addEventListener("click", askDelete);
    byId("delete-yes").addEventListener("click", confirmDelete);
    byId("delete-no").addEventListener("click", closeForms);
    byId("sessions-refresh").addEventListener("click", loadSessions);
    byId("watches-refresh").addEventListener("click", loadWatches);
    byId("ensemble-refresh").addEventListener("click", loadEnsemble);
    setInterval(function () {
      if (document.hidden) return;
      loadOverview();
      if (TAB_LOADERS[state.tab]) TAB_LOADERS[state.tab]();
    }, REFRESH_MS);
  }

  function start() {
    wire();
    loadOverview();
    var wanted = decodeURIComponent(location.hash.slice(1));
    // The first call that needs a connection makes this browser's console session (and its cookie): one call
    // first, so parallel ones do not each make a session.
    loadAuth().then(initTree).then(function () {
      openEvents();
      return wanted.charAt(0) === "/" ? goTo(wanted) : select("/");
    });
  }

  start();
})();
`;
