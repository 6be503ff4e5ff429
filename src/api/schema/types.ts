// The compact schema: the facts about each API type that the apiserver needs
// (field types, required fields, patch strategies, merge keys, list/map types),
// derived by scripts/gen-schema.ts from the upstream OpenAPI documents.

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
  intOrString?: boolean;      // x-kubernetes-int-or-string
  preserveUnknownFields?: boolean;
  enum?: string[];
  patchStrategy?: string;     // x-kubernetes-patch-strategy: "merge", "retainKeys", "merge,retainKeys", "replace"
  patchMergeKey?: string;     // x-kubernetes-patch-merge-key
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
  structType?: 'atomic' | 'granular';
}
