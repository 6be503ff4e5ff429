export {
  endpointSliceMirroringController, EndpointSliceMirroringController, desiredFromEndpoints, shouldMirror,
  MIRRORING_CONTROLLER_NAME, SKIP_MIRROR_LABEL, MAX_ENDPOINTS_PER_SUBSET,
} from './controller.ts';
