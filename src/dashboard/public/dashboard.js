// The dashboard page: the runs of the database (address without a hash) or one run (`#run=ID`),
// kept up to date by the server's event stream (/api/live). The token the dashboard printed at start
// comes in the address (`?token=`) and is kept for this tab: only the e-stop button needs it.
import { Chart } from './charts.js';

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
void focus();

function show() {
  source?.close();
  source = null;
  const compared = /^#compare=(\d+(?:,\d+)*)$/.exec(location.hash);
  $('#compare-view').hidden = compared === null;
  if (compared !== null) {
    $('#runs-view').hidden = true;
    $('#run-view').hidden = true;
    setConnection('not live', false);
    void renderCompare(compared[1].split(',').map(Number));
    return;
  }
  const match = /^#run=(\d+)$/.exec(location.hash);
  const run = match === null ? null : Number(match[1]);
  $('#runs-view').hidden = run !== null;
  $('#run-view').hidden = run === null;
  view = run === null ? null : emptyView(run, []);
  source = new EventSource(run === null ? '/api/live' : `/api/live?run=${run}`);
  source.addEventListener('open', () => {
    setConnection('live', true);
    // The stream starts over from the first episode after every reconnection.
    if (view !== null) view = emptyView(view.run, view.trainings);
  });
  source.addEventListener('error', () => setConnection('reconnecting', false));
  source.addEventListener('runs', (event) => renderRuns(JSON.parse(event.data)));
  source.addEventListener('run', (event) => renderUpdate(JSON.parse(event.data)));
  source.addEventListener('trainings', (event) => {
    if (view === null) return;
    view.trainings = JSON.parse(event.data);
    renderState();
  });
  source.addEventListener('missing', (event) => {
    $('#run-title').textContent = `No run ${JSON.parse(event.data).run} in this database`;
  });
}

function emptyView(run, trainings) {
  return {
    run,
    row: null,
    liveness: null,
    episodes: [],
    events: [],
    trainings,
    charts: null,
    link: { steps: 0, stale: 0, clipped: 0, estop: 0, periods: [] },
  };
}

/** The dashboard of a training opens on its run, once the run exists. */
async function focus() {
  while (location.hash === '') {
    const { run, training } = await (await fetch('/api/focus')).json();
    if (!training) return;
    if (run !== null) {
      location.hash = `#run=${run}`;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
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
        run.liveness?.state === 'stale' ? 'stale' : run.status,
        processText(run.liveness),
        run.source,
        run.robot,
        run.noise,
        run.interval === -1 ? 'episode' : String(run.interval),
        number(run.episodes),
        number(run.mean_return),
        number(run.mean_raw_continuity_cost),
        number(run.mean_continuity_cost),
        compareBox(run.run),
      ]),
    ),
  );
  updateCompareLink();
}

/**
 * Where the process of a run it did not close stands (see src/dashboard/liveness.ts): on this machine
 * with how to stop it, on another machine, stale, or gone. Empty for a closed run.
 */
function processText(liveness) {
  if (liveness === null) return '';
  const { state, host, pid, heartbeatAt } = liveness;
  const since = `no heartbeat since ${heartbeatAt.slice(0, 19).replace('T', ' ')} UTC`;
  if (state === 'here') return `this machine, process ${pid}: stop it with kill -INT ${pid} (as Ctrl-C)`;
  if (state === 'elsewhere') return `${host}, process ${pid} there: stop it on that machine`;
  if (state === 'stale') {
    return liveness.thisMachine
      ? `process ${pid} on this machine, ${since}: hung, or the pid was reused by another program`
      : `${host}, process ${pid}, ${since}: probably crashed, or its host is down`;
  }
  return liveness.thisMachine ? `process ${pid} on this machine is gone` : `${host}, process ${pid}, ${since}: given up on`;
}

/** Runs ticked for comparison, kept while the runs list is redrawn. */
const ticked = new Set();

function compareBox(run) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = ticked.has(run);
  box.dataset.run = String(run);
  box.addEventListener('change', () => {
    if (box.checked) ticked.add(run);
    else ticked.delete(run);
    updateCompareLink();
  });
  return box;
}

function updateCompareLink() {
  $('#compare-link').href = `#compare=${[...ticked].sort((a, b) => a - b).join(',')}`;
}

/** Colours of the compared runs, in the order of the address. */
const RUN_COLORS = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#9a6700', '#bf3989'];

/**
 * Runs side by side (a robot next to its twin, one noise next to another): training and evaluation
 * returns over training steps, continuity cost per episode, on shared axes. A finished snapshot: reload to update.
 */
async function renderCompare(ids) {
  const runs = await Promise.all(ids.map(async (id) => (await fetch(`/api/runs/${id}/episodes`)).json()));
  const found = runs.filter((entry) => entry.run !== undefined);
  $('#compare-title').textContent =
    `Compare ${found.map(({ run }) => `run ${run.id} (${run.source}, ${run.robot}, ${run.noise})`).join(' · ')}`;
  const charts = $('#compare-charts');
  charts.replaceChildren();
  const series = found.map(({ run }, i) => ({
    label: `run ${run.id} ${run.source} ${run.noise}`,
    stroke: RUN_COLORS[i % RUN_COLORS.length],
  }));
  const returns = (evaluation) => found.map(({ episodes }) => episodes.filter((e) => e.evaluation === evaluation));
  const shared = (perRun, x, y) => {
    // uPlot draws every series over one x column: the union of the runs' x, a gap where a run has no point.
    const xs = [...new Set(perRun.flatMap((episodes) => episodes.map(x)))].sort((a, b) => a - b);
    return [
      xs,
      perRun.map((episodes) => {
        const at = new Map(episodes.map((e) => [x(e), y(e)]));
        return xs.map((value) => at.get(value) ?? null);
      }),
    ];
  };
  for (const [title, xLabel, perRun, x, y, log] of [
    ['Training return', 'training steps', returns(false), (e) => e.trainingSteps, (e) => e.return, false],
    ['Evaluation return', 'training steps', returns(true), (e) => e.trainingSteps, (e) => e.return, false],
    [
      'Continuity cost applied per training episode, % (log)',
      'episode',
      returns(false),
      (e) => e.episode,
      (e) => positive(e.continuityCost),
      true,
    ],
  ]) {
    const chart = new Chart(charts, { title, xLabel, series, log });
    chart.set(...shared(perRun, x, y));
  }
}

/** Colours of the joints' traces and of the curves. */
const COLORS = {
  position: '#0969da',
  command: '#1a7f37',
  rawAction: '#9a6700',
  noise: '#bf3989',
  evaluation: '#8250df',
  marker: 'rgba(207, 34, 46, 0.25)',
};
/** Steps a joint's live trace keeps: 20 s at 100 Hz. */
const TRACE_POINTS = 2000;
/** Event kinds of the link between the host and the robot. */
const LINK_EVENTS = ['fault', 'reconnect', 'watchdog', 'link_lost', 'stale_state', 'store'];

/** The run page's charts, made when its first update arrives; the joints' traces when its first steps arrive (see jointCharts). */
function makeCharts() {
  const charts = $('#charts');
  charts.replaceChildren();
  return {
    returns: new Chart(charts, {
      title: 'Return per episode',
      xLabel: 'training steps',
      series: [
        { label: 'training', stroke: COLORS.position },
        { label: 'evaluation', stroke: COLORS.evaluation },
      ],
    }),
    continuity: new Chart(charts, {
      title: 'Continuity cost per training episode, % (log)',
      xLabel: 'episode',
      log: true,
      series: [
        { label: 'raw', stroke: COLORS.rawAction },
        { label: 'applied', stroke: COLORS.command },
      ],
    }),
    wear: null,
    joints: null,
  };
}

/**
 * One trace chart per driven joint, made from the first steps the stream sends: how many joints a
 * step carries is known from its rows, and a page opened before the run's first step was committed
 * gets them with a later update.
 */
function jointCharts(run, traces) {
  const everyStep = run.noise_interval === 1;
  $('#traces-caption').textContent =
    'Live traces of each joint at the control rate: position and command [rad] (left axis), raw action and exploration noise (right axis, policy units); ' +
    (everyStep
      ? 'the noise is resampled at every step.'
      : 'red lines: the noise was resampled (first step of an episode and every interval).');
  $('#traces').replaceChildren();
  return traces.joints.map(
    (_, j) =>
      new Chart($('#traces'), {
        title: `Joint ${run.joint_names[j] ?? j}`,
        xLabel: 'run step',
        maxPoints: TRACE_POINTS,
        markerColor: everyStep ? null : COLORS.marker,
        series: [
          { label: 'position', stroke: COLORS.position },
          { label: 'command', stroke: COLORS.command },
          { label: 'raw action', stroke: COLORS.rawAction, scale: 'y2' },
          { label: 'noise', stroke: COLORS.noise, scale: 'y2' },
        ],
      }),
  );
}

function renderUpdate(update) {
  const { run } = update;
  if (view.charts === null) {
    $('#traces').replaceChildren(Object.assign(document.createElement('p'), { textContent: 'no steps yet' }));
    view.charts = makeCharts();
  }
  view.row = run;
  view.liveness = update.liveness;
  view.episodes.push(...update.episodes);
  view.events.push(...update.events);
  const { charts, episodes } = view;
  $('#run-title').textContent = `Run ${run.id}: ${run.name}`;
  $('#run-facts').textContent =
    `${run.status} · ${run.source} · ${run.robot} · ${run.task} · ${run.algo} · noise ${run.noise} every ` +
    `${run.noise_interval === -1 ? 'episode' : `${run.noise_interval} steps`} · seed ${run.seed} · ${episodes.length} episodes ended`;

  const training = update.episodes.filter((episode) => !episode.evaluation);
  charts.returns.append(
    update.episodes.map((e) => e.trainingSteps),
    [update.episodes.map((e) => (e.evaluation ? null : e.return)), update.episodes.map((e) => (e.evaluation ? e.return : null))],
  );
  charts.continuity.append(
    training.map((e) => e.episode),
    [training.map((e) => positive(e.rawContinuityCost)), training.map((e) => positive(e.continuityCost))],
  );
  const worn = training.filter((e) => e.meanAbsCurrentA !== null || e.peakTemperatureC !== null);
  if (worn.length > 0) {
    charts.wear ??= new Chart($('#charts'), {
      title: 'Wear per training episode (servo telemetry)',
      xLabel: 'episode',
      series: [
        { label: 'mean |current| A', stroke: COLORS.command },
        { label: 'peak temperature °C', stroke: COLORS.noise, scale: 'y2' },
      ],
    });
    charts.wear.append(
      worn.map((e) => e.episode),
      [worn.map((e) => e.meanAbsCurrentA), worn.map((e) => e.peakTemperatureC)],
    );
  }
  if (update.traces !== null) renderTraces(run, update.traces);

  const byLimit = new Map();
  for (const episode of episodes) {
    if (episode.evaluation) continue;
    for (const [limit, steps] of Object.entries(episode.safetyClips)) byLimit.set(limit, (byLimit.get(limit) ?? 0) + steps);
  }
  $('#interventions tbody').replaceChildren(
    ...[...byLimit].sort((a, b) => b[1] - a[1]).map(([limit, steps]) => row([limit, number(steps)])),
  );
  $('#events tbody').replaceChildren(
    ...view.events
      .slice(-50)
      .reverse()
      .map((event) => row([event.at.slice(11, 19), event.episode === null ? '' : String(event.episode), event.kind, event.detail])),
  );
  renderLink();
  renderState();
}

function renderTraces(run, traces) {
  view.charts.joints ??= jointCharts(run, traces);
  view.charts.joints.forEach((chart, j) => {
    const joint = traces.joints[j];
    chart.addMarkers(traces.resampledAt);
    chart.append(traces.x, [joint.position, joint.command, joint.rawAction, joint.noise]);
  });
  const link = view.link;
  link.steps += traces.x.length;
  link.stale += traces.staleSteps;
  link.clipped += traces.clippedSteps;
  link.estop += traces.estopSteps;
  // Tick periods from the device's clock, within an episode: the spread of the control rate the robot saw.
  for (let i = 1; i < traces.x.length; i++) {
    if (traces.episode[i] === traces.episode[i - 1]) link.periods.push(traces.deviceTimeS[i] - traces.deviceTimeS[i - 1]);
  }
  if (link.periods.length > TRACE_POINTS) link.periods.splice(0, link.periods.length - TRACE_POINTS);
}

/** Link health: stale states, tick periods, and the link's events. */
function renderLink() {
  const link = view.link;
  const sorted = [...link.periods].sort((a, b) => a - b);
  const quantile = (q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 1000);
  const counts = new Map(LINK_EVENTS.map((kind) => [kind, 0]));
  for (const event of view.events) if (counts.has(event.kind)) counts.set(event.kind, counts.get(event.kind) + 1);
  $('#link tbody').replaceChildren(
    row(['steps seen live', number(link.steps)]),
    row(['stale states (robot held)', number(link.stale)]),
    row(['steps clipped by safety', number(link.clipped)]),
    row(['steps under e-stop', number(link.estop)]),
    row(['tick period p50 [ms]', number(quantile(0.5))]),
    row(['tick period p99 [ms]', number(quantile(0.99))]),
    ...[...counts].map(([kind, count]) => row([`${kind} events`, number(count)])),
    ...linkFigures(view.events.findLast((event) => event.kind === 'link')),
  );
}

/**
 * The link figures a robot on the firmware protocol stores at each stop (a `link` event, see
 * DeviceRobot's LinkReport): tick latency, skipped states, lost and rejected frames, reconnects.
 */
function linkFigures(event) {
  if (event === undefined) return [];
  const report = JSON.parse(event.detail);
  const rejected = Object.values(report.session.rejectedFrames).reduce((sum, count) => sum + count, 0);
  return [
    row([`at the last stop (${event.at.slice(11, 19)}): tick latency p50 / p99 / max [ms]`, figures(report.tick)]),
    row(['ticks later than the period', number(report.tick.missed)]),
    row(['skipped states', number(report.skippedStates)]),
    row(['lost frames', number(report.session.lostFrames)]),
    row(['rejected frames', number(rejected)]),
    row(['reconnects', number(Math.max(0, report.session.sessions - 1))]),
  ];
}

function figures(latency) {
  return { text: [latency.p50Ms, latency.p99Ms, latency.maxMs].map((ms) => String(Number(ms.toPrecision(3)))).join(' / ') };
}

function positive(value) {
  return value !== null && value > 0 ? value : null;
}

/** The robot's state and the e-stop buttons, from the training's control socket (when it runs on this machine). */
function renderState() {
  if (view.row === null) return;
  const training = view.trainings.find((candidate) => candidate.run === view.run);
  let state;
  const liveness = view.liveness;
  if (training !== undefined) state = training.estop === null ? (training.phase ?? 'starting') : `e-stopped (${training.estop})`;
  else if (liveness?.state === 'here') state = 'running on this machine (its training does not answer the dashboard: no e-stop from here)';
  else if (liveness?.state === 'elsewhere') state = `running on ${liveness.host} (no e-stop from here)`;
  else if (liveness?.state === 'stale') state = 'stale (no heartbeat)';
  else state = `not running (${view.row.status})`;
  $('#robot-state').textContent = state;
  $('#run-process').textContent = processText(liveness);
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
