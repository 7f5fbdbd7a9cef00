// Line charts drawn as SVG: axes with their extremes, one polyline per series, a legend. Each
// series' polyline carries `data-series` and `data-points` (the points it holds) for the tests.

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 12, top: 12, bottom: 36 };
/** Most vertices a polyline gets: longer series are thinned to every n-th point so a long run stays cheap to draw. */
const MAX_VERTICES = 2000;
const SVG = 'http://www.w3.org/2000/svg';

/**
 * Draws `series` ({ name, color, points: [x, y][] }) into `svg`, replacing what it held. `log`: a
 * base-10 y axis (points with y <= 0 are left out).
 */
export function drawLineChart(svg, { series, xLabel, yLabel, log = false }) {
  svg.replaceChildren();
  const shown = series.map((line) => ({ ...line, points: line.points.filter(([, y]) => Number.isFinite(y) && (!log || y > 0)) }));
  const all = shown.flatMap((line) => line.points);
  const ty = log ? Math.log10 : (y) => y;
  const [x0, x1] = extent(all.map(([x]) => x));
  const [y0, y1] = extent(all.map(([, y]) => ty(y)));
  const sx = (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * (WIDTH - MARGIN.left - MARGIN.right);
  const sy = (y) => HEIGHT - MARGIN.bottom - ((ty(y) - y0) / (y1 - y0)) * (HEIGHT - MARGIN.top - MARGIN.bottom);

  add(svg, 'rect', {
    x: MARGIN.left,
    y: MARGIN.top,
    width: WIDTH - MARGIN.left - MARGIN.right,
    height: HEIGHT - MARGIN.top - MARGIN.bottom,
    fill: 'none',
    stroke: '#d0d7de',
  });
  if (all.length > 0) {
    const yValue = (v) => (log ? 10 ** v : v);
    label(svg, MARGIN.left - 4, HEIGHT - MARGIN.bottom, format(yValue(y0)), 'end');
    label(svg, MARGIN.left - 4, MARGIN.top + 10, format(yValue(y1)), 'end');
    label(svg, MARGIN.left, HEIGHT - MARGIN.bottom + 14, format(x0), 'start');
    label(svg, WIDTH - MARGIN.right, HEIGHT - MARGIN.bottom + 14, format(x1), 'end');
  }
  label(svg, (WIDTH + MARGIN.left) / 2, HEIGHT - 4, xLabel, 'middle');
  const yTitle = label(svg, 14, (HEIGHT - MARGIN.bottom) / 2, yLabel, 'middle');
  yTitle.setAttribute('transform', `rotate(-90 14 ${(HEIGHT - MARGIN.bottom) / 2})`);

  shown.forEach((line, index) => {
    const stride = Math.ceil(line.points.length / MAX_VERTICES);
    const vertices = line.points.filter((_, i) => i % stride === 0 || i === line.points.length - 1);
    add(svg, 'polyline', {
      points: vertices.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '),
      fill: 'none',
      stroke: line.color,
      'stroke-width': 1.5,
      'data-series': line.name,
      'data-points': line.points.length,
    });
    const legendY = MARGIN.top + 14 + index * 14;
    add(svg, 'line', { x1: WIDTH - 150, x2: WIDTH - 134, y1: legendY - 4, y2: legendY - 4, stroke: line.color, 'stroke-width': 2 });
    label(svg, WIDTH - 130, legendY, `${line.name} (${line.points.length})`, 'start');
  });
}

/** [min, max] of `values`, widened when they are all equal (or there are none) so that scales never divide by zero. */
function extent(values) {
  if (values.length === 0) return [0, 1];
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min === max ? [min - 0.5, max + 0.5] : [min, max];
}

function format(value) {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 0.01 || magnitude >= 1e5)) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

function add(svg, tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  svg.append(element);
  return element;
}

function label(svg, x, y, text, anchor) {
  const element = add(svg, 'text', { x, y, 'text-anchor': anchor, 'font-size': 11, fill: '#57606a' });
  element.textContent = text;
  return element;
}
