// Shared pieces of the server-side Table printers: the Table types, column
// builders and the small formatting rules several printers share.

import { selectorToString, formatLabels } from '../selectors/labels.ts';
import { since } from './duration.ts';

/** meta.k8s.io/v1 TableColumnDefinition; every field is always serialized. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  /** The full object; the HTTP layer may reduce it to PartialObjectMetadata. */
  object: any;
  conditions?: TableRowCondition[];
}

export interface Table {
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * One kind's printer. `row` returns every cell, priority>0 columns included:
 * the server always prints wide, and kubectl hides those columns unless
 * `-o wide` is asked.
 */
export interface Printer {
  columns: TableColumnDefinition[];
  row(obj: any, now: number): unknown[];
  conditions?(obj: any): TableRowCondition[] | undefined;
}

export function col(name: string, type: string, description: string,
  opts: { priority?: number; format?: string } = {}): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export const NAME = col('Name', 'string', 'Name of the object, unique within its namespace.', { format: 'name' });
export const AGE = col('Age', 'string', 'Time since the object was created.');
export const CONTAINERS = col('Containers', 'string', 'Container names in the pod template.', { priority: 1 });
export const IMAGES = col('Images', 'string', 'Container images in the pod template.', { priority: 1 });
export const wideSelector = (what: string): TableColumnDefinition =>
  col('Selector', 'string', `Label query over the pods this ${what} manages.`, { priority: 1 });

export const nameOf = (obj: any): string => str(obj?.metadata?.name);
export const ageOf = (obj: any, now: number): string => since(obj?.metadata?.creationTimestamp, now);

export const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
export const len = (v: unknown): number => (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);

/** Container names and images, each comma-joined. */
export function containerCells(containers: unknown): [string, string] {
  const list: any[] = Array.isArray(containers) ? containers : [];
  return [list.map((c) => str(c?.name)).join(','), list.map((c) => str(c?.image)).join(',')];
}

/** A structured selector for a column: `<none>` when empty, `<error>` when invalid. */
export function formatSelector(sel: unknown): string {
  try {
    return selectorToString(sel as never) || '<none>';
  } catch {
    return '<error>';
  }
}

export { formatLabels };

/** A *bool rendered as upstream's printers do. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

/** Joins up to `max` entries and notes how many more there were: `a,b,c + 2 more...`. */
export function listWithMore(list: string[], total: number, max: number, emptyText: string): string {
  const shown = list.slice(0, max).join(',');
  if (total > max) return `${shown} + ${total - max} more...`;
  return shown === '' ? emptyText : shown;
}

/** An IntOrString as text. */
export function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(v) : str(v);
}

/** Go's time.RFC3339 in UTC without fractional seconds; a missing time is Go's zero time. */
export function rfc3339(ts: unknown): string {
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
