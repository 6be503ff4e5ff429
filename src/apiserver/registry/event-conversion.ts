// events.k8s.io/v1 Events are the same objects as core/v1 Events, stored once
// in the core form (as upstream does), so `kubectl get events` and
// `kubectl events` see what controllers record through either API.

import type { Obj } from './codec.ts';

// events.k8s.io field ↔ core/v1 field; the rest have the same name in both.
const RENAMES: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function rename(obj: Obj, pairs: [string, string][]): Obj {
  const out: Obj = { ...obj };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

export function eventsV1ToCore(e: Obj): Obj {
  return { ...rename(e, RENAMES), apiVersion: 'v1', kind: 'Event' };
}

export function coreToEventsV1(e: Obj): Obj {
  const out = rename(e, RENAMES.map(([a, b]) => [b, a]));
  // Core events written without a reporting controller name it in the source.
  if (!out.reportingController && out.deprecatedSource?.component) out.reportingController = out.deprecatedSource.component;
  return { ...out, apiVersion: 'events.k8s.io/v1', kind: 'Event' };
}
