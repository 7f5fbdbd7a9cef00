/** Plain-text tables for the terminal: right-aligned numbers, left-aligned text, `-` for missing values. */
export type Cell = string | number | null | undefined;

export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map(formatCell));
  const numeric = headers.map((_, column) =>
    rows.every((row) => row[column] === null || row[column] === undefined || typeof row[column] === 'number'),
  );
  const widths = headers.map((header, column) => Math.max(header.length, ...text.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...text.map(line)].join('\n');
}

export function formatCell(value: Cell): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '-';
    if (Number.isInteger(value)) return String(value);
    const magnitude = Math.abs(value);
    return magnitude >= 1000 ? value.toFixed(0) : magnitude >= 1 ? value.toFixed(2) : value.toPrecision(3);
  }
  return value;
}
