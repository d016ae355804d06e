/**
 * The console's stylesheet, /console/style.css (see console-server.ts). A TypeScript string so it ships inside
 * dist/ with the server. Plain CSS: a header, tabs, and a two-pane tree/node layout.
 */
export const CONSOLE_STYLE_CSS = String.raw`
:root {
  --bg: #f6f7f9; --panel: #ffffff; --line: #dde1e6; --text: #1d2430; --muted: #6b7483;
  --accent: #2f6fdb; --accent-soft: #e7effc; --danger: #c62f2f; --danger-soft: #fdeaea;
  --ok: #1f8a4c; --warn-soft: #fff6dc; --warn: #8a6300; --flash: #fff1a8;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--text); background: var(--bg); display: flex; flex-direction: column; }
button, input, select, textarea { font: inherit; }
button { border: 1px solid var(--line); background: var(--panel); border-radius: 5px; padding: 3px 10px; cursor: pointer; color: var(--text); }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
button.danger { color: var(--danger); border-color: #efc2c2; }
button.danger:hover { background: var(--danger-soft); }
input, select, textarea { border: 1px solid var(--line); border-radius: 5px; padding: 3px 6px; background: #fff; color: var(--text); }
textarea { font-family: var(--mono); font-size: 13px; width: 100%; }
h2, h3 { margin: 0; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 14px 0 6px; }
.muted { color: var(--muted); font-weight: normal; text-transform: none; letter-spacing: 0; }
[hidden] { display: none !important; }

.top { display: flex; align-items: center; gap: 12px; padding: 8px 16px; background: #1f2633; color: #e8ecf2; flex-wrap: wrap; }
.brand { font-size: 15px; }
.logo { font-weight: 700; letter-spacing: .02em; }
.badge { background: #3a4558; border-radius: 10px; padding: 1px 9px; font-size: 12px; }
.badge.standalone, .badge.leader, .badge.follower, .badge.observer { background: #27603f; }
.badge.down { background: var(--danger); }
.summary { color: #b8c1cf; font-size: 12px; }
.live { font-size: 12px; padding: 1px 8px; border-radius: 10px; }
.live::before { content: "\25CF  "; }
.live.on { color: #7be0a4; }
.live.off { color: #9aa3b1; }
.auth { margin-left: auto; display: flex; gap: 6px; align-items: center; }
.auth input { width: 200px; }
.auth button { padding: 2px 8px; }
.auth-users { font-size: 12px; color: #b8c1cf; }

.tabs { display: flex; gap: 2px; padding: 0 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
.tabs button { border: none; border-bottom: 2px solid transparent; border-radius: 0; padding: 8px 14px; background: none; }
.tabs button.active { border-bottom-color: var(--accent); color: var(--accent); font-weight: 600; }

main { flex: 1; min-height: 0; display: flex; }
.tab { flex: 1; padding: 12px 16px; overflow: auto; }
.tree-tab { display: flex; gap: 12px; padding: 12px; min-height: 0; }
.tree-pane { width: 34%; min-width: 260px; max-width: 520px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; display: flex; flex-direction: column; min-height: 0; }
.node-pane { flex: 1; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; overflow: auto; min-width: 0; }
.goto { display: flex; gap: 6px; padding: 8px; border-bottom: 1px solid var(--line); }
.goto input { flex: 1; font-family: var(--mono); font-size: 13px; }

.tree, .tree ul { list-style: none; margin: 0; padding: 0; }
.tree { overflow: auto; padding: 6px 0; flex: 1; }
.tree ul { padding-left: 16px; }
.tree .row { display: flex; align-items: center; gap: 4px; padding: 1px 8px; white-space: nowrap; cursor: pointer; border-radius: 4px; margin: 0 4px; }
.tree .row:hover { background: #f0f3f7; }
.tree .row.selected { background: var(--accent-soft); }
.tree .twisty { width: 18px; height: 18px; border: none; padding: 0; background: none; color: var(--muted); font-size: 11px; flex: none; }
.tree .twisty.leaf { visibility: hidden; }
.tree .name { font-family: var(--mono); font-size: 13px; overflow: hidden; text-overflow: ellipsis; }
.tree .count { color: var(--muted); font-size: 11px; }
.tree .tag { font-size: 10px; border-radius: 3px; padding: 0 4px; background: #eef0f3; color: var(--muted); }
.tree .row.flash { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: var(--flash); } to { background: transparent; } }
.tree .more button { margin: 2px 0 4px 30px; font-size: 12px; padding: 1px 8px; }
.tree .loading, .tree .error { color: var(--muted); font-size: 12px; padding-left: 30px; }
.tree .error { color: var(--danger); }

.node-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.path { font-family: var(--mono); font-size: 17px; word-break: break-all; }
h3 .path { font-size: 13px; text-transform: none; letter-spacing: 0; color: var(--text); }
.actions { display: flex; gap: 6px; margin-left: auto; }
.panel .actions { margin: 8px 0 0; }
.banner { margin: 10px 0 0; padding: 8px 10px; border-radius: 6px; background: var(--warn-soft); color: var(--warn); }
.message { margin: 10px 0 0; padding: 8px 10px; border-radius: 6px; background: var(--danger-soft); color: var(--danger); white-space: pre-wrap; }
.message.ok { background: #e6f5ec; color: var(--ok); }
.confirm { margin: 10px 0 0; padding: 8px 10px; border-radius: 6px; background: var(--danger-soft); display: flex; gap: 8px; align-items: center; }
.panel { margin: 12px 0 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fafbfc; }
.panel h3 { margin-top: 0; }
#create-form { display: grid; grid-template-columns: repeat(3, auto); gap: 8px 14px; align-items: end; }
#create-form h3, #create-form .wide, #create-form .actions { grid-column: 1 / -1; }
#create-form label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
.edit-head { margin-bottom: 6px; }
.data-head { display: flex; align-items: center; gap: 12px; margin-top: 6px; }
.data-head h3 { margin: 14px 0 6px; }
.segmented { display: inline-flex; margin-left: auto; }
.segmented button { border-radius: 0; margin-left: -1px; padding: 2px 10px; }
.segmented button:first-child { border-radius: 5px 0 0 5px; }
.segmented button:last-child { border-radius: 0 5px 5px 0; }
.segmented button.active { background: var(--accent-soft); border-color: var(--accent); color: var(--accent); position: relative; }
.note { font-size: 12px; color: var(--warn); margin-bottom: 4px; }
.data { font-family: var(--mono); font-size: 13px; background: #f3f5f8; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0; max-height: 360px; overflow: auto; white-space: pre-wrap; word-break: break-all; min-height: 34px; }
.data.hex { white-space: pre; word-break: normal; }
.data.empty { color: var(--muted); font-style: italic; }

.meta { display: grid; grid-template-columns: minmax(260px, 1fr) minmax(260px, 1.4fr); gap: 18px; }
table { border-collapse: collapse; width: 100%; }
table.kv td { padding: 2px 8px 2px 0; border-bottom: 1px solid #eef0f3; font-size: 13px; }
table.kv td:first-child { color: var(--muted); width: 120px; }
table.kv td:last-child { font-family: var(--mono); }
table.grid th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); }
table.grid td { padding: 4px 10px 4px 0; border-bottom: 1px solid #eef0f3; font-size: 13px; vertical-align: top; }
td.mono, span.mono { font-family: var(--mono); }
.pill { font-size: 11px; border-radius: 9px; padding: 0 7px; background: var(--accent-soft); color: var(--accent); margin-left: 4px; }
.pill.you { background: #e6f5ec; color: var(--ok); }
.toolbar { display: flex; gap: 10px; align-items: center; margin-bottom: 10px; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.empty { color: var(--muted); padding: 30px; text-align: center; }
.toast { position: fixed; bottom: 18px; right: 18px; background: #1f2633; color: #fff; padding: 8px 14px; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.2); max-width: 480px; }
.toast.error { background: var(--danger); }
body.read-only .write { display: none; }
`;
