// The behaviour every Store driver must show, as a node:test suite. A driver's
// test file calls storeConformance with a factory returning a fresh, empty store.
// The suite's parts live in conformance/, one concern each.

import { describe } from 'node:test';
import { compactionTests } from './conformance/compaction.ts';
import { concurrencyTests } from './conformance/concurrency.ts';
import { crudTests } from './conformance/crud.ts';
import type { StoreFactoryFn } from './conformance/helpers.ts';
import { listTests } from './conformance/list.ts';
import { watchTests } from './conformance/watch.ts';

export function storeConformance(name: string, factory: StoreFactoryFn): void {
  void describe(`Store conformance: ${name}`, () => {
    void describe('writes', () => crudTests(factory));
    void describe('list', () => listTests(factory));
    void describe('watch', () => watchTests(factory));
    void describe('compaction', () => compactionTests(factory));
    void describe('concurrency', () => concurrencyTests(factory));
  });
}
