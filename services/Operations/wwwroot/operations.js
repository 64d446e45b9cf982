// The operators' page: reads /api/overview every 5 s and draws it. Text from the broker and the services (fault messages,
// queue names) goes in as text, never as HTML.
"use strict";

const refreshMs = 5000;

async function call(method, url) {
  const response = await fetch(url, { method, headers: { "X-Operations-Page": "1" }, credentials: "same-origin" });
  if (response.status === 401) { location.reload(); throw new Error("signed out"); } // the session ended: sign in again
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || `${method} ${url}: ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function emptyRow(body, columns, text) {
  const row = body.insertRow();
  row.className = "empty";
  const td = cell(row, text);
  td.colSpan = columns;
}

function seconds(value) {
  if (value < 1) return "0 s";
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${Math.round(value / 3600)} h`;
}

function drawLag(svg, minutes) {
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const top = Math.max(10, ...minutes.map(m => m.maxMilliseconds));
  const width = 600 / minutes.length, height = 100;
  minutes.forEach((m, i) => {
    if (m.delivered === 0) return;
    const bar = document.createElementNS(ns, "rect");
    const h = Math.max(1, m.meanMilliseconds / top * height);
    bar.setAttribute("x", i * width + 1); bar.setAttribute("width", width - 2);
    bar.setAttribute("y", height - h + 10); bar.setAttribute("height", h);
    const title = document.createElementNS(ns, "title");
    title.textContent = `${new Date(m.minute).toLocaleTimeString()}: ${m.delivered} delivered, mean ${m.meanMilliseconds.toFixed(1)} ms, max ${m.maxMilliseconds.toFixed(1)} ms`;
    bar.appendChild(title);
    svg.appendChild(bar);
    const tick = document.createElementNS(ns, "line");
    const y = height - m.maxMilliseconds / top * height + 10;
    tick.setAttribute("class", "max");
    tick.setAttribute("x1", i * width + 1); tick.setAttribute("x2", (i + 1) * width - 1);
    tick.setAttribute("y1", y); tick.setAttribute("y2", y);
    svg.appendChild(tick);
  });
  const delivered = minutes.reduce((n, m) => n + m.delivered, 0);
  const worst = Math.max(0, ...minutes.map(m => m.maxMilliseconds));
  svg.parentElement.querySelector(".lag-summary").textContent = delivered === 0
    ? "nothing delivered in the last hour"
    : `${delivered} delivered in the hour · slowest ${worst.toFixed(0)} ms · chart top ${top.toFixed(0)} ms`;
}

function drawParked(body, service, parked) {
  body.replaceChildren();
  if (parked.length === 0) return emptyRow(body, 6, "none");
  for (const unit of parked) {
    const row = body.insertRow();
    row.dataset.outboxId = unit.outboxId;
    cell(row, unit.outboxId);
    cell(row, new Date(unit.parked).toLocaleString());
    cell(row, unit.deliveryAttempts, "number");
    cell(row, unit.messages, "number");
    cell(row, unit.lastError ?? "", "error");
    const button = document.createElement("button");
    button.textContent = "Release";
    button.onclick = () => act(button, () => call("POST", `/api/services/${encodeURIComponent(service)}/parked/${unit.outboxId}/release`),
      () => `Released ${unit.outboxId}: the relay delivers it now.`);
    row.insertCell().appendChild(button);
  }
}

function drawQueues(body, queues) {
  body.replaceChildren();
  if (queues.length === 0) return emptyRow(body, 3, "none");
  for (const queue of queues) {
    const row = body.insertRow();
    row.dataset.queue = queue.name;
    cell(row, queue.name);
    cell(row, queue.messages, "number");
    cell(row, queue.consumers, queue.consumers === 0 ? "number warn" : "number");
  }
}

function drawErrorQueues(body, queues) {
  body.replaceChildren();
  if (queues.length === 0) return emptyRow(body, 3, "none");
  for (const queue of queues) {
    const row = body.insertRow();
    row.dataset.queue = queue.name;
    const name = cell(row, queue.name);
    cell(row, queue.messages, queue.messages > 0 ? "number problem" : "number");
    const actions = row.insertCell();
    if (queue.messages === 0) { shownFaults.delete(queue.name); continue; }
    if (shownFaults.has(queue.name)) name.appendChild(faultList(shownFaults.get(queue.name)));
    // The first messages' faults on request: each look returns them to the queue, which a quorum queue counts as a delivery.
    const show = document.createElement("button");
    show.textContent = "Show faults";
    show.onclick = async () => {
      shownFaults.set(queue.name, await call("GET", `/api/error-queues/${encodeURIComponent(queue.name)}/messages?count=5`));
      await refresh();
    };
    const redrive = document.createElement("button");
    redrive.textContent = "Redrive";
    redrive.onclick = () => act(redrive, () => call("POST", `/api/error-queues/${encodeURIComponent(queue.name)}/redrive`),
      r => `Moved ${r.moved} from ${queue.name}; ${r.left} left.` + (r.stoppedBecause ? ` Stopped: ${r.stoppedBecause}` : ""));
    actions.append(show, " ", redrive);
  }
}

// The faults an operator asked to see, by error queue: kept on screen across refreshes until the queue is empty.
const shownFaults = new Map();

function faultList(faults) {
  const list = document.createElement("ul");
  list.className = "faults";
  for (const f of faults) {
    const item = document.createElement("li");
    item.textContent = `${f.faultedAt ?? "?"} ${f.messageType ?? ""} ${f.messageId ?? ""}: ${f.exceptionType ?? "?"}: ${f.exceptionMessage ?? ""}`;
    list.appendChild(item);
  }
  return list;
}

async function act(button, action, said) {
  button.disabled = true;
  try {
    const result = await action();
    document.getElementById("status").textContent = said(result);
  } catch (e) {
    document.getElementById("status").textContent = `Failed: ${e.message}`;
  }
  await refresh();
}

async function refresh() {
  let overview;
  try {
    overview = await call("GET", "/api/overview");
  } catch (e) {
    document.getElementById("status").textContent = `Could not read the overview: ${e.message}`;
    return;
  }
  document.getElementById("operator").textContent = `Signed in as ${overview.operator}`;
  const brokerProblem = document.getElementById("broker-problem");
  brokerProblem.hidden = !overview.brokerProblem;
  brokerProblem.textContent = overview.brokerProblem ? `The broker's management API did not answer: ${overview.brokerProblem}` : "";
  const main = document.getElementById("services");
  for (const service of overview.services) {
    let card = main.querySelector(`section[data-service="${CSS.escape(service.name)}"]`);
    if (!card) {
      card = document.getElementById("service-card").content.firstElementChild.cloneNode(true);
      card.dataset.service = service.name;
      card.querySelector(".name").textContent = service.name;
      card.querySelector("svg.lag").setAttribute("aria-label", `${service.name}: delivery lag per minute over the last hour`);
      main.appendChild(card);
    }
    const problem = card.querySelector(".problem");
    problem.hidden = !service.outbox.problem;
    problem.textContent = service.outbox.problem ? `The service did not answer: ${service.outbox.problem}` : "";
    const o = service.outbox.outbox;
    card.querySelector(".pending").textContent = o ? o.pending : "?";
    card.querySelector(".oldest").textContent = o ? seconds(o.oldestPendingAgeSeconds) : "?";
    card.querySelector(".scheduled").textContent = o ? o.scheduled : "?";
    card.querySelector(".parked-count").textContent = o ? o.parked : "?";
    drawLag(card.querySelector("svg.lag"), o ? o.lagLastHour : []);
    drawParked(card.querySelector("table.parked tbody"), service.name, service.outbox.parked);
    drawQueues(card.querySelector("table.queues tbody"), service.queues);
    drawErrorQueues(card.querySelector("table.error-queues tbody"), service.errorQueues);
  }
  document.getElementById("status").dataset.updated = overview.at;
  if (document.getElementById("status").textContent === "Loading…")
    document.getElementById("status").textContent = "";
}

async function loop() {
  await refresh();
  setTimeout(loop, refreshMs);
}

loop();
