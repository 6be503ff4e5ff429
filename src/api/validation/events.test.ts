import { test } from 'node:test';
import { create, update, stored, expectError, expectValid } from './testing.ts';

const coreEvent = (): any => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started', message: 'started', type: 'Normal', count: 1 });
const newEvent = (): any => ({ apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'web.2', namespace: 'default' },
  regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started', note: 'started', type: 'Normal', action: 'Start',
  eventTime: '2024-01-01T00:00:00.000000Z', reportingController: 'example.com/agent', reportingInstance: 'agent-1' });

test('events: valid core and events.k8s.io events pass', () => { expectValid(create(coreEvent())); expectValid(create(newEvent())); });

test('events: namespace must match the involved object', () => {
  const o = coreEvent(); o.involvedObject.namespace = 'other';
  expectError(create(o), 'involvedObject.namespace', 'Invalid value: "other": does not match event.namespace');
});
test('events: new-style events need reporting fields', () => {
  const o = coreEvent(); o.eventTime = '2024-01-01T00:00:00.000000Z';
  const errs = create(o);
  expectError(errs, 'reportingComponent', 'Required value');
  expectError(errs, 'action', 'Required value');
});
test('events.k8s.io: strict fields', () => {
  const o = newEvent(); delete o.eventTime; o.type = 'Info'; o.deprecatedCount = 3;
  const errs = create(o);
  expectError(errs, 'eventTime', 'Required value');
  expectError(errs, 'type', 'Invalid value: "": has invalid value: Info');
  expectError(errs, 'count', 'Invalid value: "": needs to be unset');
});
test('events.k8s.io update: note is immutable; core events may change', () => {
  const old = stored(newEvent);
  const next = structuredClone(old); next.note = 'other';
  expectError(update(next, old), 'message', 'Invalid value: "other": field is immutable');
  const c = stored(coreEvent);
  const c2 = structuredClone(c); c2.count = 2; c2.message = 'again';
  expectValid(update(c2, c));
});
