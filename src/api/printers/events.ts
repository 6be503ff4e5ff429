// Events, core/v1 and events.k8s.io/v1. Both groups store the same objects,
// so both print the same table; the newer shape is read through its own
// field names (regarding, note, deprecated*).

import { parseTime, since } from './duration.ts';
import { col, nameOf, num, str, type Printer } from './common.ts';

/** The fields the event table reads, whichever API group the object came from. */
interface EventView {
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject: { kind?: string; name?: string; fieldPath?: string };
  source: { component?: string; host?: string };
  reportingController?: string;
  reportingInstance?: string;
  type?: string;
  reason?: string;
  message?: string;
}

function coreView(e: any): EventView {
  return {
    firstTimestamp: e?.firstTimestamp, lastTimestamp: e?.lastTimestamp, eventTime: e?.eventTime,
    count: e?.count, series: e?.series, involvedObject: e?.involvedObject ?? {}, source: e?.source ?? {},
    reportingController: e?.reportingComponent, reportingInstance: e?.reportingInstance,
    type: e?.type, reason: e?.reason, message: e?.message,
  };
}

function eventsV1View(e: any): EventView {
  return {
    firstTimestamp: e?.deprecatedFirstTimestamp, lastTimestamp: e?.deprecatedLastTimestamp, eventTime: e?.eventTime,
    count: e?.deprecatedCount, series: e?.series, involvedObject: e?.regarding ?? {}, source: e?.deprecatedSource ?? {},
    reportingController: e?.reportingController, reportingInstance: e?.reportingInstance,
    type: e?.type, reason: e?.reason, message: e?.note,
  };
}

function eventRow(e: any, v: EventView, now: number): unknown[] {
  const first = parseTime(v.firstTimestamp) !== undefined ? since(v.firstTimestamp, now) : since(v.eventTime, now);
  let last = parseTime(v.lastTimestamp) !== undefined ? since(v.lastTimestamp, now) : first;
  let count = num(v.count);
  if (v.series) {
    last = since(v.series.lastObservedTime, now);
    count = num(v.series.count);
  } else if (count === 0) {
    count = 1; // singleton events from the new API carry no count
  }
  const kind = str(v.involvedObject.kind).toLowerCase();
  const target = v.involvedObject.name ? `${kind}/${v.involvedObject.name}` : kind;
  const component = str(v.source.component) || str(v.reportingController);
  const host = str(v.source.host) || str(v.reportingInstance);
  const source = host ? `${component}, ${host}` : component;
  return [last, str(v.type), str(v.reason), target, str(v.involvedObject.fieldPath), source,
    str(v.message).trim(), first, count, nameOf(e)];
}

// Events lead with time, not name; the name column comes last, wide only.
const EVENT_COLUMNS = [
  col('Last Seen', 'string', 'Time since the event was last observed.'),
  col('Type', 'string', 'Normal or Warning.'),
  col('Reason', 'string', 'Short machine-readable cause.'),
  col('Object', 'string', 'The object the event is about.'),
  col('Subobject', 'string', 'Part of the object the event is about, e.g. a container.', { priority: 1 }),
  col('Source', 'string', 'Component (and host) that reported the event.', { priority: 1 }),
  col('Message', 'string', 'Human-readable description.'),
  col('First Seen', 'string', 'Time since the event was first observed.', { priority: 1 }),
  col('Count', 'string', 'How many times the event was observed.', { priority: 1 }),
  col('Name', 'string', 'Name of the event object.', { priority: 1, format: 'name' }),
];

export const eventPrinter: Printer = {
  columns: EVENT_COLUMNS,
  row: (e, now) => eventRow(e, coreView(e), now),
};

export const eventsV1Printer: Printer = {
  columns: EVENT_COLUMNS,
  row: (e, now) => eventRow(e, eventsV1View(e), now),
};
