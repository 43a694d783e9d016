import type { Expression } from './ast.js';

/**
 * The categories every item passing `expression` must carry: the `"X" in categories` (or
 * `categories contains "X"`) clauses of its top-level `and` chain. Serving narrows its
 * candidate search to one of them; the filter itself still decides.
 */
export function requiredCategories(expression: Expression): string[] {
  const required: string[] = [];
  const visit = (node: Expression): void => {
    if (node.kind === 'and') {
      for (const operand of node.operands) visit(operand);
      return;
    }
    if (
      node.kind === 'membership' &&
      node.operator !== 'not in' &&
      node.element.kind === 'literal' &&
      typeof node.element.value === 'string' &&
      node.list.kind === 'name' &&
      node.list.scope === 'field' &&
      node.list.key === 'categories' &&
      !required.includes(node.element.value)
    )
      required.push(node.element.value);
  };
  visit(expression);
  return required;
}
