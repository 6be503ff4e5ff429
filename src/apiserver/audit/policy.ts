// Upstream's audit Policy (audit.k8s.io/v1), the file behind
// --audit-policy-file: an ordered list of rules, the first one matching a
// request decides its level (None, Metadata, Request, RequestResponse) and the
// stages left out; a request no rule matches is not audited.

import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

const LEVELS: Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export function levelAtLeast(l: Level, min: Level): boolean { return LEVELS.indexOf(l) >= LEVELS.indexOf(min); }

export interface GroupResources { group: string; resources: string[]; resourceNames: string[] }

export interface PolicyRule {
  level: Level;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  rules: PolicyRule[];
  omitStages: Stage[];
  omitManagedFields: boolean;
}

/** What a rule is matched against: the authenticated user and the request. */
export interface AuditAttributes {
  user?: { username: string; groups: string[] };
  verb: string;
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface PolicyDecision { level: Level; omitStages: Stage[]; omitManagedFields: boolean }

/** The first matching rule's level and the stages to leave out (the policy's and the rule's). */
export function evaluatePolicy(policy: Policy, a: AuditAttributes): PolicyDecision {
  for (const r of policy.rules) {
    if (!ruleMatches(r, a)) continue;
    return {
      level: r.level,
      omitStages: [...new Set([...policy.omitStages, ...r.omitStages])],
      omitManagedFields: r.omitManagedFields ?? policy.omitManagedFields,
    };
  }
  return { level: 'None', omitStages: policy.omitStages, omitManagedFields: policy.omitManagedFields };
}

export function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users.length && !(a.user && r.users.includes(a.user.username))) return false;
  if (r.userGroups.length && !(a.user && a.user.groups.some((g) => r.userGroups.includes(g)))) return false;
  if (r.verbs.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces.length || r.resources.length) return resourceMatches(r, a);
  if (r.nonResourceURLs.length) return !a.resourceRequest && r.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.slice(0, -1));
}

function resourceMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (!a.resourceRequest) return false;
  // "" in namespaces matches cluster-scoped resources, as upstream.
  if (r.namespaces.length && !r.namespaces.includes(a.namespace)) return false;
  if (!r.resources.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if (gr.group !== a.apiGroup) continue;
    if (!gr.resources.length) return true;
    if (gr.resourceNames.length && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && res.slice(2) === a.subresource) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

// ---- parsing ---------------------------------------------------------------

type Raw = Record<string, unknown>;
function isObject(v: unknown): v is Raw { return typeof v === 'object' && v !== null && !Array.isArray(v); }

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${where} must be a list of strings`);
  return v as string[];
}

function stages(v: unknown, where: string): Stage[] {
  const s = strings(v, where);
  for (const x of s) if (!STAGES.includes(x as Stage)) throw new Error(`${where}: unknown stage ${JSON.stringify(x)} (one of ${STAGES.join(', ')})`);
  return s as Stage[];
}

function parseRule(v: unknown, where: string): PolicyRule {
  if (!isObject(v)) throw new Error(`${where} must be an object`);
  if (!LEVELS.includes(v.level as Level)) throw new Error(`${where}.level: ${JSON.stringify(v.level)} is not one of ${LEVELS.join(', ')}`);
  const resources = v.resources === undefined || v.resources === null ? [] : v.resources;
  if (!Array.isArray(resources)) throw new Error(`${where}.resources must be a list`);
  const rule: PolicyRule = {
    level: v.level as Level,
    users: strings(v.users, `${where}.users`),
    userGroups: strings(v.userGroups, `${where}.userGroups`),
    verbs: strings(v.verbs, `${where}.verbs`),
    namespaces: strings(v.namespaces, `${where}.namespaces`),
    nonResourceURLs: strings(v.nonResourceURLs, `${where}.nonResourceURLs`),
    omitStages: stages(v.omitStages, `${where}.omitStages`),
    resources: resources.map((g: unknown, i: number) => {
      const w = `${where}.resources[${i}]`;
      if (!isObject(g)) throw new Error(`${w} must be an object`);
      if (g.group !== undefined && typeof g.group !== 'string') throw new Error(`${w}.group must be a string`);
      const gr = { group: (g.group as string | undefined) ?? '', resources: strings(g.resources, `${w}.resources`), resourceNames: strings(g.resourceNames, `${w}.resourceNames`) };
      for (const res of gr.resources) {
        if (res.includes('/') && !res.startsWith('*/') && !/^[^/*]+\/[^/]+$/.test(res)) throw new Error(`${w}.resources: invalid resource ${JSON.stringify(res)}`);
      }
      return gr;
    }),
  };
  if (typeof v.omitManagedFields === 'boolean') rule.omitManagedFields = v.omitManagedFields;
  // As upstream's validation: a rule is about resources or about URLs, not both.
  if (rule.nonResourceURLs.length && (rule.resources.length || rule.namespaces.length)) {
    throw new Error(`${where}: rules cannot apply to both regular resources and non-resource URLs`);
  }
  return rule;
}

export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`not valid YAML: ${(e as Error).message}`);
  }
  if (!isObject(doc) || doc.kind !== 'Policy' || doc.apiVersion !== AUDIT_API_VERSION) {
    throw new Error(`expected kind Policy and apiVersion ${AUDIT_API_VERSION}`);
  }
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) throw new Error('the policy has no rules');
  return {
    rules: doc.rules.map((r: unknown, i: number) => parseRule(r, `rules[${i}]`)),
    omitStages: stages(doc.omitStages, 'omitStages'),
    omitManagedFields: doc.omitManagedFields === true,
  };
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--audit-policy-file: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parsePolicy(text);
  } catch (e) {
    throw new Error(`--audit-policy-file ${file}: ${(e as Error).message}`);
  }
}
