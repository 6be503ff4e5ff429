import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';
import { POD_UPDATE_FORBIDDEN } from './pod-update.ts';

const pod = (): any => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
  spec: {
    volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }],
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    containers: [{
      name: 'app', image: 'nginx:1.25',
      ports: [{ name: 'http', containerPort: 80 }],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '128Mi' } },
      readinessProbe: { httpGet: { port: 80 } },
      livenessProbe: { tcpSocket: { port: 'http' } },
    }],
  },
});

const LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const c0 = 'spec.containers[0]';

test('pod: a valid pod passes', () => expectValid(create(pod())));

const cases: Case[] = [
  { name: 'no containers', mutate: (o) => { o.spec.containers = []; }, field: 'spec.containers', message: 'Required value' },
  { name: 'no container name', mutate: (o) => { delete o.spec.containers[0].name; }, field: `${c0}.name`, message: 'Required value' },
  { name: 'bad container name', mutate: (o) => { o.spec.containers[0].name = 'App'; }, field: `${c0}.name`, message: `Invalid value: "App": ${LABEL}` },
  { name: 'duplicate container name', mutate: (o) => { o.spec.containers.push({ name: 'app', image: 'x' }); }, field: 'spec.containers[1].name', message: 'Duplicate value: "app"' },
  { name: 'init name clashes with container', mutate: (o) => { o.spec.initContainers[0].name = 'app'; }, field: 'spec.initContainers[0].name', message: 'Duplicate value: "app"' },
  { name: 'no image', mutate: (o) => { delete o.spec.containers[0].image; }, field: `${c0}.image`, message: 'Required value' },
  { name: 'image whitespace', mutate: (o) => { o.spec.containers[0].image = ' nginx'; }, field: `${c0}.image`, message: 'Invalid value: " nginx": must not have leading or trailing whitespace' },
  { name: 'port 0', mutate: (o) => { o.spec.containers[0].ports[0].containerPort = 0; }, field: `${c0}.ports[0].containerPort`, message: 'Required value' },
  { name: 'port too big', mutate: (o) => { o.spec.containers[0].ports[0].containerPort = 70000; }, field: `${c0}.ports[0].containerPort`, message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' },
  { name: 'bad protocol', mutate: (o) => { o.spec.containers[0].ports[0].protocol = 'ICMP'; }, field: `${c0}.ports[0].protocol`, message: 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"' },
  { name: 'duplicate port name', mutate: (o) => { o.spec.containers[0].ports.push({ name: 'http', containerPort: 81 }); }, field: `${c0}.ports[1].name`, message: 'Duplicate value: "http"' },
  { name: 'bad port name', mutate: (o) => { o.spec.containers[0].ports[0].name = 'HTTP'; }, field: `${c0}.ports[0].name`, message: 'Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' },
  { name: 'host port conflict', mutate: (o) => { o.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }]; },
    field: `${c0}.ports[1].hostPort`, message: 'Duplicate value: "TCP//8080"' },
  { name: 'restartPolicy', mutate: (o) => { o.spec.restartPolicy = 'Sometimes'; }, field: 'spec.restartPolicy', message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"' },
  { name: 'dnsPolicy', mutate: (o) => { o.spec.dnsPolicy = 'Custom'; }, field: 'spec.dnsPolicy', message: 'Unsupported value: "Custom": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"' },
  { name: 'dnsPolicy None needs config', mutate: (o) => { o.spec.dnsPolicy = 'None'; }, field: 'spec.dnsConfig', message: 'Required value: must provide `dnsConfig` when `dnsPolicy` is None' },
  { name: 'duplicate volume', mutate: (o) => { o.spec.volumes.push({ name: 'data', emptyDir: {} }); }, field: 'spec.volumes[2].name', message: 'Duplicate value: "data"' },
  { name: 'two volume sources', mutate: (o) => { o.spec.volumes[0].hostPath = { path: '/x' }; }, field: 'spec.volumes[0].emptyDir', message: 'Forbidden: may not specify more than 1 volume type' },
  { name: 'secret volume needs name', mutate: (o) => { o.spec.volumes[1] = { name: 'cfg', secret: {} }; }, field: 'spec.volumes[1].secret.secretName', message: 'Required value' },
  { name: 'bad defaultMode', mutate: (o) => { o.spec.volumes[1].configMap.defaultMode = 1000; }, field: 'spec.volumes[1].configMap.defaultMode', message: 'Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive' },
  { name: 'hostPath type', mutate: (o) => { o.spec.volumes[0] = { name: 'data', hostPath: { path: '/x', type: 'Dir' } }; }, field: 'spec.volumes[0].hostPath.type',
    message: 'Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"' },
  { name: 'mount of unknown volume', mutate: (o) => { o.spec.containers[0].volumeMounts[0].name = 'nope'; }, field: `${c0}.volumeMounts[0].name`, message: 'Not found: "nope"' },
  { name: 'mount without path', mutate: (o) => { delete o.spec.containers[0].volumeMounts[0].mountPath; }, field: `${c0}.volumeMounts[0].mountPath`, message: 'Required value' },
  { name: 'duplicate mount path', mutate: (o) => { o.spec.containers[0].volumeMounts.push({ name: 'cfg', mountPath: '/data' }); }, field: `${c0}.volumeMounts[1].mountPath`, message: 'Invalid value: "/data": must be unique' },
  { name: 'requests above limits', mutate: (o) => { o.spec.containers[0].resources.requests.cpu = '2'; }, field: `${c0}.resources.requests`, message: 'Invalid value: "2": must be less than or equal to cpu limit of 1' },
  { name: 'bad quantity', mutate: (o) => { o.spec.containers[0].resources.limits.memory = 'lots'; }, field: `${c0}.resources.limits[memory]`,
    message: "Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
  { name: 'negative quantity', mutate: (o) => { o.spec.containers[0].resources.requests.cpu = '-1'; }, field: `${c0}.resources.requests[cpu]`, message: 'Invalid value: "-1": must be greater than or equal to 0' },
  { name: 'unknown resource', mutate: (o) => { o.spec.containers[0].resources.limits.gpu = '1'; }, field: `${c0}.resources.limits[gpu]`, message: 'Invalid value: "gpu": must be a standard resource type or fully qualified' },
  { name: 'extended resource needs limit', mutate: (o) => { o.spec.containers[0].resources.requests['example.com/gpu'] = '1'; }, field: `${c0}.resources.limits`, message: 'Required value: Limit must be set for non overcommitable resources' },
  { name: 'env name', mutate: (o) => { o.spec.containers[0].env[0].name = '1X'; }, field: `${c0}.env[0].name`,
    message: "Invalid value: \"1X\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')" },
  { name: 'env value and valueFrom', mutate: (o) => { o.spec.containers[0].env[0].value = 'x'; }, field: `${c0}.env[0].valueFrom`, message: 'Invalid value: "": may not be specified when `value` is not empty' },
  { name: 'env fieldPath', mutate: (o) => { o.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = 'spec.restartPolicy'; }, field: `${c0}.env[0].valueFrom.fieldRef.fieldPath`,
    message: 'Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"' },
  { name: 'env empty valueFrom', mutate: (o) => { o.spec.containers[0].env[0].valueFrom = {}; }, field: `${c0}.env[0].valueFrom`,
    message: 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`' },
  { name: 'probe without handler', mutate: (o) => { o.spec.containers[0].readinessProbe = { periodSeconds: 5 }; }, field: `${c0}.readinessProbe`, message: 'Required value: must specify a handler type' },
  { name: 'liveness successThreshold', mutate: (o) => { o.spec.containers[0].livenessProbe.successThreshold = 2; }, field: `${c0}.livenessProbe.successThreshold`, message: 'Invalid value: 2: must be 1' },
  { name: 'probe negative', mutate: (o) => { o.spec.containers[0].readinessProbe.initialDelaySeconds = -1; }, field: `${c0}.readinessProbe.initialDelaySeconds`, message: 'Invalid value: -1: must be greater than or equal to 0' },
  { name: 'init container probe', mutate: (o) => { o.spec.initContainers[0].readinessProbe = { exec: { command: ['true'] } }; }, field: 'spec.initContainers[0].readinessProbe', message: 'Forbidden: may not be set for init containers without restartPolicy=Always' },
  { name: 'regular container restartPolicy', mutate: (o) => { o.spec.containers[0].restartPolicy = 'Always'; }, field: `${c0}.restartPolicy`, message: 'Forbidden: may not be set for non-init containers' },
  { name: 'activeDeadlineSeconds', mutate: (o) => { o.spec.activeDeadlineSeconds = 0; }, field: 'spec.activeDeadlineSeconds', message: 'Invalid value: 0: must be between 1 and 2147483647, inclusive' },
  { name: 'toleration without key', mutate: (o) => { o.spec.tolerations = [{ operator: 'Equal', value: 'x' }]; }, field: 'spec.tolerations[0].operator',
    message: 'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"' },
  { name: 'toleration effect', mutate: (o) => { o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'Never' }]; }, field: 'spec.tolerations[0].effect',
    message: 'Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"' },
  { name: 'tolerationSeconds needs NoExecute', mutate: (o) => { o.spec.tolerations = [{ key: 'k', operator: 'Exists', tolerationSeconds: 5 }]; }, field: 'spec.tolerations[0].effect',
    message: 'Invalid value: "": effect must be \'NoExecute\' when `tolerationSeconds` is set' },
  { name: 'nodeSelector', mutate: (o) => { o.spec.nodeSelector = { a: 'b c' }; }, field: 'spec.nodeSelector',
    message: "Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" },
  { name: 'node affinity terms', mutate: (o) => { o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }; },
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', message: 'Required value: must have at least one node selector term' },
  { name: 'pod affinity topologyKey', mutate: (o) => { o.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {} }] } }; },
    field: 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', message: 'Required value: can not be empty' },
  { name: 'topology spread maxSkew', mutate: (o) => { o.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }]; },
    field: 'spec.topologySpreadConstraints[0].maxSkew', message: 'Invalid value: 0: must be greater than zero' },
  { name: 'ephemeral containers on create', mutate: (o) => { o.spec.ephemeralContainers = [{ name: 'dbg', image: 'busybox' }]; }, field: 'spec.ephemeralContainers', message: 'Forbidden: cannot be set on create' },
  { name: 'hostname', mutate: (o) => { o.spec.hostname = 'a.b'; }, field: 'spec.hostname', message: 'Invalid value: "a.b": must not contain dots' },
  { name: 'preemptionPolicy', mutate: (o) => { o.spec.preemptionPolicy = 'Sometimes'; }, field: 'spec.preemptionPolicy', message: 'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"' },
];
for (const c of cases) test(`pod: ${c.name}`, () => { const o = pod(); c.mutate(o); expectError(create(o), c.field, c.message); });

// --- updates ---

function podUpdate(mutate: (o: any) => void): ReturnType<typeof update> {
  const old = stored(pod);
  const next = structuredClone(old);
  mutate(next);
  return update(next, old);
}

test('pod update: image changes are allowed', () => expectValid(podUpdate((o) => { o.spec.containers[0].image = 'nginx:1.26'; o.spec.initContainers[0].image = 'busybox:1.37'; })));
test('pod update: labels may change', () => expectValid(podUpdate((o) => { o.metadata.labels = { a: 'b' }; })));
test('pod update: tolerations may be added', () => expectValid(podUpdate((o) => { o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }]; })));
test('pod update: activeDeadlineSeconds may be set', () => expectValid(podUpdate((o) => { o.spec.activeDeadlineSeconds = 30; })));

const forbiddenUpdates: Case[] = [
  { name: 'other spec field', mutate: (o) => { o.spec.restartPolicy = 'Never'; }, field: 'spec', message: '' },
  { name: 'container ports', mutate: (o) => { o.spec.containers[0].ports[0].containerPort = 81; }, field: 'spec', message: '' },
];
for (const c of forbiddenUpdates) {
  test(`pod update: ${c.name} is forbidden`, () => {
    const errs = podUpdate(c.mutate);
    const e = errs.find((x) => x.field === 'spec');
    if (!e || !e.message.startsWith(`Forbidden: ${POD_UPDATE_FORBIDDEN}\n`)) throw new Error(JSON.stringify(errs));
  });
}

test('pod update: message wording', () => {
  if (POD_UPDATE_FORBIDDEN !== 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)') {
    throw new Error(POD_UPDATE_FORBIDDEN);
  }
});

test('pod update: containers may not be added', () => {
  expectError(podUpdate((o) => { o.spec.containers.push({ name: 'b', image: 'x' }); }), 'spec.containers', 'Forbidden: pod updates may not add or remove containers');
});
test('pod update: tolerations may not be removed', () => {
  const old = stored(pod);
  old.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
  const next = structuredClone(old);
  next.spec.tolerations = [];
  expectError(update(next, old), 'spec.tolerations', 'Forbidden: existing toleration can not be modified except its tolerationSeconds');
});
test('pod update: activeDeadlineSeconds may only shrink', () => {
  const old = stored(pod);
  old.spec.activeDeadlineSeconds = 10;
  const next = structuredClone(old);
  next.spec.activeDeadlineSeconds = 20;
  expectError(update(next, old), 'spec.activeDeadlineSeconds', 'Invalid value: 20: must be less than or equal to previous value');
});
test('pod update: grace period may go from negative to 1', () => {
  const old = stored(pod);
  old.spec.terminationGracePeriodSeconds = -1;
  const next = structuredClone(old);
  next.spec.terminationGracePeriodSeconds = 1;
  expectValid(update(next, old));
});

test('pod update: ephemeral containers may be added, not changed', () => {
  const old = stored(pod);
  const next = structuredClone(old);
  next.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', targetContainerName: 'app', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }];
  expectValid(update(next, old));
  const withPorts = structuredClone(old);
  withPorts.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', ports: [{ containerPort: 80, protocol: 'TCP' }], terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }];
  expectError(update(withPorts, old), 'spec.ephemeralContainers[0].ports', 'Forbidden: cannot be set for an Ephemeral Container');
  const later = structuredClone(next);
  const changed = structuredClone(next);
  changed.spec.ephemeralContainers[0].image = 'alpine';
  expectError(update(changed, later), 'spec.ephemeralContainers', 'Forbidden: existing ephemeral containers "debug" may not be changed');
  const target = structuredClone(old);
  target.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', targetContainerName: 'nope', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }];
  expectError(update(target, old), 'spec.ephemeralContainers[0].targetContainerName', 'Not found: "nope"');
});
