// Loads the dashboard from `danescan serve` in headless Chromium (Debian's, driven by puppeteer-core), reads
// the numbers the page shows and compares them with the API's answers, looks a domain up with the keyboard,
// checks labels of controls and charts, and fails on any console error, page error or failed request.
// Usage: node dashboard-check.cjs <base url> <chromium> <screenshot dir> <run id> <domain>
"use strict";
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const [base, chromium, shots, runId, domain] = process.argv.slice(2);
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };
const number = (text) => Number(String(text).replace(/[,\s]/g, ""));
const api = async (p) => (await fetch(new URL("api/" + p, base))).json();

async function tableRows(page, container) {
  return page.$$eval(`#${container} tbody tr`, (trs) => trs.map((tr) => ({
    key: tr.dataset.key,
    cells: Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.dataset.col, td.textContent])),
  })));
}

async function compareCounts(page, container, dimension) {
  const answer = await api(`runs/${runId}/breakdowns/${dimension}?top=1000`);
  const rows = await tableRows(page, container);
  check(rows.length === answer.items.length, `${dimension}: page shows ${rows.length} rows, API has ${answer.items.length}`);
  answer.items.forEach((item, i) => {
    const row = rows[i];
    if (!row) return;
    check(row.key === item.key, `${dimension} row ${i}: page ${row.key}, API ${item.key}`);
    check(number(row.cells.domains) === item.domains, `${dimension} ${item.key}: page ${row.cells.domains} domains, API ${item.domains}`);
    check(number(row.cells.surveyProtected) === item.surveyProtected, `${dimension} ${item.key}: page ${row.cells.surveyProtected} survey-comparable, API ${item.surveyProtected}`);
    for (const [status, n] of Object.entries(item.byState)) {
      check(number(row.cells[status]) === n, `${dimension} ${item.key} ${status}: page ${row.cells[status]}, API ${n}`);
    }
  });
  return answer.items.length;
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
  });
  const consoleErrors = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1366, height: 900 });
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "assert") consoleErrors.push(`console.${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => { if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()}: ${r.url()}`); });
    // Everything must come from the app itself (no CDN).
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) { consoleErrors.push(`request outside the app: ${r.url()}`); r.abort(); } else r.continue();
    });

    await page.goto(new URL(`?run=${encodeURIComponent(runId)}`, base).href, { waitUntil: "networkidle0" });
    await page.waitForSelector(`body[data-loaded-run="${runId}"]`, { timeout: 30000 });

    // The summary cards against GET /runs/{runId}.
    const run = await api(`runs/${runId}`);
    const fields = await page.$$eval("#summary dd[data-field]", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.field, d.textContent])));
    for (const f of ["domainsEnumerated", "hostsProbed", "domainsRejected"]) {
      check(number(fields[f]) === run[f], `summary ${f}: page ${fields[f]}, API ${run[f]}`);
    }
    const headline = await page.$$eval("#summary dd[data-headline]", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.headline, d.textContent])));
    for (const f of ["daneProtected", "trusted", "surveyProtected", "surveySigned"]) {
      check(number(headline[f]) === run.headline[f], `headline ${f}: page ${headline[f]}, API ${run.headline[f]}`);
    }
    const statuses = await page.$$eval("#summary dd[data-status]", (dds) => Object.fromEntries(dds.map((d) => [d.dataset.status, d.textContent])));
    check(Object.keys(statuses).sort().join() === Object.keys(run.domainsByState).sort().join(), `summary states: page ${Object.keys(statuses)}, API ${Object.keys(run.domainsByState)}`);
    for (const [s, n] of Object.entries(run.domainsByState)) check(number(statuses[s]) === n, `summary ${s}: page ${statuses[s]}, API ${n}`);

    // Breakdowns, findings, host outcomes, the time series.
    const tlds = await compareCounts(page, "tld-table", "tld");
    await compareCounts(page, "provider-table", "mx-provider");
    await compareCounts(page, "tlsa-table", "tlsa-parameters");
    await compareCounts(page, "usage-table", "dane-usage");
    const causes = await compareCounts(page, "cause-table", "failure-result-type");
    const findings = await api(`runs/${runId}/findings?top=1000`);
    const findingRows = await tableRows(page, "findings-table");
    check(findingRows.length === findings.items.length, `findings: page ${findingRows.length} rows, API ${findings.items.length}`);
    findings.items.forEach((f, i) => {
      const row = findingRows[i];
      check(row && row.key === f.code && number(row.cells.domains) === f.domains && number(row.cells.hosts) === f.hosts, `finding ${f.code}: page ${JSON.stringify(row)}, API ${JSON.stringify(f)}`);
    });
    const outcomes = await tableRows(page, "outcome-table");
    for (const [o, n] of Object.entries(run.hostsByOutcome)) {
      const row = outcomes.find((r) => r.key === o);
      check(row && number(row.cells.hosts) === n, `host outcome ${o}: page ${row?.cells.hosts}, API ${n}`);
    }
    const timeRows = await tableRows(page, "time-table");
    for (const s of Object.keys(run.domainsByState)) {
      const metric = s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
      const series = await api(`timeseries/${metric}`);
      check(timeRows.length === series.points.length, `time series ${metric}: page ${timeRows.length} runs, API ${series.points.length}`);
      series.points.forEach((p, i) => check(timeRows[i] && timeRows[i].key === p.runId && number(timeRows[i].cells[s]) === p.value, `time series ${metric} ${p.runId}: page ${JSON.stringify(timeRows[i])}, API ${p.value}`));
    }

    // Run-to-run changes against GET /runs/{previous}/compare/{run}.
    const compared = await page.$eval("#changes", (e) => e.dataset.compared || "");
    if (compared) {
      const [previous, current] = compared.split(":");
      const cmp = await api(`runs/${previous}/compare/${current}`);
      const changeRows = await tableRows(page, "changes");
      check(changeRows.length === cmp.transitions.length, `changes: page ${changeRows.length} transitions, API ${cmp.transitions.length}`);
      cmp.transitions.forEach((t, i) => check(changeRows[i] && changeRows[i].key === t.transition && number(changeRows[i].cells.domains) === t.domains,
        `transition ${t.transition}: page ${JSON.stringify(changeRows[i])}, API ${t.domains}`));
    } else {
      failures.push("changes: the page compared no runs though the lab has two");
    }

    // Accessibility basics: every control labelled, every chart described, the page has one h1 and a lang.
    const unlabelled = await page.$$eval("select, input, button", (els) => els.filter((e) => e.tagName === "BUTTON" ? !e.textContent.trim() : !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.id || e.outerHTML));
    check(unlabelled.length === 0, `controls without a label: ${unlabelled.join(", ")}`);
    const undescribed = await page.$$eval("canvas", (cs) => cs.filter((c) => c.getAttribute("role") !== "img" || !c.getAttribute("aria-label")).map((c) => c.id));
    check(undescribed.length === 0, `charts without role=img and aria-label: ${undescribed.join(", ")}`);
    check(await page.$eval("html", (h) => h.lang) === "en", "the page has no lang");

    // A full-page screenshot resizes the viewport: let the charts redraw at the new size before it is taken.
    await page.setViewport({ width: 1366, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await page.screenshot({ path: path.join(shots, "dashboard.png"), fullPage: true });
    await page.setViewport({ width: 1366, height: 900 });

    // The lookup, by keyboard only: Tab from the run selector's neighbourhood into the field, type, Enter.
    await page.focus("#domain");
    await page.keyboard.type(domain);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#explanation", { timeout: 15000 });
    const record = await api(`runs/${runId}/domains/${domain}`);
    const shown = await page.$eval("#explanation", (e) => e.textContent);
    check(shown === record.explanation, `lookup ${domain}: the page's explanation differs from the API's`);
    const lookup = await page.$("#lookup-h");
    await lookup.scrollIntoView();
    const section = await page.$("section[aria-labelledby=lookup-h]");
    await section.screenshot({ path: path.join(shots, "dashboard-lookup.png") });

    console.log(`dashboard: ${Object.keys(run.domainsByState).length} states, ${tlds} TLD rows, ${causes} failure-cause rows, ${findings.items.length} findings, ${timeRows.length} runs in the series compared with the API`);
  } finally {
    await browser.close();
  }
  for (const e of consoleErrors) failures.push(e);
  for (const f of failures) console.log(`FAIL: ${f}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

fs.mkdirSync(shots, { recursive: true });
main().catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
