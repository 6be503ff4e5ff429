// Pod spec defaults (shared by pods and every pod template) and the extra
// defaults only Pod objects get.

import { type Obj, isObj, isSet, ensure, setDefault, each, canonicalQuantityField, canonicalResourceList, templateMetadata } from './util.ts';
import { pvcSpecDefaults } from './storage.ts';

/** Tag of an image reference: 'latest' when neither tag nor digest is given, '' when unparsable. */
export function imageTag(image: string): string {
  if (!image || /\s/.test(image)) return '';
  let name = image;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) { digest = name.slice(at + 1); name = name.slice(0, at); }
  let tag = '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) { tag = name.slice(colon + 1); name = name.slice(0, colon); }
  if (!name) return '';
  // the repository path (after any registry host) must be lower case
  const parts = name.split('/');
  const hasHost = parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost');
  const path = hasHost ? parts.slice(1) : parts;
  if (path.some((p) => !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p))) return '';
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) return '';
  if (at >= 0 && !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) return '';
  if (!tag && !digest) return 'latest';
  return tag;
}

function handlerDefaults(h: unknown): void {
  if (!isObj(h)) return;
  if (isObj(h.httpGet)) {
    setDefault(h.httpGet, 'path', '/');
    setDefault(h.httpGet, 'scheme', 'HTTP');
  }
  if (isObj(h.grpc) && !isSet(h.grpc.service)) h.grpc.service = '';
}

function probeDefaults(p: unknown): void {
  if (!isObj(p)) return;
  handlerDefaults(p);
  for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (!p[k]) p[k] = v;
  }
}

function fieldRefDefaults(o: Obj): void {
  if (isObj(o.fieldRef)) setDefault(o.fieldRef, 'apiVersion', 'v1');
  if (isObj(o.resourceFieldRef)) {
    if (!isSet(o.resourceFieldRef.divisor)) o.resourceFieldRef.divisor = '0';
    else canonicalQuantityField(o.resourceFieldRef, 'divisor');
  }
}

function containerDefaults(c: Obj): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const res = ensure(c, 'resources');
  if (res) { canonicalResourceList(res, 'limits'); canonicalResourceList(res, 'requests'); }
  each(c.ports, (p) => setDefault(p, 'protocol', 'TCP'));
  each(c.env, (e) => { if (isObj(e.valueFrom)) fieldRefDefaults(e.valueFrom); });
  probeDefaults(c.livenessProbe);
  probeDefaults(c.readinessProbe);
  probeDefaults(c.startupProbe);
  if (isObj(c.lifecycle)) { handlerDefaults(c.lifecycle.postStart); handlerDefaults(c.lifecycle.preStop); }
}

const MODE_420 = ['secret', 'configMap', 'downwardAPI', 'projected'];
const SOURCES = ['hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'flocker', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'downwardAPI', 'fc', 'azureFile',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'configMap', 'storageos',
  'projected', 'csi', 'ephemeral', 'image'];

function volumeDefaults(v: Obj): void {
  if (!SOURCES.some((s) => isSet(v[s]))) v.emptyDir = {};
  for (const s of MODE_420) if (isObj(v[s]) && !isSet(v[s].defaultMode)) v[s].defaultMode = 420;
  if (isObj(v.hostPath) && !isSet(v.hostPath.type)) v.hostPath.type = '';
  if (isObj(v.emptyDir)) canonicalQuantityField(v.emptyDir, 'sizeLimit');
  if (isObj(v.downwardAPI)) each(v.downwardAPI.items, fieldRefDefaults);
  if (isObj(v.projected)) {
    each(v.projected.sources, (src) => {
      if (isObj(src.downwardAPI)) each(src.downwardAPI.items, fieldRefDefaults);
      if (isObj(src.serviceAccountToken) && !isSet(src.serviceAccountToken.expirationSeconds)) src.serviceAccountToken.expirationSeconds = 3600;
    });
  }
  if (isObj(v.iscsi)) setDefault(v.iscsi, 'iscsiInterface', 'default');
  if (isObj(v.rbd)) {
    setDefault(v.rbd, 'pool', 'rbd');
    setDefault(v.rbd, 'user', 'admin');
    setDefault(v.rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(v.azureDisk)) {
    setDefault(v.azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(v.azureDisk, 'kind', 'Shared');
    setDefault(v.azureDisk, 'fsType', 'ext4');
    if (!isSet(v.azureDisk.readOnly)) v.azureDisk.readOnly = false;
  }
  if (isObj(v.scaleIO)) {
    setDefault(v.scaleIO, 'storageMode', 'ThinProvisioned');
    setDefault(v.scaleIO, 'fsType', 'xfs');
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    templateMetadata(v.ephemeral.volumeClaimTemplate);
    const spec = ensure(v.ephemeral.volumeClaimTemplate, 'spec');
    if (spec) pvcSpecDefaults(spec);
  }
}

/** SetDefaults_PodSpec and everything nested in it. */
export function podSpecDefaults(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isSet(spec.securityContext)) spec.securityContext = {};
  if (!isSet(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  setDefault(spec, 'schedulerName', 'default-scheduler');
  each(spec.containers, containerDefaults);
  each(spec.initContainers, containerDefaults);
  each(spec.ephemeralContainers, containerDefaults);
  each(spec.volumes, volumeDefaults);
  canonicalResourceList(spec, 'overhead');
}

/** Defaults inside a pod template (Deployment, Job, PodTemplate…). */
export function podTemplateDefaults(tpl: unknown): void {
  if (!isObj(tpl)) return;
  templateMetadata(tpl);
  const spec = ensure(tpl, 'spec');
  if (spec) podSpecDefaults(spec);
}

function requestsFromLimits(c: Obj): void {
  const res = c.resources;
  if (!isObj(res) || !isObj(res.limits)) return;
  const req = ensure(res, 'requests');
  if (!req) return;
  for (const [k, v] of Object.entries(res.limits)) if (!(k in req)) req[k] = v;
}

/** Defaults of Pod objects: the pod spec ones plus those that apply to pods only. */
export function podDefaults(pod: Obj): void {
  const spec = ensure(pod, 'spec');
  if (!spec) return;
  // requests default to limits before the lists are canonicalized
  each(spec.containers, requestsFromLimits);
  each(spec.initContainers, requestsFromLimits);
  podSpecDefaults(spec);
  if (!isSet(spec.enableServiceLinks)) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const list of [spec.containers, spec.initContainers]) {
      each(list, (c) => each(c.ports, (p) => { if (!p.hostPort) p.hostPort = p.containerPort; }));
    }
  }
  // What the Priority admission plugin sets when no PriorityClass is named.
  if (!spec.priorityClassName) {
    if (!isSet(spec.priority)) spec.priority = 0;
    if (!isSet(spec.preemptionPolicy)) spec.preemptionPolicy = 'PreemptLowerPriority';
  }
}
