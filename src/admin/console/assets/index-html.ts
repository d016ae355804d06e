/**
 * The console page, /console/ (see console-server.ts). Kept as a TypeScript string so it is compiled into dist/
 * with the server and never read from disk. Written by hand; app.js fills it in.
 */
export const CONSOLE_INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herd console</title>
<link rel="stylesheet" href="style.css">
<script src="app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo">Herd</span> console</div>
  <span id="server-state" class="badge">…</span>
  <span id="server-summary" class="summary"></span>
  <span id="live" class="live off" title="Live updates (Server-Sent Events)">live</span>
  <form id="auth-form" class="auth" autocomplete="off">
    <span id="auth-users" class="auth-users">anonymous</span>
    <input id="auth-credentials" type="password" placeholder="digest user:password" aria-label="digest credentials user:password">
    <button id="auth-submit" type="submit">Authenticate</button>
    <button id="auth-reset" type="button" hidden>Forget credentials</button>
  </form>
</header>

<nav class="tabs" id="tabs">
  <button type="button" data-tab="tree" class="active">Tree</button>
  <button type="button" data-tab="sessions">Sessions</button>
  <button type="button" data-tab="watches">Watches</button>
  <button type="button" data-tab="ensemble">Ensemble</button>
</nav>

<main>
  <section id="tab-tree" class="tab tree-tab">
    <div class="tree-pane">
      <form id="goto-form" class="goto">
        <input id="goto-path" placeholder="/path/to/node" aria-label="go to path">
        <button type="submit">Go</button>
      </form>
      <ul id="tree" class="tree" role="tree"></ul>
    </div>

    <div class="node-pane">
      <div id="node-empty" class="empty">Select a node in the tree.</div>
      <div id="node-view" hidden>
        <div class="node-head">
          <h2 id="node-path" class="path"></h2>
          <div class="actions">
            <button id="node-reload" type="button">Reload</button>
            <button id="node-edit" type="button" class="write">Edit data</button>
            <button id="node-create-child" type="button" class="write">Create child</button>
            <button id="node-delete" type="button" class="write danger">Delete</button>
          </div>
        </div>
        <div id="node-banner" class="banner" hidden></div>
        <div id="node-message" class="message" role="alert" hidden></div>

        <div id="delete-confirm" class="confirm" hidden>
          <span id="delete-question"></span>
          <button id="delete-yes" type="button" class="danger">Delete</button>
          <button id="delete-no" type="button">Cancel</button>
        </div>

        <form id="create-form" class="panel" hidden>
          <h3>Create a child of <span id="create-parent" class="path"></span></h3>
          <label>Name <input id="create-name" required placeholder="name"></label>
          <label>Mode
            <select id="create-mode">
              <option value="persistent">persistent</option>
              <option value="persistentSequential">persistent sequential</option>
              <option value="ephemeral">ephemeral (lives as long as this console session)</option>
              <option value="ephemeralSequential">ephemeral sequential</option>
              <option value="container">container</option>
            </select>
          </label>
          <label>ACL
            <select id="create-acl">
              <option value="open">world:anyone, all permissions</option>
              <option value="creator">creator only (needs credentials)</option>
              <option value="read">world:anyone, read only</option>
            </select>
          </label>
          <label class="wide">Data (text)<textarea id="create-data" spellcheck="false" rows="4"></textarea></label>
          <div class="actions">
            <button id="create-submit" type="submit">Create</button>
            <button id="create-cancel" type="button">Cancel</button>
          </div>
        </form>

        <div class="data-head">
          <h3>Data <span id="node-size" class="muted"></span></h3>
          <div class="segmented" id="data-format">
            <button type="button" data-format="text">Text</button>
            <button type="button" data-format="json">JSON</button>
            <button type="button" data-format="hex">Hex</button>
          </div>
        </div>
        <div id="data-note" class="note" hidden></div>
        <pre id="node-data" class="data"></pre>

        <form id="edit-form" class="panel" hidden>
          <div class="edit-head">
            Editing version <b id="edit-version"></b> as
            <select id="edit-encoding" aria-label="edit encoding">
              <option value="utf8">text (UTF-8)</option>
              <option value="hex">hex</option>
            </select>
          </div>
          <textarea id="edit-data" spellcheck="false" rows="10"></textarea>
          <div class="actions">
            <button id="edit-save" type="submit">Save</button>
            <button id="edit-cancel" type="button">Cancel</button>
          </div>
        </form>

        <div class="meta">
          <section><h3>Stat</h3><table id="node-stat" class="kv"></table></section>
          <section><h3>ACL</h3><table id="node-acl" class="grid"></table></section>
        </div>
      </div>
    </div>
  </section>

  <section id="tab-sessions" class="tab" hidden>
    <div class="toolbar"><button id="sessions-refresh" type="button">Refresh</button><span id="sessions-summary" class="muted"></span></div>
    <table id="sessions-table" class="grid"></table>
    <h3>Connections without a session</h3>
    <table id="connections-table" class="grid"></table>
  </section>

  <section id="tab-watches" class="tab" hidden>
    <div class="toolbar"><button id="watches-refresh" type="button">Refresh</button><span id="watches-summary" class="muted"></span></div>
    <div class="two-col">
      <section><h3>By path</h3><table id="watches-by-path" class="grid"></table></section>
      <section><h3>By session</h3><table id="watches-by-session" class="grid"></table></section>
    </div>
  </section>

  <section id="tab-ensemble" class="tab" hidden>
    <div class="toolbar"><button id="ensemble-refresh" type="button">Refresh</button><span id="ensemble-mode" class="muted"></span></div>
    <table id="ensemble-table" class="grid"></table>
  </section>
</main>

<div id="toast" class="toast" role="status" hidden></div>
</body>
</html>
`;
