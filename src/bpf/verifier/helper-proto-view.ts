/**
 * The parts of a helper prototype the verifier reads. These are the shapes of
 * src/bpf/helper-protos.ts (owned by the real-programs branch), restated structurally so the
 * verifier builds before that model reaches main; any HelperProto of that file is a
 * HelperProtoView. To be replaced by a type import once it is on main.
 */
export interface HelperArgView {
  readonly name: string;
  readonly kind: string;
  readonly flags?: readonly string[];
  readonly sizeArg?: number;
  readonly sizeOf?: number;
  readonly mapArg?: number;
  readonly mapTypes?: readonly number[];
  readonly callback?: {
    readonly args: readonly ({ readonly kind: 'scalar'; readonly name: string } | { readonly kind: 'arg'; readonly fromArg: number; readonly name: string })[];
    readonly returns: { readonly min: number; readonly max: number };
  };
}

export interface HelperReturnView {
  readonly kind: string;
  readonly mapArg?: number;
  readonly sizeArg?: number;
  readonly min?: bigint;
  readonly max?: bigint;
  readonly maxFromArg?: number;
}

export interface HelperProtoView {
  readonly id: number;
  readonly name: string;
  readonly args: readonly HelperArgView[];
  readonly ret: HelperReturnView;
  readonly pktAccess: boolean;
  readonly changesPacketData: boolean;
  readonly programTypes: ReadonlySet<string>;
}
