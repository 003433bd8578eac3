/** Terminals show markdown well enough as it is; only trailing whitespace is tidied. */
export function renderForTerminal(markdown: string): string {
  return markdown.replace(/[ \t]+$/gm, '').trimEnd();
}
