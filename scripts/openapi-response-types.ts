/**
 * Reads every controller handler's return type with the TypeScript checker and writes it as an
 * OpenAPI schema: `{ "<Controller class>.<method>": schema }`, to the file named by the first
 * argument. `npm run build` writes dist/openapi-responses.json; the app's document builder
 * (src/platform/http/openapi.ts) uses it for every success response that declares no type of its
 * own, so the documented body is the one the code returns and cannot drift from it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

type Schema = Record<string, unknown>;

const ROOT = join(__dirname, '..');
const HTTP_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete']);
const MAX_DEPTH = 10;

function decoratorNames(node: ts.Node): string[] {
  return (ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []).map((d) => {
    const expr = ts.isCallExpression(d.expression) ? d.expression.expression : d.expression;
    return ts.isIdentifier(expr) ? expr.text : '';
  });
}

function main(outFile: string): void {
  const configPath = join(ROOT, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, ROOT);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out: Record<string, Schema> = {};

  const literalUnion = (types: readonly ts.Type[]): Schema | undefined => {
    if (types.every((t) => t.isStringLiteral()))
      return { type: 'string', enum: types.map((t) => (t as ts.StringLiteralType).value) };
    if (types.every((t) => t.isNumberLiteral()))
      return { type: 'number', enum: types.map((t) => (t as ts.NumberLiteralType).value) };
    if (types.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    return undefined;
  };

  const toSchema = (type: ts.Type, depth: number, seen: Set<ts.Type>): Schema => {
    if (depth > MAX_DEPTH) return { type: 'object' };
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (f & ts.TypeFlags.StringLiteral) return { type: 'string', enum: [(type as ts.StringLiteralType).value] };
    if (f & ts.TypeFlags.NumberLiteral) return { type: 'number', enum: [(type as ts.NumberLiteralType).value] };
    if (f & ts.TypeFlags.BooleanLiteral) return { type: 'boolean', enum: [checker.typeToString(type) === 'true'] };
    if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return { type: 'string' };
    if (f & ts.TypeFlags.Number) return { type: 'number' };
    if (f & ts.TypeFlags.Boolean) return { type: 'boolean' };
    if (f & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) return { type: 'string' };
    if (f & ts.TypeFlags.Null) return { nullable: true };
    if (type.isUnion()) {
      const present = type.types.filter(
        (t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.Null)),
      );
      const nullable = present.length !== type.types.length && type.types.some((t) => t.flags & ts.TypeFlags.Null);
      const merged =
        literalUnion(present) ??
        (present.length === 1
          ? toSchema(present[0], depth, seen)
          : { anyOf: present.map((t) => toSchema(t, depth + 1, seen)) });
      return nullable ? { ...merged, nullable: true } : merged;
    }
    const symbolName = type.getSymbol()?.getName();
    if (symbolName === 'Date') return { type: 'string', format: 'date-time' };
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const args = checker.getTypeArguments(type as ts.TypeReference);
      if (checker.isTupleType(type)) {
        return {
          type: 'array',
          items: args.length ? toSchema(args[0], depth + 1, seen) : {},
          minItems: args.length,
          maxItems: args.length,
        };
      }
      return { type: 'array', items: args.length ? toSchema(args[0], depth + 1, seen) : {} };
    }
    if (f & ts.TypeFlags.Object || type.isIntersection()) {
      if (seen.has(type)) return { type: 'object' };
      const inner = new Set(seen).add(type);
      const schema: Schema = { type: 'object' };
      const properties: Record<string, Schema> = {};
      const required: string[] = [];
      for (const prop of checker.getPropertiesOfType(type)) {
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        if (!decl) continue;
        if (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl) || ts.isGetAccessor(decl)) continue;
        if (ts.canHaveModifiers(decl) && ts.getModifiers(decl)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword))
          continue;
        const propType = checker.getTypeOfSymbolAtLocation(prop, decl);
        if (propType.getCallSignatures().length > 0) continue;
        const optional =
          (prop.flags & ts.SymbolFlags.Optional) !== 0 ||
          (propType.isUnion() && propType.types.some((t) => t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
        properties[prop.getName()] = toSchema(propType, depth + 1, inner);
        if (!optional) required.push(prop.getName());
      }
      const index =
        checker.getIndexTypeOfType(type, ts.IndexKind.String) ?? checker.getIndexTypeOfType(type, ts.IndexKind.Number);
      if (Object.keys(properties).length) schema.properties = properties;
      if (required.length) schema.required = required;
      if (index) schema.additionalProperties = toSchema(index, depth + 1, inner);
      return schema;
    }
    return {};
  };

  const visitClass = (node: ts.ClassLikeDeclaration) => {
    if (!decoratorNames(node).includes('Controller') || !node.name) return;
    for (const member of node.members) {
      if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
      if (!decoratorNames(member).some((n) => HTTP_DECORATORS.has(n))) continue;
      const signature = checker.getSignatureFromDeclaration(member);
      if (!signature) continue;
      const returned = checker.getReturnTypeOfSignature(signature);
      const awaited = checker.getAwaitedType(returned) ?? returned;
      if (awaited.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) continue;
      out[`${node.name.text}.${member.name.text}`] = toSchema(awaited, 0, new Set());
    }
  };

  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !file.fileName.startsWith(join(ROOT, 'src'))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) visitClass(node);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  writeFileSync(outFile, `${JSON.stringify(out, null, 1)}\n`);
  process.stdout.write(`openapi: response types of ${Object.keys(out).length} handlers written to ${outFile}\n`);
}

main(process.argv[2] ?? join(ROOT, 'dist', 'openapi-responses.json'));
