// The report page's style sheet, inlined into the page: system fonts only
// (no web fonts to fetch), light and dark from prefers-color-scheme, one
// column on a phone and wide tables scrolled sideways rather than squeezed.

export const PAGE_STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;
--accent:#0b61c3;--cuda:#4d8f00;--crit:#a40e26;--high:#d1242f;--med:#bc4c00;--low:#9a6700;--info:#59636e;
--ok:#1a7f37;--bad:#cf222e;--cell:#dbe7f6;--cell2:#c3d6ee;--focus:#ffb000}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;
--accent:#4493f8;--cuda:#7dc43a;--crit:#ff7b72;--high:#ff8182;--med:#f0883e;--low:#d29922;--info:#9198a1;
--ok:#3fb950;--bad:#f85149;--cell:#1f3a5c;--cell2:#28496f}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
header{padding:12px 16px;border-bottom:1px solid var(--line)}
header h1{font-size:18px;margin:0 0 2px;word-break:break-all}
header p{margin:0;color:var(--muted);font-size:12px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
nav[role=tablist]{display:flex;flex-wrap:wrap;gap:4px;padding:8px 16px;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:2}
nav button,.btn{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:4px 10px;cursor:pointer}
nav button[aria-selected=true]{background:var(--accent);border-color:var(--accent);color:#fff}
:focus-visible{outline:3px solid var(--focus);outline-offset:1px}
main{padding:12px 16px;max-width:1400px}
section[role=tabpanel]{outline:none}
h2{font-size:16px;margin:16px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.card .k{color:var(--muted);font-size:12px}.card .v{font-size:18px;font-weight:600;word-break:break-word}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;color:var(--fg);cursor:pointer;padding:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600;text-transform:uppercase;font-size:11px}
.sev-critical{color:var(--crit)}.sev-high{color:var(--high)}.sev-medium{color:var(--med)}.sev-low{color:var(--low)}
.sev-negligible,.sev-unknown,.sev-info{color:var(--info)}
.pass{color:var(--ok);font-weight:600}.fail{color:var(--bad);font-weight:600}
.muted{color:var(--muted)}
.controls{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
input,select{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:4px 8px}
input[type=search]{min-width:min(320px,100%)}
.crumbs{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:6px 0}
.treemap{position:relative;width:100%;height:min(70vh,560px);min-height:280px;border:1px solid var(--line);border-radius:8px;overflow:hidden}
.cell{position:absolute;overflow:hidden;border:1px solid var(--bg);background:var(--cell);color:var(--fg);font-size:11px;padding:2px 3px;text-align:left;cursor:pointer;font-family:inherit}
.cell.leaf{cursor:default}.cell .sub{position:absolute;background:var(--cell2);border:1px solid var(--bg)}
.cell.cuda{background:color-mix(in srgb,var(--cuda) 35%,var(--bg))}.cell .sub.cuda{background:color-mix(in srgb,var(--cuda) 60%,var(--bg))}
.cell .label{position:relative;z-index:1;pointer-events:none;display:block;white-space:nowrap;text-overflow:ellipsis;overflow:hidden}
.tag{display:inline-block;font-size:10px;font-weight:700;border-radius:4px;padding:0 4px;background:var(--cuda);color:#fff;margin-left:4px}
.bar{height:10px;background:var(--accent);border-radius:3px;min-width:1px}
.bars td:first-child{white-space:nowrap}.bars td:last-child{min-width:90px;width:40%}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}
ul.plain{margin:0;padding-left:18px}
@media (max-width:640px){main{padding:8px}.cols{grid-template-columns:1fr}header h1{font-size:15px}.card .v{font-size:16px}}
`;
