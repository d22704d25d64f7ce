/* The book's live explorers (set up by _ext/live_explorers.py; only on pages that show one).
 *
 * Each cell marked `live-explorer-NAME` gets a panel in place of the widget's saved state. Until Python runs, the
 * panel shows one line and the chapter's static figure of the explorer's whole range. When the explorer nears the
 * screen (after the page's load event), Pyodide (CPython compiled to WebAssembly, served from _static/pyodide/) starts,
 * the library's own files (copied into _static/resnext_edu/ at build time) are written into its file system, and the
 * panel builds the explorer's controls from `resnext_edu.readouts.EXPLORERS[NAME]`. Every move of a control calls the
 * explorer's view in Python (`readouts.cardinality_view(...)`, ...): the readout is the HTML it returns, the chart is
 * its chart data drawn as SVG. Nothing here computes a number of the book; it only draws what Python returns.
 * Opened from file:// (the browser refuses to fetch WebAssembly there) or without WebAssembly, the figure stays.
 *
 * window.resnextExplorers tells how far it got: state ("waiting" | "loading" | "live" | "fallback"), started and
 * live (performance.now() times), error (why it fell back).
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const here = (path) => new URL(path, script.src).href;
  const PYODIDE = here(script.dataset.pyodide);
  const LIBRARY = here(script.dataset.library);
  const FILES = script.dataset.files.split(" ");
  const SVG = "http://www.w3.org/2000/svg";
  const FONT = '"DejaVu Sans", "Bitstream Vera Sans", Verdana, sans-serif'; // matplotlib's default family
  const status = (window.resnextExplorers = { state: "waiting", started: null, live: null, error: null });

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    node.append(...children);
    return node;
  }

  function svg(tag, attributes = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  // --- the panel: one line, the static figure, then the live explorer ---------------------------------------------

  function makePanel(cell) {
    const name = [...cell.classList].find((c) => c.startsWith("live-explorer-")).slice("live-explorer-".length);
    const root = el("div", { class: "rx-explorer", "data-explorer": name, "data-state": "loading" });
    const line = el("p", { class: "rx-status" });
    const still = el("div", { class: "rx-still" });
    const figure = document.querySelector(`.live-explorer-figure-${name} .cell_output img`);
    if (figure) {
      const alt = figure.getAttribute("alt") || `The ${name} explorer's whole range, as the chapter draws it below.`;
      still.append(el("img", { src: figure.getAttribute("src"), alt }));
    }
    const live = el("div", { class: "rx-live", hidden: "" });
    root.append(line, still, live);
    const output = cell.querySelector(":scope > .cell_output");
    if (output) output.before(root);
    else cell.append(root);
    cell.classList.add("rx-active"); // explorers.css hides the saved widget: its controls would move nothing

    const say = (...parts) => line.replaceChildren(...parts);
    const serve = () => el("code", {}, "python3 -m http.server -d _build/html");
    say("Starting the live explorer: Python is loading in your browser (Pyodide). Until then, its whole range:");
    return {
      root,
      fallback(reason) {
        root.dataset.state = "fallback";
        say("The live explorer needs the page to be served by ", serve(), `; ${reason}. Its whole range:`);
      },
      live(readouts) {
        buildExplorer(name, readouts, live);
        still.hidden = true;
        live.hidden = false;
        root.dataset.state = "live";
        say("Live: computed in your browser by the book's own library (Pyodide).");
      },
    };
  }

  // --- the live explorer: controls from readouts.EXPLORERS, everything shown from its view ------------------------

  const toJs = (proxy) => {
    const value = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    return value;
  };

  function buildExplorer(name, readouts, into) {
    const explorers = readouts.EXPLORERS;
    const spec = toJs(explorers.get(name));
    explorers.destroy();
    const view = readouts[spec.view];
    const values = {};
    const inputs = {};
    const controls = el("div", { class: "rx-controls" });
    const readout = el("div", { class: "rx-readout", "aria-live": "polite" });
    const chart = el("div", { class: "rx-chart" });

    for (const [key, control] of Object.entries(spec.controls)) {
      values[key] = control.value;
      inputs[key] = makeControl(key, control, controls, (value) => {
        values[key] = value;
        update();
      });
    }

    function update() {
      const shown = toJs(view.callKwargs(values));
      Object.assign(values, shown.values);
      for (const [key, input] of Object.entries(inputs)) input.set(values[key], shown.disabled.includes(key));
      readout.innerHTML = shown.html; // the library's HTML (it escapes every text it prints)
      chart.replaceChildren(...(shown.chart ? [drawChart(shown.chart, shown.alt)] : []));
    }

    into.append(controls, readout, chart);
    update();
  }

  function makeControl(key, control, into, changed) {
    const id = `rx-${key}-${Math.random().toString(36).slice(2, 8)}`;
    const label = el("label", { for: id }, control.description);
    const wrap = el("div", { class: `rx-control rx-${control.kind}`, "data-control": key }, label);
    let input;
    let set;
    if (control.kind === "checkbox") {
      input = el("input", { type: "checkbox", id });
      input.addEventListener("change", () => changed(input.checked));
      set = (value) => (input.checked = value);
      wrap.prepend(input);
    } else if (control.kind === "dropdown") {
      input = el("select", { id }, ...control.options.map((o) => el("option", { value: String(o) }, String(o))));
      input.addEventListener("change", () => changed(control.options[input.selectedIndex]));
      set = (value) => (input.selectedIndex = control.options.indexOf(value));
      wrap.append(input);
    } else {
      // a selection slider moves over the options' indices; an integer slider over min..max
      const options = control.kind === "selection_slider" ? control.options : null;
      const [min, max] = options ? [0, options.length - 1] : [control.min, control.max];
      input = el("input", { type: "range", id, min, max, step: 1 });
      const shown = el("output", { for: id, class: "rx-value" });
      input.addEventListener("input", () => changed(options ? options[input.valueAsNumber] : input.valueAsNumber));
      set = (value) => {
        input.value = options ? options.indexOf(value) : value;
        shown.textContent = String(value);
        input.setAttribute("aria-valuetext", String(value));
      };
      wrap.append(input, shown);
    }
    into.append(wrap);
    return {
      set(value, disabled) {
        set(value);
        input.disabled = disabled;
      },
    };
  }

  // --- the chart: readouts' chart data (bars, labels, colours), drawn as matplotlib draws it in the kernel --------

  function niceStep(span) {
    const power = 10 ** Math.floor(Math.log10(span));
    return power * [1, 2, 2.5, 5, 10].find((m) => m * power >= span);
  }

  function tickLabel(value, panel, step) {
    // matplotlib's formats: f"{v / scale:,.0f}{suffix}" where the chart has a suffix, else as many decimals as the step
    const scaledStep = step / panel.tick_scale;
    const decimals = panel.tick_suffix ? 0 : (String(+scaledStep.toPrecision(6)).split(".")[1] || "").length;
    const format = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
    return `${(value / panel.tick_scale).toLocaleString("en-US", format)}${panel.tick_suffix}`;
  }

  function drawChart(chart, alt) {
    const [width, height] = chart.size.map((inches) => inches * 72); // points, as matplotlib's font sizes
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": alt || chart.panels.map((p) => p.title).join("; "), // readouts' alt text, as in the kernel
      style: `max-width:${chart.size[0] * 100}px`, // the kernel's PNG: 100 dpi
      "font-family": FONT,
      fill: chart.ink,
    });
    root.append(svg("rect", { width, height, fill: "white" }));
    const panelWidth = width / chart.panels.length;
    chart.panels.forEach((panel, k) => root.append(drawPanel(panel, k * panelWidth, panelWidth, height, chart.ink)));
    return root;
  }

  function drawPanel(panel, left, width, height, ink) {
    const g = svg("g", { class: "rx-panel" });
    const lines = Math.max(...panel.categories.map((c) => c.split("\n").length));
    const x0 = left + 50;
    const x1 = left + width - 8;
    const y0 = 22;
    const y1 = height - 8 - lines * (panel.tick_size + 2.5);
    const values = panel.series.flatMap((s) => s.values);
    const ymax = panel.ymax ?? Math.max(...values) * 1.05;
    const y = (v) => y1 - (v / ymax) * (y1 - y0);
    const band = (x1 - x0) / panel.categories.length;
    const x = (i) => x0 + (i + 0.5) * band;

    const step = niceStep(ymax / 5);
    for (let v = 0; v <= ymax + 1e-9; v += step) {
      g.append(svg("line", { x1: x0 - 3.5, x2: x0, y1: y(v), y2: y(v), stroke: ink, "stroke-width": 0.8 }));
      g.append(
        svg("text", { x: x0 - 5, y: y(v), "font-size": panel.tick_size, "text-anchor": "end", "dominant-baseline": "middle" },
          tickLabel(v, panel, step)),
      );
    }
    const n = panel.series.length;
    panel.series.forEach((series, j) => {
      series.values.forEach((value, i) => {
        const cx = x(i) + (j - (n - 1) / 2) * panel.bar_width * band;
        const w = panel.bar_width * band;
        g.append(
          svg("rect", {
            class: "rx-bar", x: cx - w / 2, y: y(value), width: w, height: y1 - y(value),
            fill: series.fills[i], stroke: series.edges[i], "stroke-width": 1,
            "data-value": value, "data-category": panel.categories[i], "data-series": series.name ?? "",
          }),
        );
        if (series.labels) {
          g.append(svg("text", { class: "rx-bar-label", x: cx, y: y(value) - 3, "font-size": panel.tick_size,
            "text-anchor": "middle" }, series.labels[i]));
        }
      });
    });
    if (panel.reference) {
      const ry = y(panel.reference.value);
      g.append(svg("line", { class: "rx-reference", x1: x0, x2: x1, y1: ry, y2: ry, stroke: panel.reference.color,
        "stroke-width": 1, "stroke-dasharray": "3.7 1.6", "data-value": panel.reference.value }));
    }
    g.append(svg("line", { x1: x0, x2: x0, y1: y0, y2: y1, stroke: ink, "stroke-width": 0.8 }));
    g.append(svg("line", { x1: x0, x2: x1, y1: y1, y2: y1, stroke: ink, "stroke-width": 0.8 }));
    panel.categories.forEach((category, i) => {
      const text = svg("text", { x: x(i), y: y1 + 4, "font-size": panel.tick_size, "text-anchor": "middle" });
      category.split("\n").forEach((part, row) =>
        text.append(svg("tspan", { x: x(i), dy: row ? "1.2em" : "1em" }, part)));
      g.append(text);
    });
    g.append(svg("text", { class: "rx-chart-title", x: x0, y: y0 - 8, "font-size": 10 }, panel.title));
    const my = (y0 + y1) / 2;
    g.append(svg("text", { x: left + 10, y: my, "font-size": 9, "text-anchor": "middle",
      transform: `rotate(-90 ${left + 10} ${my})` }, panel.ylabel));
    if (panel.legend) {
      panel.series.forEach((series, j) => {
        const ly = y0 + 6 + j * 12;
        g.append(svg("rect", { x: x0 + 8, y: ly - 3.5, width: 14, height: 7, fill: series.fills[0],
          stroke: series.edges[0], "stroke-width": 1 }));
        g.append(svg("text", { class: "rx-legend", x: x0 + 27, y: ly, "font-size": 8, "dominant-baseline": "middle" },
          series.name));
      });
    }
    return g;
  }

  // --- start: after the page has loaded, when an explorer nears the screen ----------------------------------------

  async function fetchText(name) {
    const response = await fetch(LIBRARY + name);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return response.text();
  }

  // Pyodide 0.28 leaves loadPyodide() pending when it cannot fetch its WebAssembly (the fetch's rejection goes
  // unhandled): such a rejection, thrown from Pyodide's own code, means it will not start.
  function pyodideFails() {
    return new Promise((_, reject) => {
      const listener = (event) => {
        if (String((event.reason && event.reason.stack) || "").includes(PYODIDE)) {
          window.removeEventListener("unhandledrejection", listener);
          reject(event.reason);
        }
      };
      window.addEventListener("unhandledrejection", listener);
    });
  }

  async function start(panels) {
    status.state = "loading";
    status.started = performance.now();
    try {
      const [{ loadPyodide }, sources] = await Promise.all([
        import(PYODIDE + "pyodide.mjs"),
        Promise.all(FILES.map(fetchText)),
      ]);
      const pyodide = await Promise.race([loadPyodide({ indexURL: PYODIDE }), pyodideFails()]);
      const home = "/home/pyodide/resnext_edu";
      pyodide.FS.mkdirTree(home);
      FILES.forEach((name, i) => pyodide.FS.writeFile(`${home}/${name}`, sources[i]));
      pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
      const readouts = pyodide.pyimport("resnext_edu.readouts");
      panels.forEach((panel) => panel.live(readouts));
      status.live = performance.now();
      status.state = "live";
    } catch (error) {
      console.warn("The live explorers could not start:", error);
      status.error = String(error);
      status.state = "fallback";
      panels.forEach((panel) => panel.fallback("Python could not start here"));
    }
  }

  function whyNot() {
    if (location.protocol === "file:") return "opened from a file, it cannot load Python";
    if (typeof WebAssembly !== "object") return "this browser has no WebAssembly";
    return null;
  }

  function setUp() {
    const panels = [...document.querySelectorAll(".live-explorer")].map(makePanel);
    const reason = whyNot();
    if (reason) {
      status.state = "fallback";
      status.error = reason;
      panels.forEach((panel) => panel.fallback(reason));
      return;
    }
    let started = false;
    const go = () => {
      if (!started) {
        started = true;
        start(panels);
      }
    };
    const whenNear = () => {
      if (!("IntersectionObserver" in window)) return go();
      const observer = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting)) {
            observer.disconnect();
            go();
          }
        },
        { rootMargin: "100% 0px" }, // one screen ahead: usually live by the time the reader gets there
      );
      panels.forEach((panel) => observer.observe(panel.root));
    };
    if (document.readyState === "complete") whenNear();
    else window.addEventListener("load", whenNear, { once: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp, { once: true });
  else setUp();
})();
