// factloom web page: chat, graph of the answer's neighbourhood, evidence view.
// Every piece of document or model text is put in the page with textContent, never as HTML.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");
const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
const typeColors = new Map();
let history = [];
let graph = { nodes: [], edges: [] };

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
  if (TOKEN) headers["Authorization"] = "Bearer " + TOKEN;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}: ${await response.text()}`);
  return response.json();
}

// Query string of the graph reads: verified relations only when the box is ticked.
function filter(prefix) { return $("verified-only").checked ? `${prefix}verified_only=true` : ""; }

// A small "verified" / "unverified" label for a fact; its tooltip says what that means and why.
function badge(fact) {
  const node = el("span", fact.status, "badge " + (fact.status === "verified" ? "verified" : "unverified"));
  const how = fact.status === "verified" ? "checked by the verifier" : "not checked by the verifier";
  const parts = [fact.fact, how, fact.rationale, fact.agent ? `proposed by ${fact.agent}` : ""];
  node.title = parts.filter(Boolean).join(" — ");
  return node;
}

// The facts a passage is evidence of: from /ask (ev.facts) or from an entity's relations (ev.status).
function factsOf(ev) {
  if (ev.facts) return ev.facts;
  return ev.status ? [{ fact: ev.fact, status: ev.status, rationale: ev.rationale, agent: ev.agent }] : [];
}

function colorOf(type) {
  if (!typeColors.has(type)) typeColors.set(type, COLORS[typeColors.size % COLORS.length]);
  return typeColors.get(type);
}

// ---- chat -------------------------------------------------------------------------------------

function addMessage(text, cls) {
  const box = el("div", text, "message " + cls);
  $("messages").appendChild(box);
  $("messages").scrollTop = $("messages").scrollHeight;
  return box;
}

function renderAnswer(result) {
  const box = addMessage(result.answer, "answer" + (result.supported ? "" : " unsupported"));
  if (result.citations.length) {
    const list = el("ol", null, "citations");
    for (const c of result.citations) {
      const item = el("li", `p. ${c.page}: “${c.quote}” `);
      for (const fact of factsOf(c)) item.appendChild(badge(fact));
      item.dataset.evidenceId = c.evidence_id;
      item.addEventListener("click", () => showPage(c.doc_id, c.page, c.start, c.end));
      list.appendChild(item);
    }
    box.appendChild(list);
  }
  if (result.entities.length) {
    const line = el("div", "Entities: ", "entities-line");
    for (const e of result.entities) {
      const chip = el("span", `${e.name} (${e.type})`, "chip");
      chip.addEventListener("click", () => showEntity(e.entity_id));
      line.appendChild(chip);
    }
    box.appendChild(line);
  }
}

async function onAsk(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  addMessage(question, "question");
  $("question").value = "";
  $("ask-button").disabled = true;
  try {
    const result = await api("ask" + filter("?"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, history }),
    });
    history.push(result.turn);
    renderAnswer(result);
    $("entity-meta").hidden = true;
    showEvidenceItems("Evidence for the answer", result.evidence);
    drawGraph(result.graph, "the answer's neighbourhood");
  } catch (err) {
    addMessage(String(err.message || err), "error");
  } finally {
    $("ask-button").disabled = false;
  }
}

// ---- evidence ---------------------------------------------------------------------------------

function showEvidenceItems(title, items) {
  $("evidence-title").textContent = title;
  const list = $("evidence-list");
  list.replaceChildren();
  for (const ev of items) {
    const cell = ev.cell ? `table cell ${[ev.cell.row_header, ev.cell.column_header].filter(Boolean).join(" × ")}: ` : "";
    const item = el("li", `p. ${ev.page}: ${cell}“${ev.quote}” `);
    item.className = "evidence";
    if (ev.fact) item.appendChild(el("span", ev.fact, "fact"));
    for (const fact of factsOf(ev)) item.appendChild(badge(fact));
    if (ev.relation_id) addReviewControls(item, ev);
    item.addEventListener("click", () => showPage(ev.doc_id, ev.page, ev.start, ev.end, ev.cell));
    list.appendChild(item);
  }
  if (!items.length) list.appendChild(el("li", "No evidence found."));
}

let currentEntity = null;

async function showEntity(entityId) {
  currentEntity = entityId;
  for (const node of document.querySelectorAll("#graph .node")) {
    node.classList.toggle("selected", node.dataset.id === entityId);
  }
  const data = await api("entities/" + encodeURIComponent(entityId) + filter("?"));
  let items = [];
  for (const r of data.relations) {
    const fact = { fact: `${r.head_name} —${r.type}→ ${r.tail_name}`, status: r.status, rationale: r.rationale, agent: r.agent,
      relation_id: r.relation_id, checked_by: r.checked_by, checked_at: r.checked_at };
    for (const ev of r.evidence) items.push(Object.assign({}, fact, ev));
  }
  for (const m of data.mentions) {
    if (m.sentence) items.push({ doc_id: m.doc_id, page: m.page, start: m.sentence.start, end: m.sentence.end, quote: m.sentence.quote });
  }
  const seen = new Set();
  items = items.filter((ev) => { const key = `${ev.doc_id}:${ev.start}:${ev.end}`; return !seen.has(key) && seen.add(key); });
  showEvidenceItems(`${data.entity.name} (${data.entity.type})`, items);
  const meta = $("entity-meta");
  const aliases = data.entity.aliases.length ? data.entity.aliases.join(", ") : "none";
  meta.textContent = `aliases: ${aliases} · ${data.relations.length} facts · ${data.entity.n_mentions} mentions`;
  meta.hidden = false;
  if (items.length) showPage(items[0].doc_id, items[0].page, items[0].start, items[0].end, items[0].cell);
  const around = await api(`graph?entities=${encodeURIComponent(entityId)}&hops=1&max_nodes=40` + filter("&"));
  drawGraph(around, `neighbourhood of ${data.entity.name}`);
  for (const node of document.querySelectorAll("#graph .node")) {
    node.classList.toggle("selected", node.dataset.id === entityId);
  }
}

// ---- review: merges, conflicts, the log; reject / check a fact -----------------------------------

let canEdit = false;

function post(path, note) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: note || "" }) });
}

function smallButton(text, cls, action) {
  const button = el("button", text, "small " + (cls || ""));
  button.type = "button";
  button.addEventListener("click", async (event) => {
    event.stopPropagation();  // the row's own click opens the evidence
    button.disabled = true;
    try { await action(); } catch (err) { $("review-mode").textContent = `failed: ${err.message || err}`; } finally { button.disabled = false; }
  });
  return button;
}

// A person's state of a fact, and (when the server allows changes) the buttons to change it.
function addReviewControls(item, ev) {
  if (ev.checked_by) {
    const mark = el("span", "checked", "badge checked");
    mark.title = `checked by ${ev.checked_by} at ${ev.checked_at}`;
    item.appendChild(mark);
  }
  if (!canEdit) return;
  const id = encodeURIComponent(ev.relation_id);
  item.appendChild(smallButton("reject", "danger reject", async () => { await post(`review/facts/${id}/reject`); await afterChange(); }));
  const check = ev.checked_by ? "uncheck" : "check";
  item.appendChild(smallButton(ev.checked_by ? "uncheck" : "mark checked", check, async () => { await post(`review/facts/${id}/${check}`); await afterChange(); }));
}

// A conflict: each value the documents give, with its evidence (click one to read it on its page).
function showConflict(c) {
  $("entity-meta").hidden = true;
  const items = [];
  for (const v of c.values) {
    const fact = { fact: `${c.head_name} —${c.type}→ ${v.tail_name}`, status: v.status, relation_id: v.relation_id };
    for (const ev of v.evidence) items.push(Object.assign({}, fact, ev));
  }
  showEvidenceItems(`Conflict: ${c.head_name} ${c.type} — ${c.values.length} values`, items);
  if (items.length) showPage(items[0].doc_id, items[0].page, items[0].start, items[0].end, items[0].cell);
}

async function afterChange() {
  await Promise.all([loadOverview(), loadReview()]);
  if (currentEntity) await showEntity(currentEntity);
}

async function loadReview() {
  const data = await api("review");
  canEdit = data.can_edit;
  $("review-mode").textContent = canEdit ? "you can correct the graph" : "read-only";
  const merges = $("merges");
  merges.replaceChildren();
  for (const m of data.merges.concat(data.undone)) {
    const names = m.entities.map((e) => e.name).join(", ");
    const item = el("li", `${m.name} ← ${names} · ${m.reason} · score ${m.score.toFixed(2)}`, m.undone ? "undone" : "");
    item.dataset.mergeId = m.merge_id;
    if (canEdit && !m.undone) {
      item.appendChild(smallButton("undo", "undo", async () => {
        await post(`review/merges/${encodeURIComponent(m.merge_id)}/undo`);
        await afterChange();
      }));
    }
    merges.appendChild(item);
  }
  if (!merges.children.length) merges.appendChild(el("li", "No merges."));
  const conflicts = $("conflicts");
  conflicts.replaceChildren();
  for (const c of data.conflicts) {
    const item = el("li", `${c.head_name} —${c.type}→ ${c.values.map((v) => v.tail_name).join(" / ")}`, "conflict");
    item.addEventListener("click", () => showConflict(c));
    conflicts.appendChild(item);
  }
  if (!conflicts.children.length) conflicts.appendChild(el("li", "No conflicts."));
  const log = $("review-log");
  log.replaceChildren();
  const latest = new Map();  // the log is newest first: the first row of a fact is its state
  for (const e of data.log) if (!latest.has(e.target)) latest.set(e.target, e);
  for (const e of data.log.slice(0, 8)) {
    const item = el("li", `${e.at} ${e.actor}: ${e.action} ${e.target}${e.note ? " — " + e.note : ""}`);
    if (canEdit && e.action === "reject" && latest.get(e.target) === e) {
      item.appendChild(smallButton("restore", "restore", async () => {
        await post(`review/facts/${encodeURIComponent(e.target)}/restore`);
        await afterChange();
      }));
    }
    log.appendChild(item);
  }
  if (!log.children.length) log.appendChild(el("li", "None yet."));
}

// ---- collection: documents, entity types, entity search, overview graph ------------------------

let typeFilter = null;
let searchTimer = null;

async function loadOverview() {
  const data = await api("overview?max_nodes=40" + filter("&"));
  $("collection-summary").textContent =
    `${data.documents.length} documents, ${data.n_entities} entities, ${data.n_relations} facts`;
  const docs = $("documents");
  docs.replaceChildren();
  for (const d of data.documents) {
    const item = el("li", d.title);
    item.dataset.docId = d.doc_id;
    item.title = d.path;
    item.appendChild(el("span", `${d.pages} pages · ${d.facts} facts · ${d.entities} entities`, "counts"));
    item.addEventListener("click", () => showDocument(d));
    docs.appendChild(item);
  }
  if (!data.documents.length) docs.appendChild(el("li", "No documents yet: run `factloom ingest`."));
  const types = $("types");
  types.replaceChildren();
  for (const [type, n] of Object.entries(data.types)) {
    const chip = el("span", `${type} ${n}`, "chip type-chip");
    chip.dataset.type = type;
    chip.style.borderLeft = `4px solid ${colorOf(type)}`;
    chip.addEventListener("click", () => {
      typeFilter = typeFilter === type ? null : type;
      for (const c of types.children) c.classList.toggle("active", c.dataset.type === typeFilter);
      searchEntities();
    });
    types.appendChild(chip);
  }
  const n = data.graph.nodes.length;
  drawGraph(data.graph, n ? `the ${n} most connected entities` : "no entities yet");
  await searchEntities();
}

async function searchEntities() {
  const q = $("entity-search").value.trim();
  const params = new URLSearchParams({ q, limit: "50" });
  if (typeFilter) params.set("type", typeFilter);
  const data = await api("entities?" + params.toString());
  const list = $("entity-list");
  list.replaceChildren();
  list.dataset.q = q;  // what the list shows now (tests wait on it)
  list.dataset.type = typeFilter || "";
  for (const e of data.entities) {
    const item = el("li", e.name);
    item.dataset.id = e.entity_id;
    item.appendChild(el("span", `${e.type} · ${e.n_mentions} mentions`, "counts"));
    item.addEventListener("click", () => showEntity(e.entity_id));
    list.appendChild(item);
  }
  if (!data.entities.length) list.appendChild(el("li", q ? `No entity matches “${q}”.` : "No entities yet."));
}

function showDocument(d) {
  $("entity-meta").hidden = true;
  showEvidenceItems(`${d.title}`, []);
  $("evidence-list").replaceChildren(el("li", `${d.pages} pages, ${d.facts} facts, ${d.entities} entities`));
  showPage(d.doc_id, 1, null, null);
}

let shownPage = null;  // the document page in the evidence view, for the previous / next buttons
let pageSeq = 0;  // the latest evidence shown; an older request that answers late is dropped

// A fact read from a table gives its cell: the server then boxes the cell, its row header and its column header.
async function showPage(docId, page, start, end, cell) {
  const seq = ++pageSeq;
  const doc = encodeURIComponent(docId);
  const whole = start === null;  // a whole page (document list, previous / next): nothing to box
  const [data, view] = await Promise.all([
    api(`documents/${doc}/pages/${page}`),
    whole
      ? Promise.resolve({ doc_id: docId, page, image: `documents/${doc}/pages/${page}/image`, boxes: [], cells: [], start: "", end: "" })
      : api(`documents/${doc}/evidence?start=${start}&end=${Math.max(start, end)}` + (cell ? `&table=${cell.table}&row=${cell.row}&col=${cell.col}` : "")).catch((err) => ({ error: String(err.message || err) })),
  ]);
  if (seq !== pageSeq) return;
  if (whole) { start = data.start; end = data.start; view.title = data.title; }
  const lo = Math.max(0, start - data.start);
  const hi = Math.min(data.text.length, end - data.start);
  const pre = $("page-text");
  const mark = el("mark", data.text.slice(lo, hi));
  pre.replaceChildren(document.createTextNode(data.text.slice(0, lo)), mark, document.createTextNode(data.text.slice(hi)));
  $("page-caption").textContent = `${data.title} — page ${data.page} of ${data.n_pages}`;
  shownPage = { docId, page: data.page, n: data.n_pages, start: data.start };
  $("page-prev").disabled = data.page <= 1;
  $("page-next").disabled = data.page >= data.n_pages;
  $("page-view").hidden = false;
  mark.scrollIntoView({ block: "center" });
  await showPageImage(view, seq);
}

// The page as drawn by the server, with the evidence's boxes laid over it (boxes are shares of the page).
async function showPageImage(view, seq) {
  const wrap = $("page-image-wrap"), img = $("page-image");
  const cells = [], boxes = [];
  if (view.error || !view.image) {
    const why = view.error || view.reason;
    wrap.hidden = true;
    $("page-boxes").replaceChildren();
    $("page-cells").replaceChildren(...(why ? [el("div", `No page image: ${why}`, "note")] : []));
    return;
  }
  for (const c of view.cells) {
    const head = [c.row_header, c.column_header].filter(Boolean).join(" × ");
    const value = c.unit ? `${c.text} ${c.unit}` : c.text;
    cells.push(el("div", head ? `table cell ${head}: ${value}` : `table cell: ${value}`, "cell-ref"));
  }
  for (const [i, [x0, y0, x1, y1]] of view.boxes.entries()) {
    const role = (view.roles || [])[i];
    const box = el("div", null, role ? `hl ${role.replace(" ", "-")}` : "hl");
    if (role) box.title = role;
    box.style.left = `${x0 * 100}%`; box.style.top = `${y0 * 100}%`;
    box.style.width = `${(x1 - x0) * 100}%`; box.style.height = `${(y1 - y0) * 100}%`;
    boxes.push(box);
  }
  const src = view.image + (TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : "");
  if (img.getAttribute("src") !== src) {
    const loaded = new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; });
    img.setAttribute("src", src);
    await loaded;
    if (seq !== pageSeq) return;
  }
  img.alt = `page ${view.page} of ${view.title}`;
  $("page-cells").replaceChildren(...cells);
  $("page-boxes").replaceChildren(...boxes);
  Object.assign(wrap.dataset, { doc: view.doc_id, start: view.start, end: view.end });  // what is shown
  wrap.hidden = false;
  if (boxes.length) boxes[0].scrollIntoView({ block: "center" });
}

// ---- graph: a small force layout in SVG -------------------------------------------------------

function layout(nodes, edges, width, height) {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  nodes.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / nodes.length;
    n.x = width / 2 + (width / 4) * Math.cos(angle);
    n.y = height / 2 + (height / 4) * Math.sin(angle);
  });
  const links = edges.filter((e) => index.has(e.source) && index.has(e.target));
  const ideal = Math.min(width, height) / (1.5 + Math.sqrt(nodes.length));
  for (let step = 0; step < 300; step++) {
    const cool = 1 - step / 300;
    const force = nodes.map(() => [0, 0]);
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        let dx = nodes[i].x - nodes[j].x, dy = nodes[i].y - nodes[j].y;
        const d2 = Math.max(dx * dx + dy * dy, 1);
        const push = (ideal * ideal) / d2;
        force[i][0] += dx * push; force[i][1] += dy * push;
        force[j][0] -= dx * push; force[j][1] -= dy * push;
      }
    }
    for (const e of links) {
      const a = index.get(e.source), b = index.get(e.target);
      const dx = nodes[b].x - nodes[a].x, dy = nodes[b].y - nodes[a].y;
      const d = Math.max(Math.hypot(dx, dy), 1);
      const pull = (d - ideal) / d * 0.5;
      force[a][0] += dx * pull; force[a][1] += dy * pull;
      force[b][0] -= dx * pull; force[b][1] -= dy * pull;
    }
    nodes.forEach((n, i) => {
      force[i][0] += (width / 2 - n.x) * 0.02;
      force[i][1] += (height / 2 - n.y) * 0.02;
      const len = Math.max(Math.hypot(force[i][0], force[i][1]), 1e-9);
      const move = Math.min(len, 12 * cool + 0.5);
      const room = Math.min(120, 6.5 * String(n.name).length);  // keep the label inside the box
      n.x = Math.min(width - 14 - room, Math.max(14, n.x + (force[i][0] / len) * move));
      n.y = Math.min(height - 20, Math.max(20, n.y + (force[i][1] / len) * move));
    });
  }
  return links;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

let graphWhat;
function drawGraph(data, what) {
  graph = data;
  graphWhat = what;
  const box = $("graph");
  const width = box.clientWidth || 600, height = box.clientHeight || 300;
  box.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const nodes = data.nodes.map((n) => Object.assign({}, n));
  const links = layout(nodes, data.edges, width, height);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  box.replaceChildren();
  const shown = what ? `${what}: ` : "";
  $("graph-hint").textContent = nodes.length ? `${shown}${nodes.length} entities, ${links.length} relations — click one` : (what || "no entities linked");
  for (const e of links) {
    const a = byId.get(e.source), b = byId.get(e.target);
    const line = svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: "edge " + (e.status || "unverified") });
    line.appendChild(svg("title")).textContent = `${e.type} (${e.status || "unverified"})`;
    box.appendChild(line);
    const label = svg("text", { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, class: "edge-label" });
    label.textContent = e.type;
    box.appendChild(label);
  }
  for (const n of nodes) {
    const g = svg("g", { class: "node" + (n.seed ? " seed" : ""), transform: `translate(${n.x},${n.y})` });
    g.dataset.id = n.id;
    g.appendChild(svg("circle", { r: n.seed ? 10 : 7, fill: colorOf(n.type) }));
    const label = svg("text", { x: 12, y: 4 });
    label.textContent = n.name;
    g.appendChild(label);
    g.appendChild(svg("title")).textContent = `${n.name} (${n.type})`;
    g.addEventListener("click", () => showEntity(n.id));
    box.appendChild(g);
  }
}

$("ask-form").addEventListener("submit", onAsk);
$("page-prev").addEventListener("click", () => { if (shownPage) showPage(shownPage.docId, shownPage.page - 1, null, null); });
$("page-next").addEventListener("click", () => { if (shownPage) showPage(shownPage.docId, shownPage.page + 1, null, null); });
$("verified-only").addEventListener("change", () => { loadOverview().catch(() => {}); });
$("entity-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(searchEntities, 150); });
loadOverview().catch((err) => { $("graph-hint").textContent = `could not load the collection: ${err.message || err}`; });
loadReview().catch((err) => { $("review-mode").textContent = `could not load the review: ${err.message || err}`; });
$("new-chat").addEventListener("click", () => { history = []; $("messages").replaceChildren(); });
window.addEventListener("resize", () => { if (graph.nodes.length) drawGraph(graph, graphWhat); });
