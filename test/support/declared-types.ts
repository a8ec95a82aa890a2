import ts from 'typescript';

/**
 * Checks JSON values against the types a client library declares in its `.d.ts` files, read with the TypeScript
 * compiler: every property the type marks required must be present, and every property present must have the
 * declared kind (string, number, boolean, array, object, one of a union), all the way down. Extra properties are
 * allowed, as they are for the clients (they read what they know).
 */
export class DeclaredTypes {
  private readonly checker: ts.TypeChecker;
  private readonly exported = new Map<string, ts.Symbol>();

  /** `entry`: a `.d.ts` that exports the types by name (e.g. a package's `types/index.d.ts`). */
  constructor(entry: string) {
    const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, strict: true, types: [] });
    this.checker = program.getTypeChecker();
    const source = program.getSourceFile(entry);
    const module = source && this.checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`no module at ${entry}`);
    for (const symbol of this.checker.getExportsOfModule(module)) this.exported.set(symbol.name, symbol);
  }

  /** Where `value` falls short of the exported type `name`: one line per problem, empty when it conforms. */
  violations(value: unknown, name: string): string[] {
    let symbol = this.exported.get(name);
    if (!symbol) throw new Error(`the declarations export no type ${name}`);
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    const problems: string[] = [];
    this.check(value, this.checker.getDeclaredTypeOfSymbol(symbol), name, problems);
    return problems;
  }

  private check(value: unknown, type: ts.Type, path: string, problems: string[]): void {
    const flags = type.flags;
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (flags & ts.TypeFlags.BooleanLike)
      return expectKind(typeof value === 'boolean', 'a boolean', value, path, problems);
    if (flags & ts.TypeFlags.StringLike)
      return expectKind(typeof value === 'string', 'a string', value, path, problems);
    if (flags & ts.TypeFlags.NumberLike)
      return expectKind(typeof value === 'number', 'a number', value, path, problems);
    if (flags & ts.TypeFlags.Null) return expectKind(value === null, 'null', value, path, problems);
    if (flags & ts.TypeFlags.Undefined) return expectKind(value === undefined, 'absent', value, path, problems);
    if (type.isUnion()) return this.checkUnion(value, type, path, problems);
    if (this.checker.isArrayType(type)) {
      if (!Array.isArray(value)) return void problems.push(`${path}: expected an array, got ${describe(value)}`);
      const [element] = this.checker.getTypeArguments(type as ts.TypeReference);
      value.forEach((item, i) => this.check(item, element!, `${path}[${i}]`, problems));
      return;
    }
    if (flags & ts.TypeFlags.Object || type.isIntersection()) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return void problems.push(`${path}: expected an object, got ${describe(value)}`);
      for (const property of this.checker.getPropertiesOfType(type)) {
        const field = (value as Record<string, unknown>)[property.name];
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
        if (field === undefined) {
          if (!optional) problems.push(`${path}.${property.name}: required, missing`);
          continue;
        }
        this.check(field, this.checker.getTypeOfSymbol(property), `${path}.${property.name}`, problems);
      }
    }
  }

  /** A value conforms to a union when it conforms to one member; `undefined` members only say it may be absent. */
  private checkUnion(value: unknown, type: ts.UnionType, path: string, problems: string[]): void {
    const members = type.types.filter((member) => !(member.flags & ts.TypeFlags.Undefined));
    const attempts = members.map((member) => {
      const found: string[] = [];
      this.check(value, member, path, found);
      return found;
    });
    if (attempts.some((found) => found.length === 0)) return;
    // The closest member's problems say the most.
    problems.push(...attempts.sort((a, b) => a.length - b.length)[0]!);
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function expectKind(ok: boolean, kind: string, value: unknown, path: string, problems: string[]): void {
  if (!ok) problems.push(`${path}: expected ${kind}, got ${describe(value)}`);
}
