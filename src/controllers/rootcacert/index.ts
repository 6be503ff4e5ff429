export { rootCACertPublisher, syncRootCA, ROOT_CA_CONFIGMAP, DESCRIPTION_ANNOTATION, DESCRIPTION } from './controller.ts';
