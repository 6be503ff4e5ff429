// The compact schema: the facts about each API type that the apiserver needs
// (field types, required fields, patch strategies, merge keys, list/map types),
// derived by scripts/gen-schema.ts from the upstream OpenAPI documents.

export interface GroupVersionKind { group: string; version: string; kind: string }

export interface SchemaNode {
  /** Absent for "any" (e.g. RawExtension, x-kubernetes-preserve-unknown-fields). */
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  /** Name of a definition (e.g. "io.k8s.api.core.v1.PodSpec"); resolve with `resolveRef`. */
  ref?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  /** For maps (object with additionalProperties). */
  additionalProperties?: SchemaNode;
  items?: SchemaNode;
  format?: string;            // int32, int64, date-time, byte, int-or-string, …
  /**
   * Alternatives, as OpenAPI v3 states them for IntOrString ([integer, string])
   * and Quantity ([string, number]); OpenAPI v2 calls both `type: string`.
   */
  oneOf?: SchemaNode[];
  intOrString?: boolean;      // x-kubernetes-int-or-string
  preserveUnknownFields?: boolean;
  enum?: (string | number | boolean | null)[];
  /** Only non-zero defaults are kept (e.g. ContainerPort.protocol "TCP"). */
  default?: unknown;
  patchStrategy?: string;     // x-kubernetes-patch-strategy: "merge", "retainKeys", "merge,retainKeys", "replace"
  patchMergeKey?: string;     // x-kubernetes-patch-merge-key
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** x-kubernetes-map-type; upstream puts it on maps and on structs alike. */
  mapType?: 'atomic' | 'granular';
  structType?: 'atomic' | 'granular';
  /** x-kubernetes-group-version-kind of a top-level definition. */
  gvk?: GroupVersionKind[];
  /** x-kubernetes-unions, kept as upstream states them. */
  unions?: { discriminator?: string; 'fields-to-discriminateBy'?: Record<string, string> }[];
}

/** The committed file written by scripts/gen-schema.ts. */
export interface GeneratedSchema {
  /** The Kubernetes release the facts come from, e.g. "v1.28". */
  source: string;
  definitions: Record<string, SchemaNode>;
}
