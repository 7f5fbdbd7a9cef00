import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite → SVG (vega, headless: renderer 'none') → PNG (resvg). The SVG carries its text as
 * text; the PNG needs a font file. resvg draws no text at all when it finds no font (silently), so
 * the fonts are looked for in this order: the `dejavu-fonts-ttf` npm package (same glyphs on every
 * machine), then the system's fonts. `pngFonts().carriesText` tells whether the PNGs will have text.
 */

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG of an SVG at `scale` × its size (2: sharp on high-density screens and in print). */
export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, { font: pngFonts().options, background: 'white', fitTo: { mode: 'zoom', value: scale } }).render().asPng();
}

export interface PngFonts {
  options: NonNullable<ResvgRenderOptions['font']>;
  /** Where the glyphs come from, for the report's log. */
  source: string;
  /** False when resvg found no font: the PNGs then have no text (the SVGs still do). */
  carriesText: boolean;
}

let fonts: PngFonts | null = null;

export function pngFonts(): PngFonts {
  fonts ??= findFonts();
  return fonts;
}

function findFonts(): PngFonts {
  const packaged = packagedDejaVu();
  if (packaged.length > 0) {
    const options = { loadSystemFonts: false, fontFiles: packaged, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
    return { options, source: `dejavu-fonts-ttf (${dirname(packaged[0])})`, carriesText: drawsText(options) };
  }
  const options = { loadSystemFonts: true };
  const carriesText = drawsText(options);
  return { options, source: carriesText ? 'system fonts' : 'none found', carriesText };
}

function packagedDejaVu(): string[] {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json'));
    return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => join(root, 'ttf', file)).filter((path) => existsSync(path));
  } catch {
    // Not installed: the system's fonts are the fallback.
    return [];
  }
}

/** Whether resvg renders a glyph with these font options: text without a font leaves no bounding box. */
function drawsText(options: NonNullable<ResvgRenderOptions['font']>): boolean {
  const probe =
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text x="2" y="15" font-family="sans-serif" font-size="12">Mg</text></svg>';
  return new Resvg(probe, { font: options }).getBBox() !== undefined;
}
