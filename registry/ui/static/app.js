// creg ui: the catalog search, graphs laid out by dagre, and run pages that follow a run.
// Plain browser JavaScript with no build step; every text from the server goes in through
// textContent or an attribute, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function readJson(id) {
    const node = $(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // -- catalog search ------------------------------------------------------------------------

  // At most this many matching rows are shown while typing (the rest a click away): laying out
  // a thousand rows that reappear at once costs far more than a keystroke may.
  const SHOWN_ROWS = 100;

  function setupSearch() {
    const input = $("search");
    if (!input) return;
    const rows = Array.from(document.querySelectorAll("#catalog .row[data-search]"));
    const texts = rows.map((row) => row.dataset.search || "");
    const more = $("show-all");
    let limit = SHOWN_ROWS;
    function apply() {
      const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let matched = 0;
      for (let i = 0; i < rows.length; i++) {
        const ok = terms.every((t) => texts[i].includes(t));
        const show = ok && matched < limit;
        if (rows[i].hidden === show) rows[i].hidden = !show;
        if (ok) matched++;
      }
      $("shown").textContent = String(matched);
      $("no-match").hidden = matched > 0;
      more.hidden = matched <= limit;
      more.textContent = "Show all " + matched + " matches";
    }
    input.addEventListener("input", () => { limit = SHOWN_ROWS; apply(); });
    more.addEventListener("click", () => { limit = Infinity; apply(); });
    apply();
  }

  // -- copy buttons and the diff picker ---------------------------------------------------------

  function setupCopy() {
    for (const button of document.querySelectorAll("button.copy")) {
      button.addEventListener("click", () => {
        const text = $(button.dataset.copy).textContent;
        const done = () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, () => selectText($(button.dataset.copy)));
        } else {
          selectText($(button.dataset.copy));
        }
      });
    }
  }

  function selectText(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setupDiffPicker() {
    const form = document.querySelector("form.diff-picker");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const old = encodeURIComponent(form.elements.old.value);
      const now = encodeURIComponent(form.elements.new.value);
      window.location.href = form.dataset.base + old + "/" + now + ".html";
    });
  }

  // -- graphs ------------------------------------------------------------------------------------

  // Above this many drawn nodes (and with no open group) dagre ranks by longest path and orders
  // each rank by a depth-first walk instead of its crossing-reduction sweeps, whose set-up alone
  // grows with ranks x nodes: a 1,000-task chain then lays out in a fraction of the time.
  const QUICK_LAYOUT = 300;
  const CHAR = 7.2; // average width of a label character at the page's font size, in px
  const LINE = 44; // characters of a line drawn in a node; longer ones end in "…" (whole in the tooltip)

  function clip(text) {
    return text.length > LINE ? text.slice(0, LINE - 1) + "\u2026" : text;
  }
  const EXPAND_LIMIT = 120; // graphs with more nodes than this start with their groups collapsed

  // Each rank's order: nodes as a depth-first walk from the top ranks meets them, so a task sits
  // near the one it follows (dagre's own first guess, without the sweeps that refine it).
  function depthFirstOrder(g) {
    const next = new Map();
    const seen = new Set();
    const nodes = g.nodes().slice().sort((a, b) => g.node(a).rank - g.node(b).rank);
    for (const start of nodes) {
      const stack = [start];
      while (stack.length) {
        const v = stack.pop();
        if (seen.has(v)) continue;
        seen.add(v);
        const node = g.node(v);
        const at = next.get(node.rank) || 0;
        node.order = at;
        next.set(node.rank, at + 1);
        const after = g.successors(v) || [];
        for (let i = after.length - 1; i >= 0; i--) if (!seen.has(after[i])) stack.push(after[i]);
      }
    }
  }

  class Graph {
    constructor(container, data, onSelect) {
      this.container = container;
      this.onSelect = onSelect;
      this.load(data);
      this.expanded = new Set(data.nodes.length <= EXPAND_LIMIT ? this.groups() : []);
      this.elements = new Map();
      this.selected = null;
      container.addEventListener("click", (event) => {
        const target = event.target.closest("[data-id]");
        if (!target) return;
        const id = target.dataset.id;
        if (event.target.closest(".toggle")) this.toggle(id);
        else this.select(id);
      });
    }

    load(data) {
      this.nodes = new Map(data.nodes.map((n) => [n.id, n]));
      this.edges = data.edges;
      this.shape = data.nodes.map((n) => n.id).join("\n") + "\n" + data.edges.length;
      this.children = new Map();
      for (const n of data.nodes) {
        if (n.parent && this.nodes.has(n.parent)) {
          if (!this.children.has(n.parent)) this.children.set(n.parent, []);
          this.children.get(n.parent).push(n.id);
        }
      }
    }

    // A running run grows: new nodes are laid out again; groups new since the first drawing
    // open when the graph is small, as at first.
    update(data) {
      const shape = data.nodes.map((n) => n.id).join("\n") + "\n" + data.edges.length;
      if (shape === this.shape) return false;
      const known = new Set(this.groups());
      this.load(data);
      if (data.nodes.length <= EXPAND_LIMIT) for (const g of this.groups()) if (!known.has(g)) this.expanded.add(g);
      this.render();
      return true;
    }

    groups() {
      return Array.from(this.children.keys());
    }

    parentOf(id) {
      const parent = this.nodes.get(id).parent;
      return parent && this.nodes.has(parent) ? parent : null;
    }

    visible(id) {
      for (let p = this.parentOf(id); p; p = this.parentOf(p)) if (!this.expanded.has(p)) return false;
      return true;
    }

    isCluster(id) {
      return this.children.has(id) && this.expanded.has(id);
    }

    // The drawn nodes an edge end stands for: a hidden node's collapsed ancestor, or an open
    // group's entry (or exit) members, since dagre cannot attach edges to a cluster.
    ends(id, entering) {
      if (!this.visible(id)) {
        let p = this.parentOf(id);
        while (p && !this.visible(p)) p = this.parentOf(p);
        return p ? [p] : [];
      }
      if (!this.isCluster(id)) return [id];
      const members = this.children.get(id);
      const inner = new Set(members);
      const linked = new Set(this.edges.filter((e) => inner.has(e.source) && inner.has(e.target))
        .map((e) => (entering ? e.target : e.source)));
      const picked = members.filter((m) => !linked.has(m));
      return (picked.length ? picked : members).flatMap((m) => this.ends(m, entering));
    }

    size(node) {
      const lines = [node.label, ...(node.sub || [])];
      const longest = Math.max(...lines.map((l) => clip(l).length));
      const toggle = this.children.has(node.id) ? 22 : 0;
      return { width: Math.min(360, Math.max(120, longest * CHAR + 24 + toggle)), height: 14 + 16 * lines.length };
    }

    layout() {
      let drawn = 0;
      for (const id of this.nodes.keys()) if (this.visible(id)) drawn++;
      const quick = drawn > QUICK_LAYOUT && !Array.from(this.expanded).some((id) => this.visible(id));
      const g = new dagre.graphlib.Graph({ compound: !quick });
      g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 44, edgesep: 12, marginx: 12, marginy: 12,
        ranker: quick ? "longest-path" : "network-simplex" });
      g.setDefaultEdgeLabel(() => ({}));
      for (const [id, node] of this.nodes) {
        if (!this.visible(id)) continue;
        g.setNode(id, this.isCluster(id) ? { label: node.label } : this.size(node));
        const parent = this.parentOf(id);
        if (parent && !quick) g.setParent(id, parent);
      }
      const seen = new Set();
      for (const edge of this.edges) {
        for (const source of this.ends(edge.source, false)) {
          for (const target of this.ends(edge.target, true)) {
            const key = source + "\u0000" + target;
            if (source === target || seen.has(key)) continue;
            seen.add(key);
            const label = edge.label || "";
            g.setEdge(source, target, label
              ? { label: label, width: Math.min(220, label.length * 6.5 + 8), height: 16, labelpos: "c" }
              : {});
          }
        }
      }
      dagre.layout(g, quick ? { customOrder: depthFirstOrder } : {});
      return g;
    }

    render() {
      const t0 = performance.now();
      const g = this.layout();
      const t1 = performance.now();
      const box = g.graph();
      const size = (v) => (Number.isFinite(v) && v > 0 ? Math.ceil(v) : 10); // an empty graph has -Infinity
      const root = svg("svg", { width: size(box.width), height: size(box.height),
        class: "graph-svg", role: "img" });
      root.appendChild(this.defs());
      const clusters = svg("g", { class: "clusters" });
      const lines = svg("g", { class: "edges" });
      const boxes = svg("g", { class: "nodes" });
      this.elements = new Map();
      for (const id of g.nodes()) {
        const pos = g.node(id);
        if (!pos) continue;
        (this.isCluster(id) ? clusters : boxes).appendChild(this.drawNode(id, pos, this.isCluster(id)));
      }
      for (const e of g.edges()) lines.appendChild(this.drawEdge(g.edge(e)));
      root.append(clusters, lines, boxes);
      this.container.replaceChildren(root);
      const t2 = performance.now();
      // For bench/bench_ui.py: drawnAt counts from the navigation's start (performance.now's origin).
      window.cregGraphTiming = { nodes: g.nodeCount(), edges: g.edgeCount(), layoutMs: t1 - t0, drawMs: t2 - t1,
        drawnAt: t2 };
      const info = $("graph-info");
      if (info) info.textContent = this.nodes.size + " nodes";
      if (this.selected) this.mark(this.selected);
    }

    defs() {
      const defs = svg("defs");
      const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }));
      defs.appendChild(marker);
      return defs;
    }

    drawNode(id, pos, cluster) {
      const node = this.nodes.get(id);
      const group = svg("g", { "data-id": id, class: this.classes(node, cluster),
        transform: `translate(${pos.x - pos.width / 2},${pos.y - pos.height / 2})` });
      group.appendChild(svg("rect", { width: pos.width, height: pos.height, rx: 6, ry: 6 }));
      const lines = [node.label, ...(cluster ? [] : node.sub || [])];
      lines.forEach((line, i) => {
        group.appendChild(svg("text", { x: 10, y: 18 + 16 * i, class: i ? "sub" : "label" }, clip(line)));
      });
      if (this.children.has(id)) {
        const toggle = svg("g", { class: "toggle", transform: `translate(${pos.width - 20},4)` });
        toggle.appendChild(svg("rect", { width: 16, height: 16, rx: 3 }));
        toggle.appendChild(svg("text", { x: 8, y: 12.5, "text-anchor": "middle" }, cluster ? "\u2212" : "+"));
        toggle.appendChild(svg("title", {}, cluster ? "collapse" : "expand"));
        group.appendChild(toggle);
      }
      const tip = [node.label, ...(node.sub || []), ...(node.problems || [])];
      group.appendChild(svg("title", {}, tip.join("\n")));
      this.elements.set(id, group);
      return group;
    }

    classes(node, cluster) {
      const parts = ["node", node.kind, cluster ? "cluster" : "box"];
      if (node.cls) parts.push("phase-" + node.cls);
      if (node.problems && node.problems.length) parts.push("has-problems");
      if (this.selected === node.id) parts.push("selected");
      return parts.join(" ");
    }

    drawEdge(edge) {
      const points = edge.points || [];
      const d = points.map((p, i) => (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1)).join(" ");
      const group = svg("g", { class: "edge" + (edge.label ? " data" : "") });
      group.appendChild(svg("path", { d: d, "marker-end": "url(#arrow)" }));
      if (edge.label) group.appendChild(svg("text", { x: edge.x, y: edge.y + 4, "text-anchor": "middle" }, edge.label));
      return group;
    }

    toggle(id) {
      if (this.expanded.has(id)) this.expanded.delete(id);
      else this.expanded.add(id);
      this.render();
    }

    setAll(open) {
      this.expanded = new Set(open ? this.groups() : []);
      this.render();
    }

    select(id) {
      this.selected = id;
      this.mark(id);
      if (this.onSelect) this.onSelect(id);
    }

    mark(id) {
      for (const [key, element] of this.elements) element.classList.toggle("selected", key === id);
    }

    setPhase(id, phase) {
      const node = this.nodes.get(id);
      if (!node || node.cls === phase) return;
      node.cls = phase;
      const element = this.elements.get(id);
      if (element) element.setAttribute("class", this.classes(node, this.isCluster(id)));
    }
  }

  function setupGraph(onSelect) {
    const container = $("graph");
    if (!container || typeof dagre === "undefined") return null;
    const graph = new Graph(container, readJson(container.dataset.graph), onSelect);
    graph.render();
    const expand = $("expand-all");
    const collapse = $("collapse-all");
    if (graph.groups().length === 0) {
      expand.hidden = true;
      collapse.hidden = true;
    }
    expand.addEventListener("click", () => graph.setAll(true));
    collapse.addEventListener("click", () => graph.setAll(false));
    window.cregGraph = graph;
    return graph;
  }

  // -- the pipeline page: a node's details ------------------------------------------------------

  function setupPipeline() {
    const panel = $("node-panel");
    if (!panel || $("run")) return;
    const graph = setupGraph((id) => {
      const node = graph.nodes.get(id);
      panel.hidden = false;
      panel.replaceChildren(el("h2", {}, node.label));
      for (const line of node.sub || []) panel.appendChild(el("p", {}, line));
      if (node.args && node.args.length) panel.appendChild(table(node.args, ["Input", "Value"]));
      if (node.problems && node.problems.length) {
        const list = el("ul", { class: "problems" });
        for (const p of node.problems) list.appendChild(el("li", {}, p));
        panel.appendChild(list);
      }
    });
  }

  // -- the run page: live phases, the selected node, its logs -------------------------------------

  function table(rows, heads) {
    const t = el("table", { class: "interface" });
    const head = el("tr");
    for (const h of heads) head.appendChild(el("th", {}, h));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    for (const row of rows) {
      const tr = body.appendChild(el("tr"));
      for (const cell of row) tr.appendChild(el("td", {}, cell));
    }
    return t;
  }

  function setupRun() {
    const run = $("run");
    if (!run) return;
    let state = readJson("run-state");
    let selected = null;
    let follow = 0; // bumped whenever the followed log changes, so an old loop stops
    const panel = $("node-panel");
    const graph = setupGraph((id) => { selected = id; showNode(); startLogs(); });

    function showNode() {
      const node = state.nodes[selected];
      if (!node) return;
      const facts = [["Status", node.phase], ["Type", node.type], ["Started", node.started],
        ["Finished", node.finished], ["Duration", node.duration], ["Exit code", node.exitCode]];
      const parts = [el("h2", {}, node.name), table(facts.filter((f) => f[1]), ["", ""])];
      parts[1].classList.add("facts");
      const bad = node.phase === "Failed" || node.phase === "Error";
      if (node.message) parts.push(el("p", { class: bad ? "warning" : "note" }, node.message));
      if (node.inputs.length) parts.push(el("h3", {}, "Parameters"), table(node.inputs, ["Name", "Value"]));
      if (node.outputs.length) parts.push(el("h3", {}, "Outputs"), table(node.outputs, ["Name", "Value"]));
      if (node.artifacts.length) parts.push(el("h3", {}, "Artifacts"), artifactList(node));
      let logs = $("logs");
      if (!logs || logs.dataset.node !== selected) logs = el("pre", { id: "logs", class: "logs", "data-node": selected });
      if (node.type === "Pod") parts.push(el("h3", {}, "Logs"), logs);
      panel.replaceChildren(...parts);
    }

    function artifactList(node) {
      const list = el("ul", { class: "artifacts" });
      for (const name of node.artifacts) {
        const item = list.appendChild(el("li"));
        if (run.dataset.downloads) {
          const href = run.dataset.artifactsUrl + encodeURIComponent(selected) + "/" + encodeURIComponent(name);
          item.appendChild(el("a", { href: href, download: name }, name));
        } else {
          item.textContent = name;
        }
      }
      return list;
    }

    function startLogs() {
      const token = ++follow;
      const node = state.nodes[selected];
      if (!node || node.type !== "Pod") return;
      let offset = 0;
      let last = false;
      const step = () => {
        if (token !== follow) return;
        const url = run.dataset.logsUrl + "?task=" + encodeURIComponent(node.name) + "&offset=" + offset;
        fetch(url).then((r) => r.json()).then((data) => {
          if (token !== follow) return;
          const logs = $("logs");
          if (logs && data.lines && data.lines.length) {
            logs.append(data.lines.join("\n") + "\n");
            logs.scrollTop = logs.scrollHeight;
          }
          offset = data.next || offset;
          const current = state.nodes[selected];
          if (state.running || (current && (current.phase === "Running" || current.phase === "Pending"))) {
            setTimeout(step, 1000);
          } else if (!last) {
            last = true; // once more after the end: lines written just before it
            setTimeout(step, 0);
          }
        }).catch(() => setTimeout(step, 2000));
      };
      step();
    }

    function update(next) {
      state = next;
      const phase = $("run-phase");
      phase.textContent = state.phase;
      phase.className = "phase " + state.phase;
      $("run-progress").textContent = state.progress;
      $("run-duration").textContent = state.duration;
      const message = $("run-message");
      message.textContent = state.message;
      message.hidden = !state.message;
      if (graph && next.graph) graph.update(next.graph);
      if (graph) for (const [id, node] of Object.entries(state.nodes)) graph.setPhase(id, node.phase);
      if (selected) showNode();
    }

    function poll() {
      fetch(run.dataset.stateUrl).then((r) => r.json()).then((next) => {
        update(next);
        if (next.running) setTimeout(poll, 1000);
      }).catch(() => setTimeout(poll, 2000));
    }
    if (state.running) setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupSearch();
    setupCopy();
    setupDiffPicker();
    setupPipeline();
    setupRun();
  });
})();
