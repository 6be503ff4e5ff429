// Prometheus metrics, one registry per process, served on /metrics.

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const apiRequests = new Counter({
  name: 'apiserver_request_total', help: 'API requests by verb, resource and HTTP code',
  labelNames: ['verb', 'group', 'resource', 'subresource', 'code'] as const, registers: [metricsRegistry],
});

export const apiRequestDuration = new Histogram({
  name: 'apiserver_request_duration_seconds', help: 'API request latency (watches excluded)',
  labelNames: ['verb', 'resource'] as const, registers: [metricsRegistry],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});
