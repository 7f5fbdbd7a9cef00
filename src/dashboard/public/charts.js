// Time-series charts on canvas with uPlot (served by the dashboard from the uplot package). A chart
// keeps its own columns, appends what the stream sends, and keeps at most `maxPoints` (a live trace
// is a window that slides: its memory stays flat however long the page is open). The chart's
// element carries `data-points` (the points it holds) for the tests.
import uPlot from '/uPlot.esm.js';

const WIDTH = 640;
const HEIGHT = 240;

export class Chart {
  /**
   * `series`: [{ label, stroke, scale? }]; `scales`: uPlot scales (a `y2` scale gets an axis on the
   * right); `log`: base-10 y scale; `markers`: draw vertical lines at the x of `setMarkers`.
   */
  constructor(parent, { title, xLabel, series, scales = {}, log = false, maxPoints = Infinity, markerColor = null }) {
    this.element = document.createElement('figure');
    this.element.dataset.points = '0';
    this.element.dataset.title = title;
    parent.append(this.element);
    this.maxPoints = maxPoints;
    this.columns = [[], ...series.map(() => [])];
    this.markers = [];
    const axes = [{ label: xLabel }, { label: series.find((line) => (line.scale ?? 'y') === 'y')?.label ?? '' }];
    if (series.some((line) => line.scale === 'y2')) axes.push({ scale: 'y2', side: 1, grid: { show: false } });
    const draw = markerColor === null ? [] : [(plot) => this.drawMarkers(plot, markerColor)];
    this.plot = new uPlot(
      {
        title,
        width: WIDTH,
        height: HEIGHT,
        scales: { x: { time: false }, ...(log ? { y: { distr: 3 } } : {}), ...scales },
        axes,
        series: [
          { label: xLabel },
          ...series.map((line) => ({ label: line.label, stroke: line.stroke, scale: line.scale ?? 'y', width: 1.5, spanGaps: true })),
        ],
        hooks: { draw },
      },
      this.columns,
      this.element,
    );
  }

  /** Appends points: `x` ascending, `ys[i]` the values of series i (null: no value there). */
  append(x, ys) {
    if (x.length === 0) return;
    this.columns[0].push(...x);
    ys.forEach((values, i) => this.columns[i + 1].push(...values));
    const excess = this.columns[0].length - this.maxPoints;
    if (excess > 0) for (const column of this.columns) column.splice(0, excess);
    this.redraw();
  }

  /** Replaces every point. */
  set(x, ys) {
    this.columns = [x, ...ys];
    this.redraw();
  }

  /** Vertical lines at these x (those left of the window are dropped). */
  addMarkers(xs) {
    this.markers.push(...xs);
    const first = this.columns[0][0];
    if (first !== undefined) this.markers = this.markers.filter((x) => x >= first);
  }

  get points() {
    return this.columns[0].length;
  }

  redraw() {
    this.plot.setData(this.columns);
    this.element.dataset.points = String(this.columns[0].length);
  }

  drawMarkers(plot, color) {
    const { ctx } = plot;
    const { top, height } = plot.bbox;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const x of this.markers) {
      const px = Math.round(plot.valToPos(x, 'x', true));
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + height);
    }
    ctx.stroke();
    ctx.restore();
  }
}
