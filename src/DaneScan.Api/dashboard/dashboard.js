// The DaneScan dashboard: reads the statistics API (the routes of src/DaneScan.Api/openapi.json) and shows
// one run's numbers, the trend over completed runs and one domain's explanation. Every number shown is an
// API value as served; nothing is recomputed here. Chart.js is served by the same app (no CDN).
"use strict";

(() => {
  const apiBase = new URL(document.querySelector('meta[name="danescan-api"]').content, document.baseURI);
  const pageParams = new URLSearchParams(window.location.search);
  // Beside the Functions app the API wants a function key: pass it to the page as ?code=.
  const functionKey = pageParams.get("code");
  const charts = new Map();

  // Colours of the statuses and outcomes, chosen for contrast on white (WCAG AA for the legend text beside them).
  const palette = ["#0b5cad", "#b35900", "#2e7d32", "#a40000", "#6a1b9a", "#00695c", "#5d4037", "#37474f", "#ad1457", "#827717", "#283593", "#4e342e"];
  // The states of docs/dataset.md ("Definitions"): Verified (MX RRset secure) and Trusted (MX RRset insecure) apart.
  const statusOrder = ["verified", "trusted", "encryptOnly", "partial", "failing", "notDane", "notApplicable"];

  const el = (id) => document.getElementById(id);
  const fmt = (n) => Number(n).toLocaleString("en");
  // "notDane" -> "Not DANE", "tlsaLookupFailed" -> "TLSA lookup failed": camelCase API names as words, acronyms kept.
  const acronyms = { dane: "DANE", tlsa: "TLSA", mx: "MX", tls: "TLS", dns: "DNS", dnssec: "DNSSEC", ee: "EE", ta: "TA" };
  const words = (name) => name
    .replace(/StartTls/g, "Starttls")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(" ")
    .map((w, i) => {
      const lower = w.toLowerCase();
      if (lower === "starttls") return "STARTTLS";
      if (acronyms[lower]) return acronyms[lower];
      return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
    })
    .join(" ");
  const kebab = (name) => name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
  const colour = (i) => palette[i % palette.length];

  function apiUrl(path, query = {}) {
    const url = new URL(path, apiBase);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null) url.searchParams.set(k, v);
    }
    if (functionKey) url.searchParams.set("code", functionKey);
    return url;
  }

  async function api(path, query) {
    const response = await fetch(apiUrl(path, query), { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      const error = new Error(body.detail || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function setStatus(text, isError = false) {
    const s = el("status");
    s.textContent = text;
    s.className = isError ? "error" : "";
  }

  function sortedStatuses(byStatus) {
    return Object.keys(byStatus).sort((a, b) => {
      const ia = statusOrder.indexOf(a), ib = statusOrder.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
  }

  // A table of rows: keys in the first column, then one column per name; cells carry data-col for readers (and the browser test).
  function table(container, caption, keyTitle, columns, rows) {
    const t = document.createElement("table");
    const cap = t.createCaption();
    cap.textContent = caption;
    const head = t.createTHead().insertRow();
    for (const title of [keyTitle, ...columns.map((c) => c.title)]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = title;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      tr.dataset.key = row.key;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = row.label ?? row.key;
      tr.appendChild(th);
      for (const c of columns) {
        const td = tr.insertCell();
        td.dataset.col = c.name;
        const v = c.value(row);
        td.textContent = typeof v === "number" ? fmt(v) : v;
      }
    }
    container.replaceChildren(t);
  }

  function chart(id, config) {
    charts.get(id)?.destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    charts.set(id, new window.Chart(el(id), config));
  }

  function stackedBars(id, rows, statuses) {
    chart(id, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.key),
        datasets: statuses.map((s, i) => ({ label: words(s), data: rows.map((r) => r.byState[s] ?? 0), backgroundColor: colour(i) })),
      },
      options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: "Domains" } }, y: { stacked: true } } },
    });
  }

  function summary(run) {
    const cards = [
      ["domainsEnumerated", "Domains", run.domainsEnumerated],
      ["hostsProbed", "MX host addresses probed", run.hostsProbed],
      ["domainsRejected", "List lines rejected", run.domainsRejected],
    ];
    const dl = el("summary");
    dl.replaceChildren();
    const add = (attr, value, label, number) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.setAttribute(attr, value);
      dd.textContent = fmt(number);
      div.append(dt, dd);
      dl.appendChild(div);
    };
    const h = run.headline;
    const headline = [
      ["daneProtected", "DANE-protected (Verified, all MX)", h.daneProtected],
      ["trusted", "Trusted (MX RRset unsigned)", h.trusted],
      ["surveyProtected", "Survey-comparable", h.surveyProtected],
      ["surveySigned", "of DNSSEC-signed domains", h.surveySigned],
    ];
    for (const [field, label, value] of cards) add("data-field", field, label, value);
    for (const [field, label, value] of headline) add("data-headline", field, label, value);
    for (const s of sortedStatuses(run.domainsByState)) add("data-status", s, words(s), run.domainsByState[s]);
    el("run-note").textContent =
      `${run.state === "completed" ? "Completed" : "Running"} run ${run.runId}, started ${new Date(run.startedUtc).toISOString().replace(".000", "")}` +
      `, scanner ${run.scannerVersion || "?"}, DNSSEC trust: ${run.trustMode}, vantage point: ${run.vantagePoint || "?"}.` +
      (run.incomplete ? ` Incomplete: ${run.incomplete}` : "");
  }

  async function counts(runId, dimension, chartId, tableId, caption, keyTitle, statuses) {
    const page = await api(`runs/${encodeURIComponent(runId)}/breakdowns/${dimension}`, { top: 1000 });
    const rows = page.items;
    // The chart leaves out the "(none)" and "(no tlsa)" rows (domains without the key), the table keeps them.
    if (chartId) stackedBars(chartId, rows.filter((r) => !/^\((none|no tlsa)\)$/.test(r.key)).slice(0, 12), statuses);
    table(el(tableId), caption + (page.continuationToken ? " (first 1,000 rows)" : ""), keyTitle,
      [
        { name: "domains", title: "Domains", value: (r) => r.domains },
        { name: "surveyProtected", title: "Survey-comparable", value: (r) => r.surveyProtected },
        ...statuses.map((s) => ({ name: s, title: words(s), value: (r) => r.byState[s] ?? 0 })),
      ],
      rows);
  }

  async function timeSeries(statuses) {
    const series = await Promise.all(statuses.map((s) => api(`timeseries/${kebab(s)}`)));
    const runs = series.length ? series[0].points : [];
    chart("time-chart", {
      type: "line",
      data: {
        labels: runs.map((p) => p.startedUtc.slice(0, 10) + " " + p.runId),
        datasets: series.map((s, i) => ({ label: words(statuses[i]), data: s.points.map((p) => p.value), borderColor: colour(i), backgroundColor: colour(i), pointRadius: 4 })),
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "Domains" } } } },
    });
    table(el("time-table"), "Domains per state (all MX hosts), per completed run", "Run",
      statuses.map((s, i) => ({ name: s, title: words(s), value: (r) => series[i].points[r.index].value })),
      runs.map((p, index) => ({ key: p.runId, label: `${p.runId} (${p.startedUtc.slice(0, 10)})`, index })));
  }

  function outcomes(run) {
    const keys = Object.keys(run.hostsByOutcome).sort((a, b) => run.hostsByOutcome[b] - run.hostsByOutcome[a] || a.localeCompare(b));
    chart("outcome-chart", {
      type: "bar",
      data: { labels: keys.map(words), datasets: [{ label: "MX hosts", data: keys.map((k) => run.hostsByOutcome[k]), backgroundColor: keys.map((_, i) => colour(i)) }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, title: { display: true, text: "MX hosts" } } } },
    });
    table(el("outcome-table"), "MX hosts by outcome", "Outcome", [{ name: "hosts", title: "MX hosts", value: (r) => r.hosts }],
      keys.map((k) => ({ key: k, label: words(k), hosts: run.hostsByOutcome[k] })));
  }

  async function findings(runId) {
    const page = await api(`runs/${encodeURIComponent(runId)}/findings`, { top: 1000 });
    if (page.items.length === 0) {
      el("findings-table").textContent = "No findings in this run.";
      return;
    }
    table(el("findings-table"), "Best-practice findings", "Finding",
      [{ name: "domains", title: "Domains", value: (r) => r.domains }, { name: "hosts", title: "MX hosts", value: (r) => r.hosts }],
      page.items.map((f) => ({ key: f.code, domains: f.domains, hosts: f.hosts })));
  }

  async function changes(run, runs) {
    const older = runs.filter((r) => r.state === "completed" && r.startedUtc < run.startedUtc && r.runId !== run.runId);
    const container = el("changes");
    if (older.length === 0) {
      container.textContent = "No earlier completed run to compare with.";
      return;
    }
    const previous = older[0].runId;
    const cmp = await api(`runs/${encodeURIComponent(previous)}/compare/${encodeURIComponent(run.runId)}`);
    container.dataset.compared = `${previous}:${run.runId}`;
    if (cmp.transitions.length === 0) {
      container.textContent = `No domain changed state between ${previous} and ${run.runId} (${fmt(cmp.unchanged)} unchanged).`;
      return;
    }
    table(container, `Domains that changed state (all MX hosts), ${previous} → ${run.runId}; ${fmt(cmp.unchanged)} unchanged`, "Transition",
      [{ name: "domains", title: "Domains", value: (r) => r.domains }],
      cmp.transitions.map((t) => ({ key: t.transition, label: `${words(t.from)} → ${words(t.to)}`, domains: t.domains })));
  }

  async function lookup(runId, domain) {
    const out = el("lookup-result");
    out.replaceChildren();
    try {
      const record = await api(`runs/${encodeURIComponent(runId)}/domains/${encodeURIComponent(domain.trim())}`);
      const p = document.createElement("p");
      const strong = document.createElement("strong");
      strong.dataset.field = "status";
      strong.textContent = `${words(record.state)} (MX RRset ${record.mxSecurity}${record.surveyProtected ? ", survey-protected" : ""})`;
      p.append(`${record.domain} in run ${record.runId}: `, strong);
      const pre = document.createElement("pre");
      pre.id = "explanation";
      pre.textContent = record.explanation;
      out.append(p, pre);
    } catch (e) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = `Lookup failed: ${e.message}`;
      out.append(p);
    }
  }

  async function showRun(runId, runs) {
    setStatus(`Loading run ${runId}…`);
    const run = await api(`runs/${encodeURIComponent(runId)}`);
    const statuses = sortedStatuses(run.domainsByState);
    summary(run);
    outcomes(run);
    await Promise.all([
      counts(runId, "tld", "tld-chart", "tld-table", "Domains by TLD", "TLD", statuses),
      counts(runId, "mx-provider", "provider-chart", "provider-table", "Domains by MX provider (registrable domain of each primary MX host)", "MX provider", statuses),
      counts(runId, "tlsa-parameters", "tlsa-chart", "tlsa-table", "Domains by TLSA parameters", "Usage selector matching-type", statuses),
      counts(runId, "dane-usage", null, "usage-table", "Domains by DANE usage (DANE-EE, DANE-TA)", "Usages", statuses),
      counts(runId, "failure-result-type", "cause-chart", "cause-table", "Domains by failure cause (RFC 8460 result type)", "Result type", statuses),
      findings(runId),
      timeSeries(statuses),
      changes(run, runs),
    ]);
    setStatus(`Run ${run.runId}: ${fmt(run.domainsEnumerated)} domains.`);
    document.body.dataset.loadedRun = run.runId;
  }

  async function start() {
    el("openapi-link").href = apiUrl("openapi");
    const runs = (await api("runs", { top: 1000 })).items;
    const select = el("run");
    for (const r of runs) select.add(new Option(`${r.runId} (${r.state}, ${fmt(r.domains)} domains)`, r.runId));
    if (runs.length === 0) {
      setStatus("No runs yet: scan with `danescan scan` first.");
      return;
    }
    const wanted = pageParams.get("run");
    select.value = runs.some((r) => r.runId === wanted) ? wanted : runs[0].runId;
    select.addEventListener("change", () => showRun(select.value, runs).catch(fail));
    el("lookup-form").addEventListener("submit", (event) => {
      event.preventDefault();
      lookup(select.value, el("domain").value);
    });
    await showRun(select.value, runs);
  }

  function fail(e) {
    setStatus(`Could not load the statistics: ${e.message}`, true);
  }

  if (!window.Chart) {
    setStatus("Chart.js did not load (dashboard/chart.umd.min.js).", true);
  }
  start().catch(fail);
})();
