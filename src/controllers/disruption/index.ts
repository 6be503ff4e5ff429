export {
  disruptionController, DisruptionController, restDisruptionApi, RESYNC_MS,
  type DisruptionApi, type DisruptionControllerDeps,
} from './disruption.ts';
export * from './status.ts';
export { expectedScale, finders, type ScaleGetter } from './finders.ts';
