// The shape of generated/messages.json: for each Go API struct (named as in the
// OpenAPI definitions, e.g. "io.k8s.api.apps.v1.DeploymentSpec"), the fields that
// have a protobuf tag, with the facts needed to turn the wire form into the JSON
// Go's encoding/json would write. Produced by scripts/gen-protobuf.ts.

export type ScalarKind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float';
export type ValueKind = ScalarKind | 'message';
export type FieldKind = ValueKind | 'map';

export interface FieldSpec {
  /** protobuf field number */
  n: number;
  /** JSON name; '' for an inline (embedded) struct */
  j: string;
  k: FieldKind;
  /** repeated */
  r?: 1;
  /** Go pointer: presence on the wire means present in JSON, even at zero */
  p?: 1;
  /** json omitempty */
  o?: 1;
  /** json ",inline": the message's fields are merged into the parent */
  i?: 1;
  /** message type (k = 'message', or the map value when mv = 'message') */
  t?: string;
  /** map key kind */
  mk?: ScalarKind;
  /** map value kind */
  mv?: ValueKind;
}

export interface MessageSpec {
  f: FieldSpec[];
  /** a named Go slice carried as a message {repeated items = 1}: its JSON is the array */
  s?: 1;
  /** a type whose JSON form is special (it has its own MarshalJSON upstream) */
  x?: SpecialKind;
}

export type SpecialKind = 'time' | 'microtime' | 'duration' | 'quantity' | 'intorstring' | 'fieldsv1' | 'rawextension';

export interface MessageTable {
  source: string;
  messages: Record<string, MessageSpec>;
}
