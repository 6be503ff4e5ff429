export {
  resourceQuotaController, ResourceQuotaController, restResourceQuotaApi, DEFAULT_RESYNC_MS,
  type ResourceQuotaApi, type ResourceQuotaControllerDeps,
} from './controller.ts';
export { QuotaMonitor, type InformerSource } from './monitor.ts';
