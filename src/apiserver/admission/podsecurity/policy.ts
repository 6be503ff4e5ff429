// A namespace's Pod Security policy, read from its labels
// (pod-security.kubernetes.io/<mode> and <mode>-version). Absent labels mean
// privileged:latest (upstream's default configuration, no exemptions).

import type { Level } from './checks.ts';

type Obj = Record<string, any>;

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const MODES = ['enforce', 'audit', 'warn'] as const;
export type Mode = typeof MODES[number];

export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

export interface LevelVersion { level: Level; version: string }

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

/** "restricted:latest", as upstream prints a policy. */
export function policyString(p: LevelVersion): string { return `${p.level}:${p.version}`; }

export function samePolicy(a: LevelVersion, b: LevelVersion): boolean { return a.level === b.level && a.version === b.version; }

const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;

export interface LabelError { field: string; value: string; message: string }

/**
 * The policy of a namespace's labels. An invalid level counts as restricted
 * (the safe choice, as upstream); an invalid version as latest.
 */
export function policyFromLabels(labels: Record<string, string> | undefined): { policy: NamespacePolicy; errors: LabelError[] } {
  const errors: LabelError[] = [];
  const read = (mode: Mode): LevelVersion => {
    const lvKey = `${LABEL_PREFIX}${mode}`;
    const verKey = `${lvKey}-version`;
    let level: Level = 'privileged';
    let version = 'latest';
    const lv = labels?.[lvKey];
    if (lv !== undefined) {
      if ((LEVELS as string[]).includes(lv)) level = lv as Level;
      else {
        level = 'restricted';
        errors.push({ field: `metadata.labels[${lvKey}]`, value: lv, message: `must be one of ${LEVELS.join(', ')}` });
      }
    }
    const v = labels?.[verKey];
    if (v !== undefined) {
      if (v === 'latest' || VERSION_RE.test(v)) version = v;
      else errors.push({ field: `metadata.labels[${verKey}]`, value: v, message: 'must be "latest" or "v1.x"' });
    }
    return { level, version };
  };
  return { policy: { enforce: read('enforce'), audit: read('audit'), warn: read('warn') }, errors };
}

export function namespacePolicy(ns: Obj | undefined): { policy: NamespacePolicy; errors: LabelError[] } {
  return policyFromLabels(ns?.metadata?.labels as Record<string, string> | undefined);
}
