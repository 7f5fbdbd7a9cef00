// The dashboard page: the runs of the database (address without a hash) or one run (`#run=ID`),
// kept up to date by the server's event stream (/api/live). The token robo-train dashboard printed
// comes in the address (`?token=`) and is kept for this tab: only the e-stop button needs it.
import { drawLineChart } from './charts.js';

const TOKEN_KEY = 'robo-train-dashboard-token';
const fromAddress = new URLSearchParams(location.search).get('token');
if (fromAddress !== null) sessionStorage.setItem(TOKEN_KEY, fromAddress);
const token = sessionStorage.getItem(TOKEN_KEY);

const $ = (selector) => document.querySelector(selector);
let source = null;
/** The run page's data: what the stream sent since it (re)connected. */
let view = null;

window.addEventListener('hashchange', show);
show();

function show() {
  source?.close();
  const match = /^#run=(\d+)$/.exec(location.hash);
  const run = match === null ? null : Number(match[1]);
  $('#runs-view').hidden = run !== null;
  $('#run-view').hidden = run === null;
  view = run === null ? null : { run, row: null, episodes: [], events: [], trainings: [] };
  source = new EventSource(run === null ? '/api/live' : `/api/live?run=${run}`);
  source.addEventListener('open', () => {
    setConnection('live', true);
    // The stream starts over from the first episode after every reconnection.
    if (view !== null) view = { ...view, episodes: [], events: [] };
  });
  source.addEventListener('error', () => setConnection('reconnecting', false));
  source.addEventListener('runs', (event) => renderRuns(JSON.parse(event.data)));
  source.addEventListener('run', (event) => {
    const update = JSON.parse(event.data);
    view.row = update.run;
    view.episodes.push(...update.episodes);
    view.events.push(...update.events);
    renderRun();
  });
  source.addEventListener('trainings', (event) => {
    if (view === null) return;
    view.trainings = JSON.parse(event.data);
    renderState();
  });
  source.addEventListener('missing', (event) => {
    $('#run-title').textContent = `No run ${JSON.parse(event.data).run} in this database`;
  });
}

function setConnection(text, live) {
  $('#connection').textContent = text;
  $('#connection').classList.toggle('live', live);
}

function renderRuns(runs) {
  $('#runs tbody').replaceChildren(
    ...runs.map((run) =>
      row([
        link(String(run.run), `#run=${run.run}`),
        run.name,
        run.status,
        run.source,
        run.robot,
        run.noise,
        run.interval === -1 ? 'episode' : String(run.interval),
        number(run.episodes),
        number(run.mean_return),
        number(run.mean_raw_continuity_cost),
        number(run.mean_continuity_cost),
      ]),
    ),
  );
}

function renderRun() {
  const { row: run, episodes, events } = view;
  $('#run-title').textContent = `Run ${run.id}: ${run.name}`;
  $('#run-facts').textContent =
    `${run.status} · ${run.source} · ${run.robot} · ${run.task} · ${run.algo} · noise ${run.noise} every ` +
    `${run.noise_interval === -1 ? 'episode' : `${run.noise_interval} steps`} · seed ${run.seed} · ${episodes.length} episodes ended`;
  const training = episodes.filter((episode) => !episode.evaluation);
  drawLineChart($('#returns'), {
    xLabel: 'training steps',
    yLabel: 'return',
    series: [
      { name: 'training', color: '#0969da', points: training.map((e) => [e.trainingSteps, e.return]) },
      { name: 'evaluation', color: '#bf3989', points: episodes.filter((e) => e.evaluation).map((e) => [e.trainingSteps, e.return]) },
    ],
  });
  drawLineChart($('#continuity'), {
    xLabel: 'episode',
    yLabel: 'continuity cost %',
    log: true,
    series: [
      { name: 'raw', color: '#9a6700', points: training.map((e) => [e.episode, e.rawContinuityCost]) },
      { name: 'applied', color: '#1a7f37', points: training.map((e) => [e.episode, e.continuityCost]) },
    ],
  });
  const byLimit = new Map();
  for (const episode of training) {
    for (const [limit, steps] of Object.entries(episode.safetyClips)) byLimit.set(limit, (byLimit.get(limit) ?? 0) + steps);
  }
  $('#interventions tbody').replaceChildren(
    ...[...byLimit].sort((a, b) => b[1] - a[1]).map(([limit, steps]) => row([limit, number(steps)])),
  );
  $('#events tbody').replaceChildren(
    ...events
      .slice(-50)
      .reverse()
      .map((event) => row([event.at.slice(11, 19), event.episode === null ? '' : String(event.episode), event.kind, event.detail])),
  );
  renderState();
}

/** The robot's state and the e-stop buttons, from the training's control socket (when it runs on this machine). */
function renderState() {
  if (view.row === null) return;
  const training = view.trainings.find((candidate) => candidate.run === view.run);
  let state;
  if (training !== undefined) state = training.estop === null ? 'running' : `e-stopped (${training.estop})`;
  else if (view.row.status === 'running') state = 'running on another machine (no e-stop from here)';
  else state = `not running (${view.row.status})`;
  $('#robot-state').textContent = state;
  const latched = training !== undefined && training.estop !== null;
  $('#estop').disabled = token === null || training === undefined || latched;
  $('#clear').disabled = token === null || !latched;
  if (token === null && training !== undefined) {
    $('#control-message').textContent = 'open the address robo-train dashboard printed (with its token) to use the e-stop';
  }
}

for (const [button, action] of [
  ['#estop', 'estop'],
  ['#clear', 'clear'],
]) {
  $(button).addEventListener('click', async () => {
    const response = await fetch(`/api/runs/${view.run}/${action}`, { method: 'POST', headers: { 'x-dashboard-token': token } });
    const body = await response.json();
    $('#control-message').textContent = response.ok ? (action === 'estop' ? 'e-stop latched' : 'e-stop cleared') : body.error;
  });
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else if (typeof cell === 'object' && cell !== null) {
      td.textContent = cell.text;
      td.className = 'number';
    } else td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

function link(text, href) {
  const a = document.createElement('a');
  a.textContent = text;
  a.href = href;
  return a;
}

function number(value) {
  return { text: value === null ? '' : Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4))) };
}
