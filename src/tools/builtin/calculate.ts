/**
 * Arithmetic the model is bad at. A small recursive-descent parser (numbers, + - * / % ^,
 * parentheses) rather than eval or a general math library: nothing the model writes can reach
 * code, and the whole grammar fits on a screen.
 */
import { z } from 'zod';
import { defineTool } from '../tool.ts';

export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[-+*/%^()]|\S/gi) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];

  const primary = (): number => {
    const token = take();
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new Error('missing closing parenthesis');
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new Error(token === undefined ? 'expression ends too early' : `unexpected "${token}"`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = take();
      const right = power();
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  };

  const result = sum();
  if (position < tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
  if (!Number.isFinite(result)) throw new Error('the result is not a finite number');
  return result;
}

export const calculate = defineTool({
  name: 'calculate',
  description: 'Evaluate arithmetic: + - * / % ^ and parentheses.',
  risk: 'read',
  group: 'builtin',
  parameters: z.object({ expression: z.string().max(500).describe('e.g. (12.5 * 4) / 3') }),
  async run({ expression }) {
    try {
      return String(evaluateArithmetic(expression));
    } catch (error) {
      return `Cannot evaluate "${expression}": ${(error as Error).message}`;
    }
  },
});
