/**
 * An expression's syntax tree as plain data. cel-js's nodes are class instances with private
 * state (the source text, the operator's handlers), and a checked node also holds the
 * checker's functions: a structured clone refuses a checked tree and copies a parsed one
 * without its source. compile.ts reads only a node's operator, arguments, range and source
 * text, and these copies hold exactly that, so a tree kept on disk (check-cache.ts) compiles
 * to the same closures as a tree fresh from the parser.
 */
import type { ASTNode } from '@marcbachmann/cel-js';

export interface ExprNode {
  /** The operator: `value`, `id`, `.`, `[]`, `call`, `rcall`, `&&`, `<`, … */
  op: string;
  /** Per operator: a literal, a name, a node, `[node, field]`, `[name, node[]]`, … */
  args: unknown;
  /** Offsets of the node's text in `input`. */
  start: number;
  end: number;
  /** The whole expression's source. */
  input: string;
}

function isNode(x: unknown): x is ASTNode | ExprNode | KeptNode {
  return typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string' && typeof (x as { start?: unknown }).start === 'number';
}

/** A plain copy of a parsed tree: nodes and arrays copied, everything else (literals) as it is. */
export function plainTree(node: ASTNode | ExprNode): ExprNode {
  return { op: node.op, args: mapNodes(node.args, plainTree), start: node.start, end: node.end, input: node.input };
}

/**
 * Whether a tree can be kept on disk and given back equal: data alone (primitives, plain
 * objects and arrays, each object seen once, so a structured clone copies it exactly), and
 * every node's source the expression's (a kept tree holds the source once).
 */
export function isKeepable(root: ExprNode, source: string): boolean {
  const seen = new Set<object>();
  const plain = (x: unknown): boolean => {
    if (x === null || ['string', 'number', 'bigint', 'boolean', 'undefined'].includes(typeof x)) return true;
    if (typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    if (Array.isArray(x)) return x.every(plain);
    if (Object.getPrototypeOf(x) !== Object.prototype) return false;
    if (isNode(x) && (x as ExprNode).input !== source) return false;
    return Object.values(x).every(plain);
  };
  return plain(root);
}

/** A kept tree: the nodes without their source, which the entry's key holds once. */
export type KeptNode = Omit<ExprNode, 'input'>;

/** The tree as kept on disk. */
export function keptTree(node: ExprNode): KeptNode {
  return { op: node.op, args: mapNodes(node.args, keptTree), start: node.start, end: node.end };
}

/** A kept tree with its source back on every node: the tree that was kept. */
export function restoredTree(node: KeptNode, input: string): ExprNode {
  return { op: node.op, args: mapNodes(node.args, (n) => restoredTree(n, input)), start: node.start, end: node.end, input };
}

function mapNodes<N extends KeptNode, M>(args: unknown, f: (node: N) => M): unknown {
  if (Array.isArray(args)) return args.map((a) => mapNodes(a, f));
  return isNode(args) ? f(args as N) : args;
}
