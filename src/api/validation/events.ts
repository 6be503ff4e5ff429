// Events, through both core/v1 and events.k8s.io/v1. Upstream validates the
// internal form, so errors name the internal fields (involvedObject, message…)
// whichever API the event came through.

import { type Errs, invalid, required, obj, str, goAny, semanticEqual, FIELD_IMMUTABLE } from './field.ts';
import { nameIsDNSSubdomain, dns1123SubdomainErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateQualifiedName } from './selector.ts';

interface InternalEvent {
  metadata: Record<string, any>;
  involvedObject: Record<string, any>;
  reason: string; message: string; type: string; action: string;
  reportingController: string; reportingInstance: string;
  eventTime: unknown; firstTimestamp: unknown; lastTimestamp: unknown; count: number;
  source: Record<string, any>; series: Record<string, any> | undefined; related: unknown;
}

function internal(ev: any, eventsAPI: boolean): InternalEvent {
  const e = obj(ev);
  if (eventsAPI) {
    return {
      metadata: obj(e.metadata), involvedObject: obj(e.regarding), reason: str(e.reason), message: str(e.note), type: str(e.type),
      action: str(e.action), reportingController: str(e.reportingController), reportingInstance: str(e.reportingInstance),
      eventTime: e.eventTime, firstTimestamp: e.deprecatedFirstTimestamp, lastTimestamp: e.deprecatedLastTimestamp,
      count: typeof e.deprecatedCount === 'number' ? e.deprecatedCount : 0, source: obj(e.deprecatedSource),
      series: e.series ? obj(e.series) : undefined, related: e.related,
    };
  }
  return {
    metadata: obj(e.metadata), involvedObject: obj(e.involvedObject), reason: str(e.reason), message: str(e.message), type: str(e.type),
    action: str(e.action), reportingController: str(e.reportingComponent), reportingInstance: str(e.reportingInstance),
    eventTime: e.eventTime, firstTimestamp: e.firstTimestamp, lastTimestamp: e.lastTimestamp,
    count: typeof e.count === 'number' ? e.count : 0, source: obj(e.source),
    series: e.series ? obj(e.series) : undefined, related: e.related,
  };
}

const isZeroTime = (t: unknown): boolean => t === undefined || t === null || t === '';

function legacyValidate(ev: InternalEvent, coreAPI: boolean): Errs {
  const errs: Errs = [];
  const rcField = coreAPI ? 'reportingComponent' : 'reportingController';
  const ns = str(ev.metadata.namespace);
  const ions = str(ev.involvedObject.namespace);
  if (isZeroTime(ev.eventTime)) {
    if (!ions) {
      if (ns !== '' && ns !== 'default') errs.push(invalid('involvedObject.namespace', ions, 'does not match event.namespace'));
    } else if (ns !== ions) {
      errs.push(invalid('involvedObject.namespace', ions, 'does not match event.namespace'));
    }
  } else {
    if (!ions && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', ions, 'does not match event.namespace'));
    if (!ev.reportingController) errs.push(required(rcField));
    errs.push(...validateQualifiedName(ev.reportingController, rcField));
    if (!ev.reportingInstance) errs.push(required('reportingInstance'));
    if (ev.reportingInstance.length > 128) errs.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!ev.action) errs.push(required('action'));
    if (ev.action.length > 128) errs.push(invalid('action', '', 'can have at most 128 characters'));
    if (!ev.reason) errs.push(required('reason'));
    if (ev.reason.length > 128) errs.push(invalid('reason', '', 'can have at most 128 characters'));
    if (ev.message.length > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const m of dns1123SubdomainErrors(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

function seriesErrors(ev: InternalEvent): Errs {
  if (!ev.series) return [];
  const errs: Errs = [];
  if (!(typeof ev.series.count === 'number' && ev.series.count >= 2)) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (isZeroTime(ev.series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  return errs;
}

export function validateEvent(raw: any, eventsAPI: boolean): Errs {
  const ev = internal(raw, eventsAPI);
  const errs = legacyValidate(ev, !eventsAPI);
  if (!eventsAPI) return errs;
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  errs.push(...seriesErrors(ev));
  if (isZeroTime(ev.eventTime)) errs.push(required('eventTime'));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${ev.type}`));
  if (!isZeroTime(ev.firstTimestamp)) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (!isZeroTime(ev.lastTimestamp)) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (ev.count !== 0) errs.push(invalid('count', '', 'needs to be unset'));
  if (str(ev.source.component) || str(ev.source.host)) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

export function validateEventUpdate(raw: any, oldRaw: any, eventsAPI: boolean): Errs {
  const ev = internal(raw, eventsAPI);
  const old = internal(oldRaw, eventsAPI);
  const errs = legacyValidate(ev, !eventsAPI);
  if (!eventsAPI) return errs;
  errs.push(...validateObjectMetaUpdate(ev.metadata, old.metadata));
  if (!semanticEqual(ev.series, old.series)) errs.push(...seriesErrors(ev));
  const pairs: [keyof InternalEvent, string][] = [['involvedObject', 'involvedObject'], ['reason', 'reason'], ['message', 'message'],
    ['source', 'source'], ['firstTimestamp', 'firstTimestamp'], ['lastTimestamp', 'lastTimestamp'], ['count', 'count'],
    ['type', 'type'], ['eventTime', 'eventTime'], ['action', 'action'], ['related', 'related'],
    ['reportingController', 'reportingController'], ['reportingInstance', 'reportingInstance']];
  for (const [f, p] of pairs) if (!semanticEqual(ev[f], old[f])) errs.push(invalid(p, goAny(ev[f]), FIELD_IMMUTABLE));
  return errs;
}
